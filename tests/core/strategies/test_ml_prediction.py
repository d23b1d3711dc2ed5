"""ml_prediction: acts on the prediction function the runtime hands it, on the model's sample grid."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.features import FeatureState
from tests.builders import T0, list_market, market, yes_no_books
from tests.core.strategies.helpers import runner_for


class Oracle:
    """A stand-in model: returns ``p`` and remembers every feature vector it was asked about."""

    def __init__(self, p: float) -> None:
        self.p = p
        self.asked: list[tuple[float, ...]] = []

    def __call__(self, vector: Sequence[float]) -> float:
        self.asked.append(tuple(vector))
        return self.p


def _runner(p: float):  # type: ignore[no-untyped-def]
    runner = runner_for("ml_prediction", min_probability=0.65, exit_probability=0.5)
    oracle = Oracle(p)
    runner.engine.strategies["ml_prediction"].attach(oracle, 60)
    m = market()
    list_market(runner, m)
    return runner, m, oracle


def test_a_confident_rise_buys_yes_and_a_turned_prediction_sells_it() -> None:
    runner, m, oracle = _runner(0.8)
    start = (T0 // 60_000 + 1) * 60_000
    runner.run_cycle(start, yes_no_books(m, 0.49, 0.51, start))
    engine = runner.engine
    assert list(engine.portfolio.positions) == ["m1-yes"]
    assert "model gives 80% that Yes rises" in engine.recent_signals[0].reason
    oracle.p = 0.3
    runner.run_cycle(start + 30_000, yes_no_books(m, 0.49, 0.51, start + 30_000))  # between grid times: no new call
    assert len(oracle.asked) == 1 and engine.portfolio.positions
    runner.run_cycle(start + 60_000, yes_no_books(m, 0.49, 0.51, start + 60_000))
    assert len(oracle.asked) == 2 and not engine.portfolio.positions
    assert engine.recent_trades[0].strategy == "ml_prediction"
    # The vectors are exactly what the training code computes from the same samples.
    state = FeatureState(60)
    assert oracle.asked[0] == state.update(start, 0.49, 0.51, 500.0, 500.0, None)
    assert oracle.asked[1] == state.update(start + 60_000, 0.49, 0.51, 500.0, 500.0, None)


def test_a_confident_fall_buys_no_and_an_unsure_model_stays_out() -> None:
    runner, m, _ = _runner(0.2)
    runner.run_cycle(T0 + 1000, yes_no_books(m, 0.49, 0.51, T0 + 1000))
    assert list(runner.engine.portfolio.positions) == ["m1-no"]
    runner, m, _ = _runner(0.6)
    runner.run_cycle(T0 + 1000, yes_no_books(m, 0.49, 0.51, T0 + 1000))
    assert not runner.engine.portfolio.positions and not runner.engine.recent_signals


def test_without_a_model_it_never_trades() -> None:
    runner = runner_for("ml_prediction")
    m = market()
    list_market(runner, m)
    runner.run_cycle(T0 + 1000, yes_no_books(m, 0.49, 0.51, T0 + 1000))
    assert not runner.engine.recent_signals
