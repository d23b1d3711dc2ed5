"""value_betting: buys below the reference by more than fees plus edge, sells when the value is taken."""

from __future__ import annotations

from bot.domain.signals import Decision
from tests.builders import T0, list_market, market, yes_no_books
from tests.core.strategies.helpers import runner_for


def test_a_cheap_token_is_bought_and_sold_when_the_price_reaches_the_reference() -> None:
    runner = runner_for("value_betting", references={"m1-yes": 0.60}, edge=0.03, exit_edge=0.02)
    m = market()
    list_market(runner, m)
    runner.run_cycle(T0 + 1000, yes_no_books(m, 0.50, 0.52, T0 + 1000))  # 8¢ of value
    engine = runner.engine
    assert list(engine.portfolio.positions) == ["m1-yes"]
    signal = engine.recent_signals[0]
    assert signal.strategy == "value_betting" and signal.decision is Decision.TRADED
    assert "worth 60.0¢" in signal.reason and "above the 3.0¢ threshold" in signal.reason
    runner.run_cycle(T0 + 2000, yes_no_books(m, 0.55, 0.57, T0 + 2000))  # bid 55¢: still 5¢ short
    assert list(engine.portfolio.positions) == ["m1-yes"]
    runner.run_cycle(T0 + 3000, yes_no_books(m, 0.58, 0.60, T0 + 3000))  # bid within 2¢ of 60¢
    assert not engine.portfolio.positions
    assert engine.recent_trades[0].strategy == "value_betting"


def test_fees_and_the_edge_threshold_keep_it_out() -> None:
    for fee_rate, traded in (("0", True), ("0.072", False)):
        runner = runner_for("value_betting", references={"m1-yes": 0.60}, edge=0.03)
        m = market(fee_rate=fee_rate)
        list_market(runner, m)
        # Ask 56¢: 4¢ under the reference; a 7.2% fee rate costs 1.8¢ a share, leaving less than 3¢.
        runner.run_cycle(T0 + 1000, yes_no_books(m, 0.54, 0.56, T0 + 1000))
        assert bool(runner.engine.portfolio.positions) is traded
    runner = runner_for("value_betting", references={"m1-yes": 0.60})
    m2 = market("m2")
    list_market(runner, m2)
    runner.run_cycle(T0 + 1000, yes_no_books(m2, 0.30, 0.32, T0 + 1000))  # no reference for m2: no view
    assert not runner.engine.portfolio.positions and not runner.engine.recent_signals


def test_a_reference_from_the_runtime_can_back_the_no_side() -> None:
    runner = runner_for("value_betting", edge=0.03)
    runner.engine.strategies["value_betting"].reference_fn = lambda token: 0.70 if token == "m1-no" else None
    m = market()
    list_market(runner, m)
    runner.run_cycle(T0 + 1000, yes_no_books(m, 0.48, 0.50, T0 + 1000))  # NO asks 52¢, worth 70¢
    assert list(runner.engine.portfolio.positions) == ["m1-no"]
