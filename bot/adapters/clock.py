"""Clocks the runtime injects: the wall clock for live runs, a manual one for sim and tests."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int: ...


class WallClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class ManualClock:
    """A clock that only moves when told: replay, backtests and tests."""

    def __init__(self, start_ms: int = 0) -> None:
        self._now_ms = start_ms

    def now_ms(self) -> int:
        return self._now_ms

    def set(self, ts_ms: int) -> None:
        self._now_ms = ts_ms

    def advance(self, ms: int) -> None:
        self._now_ms += ms
