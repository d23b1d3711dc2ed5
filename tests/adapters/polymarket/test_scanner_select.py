"""The scanner's pure selection (filters and priority) and the rate limiter's pieces."""

from __future__ import annotations

import json
import time
from email.utils import formatdate

from bot.adapters.polymarket.gamma import select
from bot.adapters.polymarket.ratelimit import TokenBucket, retry_after_s
from bot.adapters.polymarket.wire import gamma_market
from bot.config.schema import Filters, Scanner, Settings

NOW = 1_800_000_000_000
DAY = 86_400_000


def raw(i: int, **over: object) -> dict:
    return {"id": str(i), "question": f"Will team {i} win the cup?", "slug": f"m-{i}", "outcomes": "[\"Yes\", \"No\"]",
            "clobTokenIds": json.dumps([f"{i}y", f"{i}n"]), "active": True, "closed": False, "acceptingOrders": True,
            "enableOrderBook": True, "volume24hr": 10_000 + i, "liquidityNum": 1000 * i, "spread": 0.01 * i,
            "endDate": "2027-02-01T00:00:00Z", **over}


def ids(markets) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.market.market_id for m in markets]


def test_filters_and_priority() -> None:
    rows = [raw(1), raw(2, volume24hr=100), raw(3, acceptingOrders=False), raw(4, closed=True),
            raw(5, enableOrderBook=False), raw(6, spread=0.5), raw(7, question="Bitcoin above 100k?"),
            raw(8, endDate="2026-01-01T00:00:00Z"), raw(9, endDate="2030-01-01T00:00:00Z"), raw(10)]
    markets = [gamma_market(r) for r in rows]
    base = Settings(filters=Filters(min_daily_volume_usd=5000), scanner=Scanner(max_spread=0.2))
    assert ids(select(markets, base, NOW)) == ["10", "7", "1"]  # busiest first; 2 quiet, 3-5 closed, 6 wide, 8-9 dates
    by_liquidity = base.model_copy(update={"scanner": Scanner(max_spread=0.2, priority="liquidity")})
    assert ids(select(markets, by_liquidity, NOW)) == ["10", "7", "1"]
    tight = base.model_copy(update={"scanner": Scanner(max_spread=0.2, priority="tight_spread")})
    assert ids(select(markets, tight, NOW)) == ["1", "7", "10"]
    words = base.model_copy(update={"scanner": Scanner(max_spread=0.2, include_keywords=("cup",),
                                                       exclude_keywords=("team 10",))})
    assert ids(select(markets, words, NOW)) == ["1"]
    top = base.model_copy(update={"filters": Filters(min_daily_volume_usd=5000, max_markets=1)})
    assert ids(select(markets, top, NOW)) == ["10"]
    assert ids(select(markets, base, NOW, tokens=frozenset({"2n", "3y"}))) == ["2"]  # named tokens skip filters


def test_retry_after_seconds_and_http_dates() -> None:
    assert retry_after_s("3") == 3.0
    assert 8 <= retry_after_s(formatdate(time.time() + 10, usegmt=True)) <= 10
    assert retry_after_s("soon") is None and retry_after_s(None) is None


def test_token_bucket_spaces_requests_after_the_burst() -> None:
    bucket = TokenBucket(10.0, burst=2)
    assert bucket.delay() == 0 and bucket.delay() == 0
    assert 0.05 < bucket.delay() <= 0.1
