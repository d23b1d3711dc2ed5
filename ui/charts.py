"""Pure plotly figure builders for the dashboard (no streamlit, no I/O).

Prices are drawn in cents, as Polymarket shows them; CUSUM stays in raw price units so the chart
matches the numbers in the bot's explanations ("CUSUM 0.041 > 0.030").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

MAX_POINTS = 5_000
BUY_COLOR, SELL_COLOR, BAND_COLOR = "#16a34a", "#dc2626", "rgba(99, 110, 250, 0.45)"


def downsample_indices(values: Sequence[float | None], max_points: int = MAX_POINTS) -> np.ndarray:
    """Indices to keep so at most ``max_points`` remain.

    Keeps each bucket's min and max (plus the first and last point) rather than every k-th
    point, because a stride would silently drop exactly the spikes this bot trades.
    """
    n = len(values)
    if n <= max_points:
        return np.arange(n)
    arr = pd.Series(values, dtype="float64").ffill().fillna(0.0).to_numpy()
    buckets = (max_points - 2) // 2
    edges = np.linspace(1, n - 1, buckets + 1).astype(int)
    keep = [0, n - 1]
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        if hi > lo:
            keep += [lo + int(arr[lo:hi].argmin()), lo + int(arr[lo:hi].argmax())]
    return np.unique(keep)


def downsample_series(
    series: Mapping[str, Sequence[Any]], max_points: int = MAX_POINTS, key: str = "price"
) -> dict[str, list[Any]]:
    """Apply ``downsample_indices`` of ``series[key]`` to every equally long column."""
    base = series.get(key) or []
    idx = downsample_indices(base, max_points)
    return {
        name: [col[i] for i in idx] if len(col) == len(base) else list(col)
        for name, col in series.items()
    }


def _times(ts_ms: Sequence[Any], tz: str) -> pd.Series:
    # Plotly drops the zone anyway; convert first so the axis shows the viewer's wall clock.
    utc = pd.to_datetime(pd.Series(ts_ms, dtype="int64"), unit="ms", utc=True)
    return utc.dt.tz_convert(tz).dt.tz_localize(None)


def _in_cents(values: Sequence[Any]) -> list[float | None]:
    return [None if v is None else float(v) * 100 for v in values]


def price_with_bands(
    series: Mapping[str, Sequence[Any]],
    markers: Sequence[Mapping[str, Any]],
    threshold: float | None,
    title: str | None = None,
    tz: str = "UTC",
) -> go.Figure:
    """Price, EWMA mean and shaded bands with ▲ buy / ▼ sell markers, over a CUSUM subplot."""
    s = downsample_series(series)
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.7, 0.3], vertical_spacing=0.08,
        subplot_titles=("Price", "Spike detector (CUSUM)"),
    )
    fig.update_layout(
        title=title, height=540, margin={"l": 10, "r": 10, "t": 60, "b": 10},
        legend={"orientation": "h", "y": -0.12, "traceorder": "normal"}, hovermode="closest",
        uirevision=title or "chart",  # keep the user's zoom across the 2 s refreshes
    )
    fig.update_yaxes(title_text="Price (¢)", row=1, col=1)
    fig.update_yaxes(title_text="CUSUM", row=2, col=1)
    if not s.get("ts_ms"):
        fig.add_annotation(text="Waiting for price data…", showarrow=False, x=0.5, y=0.5,
                           xref="paper", yref="paper")
        return fig

    x = _times(s["ts_ms"], tz)
    band = {"color": BAND_COLOR, "width": 1}
    # Lower band first: the upper band's fill="tonexty" shades down to the previous trace.
    fig.add_trace(go.Scatter(x=x, y=_in_cents(s.get("lower_band", [])), name="lower band",
                             line=band), row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=_in_cents(s.get("upper_band", [])), name="upper band",
                             line=band, fill="tonexty", fillcolor="rgba(99, 110, 250, 0.12)"),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=_in_cents(s.get("ewma_mean", [])), name="average (EWMA)",
                             line={"color": "#6b7280", "dash": "dot"}), row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=_in_cents(s["price"]), name="price",
                             line={"color": "#1f2937", "width": 2}), row=1, col=1)

    for side, name, symbol, color in (
        ("BUY", "▲ buy", "triangle-up", BUY_COLOR),
        ("SELL", "▼ sell", "triangle-down", SELL_COLOR),
    ):
        points = [m for m in markers if str(m.get("side", "")).upper() == side]
        if points:
            fig.add_trace(go.Scatter(
                x=_times([m["ts_ms"] for m in points], tz),
                y=_in_cents([m["price"] for m in points]),
                text=[m.get("text", "") for m in points],
                hovertemplate="%{text}<extra></extra>",
                mode="markers", name=name,
                marker={"symbol": symbol, "size": 14, "color": color,
                        "line": {"width": 1, "color": "white"}},
            ), row=1, col=1)

    fig.add_trace(go.Scatter(x=x, y=list(s.get("cusum_pos", [])), name="CUSUM up",
                             line={"color": BUY_COLOR}), row=2, col=1)
    fig.add_trace(go.Scatter(x=x, y=list(s.get("cusum_neg", [])), name="CUSUM down",
                             line={"color": SELL_COLOR}), row=2, col=1)
    if threshold:
        # A trace, not add_hline, so it shows in the legend ("threshold") and on hover.
        fig.add_trace(go.Scatter(x=[x.iloc[0], x.iloc[-1]], y=[threshold, threshold],
                                 name="threshold", mode="lines",
                                 line={"color": "#f59e0b", "dash": "dash"}), row=2, col=1)
    return fig


def cusum_gauge(value: float, threshold: float, title: str) -> go.Figure:
    """How close one market's spike detector is to firing: CUSUM against its threshold."""
    threshold = threshold if threshold > 0 else 1.0
    fired = value >= threshold
    fig = go.Figure(go.Indicator(
        mode="gauge+number",
        value=value,
        number={"valueformat": ".3f"},
        title={"text": title, "font": {"size": 13}},
        gauge={
            "axis": {"range": [0, max(threshold * 1.5, value)]},
            "bar": {"color": SELL_COLOR if fired else "#2563eb"},
            "steps": [
                {"range": [0, threshold * 0.7], "color": "#ecfdf5"},
                {"range": [threshold * 0.7, threshold], "color": "#fef9c3"},
            ],
            "threshold": {"line": {"color": SELL_COLOR, "width": 3}, "value": threshold},
        },
    ))
    fig.update_layout(height=210, margin={"l": 20, "r": 20, "t": 50, "b": 10})
    return fig
