"""Two-sided CUSUM change-point detector (Page's recursion), reset after each alarm.

    S+_t = max(0, S+_{t-1} + (x_t - target_t) - k)
    S-_t = max(0, S-_{t-1} + (target_t - x_t) - k)

An alarm fires when either sum exceeds the threshold h; both sums then restart from zero.
The target is supplied per tick (Polybot uses the EWMA mean before the new price).

``hold(direction)`` keeps one side at zero until the price comes back to within the slack of
the target: a moving-average target lags a new level, and without the hold one jump would
re-fire that side on every tick while the average catches up. The other side stays armed, so
a reversal is still caught.
"""

from __future__ import annotations


class Cusum:
    __slots__ = ("slack", "threshold", "pos", "neg", "hold_pos", "hold_neg")

    def __init__(self, slack: float, threshold: float) -> None:
        self.slack = slack
        self.threshold = threshold
        self.pos = 0.0
        self.neg = 0.0
        self.hold_pos = False
        self.hold_neg = False

    def update(self, x: float, target: float) -> int:
        """Feed one price; returns +1 (upward alarm), -1 (downward alarm) or 0."""
        deviation = x - target
        if self.hold_pos and deviation <= self.slack:
            self.hold_pos = False
        if self.hold_neg and -deviation <= self.slack:
            self.hold_neg = False
        pos = self.pos + deviation - self.slack
        neg = self.neg - deviation - self.slack
        self.pos = pos if pos > 0.0 and not self.hold_pos else 0.0
        self.neg = neg if neg > 0.0 and not self.hold_neg else 0.0
        if self.pos > self.threshold:
            return 1
        if self.neg > self.threshold:
            return -1
        return 0

    def reset(self) -> None:
        self.pos = 0.0
        self.neg = 0.0

    def hold(self, direction: int) -> None:
        """Restart both sums and keep the side that just fired quiet until the target catches up."""
        self.reset()
        if direction > 0:
            self.hold_pos = True
        else:
            self.hold_neg = True
