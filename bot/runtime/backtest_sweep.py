"""``backtest --sweep``: a parameter grid run in parallel processes and ranked.

Each grid point is an independent backtest in its own process (the engine is single-threaded
and shares nothing), so a sweep scales with the cores it is given.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bot.config.schema import ConfigError, Settings
from bot.runtime.backtest import backtest_settings, parse_params, run_backtest


def parse_grid(text: str) -> list[dict[str, Any]]:
    """``k=a|b,k2=x|y`` -> every combination as a params dict (validated later by the config)."""
    axes: list[tuple[str, list[Any]]] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, values = part.partition("=")
        if not sep or not values:
            raise ConfigError(f"--sweep entry {part!r} must look like name=value1|value2")
        axes.append((key.strip(), [parse_params(f"{key}={v}")[key.strip()] for v in values.split("|")]))
    return [dict(zip([k for k, _ in axes], combo, strict=True)) for combo in itertools.product(*(v for _, v in axes))]


def _one(job: tuple[Settings, str, dict[str, Any], str | None, int | None]) -> dict[str, Any]:
    settings, strategy, params, data, cycles = job
    run = run_backtest(settings, strategy, params, data=Path(data) if data else None, sim_cycles=cycles)
    return {"params": params, **run.metrics}


def sweep(settings: Settings, strategy: str, base: dict[str, Any], grid: list[dict[str, Any]], *,
          data: Path | None, sim_cycles: int | None, workers: int | None = None) -> list[dict[str, Any]]:
    """Run every grid point (merged over ``base``), best total P&L first (then Sharpe)."""
    points = [{**base, **point} for point in grid]
    for point in points:  # fail on a bad parameter before starting any process
        backtest_settings(settings, strategy, point)
    jobs = [(settings, strategy, point, str(data) if data else None, sim_cycles) for point in points]
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    if workers == 1:
        results = [_one(job) for job in jobs]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_one, jobs))
    results.sort(key=lambda r: (-r["total_pnl_usd"], -(r["sharpe_daily"] or float("-inf"))))
    for rank, result in enumerate(results, 1):
        result["rank"] = rank
    return results
