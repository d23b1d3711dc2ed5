"""DetectorBank: the engine's column-wise detectors equal the one-token SpikeDetector bit for bit."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.detectors.bank import DetectorBank, rounds
from bot.core.detectors.spike import DetectorParams, SpikeDetector

PARAMS = DetectorParams(ewma_span=8, ewma_multiplier=2.0, cusum_slack=0.002, cusum_threshold=0.02, roc_periods=3,
                        warmup_points=5)
FIELDS = ("price", "mean", "std", "upper", "lower", "roc_pct", "alarm", "samples")


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def assert_equal(view, scalar: SpikeDetector) -> None:
    for name in FIELDS:
        assert same(getattr(view, name), getattr(scalar, name)), name
    assert view.cusum.pos == scalar.cusum.pos and view.cusum.neg == scalar.cusum.neg
    assert view.warm == scalar.warm


def feed_both(bank: DetectorBank, scalars: dict[str, SpikeDetector], batch: list[tuple[str, float]], ts: int
              ) -> tuple[list, list]:
    """One batch through the bank (in rounds, as the engine runs it) and through the scalars."""
    slots = np.array([bank.slot_of(t) for t, _ in batch], dtype=np.int64)
    prices = np.array([p for _, p in batch])
    rank = rounds(slots)
    bank_alarms = []
    for r in range(int(rank.max()) + 1 if len(batch) else 0):
        pick = rank == r
        fired = bank.update(slots[pick], prices[pick], np.full(int(pick.sum()), ts, dtype=np.int64))
        bank_alarms += [(bank.token_at(int(s)), int(a)) for s, a in zip(slots[pick], fired, strict=True) if a]
    scalar_alarms = []
    for token, price in batch:
        alarm = scalars[token].update(price)
        if alarm:
            scalar_alarms.append((token, alarm))
    return sorted(bank_alarms), sorted(scalar_alarms)


prices = st.integers(1, 99).map(lambda c: c / 100) | st.floats(0.01, 0.99, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, 4), prices), max_size=12), min_size=1, max_size=80))
def test_bank_equals_scalar_detectors_on_any_stream(batches: list[list[tuple[int, float]]]) -> None:
    tokens = [f"t{i}" for i in range(5)]
    bank = DetectorBank(PARAMS, window_points=10, capacity=2)  # small: growth is exercised too
    scalars = {t: SpikeDetector(PARAMS) for t in tokens}
    for t in tokens:
        bank.add(t)
    for ts, batch in enumerate(batches):
        named = [(tokens[i], p) for i, p in batch]
        bank_alarms, scalar_alarms = feed_both(bank, scalars, named, ts)
        assert bank_alarms == scalar_alarms
        for t in tokens:
            assert_equal(bank[t], scalars[t])


def test_a_jump_alarms_once_in_both_and_the_series_rows_follow() -> None:
    bank = DetectorBank(PARAMS, window_points=4)
    scalar = SpikeDetector(PARAMS)
    bank.add("y")
    alarms = []
    for i, price in enumerate([0.50, 0.501, 0.499, 0.50, 0.501, 0.50, 0.60, 0.60, 0.60]):
        b, s = feed_both(bank, {"y": scalar}, [("y", price)], 1000 * i)
        assert b == s
        alarms += b
    assert alarms == [("y", 1)]  # one move, one alarm (the side is held)
    series = bank.series.series("y")
    assert series["ts_ms"] == [5000, 6000, 7000, 8000] and series["price"] == [0.50, 0.60, 0.60, 0.60]


def test_a_reused_slot_starts_fresh_and_retune_matches_the_scalar() -> None:
    bank = DetectorBank(PARAMS, window_points=4)
    bank.add("old")
    feed_both(bank, {"old": SpikeDetector(PARAMS)}, [("old", 0.3)], 0)
    assert bank.remove("old") and "old" not in bank
    slot = bank.add("new")
    assert slot == 0 and bank["new"].samples == 0 and math.isnan(bank["new"].mean)
    scalar = SpikeDetector(PARAMS)
    tuned = DetectorParams(4, 1.5, 0.001, 0.01, 2, 2)
    for i, price in enumerate([0.4, 0.41, 0.42, 0.40, 0.45, 0.44, 0.5, 0.3]):
        if i == 3:
            bank.retune(tuned)
            scalar.retune(tuned)
        feed_both(bank, {"new": scalar}, [("new", price)], i)
        assert_equal(bank["new"], scalar)


def test_rounds_rank_repeats_of_a_slot_in_arrival_order() -> None:
    assert rounds(np.array([3, 1, 3, 3, 1, 7])).tolist() == [0, 0, 1, 2, 1, 0]
    assert rounds(np.array([], dtype=np.int64)).tolist() == []
