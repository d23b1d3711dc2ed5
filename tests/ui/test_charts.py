"""Chart builders and table transforms: traces present, points capped, markers where the trades were."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pandas as pd

from ui import charts, tables


def _series(n: int, spike_at: int | None = None) -> dict[str, list[float]]:
    ts = [1_700_000_000_000 + 1000 * i for i in range(n)]
    price = [0.5 + 0.01 * math.sin(i / 50) for i in range(n)]
    if spike_at is not None:
        price[spike_at] = 0.9
    return {
        "ts_ms": ts, "price": price, "ewma_mean": price, "upper_band": [p + 0.02 for p in price],
        "lower_band": [p - 0.02 for p in price], "cusum_pos": [0.01] * n, "cusum_neg": [0.0] * n,
    }


def _names(fig) -> list[str]:
    return [t.name for t in fig.data]


def test_price_with_bands_has_every_trace_and_shaded_band() -> None:
    markers = [
        {"ts_ms": 1_700_000_010_000, "price": 0.51, "side": "BUY", "text": "Bought because it spiked"},
        {"ts_ms": 1_700_000_020_000, "price": 0.53, "side": "SELL", "text": "Sold at target"},
    ]
    fig = charts.price_with_bands(_series(100), markers, 0.03)
    assert _names(fig) == ["lower band", "upper band", "average (EWMA)", "price", "▲ buy", "▼ sell",
                           "CUSUM up", "CUSUM down", "threshold"]
    by_name = {t.name: t for t in fig.data}
    assert by_name["upper band"].fill == "tonexty"
    assert by_name["threshold"].line.dash == "dash" and list(by_name["threshold"].y) == [0.03, 0.03]
    assert by_name["CUSUM up"].yaxis == "y2" and by_name["price"].yaxis == "y"
    buy, sell = by_name["▲ buy"], by_name["▼ sell"]
    assert buy.marker.symbol == "triangle-up" and sell.marker.symbol == "triangle-down"
    assert buy.y[0] == 51.0 and sell.y[0] == 53.0  # cents
    assert pd.Timestamp(buy.x[0]) == pd.Timestamp(1_700_000_010_000, unit="ms")  # UTC wall clock
    berlin = charts.price_with_bands(_series(10), markers[:1], 0.03, tz="Europe/Berlin")
    assert pd.Timestamp(berlin.data[4].x[0]) == pd.Timestamp(1_700_000_010_000 + 3_600_000, unit="ms")
    assert buy.text[0] == "Bought because it spiked"


def test_price_with_bands_empty_series_is_a_placeholder() -> None:
    fig = charts.price_with_bands({"ts_ms": [], "price": []}, [], 0.03)
    assert not fig.data and "Waiting" in fig.layout.annotations[-1].text


def test_downsampling_caps_points_and_keeps_the_spike() -> None:
    n = 20_000
    series = _series(n, spike_at=12_345)
    fig = charts.price_with_bands(series, [], 0.03)
    price = next(t for t in fig.data if t.name == "price")
    assert len(price.y) <= charts.MAX_POINTS
    assert max(price.y) == 90.0  # the spike survives downsampling
    idx = charts.downsample_indices(series["price"], 1000)
    assert len(idx) <= 1000 and idx[0] == 0 and idx[-1] == n - 1 and np.all(np.diff(idx) > 0)
    assert list(charts.downsample_indices([1.0, 2.0], 1000)) == [0, 1]


def test_cusum_gauge() -> None:
    fig = charts.cusum_gauge(0.041, 0.03, "Will it rain?")
    gauge = fig.data[0]
    assert gauge.value == 0.041 and gauge.gauge.threshold.value == 0.03
    assert gauge.gauge.axis.range[1] >= 0.041


def test_tables_format_money_and_order() -> None:
    history = pd.DataFrame({
        "trade_id": ["a", "b"], "question": ["Q1", "Q2"], "outcome": ["No", "Yes"],
        "strategy": ["spike_hunter"] * 2, "shares": [Decimal("6.38"), Decimal("5")],
        "entry_price": [0.47, 0.5], "exit_price": [0.49, 0.45],
        "pnl_usd": [Decimal("0.12"), Decimal("-0.25")], "fees_usd": [Decimal("0.01")] * 2,
        "opened_ts_ms": [1, 2], "closed_ts_ms": [1_000, 2_000],
        "entry_reason": ["in a", "in b"], "exit_reason": ["out a", "out b"],
    })
    frame = tables.history_frame(history)
    assert list(frame["Market"]) == ["Q2", "Q1"]  # newest first
    assert list(frame["P&L"]) == ["-$0.25", "+$0.12"] and list(frame[""]) == ["❌", "✅"]
    assert tables.history_summary(history) == "2 trades: 1 win, 1 loss, total -$0.13 after $0.02 fees"
    assert tables.history_csv(history).splitlines()[1].startswith("b,")
    markets = [{"question": "A", "cusum_pos": 0.01, "cusum_neg": 0.0, "cusum_threshold": 0.03},
               {"question": "B", "cusum_pos": 0.0, "cusum_neg": 0.029, "cusum_threshold": 0.03}]
    assert [m["question"] for m in tables.closest_to_spike(markets, 1)] == ["B"]
