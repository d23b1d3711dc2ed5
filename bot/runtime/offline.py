"""Run a bot flat out on its feed's own clock: golden runs, replays to completion, backtests.

Same Runner, same Engine, same executor as the real-time loop; only the pacing is absent.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.wiring import Bot


@dataclass(frozen=True)
class OfflineResult:
    cycles: int
    events: int
    last_ts_ms: int


def run_offline(bot: Bot, max_cycles: int | None = None) -> OfflineResult:
    """Drive ``bot`` until its feed ends (or ``max_cycles``), then export snapshots if it has a store."""
    cycles = events = 0
    last_ts = 0
    while max_cycles is None or cycles < max_cycles:
        cycle = bot.feed.next_cycle()
        if cycle is None:
            break
        bot.runner.run_cycle(cycle.ts_ms, cycle.events)
        cycles += 1
        events += len(cycle.events)
        last_ts = cycle.ts_ms
    if bot.store is not None and bot.data_dir is not None:
        bot.store.export_snapshots(bot.data_dir / "snapshots", last_ts)
    return OfflineResult(cycles, events, last_ts)
