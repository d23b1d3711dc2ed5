"""Detector readings and signals: every layer's value next to its threshold."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Direction(StrEnum):
    UP = "up"
    DOWN = "down"


class Decision(StrEnum):
    TRADED = "traded"
    REFUSED = "refused"  # risk said no
    LAYERS_DISAGREE = "layers_disagree"
    WARMING_UP = "warming_up"
    HELD = "held"  # already positioned in this market


@dataclass(frozen=True, slots=True)
class Layer:
    name: str  # cusum | ewma_band | roc | liquidity
    value: float
    threshold: float
    passed: bool


@dataclass(frozen=True, slots=True)
class Reading:
    """The detectors' state for one token after one tick (floats: statistics, not money)."""

    token_id: str
    ts_ms: int
    price: float
    ewma_mean: float
    ewma_std: float
    upper_band: float
    lower_band: float
    cusum_pos: float
    cusum_neg: float
    roc_pct: float
    samples: int


@dataclass(frozen=True, slots=True)
class Signal:
    signal_id: str
    strategy: str
    market_id: str
    token_id: str
    ts_ms: int
    direction: Direction
    price: float
    move: float  # price change behind the spike (probability units)
    layers: tuple[Layer, ...]
    decision: Decision
    reason: str  # plain English
