"""The venue port on the official SDK (``polymarket-client``, import ``polymarket``; CLOB V2).

Only this module imports the SDK. It maps our calls onto ``SecureClient`` (``place_limit_order``,
``place_market_order``, ``cancel_order``, ``get_order``, ``list_open_orders``,
``list_account_trades``, ``get_balance_allowance``) and the SDK's answers and exceptions back onto
the port's records and error types. The private key goes straight into ``SecureClient.create`` and
is never kept, logged or put into an error message here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.adapters.executors.venue import (
    Placed,
    Rejected,
    VenueError,
    VenueOrder,
    VenueOrderStatus,
    VenueRateLimited,
    VenueRestarting,
    VenueTrade,
    VenueUnavailable,
)
from bot.domain.money import CENT, TOKEN_UNIT, ZERO, floor_to
from bot.domain.orders import OrderType, Side

BASE_UNITS = Decimal(1_000_000)  # pUSD and conditional tokens have six decimals
_BALANCE_TEXT = "not enough balance / allowance"


class VenueLoginError(Exception):
    """The SDK could not create an authenticated client (message scrubbed of the key)."""


def order_status(raw: str) -> VenueOrderStatus:
    """The CLOB's order status strings (``LIVE``, ``ORDER_STATUS_MATCHED``, ``CANCELED``...)."""
    value = raw.upper().removeprefix("ORDER_STATUS_")
    if value == "LIVE":
        return VenueOrderStatus.LIVE
    if value == "MATCHED":
        return VenueOrderStatus.MATCHED
    if value in ("DELAYED", "UNMATCHED"):
        return VenueOrderStatus.DELAYED
    return VenueOrderStatus.CANCELLED  # CANCELED, CANCELED_MARKET_RESOLVED, INVALID, ...


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def venue_order(o: Any) -> VenueOrder:
    """An SDK ``OpenOrder`` as a port record."""
    return VenueOrder(str(o.id), str(o.asset_id), Side(o.side), Decimal(o.price), Decimal(o.original_size),
                      Decimal(o.size_matched), order_status(str(o.status)), _ms(o.created_at))


def venue_trades(trade: Any, wallet: str) -> list[VenueTrade]:
    """Our side(s) of an SDK ``ClobTrade``: the taker order, or our maker orders in it."""
    ts = _ms(trade.matched_at)
    if trade.trader_side == "TAKER":
        return [VenueTrade(str(trade.id), str(trade.taker_order_id), str(trade.asset_id), Side(trade.side),
                           Decimal(trade.price), Decimal(trade.size), False, ts)]
    mine = [m for m in trade.maker_orders if str(m.maker_address).lower() == wallet.lower()]
    return [VenueTrade(f"{trade.id}:{m.order_id}", str(m.order_id), str(m.asset_id), Side(m.side), Decimal(m.price),
                       Decimal(m.matched_amount), True, ts) for m in mine]


def placed(response: Any, side: Side, order_type: OrderType, shares: Decimal, limit: Decimal) -> Placed | Rejected:
    """An SDK ``OrderResponse`` (AcceptedOrder | RejectedOrder) as a port record. A buy's making
    amount is dollars and its taking amount shares; a sell's the other way round."""
    if not getattr(response, "ok", False):
        return Rejected(str(response.code), str(response.message))
    making, taking = Decimal(response.making_amount), Decimal(response.taking_amount)
    matched, dollars = (taking, making) if side is Side.BUY else (making, taking)
    avg = (dollars / matched).quantize(TOKEN_UNIT) if matched > 0 else None
    status = order_status(str(response.status))
    if order_type is not OrderType.GTC and status is VenueOrderStatus.MATCHED:
        # A FAK reports "matched" even when it filled only part; what is left was killed.
        wanted = floor_to(shares * limit, CENT) if side is Side.BUY else shares
        got = dollars if side is Side.BUY else matched
        if got < wanted - (CENT if side is Side.BUY else ZERO):
            status = VenueOrderStatus.CANCELLED
    return Placed(str(response.order_id), status, matched, avg)


