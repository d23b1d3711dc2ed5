"""``make bench`` section (d): backtest throughput, ticks per second through the full engine.

A seeded simulator recording of ``tokens`` tokens is written once (untimed), then replayed by
``run_backtest`` with spike_hunter on one core: decoding the recording, the paper executor, the
engine (tracker, detectors, strategies, risk, exits) and the per-cycle equity mark all count.
A second figure runs the same, already decoded, events through ``Runner.run_cycle`` alone, to
show how much of the time is the engine and how much is reading the file.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_TICKS_PER_S = 500_000
START_MS = 1_700_000_000_000


def _record(path: Path, tokens: int, cycles: int) -> int:
    from bot.adapters.feeds.recording import RecordingWriter
    from bot.adapters.feeds.sim import SimFeed
    from bot.domain.events import BookUpdate, MarketListed

    feed = SimFeed(tokens // 2, 5, START_MS, 1000, 0.002, 0.0)
    updates = 0
    with RecordingWriter(path) as writer:
        for _ in range(cycles):
            cycle = feed.next_cycle()
            if cycle is None:
                break
            for event in cycle.events:
                if isinstance(event, MarketListed):
                    writer.add_market(event.market)
                elif isinstance(event, BookUpdate):
                    writer.append(event)
                    updates += 1
    return updates


def bench_backtest(tokens: int = 1_000, cycles: int = 600) -> dict[str, Any]:
    from bot.adapters.feeds.recording import load_recording
    from bot.adapters.feeds.replay import ReplayFeed
    from bot.config.schema import Settings
    from bot.runtime.backtest import run_backtest
    from bot.runtime.bench import _one_core
    from bot.runtime.runner import Runner

    with tempfile.TemporaryDirectory() as tmp:
        rec = Path(tmp) / "rec"
        updates = _record(rec, tokens, cycles)
        settings = Settings()
        with _one_core() as cpu:
            run = run_backtest(settings, "spike_hunter", data=rec)
            feed = ReplayFeed(load_recording(rec), 1000)
            decoded = []
            while (cycle := feed.next_cycle()) is not None:
                decoded.append(cycle)
            from bot.adapters.executors.paper import PaperExecutor
            from bot.core.engine import Engine

            runner = Runner(Engine(settings), PaperExecutor())
            started = time.perf_counter()
            for cycle in decoded:
                runner.run_cycle(cycle.ts_ms, cycle.events)
            engine_s = time.perf_counter() - started
    per_s = run.ticks / run.seconds if run.seconds else 0.0
    return {
        "tokens": tokens, "cycles": run.cycles, "book_updates": updates, "signals": len(run.signals),
        "fills": len(run.fills), "backtest_s": round(run.seconds, 3), "ticks_per_s": round(per_s),
        "engine_only_ticks_per_s": round(updates / engine_s) if engine_s else None, "cpu": cpu,
        "cores": os.cpu_count(), "target_ticks_per_s": TARGET_TICKS_PER_S, "passed": per_s >= TARGET_TICKS_PER_S,
    }


def text(b: dict[str, Any]) -> list[str]:
    verdict = "PASS" if b["passed"] else "MISS"
    return [
        "",
        f"(d) Backtest throughput: spike_hunter over a {b['tokens']:,}-token recording "
        f"({b['book_updates']:,} book updates, {b['cycles']} cycles, {b['signals']} signals, {b['fills']} fills)",
        f"    full backtest (read recording + executor + engine + equity marks) {b['ticks_per_s']:>12,} ticks/s"
        f"   target >= {b['target_ticks_per_s']:,}   {verdict}",
        f"    engine + executor only (events decoded beforehand)                  "
        f"{b['engine_only_ticks_per_s']:>12,} ticks/s",
        f"    {b['cpu']}; sweeps run one backtest per process ({b['cores']} cores here)",
    ]
