"""SimFeed: determinism, sane mirrored books, jumps that overshoot and (on average) revert, resolutions."""

from __future__ import annotations

import hashlib
import math
from decimal import Decimal

import numpy as np
import pytest

from bot.adapters.feeds.sim import FEE_RATES, SimFeed
from bot.domain.book import book_problem
from bot.domain.events import BookUpdate, MarketListed, Resolution

START_MS = 1_767_225_600_000


def digest(feed: SimFeed, cycles: int) -> str:
    h = hashlib.sha256()
    for _ in range(cycles):
        cycle = feed.next_cycle()
        assert cycle is not None
        h.update(repr(cycle).encode())
    return h.hexdigest()


def test_same_seed_same_events_different_seed_different() -> None:
    kwargs = dict(markets=40, start_ts_ms=START_MS, jump_probability=0.01, resolution_probability=0.002)
    a = digest(SimFeed(seed=3, **kwargs), 300)
    assert a == digest(SimFeed(seed=3, **kwargs), 300)
    assert a != digest(SimFeed(seed=4, **kwargs), 300)


def test_first_cycle_lists_every_market_with_plausible_metadata() -> None:
    feed = SimFeed(200, seed=1, start_ts_ms=START_MS)
    cycle = feed.next_cycle()
    assert cycle is not None and cycle.ts_ms == START_MS
    listed = [e.market for e in cycle.events if isinstance(e, MarketListed)]
    assert [m.market_id for m in listed] == [f"sim-{i}" for i in range(200)]
    assert cycle.events[:200] == [MarketListed(START_MS, m) for m in listed]
    for m in listed:
        assert (m.tokens[0].token_id, m.tokens[1].token_id) == (f"{m.market_id}-yes", f"{m.market_id}-no")
        assert m.fee_rate == FEE_RATES[m.category]
        assert m.tick_size in (Decimal("0.01"), Decimal("0.001")) and m.min_order_size == 5
        assert m.question.startswith("Will ") and m.question.endswith("?")
        assert m.end_ts_ms is not None and m.end_ts_ms >= START_MS + 3_600_000
    assert np.mean([m.volume_24h_usd >= 5000 for m in listed]) > 0.85
    assert {m.category for m in listed} == set(FEE_RATES)
    books = {e.book.token_id for e in cycle.events if isinstance(e, BookUpdate)}
    assert len(books) == 400


def test_books_are_sane_on_grid_and_no_mirrors_yes() -> None:
    feed = SimFeed(60, seed=5, start_ts_ms=START_MS, jump_probability=0.02)
    ticks = {}
    for _ in range(200):
        cycle = feed.next_cycle()
        assert cycle is not None
        for event in cycle.events:
            if isinstance(event, MarketListed):
                for token in event.market.tokens:
                    ticks[token.token_id] = float(event.market.tick_size)
        updates = [e for e in cycle.events if isinstance(e, BookUpdate)]
        for yes, no in zip(updates[::2], updates[1::2], strict=True):
            assert yes.book.token_id.endswith("-yes") and no.book.token_id == yes.book.token_id[:-3] + "no"
            for update in (yes, no):
                book = update.book
                assert book_problem(book) is None  # in [0, 1], best first, not crossed
                assert book.bids and book.asks and len(book.bids) <= 5
                tick = ticks[book.token_id]
                for price, size in book.bids + book.asks:
                    assert abs(price / tick - round(price / tick)) < 1e-9
                    assert len(repr(price)) <= 6 and size >= 1 and round(size, 2) == size
            assert no.book.bids == tuple((round(1 - p, 4), s) for p, s in yes.book.asks)
            assert no.book.asks == tuple((round(1 - p, 4), s) for p, s in yes.book.bids)
            if yes.last_trade_price is not None:
                assert no.last_trade_price == round(1 - yes.last_trade_price, 4)
                assert yes.book.best_bid <= yes.last_trade_price <= yes.book.best_ask


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def test_jump_rate_and_overshoot_then_revert_on_average() -> None:
    markets, seconds, rate = 400, 400, 0.004
    feed = SimFeed(markets, seed=11, start_ts_ms=START_MS, jump_probability=rate, resolution_probability=0.0)
    mids = np.full((seconds, markets), np.nan)  # last seen YES mid per market slot
    current = np.full(markets, np.nan)
    for t in range(seconds):
        cycle = feed.next_cycle()
        assert cycle is not None
        for event in cycle.events:
            if isinstance(event, BookUpdate) and event.book.token_id.endswith("-yes"):
                current[int(event.book.token_id.split("-")[1])] = event.book.mid
        mids[t] = current
    expected = markets * (seconds - 1) * rate
    assert abs(feed.jump_count - expected) < 4 * math.sqrt(expected)

    # Find big one-second moves in logit mid (diffusion alone is < 0.1 per second) away from 0/1.
    lg = np.log(mids / (1 - mids))
    step = np.diff(lg, axis=0)
    fractions = []
    for t, i in zip(*np.nonzero(np.abs(step) > 0.25), strict=True):
        before, after = lg[t, i], lg[t + 1, i]
        if t + 61 >= seconds or not (0.1 < mids[t, i] < 0.9 and 0.1 < mids[t + 1, i] < 0.9):
            continue
        later = lg[t + 61, i]  # a minute after the jump
        fractions.append((after - later) / (after - before))  # share of the jump given back
    fractions_np = np.array(fractions)
    assert len(fractions_np) > 50
    assert fractions_np.mean() > 0.1  # overshoot then partial reversion, on average
    assert (fractions_np < 0).mean() > 0.1  # but the move sometimes keeps going: fading can lose


