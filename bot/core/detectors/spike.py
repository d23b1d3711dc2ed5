"""The spike detector for one token: EWMA bands, CUSUM against the EWMA mean, and ROC.

Per tick it does a constant amount of float arithmetic. The bands a price is judged against
are the ones known *before* that price arrived, so a jump cannot hide inside its own band.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.core.detectors.cusum import Cusum
from bot.core.detectors.ewma import Ewma
from bot.core.detectors.roc import RateOfChange


@dataclass(frozen=True, slots=True)
class Alarm:
    """The detector's numbers at the moment CUSUM fired, kept until the cycle's books are complete."""

    direction: int  # +1 up, -1 down
    ts_ms: int
    price: float
    mean: float
    std: float
    upper: float
    lower: float
    roc_pct: float
    cusum: float
    cusum_threshold: float


@dataclass(frozen=True, slots=True)
class DetectorParams:
    ewma_span: int
    ewma_multiplier: float
    cusum_slack: float
    cusum_threshold: float
    roc_periods: int
    warmup_points: int


class SpikeDetector:
    __slots__ = (
        "params", "ewma", "cusum", "roc", "samples",
        "price", "mean", "std", "upper", "lower", "roc_pct", "alarm", "cusum_at_alarm",
    )

    def __init__(self, params: DetectorParams) -> None:
        self.params = params
        self.ewma = Ewma(params.ewma_span)
        self.cusum = Cusum(params.cusum_slack, params.cusum_threshold)
        self.roc = RateOfChange(params.roc_periods)
        self.samples = 0
        self.price = math.nan
        self.mean = math.nan  # bands in force when ``price`` arrived
        self.std = math.nan
        self.upper = math.nan
        self.lower = math.nan
        self.roc_pct = 0.0
        self.alarm = 0
        self.cusum_at_alarm = 0.0

    def retune(self, params: DetectorParams) -> None:
        """Adopt new thresholds live; the running statistics carry on."""
        self.params = params
        self.ewma.set_span(params.ewma_span)
        self.cusum.slack = params.cusum_slack
        self.cusum.threshold = params.cusum_threshold
        if params.roc_periods != self.roc.periods:
            self.roc = RateOfChange(params.roc_periods)

    def alarm_snapshot(self, ts_ms: int) -> Alarm:
        return Alarm(self.alarm, ts_ms, self.price, self.mean, self.std, self.upper, self.lower, self.roc_pct,
                     self.cusum_at_alarm, self.params.cusum_threshold)

    @property
    def warm(self) -> bool:
        return self.samples >= self.params.warmup_points

    def update(self, price: float) -> int:
        """Feed one price; returns the CUSUM alarm (+1 up, -1 down, 0 none)."""
        ewma = self.ewma
        mean = ewma.mean
        std = ewma.std
        self.mean = mean
        self.std = std
        if std == std:  # not NaN
            width = self.params.ewma_multiplier * std
            self.upper = mean + width
            self.lower = mean - width
        self.price = price
        self.roc_pct = self.roc.update(price)
        alarm = 0
        # CUSUM only accumulates once the mean it measures against has settled.
        if self.samples >= self.params.warmup_points:
            alarm = self.cusum.update(price, mean)
            if alarm:
                self.cusum_at_alarm = self.cusum.pos if alarm > 0 else self.cusum.neg
                self.cusum.hold(alarm)  # one move, one alarm (see Cusum.hold)
        ewma.update(price)
        self.samples += 1
        self.alarm = alarm
        return alarm
