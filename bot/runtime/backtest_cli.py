"""``python -m bot backtest``: argument parsing, progress bar and the printed report."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.config.schema import ConfigError


def add_parser(sub: Any, common: Any) -> None:
    p = sub.add_parser("backtest", help="run one strategy over recorded or simulated data")
    common(p)
    p.add_argument("--strategy", help="strategy name (see config.yaml strategies:)")
    p.add_argument("--params", help="overrides, e.g. entry_z=2.5,window_points=120")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--data", help="a recording directory or ticks file")
    source.add_argument("--sim", action="store_true", help="use the seeded market simulator")
    p.add_argument("--cycles", type=int, help="simulator cycles (seconds of market time; default 3600)")
    p.add_argument("--from", dest="from_", help="start (UTC, e.g. 2026-06-07T01:40 or epoch ms)")
    p.add_argument("--to", help="end (UTC)")
    p.add_argument("--sweep", help="grid, e.g. entry_z=1.5|2|2.5,exit_z=0.3|0.5 (parallel, ranked)")
    p.add_argument("--workers", type=int, help="processes for --sweep (default: all cores)")
    p.add_argument("--list", action="store_true", help="list stored runs instead of running one")
    p.add_argument("--config", help="config file (default: config/config.yaml)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--progress-file", help="also write {status, done, total, ...} to this JSON file as the run goes "
                                           "(the dashboard's progress bar reads it)")
    p.set_defaults(func=cmd_backtest)


def parse_time(text: str | None) -> int | None:
    if text is None:
        return None
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"time {text!r} is neither epoch milliseconds nor an ISO date such as 2026-06-07T01:40") from None
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp() * 1000)


def _bar(done: int, total: int) -> None:
    if total <= 0:
        print(f"\r  {done:,} cycles", end="", file=sys.stderr)
        return
    share = min(done / total, 1.0)
    print(f"\r  [{'#' * int(share * 30):<30}] {share * 100:5.1f}%  {done:,}/{total:,} cycles", end="", file=sys.stderr)
    if done >= total:
        print(file=sys.stderr)


class ProgressFile:
    """The run's progress for another process (the dashboard): written atomically (temp file +
    ``os.replace``) so a reader never sees half a file, and at most every ``every_s`` seconds
    (wall clock: this is the CLI edge) so a fast run does not spend its time writing it."""

    def __init__(self, path: Path, every_s: float = 0.25) -> None:
        self.path, self.every_s, self.last_s = path, every_s, 0.0
        self.started_ms = time.time_ns() // 1_000_000
        self.write("running", 0, 0)

    def write(self, status: str, done: int, total: int, **extra: Any) -> None:
        self.status = status
        payload = {"status": status, "done": done, "total": total, "pid": os.getpid(),
                   "started_ts_ms": self.started_ms, "updated_ts_ms": time.time_ns() // 1_000_000, **extra}
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(json.dumps(payload, default=str))
        os.replace(tmp, self.path)

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last_s >= self.every_s:
            self.last_s = now
            self.write("running", done, total)


def cmd_backtest(args: argparse.Namespace) -> int:
    if not getattr(args, "progress_file", None):
        return _backtest(args, None)
    progress = ProgressFile(Path(args.progress_file))
    try:
        code = _backtest(args, progress)
        if progress.status == "running":  # --list or --sweep: nothing to point at, but finished
            progress.write("done", 0, 0)
        return code
    except BaseException as exc:  # the reader learns why, then the usual error path prints it
        progress.write("failed", 0, 0, error=str(exc) or type(exc).__name__, kind=type(exc).__name__)
        raise


def _backtest(args: argparse.Namespace, progress_file: ProgressFile | None) -> int:
    from bot.config.loader import load_settings
    from bot.runtime.backtest import list_runs, parse_params, run_backtest, save_run
    from bot.wiring import default_data_dir

    root = (Path(args.data_dir) if args.data_dir else default_data_dir()) / "backtests"
    if args.list:
        runs = list_runs(root)
        lines = [f"{r['id']}: {r['strategy']} on {r['source']}: P&L ${r['total_pnl_usd']:+.2f}, {r['trades']} trades, "
                 f"max drawdown {r['max_drawdown_pct']:.2f}%" for r in runs] or ["No stored backtests yet."]
        print(json.dumps(runs, indent=2) if args.json else "\n".join(lines))
        return 0
    if not args.strategy:
        raise ConfigError("backtest needs --strategy NAME (or --list)")
    if not args.data and not args.sim:
        raise ConfigError("backtest needs --data PATH or --sim")
    settings = load_settings(Path(args.config) if args.config else None)
    params = parse_params(args.params)
    data = Path(args.data) if args.data else None
    if args.sweep:
        from bot.runtime.backtest_sweep import parse_grid, sweep

        results = sweep(settings, args.strategy, params, parse_grid(args.sweep), data=data, sim_cycles=args.cycles,
                        workers=args.workers)
        if args.json:
            print(json.dumps(results, indent=2, default=str))
        else:
            for r in results:
                print(f"#{r['rank']:>3} {r['params']}: P&L ${r['total_pnl_usd']:+.4f}, {r['trades']} trades, "
                      f"win rate {r['win_rate_pct']}%, Sharpe {r['sharpe_daily']}, max DD {r['max_drawdown_pct']:.2f}%")
        return 0
    bar = None if args.json else _bar
    if progress_file is not None:
        def both(done: int, total: int) -> None:
            progress_file(done, total)
            if bar is not None:
                bar(done, total)
    run = run_backtest(settings, args.strategy, params, data=data, sim_cycles=args.cycles,
                       from_ms=parse_time(args.from_), to_ms=parse_time(args.to),
                       progress=bar if progress_file is None else both)
    folder = save_run(run, root, datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f"))
    report = {"id": folder.name, "strategy": run.strategy, "params": run.params, "source": run.source, **run.metrics}
    if progress_file is not None:
        progress_file.write("done", run.cycles, run.cycles, run_id=folder.name)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return 0
    m = run.metrics
    print(f"Backtest of {run.strategy} on {run.source} (stored as {folder.name})\n"
          f"  P&L ${m['total_pnl_usd']:+.4f} ({m['return_pct']:+.3f}%), fees ${m['fees_usd']:.4f}\n"
          f"  {m['trades']} trades, win rate {m['win_rate_pct']}%, profit factor {m['profit_factor']}, "
          f"average hold {m['avg_hold_s']} s\n"
          f"  max drawdown {m['max_drawdown_pct']:.3f}% (${m['max_drawdown_usd']:.4f}), exposure {m['exposure_pct']}%\n"
          f"  Sharpe {m['sharpe_daily']}, Sortino {m['sortino_daily']} (daily, needs 2+ days)\n"
          f"  {m['signals']} signals, {m['fills']} fills, {m['cycles']:,} cycles, {m['events']:,} events "
          f"in {m['seconds']} s")
    return 0
