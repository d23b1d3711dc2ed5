"""A simulated trade reaches Telegram and Discord in plain English; hanging chat servers do not slow
the trading loop (measured by cycle count at a fixed pace)."""

from __future__ import annotations

import gc
import logging
import re
import time

import pytest

from bot.adapters.notify import attach_to_loop
from bot.adapters.notify.notifier import Notifier
from bot.config.schema import Settings
from bot.runtime.loop import Loop
from bot.wiring import build
from tests.adapters.notify.conftest import OWNER_CHAT, TOKEN, fast_notifications, secrets_for, settings_with
from tests.builders import flat, list_market, make_runner, market, wait_for, yes_no_books
from tests.fakes.chat_servers import FakeDiscord, FakeTelegram

MONEY = re.compile(r"[+-]?\$\d+\.\d{2}")
PERCENT = re.compile(r"[+-]?\d+\.\d%")


def test_a_simulated_trade_is_announced_on_both_channels(telegram: FakeTelegram, discord: FakeDiscord,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings = settings_with(fast_notifications(telegram))
    runner = make_runner(settings)
    notifier = Notifier(settings, secrets_for(telegram, discord), None, None, tick_s=0.1, poll_timeout_s=1.0).start()
    notifier.attach(runner, runner.engine)
    try:
        m = market(fee_rate="0.05")
        list_market(runner, m)
        ts = flat(runner, m, 30) + 1000
        runner.run_cycle(ts, yes_no_books(m, 0.57, 0.59, ts))  # spike up: the bot fades it by buying No
        assert runner.engine.portfolio.positions
        flat(runner, m, 20, start_ms=ts, mid=0.45)  # Yes falls back: the No position hits its target
        assert runner.engine.recent_trades, "the scenario should close the trade"

        def both_have(word: str) -> bool:
            return any(word in t for t in telegram.messages_to(OWNER_CHAT)) and any(word in c for c in discord.contents())

        wait_for(lambda: both_have("Bought") and both_have("Closed"), 20)
    finally:
        notifier.stop()
    trade = runner.engine.recent_trades[0]
    for messages in (telegram.messages_to(OWNER_CHAT), discord.contents()):
        everything = "\n".join(messages)
        texts = everything.split("\n\n")  # a burst arrives batched in one chat message
        entry = next(t for t in texts if "Bought" in t)
        assert entry.startswith("🟢 Bought") and "No at" in entry and "“Will m1 happen?”" in entry and MONEY.search(entry)
        exit_ = next(t for t in texts if "Closed" in t)
        assert exit_.startswith("🏁 Closed") and f"{trade.shares} No" in exit_ and "won +$" in exit_
        assert PERCENT.search(exit_) and "fees $" in exit_
        assert TOKEN not in everything and "s3cr3t-webhook-token" not in everything
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert TOKEN not in logged and "s3cr3t-webhook-token" not in logged


def _cycles(settings: Settings, notifier: Notifier | None) -> int:
    bot = build(settings, "sim", None, start_ts_ms=1_800_000_000_000)
    loop = Loop(bot, speed=50, duration_s=1.5)  # paced: 50 cycles a second when nothing gets in the way
    if notifier is not None:
        attach_to_loop(notifier, loop)
    threshold = gc.get_threshold()
    try:
        loop.run()
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
    return loop.cycles


@pytest.mark.slow
def test_hanging_chat_servers_do_not_slow_the_trading_loop(telegram: FakeTelegram, discord: FakeDiscord) -> None:
    settings = Settings.model_validate({
        "sim": {"jump_probability": 0.05},  # plenty of spikes...
        "notifications": fast_notifications(telegram, on_spike=True, send_timeout_s=5.0).model_dump(),  # ...announced
        "risk": {"max_open_trades": 20, "cooldown_s": 0},
    })
    baseline = _cycles(settings, None)
    notifier = Notifier(settings, secrets_for(telegram, discord), None, None, tick_s=0.1, poll_timeout_s=1.0).start()
    wait_for(lambda: bool(notifier.stats()["channels"]["telegram"].get("connected")))
    telegram.hang = discord.hang = True
    try:
        with_hang = _cycles(settings, notifier)
        stats = notifier.stats()
        # The notifier really was busy with the stuck servers while the loop ran.
        assert discord.attempts >= 1 and "sendmessage" in telegram.calls
        assert stats["channels"]["discord"]["sent"] == 0 and stats["channels"]["telegram"]["sent"] == 0
        queued = stats["channels"]["discord"]["queued"] + stats["channels"]["telegram"]["queued"]
        assert queued > 0 or stats["channels"]["discord"]["failed"] > 0
    finally:
        started = time.monotonic()
        notifier.stop(timeout_s=2.0)
        stop_s = time.monotonic() - started
    assert baseline > 40
    assert with_hang >= 0.9 * baseline, f"{with_hang} cycles with hanging servers vs {baseline} without"
    assert stop_s < 15  # shutting down is bounded even while the servers hang
