"""Start the bot and the Streamlit dashboard together; stop both when either ends or on Ctrl-C.

Used by `make run` and `make demo`. Everything after the options is passed to `python -m bot`,
e.g. `python scripts/run_both.py run --source sim --profile dev`; a `--data-dir` there is handed
to the dashboard as POLYBOT_DATA_DIR so both read the same folder. Each child runs in its own
process group, so a Ctrl-C reaches this launcher once and it shuts the children down in order:
SIGINT first (the bot flushes its store), SIGTERM after a grace period, SIGKILL as a last resort.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

GRACE_INT_S = 15.0
GRACE_TERM_S = 5.0


def _start(name: str, argv: list[str]) -> subprocess.Popen[bytes]:
    print(f"[run] starting {name}: {' '.join(argv)}", flush=True)
    return subprocess.Popen(argv, start_new_session=True)


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def _stop_all(procs: dict[str, subprocess.Popen[bytes]]) -> None:
    for sig, grace_s in ((signal.SIGINT, GRACE_INT_S), (signal.SIGTERM, GRACE_TERM_S), (signal.SIGKILL, 5.0)):
        alive = {n: p for n, p in procs.items() if p.poll() is None}
        if not alive:
            return
        for name, proc in alive.items():
            print(f"[run] sending {signal.Signals(sig).name} to {name} (pid {proc.pid})", flush=True)
            _signal_group(proc, sig)
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and any(p.poll() is None for p in alive.values()):
            time.sleep(0.1)


def _data_dir_arg(bot_args: list[str]) -> str | None:
    for i, arg in enumerate(bot_args):
        if arg == "--data-dir" and i + 1 < len(bot_args):
            return bot_args[i + 1]
        if arg.startswith("--data-dir="):
            return arg.split("=", 1)[1]
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("POLYBOT_DASHBOARD_PORT", "8501")))
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("bot_args", nargs=argparse.REMAINDER, help="arguments for `python -m bot`")
    args = parser.parse_args(argv)
    bot_args = [a for a in args.bot_args if a != "--"] or ["run"]

    os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
    data_dir = _data_dir_arg(bot_args)
    if data_dir:
        # The dashboard has no --data-dir flag; it reads POLYBOT_DATA_DIR, like the bot's default.
        os.environ["POLYBOT_DATA_DIR"] = os.path.abspath(data_dir)
    stop_requested = False

    def _on_signal(signum: int, _frame: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)

    procs: dict[str, subprocess.Popen[bytes]] = {}
    procs["bot"] = _start("bot", [sys.executable, "-m", "bot", *bot_args])
    procs["dashboard"] = _start(
        "dashboard",
        [sys.executable, "-m", "streamlit", "run", "app.py",
         "--server.port", str(args.port), "--server.address", args.address, "--server.headless", "true"],
    )
    print(f"[run] dashboard: http://{args.address}:{args.port}  (Ctrl-C stops both)", flush=True)

    exit_code = 0
    try:
        while not stop_requested:
            ended = {n: p.returncode for n, p in procs.items() if p.poll() is not None}
            if ended:
                for name, code in ended.items():
                    print(f"[run] {name} exited with code {code}; stopping the rest", flush=True)
                    if code:
                        exit_code = exit_code or (code if code > 0 else 1)
                break
            time.sleep(0.2)
    finally:
        _stop_all(procs)
    if stop_requested:
        print("[run] stopped", flush=True)
        return 0
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
