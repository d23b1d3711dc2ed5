"""A real bot process on the simulator with its own data dir, config and health port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.builders import busy_config, wait_for

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(tmp_path: Path, **sections: dict) -> Path:
    """busy_config plus overrides, e.g. ``health={"port": 1234}``."""
    path = busy_config(tmp_path)
    yaml = YAML()
    data = yaml.load(path.read_text())
    for section, values in sections.items():
        for key, value in values.items():
            data[section][key] = value
    with path.open("w") as handle:
        yaml.dump(data, handle)
    return path


def read_state(data_dir: Path) -> dict:
    for _ in range(50):
        try:
            return json.loads((data_dir / "state.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            time.sleep(0.1)
    raise AssertionError("no state.json")


class BotProcess:
    def __init__(self, tmp_path: Path, speed: float = 10, env: dict[str, str] | None = None,
                 **sections: dict) -> None:
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        health = {"port": self.port, **sections.pop("health", {})}
        self.config = write_config(tmp_path, health=health, **sections)
        self.data_dir = tmp_path / "data"
        self.log = tmp_path / "bot.stderr"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--source", "sim", "--speed", str(speed),
             "--config", str(self.config), "--data-dir", str(self.data_dir)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=self.log.open("w"), env={**os.environ, **(env or {})})
        try:
            wait_for(lambda: (self.data_dir / "state.json").exists() or self.proc.poll() is not None)
        except AssertionError:
            self.stop()
            raise
        if self.proc.poll() is not None:
            raise AssertionError(f"bot exited with {self.proc.returncode}:\n{self.explain()}")

    def explain(self, max_chars: int = 6000) -> str:
        """The bot's stderr for a failure message: its tracebacks and warnings, without the
        native-extension leak report (dozens of "nanobind: leaked ..." lines) that a crashed
        process prints at exit and that hid the real cause in the first soak failures."""
        lines = [line for line in self.log.read_text(errors="replace").splitlines()
                 if not line.startswith(("nanobind:", " - leaked ", " - ... skipped", "See https://nanobind"))]
        text = "\n".join(lines)
        start = text.find("Traceback (most recent call last)")
        if start >= 0:  # the first traceback is the cause; later ones are usually its consequences
            text = text[max(0, start - 1000):]
        return text[:max_chars] + (f"\n... ({len(text) - max_chars} more characters in {self.log})"
                                   if len(text) > max_chars else "")

    def state(self) -> dict:
        return read_state(self.data_dir)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)


@pytest.fixture()
def bot_process(tmp_path: Path):  # type: ignore[no-untyped-def]
    bot = BotProcess(tmp_path)
    yield bot
    bot.stop()
