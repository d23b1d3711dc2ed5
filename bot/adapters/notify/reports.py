"""Plain-English status texts for chat: the hourly status, /positions, /pnl, /trades, the daily
summary and the weekly report, built from the read model (the state dict the loop publishes and the
Parquet snapshots), never from the engine or the DuckDB store.

Snapshots are read with an in-memory DuckDB (already in the bot process), which keeps pandas out of
the bot. Money arrives as decimal strings or DECIMAL columns and stays ``Decimal``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from bot.adapters.notify.messages import pct, signed_usd
from bot.domain.money import ZERO, cents, usd

DAY_MS = 86_400_000
NO_STATE = "The bot has not published its state yet."


def _d(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else ZERO


def _share(part: Decimal, whole: Decimal) -> str:
    return pct(part / whole * 100) if whole > 0 else pct(0)


@dataclass(frozen=True, slots=True)
class Activity:
    """What happened in a window (for the hourly status): counter deltas between two states."""

    hours: float
    snapshots: int
    anomalies: int
    errors: int


def activity(before: dict[str, Any] | None, after: dict[str, Any], errors: int, hours: float) -> Activity:
    def count(state: dict[str, Any] | None, key: str) -> int:
        return int((state or {}).get("counters", {}).get(key, 0))

    def dropped(state: dict[str, Any] | None) -> int:
        return sum(int(v) for v in (state or {}).get("counters", {}).get("dropped", {}).values())

    return Activity(hours, count(after, "book_updates") - count(before, "book_updates"),
                    count(after, "signals") - count(before, "signals"),
                    errors + dropped(after) - dropped(before))


def status_text(state: dict[str, Any] | None, window: Activity | None = None, title: str = "Polybot status") -> str:
    """The hourly status: P&L and %, capital, positions, trades; markets, snapshots, anomalies; errors."""
    if state is None:
        return NO_STATE
    perf, capital, risk = state["performance"], state["capital"], state["risk"]
    equity, today, total = _d(capital["equity_usd"]), _d(perf["today_pnl_usd"]), _d(perf["total_pnl_usd"])
    trades, wins = int(perf["trades_total"]), int(perf["wins_total"])
    lines = [
        f"{title} ({str(state.get('mode', '?')).upper()}, {state.get('status', '?')})",
        f"P&L today {signed_usd(today)} ({_share(today, equity - today)}), total {signed_usd(total)} "
        f"({_share(total, _d(capital['starting_usd']))})",
        f"Capital {usd(equity)}: {usd(_d(capital['cash_usd']))} cash + {usd(_d(capital['positions_value_usd']))} "
        f"in {len(state.get('positions', []))} open position(s)",
        f"Trades {perf['trades_today']} today ({perf['wins_today']} won, {perf['losses_today']} lost), {trades} in all"
        + (f", win rate {pct(wins / trades * 100, signed=False)}" if trades else ""),
    ]
    markets = state.get("feed", {}).get("markets", len(state.get("markets", [])))
    if window is not None:
        span = "the last hour" if abs(window.hours - 1) < 0.01 else f"the last {window.hours:.1f} h"
        lines.append(f"Markets {markets} watched; {window.snapshots:,} price snapshots and {window.anomalies} "
                     f"anomalies (spikes) in {span}")
        lines.append(f"Errors: {window.errors or 'none'} in {span}")
    else:
        counters = state.get("counters", {})
        lines.append(f"Markets {markets} watched; {int(counters.get('book_updates', 0)):,} price snapshots and "
                     f"{counters.get('signals', 0)} anomalies (spikes) since start")
    warnings = []
    if risk["breaker"]["tripped"]:
        warnings.append("circuit breaker tripped")
    if risk.get("kill_switch"):
        warnings.append("drawdown kill switch on")
    warnings.append(f"daily loss {usd(_d(risk['daily_loss_usd']))} of {usd(_d(risk['daily_loss_limit_usd']))} "
                    f"({pct(risk['daily_loss_used_pct'], signed=False)} used)")
    lines.append("Risk: " + "; ".join(warnings))
    return "\n".join(lines)


def positions_text(state: dict[str, Any] | None, now_ms: int | None = None) -> str:
    if state is None:
        return NO_STATE
    positions = state.get("positions", [])
    if not positions:
        return "No open positions."
    now = now_ms if now_ms is not None else int(state.get("market_ts_ms", 0))
    lines = [f"{len(positions)} open position(s) (close one with /forceexit <number>):"]
    for number, p in enumerate(positions, 1):
        cost, pnl = _d(p["cost_usd"]), _d(p["unrealised_usd"])
        mark = f"now {cents(p['mark_price'])}" if p.get("mark_price") is not None else "no bid now"
        held_min = max(0, (now - int(p.get("opened_ts_ms") or now)) // 60_000)
        lines.append(f"{number}. {p['shares']} {p['outcome']} in “{p['question']}”: bought at {cents(_d(p['entry_price']))}"
                     f" for {usd(cost)}, {mark}, {signed_usd(pnl)} ({_share(pnl, cost)}); stop {cents(_d(p['stop_price']))},"
                     f" target {cents(_d(p['target_price']))}; held {held_min} min")
    return "\n".join(lines)


def pnl_text(state: dict[str, Any] | None) -> str:
    if state is None:
        return NO_STATE
    perf, capital, risk = state["performance"], state["capital"], state["risk"]
    equity, today = _d(capital["equity_usd"]), _d(perf["today_pnl_usd"])
    total = _d(perf["total_pnl_usd"])
    return "\n".join([
        f"Today {signed_usd(today)} ({_share(today, equity - today)}): {signed_usd(_d(perf['today_realised_usd']))} "
        f"realised, {signed_usd(_d(perf['unrealised_usd']))} open",
        f"Total {signed_usd(total)} ({_share(total, _d(capital['starting_usd']))}) on {usd(_d(capital['starting_usd']))} "
        f"starting capital; equity {usd(equity)}, fees paid {usd(_d(perf['fees_total_usd']))}",
        f"Drawdown {pct(perf['drawdown_pct'], signed=False)} from the peak of {usd(_d(capital['peak_equity_usd']))}; "
        f"daily loss {usd(_d(risk['daily_loss_usd']))} of {usd(_d(risk['daily_loss_limit_usd']))}",
    ])


# -- snapshot queries ------------------------------------------------------------------------------
def _rows(data_dir: Path, table: str, where: str, params: list[Any], order: str = "", limit: int | None = None
          ) -> list[dict[str, Any]]:
    path = Path(data_dir) / "snapshots" / f"{table}.parquet"
    if not path.exists():
        return []
    con = duckdb.connect(":memory:", config={"threads": 1, "memory_limit": "128MB"})
    try:
        # One open handle per file (the exporter os.replace()s it): read old or new, never a mix.
        sql = f"SELECT * FROM read_parquet(?) WHERE {where} {order} {f'LIMIT {int(limit)}' if limit else ''}"
        cursor = con.execute(sql, [str(path), *params])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    except duckdb.Error:
        return []  # a half-written or foreign file: say nothing rather than crash a report
    finally:
        con.close()


def trades_since(data_dir: Path, since_ms: int, state: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Closed trades from the snapshot plus any newer ones state.json already lists (snapshots lag by
    a few seconds; a trade closed just now belongs in the answer), oldest first."""
    rows = _rows(data_dir, "trades", "closed_ts_ms >= ?", [since_ms], "ORDER BY closed_ts_ms")
    seen = {row["trade_id"] for row in rows}
    rows += [t for t in (state or {}).get("recent_trades", [])
             if t["trade_id"] not in seen and int(t["closed_ts_ms"]) >= since_ms]
    return sorted(rows, key=lambda t: int(t["closed_ts_ms"]))


