"""Rate of change: percent move over the last ``periods`` ticks, from a tiny ring buffer."""

from __future__ import annotations


class RateOfChange:
    __slots__ = ("periods", "_ring", "_next", "count")

    def __init__(self, periods: int) -> None:
        self.periods = periods
        self._ring = [0.0] * (periods + 1)
        self._next = 0
        self.count = 0

    def update(self, x: float) -> float:
        """Store x; return the percent change from ``periods`` ticks ago (0 until known)."""
        ring = self._ring
        size = len(ring)
        ring[self._next] = x
        self._next = (self._next + 1) % size
        self.count += 1
        if self.count <= self.periods:
            return 0.0
        past = ring[self._next]  # the oldest slot is the one written ``periods`` ticks ago
        return (x - past) / past * 100.0 if past > 0.0 else 0.0
