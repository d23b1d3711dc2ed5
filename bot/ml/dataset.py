"""Turn a recording into a supervised data set: one row per (token, grid time), no look-ahead.

Each market's primary (YES) token is sampled every ``sample_s`` seconds: the last book at or
before the grid time. The features of a row come from ``FeatureState`` (that sample and earlier
ones only); its label is whether the mid ``horizon_s`` later is higher (1) or lower (0). Rows
whose mid did not move over the horizon have no direction: they are counted (``flat``) and left
out, and the report says how many. ``last_move`` (the mid's change over the previous horizon) is
kept for the "last move continues" baseline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bot.adapters.feeds.recording import Recording
from bot.core.features import FEATURES, FeatureState

MOVE_EPS = 1e-9  # mids are on a tick grid; anything below this is float noise, i.e. no move


@dataclass(frozen=True)
class Dataset:
    """Rows sorted by label start time. ``end_ms`` is when each label becomes known."""

    X: np.ndarray  # (n, len(FEATURES)) float64
    y: np.ndarray  # (n,) int8, 1 = the mid went up over the horizon
    ts_ms: np.ndarray  # (n,) int64 label start = the moment of the features
    end_ms: np.ndarray  # (n,) int64 = ts_ms + horizon
    token: np.ndarray  # (n,) token ids
    last_move: np.ndarray  # (n,) mid change over the previous horizon (NaN early on)
    flat: int  # rows dropped because the mid did not move over the horizon
    sample_s: int
    horizon_s: int

    def __len__(self) -> int:
        return int(self.y.size)


def _columns(recording: Recording) -> dict[str, np.ndarray]:
    t = recording.ticks
    cols = {name: t.column(name).to_numpy(zero_copy_only=False) for name in ("ts_ms", "token_id")}
    for name in ("best_bid", "best_ask", "bid_size", "ask_size"):
        cols[name] = np.asarray(t.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)
    return cols


def token_samples(ts: np.ndarray, bid: np.ndarray, ask: np.ndarray, sample_s: int) -> tuple[np.ndarray, np.ndarray]:
    """Grid times (multiples of sample_s) from the first two-sided book to the last tick, and for
    each the index of the last tick at or before it (ticks must be sorted by ts)."""
    ok = np.flatnonzero(~(np.isnan(bid) | np.isnan(ask)))
    if ok.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    step = sample_s * 1000
    first = -(-int(ts[ok[0]]) // step) * step
    grid = np.arange(first, int(ts[-1]) + 1, step, dtype=np.int64)
    # Latest two-sided tick at or before each grid time (one-sided books carry no mid).
    pos = np.searchsorted(ts[ok], grid, side="right") - 1
    return grid, ok[pos]


def build_dataset(recording: Recording, horizon_s: int, sample_s: int) -> Dataset:
    """Features and labels of every primary token of ``recording``."""
    if horizon_s <= 0 or sample_s <= 0 or horizon_s % sample_s:
        raise ValueError(f"horizon ({horizon_s} s) must be a positive multiple of the sample step ({sample_s} s)")
    cols = _columns(recording)
    order = np.argsort(cols["token_id"], kind="stable")  # ticks are time-sorted; stable keeps that per token
    tokens_sorted = cols["token_id"][order]
    ahead = horizon_s // sample_s
    rows: list[tuple[float, ...]] = []
    ys: list[int] = []
    starts: list[int] = []
    owners: list[str] = []
    last: list[float] = []
    flat = 0
    for market in recording.markets:
        token = market.primary.token_id
        lo, hi = np.searchsorted(tokens_sorted, token, "left"), np.searchsorted(tokens_sorted, token, "right")
        idx = order[lo:hi]
        if idx.size == 0:
            continue
        ts, bid, ask = cols["ts_ms"][idx], cols["best_bid"][idx], cols["best_ask"][idx]
        bsz, asz = np.nan_to_num(cols["bid_size"][idx]), np.nan_to_num(cols["ask_size"][idx])
        grid, at = token_samples(ts, bid, ask, sample_s)
        if grid.size <= ahead:
            continue
        mids = (bid[at] + ask[at]) / 2.0
        state = FeatureState(sample_s)
        for i, g in enumerate(grid):
            j = at[i]
            vector = state.update(int(g), float(bid[j]), float(ask[j]), float(bsz[j]), float(asz[j]), market.end_ts_ms)
            if i + ahead >= grid.size:
                break  # the label would need data past the recording's end
            move = mids[i + ahead] - mids[i]
            if abs(move) <= MOVE_EPS:
                flat += 1
                continue
            rows.append(vector)
            ys.append(1 if move > 0 else 0)
            starts.append(int(g))
            owners.append(token)
            last.append(float(mids[i] - mids[i - ahead]) if i >= ahead else math.nan)
    X = np.asarray(rows, dtype=np.float64).reshape(-1, len(FEATURES))
    ts_arr = np.asarray(starts, dtype=np.int64)
    sort = np.argsort(ts_arr, kind="stable")
    return Dataset(X[sort], np.asarray(ys, dtype=np.int8)[sort], ts_arr[sort], ts_arr[sort] + horizon_s * 1000,
                   np.asarray(owners, dtype=object)[sort], np.asarray(last, dtype=np.float64)[sort], flat,
                   sample_s, horizon_s)
