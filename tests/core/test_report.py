"""bot/core/report.py: a strategy its own safety switched off is published in state.json with the
plain-English reason, and leaves it again on Resume."""

from __future__ import annotations

import json
from decimal import Decimal

from bot.core.report import build_state
from bot.domain.events import Command, CommandKind
from tests.builders import T0, list_market, market, yes_no_books
from tests.core.strategies.helpers import runner_for


def test_a_strategy_past_its_loss_limit_appears_in_the_state_until_resume() -> None:
    runner = runner_for("mean_reversion", window_points=20, max_loss_usd=Decimal("0.2"))
    engine = runner.engine
    m = market()
    list_market(runner, m)
    ts = T0
    for i in range(25):  # a calm, wobbling market teaches the rolling mean
        ts += 1000
        c = 0.50 + (0.01 if i % 2 else -0.01)
        runner.run_cycle(ts, yes_no_books(m, round(c - 0.01, 2), round(c + 0.01, 2), ts))
    assert build_state(engine)["strategies_disabled"] == {}
    ts += 1000
    runner.run_cycle(ts, yes_no_books(m, 0.44, 0.46, ts))  # far below the mean: buys YES
    assert engine.portfolio.positions, "the scenario needs an open position to lose on"
    ts += 1000
    runner.run_cycle(ts, yes_no_books(m, 0.40, 0.42, ts))  # open loss past the $0.20 limit
    state = json.loads(json.dumps(build_state(engine)))  # exactly what lands in state.json
    why = state["strategies_disabled"]["mean_reversion"]
    assert list(state["strategies_disabled"]) == ["mean_reversion"]
    assert why.startswith("mean_reversion switched itself off: it has lost $0.") and "at its $0.20 limit" in why
    runner.run_cycle(ts + 1000, [], [Command(ts + 1000, "c1", CommandKind.RESUME)])
    assert build_state(engine)["strategies_disabled"] == {}
