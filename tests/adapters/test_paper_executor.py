"""PaperExecutor: book walks, fees, order types, resting fills, rejections, latency, real books."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from bot.adapters.executors.base import Executor
from bot.adapters.executors.paper import PaperExecutor
from bot.domain.book import Book, book_problem
from bot.domain.events import BookUpdate, Event, FillReport, OrderReport
from bot.domain.market import Market, binary_market
from bot.domain.money import SHARE_STEP, TOKEN_UNIT, VALID_TICKS, floor_to, taker_fee_usd
from bot.domain.orders import Fill, Order, OrderIntent, OrderStatus, OrderType, OrderUpdate, Purpose, Side

D = Decimal
TOKEN = "yes-token"
FIXTURES = Path(__file__).parents[2].parent / "shared" / "fixtures" / "polymarket"


def market(fee_rate: str = "0", tick: str = "0.01", min_size: str = "5", token: str = TOKEN) -> Market:
    return binary_market(
        "m1",
        "Will it?",
        (token, token + "-no"),
        tick_size=D(tick),
        min_order_size=D(min_size),
        fee_rate=D(fee_rate),
    )


def order(
    cid: str,
    side: Side,
    shares: str,
    limit: str,
    kind: OrderType = OrderType.FOK,
    token: str = TOKEN,
    ts_ms: int = 0,
) -> Order:
    intent = OrderIntent(
        "spike", "m1", token, side, D(shares), D(limit), kind, Purpose.ENTRY, "test", ts_ms, cid
    )
    return Order(cid, intent, ts_ms)


def book_update(
    ts_ms: int, bids: tuple = (), asks: tuple = (), last: float | None = None, token: str = TOKEN
) -> BookUpdate:
    return BookUpdate(ts_ms, Book(token, ts_ms, tuple(bids), tuple(asks)), last)


def fills(events: list[Event]) -> list[Fill]:
    return [e.fill for e in events if isinstance(e, FillReport)]


def reports(events: list[Event]) -> list[OrderUpdate]:
    return [e.update for e in events if isinstance(e, OrderReport)]


def only_report(events: list[Event]) -> OrderUpdate:
    assert len(events) == 1 and isinstance(events[0], OrderReport), events
    return events[0].update


ASKS = ((0.40, 10.0), (0.41, 25.0), (0.43, 30.0), (0.45, 100.0))
BIDS = ((0.39, 10.0), (0.38, 20.0), (0.35, 50.0))


def executor_with_book(latency_ms: int = 0) -> PaperExecutor:
    ex = PaperExecutor(latency_ms)
    assert ex.on_book(book_update(0, BIDS, ASKS)) == []
    return ex


def test_implements_the_executor_port() -> None:
    ex: Executor = PaperExecutor()
    assert ex.on_time(0) == []


# --- walking the book -------------------------------------------------------------------


def test_buy_walks_three_levels_with_vwap_and_per_level_fees() -> None:
    ex = executor_with_book()
    events = ex.submit(order("b1", Side.BUY, "50", "0.43"), market(fee_rate="0.05"), 1_000)
    assert [type(e) for e in events] == [FillReport, OrderReport]  # fill before the final report
    (fill,) = fills(events)
    # 10 @ 0.40 + 25 @ 0.41 + 15 @ 0.43
    assert fill.shares == D("50")
    assert fill.cash_delta == D("-20.70")
    assert fill.price == D("0.414")
    # per level, each floored to 5 dp: 0.12 + 0.30237(5) + 0.18382(5); one fee on the total would be 0.6062
    assert fill.fee_usd == D("0.60619")
    assert fill.shares_received == D("48.535772")  # 50 - 0.60619 / 0.414, floored to 6 dp
    assert (fill.fill_id, fill.client_order_id, fill.is_maker, fill.ts_ms) == ("b1-1", "b1", False, 1_000)
    assert (fill.strategy, fill.market_id, fill.token_id, fill.side, fill.purpose) == (
        "spike",
        "m1",
        TOKEN,
        Side.BUY,
        Purpose.ENTRY,
    )
    (update,) = reports(events)
    assert (update.status, update.filled_shares) == (OrderStatus.FILLED, D("50"))


def test_buy_fee_in_shares_reconciles_exactly_with_cash() -> None:
    ex = executor_with_book()
    (fill,) = fills(ex.submit(order("b1", Side.BUY, "50", "0.43"), market(fee_rate="0.05"), 0))
    assert fill.shares_received < fill.shares
    notional = D("10") * D("0.40") + D("25") * D("0.41") + D("15") * D("0.43")
    assert -fill.cash_delta == notional  # cash pays exactly what the levels cost, no rounding
    # the shares withheld are worth the fee, rounded against us by less than one token unit
    withheld_usd = (fill.shares - fill.shares_received) * notional / fill.shares
    assert fill.fee_usd <= withheld_usd < fill.fee_usd + TOKEN_UNIT * fill.price


def test_no_fee_market_receives_every_share() -> None:
    ex = executor_with_book()
    (fill,) = fills(ex.submit(order("b1", Side.BUY, "50", "0.43"), market(fee_rate="0"), 0))
    assert (fill.fee_usd, fill.shares_received) == (D(0), D(50))


def test_sell_walks_bids_down_and_pays_fee_in_cash() -> None:
    ex = executor_with_book()
    (fill,) = fills(ex.submit(order("s1", Side.SELL, "25", "0.38"), market(fee_rate="0.04"), 0))
    # 10 @ 0.39 + 15 @ 0.38
    assert fill.price == D("0.384")
    fee = D("0.09516") + D("0.14136")  # 10*.04*.39*.61, 15*.04*.38*.62
    assert fill.fee_usd == fee
    assert fill.shares_received == D("-25")
    assert fill.cash_delta == D("9.60") - fee


def test_limit_price_stops_the_walk() -> None:
    ex = executor_with_book()
    events = ex.submit(order("b1", Side.BUY, "100", "0.42", OrderType.FAK), market(), 0)
    (fill,) = fills(events)
    assert fill.shares == D("35")  # 0.43 is beyond the limit
    assert fill.cash_delta == D("-14.25")


def test_marketable_orders_consume_the_snapshot_until_the_next_book() -> None:
    ex = executor_with_book()
    ex.submit(order("b1", Side.BUY, "10", "0.40"), market(), 0)
    second = ex.submit(order("b2", Side.BUY, "10", "0.40"), market(), 0)
    assert fills(second) == [] and only_report(second).status is OrderStatus.CANCELLED
    ex.on_book(book_update(5, BIDS, ASKS))
    (fill,) = fills(ex.submit(order("b3", Side.BUY, "10", "0.40"), market(), 10))
    assert fill.shares == D(10)


def test_dust_sizes_are_floored_to_the_share_step() -> None:
    ex = PaperExecutor()
    ex.on_book(book_update(0, asks=((0.50, 3.209), (0.60, 100.0))))
    events = ex.submit(order("b1", Side.BUY, "10", "0.50", OrderType.FAK), market(), 0)
    assert fills(events)[0].shares == D("3.20")


# --- order types ------------------------------------------------------------------------


def test_fok_is_all_or_nothing() -> None:
    ex = executor_with_book()
    update = only_report(ex.submit(order("f1", Side.BUY, "50", "0.41"), market(), 0))
    assert (update.status, update.filled_shares) == (OrderStatus.CANCELLED, D(0))
    assert update.reason == "FOK: only 35.00 of 50.00 shares available at or better than 41¢"
    events = ex.submit(order("f2", Side.BUY, "35", "0.41"), market(), 0)
    assert fills(events)[0].shares == D(35)
    assert reports(events)[0].status is OrderStatus.FILLED


def test_fak_fills_what_is_there_and_cancels_the_rest() -> None:
    ex = executor_with_book()
    events = ex.submit(order("k1", Side.SELL, "100", "0.38", OrderType.FAK), market(), 0)
    assert fills(events)[0].shares == D(30)
    (update,) = reports(events)
    assert (update.status, update.filled_shares) == (OrderStatus.CANCELLED, D(30))
    assert "30.00 of 100.00" in update.reason
    assert ex.open_orders() == []


def test_gtc_rests_and_fills_only_when_traded_through_strictly() -> None:
    ex = executor_with_book()
    resting = order("g1", Side.BUY, "10", "0.38", OrderType.GTC)
    assert only_report(ex.submit(resting, market(fee_rate="0.05"), 0)).status is OrderStatus.RESTING
    assert ex.open_orders() == [resting]
    # touching the price (trade at 0.38, best ask 0.38) is not enough: queue position unknown
    assert ex.on_book(book_update(100, BIDS, ((0.38, 50.0),), last=0.38)) == []
    # another token trading through does not matter
    assert ex.on_book(book_update(150, asks=((0.10, 5.0),), last=0.1, token="other")) == []
    events = ex.on_book(book_update(200, BIDS, ((0.38, 50.0),), last=0.37))
    (fill,) = fills(events)
    assert (fill.price, fill.shares, fill.is_maker, fill.fee_usd) == (D("0.38"), D(10), True, D(0))
    assert (fill.shares_received, fill.cash_delta, fill.ts_ms) == (D(10), D("-3.80"), 200)
    assert reports(events)[0].status is OrderStatus.FILLED
    assert ex.open_orders() == []


def test_resting_buy_fills_when_the_best_ask_drops_below_it() -> None:
    ex = executor_with_book()
    ex.submit(order("g1", Side.BUY, "10", "0.38", OrderType.GTC), market(), 0)
    assert fills(ex.on_book(book_update(100, asks=((0.37, 1.0),))))[0].is_maker


def test_resting_sell_is_symmetric() -> None:
    ex = executor_with_book()
    assert (
        only_report(ex.submit(order("g1", Side.SELL, "10", "0.45", OrderType.GTC), market(), 0)).status
        is OrderStatus.RESTING
    )
    assert ex.on_book(book_update(100, ((0.45, 10.0),), ASKS, last=0.45)) == []
    (fill,) = fills(ex.on_book(book_update(200, ((0.46, 10.0),), ASKS)))
    assert (fill.shares_received, fill.cash_delta, fill.fee_usd) == (D(-10), D("4.50"), D(0))


def test_gtc_takes_the_marketable_part_then_rests_the_rest() -> None:
    ex = executor_with_book()
    events = ex.submit(order("g1", Side.BUY, "20", "0.40", OrderType.GTC), market(fee_rate="0.05"), 0)
    (taker,) = fills(events)
    assert (taker.shares, taker.is_maker, taker.fill_id) == (D(10), False, "g1-1")
    assert (reports(events)[0].status, reports(events)[0].filled_shares) == (OrderStatus.PARTIAL, D(10))
    later = ex.on_book(book_update(50, BIDS, ASKS, last=0.39))
    (maker,) = fills(later)
    assert (maker.shares, maker.is_maker, maker.fill_id, maker.fee_usd) == (D(10), True, "g1-2", D(0))
    assert (reports(later)[0].status, reports(later)[0].filled_shares) == (OrderStatus.FILLED, D(20))


def test_cancel_resting_and_unknown_orders() -> None:
    ex = executor_with_book()
    ex.submit(order("g1", Side.BUY, "10", "0.30", OrderType.GTC), market(), 0)
    update = only_report(ex.cancel("g1", 10))
    assert (update.status, update.client_order_id, update.ts_ms) == (OrderStatus.CANCELLED, "g1", 10)
    assert ex.open_orders() == []
    assert ex.on_book(book_update(20, BIDS, ASKS, last=0.2)) == []  # cancelled orders never fill
    assert only_report(ex.cancel("g1", 30)).status is OrderStatus.REJECTED
    assert only_report(ex.cancel("nope", 30)).status is OrderStatus.REJECTED


# --- rejections -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shares", "limit", "kind", "words"),
    [
        ("0", "0.40", OrderType.FOK, "size"),
        ("-5", "0.40", OrderType.FOK, "size"),
        ("10.005", "0.40", OrderType.FOK, "size"),
        ("10", "0.405", OrderType.FOK, "0.01 grid"),
        ("10", "0", OrderType.GTC, "above 0, below 1"),
        ("10", "1", OrderType.GTC, "above 0, below 1"),
        ("2", "0.40", OrderType.FOK, "under the $1 minimum"),
        ("2", "0.40", OrderType.FAK, "under the $1 minimum"),
        ("2", "0.40", OrderType.GTC, "under $1"),  # crosses the 0.40 ask, so it is marketable
        ("12", "0.40", OrderType.GTC, "minimum order size"),  # 10 fill, 2 would rest
    ],
)
def test_rejections_leave_no_fill_and_no_order(shares: str, limit: str, kind: OrderType, words: str) -> None:
    ex = executor_with_book()
    update = only_report(ex.submit(order("r1", Side.BUY, shares, limit, kind), market(), 0))
    assert update.status is OrderStatus.REJECTED and words in update.reason
    assert ex.open_orders() == []
    # the book was not consumed by the rejected order
    assert fills(ex.submit(order("r2", Side.BUY, "10", "0.40"), market(), 0))[0].shares == D(10)


def test_small_non_marketable_gtc_may_rest_if_above_min_size() -> None:
    ex = executor_with_book()
    assert (
        only_report(ex.submit(order("g1", Side.BUY, "5", "0.10", OrderType.GTC), market(), 0)).status
        is OrderStatus.RESTING
    )
    assert (
        only_report(ex.submit(order("g2", Side.BUY, "4.99", "0.10", OrderType.GTC), market(), 0)).status
        is OrderStatus.REJECTED
    )


def test_rejects_without_a_book_for_the_token_and_foreign_tokens_and_duplicates() -> None:
    ex = PaperExecutor()
    assert "no order book" in only_report(ex.submit(order("a", Side.BUY, "10", "0.40"), market(), 0)).reason
    ex.on_book(book_update(0, BIDS, ASKS))
    foreign = order("b", Side.BUY, "10", "0.40", token="elsewhere")
    assert "does not belong" in only_report(ex.submit(foreign, market(), 0)).reason
    ex.submit(order("c", Side.BUY, "10", "0.40"), market(), 0)
    again = only_report(ex.submit(order("c", Side.BUY, "10", "0.40"), market(), 1))
    assert again.status is OrderStatus.REJECTED and "duplicate" in again.reason


def test_tick_grid_follows_the_market() -> None:
    ex = executor_with_book()
    events = ex.submit(order("t1", Side.BUY, "20", "0.405", OrderType.GTC), market(tick="0.001"), 0)
    assert fills(events)[0].shares == D(10)  # 0.405 is on the 0.001 grid: accepted, takes 0.40, rests
    assert reports(events)[0].status is OrderStatus.PARTIAL


# --- latency ----------------------------------------------------------------------------


def test_latency_fills_against_the_later_book() -> None:
    ex = executor_with_book(latency_ms=500)
    assert (
        only_report(ex.submit(order("l1", Side.BUY, "10", "0.50"), market(), 1_000)).status
        is OrderStatus.PENDING
    )
    assert ex.on_book(book_update(1_200, asks=((0.45, 100.0),))) == []  # not due yet
    assert ex.on_time(1_499) == []
    events = ex.on_book(book_update(1_500, asks=((0.48, 100.0),)))  # due exactly now: sees this book
    (fill,) = fills(events)
    assert (fill.price, fill.ts_ms) == (D("0.48"), 1_500)
    assert ex.on_time(9_999) == []


def test_on_time_runs_due_orders_against_the_latest_book() -> None:
    ex = executor_with_book(latency_ms=250)
    ex.submit(order("l1", Side.SELL, "10", "0.30"), market(), 0)
    ex.on_book(book_update(100, bids=((0.36, 50.0),)))
    (fill,) = fills(ex.on_time(300))
    assert (fill.price, fill.ts_ms) == (D("0.36"), 300)


def test_pending_orders_can_be_cancelled_and_cleared() -> None:
    ex = executor_with_book(latency_ms=100)
    ex.submit(order("l1", Side.BUY, "10", "0.50"), market(), 0)
    assert len(ex.open_orders()) == 1
    assert only_report(ex.cancel("l1", 50)).status is OrderStatus.CANCELLED
    assert ex.on_time(200) == []
    ex.submit(order("l2", Side.BUY, "10", "0.50"), market(), 0)
    ex.clear()
    assert ex.open_orders() == [] and ex.on_time(200) == []


def test_negative_latency_is_refused() -> None:
    with pytest.raises(ValueError):
        PaperExecutor(-1)


# --- real captured books ----------------------------------------------------------------


def wire(name: str) -> dict:
    path = FIXTURES / name
    if not path.is_file():
        pytest.skip(f"shared fixtures not available ({path})")
    return json.loads(path.read_text())


def wire_book(raw: dict) -> tuple[Book, D]:
    """CLOB REST and WS books list the best bid and ask LAST: reverse both into best-first."""

    def levels(side: str) -> tuple[tuple[float, float], ...]:
        return tuple((float(x["price"]), float(x["size"])) for x in reversed(raw[side]))

    prices = [D(x["price"]) for x in raw["bids"] + raw["asks"]]
    # older captures carry no tick_size: use the coarsest tick every listed price sits on
    tick = (
        D(raw["tick_size"])
        if "tick_size" in raw
        else next(t for t in VALID_TICKS if all(p % t == 0 for p in prices))
    )
    return Book(raw["asset_id"], int(raw["timestamp"]), levels("bids"), levels("asks")), tick


def reference_walk(raw_levels: list[dict], side: Side, shares: D, limit: D, rate: D) -> tuple[D, D, D]:
    """Straight from the wire strings: (shares filled, notional, fee) of a walk."""
    ordered = sorted(raw_levels, key=lambda x: D(x["price"]), reverse=side is Side.SELL)
    filled = notional = fee = D(0)
    for level in ordered:
        price, size = D(level["price"]), floor_to(D(level["size"]), SHARE_STEP)
        if (price > limit if side is Side.BUY else price < limit) or filled == shares:
            break
        take = min(size, shares - filled)
        filled, notional, fee = filled + take, notional + take * price, fee + taker_fee_usd(take, price, rate)
    return filled, notional, fee


# (file, buy shares, buy limit, sell shares, sell limit): each walk crosses at least two levels
REAL_BOOKS = [
    ("clob_book.json", "800", "0.38", "200", "0.09"),
    ("clob_book_2026-08_trimmed.json", "3000", "0.999", "2400000", "0.001"),
    ("ws_book.json", "25000", "0.515", "2000", "0.509"),
]


@pytest.mark.parametrize(("name", "buy_shares", "buy_limit", "sell_shares", "sell_limit"), REAL_BOOKS)
def test_real_books_walk_like_the_wire_says(
    name: str, buy_shares: str, buy_limit: str, sell_shares: str, sell_limit: str
) -> None:
    raw = wire(name)
    book, tick = wire_book(raw)
    assert book.best_bid == float(raw["bids"][-1]["price"]) and book.best_ask == float(
        raw["asks"][-1]["price"]
    )
    assert book_problem(book) is None  # reversed wire arrays really are best-first and uncrossed
    rate = D("0.04")
    mkt = market(fee_rate=str(rate), tick=str(tick), token=raw["asset_id"])
    ex = PaperExecutor()
    ex.on_book(BookUpdate(book.ts_ms, book))
    for side, shares, limit in ((Side.BUY, buy_shares, buy_limit), (Side.SELL, sell_shares, sell_limit)):
        o = order(f"{side}-1", side, shares, limit, OrderType.FAK, token=raw["asset_id"])
        (fill,) = fills(ex.submit(o, mkt, book.ts_ms))
        filled, notional, fee = reference_walk(
            raw["asks" if side is Side.BUY else "bids"], side, D(shares), D(limit), rate
        )
        assert (fill.shares, fill.fee_usd) == (filled, fee)
        assert fill.cash_delta == (-notional if side is Side.BUY else notional - fee)
        best = D(raw["asks" if side is Side.BUY else "bids"][-1]["price"])
        assert (fill.price > best) if side is Side.BUY else (fill.price < best)  # walked past the top level


def test_real_rest_book_buy_by_hand() -> None:
    raw = wire("clob_book.json")
    book, tick = wire_book(raw)
    assert (book.best_bid, book.best_ask, tick) == (0.1, 0.14, D("0.01"))
    ex = PaperExecutor()
    ex.on_book(BookUpdate(book.ts_ms, book))
    mkt = market(fee_rate="0.04", token=raw["asset_id"])
    (fill,) = fills(ex.submit(order("b", Side.BUY, "800", "0.38", token=raw["asset_id"]), mkt, 0))
    # 705 @ 0.14 + 70 @ 0.20 + 25 @ 0.38 (the 192.3 at 0.38 is not exhausted)
    assert fill.cash_delta == D("-122.20")
    assert fill.fee_usd == D("3.39528") + D("0.448") + D(
        "0.2356"
    )  # 705*.04*.14*.86, 70*.04*.2*.8, 25*.04*.38*.62
    assert fill.shares_received == floor_to(D(800) - D("4.07888") * D(800) / D("122.20"), TOKEN_UNIT)
    assert fill.price == D("0.15275")
