"""The notifier: the engine's Notify actions in, Telegram and Discord messages out, without ever
slowing or breaking the trading loop.

The trading loop is synchronous. ``submit`` (called by the Runner for each Notify) only appends to
a deque and wakes the notifier's own thread, which runs an asyncio loop with one outbox per
channel (pacing, batching, retries), the Telegram command desk, the hourly/daily/weekly reports,
and the error watch (feed down, repeated API failures, a crash-restart found at startup). Every
failure is logged and counted (``stats()``, merged into state.json by the loop), never raised.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.adapters.notify import reports
from bot.adapters.notify.channel import Channel
from bot.adapters.notify.desk import HELP, CommandDesk
from bot.adapters.notify.messages import REPORT, STATUS, Message, exit_text, redact
from bot.adapters.notify.outbox import Outbox
from bot.adapters.notify.schedule import DAILY, HOURLY, Schedule
from bot.adapters.notify.throttle import Deduper
from bot.adapters.storage.commands import CommandInbox
from bot.adapters.storage.state_file import read_state
from bot.config.loader import Secrets
from bot.config.schema import Notifications, Settings
from bot.domain.actions import Notify, NotifyKind

log = logging.getLogger("polybot.notify")

SWITCHES = {NotifyKind.ENTRY: "on_entry", NotifyKind.EXIT: "on_exit", NotifyKind.SPIKE: "on_spike",
            NotifyKind.RISK: "on_risk", NotifyKind.ERROR: "on_error", NotifyKind.COMMAND: "on_command"}


class _RedactSecrets(logging.Filter):
    """Scrubs secret values from every log record a handler writes (third-party clients included)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        clean = redact(text, self.secrets)
        if clean != text:
            record.msg, record.args = clean, ()
        return True


def install_log_redaction(secrets: list[str]) -> None:
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _RedactSecrets) for f in handler.filters):
            handler.addFilter(_RedactSecrets(secrets))


def secret_values(secrets: Secrets) -> list[str]:
    """Every secret, plus the token part of a webhook URL on its own (it could appear without the host)."""
    values = secrets.values()
    if secrets.discord_webhook_url:
        values += [part for part in secrets.discord_webhook_url.rstrip("/").split("/")[-2:] if len(part) >= 6]
    return values


def chat_ids(settings: Notifications, secrets: Secrets) -> list[str]:
    from_env = (secrets.telegram_chat_id or "").replace(";", ",").split(",")
    return [c.strip() for c in [*from_env, *settings.telegram_chat_ids] if c.strip()]


