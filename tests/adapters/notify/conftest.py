"""Fixtures for the notifier tests: fake Telegram and Discord servers on 127.0.0.1, fast settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config.loader import Secrets
from bot.config.schema import Notifications, Settings
from tests.fakes.chat_servers import FakeDiscord, FakeTelegram

TOKEN = "7391025846:AAF-s3cr3tT0kenForTestsOnly_xyz123"
OWNER_CHAT = 424242
STRANGER_CHAT = 999001


@pytest.fixture()
def telegram() -> Iterator[FakeTelegram]:
    server = FakeTelegram(TOKEN).start()
    yield server
    server.stop()


@pytest.fixture()
def discord() -> Iterator[FakeDiscord]:
    server = FakeDiscord().start()
    yield server
    server.stop()


def fast_notifications(telegram: FakeTelegram | None, **overrides: object) -> Notifications:
    values: dict[str, object] = {"batch_window_s": 0.05, "telegram_min_interval_s": 0.05, "discord_min_interval_s": 0.05,
                                 "send_timeout_s": 1.0, "max_retries": 2, "hourly_status": False,
                                 "daily_summary": False, "weekly_report": False}
    if telegram is not None:
        values["telegram_api_url"] = telegram.api_url
    values.update(overrides)
    return Notifications(**values)  # type: ignore[arg-type]


def secrets_for(telegram: FakeTelegram | None, discord: FakeDiscord | None) -> Secrets:
    return Secrets(polymarket_private_key=None, telegram_bot_token=TOKEN if telegram else None,
                   telegram_chat_id=str(OWNER_CHAT) if telegram else None,
                   discord_webhook_url=discord.webhook_url if discord else None, dashboard_password=None)


def settings_with(notifications: Notifications, base: Settings | None = None) -> Settings:
    return (base or Settings()).model_copy(update={"notifications": notifications})
