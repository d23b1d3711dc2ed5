"""The live Polymarket feed: network I/O in a background thread, one drained Cycle per call.

A daemon thread runs an asyncio loop with three jobs: the Gamma scanner (every
``scanner.refresh_s``), the WebSocket pool (market channel, sharded), and the REST book poller
(every cycle: all tokens in ``rest`` mode, the tokens no healthy WebSocket covers in ``auto``
mode, and tokens needing a re-snapshot in every mode). They write into ``LiveBooks``; the
trading loop calls ``next_cycle`` once a cycle and gets the changed books and market events,
stamped with the injected clock on an epoch-aligned grid (so a recording replays in the same
cycles). When Polymarket is unreachable the jobs keep retrying, log a plain message at most every
30 s, and ``health()`` says offline; the loop never sees an exception.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from bot.adapters.clock import Clock
from bot.adapters.feeds.base import Cycle
from bot.adapters.polymarket.books import Counts, LiveBooks
from bot.adapters.polymarket.clob_rest import poll_books
from bot.adapters.polymarket.clob_ws import WsPool
from bot.adapters.polymarket.gamma import Scanner
from bot.adapters.polymarket.ratelimit import FetchFailed, Http
from bot.config.schema import Settings

log = logging.getLogger("polybot.feed")
logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request would drown the bot's log
LOG_EVERY_S = 30.0


class LiveFeed:
    def __init__(self, settings: Settings, clock: Clock, cycle_ms: int, tokens: frozenset[str] | None = None,
                 held: Callable[[], set[str]] | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self.cycle_ms = cycle_ms
        self.tokens = tokens
        self.held = held or set
        self.counts = Counts()
        feed = settings.feed
        self.books = LiveBooks(self.counts, feed.book_levels, int(feed.stale_after_s * 1000))
        self._held: set[str] = set()
        self._last_ts: int | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._scanner: Scanner | None = None
        self._http: Http | None = None
        self._pool: WsPool | None = None
        self._rest_tokens = 0
        self._logged: dict[str, float] = {}
        self.started_ms = clock.now_ms()

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> LiveFeed:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run_thread, name="polymarket-feed", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run_thread(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception:  # the feed must never take the bot down; health shows it offline
            log.exception("live feed stopped by an unexpected error")

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        pm = self.settings.polymarket
        limits = httpx.Limits(max_connections=8, max_keepalive_connections=4)
        async with httpx.AsyncClient(timeout=pm.timeout_s, limits=limits,
                                     headers={"User-Agent": "polybot/0.1 (paper trading)"}) as client:
            self._http = Http(client, self.counts, self.settings.feed.max_backoff_s)
            self._scanner = Scanner(self._http, self.books, self.settings, self.tokens, held=lambda: self._held)
            feed = self.settings.feed
            if feed.mode != "rest":
                self._pool = WsPool(pm.ws_url, self.books, self.counts, feed.max_assets_per_ws, feed.ws_ping_s,
                                    feed.ws_silence_s, feed.max_backoff_s, pm.timeout_s)
            jobs = [asyncio.create_task(self._scan_job()), asyncio.create_task(self._books_job())]
            await self._stop.wait()
            for job in jobs:
                job.cancel()
            if self._pool is not None:
                self._pool.close()
            await asyncio.gather(*jobs, return_exceptions=True)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stop.wait(), timeout=max(0.01, seconds))
        except TimeoutError:
            pass

    def _warn(self, what: str, exc: FetchFailed) -> None:
        now = time.monotonic()
        if now - self._logged.get(what, -1e9) >= LOG_EVERY_S:
            self._logged[what] = now
            log.warning("Polymarket %s unavailable (%s: %s); retrying. The bot keeps running and will not trade "
                        "without fresh prices.", what, exc.kind, exc)

    async def _scan_job(self) -> None:
        refresh_s = self.settings.scanner.refresh_s
        while not self._stop.is_set():
            try:
                await self._scanner.refresh(self.clock.now_ms())
                delay = refresh_s
            except FetchFailed as exc:
                self._warn("market list (Gamma)", exc)
                delay = min(refresh_s, max(0.25, self._http.paused_for("gamma_markets")))
            if self._pool is not None:
                self._pool.sync(self.books.token_ids)
            await self._sleep(delay)

    async def _books_job(self) -> None:
        cycle_s = self.cycle_ms / 1000
        mode = self.settings.feed.mode
        while not self._stop.is_set():
            started = time.monotonic()
            tokens = self.books.token_ids
            if self._pool is not None:
                self._pool.sync(tokens)
            resync = self.books.take_resync()
            if mode == "rest":
                targets = tokens
            elif mode == "auto":
                covered = self._pool.covered()
                targets = [t for t in tokens if t not in covered or t in resync]
            else:
                targets = [t for t in tokens if t in resync]
            self._rest_tokens = len(targets) if mode != "ws" else 0
            if targets:
                try:
                    await poll_books(self._http, self.books, self.settings.polymarket.clob_url, targets,
                                     self.clock.now_ms, self.settings.feed.rest_batch)
                except FetchFailed as exc:
                    self.books.want_resync(resync)
                    self._warn("order books (CLOB)", exc)
            await self._sleep(max(cycle_s - (time.monotonic() - started), self._http.paused_for("clob_books"), 0.05))

    # -- the Feed port -------------------------------------------------------------------------
    def next_cycle(self) -> Cycle:
        if self._thread is None:
            self.start()
        cycle = self.cycle_ms
        now = self.clock.now_ms()
        ts = -(-now // cycle) * cycle
        if self._last_ts is not None and ts <= self._last_ts:
            ts = self._last_ts + cycle
            ahead_ms = ts - cycle - now
            if ahead_ms > 0:  # called faster than real time: live data cannot run ahead of the clock
                time.sleep(ahead_ms / 1000 + 0.001)
                now = self.clock.now_ms()
        self._last_ts = ts
        self._held = set(self.held())  # read on the loop's thread, used by the scanner's thread
        return Cycle(ts, self.books.drain(ts, now))

    def health(self) -> dict[str, Any]:
        now = self.clock.now_ms()
        errors, dropped = self.counts.snapshot()
        scanner, pool, http = self._scanner, self._pool, self._http
        shards = pool.shards if pool is not None else []
        connected = sum(1 for s in shards if s.healthy())
        last = self.books.last_message_ms
        if http is not None and http.last_ok_ms is not None and self._rest_tokens:
            last = max(last or 0, http.last_ok_ms)
        age = None if last is None else round(max(0, now - last) / 1000, 3)
        watched = len(self.books.markets)
        stale = self.books.stale_tokens(now)
        tokens = len(self.books.market_of)
        fresh = age is not None and age <= self.settings.feed.stale_after_s
        if scanner is None or scanner.scans == 0:
            status = "offline" if errors else "starting"
        elif not fresh or (tokens and stale == tokens):
            status = "offline"
        elif stale or (shards and connected < len(shards)):
            status = "degraded"
        else:
            status = "ok"
        mode_in_use = [m for m, on in (("ws", connected > 0), ("rest", self._rest_tokens > 0)) if on]
        return {
            "status": status, "mode": self.settings.feed.mode, "mode_in_use": "+".join(mode_in_use) or "none",
            "ws_connected": connected, "ws_shards": len(shards), "ws_connects": sum(s.connects for s in shards),
            "rest_tokens": self._rest_tokens, "last_message_age_s": age,
            "scans": scanner.scans if scanner else 0,
            "last_scan_age_s": round((now - scanner.last_scan_ms) / 1000, 1) if scanner and scanner.last_scan_ms else None,
            "watched_markets": watched, "watched_tokens": tokens, "stale_tokens": stale,
            "errors": errors, "dropped": dropped, "last_error": http.last_error if http else None,
        }
