"""LiveExecutor against a fake venue at the port boundary: order types and lifecycle, partial
fills, fees in shares, rejections, balance retries, 425 pauses, lost answers, idempotency across a
restart, and reconciliation of orders, positions and cash."""

from __future__ import annotations

from decimal import Decimal

from bot.adapters.executors.base import Executor
from bot.adapters.executors.live import SETTLE_GRACE_MS, UNCONFIRMED_GRACE_MS, Holdings, LiveExecutor
from bot.adapters.executors.venue import VenueRateLimited, VenueRestarting, VenueUnavailable
from bot.adapters.executors.venue_ids import VenueIdMap
from bot.config.schema import Live
from bot.domain.events import Event, FillReport, OrderReport
from bot.domain.market import Market, binary_market
from bot.domain.money import TOKEN_UNIT, floor_to, taker_fee_usd
from bot.domain.orders import Fill, Order, OrderIntent, OrderStatus, OrderType, OrderUpdate, Purpose, Side
from tests.fakes.venue import FakeVenue

D = Decimal
TOKEN = "tok-yes"
T0 = 1_800_000_000_000
FAR = T0 + 10**9  # long after any grace period, but no reconciliation is due in these tests


def fake(**kw: object) -> FakeVenue:
    return FakeVenue(now_ms=T0, **kw)


def market(fee_rate: str = "0") -> Market:
    return binary_market("m1", "Will it?", (TOKEN, "tok-no"), fee_rate=D(fee_rate))


def order(cid: str, side: Side, shares: str, limit: str, kind: OrderType = OrderType.FAK, ts_ms: int = T0) -> Order:
    intent = OrderIntent("spike", "m1", TOKEN, side, D(shares), D(limit), kind, Purpose.ENTRY, "test", ts_ms, cid)
    return Order(cid, intent, ts_ms)


def fills(events: list[Event]) -> list[Fill]:
    return [e.fill for e in events if isinstance(e, FillReport)]


def reports(events: list[Event]) -> list[OrderUpdate]:
    return [e.update for e in events if isinstance(e, OrderReport)]


def executor(venue: FakeVenue, ids: VenueIdMap | None = None, holdings=None, **live: object) -> LiveExecutor:
    ex = LiveExecutor(venue, Live(**live), ids or VenueIdMap(), holdings)
    ex._next_reconcile_ms = 2**62  # these tests drive reconciliation explicitly
    return ex


def test_implements_the_executor_port() -> None:
    ex: Executor = executor(fake())
    assert ex.on_book is not None


def test_fak_buy_partial_fill_pays_the_fee_in_shares_and_cancels_the_rest() -> None:
    venue = fake(fee_rate=D("0.072"), asks={TOKEN: [(D("0.40"), D(5)), (D("0.41"), D(3))]})
    ex = executor(venue)
    events = ex.submit(order("o1", Side.BUY, "20", "0.41"), market("0.072"), T0)
    [fill] = fills(events)
    assert fill.shares == D(8) and fill.side is Side.BUY and not fill.is_maker
    fee = taker_fee_usd(D(8), fill.price, D("0.072"))
    assert fill.fee_usd == fee > 0
    assert fill.shares_received == floor_to(D(8) - fee / fill.price, TOKEN_UNIT) < fill.shares
    assert fill.cash_delta == -(D(8) * fill.price)
    [update] = reports(events)
    assert update.status is OrderStatus.CANCELLED and update.filled_shares == D(8)
    assert "the rest was cancelled" in update.reason
    assert ex.open_orders() == []


def test_fok_without_enough_depth_is_cancelled_with_nothing_filled() -> None:
    venue = fake(asks={TOKEN: [(D("0.40"), D(5))]})
    events = executor(venue).submit(order("o1", Side.BUY, "20", "0.40", OrderType.FOK), market(), T0)
    assert fills(events) == []
    [update] = reports(events)
    assert update.status is OrderStatus.CANCELLED and update.filled_shares == 0
    assert "FOK" in update.reason and "40¢" in update.reason


