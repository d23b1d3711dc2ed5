"""SdkVenue: our calls bind to the real ``polymarket.SecureClient`` signatures, and the SDK's
answers (its own pydantic models) and exceptions map onto the venue port's records."""

from __future__ import annotations

import inspect
from decimal import Decimal
from types import SimpleNamespace

import pytest

polymarket = pytest.importorskip("polymarket")
from polymarket import AcceptedOrder, ClobTrade, OpenOrder, RejectedOrder, SecureClient  # noqa: E402
from polymarket.errors import InsufficientLiquidityError, RateLimitError, RequestRejectedError  # noqa: E402

from bot.adapters.executors.polymarket_venue import SdkVenue, VenueLoginError, order_status  # noqa: E402
from bot.adapters.executors.venue import (  # noqa: E402
    Placed,
    Rejected,
    VenueOrderStatus,
    VenueRateLimited,
    VenueRestarting,
    VenueUnavailable,
)
from bot.domain.orders import OrderType, Side  # noqa: E402

D = Decimal
WALLET = "0x" + "cd" * 20
OPEN = {"id": "0xabc", "market": "0x" + "11" * 32, "asset_id": "123", "owner": "k", "maker_address": WALLET,
        "side": "BUY", "price": "0.45", "original_size": "10", "size_matched": "4", "outcome": "Yes",
        "order_type": "GTC", "status": "ORDER_STATUS_LIVE", "created_at": 1_800_000_000}


class Client:
    """Stands in for SecureClient: records calls, answers with SDK models or raises."""

    wallet = WALLET

    def __init__(self, answer: object) -> None:
        self.answer = answer
        self.calls: list[tuple[str, dict]] = []

    def __getattr__(self, name: str):
        def call(**kwargs: object) -> object:
            self.calls.append((name, kwargs))
            if isinstance(self.answer, Exception):
                raise self.answer
            return self.answer
        return call


def bound(client: Client) -> None:
    for name, kwargs in client.calls:
        inspect.signature(getattr(SecureClient, name)).bind(None, **kwargs)  # raises if we guessed wrong


def accepted(status: str, making: str, taking: str) -> AcceptedOrder:
    return AcceptedOrder(order_id="0xabc", status=status, making_amount=D(making), taking_amount=D(taking),
                         trade_ids=("t1",), transactions_hashes=())


def test_limit_order_resting_with_a_partial_match() -> None:
    client = Client(accepted("live", "1.80", "4"))
    result = SdkVenue(client).place_limit("123", Side.BUY, D("0.45"), D(10))
    bound(client)
    assert client.calls == [("place_limit_order", {"token_id": "123", "price": D("0.45"), "size": D(10), "side": "BUY"})]
    assert result == Placed("0xabc", VenueOrderStatus.LIVE, D(4), D("0.45"))


def test_market_buy_spends_shares_times_limit_and_a_short_fak_counts_as_cancelled() -> None:
    client = Client(accepted("matched", "2.00", "4.2"))
    result = SdkVenue(client).place_market("123", Side.BUY, D(10), D("0.50"), OrderType.FAK)
    bound(client)
    assert client.calls[0][1] == {"token_id": "123", "side": "BUY", "amount": D("5.00"), "max_price": D("0.50"),
                                  "order_type": "FAK"}
    assert result.status is VenueOrderStatus.CANCELLED and result.matched_shares == D("4.2")


def test_market_sell_fully_matched() -> None:
    client = Client(accepted("matched", "10", "4.9"))
    result = SdkVenue(client).place_market("123", Side.SELL, D(10), D("0.48"), OrderType.FOK)
    bound(client)
    assert client.calls[0][1]["min_price"] == D("0.48") and client.calls[0][1]["shares"] == D(10)
    assert result == Placed("0xabc", VenueOrderStatus.MATCHED, D(10), D("0.49"))


