"""Markets page transforms: the browse table, one market's facts and indicators, depth and history charts.

Inputs are the snapshot ``markets`` and ``bars_1m`` tables and state.json's watched-market rows
(which carry the detector's indicators and the top of the book); outputs are display frames and
plotly figures. Pure: no streamlit, no files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ui import text
from ui.charts import BUY_COLOR, SELL_COLOR, _times, downsample_indices

BROWSE_COLUMNS = ["Market", "Yes", "No", "Spread", "24h volume", "Liquidity", "Ends", "Watched", "market_id"]


def _usd_whole(value: Any) -> str:
    amount = text.to_float(value)
    return text.MISSING if amount is None else f"${amount:,.0f}"


def browse_frame(markets: pd.DataFrame, watched: Sequence[Mapping[str, Any]], last_close: Mapping[str, float],
                 search: str = "", watched_only: bool = False, tz: str = "UTC") -> pd.DataFrame:
    """Every scanned market, busiest first: outcome prices (live for watched markets, else the
    last 1-minute close), 24 h volume, liquidity, spread, end date and whether the bot watches it."""
    if markets.empty:
        return pd.DataFrame(columns=BROWSE_COLUMNS)
    live = {str(m.get("market_id")): m for m in watched}
    rows = markets
    if search.strip():
        needle = search.strip().lower()
        rows = rows[rows["question"].fillna("").str.lower().str.contains(needle, regex=False)
                    | rows["market_id"].astype(str).str.lower().str.contains(needle, regex=False)]
    if watched_only:
        rows = rows[rows["market_id"].astype(str).isin(live)]
    rows = rows.sort_values("volume_24h_usd", ascending=False, na_position="last", kind="stable")
    out = []
    for m in rows.to_dict("records"):
        market_id = str(m["market_id"])
        w = live.get(market_id)
        yes = w.get("price") if w else last_close.get(str(m.get("token_id_a")))
        no = last_close.get(str(m.get("token_id_b")))
        if no is None and yes is not None:
            no = 1.0 - float(yes)  # a binary market's two prices sum to about $1
        out.append({
            "Market": m.get("question") or market_id,
            "Yes": text.cents(round(yes, 4) if yes is not None else None),
            "No": text.cents(round(no, 4) if no is not None else None),
            "Spread": text.cents(round(w["spread"], 4)) if w and w.get("spread") is not None else text.MISSING,
            "24h volume": _usd_whole(m.get("volume_24h_usd")),
            "Liquidity": _usd_whole(m.get("liquidity_usd")),
            "Ends": text.date_time(m.get("end_ts_ms"), tz)[:10] if m.get("end_ts_ms") else text.MISSING,
            "Watched": "👁 watching" if w else "",
            "market_id": market_id,
        })
    return pd.DataFrame(out, columns=BROWSE_COLUMNS)


def facts(market: Mapping[str, Any], tz: str = "UTC") -> list[tuple[str, str]]:
    """A market's contract facts, as label/value pairs."""
    return [
        ("Outcomes", f"{market.get('outcome_a') or '?'} / {market.get('outcome_b') or '?'}"),
        ("Ends", text.date_time(market.get("end_ts_ms"), tz) if market.get("end_ts_ms") else text.MISSING),
        ("Tick size", text.cents(market.get("tick_size"))),
        ("Minimum order", f"{text.shares(market.get('min_order_size'))} shares"),
        ("Taker fee rate", text.shares(market.get("fee_rate"))),
        ("24h volume", _usd_whole(market.get("volume_24h_usd"))),
        ("Liquidity", _usd_whole(market.get("liquidity_usd"))),
        ("Grouped (negRisk)", "yes" if market.get("neg_risk") else "no"),
    ]


def indicators(row: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """The detector's layers for a watched market: (name, value, what it means)."""
    threshold = text.to_float(row.get("cusum_threshold"))
    up, down = text.to_float(row.get("cusum_pos")) or 0.0, text.to_float(row.get("cusum_neg")) or 0.0
    roc = text.to_float(row.get("roc_pct"))
    return [
        ("Status", text.market_status_label(row.get("status")), str(row.get("explanation") or "")),
        ("Price", text.cents(row.get("price")), f"bid {text.cents(row.get('best_bid'))}, ask {text.cents(row.get('best_ask'))}"),
        ("Average (EWMA)", text.cents(_round(row.get("ewma_mean"))), "the recent average price"),
        ("Normal band", f"{text.cents(_round(row.get('lower_band')))} – {text.cents(_round(row.get('upper_band')))}",
         "a price outside this range is unusual"),
        ("CUSUM up / down", f"{up:.4f} / {down:.4f}",
         f"a spike is called at {threshold:.3f}" if threshold else "threshold unknown"),
        ("Momentum", f"{roc:+.2f}%" if roc is not None else text.MISSING, "price change over the last few ticks"),
        ("Move (60 s)", text.move_cents(_round(row.get("move_60s"))), "change over the last minute"),
        ("Prices seen", str(row.get("samples") or 0), "the detector trusts its averages after warm-up"),
    ]


def _round(value: Any) -> float | None:
    number = text.to_float(value)
    return None if number is None else round(number, 4)


def depth_chart(bids: Sequence[Sequence[float]], asks: Sequence[Sequence[float]], title: str = "") -> go.Figure:
    """Cumulative shares resting at each price: bids (green) step down to the left of the mid,
    asks (red) step up to the right. Prices in cents, as on Polymarket."""
    fig = go.Figure()
    for levels, name, color in ((bids, "bids (buyers)", BUY_COLOR), (asks, "asks (sellers)", SELL_COLOR)):
        if not levels:
            continue
        prices = [float(p) * 100 for p, _ in levels]
        cumulative, total = [], 0.0
        for _, size in levels:
            total += float(size)
            cumulative.append(total)
        fig.add_trace(go.Scatter(x=prices, y=cumulative, name=name, mode="lines", line_shape="hv",
                                 line={"color": color}, fill="tozeroy",
                                 hovertemplate="%{x:.1f}¢: %{y:,.0f} shares<extra></extra>"))
    fig.update_layout(title=title or None, height=320, margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
                      xaxis_title="Price (¢)", yaxis_title="Shares (cumulative)", legend={"orientation": "h"})
    if not bids and not asks:
        fig.add_annotation(text="No order book published for this market", showarrow=False,
                           x=0.5, y=0.5, xref="paper", yref="paper")
    return fig


def price_history(bars: pd.DataFrame, title: str = "", tz: str = "UTC") -> go.Figure:
    """1-minute closes (mid price) with the minute's high-low range, at most 5,000 points."""
    fig = go.Figure()
    fig.update_layout(title=title or None, height=340, margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
                      yaxis_title="Price (¢)", hovermode="x unified", legend={"orientation": "h"})
    if bars.empty:
        fig.add_annotation(text="No price history yet (1-minute bars cover the last 24 h)", showarrow=False,
                           x=0.5, y=0.5, xref="paper", yref="paper")
        return fig
    bars = bars.sort_values("minute_ts_ms")
    keep = downsample_indices(bars["close"].tolist())
    bars = bars.iloc[keep]
    x = _times(bars["minute_ts_ms"].tolist(), tz)
    fig.add_trace(go.Scatter(x=x, y=bars["low"] * 100, name="low", line={"width": 0}, showlegend=False,
                             hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=x, y=bars["high"] * 100, name="high-low range", line={"width": 0},
                             fill="tonexty", fillcolor="rgba(99, 110, 250, 0.15)", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=x, y=bars["close"] * 100, name="price (1-min close)",
                             line={"color": "#1f2937", "width": 2}))
    return fig
