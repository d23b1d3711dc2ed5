"""The ``train`` command line: light to import (sklearn and xgboost load only when it runs)."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from bot.config.schema import ConfigError

SIM_MARKETS, SIM_HOURS, SIM_CYCLE_MS = 20, 72, 30_000


def add_parser(sub: Any, common: Any) -> None:
    p = sub.add_parser("train", help="train the price-direction model (walk-forward report vs naive baselines)")
    common(p)
    source = p.add_mutually_exclusive_group()
    source.add_argument("--data", help="a recording directory")
    source.add_argument("--sim", action="store_true", help=f"train on a seeded simulated recording "
                        f"({SIM_MARKETS} markets, {SIM_HOURS} h; its prices are a random walk with jumps)")
    p.add_argument("--horizon-s", type=int, default=21600, help="label horizon in seconds (default 6 h)")
    p.add_argument("--sample-s", type=int, default=300, help="sampling step in seconds (default 5 min)")
    p.add_argument("--folds", type=int, default=4, help="walk-forward folds (default 4)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="model directory (default: <data dir>/models)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_train)


def cmd_train(args: argparse.Namespace) -> int:
    from bot.ml.train import train
    from bot.ml.walkforward import report_text
    from bot.wiring import default_data_dir

    if not args.data and not args.sim:
        raise ConfigError("train needs --data PATH (a recording) or --sim")
    if args.folds < 1 or args.horizon_s <= 0 or args.sample_s <= 0 or args.horizon_s % args.sample_s:
        raise ConfigError("--folds must be >= 1 and --horizon-s a positive multiple of --sample-s")
    out = Path(args.out) if args.out else (Path(args.data_dir) if args.data_dir else default_data_dir()) / "models"
    try:
        if args.sim:
            from bot.adapters.feeds.sim import write_sim_recording

            with tempfile.TemporaryDirectory() as tmp:
                write_sim_recording(tmp, SIM_MARKETS, args.seed, SIM_HOURS * 3600, cycle_ms=SIM_CYCLE_MS)
                path, report = train(tmp, out, args.horizon_s, args.sample_s, args.folds, args.seed,
                                     source=f"sim seed {args.seed}, {SIM_MARKETS} markets, {SIM_HOURS} h")
        else:
            path, report = train(args.data, out, args.horizon_s, args.sample_s, args.folds, args.seed)
    except ValueError as exc:  # RecordingError, too-short data: say what is wrong, no traceback
        raise ConfigError(str(exc)) from exc
    if args.json:
        print(json.dumps({"model": str(path), "report": report}, indent=2))
    else:
        print(report_text(report))
        print(f"Model saved: {path}")
    return 0
