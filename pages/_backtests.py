"""The Backtest page's files and processes: stored runs, recordings, and backtest jobs.

A backtest never runs inside the Streamlit server (it shares a small container): ``start`` launches
``python -m bot backtest ... --progress-file`` as its own process in its own session, so a page
rerun, a closed browser tab or a Streamlit restart does not stop it, and the page follows it by
reading the small progress file it writes. One job at a time per data dir (a lock file makes the
check-and-start atomic across browser sessions). Each job keeps its folder under
``<data>/backtest_jobs/<job id>/``: job.json (what and which pid), progress.json, output.log.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pages._shared import REPO, data_dir

MAX_RECORDINGS = 100
LOG_TAIL_BYTES = 4000


class JobRunning(RuntimeError):
    """A backtest is already running; the page says so instead of starting a second one."""


@dataclass(frozen=True, slots=True)
class Job:
    job_id: str
    folder: Path
    pid: int
    what: str
    started_ts_ms: int

    def progress(self) -> dict[str, Any] | None:
        return _read_json(self.folder / "progress.json")

    def log_tail(self) -> str:
        try:
            with open(self.folder / "output.log", "rb") as handle:
                handle.seek(0, os.SEEK_END)
                handle.seek(max(0, handle.tell() - LOG_TAIL_BYTES))
                return handle.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def alive(self) -> bool:
        return _alive(self.pid)

    @property
    def dismissed(self) -> bool:
        return (self.folder / "dismissed").exists()

    @property
    def stopped_by_user(self) -> bool:
        return (self.folder / "stopped").exists()


def runs_root() -> Path:
    return data_dir() / "backtests"


def jobs_root() -> Path:
    return data_dir() / "backtest_jobs"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def list_runs() -> list[dict[str, Any]]:
    """Stored runs' reports, newest first (as ``python -m bot backtest --list``; a half-written
    or foreign folder is skipped)."""
    reports = [_read_json(p) for p in sorted(runs_root().glob("*/report.json"), reverse=True)]
    return [r for r in reports if isinstance(r, dict) and r.get("id")]


def load_run(run_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A stored run's (equity points, closed trades); empty lists when a file is missing."""
    folder = runs_root() / Path(run_id).name  # a bare name: never a path out of the runs folder
    equity, trades = _read_json(folder / "equity.json"), _read_json(folder / "trades.json")
    return (equity if isinstance(equity, list) else []), (trades if isinstance(trades, list) else [])


def recordings() -> list[Path]:
    """Recording folders in the data dir (``recordings/<time>/`` from `record`, or an imported one
    one or two levels down), newest first."""
    root = data_dir()
    found = {p.parent for pattern in ("*/ticks.parquet", "*/ticks.csv", "*/*/ticks.parquet", "*/*/ticks.csv")
             for p in root.glob(pattern)}
    found = {p for p in found if p.parent.name != "backtests" and p.name != "snapshots"}
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)[:MAX_RECORDINGS]


def latest_job() -> Job | None:
    folders = sorted(jobs_root().glob("*/job.json"), reverse=True)
    for path in folders:
        meta = _read_json(path)
        if isinstance(meta, dict) and "pid" in meta:
            return Job(str(meta["job_id"]), path.parent, int(meta["pid"]), str(meta.get("what", "")),
                       int(meta.get("started_ts_ms", 0)))
    return None


def running_job() -> Job | None:
    job = latest_job()
    if job is None or not job.alive():
        return None
    status = (job.progress() or {}).get("status", "running")
    return job if status == "running" else None


def start(cli_args: list[str], what: str, config_path: Path) -> Job:
    """Launch ``python -m bot <cli_args>`` detached; JobRunning if one is still going."""
    root = jobs_root()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two browser tabs pressing Start at once get one run
        if (current := running_job()) is not None:
            raise JobRunning(f"A backtest is already running ({current.what}); wait for it or stop it first.")
        now_ms = time.time_ns() // 1_000_000
        job_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now_ms / 1000)) + f"{now_ms % 1000:03d}"
        folder = root / job_id
        folder.mkdir()
        argv = [sys.executable, "-m", "bot", *cli_args, "--config", str(config_path), "--data-dir", str(data_dir()),
                "--json", "--progress-file", str(folder / "progress.json")]
        with open(folder / "output.log", "wb") as log:
            process = subprocess.Popen(_oom_first(argv), cwd=REPO, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True,
                                       env={**os.environ, "PYTHONUNBUFFERED": "1"})
        meta = {"job_id": job_id, "pid": process.pid, "argv": argv, "what": what, "started_ts_ms": now_ms}
        tmp = folder / ".job.json.tmp"
        tmp.write_text(json.dumps(meta))
        tmp.replace(folder / "job.json")
        _children[process.pid] = process
        return Job(job_id, folder, process.pid, what, now_ms)


def stop(job: Job) -> None:
    """Stop a running job (its whole process group) and remember it was the user's doing."""
    try:
        os.killpg(job.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    (job.folder / "stopped").write_text("stopped by the user")


def dismiss(job: Job) -> None:
    (job.folder / "dismissed").write_text("")


# Popen objects of jobs this server started: polling them reaps the finished child, so it does not
# linger as a zombie that still "exists" to os.kill(pid, 0).
_children: dict[int, subprocess.Popen[bytes]] = {}


def _alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        _children.pop(pid, None)
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a pid reused by another program after a reboot is not our backtest
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): trust os.kill
    return b"backtest" in cmdline and stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _oom_first(argv: list[str]) -> list[str]:
    """Under memory pressure the kernel should kill the backtest, not the dashboard: raise the
    child's OOM score (allowed without privileges) in a shell that then execs the real command."""
    if not Path("/proc/self/oom_score_adj").exists() or not Path("/bin/sh").exists():
        return argv
    return ["/bin/sh", "-c", 'echo 1000 > /proc/self/oom_score_adj 2>/dev/null; exec "$@"', "backtest", *argv]
