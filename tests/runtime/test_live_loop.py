"""The real-time loop as the dashboard sees it: commands acted on once, config picked up live,
SIGTERM shuts down cleanly."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.adapters.storage.commands import CommandInbox
from tests.builders import busy_config, wait_for

ROOT = Path(__file__).resolve().parents[2]


def state(data_dir: Path) -> dict:
    for _ in range(50):
        try:
            return json.loads((data_dir / "state.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            time.sleep(0.1)
    raise AssertionError("no state.json")


@pytest.fixture()
def running_bot(tmp_path: Path):  # type: ignore[no-untyped-def]
    config = busy_config(tmp_path)
    data_dir = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--source", "sim", "--speed", "10",
                             "--config", str(config), "--data-dir", str(data_dir)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: (data_dir / "state.json").exists())
    yield proc, config, data_dir
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def test_pause_and_resume_commands_are_acted_on_exactly_once(running_bot) -> None:  # type: ignore[no-untyped-def]
    proc, _, data_dir = running_bot
    inbox = CommandInbox(data_dir)
    pause = inbox.submit("pause", {}, "test")
    wait_for(lambda: inbox.result(pause) is not None)
    assert inbox.result(pause)["ok"] is True
    wait_for(lambda: state(data_dir)["status"] == "paused")
    assert state(data_dir)["risk"]["paused"] is True
    # The same command id dropped in again (a double click, a retried write) is not acted on twice.
    (data_dir / "commands" / f"{pause}.json").write_text(json.dumps({"command_id": pause, "kind": "resume",
                                                                      "args": {}, "ts_ms": 0}))
    wait_for(lambda: not (data_dir / "commands" / f"{pause}.json").exists())
    time.sleep(0.5)
    assert state(data_dir)["status"] == "paused"
    resume = inbox.submit("resume", {}, "test")
    wait_for(lambda: state(data_dir)["status"] == "running")
    assert inbox.result(resume)["ok"] is True


def test_config_edits_are_picked_up_live_and_bad_ones_are_reported(running_bot) -> None:  # type: ignore[no-untyped-def]
    proc, config, data_dir = running_bot
    wait_for(lambda: bool(state(data_dir)["markets"]))
    assert state(data_dir)["markets"][0]["cusum_threshold"] == 0.03
    config.write_text(config.read_text().replace("cusum_threshold: 0.03", "cusum_threshold: 0.05"))
    wait_for(lambda: state(data_dir)["markets"][0]["cusum_threshold"] == 0.05)
    config.write_text(config.read_text().replace("cusum_threshold: 0.05", "cusum_threshold: -1"))
    wait_for(lambda: bool(state(data_dir).get("config_error")))
    assert "detection.cusum_threshold" in state(data_dir)["config_error"]
    assert state(data_dir)["markets"][0]["cusum_threshold"] == 0.05  # the old settings stay in force
    assert proc.poll() is None


def test_sigterm_stops_cleanly_with_a_final_state(running_bot) -> None:  # type: ignore[no-untyped-def]
    proc, _, data_dir = running_bot
    wait_for(lambda: state(data_dir)["cycle"]["count"] > 5)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    final = state(data_dir)
    assert final["status"] == "stopped"
    assert (data_dir / "snapshots" / "trades.parquet").exists()
