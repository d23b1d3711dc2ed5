"""The live feed against a fake Polymarket on 127.0.0.1: streaming, faults, recovery, offline."""

from __future__ import annotations

import time

import pytest

from bot.adapters.clock import WallClock
from bot.adapters.feeds.live import LiveFeed
from bot.config.schema import Settings
from bot.domain.book import book_problem
from bot.domain.events import BookUpdate
from tests.fakes.polymarket import FakePolymarket

CYCLE_MS = 200


def live_settings(fake: FakePolymarket | None, mode: str = "auto", **feed: object) -> Settings:
    data = Settings().model_dump()
    urls = (fake.gamma_url, fake.clob_url, fake.ws_url) if fake else ("http://127.0.0.1:9", "http://127.0.0.1:9",
                                                                     "ws://127.0.0.1:9/ws/market")
    data["polymarket"].update(gamma_url=urls[0], clob_url=urls[1], ws_url=urls[2], timeout_s=0.5)
    data["runtime"].update(cycle_s=CYCLE_MS / 1000)
    data["feed"].update(mode=mode, ws_ping_s=1, ws_silence_s=1.5, max_backoff_s=0.3, stale_after_s=3, **feed)
    return Settings.model_validate(data)


@pytest.fixture
def fake():  # type: ignore[no-untyped-def]
    with FakePolymarket(markets=3) as server:
        yield server


def cycles(feed: LiveFeed, n: int) -> list[BookUpdate]:
    books: list[BookUpdate] = []
    for _ in range(n):
        cycle = feed.next_cycle()
        books += [e for e in cycle.events if isinstance(e, BookUpdate)]
        time.sleep(CYCLE_MS / 1000)
    return books


RECOVERY: dict[str, float] = {}  # measured seconds from a fault's end to fresh prices, by test id
TWO_CYCLES_S = 2.0  # two cycles of the default runtime.cycle_s (tests run 0.2 s cycles to be quick)


def seconds_until_price(feed: LiveFeed, token: str, bid: float) -> float:
    started = time.monotonic()
    cycles_until_price(feed, token, bid)
    return time.monotonic() - started


def cycles_until_price(feed: LiveFeed, token: str, bid: float, limit: int = 40) -> int:
    """Cycles until a book of ``token`` with best bid ``bid`` arrives (fails after ``limit``)."""
    for n in range(1, limit + 1):
        cycle = feed.next_cycle()
        for e in cycle.events:
            if isinstance(e, BookUpdate):
                assert book_problem(e.book) is None
                if e.book.token_id == token and e.book.best_bid == bid:
                    return n
        time.sleep(CYCLE_MS / 1000)
    raise AssertionError(f"no book of {token} at {bid} within {limit} cycles")


def started(fake: FakePolymarket, mode: str = "auto") -> tuple[LiveFeed, str]:
    feed = LiveFeed(live_settings(fake, mode), WallClock(), CYCLE_MS).start()
    yes = fake.yes_token(fake.market_ids[0])
    cycles_until_price(feed, yes, 0.49)
    return feed, yes


@pytest.mark.parametrize("mode", ["ws", "rest", "auto"])
def test_every_mode_scans_and_streams_normalised_books(fake: FakePolymarket, mode: str) -> None:
    feed, yes = started(fake, mode)
    try:
        fake.set_mid(yes, 0.6)
        assert cycles_until_price(feed, yes, 0.59) <= 2
        h = feed.health()
        assert h["status"] == "ok" and h["watched_markets"] == 3 and h["watched_tokens"] == 6
        assert h["mode_in_use"] == {"ws": "ws", "rest": "rest", "auto": "ws"}[mode]
        assert h["dropped"] == {} and h["errors"] == {}
        if mode != "rest":
            assert fake.ws_subscriptions[0] == fake.token_ids  # one shard, every watched token
    finally:
        feed.close()