def test_rejections_and_exceptions_map_to_the_port() -> None:
    rejected = RejectedOrder(code="not_enough_balance", message="not enough balance / allowance")
    assert SdkVenue(Client(rejected)).place_limit("1", Side.SELL, D("0.5"), D(5)) == \
        Rejected("not_enough_balance", "not enough balance / allowance")
    http400 = RequestRejectedError("not enough balance / allowance: x", status=400)
    assert SdkVenue(Client(http400)).place_limit("1", Side.SELL, D("0.5"), D(5)).code == "not_enough_balance"
    thin = InsufficientLiquidityError("no liquidity")
    assert SdkVenue(Client(thin)).place_market("1", Side.BUY, D(5), D("0.5"), OrderType.FOK).code == "fok_not_filled"
    with pytest.raises(VenueRestarting):
        SdkVenue(Client(RequestRejectedError("restarting", status=425, retry_after=30))).place_limit(
            "1", Side.BUY, D("0.5"), D(5))
    with pytest.raises(VenueRateLimited) as info:
        SdkVenue(Client(RateLimitError("slow", retry_after=2.0))).open_orders()
    assert info.value.retry_after_s == 2.0
    with pytest.raises(VenueUnavailable):
        SdkVenue(Client(RequestRejectedError("bad gateway", status=502))).cash_usd()
    assert SdkVenue(Client(RequestRejectedError("no", status=404))).get_order("0x1") is None


def test_open_orders_trades_and_balances() -> None:
    client = Client(SimpleNamespace(iter_items=lambda: iter([OpenOrder.model_validate(OPEN)])))
    [order] = SdkVenue(client).open_orders()
    bound(client)
    assert (order.venue_order_id, order.status, order.matched_shares, order.created_ms) == \
        ("0xabc", VenueOrderStatus.LIVE, D(4), 1_800_000_000_000)
    trade = ClobTrade.model_validate({
        "id": "tr1", "market": "0x" + "11" * 32, "asset_id": "123", "owner": "k", "maker_address": "0xother",
        "taker_order_id": "0xtheirs", "side": "SELL", "trader_side": "MAKER", "price": "0.45", "size": "6",
        "outcome": "Yes", "status": "TRADE_STATUS_CONFIRMED", "fee_rate_bps": "0", "bucket_index": 0,
        "match_time": "1800000001", "last_update": "1800000002",
        "maker_orders": [{"order_id": "0xabc", "asset_id": "123", "maker_address": WALLET, "owner": "k",
                          "side": "BUY", "price": "0.45", "matched_amount": "6", "outcome": "Yes"}]})
    client = Client(SimpleNamespace(iter_items=lambda: iter([trade])))
    [mine] = SdkVenue(client).trades(1_800_000_000_500)
    bound(client)
    assert client.calls[0][1] == {"after": "1800000000"}
    assert (mine.venue_order_id, mine.side, mine.shares, mine.is_maker) == ("0xabc", Side.BUY, D(6), True)
    client = Client(SimpleNamespace(balance=12_345_678, allowances={}))
    assert SdkVenue(client).cash_usd() == D("12.345678")
    assert SdkVenue(client).token_shares(["123"]) == {"123": D("12.345678")}
    bound(client)


def test_order_status_strings() -> None:
    assert order_status("LIVE") is VenueOrderStatus.LIVE
    assert order_status("ORDER_STATUS_MATCHED") is VenueOrderStatus.MATCHED
    assert order_status("CANCELED_MARKET_RESOLVED") is VenueOrderStatus.CANCELLED
    assert order_status("delayed") is VenueOrderStatus.DELAYED


def test_a_failed_login_never_carries_the_key() -> None:
    key = "0x" + "zz" * 32  # not hex: the SDK refuses it, quoting what it got
    with pytest.raises(VenueLoginError) as info:
        SdkVenue.create(key)
    assert key not in str(info.value) and key[2:] not in str(info.value)
    assert info.value.__cause__ is None and info.value.__context__ is None or key not in repr(info.value.__context__)
