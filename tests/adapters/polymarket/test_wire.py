"""Wire parsing on the real captured payloads (../shared/fixtures/polymarket) and the local books."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from bot.adapters.polymarket.books import Counts, LiveBooks
from bot.adapters.polymarket.wire import WireError, best_first, gamma_market, wire_book
from bot.domain.book import book_problem
from bot.domain.events import BookUpdate, MarketListed, Resolution
from bot.domain.market import binary_market

FIXTURES = Path(__file__).resolve().parents[3] / ".." / "shared" / "fixtures" / "polymarket"
needs_fixtures = pytest.mark.skipif(not FIXTURES.exists(), reason="../shared/fixtures/polymarket is absent")
NOW = 1_800_000_000_000


def fixture(name: str):  # type: ignore[no-untyped-def]
    return json.loads((FIXTURES / name).read_text())


@needs_fixtures
def test_gamma_markets_pair_outcomes_with_tokens_by_index() -> None:
    rows = fixture("gamma_markets.json")
    parsed = [gamma_market(r) for r in rows]
    assert len(parsed) == 10
    for raw, m in zip(rows, parsed, strict=True):
        tokens = json.loads(raw["clobTokenIds"])
        assert [t.token_id for t in m.market.tokens] == tokens
        assert [t.outcome for t in m.market.tokens] == json.loads(raw["outcomes"])
        assert m.market.primary.token_id == tokens[0]
        assert m.active and not m.closed and m.accepting_orders and m.order_book
    assert parsed[-1].market.tick_size == Decimal("0.001")
    assert parsed[1].market.neg_risk


@needs_fixtures
def test_fee_schedule_fee_type_and_fees_off() -> None:
    assert gamma_market(fixture("gamma_market_sports_feeschedule.json")).market.fee_rate == Decimal("0.03")
    xi = gamma_market(fixture("gamma_market_2026-08_v1_feeschedule.json"))
    assert xi.market.fee_rate == Decimal("0.04") and xi.market.end_ts_ms == 1_798_675_200_000
    updown = gamma_market(fixture("gamma_market.json"))  # feesEnabled, feeType crypto_fees, no schedule
    assert [t.outcome for t in updown.market.tokens] == ["Up", "Down"]
    assert updown.market.fee_rate == Decimal("0.072")
    assert gamma_market(fixture("gamma_market_resolved.json")).market.fee_rate == 0  # feesEnabled false


@needs_fixtures
def test_resolved_markets_carry_payouts_open_ones_do_not() -> None:
    resolved = gamma_market(fixture("gamma_market_resolved.json"))
    assert resolved.closed and resolved.active and not resolved.accepting_orders
    yes, no = resolved.market.tokens
    assert resolved.payouts == ((yes.token_id, Decimal(0)), (no.token_id, Decimal(1)))
    assert gamma_market(fixture("gamma_market_2026-08_v1_feeschedule.json")).payouts is None
    raw = fixture("gamma_market_resolved.json") | {"outcomePrices": "[\"0.5\", \"0.5\"]"}
    assert [p for _, p in gamma_market(raw).payouts] == [Decimal("0.5"), Decimal("0.5")]
    raw = fixture("gamma_market_resolved.json") | {"outcomePrices": "[\"0.9995\", \"0.0005\"]"}
    assert gamma_market(raw).payouts is None  # not final prices: wait


@pytest.mark.parametrize("change", [{"outcomes": "[\"A\", \"B\", \"C\"]"}, {"clobTokenIds": "not json"},
                                    {"orderPriceMinTickSize": 0.05}, {"id": None}, {"clobTokenIds": "[\"1\", \"1\"]"}])
def test_unusable_gamma_markets_are_refused(change: dict) -> None:
    raw = {"id": "1", "question": "Q?", "outcomes": "[\"Yes\", \"No\"]", "clobTokenIds": "[\"1\", \"2\"]",
           "orderPriceMinTickSize": 0.01} | change
    with pytest.raises(WireError):
        gamma_market(raw)


@needs_fixtures
def test_rest_book_best_levels_are_last_on_the_wire_and_first_in_the_domain() -> None:
    book = wire_book(fixture("clob_book.json"))
    bids, asks = best_first(book.bids, book.asks, 20)
    assert bids[0] == (0.1, 125.0) and asks[0] == (0.14, 705.0)
    assert bids[-1][0] == 0.01 and asks[-1][0] == 0.98
    trimmed = wire_book(fixture("clob_book_2026-08_trimmed.json"))
    assert trimmed.tick_size == Decimal("0.001")
    assert best_first(trimmed.bids, trimmed.asks, 1) == (((0.002, 2301172.5),), ((0.046, 2906.87),))


def watching(token_ids: tuple[str, str], stale_after_ms: int = 10**15) -> LiveBooks:
    books = LiveBooks(Counts(), depth=20, stale_after_ms=stale_after_ms)
    books.list_market(binary_market("m1", "Q?", token_ids), NOW)
    return books


@needs_fixtures
def test_ws_book_then_price_changes_update_the_local_book() -> None:
    snap = fixture("ws_book.json")
    token = snap["asset_id"]
    books = watching((token, "other"))
    books.ws_message(snap, NOW)
    events = books.drain(NOW, NOW)
    assert isinstance(events[0], MarketListed)
    update = next(e for e in events if isinstance(e, BookUpdate))
    assert update.book.best_bid == 0.511 and update.book.best_ask == 0.514 and book_problem(update.book) is None
    ts = int(snap["timestamp"]) + 1
    books.ws_message({"event_type": "price_change", "market": "0x", "timestamp": str(ts), "price_changes": [
        {"asset_id": token, "price": "0.512", "size": "40", "side": "BUY", "best_bid": "0.512", "best_ask": "0.514"},
        {"asset_id": token, "price": "0.514", "size": "0", "side": "SELL", "best_bid": "0.512", "best_ask": "0.515"}]},
        NOW)
    book = books.drain(NOW + 1000, NOW)[0].book
    assert book.bids[0] == (0.512, 40.0) and book.asks[0] == (0.515, 43551.96)
    books.ws_message(fixture("ws_last_trade_price.json") | {"asset_id": token, "timestamp": str(ts)}, NOW)
    traded = books.drain(NOW + 2000, NOW)[0]
    assert traded.last_trade_price == 0.491 and traded.last_trade_size == 85.36


@needs_fixtures
def test_bad_ws_data_is_dropped_and_counted() -> None:
    snap = fixture("ws_book.json")
    token = snap["asset_id"]
    books = watching((token, "other"))
    books.ws_message(snap, NOW)
    books.drain(NOW, NOW)
    books.ws_message(fixture("ws_price_change_legacy_pre_2025-09.json"), NOW)  # obsolete schema
    books.ws_message(fixture("ws_tick_size_change.json"), NOW)  # a token we do not watch
    books.ws_message(snap | {"timestamp": str(int(snap["timestamp"]) - 5)}, NOW)  # goes back in time
    books.ws_message({"event_type": "book", "asset_id": token, "timestamp": snap["timestamp"],
                      "bids": [{"price": "NaN", "size": "1"}], "asks": []}, NOW)
    books.ws_message({"event_type": "book", "asset_id": token, "timestamp": snap["timestamp"],
                      "bids": [{"price": "1.2", "size": "1"}], "asks": []}, NOW)
    # The semi-synthetic fixture adds a 0.7 bid while saying the best bid is 0.6: our book no longer
    # agrees with the exchange's, so the token waits for a fresh snapshot instead of being traded.
    books.ws_message(fixture("ws_price_change.json") | {"timestamp": snap["timestamp"]}, NOW)
    _, dropped = books.counts.snapshot()
    assert dropped == {"legacy_price_change": 1, "unknown_token": 4, "non_monotonic_ts": 1, "nan": 1, "bad_price": 1}
    crossed = watching(("a", "b"))
    crossed.snapshot(wire_book({"asset_id": "a", "timestamp": str(NOW), "bids": [{"price": "0.6", "size": "5"}],
                                "asks": [{"price": "0.6", "size": "5"}]}), NOW)
    assert not [e for e in crossed.drain(NOW, NOW) if isinstance(e, BookUpdate)]
    assert crossed.counts.snapshot()[1] == {"crossed_book": 1} and crossed.take_resync() == {"a"}


def test_desynced_deltas_stop_the_token_until_a_new_snapshot() -> None:
    books = watching(("a", "b"))
    books.snapshot(wire_book({"asset_id": "a", "timestamp": str(NOW), "bids": [{"price": "0.4", "size": "5"}],
                              "asks": [{"price": "0.6", "size": "5"}]}), NOW)
    books.drain(NOW, NOW)
    books.ws_message({"event_type": "price_change", "timestamp": str(NOW), "price_changes": [
        {"asset_id": "a", "price": "0.45", "size": "5", "side": "BUY", "best_bid": "0.5", "best_ask": "0.6"}]}, NOW)
    assert books.drain(NOW + 1000, NOW) == []
    assert books.counts.snapshot()[1] == {"book_desync": 1} and books.take_resync() == {"a"}


def test_stale_snapshots_are_dropped() -> None:
    books = watching(("a", "b"), stale_after_ms=20_000)
    books.snapshot(wire_book({"asset_id": "a", "timestamp": str(NOW - 60_000), "bids": [], "asks": []}), NOW)
    assert books.counts.snapshot()[1] == {"stale_ts": 1}


@needs_fixtures
def test_market_resolved_and_tick_size_change_become_events() -> None:
    msg = fixture("ws_market_resolved.json")
    books = watching(tuple(msg["assets_ids"]))  # type: ignore[arg-type]
    books.drain(NOW, NOW)
    tick = fixture("ws_tick_size_change.json") | {"asset_id": msg["assets_ids"][0]}
    books.ws_message(tick, NOW)
    books.ws_message(msg, NOW)
    relisted, resolution = books.drain(NOW + 1000, NOW)
    assert isinstance(relisted, MarketListed) and relisted.market.tick_size == Decimal("0.001")
    assert isinstance(resolution, Resolution) and resolution.ts_ms == NOW + 1000
    assert dict(resolution.payouts) == {msg["assets_ids"][0]: Decimal(1), msg["assets_ids"][1]: Decimal(0)}
    assert books.token_ids == []  # a resolved market is no longer watched