HTTP_FAULTS = [("429", {"retry_after": 1}, "http_429"), ("425", {}, "http_425"), ("500", {}, "http_5xx"),
               ("html", {}, "html_error"), ("bad_json", {}, "bad_json"), ("slow", {"delay_s": 1.0}, "timeout")]


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "params", "counted"), HTTP_FAULTS, ids=[f[0] for f in HTTP_FAULTS])
def test_http_faults_are_counted_and_recovered_from_within_two_cycles(fake: FakePolymarket, kind: str, params: dict,
                                                                     counted: str) -> None:
    feed, yes = started(fake, "rest")
    try:
        fake.set_fault(kind, path="/books", **params)
        fake.set_mid(yes, 0.7)  # moves while the fault lasts: must not be seen until it ends
        time.sleep(2.0)
        during = cycles(feed, 3)
        assert all(book_problem(b.book) is None for b in during)
        assert not any(b.book.token_id == yes and b.book.best_bid == 0.69 for b in during)
        assert feed.health()["errors"].get(counted, 0) >= 1
        if kind == "429":
            time.sleep(1.2)  # the fault ends when Retry-After has passed
        fake.clear_faults()
        took = seconds_until_price(feed, yes, 0.69)
        RECOVERY[kind] = took
        assert took <= TWO_CYCLES_S, f"{kind}: fresh prices {took:.2f} s after the fault ended"
    finally:
        feed.close()


@pytest.mark.parametrize("kind", ["crossed", "bad_price", "nan"])
def test_bad_books_are_dropped_counted_and_never_emitted(fake: FakePolymarket, kind: str) -> None:
    feed, yes = started(fake, "rest")
    try:
        fake.set_fault(kind, path="/books")
        fake.set_mid(yes, 0.3)
        books = cycles(feed, 5)
        assert all(book_problem(b.book) is None for b in books)
        assert feed.health()["dropped"].get({"crossed": "crossed_book", "bad_price": "bad_price", "nan": "nan"}[kind], 0) >= 1
        fake.clear_faults()
        assert seconds_until_price(feed, yes, 0.29) <= TWO_CYCLES_S
    finally:
        feed.close()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["ws_silent", "ws_drop"])
def test_a_silent_or_dropped_websocket_falls_back_to_rest_and_reconnects(fake: FakePolymarket, kind: str) -> None:
    feed, yes = started(fake, "auto")
    try:
        fake.set_fault(kind)
        time.sleep(2.0)  # beyond ws_silence_s: the frozen socket is declared dead
        fake.set_mid(yes, 0.8)
        assert cycles_until_price(feed, yes, 0.79, limit=10) <= 10  # REST covers while the stream is down
        h = feed.health()
        assert h["errors"].get("ws_silent" if kind == "ws_silent" else "ws_disconnect", 0) >= 1
        fake.clear_faults()
        time.sleep(1.0)
        fake.set_mid(yes, 0.4)
        assert seconds_until_price(feed, yes, 0.39) <= TWO_CYCLES_S
        time.sleep(1.0)
        assert feed.health()["mode_in_use"] == "ws" and len(fake.ws_subscriptions) >= 2  # re-subscribed: re-snapshot
    finally:
        feed.close()


def test_unreachable_polymarket_is_reported_offline_and_never_raises() -> None:
    feed = LiveFeed(live_settings(None), WallClock(), CYCLE_MS).start()
    try:
        assert all(not c for c in (cycles(feed, 8)))
        h = feed.health()
        assert h["status"] == "offline" and h["errors"].get("connect_error", 0) >= 1
        assert "cannot reach" in h["last_error"]
    finally:
        feed.close()


def test_legacy_and_unknown_ws_messages_are_dropped(fake: FakePolymarket) -> None:
    feed, yes = started(fake, "ws")
    try:
        fake.set_fault("ws_legacy")
        fake.set_fault("ws_unknown")
        fake.set_mid(yes, 0.55)
        assert cycles_until_price(feed, yes, 0.54) <= 2
        dropped = feed.health()["dropped"]
        assert dropped.get("legacy_price_change") == 1 and dropped.get("unknown_token") == 1
    finally:
        feed.close()