def test_gtc_rests_then_fills_in_parts_as_maker_through_polling() -> None:
    venue = fake(asks={TOKEN: [(D("0.45"), D(4))]})
    ex = executor(venue, poll_orders_every_s=1.0)
    events = ex.submit(order("o1", Side.BUY, "10", "0.45", OrderType.GTC), market("0.05"), T0)
    [taker] = fills(events)
    assert taker.shares == D(4) and not taker.is_maker
    assert [u.status for u in reports(events)] == [OrderStatus.PARTIAL]
    assert ex.on_time(T0 + 500) == []  # not due yet
    [venue_id] = [o.venue_order_id for o in venue.orders.values()]
    venue.fill_resting(venue_id, D(2))
    events = ex.on_time(T0 + 1000)
    [maker] = fills(events)
    assert maker.shares == D(2) and maker.is_maker and maker.fee_usd == 0 and maker.price == D("0.45")
    assert reports(events)[0].status is OrderStatus.PARTIAL and reports(events)[0].filled_shares == D(6)
    assert ex.on_time(T0 + 2000) == []  # nothing new: no repeated report
    venue.fill_resting(venue_id, D(4))
    events = ex.on_time(T0 + 3000)
    assert fills(events)[0].shares == D(4)
    assert reports(events)[-1].status is OrderStatus.FILLED and reports(events)[-1].filled_shares == D(10)
    assert len({f.fill_id for f in [taker, maker, *fills(events)]}) == 3


def test_cancel_of_a_resting_order_books_late_fills_first() -> None:
    venue = fake()
    ex = executor(venue)
    ex.submit(order("o1", Side.BUY, "10", "0.30", OrderType.GTC), market(), T0)
    [venue_id] = venue.orders
    venue.fill_resting(venue_id, D(3))  # happens before our cancel arrives
    events = ex.cancel("o1", T0 + 100)
    assert fills(events)[0].shares == D(3)
    assert reports(events)[-1].status is OrderStatus.CANCELLED and reports(events)[-1].filled_shares == D(3)
    assert reports(ex.cancel("o1", T0 + 200))[0].status is OrderStatus.REJECTED


def test_rejections_name_the_reason_and_invalid_orders_never_reach_the_venue() -> None:
    venue = fake(cash=D(1))
    ex = executor(venue, balance_retry_attempts=0)
    [bad_tick] = reports(ex.submit(order("o1", Side.BUY, "10", "0.455", OrderType.GTC), market(), T0))
    assert bad_tick.status is OrderStatus.REJECTED and "0.01 grid" in bad_tick.reason
    assert venue.calls["place"] == 0
    [broke] = reports(ex.submit(order("o2", Side.BUY, "10", "0.45", OrderType.GTC), market(), T0))
    assert broke.status is OrderStatus.REJECTED and "not enough balance" in broke.reason
    [dup] = reports(ex.submit(order("o2", Side.BUY, "10", "0.45", OrderType.GTC), market(), T0))
    assert dup.status is OrderStatus.REJECTED and "duplicate" in dup.reason
    assert venue.calls["place"] == 1


def test_sell_right_after_a_buy_retries_not_enough_balance_with_backoff() -> None:
    venue = fake(asks={TOKEN: [(D("0.50"), D(100))]}, bids={TOKEN: [(D("0.49"), D(100))]})
    ex = executor(venue, balance_retry_attempts=3, balance_retry_backoff_s=1.0)
    ex.submit(order("buy", Side.BUY, "10", "0.50"), market(), T0)
    events = ex.submit(order("sell", Side.SELL, "10", "0.49"), market(), T0 + 10)
    [held] = reports(events)
    assert held.status is OrderStatus.PENDING and "retry 1 of 3 in 1 s" in held.reason
    assert ex.on_time(T0 + 500) == []  # backoff not over
    [again] = reports(ex.on_time(T0 + 1010))
    assert "retry 2 of 3 in 2 s" in again.reason
    venue.settle()  # the bought shares arrive on chain
    events = ex.on_time(T0 + 3010)
    assert fills(events)[0].side is Side.SELL and fills(events)[0].shares == D(10)
    assert reports(events)[-1].status is OrderStatus.FILLED
    assert venue.calls["place"] == 4 and ex.counters["balance_retries"] == 2


def test_balance_retries_give_up_with_a_clear_rejection() -> None:
    venue = fake()
    ex = executor(venue, balance_retry_attempts=1, balance_retry_backoff_s=1.0)
    ex.submit(order("sell", Side.SELL, "10", "0.49"), market(), T0)
    [final] = reports(ex.on_time(T0 + 1000))
    assert final.status is OrderStatus.REJECTED and "after 1 retries" in final.reason


