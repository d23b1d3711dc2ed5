"""The venue port: what the live executor needs from Polymarket, expressed in our own records.

The official SDK sits behind ``VenueClient`` (``polymarket_venue.SdkVenue``), so the executor's
logic (lifecycle, idempotency, retries, reconciliation) is tested against a fake at exactly this
boundary. Amounts are ``Decimal``; times are epoch milliseconds. Failures the executor must treat
differently are distinct exception types; anything else from the venue is ``VenueUnavailable``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from bot.domain.orders import OrderType, Side


class VenueOrderStatus(StrEnum):
    LIVE = "live"  # on the book (possibly partly matched)
    MATCHED = "matched"  # fully matched
    DELAYED = "delayed"  # accepted, matching delayed by the venue
    CANCELLED = "cancelled"  # cancelled, killed (FAK/FOK remainder) or invalid


@dataclass(frozen=True, slots=True)
class Placed:
    """The venue accepted an order. ``matched_shares`` traded at placement (gross, before fees)
    at an average ``avg_price``; the rest (if any) rests when ``status`` is LIVE."""

    venue_order_id: str
    status: VenueOrderStatus
    matched_shares: Decimal
    avg_price: Decimal | None


@dataclass(frozen=True, slots=True)
class Rejected:
    """The venue refused an order outright; ``code`` is the SDK's machine-readable code
    (``not_enough_balance``, ``fok_not_filled``, ``fak_not_filled``, ``market_not_ready``, ...)."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class VenueOrder:
    """An order as the venue reports it (open-order listings and single-order lookups)."""

    venue_order_id: str
    token_id: str
    side: Side
    price: Decimal
    original_shares: Decimal
    matched_shares: Decimal
    status: VenueOrderStatus
    created_ms: int


@dataclass(frozen=True, slots=True)
class VenueTrade:
    """One execution of one of our orders."""

    trade_id: str
    venue_order_id: str
    token_id: str
    side: Side
    price: Decimal
    shares: Decimal
    is_maker: bool
    ts_ms: int


class VenueError(Exception):
    """Base of the failures the executor reacts to."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class VenueRestarting(VenueError):
    """HTTP 425: the matching engine restarts (about 90 s). Order flow pauses, then retries."""


class VenueRateLimited(VenueError):
    """HTTP 429: too many requests. Wait ``retry_after_s`` (or back off) and retry."""


class VenueUnavailable(VenueError):
    """Network failure, timeout, 5xx or an unreadable answer. For an order this is ambiguous:
    it may or may not have reached the book, so it is never simply sent again."""


class VenueClient(Protocol):
    def place_limit(self, token_id: str, side: Side, price: Decimal, shares: Decimal) -> Placed | Rejected:
        """A GTC limit order: the marketable part takes, the rest rests."""

    def place_market(self, token_id: str, side: Side, shares: Decimal, limit_price: Decimal,
                     order_type: OrderType) -> Placed | Rejected:
        """A FOK or FAK order for ``shares`` at ``limit_price`` or better."""

    def cancel(self, venue_order_id: str) -> str | None:
        """Cancel an order; None when cancelled, else the venue's reason it was not."""

    def get_order(self, venue_order_id: str) -> VenueOrder | None:
        """One order's current state, or None when the venue does not know it."""

    def open_orders(self) -> list[VenueOrder]:
        """Every open order of the account."""

    def trades(self, after_ms: int) -> list[VenueTrade]:
        """The account's executions matched at or after ``after_ms``."""

    def cash_usd(self) -> Decimal:
        """Collateral (pUSD) balance."""

    def token_shares(self, token_ids: list[str]) -> dict[str, Decimal]:
        """Conditional-token balances (shares held) of the given tokens."""
