"""Crash-only for per-strategy safety: a strategy that switched itself off is still off after a
restart on the same store (its journal entry is the record), until the user presses Resume."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from bot.adapters.executors.paper import PaperExecutor
from bot.adapters.storage.duckdb_store import Store
from bot.core.engine import Engine
from bot.core.report import build_state
from bot.domain.events import Command, CommandKind
from bot.runtime.runner import Runner
from bot.wiring import recover
from tests.builders import market, yes_no_books
from tests.core.strategies.helpers import calm_then_dip, only


def _restart(path: Path, settings) -> Runner:  # type: ignore[no-untyped-def]
    store = Store(path, 64, 1)
    engine = Engine(settings)
    recover(engine, store)
    return Runner(engine, PaperExecutor(settings.execution.latency_ms), store)


def test_a_switched_off_strategy_stays_off_after_a_restart_until_resume(tmp_path: Path) -> None:
    settings = only("mean_reversion", window_points=20, max_loss_usd=Decimal("0.2"))
    path = tmp_path / "polybot.duckdb"
    runner = _restart(path, settings)
    m = market()
    ts = calm_then_dip(runner, m)  # mean_reversion buys YES around 0.46-0.49
    ts += 1000
    runner.run_cycle(ts, yes_no_books(m, 0.40, 0.42, ts))
    why = runner.engine.safety.disabled["mean_reversion"]
    runner.store.close()

    again = _restart(path, settings)
    assert again.engine.safety.disabled == {"mean_reversion": why}
    assert build_state(again.engine)["strategies_disabled"] == {"mean_reversion": why}  # and the dashboard says so
    ts += 1000
    again.run_cycle(ts, [], [Command(ts, "resume-1", CommandKind.RESUME)])
    assert not again.engine.safety.disabled
    again.store.close()

    resumed = _restart(path, settings)
    assert "mean_reversion" not in resumed.store.strategies_disabled(), "Resume is remembered too"
    resumed.store.close()
