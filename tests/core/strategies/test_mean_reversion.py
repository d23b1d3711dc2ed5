"""mean_reversion: enters on a stretched z-score, exits when the price comes back, ignores calm."""

from __future__ import annotations

from bot.domain.signals import Decision
from tests.builders import T0, list_market, market, yes_no_books
from tests.core.strategies.helpers import runner_for


def _wiggle(runner, m, n, start, mid=0.50):  # type: ignore[no-untyped-def]
    ts = start
    for i in range(n):
        ts += 1000
        c = mid + (0.01 if i % 2 else -0.01)
        runner.run_cycle(ts, yes_no_books(m, round(c - 0.01, 2), round(c + 0.01, 2), ts))
    return ts


def test_a_drop_far_below_the_average_buys_yes_and_the_return_sells_it() -> None:
    runner = runner_for("mean_reversion", window_points=20, entry_z=2.0, exit_z=0.5)
    m = market()
    list_market(runner, m)
    ts = _wiggle(runner, m, 25, T0) + 1000
    runner.run_cycle(ts, yes_no_books(m, 0.44, 0.46, ts))  # mid 0.45, 5 std below 0.50
    engine = runner.engine
    assert list(engine.portfolio.positions) == ["m1-yes"]
    signal = engine.recent_signals[0]
    assert signal.strategy == "mean_reversion" and signal.decision is Decision.TRADED
    assert "standard deviations below" in signal.reason
    ts += 1000
    runner.run_cycle(ts, yes_no_books(m, 0.48, 0.50, ts))  # back to about the mean
    assert not engine.portfolio.positions
    assert engine.recent_trades[0].strategy == "mean_reversion"


def test_a_spike_above_buys_no_and_calm_markets_are_left_alone() -> None:
    runner = runner_for("mean_reversion", window_points=20)
    m = market()
    list_market(runner, m)
    ts = _wiggle(runner, m, 60, T0)
    assert not runner.engine.recent_signals  # wiggling inside its own range is no signal
    ts += 1000
    runner.run_cycle(ts, yes_no_books(m, 0.54, 0.56, ts))
    assert list(runner.engine.portfolio.positions) == ["m1-no"]