def test_425_pauses_all_order_flow_and_retries_when_it_ends() -> None:
    venue = fake(asks={TOKEN: [(D("0.50"), D(100))]})
    venue.fail["place"].append(VenueRestarting("engine restarting", retry_after_s=30))
    ex = executor(venue)
    [held] = reports(ex.submit(order("a", Side.BUY, "10", "0.50"), market(), T0))
    assert held.status is OrderStatus.PENDING and "HTTP 425" in held.reason
    [held_b] = reports(ex.submit(order("b", Side.BUY, "10", "0.50"), market(), T0 + 1000))
    assert held_b.status is OrderStatus.PENDING and venue.calls["place"] == 1  # b never left
    assert ex.on_time(T0 + 29_000) == []
    events = ex.on_time(T0 + 30_000)
    assert [u.status for u in reports(events)] == [OrderStatus.FILLED, OrderStatus.FILLED]
    assert venue.calls["place"] == 3 and ex.counters["restarting_425"] == 1


def test_a_restart_longer_than_the_limit_drops_the_order() -> None:
    venue = fake()
    venue.fail["place"] += [VenueRestarting("restarting", retry_after_s=90)]
    ex = executor(venue, restart_retry_max_s=60)
    [dropped] = reports(ex.submit(order("a", Side.BUY, "10", "0.50"), market(), T0))
    assert dropped.status is OrderStatus.CANCELLED and "longer than 60 s" in dropped.reason


def test_429_waits_retry_after_then_sends() -> None:
    venue = fake(asks={TOKEN: [(D("0.50"), D(100))]})
    venue.fail["place"].append(VenueRateLimited("slow down", retry_after_s=2))
    ex = executor(venue)
    assert "HTTP 429" in reports(ex.submit(order("a", Side.BUY, "10", "0.50"), market(), T0))[0].reason
    assert ex.on_time(T0 + 1999) == []
    assert reports(ex.on_time(T0 + 2000))[-1].status is OrderStatus.FILLED


def test_a_lost_answer_is_looked_up_never_resent() -> None:
    venue = fake(lose_answers=1)
    ex = executor(venue, poll_orders_every_s=1.0)
    [pending] = reports(ex.submit(order("o1", Side.BUY, "10", "0.30", OrderType.GTC), market(), T0))
    assert pending.status is OrderStatus.PENDING and "never sends it twice" in pending.reason
    [found] = reports(ex.on_time(T0 + 1000))
    assert found.status is OrderStatus.RESTING
    assert venue.calls["place"] == 1 and ex.ids.get("o1") == "0xorder1"


def test_a_lost_answer_of_an_order_that_never_arrived_is_cancelled_after_the_grace() -> None:
    venue = fake()
    venue.fail["place"].append(VenueUnavailable("connection reset"))
    ex = executor(venue, poll_orders_every_s=1.0)
    ex.submit(order("o1", Side.BUY, "10", "0.30", OrderType.GTC), market(), T0)
    assert ex.on_time(T0 + 1000) == []  # still within the grace: the venue may lag
    [gone] = reports(ex.on_time(T0 + UNCONFIRMED_GRACE_MS + 1000))
    assert gone.status is OrderStatus.CANCELLED and "never reached Polymarket" in gone.reason
    assert venue.calls["place"] == 1


def test_restart_resumes_the_same_venue_order_and_never_places_it_twice(tmp_path) -> None:
    venue = fake()
    ids_path = tmp_path / "live" / "venue_orders.jsonl"
    first = executor(venue, VenueIdMap(ids_path))
    o = order("o1", Side.BUY, "10", "0.30", OrderType.GTC)
    first.submit(o, market(), T0)
    [venue_id] = venue.orders
    # The bot dies here. While it is down, the resting order fills in part.
    venue.fill_resting(venue_id, D(4))
    second = executor(venue, VenueIdMap(ids_path))
    second.recover([(o, OrderStatus.RESTING, D(0))], {"m1": market()})
    events = second.on_time(T0 + 60_000)
    assert fills(events)[0].shares == D(4) and fills(events)[0].fill_id == "o1@4"
    assert reports(events)[0].status is OrderStatus.PARTIAL
    # The engine decides the same thing again: the id is known, nothing is sent.
    assert reports(second.submit(o, market(), T0 + 61_000))[0].status is OrderStatus.REJECTED
    assert venue.calls["place"] == 1
    venue.fill_resting(venue_id, D(6))
    assert reports(second.on_time(T0 + 62_000))[-1].status is OrderStatus.FILLED


