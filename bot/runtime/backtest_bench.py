"""``make bench`` section (d): backtest throughput, ticks per second through the full engine.

A seeded simulator recording of ``tokens`` tokens is written once (untimed), then replayed by
``run_backtest`` with spike_hunter on one core: decoding the recording, the paper executor, the
engine (tracker, detectors, strategies, risk, exits) and the per-cycle equity mark all count.
The headline figure is the cycle loop (feed, executor, engine, equity marks); a second one also
counts loading, validating and decoding the recording, and a third runs the already decoded cycles
through ``Runner.run_cycle`` alone. Last, a small ``--sweep`` grid runs with one worker and then
with one per core, to show how sweeps scale.
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


def bench_backtest(tokens: int = 1_000, cycles: int = 600, sweep_points: int = 4) -> dict[str, Any]:
    from bot.adapters.executors.paper import PaperExecutor
    from bot.adapters.feeds.recording import load_recording
    from bot.adapters.feeds.replay import ReplayFeed
    from bot.config.schema import Settings
    from bot.core.engine import Engine
    from bot.runtime.backtest import run_backtest
    from bot.runtime.backtest_sweep import sweep
    from bot.runtime.bench import _one_core
    from bot.runtime.runner import Runner

    with tempfile.TemporaryDirectory() as tmp:
        rec = Path(tmp) / "rec"
        updates = _record(rec, tokens, cycles)
        settings = Settings()
        with _one_core() as cpu:
            started = time.perf_counter()
            run = run_backtest(settings, "spike_hunter", data=rec)
            whole_s = time.perf_counter() - started  # also reading, validating and decoding the file
            feed = ReplayFeed(load_recording(rec), 1000)
            decoded = []
            while (cycle := feed.next_cycle()) is not None:
                decoded.append(cycle)
            runner = Runner(Engine(settings), PaperExecutor())
            started = time.perf_counter()
            for cycle in decoded:
                runner.run_cycle(cycle.ts_ms, cycle.events)
            engine_s = time.perf_counter() - started
        # Sweeps: the same grid with one worker, then one per core (each point is its own process).
        grid = [{"direction": ("fade", "follow")[i % 2], "max_loss_usd": 10 + 10 * (i // 2)}
                for i in range(sweep_points)]
        sweep_s = {}
        for workers in sorted({1, os.cpu_count() or 1}):
            started = time.perf_counter()
            sweep(settings, "spike_hunter", {}, grid, data=rec, sim_cycles=None, workers=workers)
            sweep_s[workers] = time.perf_counter() - started
    per_s = run.ticks / run.seconds if run.seconds else 0.0
    serial, parallel = sweep_s[1], sweep_s[max(sweep_s)]
    return {
        "tokens": tokens, "cycles": run.cycles, "book_updates": updates, "signals": len(run.signals),
        "fills": len(run.fills), "backtest_s": round(run.seconds, 3), "ticks_per_s": round(per_s),
        "end_to_end_ticks_per_s": round(run.ticks / whole_s) if whole_s else None,
        "engine_only_ticks_per_s": round(updates / engine_s) if engine_s else None, "cpu": cpu,
        "cores": os.cpu_count(), "target_ticks_per_s": TARGET_TICKS_PER_S, "passed": per_s >= TARGET_TICKS_PER_S,
        "sweep_points": sweep_points, "sweep_s": {str(k): round(v, 2) for k, v in sweep_s.items()},
        "sweep_speedup": round(serial / parallel, 2) if parallel else None,
    }


def text(b: dict[str, Any]) -> list[str]:
    verdict = "PASS" if b["passed"] else "MISS"
    sweep = ", ".join(f"{k} worker{'s' if k != '1' else ''} {v:.1f} s" for k, v in b["sweep_s"].items())
    return [
        "",
        f"(d) Backtest throughput: spike_hunter over a {b['tokens']:,}-token recording "
        f"({b['book_updates']:,} book updates, {b['cycles']} cycles, {b['signals']} signals, {b['fills']} fills)",
        f"    backtest cycle loop (feed + paper executor + engine + equity marks) {b['ticks_per_s']:>10,} ticks/s"
        f"   target >= {b['target_ticks_per_s']:,}   {verdict}",
        f"    end to end, also reading + validating + decoding the Parquet file    "
        f"{b['end_to_end_ticks_per_s']:>10,} ticks/s",
        f"    engine + executor only (cycles decoded beforehand)                   "
        f"{b['engine_only_ticks_per_s']:>10,} ticks/s",
        f"    {b['cpu']}",
        f"    sweep of {b['sweep_points']} grid points, one process per point: {sweep} "
        f"(x{b['sweep_speedup']} on {b['cores']} cores)",
    ]
