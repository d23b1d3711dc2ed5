"""Plain-English formatters for the dashboard: money, prices, counts, ages and safety sentences.

Money arrives from the read model as exact decimal strings (or ``Decimal`` from Parquet) and is
formatted without ever passing through float, so "$0.45" is exactly what the bot recorded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

CENT = Decimal("0.01")
MISSING = "—"

_MARKET_STATUS = {
    "spike": "SPIKE DETECTED",
    "normal": "Normal",
    "quiet": "Quiet",
    "warming_up": "Warming up",
}
_BOT_STATUS = {
    "running": "Running",
    "paused": "Paused",
    "entries_stopped": "New entries stopped",
    "stopped": "Stopped",
}


def to_decimal(value: Any) -> Decimal | None:
    """An exact Decimal from a decimal string, Decimal, int or float; None when missing/bad."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return None if value.is_nan() else value
    if isinstance(value, float):
        # str() keeps the shortest repr, so 0.1 stays 0.1 rather than 0.1000000000000000055…
        return None if math.isnan(value) else Decimal(str(value))
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def to_float(value: Any) -> float | None:
    """A float for prices and indicators; None when missing or NaN."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def money(value: Any, *, signed: bool = False) -> str:
    """Dollars to the cent: "$75.00", or with ``signed`` "+$0.45" / "-$0.40"."""
    amount = to_decimal(value)
    if amount is None:
        return MISSING
    amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ("+" if signed and amount > 0 else "")
    return f"{sign}${abs(amount):,.2f}"


def shares(value: Any) -> str:
    """A share count without padding zeros: "6.38", "5" (snapshots hold DECIMAL(18,6))."""
    amount = to_decimal(value)
    return MISSING if amount is None else format(amount.normalize(), "f")


def amount_words(value: Any) -> str:
    """A friendly size: "45 cents", "1 cent", "$1.20"."""
    amount = abs(to_decimal(value) or Decimal(0)).quantize(CENT, rounding=ROUND_HALF_UP)
    if amount < 1:
        return plural(int(amount * 100), "cent")
    return f"${amount:,.2f}"


def pnl_sentence(value: Any, period: str = "today") -> str:
    """"you're up 45 cents today" / "you're down $1.20 today" / "you're even today"."""
    amount = (to_decimal(value) or Decimal(0)).quantize(CENT, rounding=ROUND_HALF_UP)
    if amount == 0:
        return f"you're even {period}"
    return f"you're {'up' if amount > 0 else 'down'} {amount_words(amount)} {period}"


def win_rate(wins: int, trades: int) -> str:
    """"67%", or a dash before the first closed trade."""
    return f"{round(100 * wins / trades)}%" if trades else MISSING


def win_sentence(wins: int, trades: int, period: str = "today") -> str:
    """"4 wins out of 6 trades"."""
    if not trades:
        return f"no closed trades yet {period}"
    return f"{plural(wins, 'win')} out of {plural(trades, 'trade')}"


def open_trades_sentence(open_trades: int, max_open: int) -> str:
    """"1 of 2 open trades — can open 1 more"."""
    head = f"{open_trades} of {plural(max_open, 'open trade')}"
    room = max_open - open_trades
    if room > 0:
        return f"{head} — can open {room} more"
    return f"{head} — at the limit, no new trades until one closes"


def duration(seconds: float) -> str:
    """"12 s", "3 min 5 s", "2 h 10 min"."""
    s = max(0, int(round(seconds)))
    if s < 120:
        return f"{s} s"
    if s < 7200:
        return f"{s // 60} min" + (f" {s % 60} s" if s % 60 else "")
    return f"{s // 3600} h {s % 3600 // 60} min"


def heartbeat_text(age_s: float) -> str:
    """"updated just now" / "updated 2 s ago"."""
    return "updated just now" if age_s < 1.5 else f"updated {duration(age_s)} ago"


def is_stale(written_ts_ms: int | None, now_ms: int, stale_after_s: float) -> bool:
    """True when the bot's last state.json is older than the threshold (or has no timestamp)."""
    return written_ts_ms is None or (now_ms - written_ts_ms) / 1000 > stale_after_s


