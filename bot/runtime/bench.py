"""The benchmark behind ``python -m bot bench``: detector throughput, engine cycle time, peak memory.

Three figures, each against the target the 1 GiB t3.micro deployment needs:

(a) detector throughput: our incremental detectors (the engine's ``DetectorBank``, one numpy round
    per cycle over every token; ``SpikeDetector`` is its one-token specification) versus the naive
    design it replaced in the plan (keep each token's price history, re-run pandas ``ewm`` over it
    on every tick), on the same generated stream; both must raise the same alarms and agree on
    every value to 1e-9;
(b) one engine cycle (``Runner.run_cycle``: executor, engine, no store) at 1,000 and 10,000 tokens
    of the seeded simulator, detectors warm, pinned to one core where the OS allows;
(c) the bot's peak RSS at 10,000 tokens, measured in a child process so this process's own
    allocations do not count: once as engine + runner only, once as the real loop with its DuckDB
    store, state.json and Parquet snapshots in a temporary directory.

A benchmark measures; it asserts nothing about time. ``tests/runtime/test_bench.py`` checks the
structure and the identical-signals check only.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

START_TS_MS = 1_700_000_000_000
SIM_SEED = 1
STREAM_SEED = 7

TARGET_RATIO = 100.0  # ours / naive pandas reference, token-ticks per second
TARGET_CYCLE_MS = 100.0  # one 10,000-token cycle
TARGET_RSS_MB = 250.0  # the whole bot at 10,000 tokens


# --------------------------------------------------------------------------------------------
# helpers


@contextmanager
def _one_core() -> Iterator[str]:
    """Pin this thread to one CPU for the timed part (Linux), then restore; yields a note."""
    getter = getattr(os, "sched_getaffinity", None)
    setter = getattr(os, "sched_setaffinity", None)
    if getter is None or setter is None:
        yield "not pinned (no sched_setaffinity); single-threaded Python"
        return
    before = getter(0)
    core = min(before)
    try:
        setter(0, {core})
    except OSError:
        yield "not pinned (sched_setaffinity refused); single-threaded Python"
        return
    try:
        yield f"pinned to CPU {core}"
    finally:
        setter(0, before)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def _settings() -> Any:
    """The shipped config (defaults if it is missing or broken), with market filters wide open so
    the token count is exactly what we ask for."""
    from bot.config.loader import load_settings
    from bot.config.schema import ConfigError, Filters, Settings

    try:
        settings = load_settings()
    except ConfigError:
        settings = Settings()
    return settings.model_copy(update={"filters": Filters(min_daily_volume_usd=0, min_liquidity_usd=0,
                                                          max_markets=20000)})


def _verdict(passed: bool) -> str:
    return "PASS" if passed else "MISS"


# --------------------------------------------------------------------------------------------
# (a) detector throughput


def make_stream(tokens: int, ticks: int, seed: int = STREAM_SEED) -> list[list[float]]:
    """``ticks`` rows of ``tokens`` mid prices: a random walk in [0.05, 0.95] (the mid moves on
    about 30% of ticks) with rare 5-15 cent jumps, on a 0.001 grid (mids of tick-sized books, so
    repeated prices happen as in real data)."""
    import numpy as np

    rng = np.random.Generator(np.random.PCG64(seed))
    price = rng.uniform(0.2, 0.8, tokens)
    rows = np.empty((ticks, tokens))
    for t in range(ticks):
        step = rng.normal(0.0, 0.002, tokens) * (rng.random(tokens) < 0.3)  # most ticks leave the mid alone
        jump = rng.random(tokens) < 0.002
        step[jump] += rng.choice((-1.0, 1.0), int(jump.sum())) * rng.uniform(0.05, 0.15, int(jump.sum()))
        price = np.clip(price + step, 0.05, 0.95)
        rows[t] = np.round(price, 3)
    return rows.tolist()


# per tick: mean, std, upper, lower, roc_pct, cusum_pos, cusum_neg (each as known after the tick)
_VALUE_NAMES = ("ewma_mean", "ewma_std", "upper_band", "lower_band", "roc_pct", "cusum_pos", "cusum_neg")


def _ours_alarms(stream: list[list[float]], params: Any) -> list[tuple[int, int, int]]:
    """The timed loop: the engine's ``DetectorBank``, one round per tick row over every token,
    as the engine runs it at the end of a cycle."""
    import numpy as np

    from bot.core.detectors.bank import DetectorBank

    n = len(stream[0])
    bank = DetectorBank(params, 2, capacity=n)
    slots = np.array([bank.add(f"t{i}") for i in range(n)], dtype=np.int64)
    rows = np.asarray(stream, dtype=np.float64)
    times = np.zeros(n, dtype=np.int64)
    alarms: list[tuple[int, int, int]] = []
    for t in range(len(rows)):
        fired = bank.update(slots, rows[t], times)
        if fired.any():
            alarms.extend((t, int(i), int(fired[i])) for i in np.flatnonzero(fired))
    return alarms


def _ours_values(stream: list[list[float]], params: Any) -> list[tuple[float, ...]]:
    """Untimed second pass that records every value, for the 1e-9 comparison."""
    import numpy as np

    from bot.core.detectors.bank import DetectorBank

    n = len(stream[0])
    bank = DetectorBank(params, 2, capacity=n)
    slots = np.array([bank.add(f"t{i}") for i in range(n)], dtype=np.int64)
    times = np.zeros(n, dtype=np.int64)
    values: list[tuple[float, ...]] = []
    for row in stream:
        bank.update(slots, np.asarray(row, dtype=np.float64), times)
        values.extend(zip(bank.mean[slots].tolist(), bank.std[slots].tolist(), bank.upper[slots].tolist(),
                          bank.lower[slots].tolist(), bank.roc_pct[slots].tolist(), bank.cu_pos[slots].tolist(),
                          bank.cu_neg[slots].tolist(), strict=True))
    return values


def reference_detect(stream: list[list[float]], params: Any) -> tuple[list[tuple[int, int, int]],
                                                                       list[tuple[float, ...]]]:
    """The naive design: per token a price list; per tick pandas ``ewm`` over the FULL history
    (adjust=False ewm depends on where it starts, so a trimmed window would give other numbers),
    then textbook CUSUM, bands and ROC in plain Python."""
    import pandas as pd

    span, warmup, periods = params.ewma_span, params.warmup_points, params.roc_periods
    slack, threshold, multiplier = params.cusum_slack, params.cusum_threshold, params.ewma_multiplier
    n = len(stream[0])
    history: list[list[float]] = [[] for _ in range(n)]
    pos, neg = [0.0] * n, [0.0] * n
    hold_up, hold_down = [False] * n, [False] * n
    upper, lower = [math.nan] * n, [math.nan] * n
    alarms: list[tuple[int, int, int]] = []
    values: list[tuple[float, ...]] = []
    for t, row in enumerate(stream):
        for i, price in enumerate(row):
            past = history[i]
            if past:
                ewm = pd.Series(past).ewm(span=span, adjust=False)
                mean = float(ewm.mean().iloc[-1])
                std = float(ewm.std().iloc[-1])
            else:
                mean = std = math.nan
            if not math.isnan(std):  # bands from before the price; kept while std is unknown
                upper[i] = mean + multiplier * std
                lower[i] = mean - multiplier * std
            if len(past) >= periods:
                base = past[-periods]
                roc = (price - base) / base * 100.0 if base > 0.0 else 0.0
            else:
                roc = 0.0
            if len(past) >= warmup:
                # The side that fired stays at zero until the price is back within the slack.
                if hold_up[i] and price - mean <= slack:
                    hold_up[i] = False
                if hold_down[i] and mean - price <= slack:
                    hold_down[i] = False
                pos[i] = 0.0 if hold_up[i] else max(0.0, pos[i] + (price - mean) - slack)
                neg[i] = 0.0 if hold_down[i] else max(0.0, neg[i] + (mean - price) - slack)
                alarm = 1 if pos[i] > threshold else -1 if neg[i] > threshold else 0
                if alarm:
                    alarms.append((t, i, alarm))
                    pos[i] = neg[i] = 0.0
                    hold_up[i], hold_down[i] = alarm > 0, alarm < 0
            past.append(price)
            values.append((mean, std, upper[i], lower[i], roc, pos[i], neg[i]))
    return alarms, values


def _max_diff(ours: list[tuple[float, ...]], ref: list[tuple[float, ...]]) -> tuple[float, bool]:
    """Largest absolute difference over all values; NaN must match NaN."""
    worst, nan_match = 0.0, True
    for a_row, b_row in zip(ours, ref, strict=True):
        for a, b in zip(a_row, b_row, strict=True):
            if math.isnan(a) or math.isnan(b):
                nan_match = nan_match and math.isnan(a) and math.isnan(b)
            else:
                worst = max(worst, abs(a - b))
    return worst, nan_match


def bench_detectors(tokens: int, ticks: int, min_ours_s: float = 1.0) -> dict[str, Any]:
    from bot.core.engine import detector_params

    params = detector_params(_settings())
    stream = make_stream(tokens, ticks)
    n_ticks = tokens * ticks

    gc.collect()
    started = time.perf_counter()
    ref_alarms, ref_values = reference_detect(stream, params)
    ref_s = time.perf_counter() - started

    # Ours is ~1000x faster: repeat the same stream (fresh detectors each time) for a stable rate.
    rates: list[float] = []
    ours_alarms: list[tuple[int, int, int]] = []
    spent = 0.0
    while spent < min_ours_s or len(rates) < 5:
        gc.collect()
        started = time.perf_counter()
        ours_alarms = _ours_alarms(stream, params)
        elapsed = time.perf_counter() - started
        spent += elapsed
        rates.append(n_ticks / elapsed)
    ours_rate = statistics.median(rates)
    ref_rate = n_ticks / ref_s

    max_diff, nan_match = _max_diff(_ours_values(stream, params), ref_values)
    identical = ours_alarms == ref_alarms and nan_match and max_diff <= 1e-9
    return {
        "tokens": tokens, "ticks_per_token": ticks, "token_ticks": n_ticks,
        "ours_ticks_per_s": ours_rate, "ours_repeats": len(rates),
        "reference_ticks_per_s": ref_rate, "reference_s": ref_s,
        "ratio": ours_rate / ref_rate, "target_ratio": TARGET_RATIO,
        "alarms": len(ours_alarms), "alarms_up": sum(1 for a in ours_alarms if a[2] > 0),
        "reference_alarms": len(ref_alarms), "alarm_sequences_equal": ours_alarms == ref_alarms,
        "max_abs_diff": max_diff, "nan_positions_equal": nan_match, "identical": identical,
        "compared_values": list(_VALUE_NAMES),
        "passed": identical and ours_rate / ref_rate >= TARGET_RATIO,
    }


# --------------------------------------------------------------------------------------------
# (b) engine cycle time


def bench_cycle(tokens: int, warmup_cycles: int = 30, timed_cycles: int = 20) -> dict[str, Any]:
    from bot.adapters.executors.paper import PaperExecutor
    from bot.adapters.feeds.sim import SimFeed
    from bot.core.engine import Engine
    from bot.domain.events import BookUpdate
    from bot.runtime.runner import Runner

    settings = _settings()
    markets = max(1, tokens // 2)
    started = time.perf_counter()
    feed = SimFeed(markets=markets, seed=SIM_SEED, start_ts_ms=START_TS_MS)
    build_s = time.perf_counter() - started
    engine = Engine(settings)
    runner = Runner(engine, PaperExecutor(settings.execution.latency_ms), store=None)
    for _ in range(warmup_cycles):
        cycle = feed.next_cycle()
        assert cycle is not None
        runner.run_cycle(cycle.ts_ms, cycle.events)
    signals_before, orders_before = engine.counters["signals"], engine.counters["orders"]
    cycle_ms: list[float] = []
    feed_ms: list[float] = []
    updates: list[int] = []
    gc.collect()
    with _one_core() as pinning:
        for _ in range(timed_cycles):
            t0 = time.perf_counter()
            cycle = feed.next_cycle()
            t1 = time.perf_counter()
            assert cycle is not None
            runner.run_cycle(cycle.ts_ms, cycle.events)
            t2 = time.perf_counter()
            feed_ms.append((t1 - t0) * 1000)
            cycle_ms.append((t2 - t1) * 1000)
            updates.append(sum(1 for e in cycle.events if isinstance(e, BookUpdate)))
    total_updates = sum(updates)
    per_1k = sum(cycle_ms) / total_updates * 1000 if total_updates else math.nan
    return {
        "tokens": markets * 2, "markets": markets,
        "warmup_cycles": warmup_cycles, "timed_cycles": timed_cycles,
        "median_ms": statistics.median(cycle_ms), "p95_ms": _p95(cycle_ms), "max_ms": max(cycle_ms),
        "ms_per_1000_updates": per_1k,
        "book_updates_per_cycle": total_updates / timed_cycles,
        "all_tokens_update_ms_estimate": per_1k * markets * 2 / 1000,
        "feed_median_ms": statistics.median(feed_ms), "feed_p95_ms": _p95(feed_ms), "feed_build_s": build_s,
        "signals": engine.counters["signals"] - signals_before,
        "orders": engine.counters["orders"] - orders_before,
        "cpu": pinning, "cycle_ms": cycle_ms,
    }


# --------------------------------------------------------------------------------------------
# (c) peak RSS, in a child process


def peak_mb() -> float:
    """This process's peak resident memory in MB.

    Linux's ``ru_maxrss`` survives ``execve``: a child forked from a big parent (this benchmark,
    with pandas loaded) starts with the parent's peak. ``VmHWM`` belongs to the new address
    space, so it is read first; ``ru_maxrss`` (KB on Linux) is the fallback elsewhere.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_child(tokens: int, cycles: int, with_store: bool) -> dict[str, Any]:
    """Run in a fresh interpreter: build the bot, run ``cycles`` cycles, report peak RSS."""
    from bot.adapters.executors.paper import PaperExecutor
    from bot.adapters.feeds.sim import SimFeed
    from bot.core.engine import Engine
    from bot.runtime.runner import Runner

    settings = _settings()
    markets = max(1, tokens // 2)
    after_imports = peak_mb()
    started = time.perf_counter()
    if not with_store:
        feed = SimFeed(markets=markets, seed=SIM_SEED, start_ts_ms=START_TS_MS, max_cycles=cycles)
        runner = Runner(Engine(settings), PaperExecutor(settings.execution.latency_ms), store=None)
        while (cycle := feed.next_cycle()) is not None:
            runner.run_cycle(cycle.ts_ms, cycle.events)
        return {"tokens": markets * 2, "cycles": cycles, "store": False, "peak_rss_mb": peak_mb(),
                "after_imports_mb": after_imports, "seconds": time.perf_counter() - started}

    # The real thing: wiring.build (DuckDB store, recovery), the Loop flat out (state.json every
    # 0.25 s, Parquet snapshots every snapshot_every_s, clean shutdown with a final export).
    from bot.config.schema import Sim
    from bot.runtime.loop import Loop
    from bot.wiring import build

    settings = settings.model_copy(update={"sim": Sim(seed=SIM_SEED, markets=markets)})
    with tempfile.TemporaryDirectory(prefix="polybot-bench-") as tmp:
        bot = build(settings, "sim", Path(tmp), start_ts_ms=START_TS_MS)
        bot.feed = SimFeed(markets=markets, seed=SIM_SEED, start_ts_ms=START_TS_MS, max_cycles=cycles)
        loop = Loop(bot, speed=None)
        loop.run()
        db_mb = (Path(tmp) / "polybot.duckdb").stat().st_size / 2**20
    warm = list(loop.cycle_ms)[cycles // 2:] or list(loop.cycle_ms)  # second half: detectors warm
    return {"tokens": markets * 2, "cycles": cycles, "store": True, "peak_rss_mb": peak_mb(),
            "after_imports_mb": after_imports, "seconds": time.perf_counter() - started,
            "duckdb_file_mb": db_mb,
            "duckdb_memory_limit_mb": settings.storage.duckdb_memory_limit_mb,
            "signals": bot.engine.counters["signals"],
            "loop_cycle_median_ms": statistics.median(warm), "loop_cycle_p95_ms": _p95(warm)}


def bench_rss(tokens: int, cycles: int, with_store: bool) -> dict[str, Any]:
    from bot.config.loader import PROJECT_ROOT

    argv = [sys.executable, "-m", "bot.runtime.bench", "--rss-child", str(tokens), "--cycles", str(cycles)]
    if with_store:
        argv.append("--store")
    done = subprocess.run(argv, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        return {"tokens": tokens, "cycles": cycles, "store": with_store, "error": done.stderr.strip()[-2000:],
                "peak_rss_mb": math.nan, "passed": False}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["passed"] = result["peak_rss_mb"] <= TARGET_RSS_MB
    return result


# --------------------------------------------------------------------------------------------
# the report


def run_bench(quick: bool = False) -> tuple[dict[str, Any], str]:
    if quick:
        det = bench_detectors(tokens=10, ticks=200, min_ours_s=0.1)
        cycles = [bench_cycle(200, warmup_cycles=25, timed_cycles=5)]
        rss = [bench_rss(1_000, 25, with_store=False)]
    else:
        det = bench_detectors(tokens=50, ticks=300)
        cycles = [bench_cycle(1_000), bench_cycle(10_000)]
        rss = [bench_rss(10_000, 60, with_store=False), bench_rss(10_000, 60, with_store=True)]
    from bot.runtime.backtest_bench import bench_backtest

    backtest = bench_backtest(200, 60) if quick else bench_backtest(1_000, 600)
    biggest = cycles[-1]
    biggest["passed"] = biggest["median_ms"] <= TARGET_CYCLE_MS and biggest["p95_ms"] <= TARGET_CYCLE_MS
    results: dict[str, Any] = {
        "quick": quick, "python": sys.version.split()[0],
        "detectors": det, "cycles": cycles, "rss": rss, "backtest": backtest,
        "targets": {"detector_ratio": TARGET_RATIO, "cycle_ms_at_10000_tokens": TARGET_CYCLE_MS,
                    "peak_rss_mb_at_10000_tokens": TARGET_RSS_MB},
    }
    return results, _text(results)


def _text(r: dict[str, Any]) -> str:
    d = r["detectors"]
    lines = [
        f"Polybot bench{' (quick sizes)' if r['quick'] else ''}, Python {r['python']}, single-threaded",
        "",
        f"(a) Detectors on {d['tokens']} tokens x {d['ticks_per_token']} ticks "
        f"({d['token_ticks']:,} token-ticks; "
        "short per token so the reference's full-history ewm equals a design-sized window)",
        f"    ours (DetectorBank, O(1)/tick, numpy)  {d['ours_ticks_per_s']:>12,.0f} ticks/s",
        f"    reference (pandas ewm over history)    {d['reference_ticks_per_s']:>12,.0f} ticks/s"
        f"  ({d['reference_s']:.1f} s)",
        f"    speed-up {d['ratio']:,.0f}x   target >= {TARGET_RATIO:.0f}x   "
        f"{_verdict(d['ratio'] >= TARGET_RATIO)}",
        f"    alarms {d['alarms']} (ref {d['reference_alarms']}), max |diff| {d['max_abs_diff']:.1e}, "
        f"identical: {str(d['identical']).lower()}   {_verdict(d['identical'])}",
        "",
        "(b) One engine cycle (Runner.run_cycle: executor + engine, no store; detectors warm)",
        f"    {'tokens':>7} {'updates/cyc':>11} {'median ms':>9} {'p95 ms':>7} {'ms/1k upd':>9} "
        f"{'all-update est':>14} {'feed gen ms':>11}",
    ]
    for c in r["cycles"]:
        lines.append(f"    {c['tokens']:>7,} {c['book_updates_per_cycle']:>11,.0f} {c['median_ms']:>9.1f} "
                     f"{c['p95_ms']:>7.1f} {c['ms_per_1000_updates']:>9.2f} "
                     f"{c['all_tokens_update_ms_estimate']:>11.1f} ms {c['feed_median_ms']:>11.1f}")
    big = r["cycles"][-1]
    lines += [
        f"    target: {TARGET_CYCLE_MS:.0f} ms at 10,000 tokens; {big['tokens']:,} tokens: median "
        f"{big['median_ms']:.1f}, p95 {big['p95_ms']:.1f} ms   {_verdict(big['passed'])}"
        + ("" if big["tokens"] >= 10_000 else " (quick size, not the target size)"),
        f"    {big['cpu']}; feed generation timed apart and not in the cycle",
    ]
    for x in r["rss"]:
        if x.get("store") and "loop_cycle_median_ms" in x:
            slow = x["loop_cycle_median_ms"] > TARGET_CYCLE_MS
            lines.append(f"    for comparison, the real loop WITH the DuckDB store ((c)'s child, "
                         f"{x['tokens']:,} tokens, not pinned): median {x['loop_cycle_median_ms']:.0f} ms, "
                         f"p95 {x['loop_cycle_p95_ms']:.0f} ms "
                         f"({x['signals']:,} signals in {x['cycles']} cycles)   {_verdict(not slow)}")
    lines += [
        "",
        "(c) Peak RSS of a fresh bot process",
    ]
    for x in r["rss"]:
        what = "loop + DuckDB store + state.json + snapshots" if x["store"] else "engine + runner, no store"
        if "error" in x:
            lines.append(f"    {x['tokens']:>7,} tokens, {what}: FAILED: {x['error'].splitlines()[-1]}")
            continue
        extra = f", duckdb file {x['duckdb_file_mb']:.1f} MB" if x["store"] else ""
        lines.append(f"    {x['tokens']:>7,} tokens x {x['cycles']} cycles, {what}: "
                     f"{x['peak_rss_mb']:.0f} MB (after imports {x['after_imports_mb']:.0f} MB{extra})   "
                     f"target <= {TARGET_RSS_MB:.0f} MB   "
                     f"{_verdict(x['passed'])}")
    if "backtest" in r:
        from bot.runtime.backtest_bench import text as backtest_text

        lines += backtest_text(r["backtest"])
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# profiling aid: python -m bot.runtime.bench --profile 10000


def profile_cycle(tokens: int, warmup_cycles: int = 30, timed_cycles: int = 20, top: int = 15) -> str:
    import cProfile
    import io
    import pstats

    from bot.adapters.executors.paper import PaperExecutor
    from bot.adapters.feeds.sim import SimFeed
    from bot.core.engine import Engine
    from bot.runtime.runner import Runner

    settings = _settings()
    feed = SimFeed(markets=max(1, tokens // 2), seed=SIM_SEED, start_ts_ms=START_TS_MS)
    runner = Runner(Engine(settings), PaperExecutor(settings.execution.latency_ms), store=None)
    for _ in range(warmup_cycles):
        cycle = feed.next_cycle()
        runner.run_cycle(cycle.ts_ms, cycle.events)  # type: ignore[union-attr]
    cycles = [feed.next_cycle() for _ in range(timed_cycles)]
    profiler = cProfile.Profile()
    profiler.enable()
    for cycle in cycles:
        runner.run_cycle(cycle.ts_ms, cycle.events)  # type: ignore[union-attr]
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.runtime.bench")
    parser.add_argument("--rss-child", type=int, metavar="TOKENS",
                        help="internal: measure peak RSS in this process")
    parser.add_argument("--cycles", type=int, default=60)
    parser.add_argument("--store", action="store_true")
    parser.add_argument("--profile", type=int, metavar="TOKENS",
                        help="cProfile the engine cycle at this size")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.rss_child:
        print(json.dumps(_rss_child(args.rss_child, args.cycles, args.store)))
        return 0
    if args.profile:
        print(profile_cycle(args.profile))
        return 0
    results, text = run_bench(args.quick)
    print(json.dumps(results, indent=2, default=str) if args.json else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
