"""Pure transforms behind the pages: trade filters and their URL form, P&L sums and drawdown,
signals and anomalies, the log viewer, the markets table and depth chart, strategy cards."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from bot.adapters.storage.read_model import arrow_schema
from ui import health, markets, pnl, signals, strategies
from ui import trade_filters as tf

DAY = 86_400_000
T0 = 1_795_000_000_000 - 1_795_000_000_000 % DAY  # a UTC midnight


def trades_table(rows: list[tuple[str, str, str, str, int]]) -> pa.Table:
    """(strategy, outcome, market_id, pnl, closed_ts_ms) rows as the snapshot's Arrow table."""
    schema = arrow_schema("trades")
    data = {f.name: [] for f in schema}
    for i, (strategy, outcome, market_id, pnl_usd, closed) in enumerate(rows):
        values = {"trade_id": f"t{i}", "market_id": market_id, "question": f"Q {market_id}", "token_id": f"{market_id}-x",
                  "outcome": outcome, "strategy": strategy, "shares": Decimal(5), "entry_price": Decimal("0.5"),
                  "exit_price": Decimal("0.5"), "cost_usd": Decimal("2.5"), "proceeds_usd": Decimal("2.5"),
                  "pnl_usd": Decimal(pnl_usd), "fees_usd": Decimal("0.01"), "opened_ts_ms": closed - 1000,
                  "closed_ts_ms": closed, "entry_reason": "in", "exit_reason": "out"}
        for name in data:
            data[name].append(values[name])
    return pa.table(data, schema=schema)


TRADES = trades_table([
    ("spike_hunter", "Yes", "m1", "0.10", T0 + 1000),
    ("spike_hunter", "No", "m2", "-0.30", T0 + DAY + 1000),
    ("manual", "No", "m1", "0.25", T0 + 2 * DAY + 1000),
])


def test_filter_round_trips_through_the_url_and_tolerates_junk() -> None:
    f = tf.TradeFilter(("spike_hunter",), ("No",), "m2", date(2026, 11, 20), date(2026, 11, 21), 3)
    assert tf.TradeFilter.from_query(f.to_query()) == f
    assert tf.TradeFilter().to_query() == {}
    junk = tf.TradeFilter.from_query({"page": "x", "from": "2026-13-40", "to": "2026-11-01", "side": ["Yes,No", " "]})
    assert junk.page == 1 and junk.start is None and junk.end == date(2026, 11, 1) and junk.sides == ("Yes", "No")
    swapped = tf.TradeFilter.from_query({"from": "2026-11-05", "to": "2026-11-01"})
    assert (swapped.start, swapped.end) == (date(2026, 11, 1), date(2026, 11, 5))


def test_arrow_and_pandas_filters_agree_and_sort_newest_first() -> None:
    day1 = pd.Timestamp(T0 + DAY, unit="ms", tz="UTC").date()
    cases = [tf.TradeFilter(), tf.TradeFilter(strategies=("spike_hunter",)), tf.TradeFilter(sides=("no",)),
             tf.TradeFilter(market_id="m1"), tf.TradeFilter(start=day1, end=day1), tf.TradeFilter(start=day1)]
    expected = [["t2", "t1", "t0"], ["t1", "t0"], ["t2", "t1"], ["t2", "t0"], ["t1"], ["t2", "t1"]]
    for f, ids in zip(cases, expected, strict=True):
        assert tf.apply_arrow(TRADES, f)["trade_id"].to_pylist() == ids, f
        assert tf.apply(TRADES.to_pandas(), f)["trade_id"].tolist() == ids, f


def test_date_range_uses_the_viewers_time_zone() -> None:
    # Just after midnight UTC is still the evening before in New York.
    ny_day = pd.Timestamp(T0 + DAY + 1000, unit="ms", tz="UTC").tz_convert("America/New_York").date()
    f = tf.TradeFilter(start=ny_day, end=ny_day)
    assert tf.apply_arrow(TRADES, f, "America/New_York")["trade_id"].to_pylist() == ["t1"]
    assert tf.apply_arrow(TRADES, f, "UTC")["trade_id"].to_pylist() == ["t0"]


