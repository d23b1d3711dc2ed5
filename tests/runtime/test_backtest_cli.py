"""``python -m bot backtest --progress-file``: the file another process (the dashboard) follows a run by."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def backtest(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    progress = tmp_path / "progress.json"
    done = subprocess.run([sys.executable, "-m", "bot", "backtest", *args, "--data-dir", str(tmp_path), "--json",
                           "--progress-file", str(progress)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    return done, json.loads(progress.read_text())


def test_a_finished_run_names_its_stored_folder(tmp_path: Path) -> None:
    done, progress = backtest(tmp_path, "--strategy", "spike_hunter", "--sim", "--cycles", "600")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert progress["status"] == "done" and progress["done"] == progress["total"] == 600
    assert progress["run_id"] == report["id"] and (tmp_path / "backtests" / report["id"] / "report.json").exists()
    assert progress["updated_ts_ms"] >= progress["started_ts_ms"] > 0
    assert not list(tmp_path.glob(".progress.json.tmp")), "written through a temp file, replaced atomically"


def test_a_failed_run_leaves_the_same_words_it_prints(tmp_path: Path) -> None:
    done, progress = backtest(tmp_path, "--strategy", "momentum", "--sim", "--params", "min_mvoe=0.1")
    assert done.returncode == 2
    assert progress["status"] == "failed" and progress["kind"] == "ConfigError"
    assert "did you mean 'strategies.momentum.min_move'" in progress["error"] and progress["error"] in done.stderr
