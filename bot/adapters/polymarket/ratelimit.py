"""Polite, fault-tolerant HTTP for the public Polymarket APIs.

A token bucket per endpoint keeps requests well below the published Cloudflare limits (per 10 s:
Gamma ``/markets`` 300, CLOB ``/books`` 500). Every failure is classified, counted and answered
with a pause on that endpoint: 429 waits for Retry-After (plus jitter), 425 (matching engine
restarting) and 5xx, timeouts, refused connections and HTML error pages back off exponentially
with jitter, capped so a healthy server is used again within a couple of cycles.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bot.adapters.polymarket.books import Counts

log = logging.getLogger("polybot.polymarket")

# Requests per second we allow ourselves, about half of each published per-10-second limit.
ENDPOINT_RATES = {"gamma_markets": 15.0, "clob_books": 25.0, "gamma_market": 15.0}
RETRY_AFTER_CAP_S = 120.0


class FetchFailed(Exception):
    """A request failed; ``kind`` is the counter it was recorded under."""

    def __init__(self, kind: str, text: str) -> None:
        super().__init__(text)
        self.kind = kind


class TokenBucket:
    def __init__(self, rate_per_s: float, burst: float | None = None) -> None:
        self.rate = rate_per_s
        self.capacity = burst if burst is not None else max(1.0, rate_per_s)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def delay(self) -> float:
        """Take a token; returns how long to wait before using it."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= 1.0
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


@dataclass
class _Endpoint:
    bucket: TokenBucket
    paused_until: float = 0.0
    failures: int = 0


def retry_after_s(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class Http:
    """JSON over HTTP with per-endpoint rate limits, fault classification and backoff."""

    def __init__(self, client: httpx.AsyncClient, counts: Counts, max_backoff_s: float, seed: int | None = None) -> None:
        self.client = client
        self.counts = counts
        self.max_backoff_s = max_backoff_s
        self._rng = random.Random(seed)
        self._endpoints: dict[str, _Endpoint] = {}
        self.last_ok_ms: int | None = None
        self.last_error: str | None = None

    def _endpoint(self, name: str) -> _Endpoint:
        if name not in self._endpoints:
            self._endpoints[name] = _Endpoint(TokenBucket(ENDPOINT_RATES.get(name, 10.0)))
        return self._endpoints[name]

    def paused_for(self, name: str) -> float:
        return max(0.0, self._endpoint(name).paused_until - time.monotonic())

    async def json(self, name: str, method: str, url: str, **kwargs: Any) -> Any:
        ep = self._endpoint(name)
        wait = max(ep.paused_until - time.monotonic(), 0.0) + ep.bucket.delay()
        if wait > 0:
            await asyncio.sleep(wait)
        try:
            response = await self.client.request(method, url, **kwargs)
        except httpx.TimeoutException:
            raise self._fail(ep, "timeout", f"{name}: no answer within the timeout") from None
        except httpx.HTTPError as exc:
            raise self._fail(ep, "connect_error", f"{name}: cannot reach {url} ({type(exc).__name__})") from None
        status = response.status_code
        if status == 429:
            after = retry_after_s(response.headers.get("Retry-After"))
            raise self._fail(ep, "http_429", f"{name}: rate limited (429), retry after {after} s", after)
        if status == 425:
            raise self._fail(ep, "http_425", f"{name}: matching engine restarting (425)")
        body = response.content
        if status >= 500 or _is_html(response):
            kind = "html_error" if _is_html(response) else "http_5xx"
            raise self._fail(ep, kind, f"{name}: HTTP {status} {'HTML error page' if kind == 'html_error' else 'server error'}")
        if status >= 400:
            raise self._fail(ep, "http_4xx", f"{name}: HTTP {status}")
        try:
            data = json.loads(body)
        except ValueError:
            raise self._fail(ep, "bad_json", f"{name}: response is not JSON") from None
        ep.failures = 0
        self.last_ok_ms = time.time_ns() // 1_000_000
        self.last_error = None
        return data

    def _fail(self, ep: _Endpoint, kind: str, text: str, retry_after: float | None = None) -> FetchFailed:
        ep.failures += 1
        if retry_after is not None:
            delay = min(retry_after, RETRY_AFTER_CAP_S) * (1.0 + 0.1 * self._rng.random())
        else:
            delay = min(self.max_backoff_s, 0.25 * 2 ** (ep.failures - 1)) * (0.75 + 0.5 * self._rng.random())
        ep.paused_until = time.monotonic() + delay
        self.counts.error(kind)
        self.last_error = text
        return FetchFailed(kind, text)


def _is_html(response: httpx.Response) -> bool:
    kind = response.headers.get("content-type", "")
    return "html" in kind or response.content[:1] == b"<"
