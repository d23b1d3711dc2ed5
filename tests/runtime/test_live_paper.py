"""End to end: the bot, pointed at a fake Polymarket by config, paper-trades a scripted spike,
records the session, publishes feed health in state.json; the recording replays to the same
signals and fills. Also: an unreachable Polymarket never crashes ``python -m bot run``."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bot.config.loader import DEFAULT_CONFIG_PATH
from bot.config.schema import Settings
from bot.runtime.loop import Loop
from bot.wiring import build
from tests.adapters.polymarket.test_live_feed import live_settings
from tests.fakes.polymarket import FakePolymarket

ROOT = Path(__file__).resolve().parents[2]


def drive(fake: FakePolymarket, stop: threading.Event) -> None:
    """Calm for 40 steps, then YES jumps 8 cents and stays: a spike the fader buys NO against."""
    market = fake.market_ids[0]
    for step in range(400):
        if stop.is_set():
            return
        if step == 20:
            fake.set_fault("ws_legacy")  # an obsolete message rides along with every move from here
        fake.set_mid(market, 0.58 if step >= 40 else (0.50 if step % 2 else 0.51))
        stop.wait(0.2)


@pytest.mark.slow
def test_paper_trades_live_data_records_it_and_the_recording_replays_identically(tmp_path: Path) -> None:
    settings = live_settings(None).model_copy()
    with FakePolymarket(markets=3) as fake:
        data = live_settings(fake).model_dump()
        data["runtime"]["record"] = True
        data["risk"].update(cooldown_s=0)
        settings = Settings.model_validate(data)
        bot = build(settings, "live", tmp_path / "data")
        fills: list = []
        bot.runner.on_fill = fills.append
        loop = Loop(bot, speed=1.0, duration_s=14.0)
        stop = threading.Event()
        driver = threading.Thread(target=drive, args=(fake, stop), daemon=True)
        driver.start()
        try:
            loop.run()
        finally:
            stop.set()
            driver.join()
    live_signals = [(s.signal_id, s.ts_ms, s.decision.value, s.price) for s in bot.engine.recent_signals]
    live_fills = [(f.token_id, f.side.value, f.price, f.shares, f.ts_ms) for f in fills]
    assert any(d == "traded" for _, _, d, _ in live_signals), live_signals
    assert live_fills and live_fills[0][0] == fake.no_of[fake.yes_token(fake.market_ids[0])]  # faded: bought NO

    state = json.loads((tmp_path / "data" / "state.json").read_text())
    feed = state["feed"]
    assert feed["source"] == "live" and feed["mode"] == "auto" and feed["scans"] >= 1
    assert feed["watched_markets"] == 3 and feed["dropped"]["legacy_price_change"] >= 1
    assert feed["status"] == "stopped" and "recording" in feed

    recording = Path(feed["recording"])
    replay = build(settings, "replay", None, replay_path=recording)
    replay_fills: list = []
    replay.runner.on_fill = replay_fills.append
    while (cycle := replay.feed.next_cycle()) is not None:
        replay.runner.run_cycle(cycle.ts_ms, cycle.events)
    assert [(s.signal_id, s.ts_ms, s.decision.value, s.price) for s in replay.engine.recent_signals] == live_signals
    assert [(f.token_id, f.side.value, f.price, f.shares, f.ts_ms) for f in replay_fills] == live_fills


def unreachable_config(tmp_path: Path) -> Path:
    yaml = YAML()
    base = yaml.load(DEFAULT_CONFIG_PATH.read_text())
    base["polymarket"]["gamma_url"] = base["polymarket"]["clob_url"] = "http://127.0.0.1:9"
    base["polymarket"]["ws_url"] = "ws://127.0.0.1:9/ws/market"
    base["polymarket"]["timeout_s"] = 0.5
    path = tmp_path / "config.yaml"
    with path.open("w") as handle:
        yaml.dump(base, handle)
    return path


def test_run_keeps_going_offline_when_polymarket_is_unreachable(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = subprocess.run([sys.executable, "-m", "bot", "run", "--duration", "4", "--config",
                             str(unreachable_config(tmp_path)), "--data-dir", str(data_dir)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Polymarket market list (Gamma) unavailable" in result.stderr and "retrying" in result.stderr
    assert "Traceback" not in result.stderr
    state = json.loads((data_dir / "state.json").read_text())
    assert state["source"] == "live"  # the default source
    assert state["cycle"]["count"] >= 3 and state["feed"]["errors"]["connect_error"] >= 1


def test_record_command_writes_a_loadable_recording(tmp_path: Path) -> None:
    from bot.adapters.feeds.recording import load_recording

    with FakePolymarket(markets=2) as fake:
        yaml = YAML()
        base = yaml.load(DEFAULT_CONFIG_PATH.read_text())
        base["polymarket"].update(gamma_url=fake.gamma_url, clob_url=fake.clob_url, ws_url=fake.ws_url)
        config = tmp_path / "config.yaml"
        with config.open("w") as handle:
            yaml.dump(base, handle)
        token = fake.yes_token(fake.market_ids[1])
        out = tmp_path / "rec"
        proc = subprocess.Popen([sys.executable, "-m", "bot", "record", "--duration", "6", "--tokens", token,
                                 "--out", str(out), "--config", str(config), "--json"],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while not fake.ws_subscriptions and time.monotonic() < deadline:  # the recorder is streaming
            time.sleep(0.1)
        time.sleep(1.0)
        fake.set_mid(fake.market_ids[1], 0.7)
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert json.loads(stdout)["markets"] == 1
    rec = load_recording(out)
    assert [m.market_id for m in rec.markets] == [fake.market_ids[1]]
    bids = [u.book.best_bid for u in rec.book_updates() if u.book.token_id == token]
    assert bids[0] == 0.49 and bids[-1] == 0.69, bids
