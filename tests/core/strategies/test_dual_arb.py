"""dual_arb: buys both legs when the pair is cheap, stays out when it is not, never keeps one leg."""

from __future__ import annotations

from decimal import Decimal

from bot.adapters.executors.paper import PaperExecutor
from bot.core.engine import Engine
from bot.domain.book import Book
from bot.domain.events import BookUpdate, Resolution
from bot.domain.market import binary_market
from bot.domain.signals import Decision
from bot.runtime.runner import Runner
from tests.builders import T0, list_market, market
from tests.core.strategies.helpers import books, only, runner_for


def test_a_pair_under_a_dollar_after_fees_is_bought_on_both_legs_with_equal_shares() -> None:
    runner = runner_for("dual_arb")
    m = market(fee_rate="0.02")
    list_market(runner, m)
    runner.run_cycle(T0 + 1000, books(m, (0.44, 0.46), (0.50, 0.52), T0 + 1000))  # 0.46 + 0.52 = 0.98
    positions = runner.engine.portfolio.positions
    assert set(positions) == {"m1-yes", "m1-no"}
    assert runner.engine.recent_signals[0].decision is Decision.TRADED
    assert "all or nothing" in runner.engine.recent_signals[0].reason
    fills = [n for n in runner.notifications if n.kind.value == "entry"]
    assert len(fills) == 2
    assert "Bought 5.10 Yes" in fills[0].text and "Bought 5.10 No" in fills[1].text  # $5 / 0.98 -> 5.10 each
    # Held to resolution: a later price move triggers no generic stop.
    runner.run_cycle(T0 + 2000, books(m, (0.10, 0.12), (0.86, 0.88), T0 + 2000))
    assert set(runner.engine.portfolio.positions) == {"m1-yes", "m1-no"}
    runner.run_cycle(T0 + 3000, [Resolution(T0 + 3000, "m1", (("m1-yes", Decimal(1)), ("m1-no", Decimal(0))))])
    assert not runner.engine.portfolio.positions
    assert runner.engine.portfolio.realised_total > 0  # paid < $1 per pair, received $1


def test_no_trade_when_fees_and_buffer_eat_the_edge() -> None:
    runner = runner_for("dual_arb", buffer=0.005)
    m = market(fee_rate="0.10")  # fees 0.1*(.46*.54 + .52*.48) ~ 0.0498 > the 2¢ gap
    list_market(runner, m)
    runner.run_cycle(T0 + 1000, books(m, (0.44, 0.46), (0.50, 0.52), T0 + 1000))
    runner.run_cycle(T0 + 2000, books(m, (0.48, 0.50), (0.49, 0.51), T0 + 2000))  # 1.01: no gap at all
    assert not runner.engine.portfolio.positions
    assert not runner.engine.recent_signals


def test_a_leg_that_fails_is_never_left_alone() -> None:
    """The NO book empties between decision and execution (50 ms latency): YES fills, NO is killed,
    and the engine sells the YES leg straight away."""
    settings = only("dual_arb")
    settings = settings.model_copy(update={"execution": settings.execution.model_copy(update={"latency_ms": 50})})
    runner = Runner(Engine(settings), PaperExecutor(50))
    m = market()
    list_market(runner, m)
    runner.run_cycle(T0 + 1000, books(m, (0.44, 0.46), (0.50, 0.52), T0 + 1000))
    yes, no = m.tokens
    t = T0 + 1060
    runner.run_cycle(t, [BookUpdate(t, Book(no.token_id, t, ((0.50, 500.0),), ((0.52, 1.0),))),
                         BookUpdate(t, Book(yes.token_id, t, ((0.44, 500.0),), ((0.46, 500.0),)))])
    engine = runner.engine
    assert set(engine.inflight) == {yes.token_id}, "YES filled alone; its unwinding sell must be on its way"
    t += 100  # the unwinding sell waits out the same latency
    runner.run_cycle(t, [BookUpdate(t, Book(yes.token_id, t, ((0.44, 500.0),), ((0.46, 500.0),)))])
    assert not engine.portfolio.positions, "the filled YES leg must have been unwound"
    trade = engine.recent_trades[0]
    assert trade.token_id == yes.token_id and "unwinding" in trade.exit_reason
    assert not engine._legs and not engine._leg_status


def test_neg_risk_group_buys_every_yes_when_they_sum_under_a_dollar() -> None:
    runner = runner_for("dual_arb", neg_risk_groups=True)
    ms = [binary_market(f"g{i}", f"Candidate {i}?", (f"g{i}-yes", f"g{i}-no"), neg_risk=True, neg_risk_group="race")
          for i in range(3)]
    for mk in ms:
        list_market(runner, mk)
    t = T0 + 1000
    runner.run_cycle(t, [u for mk, ask in zip(ms, (0.30, 0.30, 0.35), strict=True)
                         for u in books(mk, (ask - 0.02, ask), (1 - ask - 0.01, 1 - ask + 0.05), t)])
    assert set(runner.engine.portfolio.positions) == {"g0-yes", "g1-yes", "g2-yes"}
