"""Markets come and go for ever; the engine must forget the finished ones (memory stays flat)."""

from __future__ import annotations

from bot.config.schema import Settings, Sim
from bot.runtime.offline import run_offline
from bot.wiring import build


def test_resolved_markets_are_forgotten_once_nothing_is_held_in_them() -> None:
    # Resolutions every few minutes per market: over an hour most markets are replaced.
    settings = Settings(sim=Sim(seed=3, markets=30, resolution_probability=0.002))
    bot = build(settings, "sim", None, start_ts_ms=1_800_000_000_000)
    run_offline(bot, max_cycles=3600)
    engine = bot.engine
    assert bot.feed.markets, "the simulator keeps a constant set of live markets"
    live = {m.market_id for m in bot.feed.markets}
    held = {p.market_id for p in engine.portfolio.positions.values()}
    assert engine.counters["events"] > 0
    assert set(engine.markets) <= live | held  # about 200 markets resolved during the hour
    assert len(engine.tokens) == 2 * len(engine.markets)
    assert len(engine.detectors) == len(engine.markets)
    assert engine.series._used <= len(engine.markets) + 30  # rows are reused, not appended for ever
