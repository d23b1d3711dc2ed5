"""The registry finds every strategy module; a strategy past its own loss limit switches itself off."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bot.config.schema import Strategies
from bot.core.strategies.registry import build_strategies, strategy_classes
from bot.domain.actions import Notify
from bot.domain.signals import Decision
from tests.builders import market, yes_no_books
from tests.core.strategies.helpers import calm_then_dip, runner_for


def test_every_module_of_the_package_is_registered_and_spike_hunter_runs_first() -> None:
    package = Path(__file__).resolve().parents[3] / "bot" / "core" / "strategies"
    modules = {p.stem for p in package.glob("*.py")} - {"__init__", "base", "registry", "safety"}
    names = list(strategy_classes())
    assert set(names) == modules, "a strategy module is missing from bot/core/strategies/registry.py"
    assert names[0] == "spike_hunter"
    assert set(Strategies.model_fields) <= set(names)
    assert list(build_strategies({"spike_hunter", "momentum"})) == ["spike_hunter", "momentum"]
    with pytest.raises(ValueError, match="no code"):
        build_strategies({"spike_hunter", "not_written_yet"})


def test_a_strategy_past_its_loss_limit_is_switched_off_recorded_and_notified() -> None:
    runner = runner_for("mean_reversion", window_points=20, max_loss_usd=Decimal("0.2"))
    m = market()
    ts = calm_then_dip(runner, m)  # mean_reversion buys YES around 0.46-0.49
    assert list(runner.engine.portfolio.positions) == ["m1-yes"]
    ts += 1000
    runner.run_cycle(ts, yes_no_books(m, 0.40, 0.42, ts))  # open loss ~ 6 shares x 6¢ > $0.20
    engine = runner.engine
    assert "mean_reversion" in engine.safety.disabled
    assert "lost" in engine.safety.disabled["mean_reversion"]
    assert any(isinstance(n, Notify) and "switched itself off" in n.text for n in runner.notifications)
    # New entries are refused with that reason; Resume re-arms it.
    for _ in range(3):
        ts += 1000
        runner.run_cycle(ts, yes_no_books(m, 0.30, 0.32, ts))
    refused = [s for s in engine.recent_signals if s.decision is Decision.REFUSED and "switched itself off" in s.reason]
    assert refused, "a new entry while switched off is refused with the reason"
    assert not any(s.decision is Decision.TRADED for s in engine.recent_signals if s.ts_ms > ts - 3000)
    from bot.domain.events import Command, CommandKind

    runner.run_cycle(ts + 1000, [], [Command(ts + 1000, "c1", CommandKind.RESUME)])
    assert not engine.safety.disabled
