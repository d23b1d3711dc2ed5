"""Order intents, orders and fills: the money-carrying records of trading."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    GTC = "GTC"  # limit: marketable part takes, the rest rests on the book
    FOK = "FOK"  # fill the whole size now or nothing
    FAK = "FAK"  # fill what the book has now, cancel the rest


class OrderStatus(StrEnum):
    PENDING = "pending"
    RESTING = "resting"
    PARTIAL = "partial"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"

    @property
    def is_terminal(self) -> bool:
        return self in (OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED)


class Purpose(StrEnum):
    ENTRY = "entry"
    EXIT = "exit"
    MANUAL = "manual"
    SETTLE = "settle"  # a resolution paying out a held token (modelled as a fill at the payout)
    ADJUST = "adjust"  # live reconciliation adopting the venue's balance: no trade, only a correction


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """What a strategy (or the user) wants; risk decides whether it becomes an Order."""

    strategy: str
    market_id: str
    token_id: str
    side: Side
    shares: Decimal
    limit_price: Decimal  # worst acceptable price, on the market's tick grid
    order_type: OrderType
    purpose: Purpose
    reason: str  # plain English, built from the numbers
    ts_ms: int
    key: str  # deterministic idempotency key: same decision -> same client order id

    @property
    def notional_usd(self) -> Decimal:
        return self.shares * self.limit_price


@dataclass(frozen=True, slots=True)
class Order:
    client_order_id: str
    intent: OrderIntent
    ts_ms: int


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution. ``shares`` is what changed hands on the book; for a buy the position
    receives ``shares_received`` (the taker fee is paid in shares), for a sell the seller
    receives ``cash_delta`` (the fee comes out of the proceeds)."""

    fill_id: str
    client_order_id: str
    strategy: str
    market_id: str
    token_id: str
    side: Side
    price: Decimal  # VWAP of this execution
    shares: Decimal
    fee_usd: Decimal
    shares_received: Decimal  # signed change of the token balance
    cash_delta: Decimal  # signed change of cash
    is_maker: bool
    purpose: Purpose
    ts_ms: int


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """A lifecycle change reported by an executor."""

    client_order_id: str
    status: OrderStatus
    filled_shares: Decimal
    reason: str
    ts_ms: int
