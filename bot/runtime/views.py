"""What the read-only CLI commands show: built from state.json and the Parquet snapshots only.

Each view returns (payload for --json, text for people). None of them opens the DuckDB file, so
they work while the bot runs.
"""

from __future__ import annotations

import re
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.adapters.storage.snapshot_reader import SnapshotReader
from bot.domain.money import usd

NOT_RUNNING = "No state.json yet: the bot has not run with this data directory (start it with `make run`)."


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def status_view(data_dir: Path) -> tuple[dict[str, Any], str]:
    reader = SnapshotReader(data_dir)
    state = reader.state()
    if state is None:
        return {"running": False, "message": NOT_RUNNING}, NOT_RUNNING
    trades = reader.table("trades")
    age_s = max(0.0, time.time() - state.get("written_ts_ms", 0) / 1000)
    perf, capital, risk = state["performance"], state["capital"], state["risk"]
    payload = {
        "status": state.get("status"), "mode": state.get("mode"), "source": state.get("source"),
        "heartbeat_age_s": round(age_s, 1), "market_ts_ms": state.get("market_ts_ms"),
        "cash_usd": capital["cash_usd"], "equity_usd": capital["equity_usd"],
        "total_pnl_usd": perf["total_pnl_usd"], "today_pnl_usd": perf["today_pnl_usd"],
        "open_positions": len(state.get("positions", [])), "trades_total": perf["trades_total"],
        "trades_in_snapshot": len(trades), "wins_total": perf["wins_total"], "fees_total_usd": perf["fees_total_usd"],
        "daily_loss_usd": risk["daily_loss_usd"], "daily_loss_limit_usd": risk["daily_loss_limit_usd"],
        "breaker_tripped": risk["breaker"]["tripped"], "paused": risk["paused"],
        "markets": state.get("feed", {}).get("markets"), "cycles": state.get("cycle", {}).get("count"),
    }
    total = _dec(perf["total_pnl_usd"])
    text = (
        f"Polybot is {state.get('status')} ({str(state.get('mode')).upper()}, {state.get('source')}), "
        f"last heartbeat {age_s:.0f} s ago.\n"
        f"Equity {usd(_dec(capital['equity_usd']))} (cash {usd(_dec(capital['cash_usd']))}); "
        f"total P&L {'+' if total >= 0 else ''}{usd(total)}, today {usd(_dec(perf['today_pnl_usd']))}.\n"
        f"{payload['open_positions']} open position(s), {perf['trades_total']} closed trade(s), "
        f"{perf['wins_total']} won; fees paid {usd(_dec(perf['fees_total_usd']))}.\n"
        f"Daily loss {usd(_dec(risk['daily_loss_usd']))} of {usd(_dec(risk['daily_loss_limit_usd']))}; "
        f"circuit breaker {'TRIPPED' if risk['breaker']['tripped'] else 'armed'}."
    )
    return payload, text


def positions_view(data_dir: Path) -> tuple[list[dict[str, Any]], str]:
    state = SnapshotReader(data_dir).state()
    if state is None:
        return [], NOT_RUNNING
    positions = state.get("positions", [])
    if not positions:
        return [], "No open positions."
    lines = [f"{p['shares']} {p['outcome']} in “{p['question']}” at {p['entry_price']} "
             f"(now {p['mark_price']}, P&L {usd(_dec(p['unrealised_usd']))})" for p in positions]
    return positions, "\n".join(lines)


def trades_view(data_dir: Path, last: int) -> tuple[list[dict[str, Any]], str]:
    trades = SnapshotReader(data_dir).table("trades")
    if trades.empty:
        return [], "No closed trades yet."
    newest = trades.sort_values("closed_ts_ms", ascending=False).head(last)
    rows = [{k: (str(v) if isinstance(v, Decimal) else v) for k, v in row.items()} for row in newest.to_dict("records")]
    lines = [f"{'✅' if _dec(r['pnl_usd']) > 0 else '❌'} {usd(_dec(r['pnl_usd']))}  {r['question']}: {r['exit_reason']}"
             for r in rows]
    return rows, "\n".join(lines)


def _period_ms(period: str) -> int | None:
    if period == "all":
        return None
    match = re.fullmatch(r"(\d+)([hd])", period)
    if not match:
        raise ValueError(f"period '{period}' should look like 24h, 7d, 30d or all")
    return int(match.group(1)) * (3_600_000 if match.group(2) == "h" else 86_400_000)


def performance_view(data_dir: Path, period: str) -> tuple[dict[str, Any], str]:
    reader = SnapshotReader(data_dir)
    span_ms = _period_ms(period)
    state = reader.state() or {}
    now_ms = state.get("market_ts_ms") or int(time.time() * 1000)
    since = now_ms - span_ms if span_ms else None
    trades = reader.table("trades")
    equity = reader.table("equity")
    if since is not None:
        trades = trades[trades["closed_ts_ms"] >= since]
        equity = equity[equity["ts_ms"] >= since]
    pnl = sum((_dec(v) for v in trades["pnl_usd"]), Decimal(0))
    fees = sum((_dec(v) for v in trades["fees_usd"]), Decimal(0))
    wins = int(sum(1 for v in trades["pnl_usd"] if _dec(v) > 0))
    count = len(trades)
    max_dd = 0.0
    if not equity.empty:
        values = [float(v) for v in equity.sort_values("ts_ms")["equity_usd"]]
        peak = values[0]
        for value in values:
            peak = max(peak, value)
            max_dd = max(max_dd, (peak - value) / peak * 100 if peak > 0 else 0.0)
    payload = {"period": period, "trades": count, "wins": wins, "win_rate_pct": round(wins / count * 100, 1) if count else None,
               "realised_pnl_usd": str(pnl), "fees_usd": str(fees), "max_drawdown_pct": round(max_dd, 2)}
    text = (f"Last {period}: {count} trade(s), {wins} won"
            f"{f' ({wins / count:.0%})' if count else ''}; realised P&L {usd(pnl)} after {usd(fees)} fees; "
            f"worst drawdown {max_dd:.1f}%.")
    return payload, text
