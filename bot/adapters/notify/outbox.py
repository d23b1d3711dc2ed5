"""One channel's outbox: a bounded queue, a pacer, batching of bursts, retries, and the counters.

Runs as a task in the notifier's event loop. Messages that pile up while the channel waits (for
its pace, a batch window, a retry) go out together in one chat message. A message that cannot be
delivered after ``max_retries`` is dropped and counted; nothing here ever raises to its caller.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable

from bot.adapters.notify.channel import Channel, Outcome
from bot.adapters.notify.messages import Message, pack
from bot.adapters.notify.throttle import Pacer
from bot.config.schema import Notifications

log = logging.getLogger("polybot.notify")


class Outbox:
    def __init__(self, channel: Channel, settings: Notifications, redact: Callable[[str], str]) -> None:
        self.channel = channel
        self.settings = settings
        self.redact = redact
        self.pacer = Pacer(self._interval(settings))
        self.pending: deque[Message] = deque()
        self.wake = asyncio.Event()
        self.enabled = True
        self.sent = self.failed = self.retried = self.dropped = self.overflow = 0
        self.last_error = ""
        self.last_sent_ms: int | None = None
        self._streak = 0

    def _interval(self, settings: Notifications) -> float:
        name = self.channel.name
        return settings.telegram_min_interval_s if name == "telegram" else settings.discord_min_interval_s

    def reconfigure(self, settings: Notifications) -> None:
        self.settings = settings
        self.pacer.min_interval_s = self._interval(settings)

    def put(self, message: Message) -> None:
        if not self.enabled:
            self.dropped += 1
            return
        if len(self.pending) >= self.settings.max_queue:
            self.pending.popleft()  # keep the newest: the latest state of things matters most
            self.overflow += 1
            self.dropped += 1
        self.pending.append(message)
        self.wake.set()

    async def run(self) -> None:
        if not await self.channel.start():
            self.enabled = False
            self.dropped += len(self.pending)
            self.pending.clear()
            return
        while True:
            await self.wake.wait()
            self.wake.clear()
            if self.settings.batch_window_s:
                await asyncio.sleep(self.settings.batch_window_s)  # let a burst gather into one message
            await self.flush()

    async def flush(self) -> None:
        while self.pending:
            wait = self.pacer.wait_s(time.monotonic())
            if wait:
                await asyncio.sleep(wait)
            batch = list(self.pending)
            self.pending.clear()
            for chunk in pack((m.render() for m in batch), self.channel.limit):
                await self.deliver(chunk)

    async def deliver(self, text: str) -> bool:
        text = self.redact(text)
        attempts = self.settings.max_retries + 1
        for attempt in range(1, attempts + 1):
            wait = self.pacer.wait_s(time.monotonic())
            if wait:
                await asyncio.sleep(wait)
            try:
                # Belt and braces over the client's own timeouts: a send can never hold the outbox for long.
                outcome = await asyncio.wait_for(self.channel.send(text), self.settings.send_timeout_s * 2 + 5)
            except TimeoutError:
                outcome = Outcome(False, 0.0, f"no answer within {self.settings.send_timeout_s * 2 + 5:g} s")
            except Exception as exc:  # noqa: BLE001 - a channel bug is counted, never raised
                outcome = Outcome(False, None, f"unexpected {type(exc).__name__}")
            self.pacer.sent(time.monotonic())
            if outcome.ok:
                self.sent += 1
                self.last_sent_ms = time.time_ns() // 1_000_000
                if self._streak:
                    log.info("%s delivering again after %d failure(s)", self.channel.name, self._streak)
                self._streak = 0
                return True
            self.failed += 1
            self._streak += 1
            self.last_error = self.redact(outcome.reason)
            # One warning per failure streak, then debug: a dead service must not flood the log.
            log.log(logging.WARNING if self._streak == 1 else logging.DEBUG, "%s send failed: %s",
                    self.channel.name, self.last_error)
            if outcome.retry_after_s is None or attempt == attempts:
                break
            self.retried += 1
            self.pacer.hold(time.monotonic(), max(outcome.retry_after_s, self.pacer.min_interval_s))
        self.dropped += 1
        log.warning("%s: dropped a message after %d attempt(s): %s", self.channel.name, attempt, self.last_error)
        return False

    def stats(self) -> dict[str, object]:
        return {"enabled": self.enabled, "sent": self.sent, "failed": self.failed, "retried": self.retried,
                "dropped": self.dropped, "queued": len(self.pending), "last_error": self.last_error,
                "last_sent_ts_ms": self.last_sent_ms}