def test_resolutions_pay_and_replace_the_market() -> None:
    feed = SimFeed(50, seed=2, start_ts_ms=START_MS, resolution_probability=0.002)
    first = feed.next_cycle()
    assert first is not None
    live = {e.market.market_id for e in first.events if isinstance(e, MarketListed)}
    resolved: set[str] = set()
    payouts_seen = set()
    for _ in range(600):
        cycle = feed.next_cycle()
        assert cycle is not None
        for event in cycle.events:
            if isinstance(event, Resolution):
                assert event.market_id in live
                live.remove(event.market_id)
                resolved.add(event.market_id)
                values = tuple(p for _, p in event.payouts)
                assert values in ((1, 0), (0, 1), (Decimal("0.5"), Decimal("0.5")))
                payouts_seen.add(values)
            elif isinstance(event, MarketListed):
                assert event.market.market_id not in live and event.market.market_id not in resolved
                live.add(event.market.market_id)
            elif isinstance(event, BookUpdate):
                assert event.book.token_id.rsplit("-", 1)[0] in live
        assert len(live) == 50
    assert len(resolved) > 20
    assert {(1, 0), (0, 1)} <= payouts_seen


def test_markets_past_end_time_resolve() -> None:
    feed = SimFeed(20, seed=9, start_ts_ms=START_MS, cycle_ms=3_600_000, resolution_probability=0.0)
    feed.next_cycle()
    resolutions = 0
    for _ in range(24 * 15):  # 15 days of hourly cycles: every first-generation market must end
        cycle = feed.next_cycle()
        assert cycle is not None
        resolutions += sum(isinstance(e, Resolution) for e in cycle.events)
    assert resolutions >= 20
    assert all(m.end_ts_ms is not None and m.end_ts_ms > cycle.ts_ms for m in feed.markets)


def test_max_cycles_ends_the_feed() -> None:
    feed = SimFeed(3, seed=1, start_ts_ms=START_MS, max_cycles=2)
    assert feed.next_cycle() is not None and feed.next_cycle() is not None
    assert feed.next_cycle() is None


@pytest.mark.parametrize("bad", [dict(markets=0), dict(cycle_ms=0), dict(levels=0)])
def test_rejects_nonsense_parameters(bad: dict[str, int]) -> None:
    kwargs = dict(markets=3, seed=1, start_ts_ms=START_MS) | bad
    with pytest.raises(ValueError):
        SimFeed(**kwargs)
