"""Price-direction features, computed one sample at a time so training and trading agree exactly.

A token's book is sampled on a fixed grid (every ``sample_s`` seconds, the last book at or before
each grid time). ``FeatureState.update`` takes one sample and returns the feature vector for that
moment, using only that sample and earlier ones: no feature can see the future. The model trainer
(bot/ml) and the ml_prediction strategy both use this class, so the numbers the model learned from
are the numbers it is asked about. Pure: no I/O, no clock (the hour comes from the sample's time).
"""

from __future__ import annotations

import math
from collections import deque

RETURN_WINDOWS_S = (300, 1800, 7200, 21600)  # 5 min, 30 min, 2 h, 6 h
EWMA_SPAN = 30  # samples
CUSUM_DRIFT = 0.5  # standardised moves smaller than this do not build CUSUM pressure
CUSUM_CAP = 50.0
FEATURES = (
    *(f"ret_{w}s" for w in RETURN_WINDOWS_S),
    "ewma_vol",
    "spread",
    "imbalance",
    "time_to_end_h",
    "hour_sin",
    "hour_cos",
    "cusum_up",
    "cusum_down",
    "mid",
)
DAY_MS = 86_400_000


def hour_of_day(ts_ms: int) -> float:
    """UTC hour of day as a fraction in [0, 24), from the timestamp alone."""
    return (ts_ms % DAY_MS) / 3_600_000


class FeatureState:
    """Rolling state of one token: its recent sampled mids, EWMA variance and CUSUM sums."""

    __slots__ = ("sample_s", "lags", "mids", "var", "up", "down", "alpha")

    def __init__(self, sample_s: int) -> None:
        if sample_s <= 0:
            raise ValueError("sample_s must be positive")
        self.sample_s = sample_s
        self.lags = tuple(max(1, w // sample_s) for w in RETURN_WINDOWS_S)
        self.mids: deque[float] = deque(maxlen=max(self.lags) + 1)
        self.var = math.nan
        self.up = self.down = 0.0
        self.alpha = 2.0 / (EWMA_SPAN + 1)

    def update(self, ts_ms: int, bid: float, ask: float, bid_size: float, ask_size: float,
               end_ts_ms: int | None) -> tuple[float, ...]:
        """Add one grid sample and return the feature vector (NaN where history is too short)."""
        mid = (bid + ask) / 2.0
        if self.mids:
            change = mid - self.mids[-1]
            # Standardise by the volatility known *before* this move, so a jump counts fully.
            if self.var == self.var and self.var > 0:
                z = change / math.sqrt(self.var)
                self.up = min(CUSUM_CAP, max(0.0, self.up + z - CUSUM_DRIFT))
                self.down = min(CUSUM_CAP, max(0.0, self.down - z - CUSUM_DRIFT))
            sq = change * change
            self.var = sq if self.var != self.var else (1 - self.alpha) * self.var + self.alpha * sq
        self.mids.append(mid)
        n = len(self.mids)
        returns = tuple(mid - self.mids[-1 - lag] if n > lag else math.nan for lag in self.lags)
        depth = bid_size + ask_size
        hour = hour_of_day(ts_ms) * (2 * math.pi / 24)
        return (
            *returns,
            math.sqrt(self.var) if self.var == self.var else math.nan,
            ask - bid,
            (bid_size - ask_size) / depth if depth > 0 else 0.0,
            (end_ts_ms - ts_ms) / 3_600_000 if end_ts_ms is not None else math.nan,
            math.sin(hour),
            math.cos(hour),
            self.up,
            self.down,
            mid,
        )
