"""Open positions and closed round trips."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Position:
    market_id: str
    token_id: str
    strategy: str
    shares: Decimal  # tokens held (six decimals)
    cost_usd: Decimal  # cash paid for them, fees included
    opened_ts_ms: int
    entry_price: Decimal  # VWAP paid per share received, fees included
    stop_price: Decimal
    target_price: Decimal
    high_water_bid: Decimal  # best bid seen since entry, for the trailing stop
    entry_reason: str


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    trade_id: str
    market_id: str
    token_id: str
    strategy: str
    shares: Decimal
    entry_price: Decimal
    exit_price: Decimal
    cost_usd: Decimal
    proceeds_usd: Decimal
    pnl_usd: Decimal
    fees_usd: Decimal
    opened_ts_ms: int
    closed_ts_ms: int
    entry_reason: str
    exit_reason: str
