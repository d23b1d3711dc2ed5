"""Replays through the real CLI: the same recording gives byte-identical results every time."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from bot.adapters.feeds.sim import write_sim_recording
from tests.builders import busy_config

ROOT = Path(__file__).resolve().parents[2]
TABLES = ("fills", "trades", "orders", "signals", "equity", "risk_decisions")


def replay(recording: Path, config: Path, data_dir: Path) -> dict[str, str]:
    result = subprocess.run([sys.executable, "-m", "bot", "run", "--source", "replay", "--replay", str(recording),
                             "--speed", "0", "--config", str(config), "--data-dir", str(data_dir)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    digests = {}
    for table in TABLES:
        rows = pq.read_table(data_dir / "snapshots" / f"{table}.parquet").to_pylist()
        digests[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    digests["fill_count"] = str(len(pq.read_table(data_dir / "snapshots" / "fills.parquet")))
    return digests


def test_replaying_a_recording_twice_gives_identical_results(tmp_path: Path) -> None:
    recording = write_sim_recording(tmp_path / "rec", markets=30, seed=11, seconds=900)
    config = busy_config(tmp_path)
    first = replay(recording, config, tmp_path / "one")
    second = replay(recording, config, tmp_path / "two")
    assert int(first["fill_count"]) > 0, "the recording must produce trades for the comparison to mean anything"
    assert first == second
