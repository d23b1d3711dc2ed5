"""Read-model rows -> display tables: plain-English columns, money as "$x.xx", prices in cents.

Inputs are state.json lists (dicts per the contract) or snapshot DataFrames; outputs are small
DataFrames of strings ready for ``st.dataframe``. Missing keys show a dash instead of failing,
so a bot one version behind the dashboard still renders.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import pandas as pd

from ui import text

MARKET_COLUMNS = ["Market", "Price", "Move (60 s)", "Status", "Why"]
RECENT_TRADE_COLUMNS = ["", "Closed", "Market", "Bought", "Size", "P&L", "Why it bought", "Why it sold"]
POSITION_COLUMNS = [
    "Market", "Holding", "Shares", "Entry", "Now", "Cost", "Value", "P&L so far",
    "Stop", "Target", "Open for", "Why",
]
HISTORY_COLUMNS = [
    "", "Closed", "Market", "Bought", "Strategy", "Shares", "Entry", "Exit", "P&L", "Fees",
    "Why it bought", "Why it sold",
]


def _frame(rows: Iterable[dict[str, str]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=columns)


def markets_frame(markets: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The "Markets I'm watching" table."""
    return _frame(
        (
            {
                "Market": f"{m.get('question', text.MISSING)} ({m.get('outcome', '?')})",
                "Price": text.cents(m.get("price")),
                "Move (60 s)": text.move_cents(m.get("move_60s")),
                "Status": text.market_status_label(m.get("status")),
                "Why": m.get("explanation") or "",
            }
            for m in markets
        ),
        MARKET_COLUMNS,
    )


def _size(t: Mapping[str, Any]) -> str:
    shares, price = text.to_decimal(t.get("shares")), text.to_decimal(t.get("entry_price"))
    if shares is None:
        return text.MISSING
    cost = t.get("cost_usd") if t.get("cost_usd") is not None else (
        shares * price if price is not None else None
    )
    return f"{text.shares(shares)} shares ({text.money(cost)})"


def recent_trades_frame(trades: Sequence[Mapping[str, Any]], tz: str = "UTC") -> pd.DataFrame:
    """state.recent_trades (already newest first) as the Overview's "Recent trades"."""
    return _frame(
        (
            {
                "": text.result_icon(t.get("pnl_usd")),
                "Closed": text.clock(t.get("closed_ts_ms"), tz),
                "Market": t.get("question") or text.MISSING,
                "Bought": t.get("outcome") or text.MISSING,
                "Size": _size(t),
                "P&L": text.money(t.get("pnl_usd"), signed=True),
                "Why it bought": t.get("entry_reason") or "",
                "Why it sold": t.get("exit_reason") or "",
            }
            for t in trades
        ),
        RECENT_TRADE_COLUMNS,
    )


def positions_frame(positions: Sequence[Mapping[str, Any]], now_ms: int) -> pd.DataFrame:
    """state.positions as the "Open positions" table."""
    return _frame(
        (
            {
                "Market": p.get("question") or text.MISSING,
                "Holding": p.get("outcome") or text.MISSING,
                "Shares": text.shares(p.get("shares")),
                "Entry": text.cents(p.get("entry_price")),
                "Now": text.cents(p.get("mark_price")),
                "Cost": text.money(p.get("cost_usd")),
                "Value": text.money(p.get("value_usd")),
                "P&L so far": text.money(p.get("unrealised_usd"), signed=True),
                "Stop": text.cents(p.get("stop_price")),
                "Target": text.cents(p.get("target_price")),
                "Open for": text.duration((now_ms - int(p.get("opened_ts_ms") or now_ms)) / 1000),
                "Why": p.get("reason") or "",
            }
            for p in positions
        ),
        POSITION_COLUMNS,
    )


