"""A feed that passes another feed's cycles through unchanged while writing them as a recording.

Used by ``run`` with ``runtime.record: true`` and by ``python -m bot record``: BookUpdates go to
the ticks table, listed markets (latest version wins) and resolutions to the markets table, so a
live session replays through ``--source replay`` in the same cycles with the same books.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.adapters.feeds.base import Cycle, Feed
from bot.adapters.feeds.recording import RecordingWriter
from bot.domain.events import BookUpdate, MarketListed, Resolution


def record_cycle(writer: RecordingWriter, cycle: Cycle) -> None:
    for event in cycle.events:
        if isinstance(event, BookUpdate):
            writer.append(event)
        elif isinstance(event, MarketListed):
            writer.add_market(event.market)
        elif isinstance(event, Resolution):
            writer.add_resolution(event)


class RecordingTee:
    def __init__(self, inner: Feed, directory: str | Path) -> None:
        self.inner = inner
        self.writer = RecordingWriter(directory)
        self.directory = Path(directory)

    def next_cycle(self) -> Cycle | None:
        cycle = self.inner.next_cycle()
        if cycle is not None:
            record_cycle(self.writer, cycle)
        return cycle

    def health(self) -> dict[str, Any]:
        inner = getattr(self.inner, "health", None)
        return {**(inner() if inner else {}), "recording": str(self.directory)}

    def close(self) -> None:
        self.writer.close()
        closer = getattr(self.inner, "close", None)
        if closer is not None:
            closer()
