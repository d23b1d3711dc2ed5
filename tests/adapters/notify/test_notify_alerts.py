"""Alerts and pacing: crash-restart at startup, feed down and back, repeated API failures, missing
secrets, switches, de-duplication, batching, Telegram's 429 and pace, and the periodic reports."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest

from bot.adapters.notify import build_notifier
from bot.adapters.notify.messages import Message, pack, pct, redact
from bot.adapters.notify.notifier import Notifier
from bot.adapters.notify.schedule import DAILY, HOURLY, WEEKLY, Schedule
from bot.adapters.notify.throttle import Deduper, Pacer
from bot.config.schema import Notifications, Settings
from bot.core.report import build_state
from bot.domain.actions import Notify, NotifyKind
from tests.adapters.notify.conftest import OWNER_CHAT, fast_notifications, secrets_for, settings_with
from tests.builders import wait_for
from tests.core.test_engine import spiked
from tests.fakes.chat_servers import FakeDiscord, FakeTelegram

UTC = dt.UTC


def test_missing_secrets_disable_each_channel_with_one_log_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "polybot.notify")
    assert build_notifier(Settings(), secrets_for(None, None), None, None) is None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["Telegram notifications disabled: TELEGRAM_BOT_TOKEN is not set in the environment or .env",
                        "Discord notifications disabled: DISCORD_WEBHOOK_URL is not set in the environment or .env"]


def test_crash_restart_feed_down_and_api_failures_are_reported(tmp_path: Path, discord: FakeDiscord) -> None:
    (tmp_path / "state.json").write_text(json.dumps({"status": "running", "written_ts_ms": 1_800_000_000_000}))
    settings = settings_with(fast_notifications(None, feed_down_alert_s=30, api_failures_alert=3))
    notifier = Notifier(settings, secrets_for(None, discord), tmp_path, None, tick_s=0.05).start()
    try:
        wait_for(lambda: any("restarted after an unexpected stop" in c for c in discord.contents()), 10)
        notifier.observe({"feed": {"source": "live", "last_event_age_s": 45.0}})
        wait_for(lambda: any("feed (live) is down: no prices for 45 s" in c for c in discord.contents()), 10)
        notifier.observe({"feed": {"source": "live", "last_event_age_s": 0.2}})
        wait_for(lambda: any("feed is back" in c for c in discord.contents()), 10)
        for _ in range(5):
            notifier.api_failure("Polymarket CLOB", "HTTP 503")
        notifier.api_ok("Polymarket CLOB")
        wait_for(lambda: any("answering again after 5 failures" in c for c in discord.contents()), 10)
    finally:
        notifier.stop()
    text = "\n".join(discord.contents())
    assert text.count("failed 3 times in a row; latest: HTTP 503") == 1  # once per streak, not per failure
    assert text.startswith("🚨 Polybot restarted")


def test_switches_dedup_and_batching(discord: FakeDiscord) -> None:
    settings = settings_with(fast_notifications(None, on_spike=False, batch_window_s=0.3))
    notifier = Notifier(settings, secrets_for(None, discord), None, None, tick_s=0.05).start()
    try:
        notifier.submit(Notify(NotifyKind.SPIKE, "a spike nobody asked about", 1))
        for _ in range(3):
            notifier.submit(Notify(NotifyKind.RISK, "Daily loss limit near: down $1.60 today of a $2.00 limit.", 2))
        for i in range(5):
            notifier.submit(Notify(NotifyKind.ENTRY, f"Bought lot {i}", 3))
        wait_for(lambda: "Bought lot 4" in "\n".join(discord.contents()), 10)
    finally:
        notifier.stop()
    assert len(discord.contents()) == 1  # one burst, one message
    text = discord.contents()[0]
    assert text.count("Daily loss limit near") == 1 and "spike nobody" not in text
    assert notifier.stats()["deduplicated"] == 2 and notifier.stats()["switched_off"] == 1


def test_telegram_rate_limit_and_pace(telegram: FakeTelegram) -> None:
    settings = settings_with(fast_notifications(telegram, telegram_min_interval_s=0.4, batch_window_s=0))
    notifier = Notifier(settings, secrets_for(telegram, None), None, None, tick_s=0.05, poll_timeout_s=1.0).start()
    try:
        wait_for(lambda: bool(notifier.stats()["channels"]["telegram"].get("connected")))
        telegram.rate_limit_next = 1
        notifier.post(Message("entry", "first", 0))
        wait_for(lambda: len(telegram.messages_to(OWNER_CHAT)) == 1, 10)
        for i in range(3):
            notifier.post(Message("entry", f"more {i}", 0))
            wait_for(lambda i=i: f"more {i}" in "\n".join(telegram.messages_to(OWNER_CHAT)), 10)
    finally:
        notifier.stop()
    stamps = [m["ts"] for m in telegram.sent]
    assert all(b - a >= 0.39 for a, b in zip(stamps, stamps[1:], strict=False))  # never faster than the pace
    assert notifier.stats()["channels"]["telegram"]["retried"] == 1  # the 429 was retried, not lost


def test_the_hourly_status_fires_on_the_hour_in_plain_english(discord: FakeDiscord) -> None:
    runner, _, _ = spiked()
    clock = [dt.datetime(2027, 1, 15, 12, 59, 59, tzinfo=UTC).timestamp()]
    settings = settings_with(fast_notifications(None, hourly_status=True))
    notifier = Notifier(settings, secrets_for(None, discord), None, None, tick_s=0.05, wall=lambda: clock[0]).start()
    try:
        state = build_state(runner.engine)
        state["feed"] = {"markets": 1, "last_event_age_s": 0.1}
        notifier.observe(state)
        clock[0] += 2
        wait_for(lambda: any("Hourly status" in c for c in discord.contents()), 10)
    finally:
        notifier.stop()
    text = next(c for c in discord.contents() if "Hourly status" in c)
    assert "📊 Hourly status (PAPER, running)" in text and "Capital $" in text and "1 open position(s)" in text
    assert "Markets 1 watched" in text and "anomalies (spikes)" in text and "Errors: none" in text


def test_schedule_daily_and_weekly_times() -> None:
    n = Notifications(daily_summary_utc="21:00", weekly_report_day="sunday")
    start = dt.datetime(2027, 1, 15, 20, 0, tzinfo=UTC)  # a Friday
    schedule = Schedule(n, start)
    assert schedule.due(start) == []
    assert schedule.due(dt.datetime(2027, 1, 15, 21, 0, 1, tzinfo=UTC)) == [HOURLY, DAILY]
    assert schedule.next_at(WEEKLY) == dt.datetime(2027, 1, 17, 21, 0, tzinfo=UTC)
    assert schedule.due(dt.datetime(2027, 1, 17, 21, 5, tzinfo=UTC)) == [HOURLY, DAILY, WEEKLY]
    quiet = Schedule(Notifications(hourly_status=False, daily_summary=False, weekly_report=False), start)
    assert quiet.due(dt.datetime(2027, 1, 20, tzinfo=UTC)) == []


def test_pure_helpers() -> None:
    assert pack(["a" * 10, "b" * 10, "c" * 10], 25) == ["a" * 10 + "\n\n" + "b" * 10, "c" * 10]
    assert pack(["x" * 30], 10) == ["x" * 9 + "…"]
    assert redact("url https://h/api/webhooks/1/s3cr3tt0ken here", ["s3cr3tt0ken"]) == "url https://h/api/webhooks/1/[redacted] here"
    assert (pct(4.04), pct(-1.25), pct(0.01), pct(12.3, signed=False)) == ("+4.0%", "-1.2%", "0.0%", "12.3%")
    pacer = Pacer(1.0)
    assert pacer.wait_s(10.0) == 0.0
    pacer.sent(10.0)
    assert pacer.wait_s(10.4) == pytest.approx(0.6)
    pacer.hold(10.0, 5.0)
    assert pacer.wait_s(10.0) == pytest.approx(5.0)
    dedup = Deduper(60)
    assert dedup.fresh("k", 0) and not dedup.fresh("k", 59) and dedup.fresh("k", 61)