def history_frame(trades: pd.DataFrame, tz: str = "UTC") -> pd.DataFrame:
    """The snapshots ``trades`` table, newest first, for the Trades page."""
    if trades.empty:
        return _frame([], HISTORY_COLUMNS)
    rows = trades.sort_values("closed_ts_ms", ascending=False, kind="stable")
    return _frame(
        (
            {
                "": text.result_icon(t["pnl_usd"]),
                "Closed": text.date_time(t["closed_ts_ms"], tz),
                "Market": t["question"] or text.MISSING,
                "Bought": t["outcome"] or text.MISSING,
                "Strategy": t["strategy"] or text.MISSING,
                "Shares": text.shares(t["shares"]),
                "Entry": text.cents(t["entry_price"]),
                "Exit": text.cents(t["exit_price"]),
                "P&L": text.money(t["pnl_usd"], signed=True),
                "Fees": text.money(t["fees_usd"]),
                "Why it bought": t["entry_reason"] or "",
                "Why it sold": t["exit_reason"] or "",
            }
            for t in rows.to_dict("records")
        ),
        HISTORY_COLUMNS,
    )


def history_summary(trades: pd.DataFrame) -> str:
    """"12 trades: 8 wins, 1 loss, total +$1.23 after $0.06 fees"."""
    if trades.empty:
        return "No closed trades yet."
    pnl = [text.to_decimal(v) or 0 for v in trades["pnl_usd"]]
    fees = sum((text.to_decimal(v) or 0 for v in trades["fees_usd"]), start=Decimal(0))
    wins, losses = sum(1 for v in pnl if v > 0), sum(1 for v in pnl if v < 0)
    return (
        f"{text.plural(len(pnl), 'trade')}: {text.plural(wins, 'win')}, "
        f"{text.plural(losses, 'loss', 'losses')}, total "
        f"{text.money(sum(pnl, start=Decimal(0)), signed=True)} after {text.money(fees)} fees"
    )


def history_csv(trades: pd.DataFrame) -> str:
    """Raw history (exact decimals, epoch ms) newest first, for spreadsheets."""
    if not trades.empty:
        trades = trades.sort_values("closed_ts_ms", ascending=False, kind="stable")
    return trades.to_csv(index=False)


def cooldowns_frame(cooldowns: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    return _frame(
        (
            {
                "Market": c.get("question") or c.get("market_id") or text.MISSING,
                "Time left": text.cooldown_text(float(c.get("seconds_left") or 0)),
            }
            for c in cooldowns
        ),
        ["Market", "Time left"],
    )


def closest_to_spike(markets: Sequence[Mapping[str, Any]], n: int) -> list[Mapping[str, Any]]:
    """The ``n`` markets whose CUSUM is nearest its threshold (either direction), nearest first."""

    def ratio(m: Mapping[str, Any]) -> float:
        threshold = text.to_float(m.get("cusum_threshold")) or 0.0
        # abs(): the contract does not fix the sign convention of cusum_neg
        peak = max(abs(text.to_float(m.get(k)) or 0.0) for k in ("cusum_pos", "cusum_neg"))
        return peak / threshold if threshold > 0 else 0.0

    return sorted(markets, key=ratio, reverse=True)[:n]


def headline(state: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """The four numbers every money page shows, from state.json only (as `python -m bot status`
    does), so Overview, Trades and P&L can never disagree: (label, value, caption)."""
    perf, risk = state.get("performance", {}), state.get("risk", {})
    total, today = perf.get("total_pnl_usd"), perf.get("today_pnl_usd")
    open_now = len(state.get("positions", []))
    closed, wins = int(perf.get("trades_total") or 0), int(perf.get("wins_total") or 0)
    return [
        ("Total P&L", text.money(total, signed=True), text.pnl_sentence(total, "since the start")),
        ("Today's P&L", text.money(today, signed=True), text.pnl_sentence(today)),
        ("Open positions", str(open_now), text.open_trades_sentence(open_now, int(risk.get("max_open_trades") or 0))),
        ("Closed trades", str(closed), f"{text.plural(wins, 'win')} so far" if closed else "none closed yet"),
    ]
