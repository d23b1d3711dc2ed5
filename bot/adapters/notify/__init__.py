"""Notifications and chat commands: Telegram and Discord, fed by the engine's Notify actions.

``Notifier`` (``notifier.py``) is the port the runtime plugs in; ``build_notifier`` makes one from
settings and secrets (or returns None when no channel is configured); ``send_test`` is the
dashboard's "send test notification" button.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from bot.adapters.notify.messages import TEST, Message, redact
from bot.adapters.notify.notifier import Notifier, chat_ids, secret_values
from bot.adapters.storage.commands import CommandInbox
from bot.config.loader import Secrets
from bot.config.schema import Settings

log = logging.getLogger("polybot.notify")

__all__ = ["Notifier", "attach_to_loop", "build_notifier", "send_test", "start_for_loop"]

TEST_TEXT = "Test notification from Polybot: this channel works. Alerts for trades, risk and errors will arrive here."


def build_notifier(settings: Settings, secrets: Secrets, data_dir: Path | None, inbox: CommandInbox | None
                   ) -> Notifier | None:
    """A started-ready notifier, or None (after one log line per channel) when no channel can work."""
    notifier = Notifier(settings, secrets, data_dir, inbox)
    if not notifier.active:
        if notifier.crash_text:
            log.warning("%s", notifier.crash_text)
        return None
    return notifier


def attach_to_loop(notifier: Notifier, loop: Any) -> None:
    """Plug a notifier into the real-time loop: Notify actions in, state.json gets its counters,
    reports see each published state, and config reloads reach it (via the loop's publish hook)."""
    bot = loop.bot
    notifier.attach(bot.runner, bot.engine)
    seen = {"settings": bot.settings}

    def on_publish(state: dict[str, Any]) -> None:
        if bot.settings is not seen["settings"]:  # the loop reloaded config.yaml
            seen["settings"] = bot.settings
            notifier.apply_settings(bot.settings)
        state["notifications"] = notifier.stats()
        notifier.observe(state)

    loop.publish_hooks.append(on_publish)


def start_for_loop(loop: Any, secrets: Secrets | None = None) -> Notifier | None:
    """Build, attach and start the notifier for ``python -m bot run``; None when no channel is set up."""
    from bot.config.loader import load_secrets

    bot = loop.bot
    notifier = build_notifier(bot.settings, secrets or load_secrets(), bot.data_dir, bot.inbox)
    if notifier is None:
        return None
    attach_to_loop(notifier, loop)
    return notifier.start()


def send_test(channel: str, settings: Settings, secrets: Secrets) -> tuple[bool, str]:
    """Send one test message on ``channel`` ("telegram" or "discord") right now, without the bot running.

    Returns (ok, plain-English result for the UI). Never raises and never includes a secret. Telegram is
    sent with a bare Bot (no polling), so it cannot disturb a running bot's command polling.
    """
    n = settings.notifications
    text = Message(TEST, TEST_TEXT, 0).render()
    try:
        if channel == "telegram":
            if not secrets.telegram_bot_token:
                return False, "Telegram is not set up: TELEGRAM_BOT_TOKEN is missing from the environment or .env."
            chats = chat_ids(n, secrets)
            if not chats:
                return False, "Telegram is not set up: TELEGRAM_CHAT_ID is missing from the environment or .env."
            ok, why = asyncio.run(_telegram_test(secrets.telegram_bot_token, chats, n.telegram_api_url,
                                                 n.send_timeout_s, text))
        elif channel == "discord":
            if not secrets.discord_webhook_url:
                return False, "Discord is not set up: DISCORD_WEBHOOK_URL is missing from the environment or .env."
            from bot.adapters.notify.discord import DiscordChannel

            outcome = DiscordChannel(secrets.discord_webhook_url, n.send_timeout_s).send_blocking(text)
            ok, why = outcome.ok, ("Sent to Discord." if outcome.ok else f"Discord: {outcome.reason}.")
        else:
            return False, f"Unknown channel {channel!r}; use telegram or discord."
    except Exception as exc:  # noqa: BLE001 - the UI gets a sentence, not a traceback
        ok, why = False, f"{channel} test failed: {type(exc).__name__}: {exc}"
    return ok, redact(why, secret_values(secrets))


async def _telegram_test(token: str, chats: list[str], base_url: str, timeout_s: float, text: str) -> tuple[bool, str]:
    from telegram import Bot
    from telegram.error import InvalidToken, TelegramError
    from telegram.request import HTTPXRequest

    request = HTTPXRequest(connect_timeout=timeout_s, read_timeout=timeout_s, write_timeout=timeout_s,
                           pool_timeout=timeout_s)
    try:
        async with Bot(token, base_url=base_url, request=request) as bot:
            for chat in chats:
                await bot.send_message(chat_id=chat, text=text)
    except InvalidToken:
        return False, "Telegram refused the bot token (check TELEGRAM_BOT_TOKEN with @BotFather)."
    except TelegramError as exc:
        return False, f"Telegram: {type(exc).__name__}: {exc.message}."
    return True, f"Sent to {len(chats)} Telegram chat(s)."