def test_pages_and_summary() -> None:
    rows = pd.DataFrame({"x": range(120)})
    assert tf.page_count(120) == 3 and tf.page_count(0) == 1
    assert tf.page_of(rows, 3)["x"].tolist() == list(range(100, 120))
    assert tf.page_of(rows, 99)["x"].tolist() == list(range(100, 120))
    assert tf.summary(TRADES) == "3 trades: 2 wins, 1 loss, total +$0.05 after $0.03 fees"
    assert tf.summary(TRADES.slice(0, 0)) == "No closed trades yet."


def test_pnl_sums_are_exact_per_day_and_strategy() -> None:
    days = pnl.daily(TRADES)
    assert days["pnl"].tolist() == [Decimal("0.10"), Decimal("-0.30"), Decimal("0.25")]
    assert days["trades"].tolist() == [1, 1, 1] and days["wins"].tolist() == [1, 0, 1]
    fills = pa.table({"strategy": ["spike_hunter", "spike_hunter", "manual"],
                      "fee_usd": pa.array([Decimal("0.01"), Decimal("0.02"), Decimal("0.04")], pa.decimal128(18, 6))})
    table = pnl.attribution(TRADES, [{"strategy": "manual", "unrealised_usd": "-0.05"}], fills)
    rows = {r["Strategy"]: r for r in table.to_dict("records")}
    assert rows["manual"]["Total P&L"] == "+$0.20" and rows["manual"]["Fees paid"] == "$0.04"
    assert rows["spike_hunter"]["Realised P&L"] == "-$0.20" and rows["spike_hunter"]["Win rate"] == "50%"
    assert pnl.fees_total(fills) == Decimal("0.07")


def test_drawdown_against_the_running_peak() -> None:
    assert np.allclose(pnl.drawdown_pct([100, 110, 99, 121, 121]), [0, 0, 10, 0, 0])
    fig = pnl.equity_chart(list(range(20_000)), list(np.sin(np.arange(20_000))), 1.0)
    assert len(fig.data[0].x) <= 5_000  # downsampled


def test_signal_layers_decisions_and_anomalies() -> None:
    layers = json.dumps([{"name": "cusum", "value": 0.041, "threshold": 0.03, "passed": True},
                         {"name": "liquidity", "value": 20.0, "threshold": 50.0, "passed": False}])
    assert signals.layers_text(layers) == "cusum 0.041 vs 0.030 ✓ · liquidity 20.000 vs 50.000 ✗"
    assert signals.layers_text("not json") == "—"
    frame = pd.DataFrame({"signal_id": ["a", "b", "c"], "ts_ms": [1, 2, 3], "strategy": ["s", "s", "t"],
                          "market_id": ["m1", "m1", "m2"], "token_id": ["x", "x", "y"], "direction": ["up"] * 3,
                          "price": [0.5] * 3, "move": [0.01] * 3, "decision": ["traded", "refused", "layers_disagree"],
                          "reason": ["r1", "r2", "r3"], "layers_json": [layers] * 3})
    kept = signals.filter_signals(frame, decisions=["refused", "layers_disagree"], search="lakers",
                                  questions={"m1": "Lakers win?", "m2": "Snow?"})
    assert kept["signal_id"].tolist() == ["b"]
    missed = signals.untraded_spikes(frame, {"m1": "Lakers win?"})
    assert missed.to_dict("records") == [{"Market": "Lakers win?", "Spikes not traded": 1, "Latest reason": "r2"},
                                         {"Market": "m2", "Spikes not traded": 1, "Latest reason": "r3"}]
    bars = pd.DataFrame({"token_id": ["x"] * 30, "minute_ts_ms": [i * 60_000 for i in range(30)],
                         "ticks": [4] * 25 + [40] * 5})
    surge = signals.volume_surges(bars, {"x": "Lakers win? (Yes)"})
    assert surge.to_dict("records") == [{"Market": "Lakers win? (Yes)", "Updates / min now": 40.0,
                                         "Usual / min": 4.0, "Times usual": "10.0×"}]
    faults = signals.data_faults({"counters": {"dropped": {"bad_book": 3, "unknown_token": 0}},
                                  "feed": {"status": "degraded", "last_event_age_s": 45}, "config_error": "x"})
    assert faults == ["3 updates dropped as bad book", "Feed status: degraded", "No market data for 45 s",
                      "The last config change was refused; the old settings stay in force"]


