"""Telegram: alerts to the allowed chats and commands from them, with python-telegram-bot 22.

The Application runs inside the notifier's own asyncio loop with the manual lifecycle
(``initialize`` → ``start`` → ``updater.start_polling``; the reverse on stop), never
``run_polling``, which wants the main thread and a loop of its own. ``base_url`` comes from config
so a self-hosted Bot API server (or the tests' fake) can stand in for api.telegram.org.

Only chats in the allowed list are answered; anything else is logged, counted and ignored. Sending
never raises: each attempt returns an ``Outcome`` for the outbox to retry or drop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import warnings
from collections.abc import Awaitable, Callable

from telegram import BotCommand, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.adapters.notify.channel import SENT, Outcome, drop, retry
from bot.adapters.notify.messages import TELEGRAM_LIMIT, pack

log = logging.getLogger("polybot.notify.telegram")
# httpx logs every request URL at INFO and PTB the API URL at DEBUG; both contain the bot token.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("telegram").setLevel(logging.INFO)

CommandHandler = Callable[[str, list[str]], Awaitable[str]]
RECONNECT_S = 30.0


def _seconds(value: int | float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def parse_command(text: str) -> tuple[str, list[str]] | None:
    """``/trades@polybot 5`` -> ("trades", ["5"]); None for text that is not a command."""
    words = text.strip().split()
    if not words or not words[0].startswith("/") or len(words[0]) < 2:
        return None
    return words[0][1:].split("@", 1)[0].lower(), words[1:]


class TelegramChannel:
    name = "telegram"
    limit = TELEGRAM_LIMIT

    def __init__(self, token: str, chat_ids: list[str], base_url: str, timeout_s: float,
                 on_command: CommandHandler, poll_timeout_s: float = 10.0,
                 commands_help: dict[str, str] | None = None) -> None:
        self.chat_ids = list(dict.fromkeys(str(chat).strip() for chat in chat_ids if str(chat).strip()))
        self._allowed = set(self.chat_ids)
        self._on_command = on_command
        self._commands_help = commands_help or {}
        self.poll_timeout_s = poll_timeout_s
        self.ignored_chats = 0
        self.commands_handled = 0
        self.connected = False
        self._disabled = False
        self._connect_task: asyncio.Task[None] | None = None
        self.app = (
            Application.builder().token(token).base_url(base_url)
            .connect_timeout(timeout_s).read_timeout(timeout_s).write_timeout(timeout_s).pool_timeout(timeout_s)
            .get_updates_connect_timeout(timeout_s).get_updates_pool_timeout(timeout_s)
            .get_updates_read_timeout(poll_timeout_s + timeout_s)
            .build()
        )
        self.app.add_handler(MessageHandler(filters.ALL, self._on_update))

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> bool:
        """Connect now if Telegram answers; otherwise keep trying in the background (one log line)."""
        if await self._connect(first=True):
            return True
        if not self._disabled:
            self._connect_task = asyncio.create_task(self._reconnect())
        return not self._disabled

    async def _connect(self, first: bool) -> bool:
        try:
            await self.app.initialize()  # getMe: checks the token
            await self.app.start()
            # Commands sent while the bot was down are dropped: a /forceexit from hours ago must not fire now.
            await self.app.updater.start_polling(timeout=self.poll_timeout_s, drop_pending_updates=True,
                                                 allowed_updates=["message"], bootstrap_retries=0)
        except InvalidToken:
            self._disabled = True
            log.error("Telegram disabled: the API refused TELEGRAM_BOT_TOKEN (check the token with @BotFather)")
            return False
        except TelegramError as exc:
            level = logging.WARNING if first else logging.DEBUG
            log.log(level, "Telegram not reachable (%s); retrying every %.0f s in the background",
                    type(exc).__name__, RECONNECT_S)
            await self._shutdown_app()
            return False
        self.connected = True
        try:
            await self.app.bot.set_my_commands([BotCommand(name, text) for name, text in self._commands_help.items()])
        except TelegramError as exc:  # the menu is a nicety; commands work without it
            log.info("could not register the Telegram command menu: %s", type(exc).__name__)
        log.info("Telegram connected: alerts to %d chat(s), commands accepted from them only", len(self.chat_ids))
        return True

    async def _reconnect(self) -> None:
        while not self.connected and not self._disabled:
            await asyncio.sleep(RECONNECT_S)
            if await self._connect(first=False):
                return

    async def _shutdown_app(self) -> None:
        app = self.app
        try:
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            await app.shutdown()
        except Exception as exc:  # noqa: BLE001 - closing must not fail the caller
            log.debug("telegram shutdown: %s", exc)

    async def stop(self) -> None:
        if self._connect_task is not None:
            self._connect_task.cancel()
        if self.connected:
            self.connected = False
            await self._shutdown_app()

    # -- sending ---------------------------------------------------------------------------------
    async def send(self, text: str) -> Outcome:
        if self._disabled:
            return drop("Telegram is disabled (bad token)")
        if not self.connected:
            return retry(RECONNECT_S / 3, "Telegram not connected yet")
        for chat_id in self.chat_ids:
            outcome = await self._send_one(chat_id, text)
            if not outcome.ok:
                return outcome  # a retry resends to every chat: Telegram cannot tell us which got it
        return SENT

    async def _send_one(self, chat_id: str, text: str) -> Outcome:
        try:
            await self.app.bot.send_message(chat_id=chat_id, text=text, disable_web_page_preview=True)
        except RetryAfter as exc:
            with warnings.catch_warnings():  # PTB 22 warns that the int form is going away; we take either
                warnings.simplefilter("ignore")
                wait = _seconds(exc.retry_after)
            return retry(wait, f"Telegram rate limit, retry after {wait:g} s")
        except TimedOut:
            return retry(0.0, "Telegram did not answer in time")
        except (Forbidden, BadRequest) as exc:
            return drop(f"Telegram refused the message for chat {chat_id}: {exc.message}")
        except NetworkError as exc:
            return retry(2.0, f"network error talking to Telegram ({type(exc).__name__})")
        except TelegramError as exc:
            return drop(f"Telegram error: {type(exc).__name__}")
        return SENT

    # -- commands --------------------------------------------------------------------------------
    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None:
            return
        if str(chat.id) not in self._allowed:
            self.ignored_chats += 1
            who = f"@{update.effective_user.username}" if update.effective_user and update.effective_user.username else "?"
            log.warning("ignored a Telegram message from chat %s (%s): not an allowed chat", chat.id, who)
            return
        parsed = parse_command(message.text or "")
        if parsed is None:
            reply = "I only understand commands. Try /help."
        else:
            self.commands_handled += 1
            try:
                reply = await self._on_command(*parsed)
            except Exception as exc:  # noqa: BLE001 - a command bug must not kill the polling loop
                log.exception("Telegram command /%s failed", parsed[0])
                reply = f"Sorry, /{parsed[0]} failed inside the bot ({type(exc).__name__}); see the bot log."
        for chunk in pack([reply], self.limit):
            try:
                await message.reply_text(chunk, disable_web_page_preview=True)
            except TelegramError as exc:
                log.warning("could not answer /%s: %s", parsed[0] if parsed else "?", type(exc).__name__)
                return