def trade_line(trade: dict[str, Any]) -> str:
    pnl = _d(trade["pnl_usd"])
    cost = _d(trade.get("cost_usd")) or _d(trade["shares"]) * _d(trade["entry_price"])  # state rows carry no cost
    mark = "✅" if pnl > 0 else "❌" if pnl < 0 else "➖"
    return (f"{mark} {signed_usd(pnl)} ({_share(pnl, cost)}) {trade['shares']} {trade['outcome']} in “{trade['question']}”: "
            f"{cents(_d(trade['entry_price']))} → {cents(_d(trade['exit_price']))}. {trade.get('exit_reason') or ''}").rstrip()


def trades_text(data_dir: Path, state: dict[str, Any] | None, last: int) -> str:
    newest = _rows(data_dir, "trades", "TRUE", [], "ORDER BY closed_ts_ms DESC", last)
    since = int(newest[-1]["closed_ts_ms"]) if len(newest) == last else 0
    rows = list(reversed(trades_since(data_dir, since, state)))[:last] if state is not None else newest
    if not rows:
        return "No closed trades yet."
    return f"Last {len(rows)} closed trade(s), newest first:\n" + "\n".join(trade_line(t) for t in rows)


def _summary(trades: list[dict[str, Any]]) -> tuple[Decimal, Decimal, int, str]:
    pnl = sum((_d(t["pnl_usd"]) for t in trades), ZERO)
    fees = sum((_d(t["fees_usd"]) for t in trades), ZERO)
    wins = sum(1 for t in trades if _d(t["pnl_usd"]) > 0)
    rate = f", win rate {pct(wins / len(trades) * 100, signed=False)}" if trades else ""
    return pnl, fees, wins, rate