def stale_warning(age_s: float) -> str:
    return f"The bot has not reported for {duration(age_s)} — numbers below may be old"


NOT_RUNNING = "The bot is not running yet — start it with `make run` or `make demo`"


def clock(ts_ms: int | None, tz: str = "UTC") -> str:
    """Wall-clock time of an epoch-ms timestamp: "14:05:09 UTC"."""
    if ts_ms is None:
        return MISSING
    return datetime.fromtimestamp(ts_ms / 1000, tz=ZoneInfo(tz)).strftime("%H:%M:%S %Z")


def date_time(ts_ms: Any, tz: str = "UTC") -> str:
    """"2025-11-22 14:05:09 UTC" for tables that span days."""
    ms = to_float(ts_ms)
    if ms is None:
        return MISSING
    return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(ZoneInfo(tz)).strftime(
        "%Y-%m-%d %H:%M:%S %Z"
    )


def cents(price: Any) -> str:
    """A 0–1 price in cents, as Polymarket shows it: "52¢", "52.5¢"."""
    p = to_decimal(price)
    if p is None:
        return MISSING
    text = f"{p * 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}¢"


def move_cents(move: Any) -> str:
    """A signed price move in cents: "+1.5¢", "-0.5¢", "0¢"."""
    m = to_decimal(move)
    if m is None:
        return MISSING
    body = cents(abs(m))
    return body if body == "0¢" else ("+" if m > 0 else "-") + body


def market_status_label(status: str | None) -> str:
    return _MARKET_STATUS.get(status or "", (status or MISSING).replace("_", " ").capitalize())


def bot_status_label(status: str | None) -> str:
    return _BOT_STATUS.get(status or "", (status or "unknown").replace("_", " ").capitalize())


def result_icon(pnl: Any) -> str:
    """✅ for a winning trade, ❌ for a losing one, ➖ for exactly even."""
    amount = to_decimal(pnl) or Decimal(0)
    return "✅" if amount > 0 else ("❌" if amount < 0 else "➖")


def daily_loss_sentence(used: Any, limit: Any, used_pct: float | None = None) -> str:
    """"$0.40 of your $2.00 daily loss limit used (20%)"."""
    used_d, limit_d = to_decimal(used) or Decimal(0), to_decimal(limit) or Decimal(0)
    if used_pct is None:
        used_pct = float(100 * used_d / limit_d) if limit_d else 0.0
    return f"{money(used_d)} of your {money(limit_d)} daily loss limit used ({used_pct:.0f}%)"


def drawdown_sentence(drawdown_pct: float, max_drawdown_pct: float) -> str:
    """"Down 3.2% from peak equity (limit 10%)"."""
    head = "At peak equity" if drawdown_pct <= 0 else f"Down {drawdown_pct:.1f}% from peak equity"
    return f"{head} (limit {max_drawdown_pct:g}%)"


def breaker_sentence(breaker: Mapping[str, Any], tz: str = "UTC") -> str:
    """Circuit breaker in words: tripped until when, or how close it is to tripping."""
    losses = int(breaker.get("consecutive_losses") or 0)
    limit = int(breaker.get("threshold") or 0)
    in_a_row = f"{plural(losses, 'loss', 'losses')} in a row"
    if breaker.get("tripped"):
        until = breaker.get("until_ts_ms")
        when = f"until {clock(until, tz)}" if until else "until it is reset"
        return f"Tripped {when} after {in_a_row} — no new trades until then"
    return f"Armed — {in_a_row} of {limit} allowed before it trips"


def cooldown_text(seconds_left: float) -> str:
    return f"{duration(seconds_left)} left"
