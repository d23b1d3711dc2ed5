"""The feed port: one call, one cycle of events, stamped with the feed's own clock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.domain.events import Event


@dataclass(frozen=True, slots=True)
class Cycle:
    ts_ms: int  # the feed's clock at the end of this cycle
    events: list[Event]


class Feed(Protocol):
    def next_cycle(self) -> Cycle | None:
        """The next cycle of events in time order, or None when the feed is exhausted."""
