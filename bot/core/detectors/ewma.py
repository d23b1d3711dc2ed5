"""Exponentially weighted mean and standard deviation, one tick at a time.

The recursion is pandas' own (``Series.ewm(span, adjust=False)``, bias-corrected std), so the
values equal ``ewm().mean()`` and ``ewm().std()`` to floating-point noise, without recomputing a
window on every tick.
"""

from __future__ import annotations

import math


class Ewma:
    __slots__ = ("alpha", "mean", "_cov", "_sum_wt", "_sum_wt2", "count")

    def __init__(self, span: int) -> None:
        self.alpha = 2.0 / (span + 1.0)
        self.mean = math.nan
        self._cov = 0.0
        self._sum_wt = 1.0
        self._sum_wt2 = 1.0
        self.count = 0

    def set_span(self, span: int) -> None:
        self.alpha = 2.0 / (span + 1.0)

    def update(self, x: float) -> None:
        self.count += 1
        if self.count == 1:
            self.mean = x
            return
        alpha = self.alpha
        old_wt = 1.0 - alpha  # adjust=False renormalises the old weight to 1 after every step
        sum_wt = self._sum_wt * old_wt + alpha
        sum_wt2 = self._sum_wt2 * old_wt * old_wt + alpha * alpha
        old_mean = self.mean
        mean = old_mean if old_mean == x else old_wt * old_mean + alpha * x
        self._cov = old_wt * (self._cov + (old_mean - mean) ** 2) + alpha * (x - mean) ** 2
        self.mean = mean
        self._sum_wt = sum_wt
        self._sum_wt2 = sum_wt2

    @property
    def std(self) -> float:
        """Bias-corrected standard deviation (NaN until two observations)."""
        if self.count < 2:
            return math.nan
        numerator = self._sum_wt * self._sum_wt
        denominator = numerator - self._sum_wt2
        if denominator <= 0.0:
            return math.nan
        variance = numerator / denominator * self._cov
        return math.sqrt(variance) if variance > 0.0 else 0.0