class Notifier:
    def __init__(self, settings: Settings, secrets: Secrets, data_dir: Path | None, inbox: CommandInbox | None,
                 *, channels: list[Channel] | None = None, wall: Callable[[], float] = time.time,
                 tick_s: float = 1.0, answer_timeout_s: float = 15.0, poll_timeout_s: float = 10.0) -> None:
        self.settings = settings.notifications
        self._secrets = secret_values(secrets)
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.inbox = inbox
        self.wall = wall
        self.tick_s = tick_s
        self.desk = CommandDesk(self.data_dir or Path("."), inbox, self.latest_state, answer_timeout_s)
        self._channels = channels if channels is not None else self._make_channels(secrets, poll_timeout_s)
        self._incoming: deque[Message] = deque(maxlen=10_000)
        self._state: dict[str, Any] | None = None
        self._engine: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kicked = False
        self._lock = threading.Lock()
        self._api_failures: dict[str, int] = {}
        self._ready = threading.Event()
        self.outboxes: list[Outbox] = []
        self.deduplicated = self.switched_off = self.errors_posted = 0
        self._feed_down_since: float | None = None
        self._stop_budget_s = 4.0
        self._deduper = Deduper(self.settings.dedup_window_s)
        self._schedule = Schedule(self.settings, self._now())
        self.crash_text = self._crash_check()

    # -- construction ------------------------------------------------------------------------------
    def _make_channels(self, secrets: Secrets, poll_timeout_s: float) -> list[Channel]:
        channels: list[Channel] = []
        s = self.settings
        if not s.telegram:
            log.info("Telegram notifications are off in config (notifications.telegram)")
        elif not secrets.telegram_bot_token or not chat_ids(s, secrets):
            missing = "TELEGRAM_BOT_TOKEN" if not secrets.telegram_bot_token else "TELEGRAM_CHAT_ID"
            log.warning("Telegram notifications disabled: %s is not set in the environment or .env", missing)
        else:
            from bot.adapters.notify.telegram import TelegramChannel

            channels.append(TelegramChannel(secrets.telegram_bot_token, chat_ids(s, secrets), s.telegram_api_url,
                                            s.send_timeout_s, self.desk.handle, poll_timeout_s,
                                            {name: text for name, text in HELP.items()}))
        if not s.discord:
            log.info("Discord notifications are off in config (notifications.discord)")
        elif not secrets.discord_webhook_url:
            log.warning("Discord notifications disabled: DISCORD_WEBHOOK_URL is not set in the environment or .env")
        else:
            from bot.adapters.notify.discord import DiscordChannel

            channels.append(DiscordChannel(secrets.discord_webhook_url, s.send_timeout_s))
        return channels

    def _crash_check(self) -> str | None:
        """A state.json left saying anything but "stopped" means the last run died without shutting down."""
        if self.data_dir is None:
            return None
        previous = read_state(self.data_dir / "state.json")
        if previous is None or previous.get("status") == "stopped":
            return None
        written = previous.get("written_ts_ms") or 0
        when = dt.datetime.fromtimestamp(written / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if written else "?"
        return (f"Polybot restarted after an unexpected stop (last heartbeat {when}). Positions, cash and limits "
                f"were rebuilt from the store; check the log for the cause.")

    # -- lifecycle ---------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return bool(self._channels)

    def start(self) -> Notifier:
        install_log_redaction(self._secrets)
        self._thread = threading.Thread(target=self._thread_main, name="polybot-notifier", daemon=True)
        self._thread.start()
        self._ready.wait(5)
        if self.crash_text:
            self.post(Message(NotifyKind.ERROR.value, self.crash_text, int(self.wall() * 1000)))
        return self

    def attach(self, runner: Any, engine: Any) -> None:
        """Route the runner's Notify actions here; the engine is read (same thread) to enrich exits."""
        self._engine = engine
        runner.on_notify = self.submit

    def _thread_main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._main())
        except Exception:  # noqa: BLE001 - the notifier dying must not take the bot with it
            log.exception("notifier stopped by an unexpected error; the bot keeps trading without it")
        finally:
            try:  # leave nothing running: PTB's fetcher, a send stuck on a hanging server
                leftovers = asyncio.all_tasks(loop)
                for task in leftovers:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                loop.close()

    async def _main(self) -> None:
        self._stopping = asyncio.Event()
        self.outboxes = [Outbox(channel, self.settings, self._redact) for channel in self._channels]
        tasks = [asyncio.create_task(outbox.run()) for outbox in self.outboxes]
        tasks.append(asyncio.create_task(self._watch()))
        self._ready.set()
        self._drain()
        await self._stopping.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        deadline = time.monotonic() + self._stop_budget_s
        for outbox in self.outboxes:  # a last attempt at what is queued, within the budget
            left = deadline - time.monotonic()
            if outbox.enabled and outbox.pending and left > 0:
                try:
                    await asyncio.wait_for(outbox.flush(), left)
                except (TimeoutError, Exception):  # noqa: BLE001
                    pass
        for channel in self._channels:
            try:
                await asyncio.wait_for(channel.stop(), 5)
            except (TimeoutError, Exception):  # noqa: BLE001
                log.debug("%s did not stop cleanly", channel.name)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Try to send what is queued (within ``timeout_s``), then close the channels."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        self._stop_budget_s = max(0.0, timeout_s - 1)
        try:
            loop.call_soon_threadsafe(self._stopping.set)
        except RuntimeError:
            return
        thread.join(timeout_s + 6)

    # -- input (any thread) -----------------------------------------------------------------------
    def submit(self, notify: Notify) -> None:
        """The Runner's on_notify: O(1), never blocks, never raises."""
        try:
            text = notify.text
            if notify.kind is NotifyKind.EXIT and self._engine is not None:
                text = self._exit_text(notify)
            self.post(Message(notify.kind.value, text, notify.ts_ms))
        except Exception:  # noqa: BLE001
            log.exception("could not queue a notification")

    def _exit_text(self, notify: Notify) -> str:
        engine = self._engine
        trade = engine.recent_trades[0] if engine.recent_trades else None
        if trade is None or trade.closed_ts_ms != notify.ts_ms:
            return notify.text
        market = engine.markets.get(trade.market_id)
        outcome = market.token(trade.token_id).outcome if market else trade.token_id
        return exit_text(notify, trade, market.question if market else trade.market_id, outcome)

    def post(self, message: Message) -> None:
        self._incoming.append(message)
        loop = self._loop
        if loop is None or self._kicked:
            return
        self._kicked = True
        try:
            loop.call_soon_threadsafe(self._drain)
        except RuntimeError:
            pass  # loop closed: the bot is shutting down

    def observe(self, state: dict[str, Any]) -> None:
        """The loop's latest published state (read by reports and the error watch)."""
        self._state = state

    def latest_state(self) -> dict[str, Any] | None:
        if self._state is not None:
            return self._state
        return read_state(self.data_dir / "state.json") if self.data_dir is not None else None

    def api_failure(self, service: str, text: str) -> None:
        """An adapter's call to ``service`` failed; alert once when failures in a row reach the threshold."""
        with self._lock:
            count = self._api_failures[service] = self._api_failures.get(service, 0) + 1
        if count == self.settings.api_failures_alert:
            self.post(Message(NotifyKind.ERROR.value, f"{service} failed {count} times in a row; latest: {text}",
                              int(self.wall() * 1000)))

    def api_ok(self, service: str) -> None:
        with self._lock:
            count = self._api_failures.pop(service, 0)
        if count >= self.settings.api_failures_alert:
            self.post(Message(NotifyKind.ERROR.value, f"{service} is answering again after {count} failures.",
                              int(self.wall() * 1000)))

    def apply_settings(self, settings: Settings) -> None:
        """Hot reload: switches, pacing, batching and report times (channels need a restart)."""
        self.settings = settings.notifications
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(self._reconfigure)

    # -- the notifier's own loop --------------------------------------------------------------------
    def _redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def _reconfigure(self) -> None:
        for outbox in self.outboxes:
            outbox.reconfigure(self.settings)
        self._deduper.window_s = self.settings.dedup_window_s
        self._schedule.reconfigure(self.settings, self._now())

    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.wall(), dt.UTC)

    def _drain(self) -> None:
        self._kicked = False
        while self._incoming:
            message = self._incoming.popleft()
            switch = SWITCHES.get(message.kind)  # StrEnum keys match their plain string values
            if switch is not None and not getattr(self.settings, switch):
                self.switched_off += 1
                continue
            if not self._deduper.fresh(f"{message.kind}|{message.text}", time.monotonic()):
                self.deduplicated += 1
                continue
            if message.kind == NotifyKind.ERROR.value:
                self.errors_posted += 1
            for outbox in self.outboxes:
                outbox.put(message)

    async def _watch(self) -> None:
        hourly_base: dict[str, Any] | None = None
        hourly_errors = self._errors_total()
        hourly_at = time.monotonic()
        while True:
            await asyncio.sleep(self.tick_s)
            state = self._state
            if hourly_base is None and state is not None:
                hourly_base = state
            self._watch_feed(state)
            for name in self._schedule.due(self._now()):
                try:
                    if name == HOURLY:
                        errors = self._errors_total()
                        window = reports.activity(hourly_base, state or {}, errors - hourly_errors,
                                                  (time.monotonic() - hourly_at) / 3600)
                        text = reports.status_text(state, window, "Hourly status")
                        hourly_base, hourly_errors, hourly_at = state, errors, time.monotonic()
                        kind = STATUS
                    else:
                        build = reports.daily_text if name == DAILY else reports.weekly_text
                        text = await asyncio.to_thread(build, state, self.data_dir or Path("."))
                        kind = REPORT
                    self.post(Message(kind, text, int(self.wall() * 1000)))
                except Exception:  # noqa: BLE001 - a report bug must not stop the watch
                    log.exception("could not build the %s report", name)

    def _errors_total(self) -> int:
        return self.errors_posted + sum(outbox.failed for outbox in self.outboxes)

    def _watch_feed(self, state: dict[str, Any] | None) -> None:
        feed = (state or {}).get("feed", {})
        age = feed.get("last_event_age_s")
        if age is None:
            return
        limit = self.settings.feed_down_alert_s
        now_ms = int(self.wall() * 1000)
        if age > limit and self._feed_down_since is None:
            self._feed_down_since = time.monotonic() - age
            self.post(Message(NotifyKind.ERROR.value, f"Market data feed ({feed.get('source', '?')}) is down: no "
                              f"prices for {age:.0f} s (alert after {limit} s). Open trades cannot exit until it is back.",
                              now_ms))
        elif age <= limit and self._feed_down_since is not None:
            down_s = time.monotonic() - self._feed_down_since
            self._feed_down_since = None
            self.post(Message(NotifyKind.ERROR.value, f"Market data feed is back after about {down_s:.0f} s.", now_ms))

    # -- read side for state.json -----------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        channels = {outbox.channel.name: outbox.stats() for outbox in self.outboxes}
        for channel in self._channels:
            if channel.name not in channels:
                channels[channel.name] = {"enabled": True, "sent": 0, "queued": 0}
        telegram = next((c for c in self._channels if c.name == "telegram"), None)
        if telegram is not None:
            channels["telegram"]["connected"] = getattr(telegram, "connected", False)
        return {"channels": channels, "deduplicated": self.deduplicated, "switched_off": self.switched_off,
                "commands": getattr(telegram, "commands_handled", 0), "ignored_chats": getattr(telegram, "ignored_chats", 0),
                "errors_posted": self.errors_posted}
