"""momentum: rides a confirmed trend, ignores a single jump, exits when the trend turns."""

from __future__ import annotations

from tests.builders import T0, list_market, market, yes_no_books
from tests.core.strategies.helpers import runner_for


def _walk(runner, m, mids, start):  # type: ignore[no-untyped-def]
    ts = start
    for mid in mids:
        ts += 1000
        runner.run_cycle(ts, yes_no_books(m, round(mid - 0.01, 2), round(mid + 0.01, 2), ts))
    return ts


def test_a_confirmed_up_trend_buys_yes_and_a_turn_sells_it() -> None:
    runner = runner_for("momentum", window_points=5, min_move=0.04, confirm_points=3)
    m = market()
    list_market(runner, m)
    ts = _walk(runner, m, [0.50, 0.50, 0.50, 0.51, 0.52, 0.53, 0.54], T0)
    engine = runner.engine
    assert list(engine.portfolio.positions) == ["m1-yes"]
    assert "rose 4.0¢ over 5 updates" in engine.recent_signals[0].reason
    _walk(runner, m, [0.53, 0.52], ts)
    assert engine.portfolio.positions, "two falls are not yet a turn"
    _walk(runner, m, [0.51], ts + 2000)
    assert not engine.portfolio.positions
    assert "trend turned" in engine.recent_trades[0].exit_reason


def test_a_single_jump_without_confirmation_is_not_traded() -> None:
    runner = runner_for("momentum", window_points=5, min_move=0.03, confirm_points=3)
    m = market()
    list_market(runner, m)
    _walk(runner, m, [0.50, 0.51, 0.50, 0.51, 0.50, 0.51, 0.55, 0.55], T0)
    assert not runner.engine.portfolio.positions


def test_a_confirmed_down_trend_buys_no() -> None:
    runner = runner_for("momentum", window_points=4, min_move=0.03, confirm_points=3)
    m = market()
    list_market(runner, m)
    _walk(runner, m, [0.60, 0.60, 0.59, 0.58, 0.57, 0.56], T0)
    assert list(runner.engine.portfolio.positions) == ["m1-no"]
