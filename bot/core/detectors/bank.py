"""Every watched token's spike detector in one set of numpy columns, updated a cycle at a time.

``SpikeDetector`` (spike.py) is the specification: one token, one price, plain float arithmetic.
The bank runs exactly the same recursions (EWMA bands known before the price, ROC, CUSUM against
the prior mean with the hold after an alarm) over arrays, one *round* per call: a round holds at
most one price per token, so a cycle in which a token moved three times is three rounds. The
arithmetic is the same IEEE operations in the same order, so values are bit-identical to the
scalar detector (tests/core/test_detector_bank.py feeds both and compares with ==).

Why: the engine sees tens of thousands of book updates per second in a backtest and thousands
per live cycle; a Python method call per price was the engine's biggest cost.

The bank also owns the tokens' history rows (``SeriesBank``): a slot is one token's detector
state and its history row. ``bank[token]`` gives a read-only ``DetectorView`` with the scalar
detector's attributes, for strategies, explanations and the read model.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping

import numpy as np

from bot.core.detectors.spike import Alarm, DetectorParams
from bot.core.tracker import SeriesBank

_FLOATS = ("ew_mean", "ew_cov", "ew_sum_wt", "ew_sum_wt2", "price", "mean", "std", "upper", "lower", "roc_pct",
           "cu_pos", "cu_neg", "cusum_at_alarm")
_INTS = ("ew_count", "samples", "roc_next", "roc_count", "alarm")
_BOOLS = ("hold_pos", "hold_neg")
# Fresh state of a slot, as SpikeDetector.__init__ leaves it.
_INITIAL = {"ew_mean": math.nan, "ew_cov": 0.0, "ew_sum_wt": 1.0, "ew_sum_wt2": 1.0, "price": math.nan,
            "mean": math.nan, "std": math.nan, "upper": math.nan, "lower": math.nan, "roc_pct": 0.0,
            "cu_pos": 0.0, "cu_neg": 0.0, "cusum_at_alarm": 0.0}


class DetectorBank(Mapping[str, "DetectorView"]):
    """token_id -> detector, for primary tokens; ``update`` runs one round over many slots."""

    def __init__(self, params: DetectorParams, window_points: int, capacity: int = 64) -> None:
        self.params = params
        self.series = SeriesBank(window_points, capacity)
        self._slots: dict[str, int] = {}
        self._token_at: dict[int, str] = {}
        self._alloc(capacity)

    # -- slots -----------------------------------------------------------------------------
    def _alloc(self, capacity: int) -> None:
        old = {name: getattr(self, name) for name in (*_FLOATS, *_INTS, *_BOOLS, "roc_ring")} \
            if hasattr(self, "price") else None
        for name in _FLOATS:
            setattr(self, name, np.zeros(capacity))
        for name in _INTS:
            setattr(self, name, np.zeros(capacity, dtype=np.int64))
        for name in _BOOLS:
            setattr(self, name, np.zeros(capacity, dtype=bool))
        self.roc_ring = np.zeros((capacity, self.params.roc_periods + 1))
        if old is not None:
            for name, values in old.items():
                getattr(self, name)[: len(values)] = values

    def add(self, token_id: str) -> int:
        """Give a token a fresh detector (and history row); returns its slot."""
        slot = self._slots.get(token_id)
        if slot is not None:
            return slot
        slot = self.series.slot(token_id)
        if slot >= len(self.price):
            self._alloc(max(2 * len(self.price), slot + 1))
        for name, value in _INITIAL.items():
            getattr(self, name)[slot] = value
        for name in (*_INTS, *_BOOLS):
            getattr(self, name)[slot] = 0
        self.roc_ring[slot] = 0.0
        self._slots[token_id] = slot
        self._token_at[slot] = token_id
        return slot

    def remove(self, token_id: str) -> bool:
        """Forget a token; its slot goes to the next new one. Returns whether it was known."""
        slot = self._slots.pop(token_id, None)
        if slot is None:
            return False
        del self._token_at[slot]
        self.series.release(token_id)
        return True

    def slot_of(self, token_id: str) -> int:
        return self._slots.get(token_id, -1)

    def token_at(self, slot: int) -> str:
        return self._token_at[slot]

    def retune(self, params: DetectorParams) -> None:
        """Adopt new thresholds live; the statistics carry on (a new ROC length starts its ring afresh)."""
        if params.roc_periods != self.params.roc_periods:
            self.roc_ring = np.zeros((len(self.price), params.roc_periods + 1))
            self.roc_next[:] = 0
            self.roc_count[:] = 0
            self.roc_pct[:] = 0.0
        self.params = params

    # -- Mapping ---------------------------------------------------------------------------
    def __getitem__(self, token_id: str) -> DetectorView:
        return DetectorView(self, self._slots[token_id])

    def __contains__(self, token_id: object) -> bool:
        return token_id in self._slots

    def __iter__(self) -> Iterator[str]:
        return iter(self._slots)

    def __len__(self) -> int:
        return len(self._slots)

    def live_slots(self) -> tuple[list[str], np.ndarray]:
        """(token ids, their slots) in one pass, for column-wise ranking."""
        return list(self._slots), np.fromiter(self._slots.values(), dtype=np.int64, count=len(self._slots))

    # -- the detector round ------------------------------------------------------------------
    def update(self, s: np.ndarray, x: np.ndarray, ts_ms: np.ndarray) -> np.ndarray:
        """Feed price ``x[i]`` to slot ``s[i]`` (each slot at most once) at ``ts_ms[i]``; returns
        the alarm per row (+1, -1, 0). Mirrors ``SpikeDetector.update`` line for line."""
        p = self.params
        # Bands in force before this price arrived.
        mean = self.ew_mean[s]
        count = self.ew_count[s]
        sum_wt, sum_wt2, cov = self.ew_sum_wt[s], self.ew_sum_wt2[s], self.ew_cov[s]
        with np.errstate(divide="ignore", invalid="ignore"):
            numerator = sum_wt * sum_wt
            denominator = numerator - sum_wt2
            variance = numerator / denominator * cov
            std = np.where((count < 2) | (denominator <= 0.0), np.nan,
                           np.where(variance > 0.0, np.sqrt(np.where(variance > 0.0, variance, 0.0)), 0.0))
        self.mean[s] = mean
        self.std[s] = std
        has_std = std == std
        width = p.ewma_multiplier * std
        self.upper[s] = np.where(has_std, mean + width, self.upper[s])
        self.lower[s] = np.where(has_std, mean - width, self.lower[s])
        self.price[s] = x

        # Rate of change over the last ``roc_periods`` prices.
        size = p.roc_periods + 1
        nxt = self.roc_next[s]
        self.roc_ring[s, nxt] = x
        nxt = (nxt + 1) % size
        self.roc_next[s] = nxt
        roc_count = self.roc_count[s] + 1
        self.roc_count[s] = roc_count
        past = self.roc_ring[s, nxt]
        with np.errstate(divide="ignore", invalid="ignore"):
            moved = (x - past) / past * 100.0
        self.roc_pct[s] = np.where((roc_count > p.roc_periods) & (past > 0.0), moved, 0.0)

        # CUSUM against the prior mean, only once warm; the side that fired is held (Cusum.hold).
        alarm = np.zeros(len(s), dtype=np.int64)
        warm = self.samples[s] >= p.warmup_points
        if warm.any():
            w = s[warm]
            deviation = x[warm] - mean[warm]
            hold_pos = self.hold_pos[w] & ~(deviation <= p.cusum_slack)
            hold_neg = self.hold_neg[w] & ~(-deviation <= p.cusum_slack)
            pos = self.cu_pos[w] + deviation - p.cusum_slack
            neg = self.cu_neg[w] - deviation - p.cusum_slack
            pos = np.where((pos > 0.0) & ~hold_pos, pos, 0.0)
            neg = np.where((neg > 0.0) & ~hold_neg, neg, 0.0)
            fired = np.where(pos > p.cusum_threshold, 1, np.where(neg > p.cusum_threshold, -1, 0))
            self.cusum_at_alarm[w] = np.where(fired > 0, pos, np.where(fired < 0, neg, self.cusum_at_alarm[w]))
            self.cu_pos[w] = np.where(fired != 0, 0.0, pos)
            self.cu_neg[w] = np.where(fired != 0, 0.0, neg)
            self.hold_pos[w] = hold_pos | (fired > 0)
            self.hold_neg[w] = hold_neg | (fired < 0)
            alarm[warm] = fired

        # EWMA (pandas adjust=False recursion, as Ewma.update).
        first = count == 0
        alpha = 2.0 / (p.ewma_span + 1.0)
        old_wt = 1.0 - alpha
        new_mean = np.where(first | (mean == x), np.where(first, x, mean), old_wt * mean + alpha * x)
        self.ew_cov[s] = np.where(first, cov, old_wt * (cov + (mean - new_mean) ** 2) + alpha * (x - new_mean) ** 2)
        self.ew_sum_wt[s] = np.where(first, sum_wt, sum_wt * old_wt + alpha)
        self.ew_sum_wt2[s] = np.where(first, sum_wt2, sum_wt2 * old_wt * old_wt + alpha * alpha)
        self.ew_mean[s] = new_mean
        self.ew_count[s] = count + 1
        self.samples[s] += 1
        self.alarm[s] = alarm

        self.series.append_rows(s, np.column_stack((ts_ms.astype(np.float64), x, self.mean[s], self.upper[s],
                                                    self.lower[s], self.cu_pos[s], self.cu_neg[s])))
        return alarm

    def alarm_snapshot(self, slot: int, ts_ms: int) -> Alarm:
        return Alarm(int(self.alarm[slot]), ts_ms, float(self.price[slot]), float(self.mean[slot]),
                     float(self.std[slot]), float(self.upper[slot]), float(self.lower[slot]),
                     float(self.roc_pct[slot]), float(self.cusum_at_alarm[slot]), self.params.cusum_threshold)


def rounds(slots: np.ndarray) -> np.ndarray:
    """Each row's rank among the earlier rows of the same slot (0 for a slot's first price in the
    batch): rows of rank r form round r, in which every slot appears at most once."""
    n = len(slots)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(slots, kind="stable")
    ordered = slots[order]
    index = np.arange(n)
    starts = np.empty(n, dtype=bool)
    starts[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    rank_sorted = index - np.maximum.accumulate(np.where(starts, index, 0))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = rank_sorted
    return rank


class _CusumView:
    __slots__ = ("_bank", "_slot")

    def __init__(self, bank: DetectorBank, slot: int) -> None:
        self._bank, self._slot = bank, slot

    @property
    def pos(self) -> float:
        return float(self._bank.cu_pos[self._slot])

    @property
    def neg(self) -> float:
        return float(self._bank.cu_neg[self._slot])


class DetectorView:
    """One token's detector, read from the bank (the attributes of ``SpikeDetector``)."""

    __slots__ = ("_bank", "_slot")

    def __init__(self, bank: DetectorBank, slot: int) -> None:
        self._bank, self._slot = bank, slot

    params = property(lambda self: self._bank.params)
    price = property(lambda self: float(self._bank.price[self._slot]))
    mean = property(lambda self: float(self._bank.mean[self._slot]))
    std = property(lambda self: float(self._bank.std[self._slot]))
    upper = property(lambda self: float(self._bank.upper[self._slot]))
    lower = property(lambda self: float(self._bank.lower[self._slot]))
    roc_pct = property(lambda self: float(self._bank.roc_pct[self._slot]))
    alarm = property(lambda self: int(self._bank.alarm[self._slot]))
    samples = property(lambda self: int(self._bank.samples[self._slot]))
    cusum = property(lambda self: _CusumView(self._bank, self._slot))

    @property
    def warm(self) -> bool:
        return self.samples >= self._bank.params.warmup_points