def translate(error: Exception, *, placing: OrderType | None = None) -> VenueError | Rejected:
    """SDK exceptions as the port's error types (or, for a placement, a rejection)."""
    import polymarket.errors as sdk

    text = str(error) or type(error).__name__
    if isinstance(error, sdk.RateLimitError):
        return VenueRateLimited(text, error.retry_after)
    if isinstance(error, sdk.RequestRejectedError):
        if error.status == 425:
            return VenueRestarting(text, error.retry_after)
        if error.status == 429:
            return VenueRateLimited(text, error.retry_after)
        if error.status >= 500:
            return VenueUnavailable(f"HTTP {error.status}: {text}", error.retry_after)
        if placing is not None:
            code = "not_enough_balance" if _BALANCE_TEXT in text else (error.code or f"http_{error.status}")
            return Rejected(code, text)
        if error.status == 404:
            return VenueUnavailable("not found")
        return VenueUnavailable(f"HTTP {error.status}: {text}")
    if placing is not None and isinstance(error, sdk.InsufficientAllowanceError):
        return Rejected("not_enough_balance", text)
    if placing is not None and isinstance(error, sdk.InsufficientLiquidityError):
        return Rejected(f"{placing.value.lower()}_not_filled", text)
    if placing is not None and isinstance(error, sdk.UserInputError | sdk.SigningError):
        return Rejected("invalid_order", text)
    return VenueUnavailable(text)


class SdkVenue:
    """``VenueClient`` over an authenticated ``polymarket.SecureClient``."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.wallet = str(client.wallet)

    @classmethod
    def create(cls, private_key: str, wallet: str | None = None) -> SdkVenue:
        from polymarket import SecureClient

        try:
            client = SecureClient.create(private_key=private_key, wallet=wallet or None)
        except Exception as exc:  # never let the key ride out on an exception or its chain
            text = str(exc).replace(private_key, "***") if private_key else str(exc)
            raise VenueLoginError(f"could not log in to Polymarket: {type(exc).__name__}: {text}") from None
        return cls(client)

    def place_limit(self, token_id: str, side: Side, price: Decimal, shares: Decimal) -> Placed | Rejected:
        try:
            response = self.client.place_limit_order(token_id=token_id, price=price, size=shares, side=side.value)
        except Exception as exc:
            return _placing_failure(exc, OrderType.GTC)
        return placed(response, side, OrderType.GTC, shares, price)

    def place_market(self, token_id: str, side: Side, shares: Decimal, limit_price: Decimal,
                     order_type: OrderType) -> Placed | Rejected:
        try:
            if side is Side.BUY:
                # The SDK's market buy spends dollars; shares x limit spends no more than risk approved.
                amount = floor_to(shares * limit_price, CENT)
                response = self.client.place_market_order(token_id=token_id, side="BUY", amount=amount,
                                                          max_price=limit_price, order_type=order_type.value)
            else:
                response = self.client.place_market_order(token_id=token_id, side="SELL", shares=shares,
                                                          min_price=limit_price, order_type=order_type.value)
        except Exception as exc:
            return _placing_failure(exc, order_type)
        return placed(response, side, order_type, shares, limit_price)

    def cancel(self, venue_order_id: str) -> str | None:
        response = self._call(lambda: self.client.cancel_order(order_id=venue_order_id))
        if venue_order_id in response.canceled:
            return None
        return str(response.not_canceled.get(venue_order_id, "not cancelled"))

    def get_order(self, venue_order_id: str) -> VenueOrder | None:
        import polymarket.errors as sdk

        try:
            return venue_order(self.client.get_order(order_id=venue_order_id))
        except sdk.RequestRejectedError as exc:
            if exc.status == 404:
                return None
            raise _as_error(exc) from None
        except Exception as exc:
            raise _as_error(exc) from None

    def open_orders(self) -> list[VenueOrder]:
        return self._call(lambda: [venue_order(o) for o in self.client.list_open_orders().iter_items()])

    def trades(self, after_ms: int) -> list[VenueTrade]:
        def fetch() -> list[VenueTrade]:
            rows: Iterable[Any] = self.client.list_account_trades(after=str(after_ms // 1000)).iter_items()
            return [t for row in rows for t in venue_trades(row, self.wallet)]
        return self._call(fetch)

    def cash_usd(self) -> Decimal:
        balance = self._call(lambda: self.client.get_balance_allowance(asset_type="COLLATERAL"))
        return Decimal(balance.balance) / BASE_UNITS

    def token_shares(self, token_ids: list[str]) -> dict[str, Decimal]:
        def fetch() -> dict[str, Decimal]:
            return {t: Decimal(self.client.get_balance_allowance(asset_type="CONDITIONAL", token_id=t).balance)
                    / BASE_UNITS for t in token_ids}
        return self._call(fetch)

    @staticmethod
    def _call(fn: Any) -> Any:
        try:
            return fn()
        except Exception as exc:
            raise _as_error(exc) from None


def _as_error(exc: Exception) -> VenueError:
    mapped = translate(exc)
    return mapped if isinstance(mapped, VenueError) else VenueUnavailable(str(exc))


def _placing_failure(exc: Exception, order_type: OrderType) -> Rejected:
    mapped = translate(exc, placing=order_type)
    if isinstance(mapped, VenueError):
        raise mapped from None
    return mapped
