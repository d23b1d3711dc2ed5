"""What every chat channel offers the notifier: ``send`` one text and say what happened.

A channel never raises out of ``send``: it returns ``Outcome`` (sent, retry after so many seconds,
or drop with a reason). Retries, pacing, batching and the counters live in the notifier's outbox,
so Telegram and Discord are handled by the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    retry_after_s: float | None = None  # None with ok=False: do not retry (drop)
    reason: str = ""


SENT = Outcome(True)


def retry(after_s: float, reason: str) -> Outcome:
    return Outcome(False, max(0.0, after_s), reason)


def drop(reason: str) -> Outcome:
    return Outcome(False, None, reason)


class Channel(Protocol):
    name: str
    limit: int  # longest text one message may carry

    async def start(self) -> bool:
        """Connect; False (after one clear log line) when the channel cannot work."""
        ...

    async def send(self, text: str) -> Outcome: ...

    async def stop(self) -> None: ...
