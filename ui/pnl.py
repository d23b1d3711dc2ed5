"""P&L page transforms: equity curve, drawdown, daily realised P&L and per-strategy attribution.

Money is summed exactly (Arrow decimal128 arithmetic, then Decimal: a day's P&L is what the trades
say to the cent); it becomes float only on its way into a chart. Inputs are snapshot tables as
Arrow (``equity``, ``trades``, ``fills``) and state.json's open positions. Pure: no streamlit, no files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
import pyarrow.compute as pc

from ui import text
from ui.charts import BUY_COLOR, SELL_COLOR, _times, downsample_indices

ZERO = Decimal(0)
ATTRIBUTION_COLUMNS = ["Strategy", "Closed trades", "Win rate", "Realised P&L", "Open P&L", "Total P&L", "Fees paid"]


def _dec(value: Any) -> Decimal:
    return text.to_decimal(value) or ZERO


def drawdown_pct(equity: Sequence[float]) -> np.ndarray:
    """How far below its running peak the account is at each sample, in percent (0 at a peak)."""
    values = np.asarray(equity, dtype="float64")
    if values.size == 0:
        return values
    peak = np.maximum.accumulate(values)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(peak > 0, (peak - values) / peak * 100, 0.0)
    return out


def _empty(fig: go.Figure, message: str) -> go.Figure:
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    return fig


def equity_chart(ts_ms: Sequence[int], equity: Sequence[float], starting: float | None, tz: str = "UTC") -> go.Figure:
    """Account value over time (≤ 5,000 points, peaks and troughs kept), with the starting capital."""
    fig = go.Figure()
    fig.update_layout(height=320, margin={"l": 10, "r": 10, "t": 10, "b": 10}, yaxis_title="Account value ($)",
                      hovermode="x unified", legend={"orientation": "h"})
    if len(ts_ms) == 0:
        return _empty(fig, "No equity samples yet")
    keep = downsample_indices(list(equity))
    x = _times([ts_ms[i] for i in keep], tz)
    fig.add_trace(go.Scatter(x=x, y=[equity[i] for i in keep], name="equity", line={"color": "#2563eb", "width": 2}))
    if starting is not None:
        fig.add_trace(go.Scatter(x=[x.iloc[0], x.iloc[-1]], y=[starting, starting], name="starting capital",
                                 mode="lines", line={"color": "#9ca3af", "dash": "dash"}))
    return fig


def drawdown_chart(ts_ms: Sequence[int], equity: Sequence[float], limit_pct: float | None, tz: str = "UTC") -> go.Figure:
    """Drawdown below the running peak (negative percent), with the kill-switch limit."""
    fig = go.Figure()
    fig.update_layout(height=240, margin={"l": 10, "r": 10, "t": 10, "b": 10}, yaxis_title="Below peak (%)",
                      hovermode="x unified", legend={"orientation": "h"})
    if len(ts_ms) == 0:
        return _empty(fig, "No equity samples yet")
    dd = drawdown_pct(equity)
    keep = downsample_indices(list(-dd))
    x = _times([ts_ms[i] for i in keep], tz)
    fig.add_trace(go.Scatter(x=x, y=[-dd[i] for i in keep], name="drawdown", fill="tozeroy",
                             line={"color": SELL_COLOR}))
    worst = float(dd.max()) if dd.size else 0.0
    floor = max(worst * 1.5, 1.0)
    if limit_pct and limit_pct <= floor * 2:
        fig.add_trace(go.Scatter(x=[x.iloc[0], x.iloc[-1]], y=[-limit_pct, -limit_pct], name="limit (stops new trades)",
                                 mode="lines", line={"color": "#f59e0b", "dash": "dash"}))
        floor = max(floor, limit_pct * 1.1)
    elif limit_pct:  # far below anything drawn: say it rather than squash the curve flat
        fig.add_annotation(text=f"limit {limit_pct:g}% below peak (off this scale)", showarrow=False, x=1, y=0.02,
                           xref="paper", yref="paper", xanchor="right", font={"color": "#b45309"})
    fig.update_yaxes(range=[-floor, max(floor * 0.05, 0.05)])
    return fig


def _zero(table: pa.Table, column: str) -> pa.Scalar:
    return pa.scalar(ZERO, table.schema.field(column).type)


def group_sums(table: pa.Table, key: str, columns: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per value of ``key``: row count, exact Decimal sums of ``columns`` and how many rows have
    a positive first column (wins, when it is P&L). Arrow does the arithmetic on decimal128, so
    100,000 trades sum in milliseconds and to the cent."""
    if table.num_rows == 0:
        return {}
    first = columns[0]
    work = table.select([key, *columns]).append_column(
        "positive", pc.cast(pc.greater(table[first], _zero(table, first)), pa.int64()))
    grouped = work.group_by(key).aggregate([(key, "count"), ("positive", "sum"), *((c, "sum") for c in columns)])
    out = {}
    for row in grouped.to_pylist():
        out[str(row[key])] = {"n": int(row[f"{key}_count"]), "positive": int(row["positive_sum"] or 0),
                              **{c: Decimal(row[f"{c}_sum"] or 0) for c in columns}}
    return out