def _best_worst(trades: list[dict[str, Any]]) -> list[str]:
    if not trades:
        return []
    ranked = sorted(trades, key=lambda t: _d(t["pnl_usd"]))
    lines = [f"Best: {trade_line(ranked[-1])}"]
    if len(ranked) > 1:
        lines.append(f"Worst: {trade_line(ranked[0])}")
    return lines


def max_drawdown_pct(data_dir: Path, since_ms: int) -> float:
    peak, worst = None, 0.0
    for row in _rows(data_dir, "equity", "ts_ms >= ?", [since_ms], "ORDER BY ts_ms"):
        value = float(row["equity_usd"])
        peak = value if peak is None else max(peak, value)
        if peak > 0:
            worst = max(worst, (peak - value) / peak * 100)
    return worst


def daily_text(state: dict[str, Any] | None, data_dir: Path) -> str:
    if state is None:
        return NO_STATE
    now = int(state.get("market_ts_ms", 0))
    day_start = now - now % DAY_MS
    trades = trades_since(data_dir, day_start, state)
    pnl, fees, wins, rate = _summary(trades)
    day = dt.datetime.fromtimestamp(day_start / 1000, dt.UTC).strftime("%a %d %b %Y")
    lines = [f"Daily summary for {day} (UTC)",
             f"{len(trades)} closed trade(s), {wins} won{rate}; realised {signed_usd(pnl)} after {usd(fees)} fees",
             *_best_worst(trades),
             pnl_text(state),
             f"Worst drawdown today {pct(max_drawdown_pct(data_dir, day_start), signed=False)}"]
    return "\n".join(lines)


def weekly_text(state: dict[str, Any] | None, data_dir: Path) -> str:
    if state is None:
        return NO_STATE
    now = int(state.get("market_ts_ms", 0))
    since = now - 7 * DAY_MS
    trades = trades_since(data_dir, since, state)
    pnl, fees, wins, rate = _summary(trades)
    lines = ["Weekly report (last 7 days)",
             f"{len(trades)} closed trade(s), {wins} won{rate}; realised {signed_usd(pnl)} after {usd(fees)} fees"]
    by_strategy: dict[str, list[dict[str, Any]]] = {}
    for trade in trades:
        by_strategy.setdefault(str(trade.get("strategy") or "?"), []).append(trade)
    for name, group in sorted(by_strategy.items()):
        s_pnl, _, s_wins, s_rate = _summary(group)
        lines.append(f"• {name}: {len(group)} trade(s), {s_wins} won{s_rate}, P&L {signed_usd(s_pnl)}")
    lines += _best_worst(trades)
    lines.append(f"Worst drawdown {pct(max_drawdown_pct(data_dir, since), signed=False)}; equity now "
                 f"{usd(_d(state['capital']['equity_usd']))}")
    return "\n".join(lines)
