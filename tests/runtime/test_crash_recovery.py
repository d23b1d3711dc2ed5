"""Crash-only: SIGKILL a running bot, restart it, and nothing acknowledged is lost or doubled.

An acknowledged fill is one the bot has published (snapshots/fills.parquet, state.json). After
a SIGKILL at an arbitrary moment and a restart on the same data dir, every such fill is still in
the store, cash and positions rebuild exactly from the stored fills, every open position the
bot last reported is back, and no client order id appears twice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from bot.adapters.storage.commands import CommandInbox
from bot.config.loader import load_settings
from bot.runtime.offline import run_offline
from bot.wiring import build
from tests.builders import busy_config, wait_for

ROOT = Path(__file__).resolve().parents[2]

def start_bot(config: Path, data_dir: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot", "run", "--source", "sim", "--speed", "0",
                             "--config", str(config), "--data-dir", str(data_dir), *extra],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def published_fills(data_dir: Path) -> set[str]:
    try:
        return set(pq.read_table(data_dir / "snapshots" / "fills.parquet").column("fill_id").to_pylist())
    except (FileNotFoundError, OSError):
        return set()


def test_sigkill_loses_no_acknowledged_fill_and_restores_positions(tmp_path: Path) -> None:
    config = busy_config(tmp_path)
    data_dir = tmp_path / "data"
    bot = start_bot(config, data_dir)
    try:
        wait_for(lambda: len(published_fills(data_dir)) >= 6)
        time.sleep(0.37)  # an arbitrary moment, mid-cycle more often than not
        acknowledged = published_fills(data_dir)
        state = json.loads((data_dir / "state.json").read_text())
        bot.send_signal(signal.SIGKILL)
        bot.wait(timeout=30)
    finally:
        if bot.poll() is None:
            bot.kill()
    assert bot.returncode == -signal.SIGKILL

    # Restart (in-process, so the recovered engine can be inspected before it trades again).
    settings = load_settings(config)
    restarted = build(settings, "sim", data_dir)
    try:
        stored = restarted.store.load_fills()
        stored_ids = [f.fill_id for f in stored]
        assert acknowledged <= set(stored_ids), "an acknowledged fill was lost"
        assert len(stored_ids) == len(set(stored_ids))
        portfolio = restarted.engine.portfolio
        assert portfolio.cash == settings.money.starting_capital_usd + sum((f.cash_delta for f in stored), Decimal(0))
        for position in portfolio.positions.values():
            assert position.shares > 0
            assert position.stop_price > 0 and position.target_price > position.stop_price
        # Every position last reported is back, unless a fill after that report closed it.
        reported_at = state["market_ts_ms"]
        closed_later = {f.token_id for f in stored if f.ts_ms > reported_at and f.side == "SELL"}
        for row in state["positions"]:
            if row["token_id"] not in closed_later:
                assert row["token_id"] in portfolio.positions
                assert Decimal(row["shares"]) <= portfolio.positions[row["token_id"]].shares
        orders = restarted.store.load_orders()
        assert all(status.is_terminal for _, status, _ in orders), "in-flight paper orders are settled at startup"
        ids = [order.client_order_id for order, _, _ in orders]
        assert len(ids) == len(set(ids))
        assert {f.client_order_id for f in stored if not f.client_order_id.startswith("settle-")} <= set(ids)
    finally:
        restarted.store.close()

    # And the real process starts again on the same data dir and keeps going.
    again = start_bot(config, data_dir, "--duration", "4")
    assert again.wait(timeout=120) == 0, again.stderr.read() if again.stderr else ""
    final = json.loads((data_dir / "state.json").read_text())
    assert final["status"] == "stopped"
    assert acknowledged <= published_fills(data_dir)


def test_a_command_replayed_after_a_crash_never_places_a_second_order(tmp_path: Path) -> None:
    """The crash window between writing an order and filing its command: the command is read
    again on restart, maps to the same client order id, and the store stops the second send."""
    settings = load_settings()
    data_dir = tmp_path / "data"
    first = build(settings, "sim", data_dir, start_ts_ms=1_800_000_000_000)
    run_offline(first, max_cycles=5)
    token = first.engine.markets["sim-2"].primary.token_id
    inbox = CommandInbox(data_dir)
    command_id = inbox.submit("manual_order", {"market_id": "sim-2", "token_id": token, "side": "BUY", "usd": "3"},
                              "test")
    commands = inbox.pending(first.engine.now_ms + 1000)
    cycle = first.feed.next_cycle()
    first.runner.run_cycle(cycle.ts_ms, cycle.events, commands)
    orders_before = [o for o, _, _ in first.store.load_orders()]
    assert len(orders_before) == 1 and token in first.engine.portfolio.positions
    first.store.close()  # "crash": the command file is never moved to done/

    second = build(settings, "sim", data_dir, start_ts_ms=1_800_000_000_000)
    try:
        assert token in second.engine.portfolio.positions  # recovered from the stored fill
        replayed = [c for c in inbox.pending(second.engine.now_ms + 1000) if c.command_id == command_id]
        assert replayed, "the unfiled command is still waiting"
        # Pretend the position was closed meanwhile so risk would not refuse for 'already held'.
        second.engine.portfolio.positions.clear()
        cycle = second.feed.next_cycle()
        second.runner.run_cycle(cycle.ts_ms, cycle.events, replayed)
        orders_after = [o for o, _, _ in second.store.load_orders()]
        assert [o.client_order_id for o in orders_after] == [o.client_order_id for o in orders_before]
        assert len(second.store.load_fills()) == 1
    finally:
        second.store.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
def test_second_bot_on_the_same_data_dir_is_refused(tmp_path: Path) -> None:
    config = busy_config(tmp_path)
    data_dir = tmp_path / "data"
    bot = start_bot(config, data_dir)
    try:
        wait_for(lambda: (data_dir / "state.json").exists())
        second = subprocess.run([sys.executable, "-m", "bot", "run", "--source", "sim", "--duration", "1",
                                 "--config", str(config), "--data-dir", str(data_dir)],
                                cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert second.returncode == 2
        assert "already open in another process" in second.stderr
    finally:
        bot.send_signal(signal.SIGTERM)
        bot.wait(timeout=30)
    assert bot.returncode == 0