def test_restart_after_the_venue_accepted_but_before_the_id_was_written_adopts_the_order() -> None:
    venue = fake()
    o = order("o1", Side.BUY, "10", "0.30", OrderType.GTC)
    executor(venue).submit(o, market(), T0)  # its id map dies with it
    second = executor(venue, VenueIdMap())
    second.recover([(o, OrderStatus.PENDING, D(0))], {"m1": market()})
    [adopted] = reports(second.on_time(T0 + 60_000))
    assert adopted.status is OrderStatus.RESTING and second.ids.get("o1") == "0xorder1"
    assert venue.calls["place"] == 1


def test_restart_finds_a_market_order_that_filled_through_its_trades() -> None:
    venue = fake(asks={TOKEN: [(D("0.50"), D(100))]})
    o = order("o1", Side.BUY, "10", "0.50", OrderType.FAK)
    executor(venue).submit(o, market(), T0)  # filled; the crash loses both the fill and the id
    second = executor(venue, VenueIdMap())
    second.recover([(o, OrderStatus.PENDING, D(0))], {"m1": market()})
    events = second.on_time(T0 + 60_000)
    assert [f.shares for f in fills(events)] == [D(10)]
    assert reports(events)[-1].status is OrderStatus.FILLED
    assert venue.calls["place"] == 1


def test_restart_cancels_an_order_that_never_reached_the_venue() -> None:
    venue = fake()
    o = order("o1", Side.BUY, "10", "0.30", OrderType.GTC)
    second = executor(venue, VenueIdMap())
    second.recover([(o, OrderStatus.PENDING, D(0)), (order("done", Side.BUY, "1", "0.5"), OrderStatus.FILLED, D(1))],
                   {"m1": market()})
    [gone] = reports(second.on_time(T0 + UNCONFIRMED_GRACE_MS + 1))
    assert gone.status is OrderStatus.CANCELLED and "not sent again" in gone.reason
    assert venue.calls["place"] == 0


def test_reconciliation_adopts_the_venue_balances_and_reports_foreign_orders() -> None:
    venue = fake(cash=D("80.25"))
    venue.settled[TOKEN] = D("9.87")
    venue.add_foreign_order("0xtheirs", TOKEN)
    books = Holdings(cash=D(75), shares={TOKEN: ("m1", D(10))})
    ex = executor(venue, holdings=lambda: books)
    events = ex.reconcile(T0)
    adjustments = fills(events)
    assert {(f.token_id, f.shares_received, f.cash_delta) for f in adjustments} == {
        (TOKEN, D("-0.13"), D(0)), ("", D(0), D("5.25"))}
    assert all(f.purpose is Purpose.ADJUST and f.shares == 0 for f in adjustments)
    text = " ".join(ex.last_differences)
    assert "did not place" in text and "$75.00" in text and "$80.25" in text and "9.87" in text


def test_reconciliation_waits_while_orders_work_or_fills_settle() -> None:
    venue = fake(cash=D(50), asks={TOKEN: [(D("0.50"), D(100))]})
    books = Holdings(cash=D(75))
    ex = executor(venue, holdings=lambda: books)
    ex.submit(order("o1", Side.BUY, "10", "0.50"), market(), T0)
    assert fills(ex.reconcile(T0 + 1000)) == [] and "settling" in ex.last_differences[-1]
    assert fills(ex.reconcile(T0 + SETTLE_GRACE_MS + 1000))  # now compared and adopted


def test_reconciliation_runs_at_startup_and_then_periodically() -> None:
    venue = fake(cash=D(100))
    books = Holdings(cash=D(100))
    ex = LiveExecutor(venue, Live(reconcile_every_s=60), VenueIdMap(), lambda: books)
    ex.on_time(T0)
    ex.on_time(T0 + 30_000)
    ex.on_time(T0 + 60_000)
    assert ex.counters["reconciliations"] == 2
    venue.fail["open_orders"].append(VenueUnavailable("down"))
    ex.on_time(T0 + 120_000)
    assert "Could not reconcile" in ex.last_differences[0]