def test_log_viewer_folds_tracebacks_filters_and_tails() -> None:
    lines = ["Traceback tail from a cut-off record",
             "2026-11-22 01:00:00,001 INFO polybot.loop: started",
             "2026-11-22 01:00:01,002 ERROR polybot.feed: fetch failed",
             "Traceback (most recent call last):", "  ValueError: boom",
             "2026-11-22 01:00:02,003 WARNING polybot.risk: daily loss at 80%"]
    records = health.parse_log(lines)
    assert [r.level for r in records] == ["INFO", "ERROR", "WARNING"]
    assert records[1].message.endswith("ValueError: boom")
    assert [r.level for r in health.filter_log(records, ["ERROR", "WARNING"])] == ["WARNING", "ERROR"]
    assert [r.logger for r in health.filter_log(records, search="BOOM")] == ["polybot.feed"]
    assert len(health.filter_log(records, tail=1)) == 1 and health.last_errors(records)[0].logger == "polybot.feed"
    assert health.human_bytes(5 * 2**20) == "5.0 MB"


def test_markets_table_search_watch_flag_and_depth() -> None:
    table = pd.DataFrame({"market_id": ["m1", "m2"], "question": ["Lakers win?", "Snow in London?"],
                          "token_id_a": ["m1-y", "m2-y"], "token_id_b": ["m1-n", "m2-n"],
                          "outcome_a": ["Yes", "Yes"], "outcome_b": ["No", "No"], "volume_24h_usd": [10.0, 500.0],
                          "liquidity_usd": [1.0, 2.0], "end_ts_ms": [T0, None]})
    watched = [{"market_id": "m1", "price": 0.55, "spread": 0.02}]
    frame = markets.browse_frame(table, watched, {"m2-y": 0.12})
    assert frame["market_id"].tolist() == ["m2", "m1"]  # busiest first
    assert frame.iloc[0][["Yes", "No", "Watched"]].tolist() == ["12¢", "88¢", ""]
    assert frame.iloc[1][["Yes", "Spread", "Watched"]].tolist() == ["55¢", "2¢", "👁 watching"]
    assert markets.browse_frame(table, watched, {}, search="snow")["market_id"].tolist() == ["m2"]
    assert markets.browse_frame(table, watched, {}, watched_only=True)["market_id"].tolist() == ["m1"]
    fig = markets.depth_chart([[0.50, 100], [0.49, 50]], [[0.52, 30]])
    assert list(fig.data[0].y) == [100, 150] and list(fig.data[0].x) == [50, 49] and list(fig.data[1].y) == [30]


def test_strategy_cards_cover_every_configured_strategy_and_manual_trades() -> None:
    config = {"spike_hunter": {"enabled": True, "max_capital_usd": 75, "direction": "fade"},
              "momentum": {"enabled": False, "max_capital_usd": 20}}
    empty_signals = pa.table({"strategy": pa.array([], pa.string()), "decision": pa.array([], pa.string())})
    fills = pa.table({"strategy": pa.array([], pa.string()), "fee_usd": pa.array([], pa.decimal128(18, 6))})
    cards = strategies.cards(config, TRADES, [{"strategy": "spike_hunter", "unrealised_usd": "-0.1", "cost_usd": "3"}],
                             fills, empty_signals)
    assert [c.name for c in cards] == ["spike_hunter", "momentum", "manual"]
    spike = dict(cards[0].metrics)
    assert spike["Closed trades"] == "2" and spike["Open positions"] == "1 (-$0.10)" and cards[0].enabled is True
    assert cards[0].params == {"max_capital_usd": 75, "direction": "fade"}
    assert strategies.allocation_sentence(cards[0]) == "$3.00 of its $75.00 in open trades (4%)"
    assert cards[2].enabled is None


@pytest.mark.parametrize("value", [0.03, 2.5, 50, 0.0002])
def test_float_steps_land_on_the_current_value(value: float) -> None:
    from ui.settings_form import _float_step

    step = _float_step(value, 0, 100)
    assert abs(round(value / step) * step - value) < 1e-12
