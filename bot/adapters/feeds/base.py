"""The feed port: one call, one cycle of events, stamped with the feed's own clock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.domain.events import BookBatch, BookUpdate, Event


@dataclass(frozen=True, slots=True)
class Cycle:
    ts_ms: int  # the feed's clock at the end of this cycle
    events: list[Event]

    def book_updates(self) -> list[BookUpdate]:
        """Every book update of the cycle as a ``BookUpdate``, batches unpacked, in order."""
        out: list[BookUpdate] = []
        for event in self.events:
            if isinstance(event, BookUpdate):
                out.append(event)
            elif isinstance(event, BookBatch):
                out.extend(event.book_updates())
        return out


class Feed(Protocol):
    def next_cycle(self) -> Cycle | None:
        """The next cycle of events in time order, or None when the feed is exhausted."""
