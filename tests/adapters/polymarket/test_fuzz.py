"""Adversarial payloads (hypothesis): parsers never crash, and nothing bad ever becomes a book."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.polymarket.books import Counts, LiveBooks
from bot.adapters.polymarket.clob_ws import WsShard
from bot.adapters.polymarket.wire import WireError, gamma_market, wire_book
from bot.domain.book import book_problem
from bot.domain.events import BookUpdate
from bot.domain.market import binary_market

NOW = 1_800_000_000_000
TOKENS = ("a", "b")
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                    st.sampled_from(["0.5", "1.5", "-1", "NaN", "inf", "", "abc", "0", str(NOW), "a", "b", "BUY", "SELL"]))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(st.text(max_size=8), inner, max_size=5)),
                           max_leaves=20)
price = st.one_of(st.sampled_from(["0.4", "0.5", "0.6", "1.01", "-0.1", "NaN", "x", None]), st.floats(-1, 2))
level = st.fixed_dictionaries({"price": price, "size": st.one_of(price, st.sampled_from(["0", "100", "-5"]))})
book_msg = st.fixed_dictionaries({
    "event_type": st.just("book"), "asset_id": st.sampled_from([*TOKENS, "zzz", None]),
    "timestamp": st.one_of(st.just(str(NOW)), st.integers(0, 2 * NOW), st.just("later")),
    "bids": st.one_of(st.lists(level, max_size=4), scalars), "asks": st.one_of(st.lists(level, max_size=4), scalars)})
change = st.fixed_dictionaries({"asset_id": st.sampled_from([*TOKENS, "zzz"]), "price": price, "size": price,
                                "side": st.sampled_from(["BUY", "SELL", "X"]), "best_bid": price, "best_ask": price})
change_msg = st.fixed_dictionaries({"event_type": st.just("price_change"), "timestamp": st.just(str(NOW)),
                                    "price_changes": st.lists(change, max_size=4)})
messages = st.lists(st.one_of(book_msg, change_msg, json_values,
                              st.dictionaries(st.just("event_type"), st.sampled_from(
                                  ["last_trade_price", "best_bid_ask", "tick_size_change", "market_resolved", "x"]))),
                    max_size=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_gamma_parser_only_ever_raises_wire_errors(raw: object) -> None:
    try:
        gamma_market(raw)
    except WireError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["id", "outcomes", "clobTokenIds", "outcomePrices", "orderPriceMinTickSize",
                                        "orderMinSize", "feesEnabled", "feeSchedule", "endDate", "negRisk"]),
                       st.one_of(json_values, st.sampled_from(["[\"Yes\", \"No\"]", "[\"1\", \"2\"]", "[1, 2]"]))))
def test_gamma_parser_on_near_valid_markets(raw: dict) -> None:
    try:
        m = gamma_market(raw)
    except WireError:
        return
    assert len(m.market.tokens) == 2 and m.market.fee_rate >= 0


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_book_parser_only_ever_raises_wire_errors(raw: object) -> None:
    try:
        wire_book(raw)
    except WireError:
        pass


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages, st.booleans())
def test_no_message_sequence_crashes_or_yields_a_bad_book(batch: list, as_frame: bool) -> None:
    counts = Counts()
    books = LiveBooks(counts, depth=10, stale_after_ms=10**15)
    books.list_market(binary_market("m", "Q?", TOKENS), NOW)
    if as_frame:  # through the WebSocket frame decoder, arrays and all
        WsShard("ws://unused", TOKENS, books, counts, 10, 30, 1, 1).handle(json.dumps(batch), NOW)
    else:
        for message in batch:
            books.ws_message(message, NOW)
    for event in books.drain(NOW, NOW):
        if isinstance(event, BookUpdate):
            assert event.book.token_id in TOKENS
            assert book_problem(event.book) is None, event.book
