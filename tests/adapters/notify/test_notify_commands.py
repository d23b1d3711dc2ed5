"""Telegram commands end to end: a fake Bot API on 127.0.0.1, the real loop and engine on the sim,
python-telegram-bot polling it. Each command changes the bot's state through the command inbox and
answers with the bot's own result; a stranger's chat is ignored."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.notify import attach_to_loop
from bot.adapters.notify.notifier import Notifier
from bot.adapters.storage.state_file import read_state
from bot.config.schema import Settings
from bot.runtime.loop import Loop
from bot.wiring import build
from tests.adapters.notify.conftest import OWNER_CHAT, STRANGER_CHAT, TOKEN, fast_notifications, secrets_for
from tests.builders import wait_for
from tests.fakes.chat_servers import FakeDiscord, FakeTelegram


class Running:
    def __init__(self, loop: Loop, notifier: Notifier, telegram: FakeTelegram, data_dir: Path) -> None:
        self.loop, self.notifier, self.telegram, self.data_dir = loop, notifier, telegram, data_dir

    def state(self) -> dict[str, Any]:
        state = read_state(self.data_dir / "state.json")
        assert state is not None
        return state

    def ask(self, text: str, expect: str, chat: int = OWNER_CHAT) -> str:
        """Send ``text`` from ``chat``; return the first new message to it containing ``expect``."""
        before = len(self.telegram.messages_to(chat))
        self.telegram.user_says(chat, text)
        found: list[str] = []

        def answered() -> bool:
            found[:] = [m for m in self.telegram.messages_to(chat)[before:] if expect in m]
            return bool(found)

        wait_for(answered, 30)
        return found[0]


@pytest.fixture()
def running(tmp_path: Path, telegram: FakeTelegram, discord: FakeDiscord) -> Iterator[Running]:
    settings = Settings.model_validate({
        "strategies": {"spike_hunter": {"enabled": False}},  # only our commands move positions
        "notifications": fast_notifications(telegram).model_dump(),
    })
    bot = build(settings, "sim", tmp_path / "data")
    loop = Loop(bot, speed=20)
    notifier = Notifier(settings, secrets_for(telegram, discord), bot.data_dir, bot.inbox, tick_s=0.1,
                        poll_timeout_s=1.0, answer_timeout_s=20)
    attach_to_loop(notifier, loop)
    notifier.start()
    threshold = gc.get_threshold()
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    handle = Running(loop, notifier, telegram, tmp_path / "data")
    wait_for(lambda: (tmp_path / "data" / "state.json").exists() and bool(handle.state()["markets"]))
    wait_for(lambda: bool(notifier.stats()["channels"]["telegram"].get("connected")))
    yield handle
    loop.stop.set()
    thread.join(30)
    notifier.stop()
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_every_command_works_end_to_end(running: Running) -> None:
    r = running
    assert "/forceexit" in r.ask("/help", "Polybot commands")
    status = r.ask("/status", "Polybot status")
    assert "PAPER, running" in status and "Capital $75.00" in status and "P&L today $0.00 (0.0%), total $0.00 (0.0%)" in status

    assert "Paused" in r.ask("/pause", "✅")
    assert r.state()["status"] == "paused" and r.state()["risk"]["paused"] is True
    assert "Resumed" in r.ask("/resume", "✅")
    wait_for(lambda: r.state()["status"] == "running")
    assert "Entries stopped" in r.ask("/stopentry", "✅")
    wait_for(lambda: r.state()["risk"]["entries_stopped"] is True)
    assert "reload" in r.ask("/reload", "✅")
    r.ask("/resume", "✅")

    # A position to close: a manual paper order from the dashboard's inbox, then /forceexit from the phone.
    market = r.state()["markets"][0]
    r.loop.bot.inbox.submit("manual_order", {"market_id": market["market_id"], "token_id": market["token_id"],
                                             "side": "BUY", "usd": "2"}, "dashboard")
    wait_for(lambda: len(r.state()["positions"]) == 1)
    positions = r.ask("/positions", "open position")
    assert positions.startswith("1 open position(s)") and "1. " in positions and "$" in positions and "%" in positions
    assert "No open position '7'" in r.ask("/forceexit 7", "No open position")
    assert "Closing the position" in r.ask("/forceexit 1", "✅")
    wait_for(lambda: r.state()["positions"] == [])

    # The closed trade shows in /trades once a snapshot has it, and in /pnl and /daily.
    wait_for(lambda: r.state()["performance"]["trades_total"] == 1)
    trades = r.ask("/trades 3", "closed trade")
    assert "Last 1 closed trade(s)" in trades and "%" in trades and "$" in trades
    pnl = r.ask("/pnl", "Today")
    assert "Total" in pnl and "%" in pnl
    daily = r.ask("/daily", "Daily summary")
    assert "1 closed trade(s)" in daily
    assert "Unknown command /moon" in r.ask("/moon", "Unknown command")
    assert "like /trades 5" in r.ask("/trades lots", "like /trades 5")

    # The engine's command results also reached the channels as notifications.
    assert any("🎛 Paused" in m for m in r.telegram.messages_to(OWNER_CHAT))
    # Nothing sent anywhere carries the token.
    assert all(TOKEN not in m for m in r.telegram.messages_to(OWNER_CHAT))


def test_a_strangers_chat_is_ignored(running: Running) -> None:
    r = running
    r.telegram.user_says(STRANGER_CHAT, "/pause")
    wait_for(lambda: r.notifier.stats()["ignored_chats"] == 1)
    r.ask("/status", "Polybot status")  # the owner's command after it is answered...
    assert r.state()["status"] == "running"  # ...and the stranger's /pause did nothing
    assert r.telegram.messages_to(STRANGER_CHAT) == []
    assert not list((r.data_dir / "commands" / "done").glob("*.json"))
