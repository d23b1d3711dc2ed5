"""Command line: ``python -m bot run|status|positions|trades|performance|backup|restore|bench``.

``run`` is the only command that opens the store; the others read state.json and the Parquet
snapshots, so they work while the bot runs.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

from bot.config.schema import ConfigError


def _setup_logging(data_dir: Path | None, level: str) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if data_dir is not None:
        (data_dir / "logs").mkdir(parents=True, exist_ok=True)
        handlers.append(RotatingFileHandler(data_dir / "logs" / "bot.log", maxBytes=5_000_000, backupCount=3))
    logging.basicConfig(level=level.upper(), handlers=handlers, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _data_dir(args: argparse.Namespace) -> Path:
    from bot.wiring import default_data_dir

    return Path(args.data_dir) if args.data_dir else default_data_dir()


def cmd_run(args: argparse.Namespace) -> int:
    from bot.adapters.storage.duckdb_store import StoreLockedError
    from bot.config.loader import load_settings
    from bot.runtime.live_guards import LiveModeRefused
    from bot.runtime.loop import Loop
    from bot.wiring import build

    data_dir = _data_dir(args)
    settings = load_settings(Path(args.config) if args.config else None, args.profile)  # fail before writing
    _setup_logging(data_dir, args.log_level)
    source = args.source or settings.runtime.source
    try:
        bot = build(settings, source, data_dir, replay_path=Path(args.replay) if args.replay else None,
                    confirm_live=args.confirm_live)
    except LiveModeRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except StoreLockedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    speed = None if args.speed == 0 else args.speed
    loop = Loop(bot, speed=speed, duration_s=args.duration, config_path=Path(args.config) if args.config else None,
                profile=args.profile)
    loop.install_signal_handlers()
    logging.getLogger("polybot").info("running: source=%s mode=%s speed=%s data=%s", source, settings.mode,
                                      args.speed, data_dir)
    from bot.adapters.notify import start_for_loop

    # Telegram/Discord alerts and commands (None when no channel is set up); before the first
    # publish, so a state.json left "running" by a crash is reported as a restart.
    notifier = start_for_loop(loop)
    from bot.ops.service import Operations

    ops = Operations(loop).attach()  # health endpoint, backups, housekeeping
    try:
        return loop.run()
    finally:
        ops.close()
        if notifier is not None:
            notifier.stop()


def _emit(payload: object, as_json: bool, text: str) -> int:
    print(json.dumps(payload, indent=2, default=str) if as_json else text)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from bot.runtime.views import status_view

    payload, text = status_view(_data_dir(args))
    return _emit(payload, args.json, text)


def cmd_positions(args: argparse.Namespace) -> int:
    from bot.runtime.views import positions_view

    payload, text = positions_view(_data_dir(args))
    return _emit(payload, args.json, text)


def cmd_trades(args: argparse.Namespace) -> int:
    from bot.runtime.views import trades_view

    payload, text = trades_view(_data_dir(args), args.last)
    return _emit(payload, args.json, text)


def cmd_performance(args: argparse.Namespace) -> int:
    from bot.runtime.views import performance_view

    payload, text = performance_view(_data_dir(args), args.period)
    return _emit(payload, args.json, text)


def cmd_backup(args: argparse.Namespace) -> int:
    from bot.ops.cli import backup_command

    return backup_command(_data_dir(args), args.to, args.timeout, args.json, args.config, args.profile)


def cmd_restore(args: argparse.Namespace) -> int:
    from bot.ops.cli import restore_command

    return restore_command(Path(args.source), _data_dir(args), args.config_dir, args.json)


def cmd_record(args: argparse.Namespace) -> int:
    import signal
    import threading

    from bot.adapters.clock import WallClock
    from bot.config.loader import load_settings
    from bot.runtime.record import default_recording_dir, record

    settings = load_settings(Path(args.config) if args.config else None, args.profile)
    data_dir = _data_dir(args)
    _setup_logging(None, args.log_level)
    out = Path(args.out) if args.out else default_recording_dir(data_dir, WallClock().now_ms())
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    tokens = frozenset(args.tokens) if args.tokens else None
    result = record(settings, out, args.duration, tokens, stop)
    return _emit(result, args.json, f"Recorded {result['book_updates']} book updates of {result['markets']} markets "
                                    f"in {result['cycles']} cycles into {result['directory']} "
                                    f"(replay: python -m bot run --source replay --replay {result['directory']}).")


def cmd_doctor(args: argparse.Namespace) -> int:
    from bot.runtime.doctor import as_json, render, run_doctor

    checks = run_doctor(Path(args.config) if args.config else None, args.profile, _data_dir(args), live=args.live)
    payload = as_json(checks)
    _emit(payload, args.json, render(checks))
    return 0 if payload["ok"] else 1


def cmd_bench(args: argparse.Namespace) -> int:
    from bot.runtime.bench import run_bench

    results, text = run_bench(quick=args.quick)
    return _emit(results, args.json, text)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m bot", description="Polybot: spike trading for Polymarket.")
    sub = root.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-dir", help="where state, store and snapshots live (default: data/ or $POLYBOT_DATA_DIR)")

    run = sub.add_parser("run", help="run the bot")
    common(run)
    run.add_argument("--source", choices=["sim", "replay", "live"], help="where prices come from (default: config runtime.source)")
    run.add_argument("--replay", help="recording to replay (directory or ticks file)")
    run.add_argument("--confirm-live", action="store_true",
                     help="allow real orders (also needs mode: live, credentials and a passing geoblock check)")
    run.add_argument("--speed", type=float, default=1.0, help="market seconds per wall second; 0 = as fast as possible")
    run.add_argument("--duration", type=float, help="stop after this many wall-clock seconds")
    run.add_argument("--config", help="config file (default: config/config.yaml)")
    run.add_argument("--profile", choices=["dev", "staging", "prod"], help="profile overlay (or $POLYBOT_PROFILE)")
    run.add_argument("--log-level", default="info")
    run.set_defaults(func=cmd_run)

    for name, func, help_text in (("status", cmd_status, "what the bot is doing now"),
                                  ("positions", cmd_positions, "open positions")):
        p = sub.add_parser(name, help=help_text)
        common(p)
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=func)
    trades = sub.add_parser("trades", help="closed trades, newest first")
    common(trades)
    trades.add_argument("--last", type=int, default=50)
    trades.add_argument("--json", action="store_true")
    trades.set_defaults(func=cmd_trades)
    perf = sub.add_parser("performance", help="P&L, win rate and drawdown over a period")
    common(perf)
    perf.add_argument("--period", default="7d", help="e.g. 1d, 7d, 30d, all")
    perf.add_argument("--json", action="store_true")
    perf.set_defaults(func=cmd_performance)
    backup = sub.add_parser("backup", help="consistent copy of the store, state and config (also while the bot runs)")
    common(backup)
    backup.add_argument("--to", help="folder to put the backup in (default: config backup.dir, inside the data dir)")
    backup.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for a running bot to make it")
    backup.add_argument("--config", help="config file (default: config/config.yaml)")
    backup.add_argument("--profile", choices=["dev", "staging", "prod"], help="profile overlay (or $POLYBOT_PROFILE)")
    backup.add_argument("--json", action="store_true")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="verify a backup's checksums and restore it (the bot must be stopped)")
    restore.add_argument("source", help="the backup folder (polybot-<time>/)")
    common(restore)
    restore.add_argument("--config-dir", help="also restore the backed-up config files into this folder")
    restore.add_argument("--json", action="store_true")
    restore.set_defaults(func=cmd_restore)
    rec = sub.add_parser("record", help="record live Polymarket prices (no trading) for replay and backtests")
    common(rec)
    rec.add_argument("--duration", type=float, help="stop after this many seconds (default: until Ctrl-C)")
    rec.add_argument("--tokens", nargs="+", help="record exactly the markets of these CLOB token ids")
    rec.add_argument("--out", help="recording directory (default: <data dir>/recordings/<UTC time>)")
    rec.add_argument("--config", help="config file (default: config/config.yaml)")
    rec.add_argument("--profile", choices=["dev", "staging", "prod"], help="profile overlay (or $POLYBOT_PROFILE)")
    rec.add_argument("--log-level", default="info")
    rec.add_argument("--json", action="store_true")
    rec.set_defaults(func=cmd_record)
    doctor = sub.add_parser("doctor", help="pre-flight check: config, data dir, Polymarket reachability, clock, live guards")
    common(doctor)
    doctor.add_argument("--config", help="config file (default: config/config.yaml)")
    doctor.add_argument("--profile", choices=["dev", "staging", "prod"], help="profile overlay (or $POLYBOT_PROFILE)")
    doctor.add_argument("--live", action="store_true", help="also check credentials and geoblock (implied by mode: live)")
    doctor.add_argument("--json", action="store_true")
    doctor.set_defaults(func=cmd_doctor)
    bench = sub.add_parser("bench", help="measure detector throughput, cycle time and memory")
    bench.add_argument("--json", action="store_true")
    bench.add_argument("--quick", action="store_true", help="smaller sizes (for tests)")
    bench.set_defaults(func=cmd_bench)
    from bot.runtime import backtest_cli, import_cli, scaffold  # strategies, backtests and the importer (issue 6)

    backtest_cli.add_parser(sub, common)
    import_cli.add_parsers(sub, common)
    scaffold.add_parser(sub)
    from bot.ml import train_cli  # the price-direction model (issue 6)

    train_cli.add_parser(sub, common)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # bad recording, bad period, ...: say it plainly
        print(f"error: {exc}", file=sys.stderr)
        return 2


# Commands that only read the published files. Under load, the native thread pools (Arrow's,
# DuckDB's) were seen to abort during interpreter teardown ("terminate called without an active
# exception") after the answer was already printed; these commands own nothing that needs a
# clean shutdown, so they leave without one.
READ_ONLY_COMMANDS = {"status", "positions", "trades", "performance"}

if __name__ == "__main__":
    code = main()
    if len(sys.argv) > 1 and sys.argv[1] in READ_ONLY_COMMANDS:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
