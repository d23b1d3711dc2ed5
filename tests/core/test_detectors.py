"""Detectors against their references: pandas ewm and the textbook CUSUM recursion."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.detectors.cusum import Cusum
from bot.core.detectors.ewma import Ewma
from bot.core.detectors.roc import RateOfChange
from bot.core.detectors.spike import DetectorParams, SpikeDetector

prices = st.lists(st.floats(min_value=0.01, max_value=0.99, allow_nan=False), min_size=2, max_size=400)


def _ewma_series(xs: list[float], span: int) -> tuple[np.ndarray, np.ndarray]:
    ewma = Ewma(span)
    means, stds = [], []
    for x in xs:
        ewma.update(x)
        means.append(ewma.mean)
        stds.append(ewma.std)
    return np.array(means), np.array(stds)


@pytest.mark.parametrize("span", [2, 5, 20, 100])
@pytest.mark.parametrize("seed", range(5))
def test_ewma_equals_pandas_on_random_walks(span: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    xs = list(np.clip(0.5 + np.cumsum(rng.normal(0, 0.01, 2000)) + rng.binomial(1, 0.01, 2000) * 0.08, 0.01, 0.99))
    means, stds = _ewma_series(xs, span)
    ref = pd.Series(xs).ewm(span=span, adjust=False)
    np.testing.assert_allclose(means, ref.mean().to_numpy(), atol=1e-9, rtol=0)
    ref_std = ref.std().to_numpy()
    assert np.isnan(stds[0]) and np.isnan(ref_std[0])
    np.testing.assert_allclose(stds[1:], ref_std[1:], atol=1e-9, rtol=0)


@settings(max_examples=200, deadline=None)
@given(xs=prices, span=st.integers(min_value=2, max_value=60))
def test_ewma_equals_pandas_property(xs: list[float], span: int) -> None:
    means, stds = _ewma_series(xs, span)
    ref = pd.Series(xs).ewm(span=span, adjust=False)
    np.testing.assert_allclose(means, ref.mean().to_numpy(), atol=1e-9, rtol=0)
    np.testing.assert_allclose(np.nan_to_num(stds[1:]), np.nan_to_num(ref.std().to_numpy()[1:]), atol=1e-9, rtol=0)


def textbook_cusum(xs: list[float], targets: list[float], k: float, h: float) -> tuple[list[float], list[float], list[int]]:
    """Page's two-sided CUSUM, written straight from the formula, with restart after an alarm."""
    s_hi, s_lo, his, los, alarms = 0.0, 0.0, [], [], []
    for x, mu in zip(xs, targets, strict=True):
        s_hi = max(0.0, s_hi + x - mu - k)
        s_lo = max(0.0, s_lo + mu - x - k)
        his.append(s_hi)
        los.append(s_lo)
        if s_hi > h:
            alarms.append(1)
            s_hi = s_lo = 0.0
        elif s_lo > h:
            alarms.append(-1)
            s_hi = s_lo = 0.0
        else:
            alarms.append(0)
    return his, los, alarms


@settings(max_examples=200, deadline=None)
@given(xs=prices, k=st.floats(0.0, 0.02), h=st.floats(0.005, 0.2))
def test_cusum_equals_textbook_recursion(xs: list[float], k: float, h: float) -> None:
    targets = [0.5] * len(xs)
    cusum = Cusum(k, h)
    ours_hi, ours_lo, ours_alarms = [], [], []
    for x, mu in zip(xs, targets, strict=True):
        alarm = cusum.update(x, mu)
        ours_hi.append(cusum.pos)
        ours_lo.append(cusum.neg)
        ours_alarms.append(alarm)
        if alarm:
            cusum.reset()
    his, los, alarms = textbook_cusum(xs, targets, k, h)
    assert ours_alarms == alarms
    np.testing.assert_allclose(ours_hi, his, atol=1e-12)
    np.testing.assert_allclose(ours_lo, los, atol=1e-12)


def test_cusum_fires_on_a_six_cent_jump_and_not_on_noise() -> None:
    cusum = Cusum(0.005, 0.03)
    assert all(cusum.update(0.5 + d, 0.5) == 0 for d in (0.004, -0.003, 0.002, -0.004))
    assert cusum.update(0.56, 0.5) == 1


def test_rate_of_change_over_periods() -> None:
    roc = RateOfChange(3)
    assert [roc.update(x) for x in (0.50, 0.51, 0.52)] == [0.0, 0.0, 0.0]
    assert roc.update(0.55) == pytest.approx(10.0)  # 0.50 -> 0.55 over 3 ticks
    assert roc.update(0.51) == pytest.approx(0.0)  # 0.51 -> 0.51


def test_spike_detector_judges_a_price_against_the_bands_before_it() -> None:
    params = DetectorParams(ewma_span=20, ewma_multiplier=2.5, cusum_slack=0.005, cusum_threshold=0.03,
                            roc_periods=3, warmup_points=20)
    detector = SpikeDetector(params)
    rng = np.random.default_rng(3)
    xs = list(0.5 + rng.normal(0, 0.002, 40))
    ref = pd.Series(xs).ewm(span=20, adjust=False)
    for x in xs:
        assert detector.update(float(x)) == 0
    assert detector.warm
    alarm = detector.update(0.56)
    assert alarm == 1
    mean_before, std_before = ref.mean().iloc[-1], ref.std().iloc[-1]
    assert detector.mean == pytest.approx(mean_before, abs=1e-12)
    assert detector.upper == pytest.approx(mean_before + 2.5 * std_before, abs=1e-12)
    assert detector.price > detector.upper
    assert detector.cusum_at_alarm == pytest.approx(0.56 - mean_before - 0.005, abs=1e-12)
    assert detector.cusum.pos == 0.0  # reset after the alarm


def test_spike_detector_stays_silent_while_warming_up() -> None:
    params = DetectorParams(20, 2.5, 0.005, 0.03, 3, warmup_points=20)
    detector = SpikeDetector(params)
    alarms = [detector.update(0.5 if i % 2 else 0.6) for i in range(19)]
    assert alarms == [0] * 19 and not detector.warm
    assert math.isclose(detector.cusum.pos, 0.0)


def test_one_jump_raises_one_alarm_then_rearms_inside_the_bands() -> None:
    params = DetectorParams(20, 2.5, 0.005, 0.03, 3, warmup_points=20)
    detector = SpikeDetector(params)
    calm = [0.5 + (0.002 if i % 2 else -0.002) for i in range(30)]
    for x in calm:
        detector.update(x)
    # The price jumps and stays up: the lagging EWMA must not turn one move into a burst of alarms.
    alarms = [detector.update(0.58 + (0.002 if i % 2 else -0.002)) for i in range(40)]
    assert alarms.count(1) == 1 and alarms[0] == 1
    assert not detector.cusum.hold_pos  # the average caught up with the new level: armed again
    assert detector.update(0.50) == -1  # and a second, real move is caught


def test_a_reversal_during_the_hold_is_still_caught() -> None:
    params = DetectorParams(20, 2.5, 0.005, 0.03, 3, warmup_points=20)
    detector = SpikeDetector(params)
    for i in range(30):
        detector.update(0.5 + (0.002 if i % 2 else -0.002))
    assert detector.update(0.58) == 1
    assert detector.cusum.hold_pos
    assert detector.update(0.47) == -1  # the jump reverses at once: the other side fires