def daily(trades: pa.Table, tz: str = "UTC") -> pd.DataFrame:
    """Realised P&L, fees, trade count and wins per calendar day (viewer's zone) of the closing time."""
    columns = ["day", "pnl", "fees", "trades", "wins"]
    if trades.num_rows == 0:
        return pd.DataFrame(columns=columns)
    days = pd.to_datetime(trades["closed_ts_ms"].to_numpy(), unit="ms", utc=True).tz_convert(tz).strftime("%Y-%m-%d")
    sums = group_sums(trades.select(["pnl_usd", "fees_usd"]).append_column("day", pa.array(days)), "day",
                      ["pnl_usd", "fees_usd"])
    rows = [{"day": day, "pnl": v["pnl_usd"], "fees": v["fees_usd"], "trades": v["n"], "wins": v["positive"]}
            for day, v in sorted(sums.items())]
    return pd.DataFrame(rows, columns=columns)


def daily_chart(days: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(height=280, margin={"l": 10, "r": 10, "t": 10, "b": 10}, yaxis_title="Realised P&L ($)",
                      showlegend=False, xaxis={"type": "category"})  # one bar per day, not a time axis
    if days.empty:
        return _empty(fig, "No closed trades yet")
    values = [float(v) for v in days["pnl"]]
    fig.add_trace(go.Bar(
        x=[str(d) for d in days["day"]], y=values, marker_color=[BUY_COLOR if v >= 0 else SELL_COLOR for v in values],
        text=[text.money(v, signed=True) for v in days["pnl"]], textposition="outside",
        customdata=[[int(t), int(w), text.money(f)] for t, w, f in zip(days["trades"], days["wins"], days["fees"], strict=True)],
        hovertemplate="%{x}: %{text}<br>%{customdata[0]} trades, %{customdata[1]} won, fees %{customdata[2]}<extra></extra>",
    ))
    return fig


def attribution(trades: pa.Table, positions: Sequence[Mapping[str, Any]], fills: pa.Table) -> pd.DataFrame:
    """Per strategy: closed trades, win rate, realised and open P&L, and every fee it paid
    (from fills, so the buy fee of a position still open counts too)."""
    closed = group_sums(trades, "strategy", ["pnl_usd"])
    fees = group_sums(fills, "strategy", ["fee_usd"])
    open_pnl: dict[str, Decimal] = {}
    for p in positions:
        name = str(p.get("strategy") or "?")
        open_pnl[name] = open_pnl.get(name, ZERO) + _dec(p.get("unrealised_usd"))
    out = []
    for name in sorted(set(closed) | set(fees) | set(open_pnl)):
        c = closed.get(name, {"n": 0, "positive": 0, "pnl_usd": ZERO})
        realised, unrealised = c["pnl_usd"], open_pnl.get(name, ZERO)
        out.append({
            "Strategy": name, "Closed trades": c["n"], "Win rate": text.win_rate(c["positive"], c["n"]),
            "Realised P&L": text.money(realised, signed=True), "Open P&L": text.money(unrealised, signed=True),
            "Total P&L": text.money(realised + unrealised, signed=True),
            "Fees paid": text.money(fees.get(name, {}).get("fee_usd", ZERO)),
        })
    return pd.DataFrame(out, columns=ATTRIBUTION_COLUMNS)


def fees_total(fills: pa.Table) -> Decimal:
    return Decimal(pc.sum(fills["fee_usd"]).as_py() or 0) if fills.num_rows else ZERO
