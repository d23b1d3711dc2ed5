"""Replay a validated recording as a Feed, on the data's own clock.

Cycles end on a grid of ``cycle_ms`` (epoch-aligned) and hold every tick with ts in
(cycle_end - cycle_ms, cycle_end], in file order among equal timestamps. Empty cycles in gaps are
emitted too, so time-based logic (exits, cooldowns) sees the clock move as it did live. The first
cycle lists every market; known payouts become Resolution events after the last tick.
A cycle's ticks travel as one ``BookBatch`` (numpy columns decoded once for the whole recording),
not as an object per row: the engine treats both alike and a backtest runs many times faster.
"""

from __future__ import annotations

import numpy as np

from bot.adapters.feeds.base import Cycle
from bot.adapters.feeds.recording import Recording
from bot.domain.events import Event, MarketListed, Resolution


class ReplayFeed:
    def __init__(self, recording: Recording, cycle_ms: int = 1000, speed: float | None = None) -> None:
        if cycle_ms <= 0:
            raise ValueError(f"cycle_ms must be > 0, got {cycle_ms}")
        self.recording = recording
        self.cycle_ms = cycle_ms
        self.speed = speed  # pacing belongs to the runtime; the feed only keeps the data's clock
        ts = recording.ticks.column("ts_ms").to_numpy()
        self._cycle_end = -(-ts // cycle_ms) * cycle_ms  # ceil onto the grid, per row (sorted)
        self._columns = recording.columns()
        self._next_end = int(self._cycle_end[0]) if ts.size else 0
        self._pos = 0
        self._started = False
        self._done = False

    def next_cycle(self) -> Cycle | None:
        if self._done:
            return None
        end = self._next_end
        events: list[Event] = []
        if not self._started:
            self._started = True
            events.extend(MarketListed(end, market) for market in self.recording.markets)
        stop = int(np.searchsorted(self._cycle_end, end, side="right"))
        if stop > self._pos:
            events.append(self._columns.batch(end, self._pos, stop))
        self._pos, self._next_end = stop, end + self.cycle_ms
        if self._pos >= len(self.recording):
            self._done = True
            events.extend(
                Resolution(end, market.market_id, self.recording.payouts[market.market_id])
                for market in self.recording.markets
                if market.market_id in self.recording.payouts
            )
        return Cycle(end, events)
