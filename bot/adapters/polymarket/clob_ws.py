"""The CLOB WebSocket market channel: one connection per shard of at most 200 assets.

A shard subscribes with ``{"assets_ids": [...], "type": "market", "custom_feature_enabled": true}``,
sends a text ``PING`` every ``feed.ws_ping_s`` and treats ``feed.ws_silence_s`` without any frame
(not even ``PONG``) as a dead socket: Polymarket feeds are known to freeze without closing. Frames
may hold one message or an array; each goes to ``LiveBooks.ws_message``. A dropped or silent
socket reconnects with jittered backoff, and the subscription's ``book`` messages re-snapshot it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from bot.adapters.polymarket.books import Counts, LiveBooks

log = logging.getLogger("polybot.ws")
CONFIRM_EVERY_S = 0.5


def shard(token_ids: list[str], size: int) -> list[tuple[str, ...]]:
    return [tuple(token_ids[i:i + size]) for i in range(0, len(token_ids), size)]


class WsShard:
    def __init__(self, url: str, assets: tuple[str, ...], books: LiveBooks, counts: Counts, ping_s: float,
                 silence_s: float, max_backoff_s: float, open_timeout_s: float) -> None:
        self.url, self.assets, self.books, self.counts = url, assets, books, counts
        self.ping_s, self.silence_s, self.max_backoff_s, self.open_timeout_s = ping_s, silence_s, max_backoff_s, open_timeout_s
        self.connected = False
        self.connects = 0
        self.last_frame = 0.0  # monotonic
        self._confirmed = 0.0
        self.task: asyncio.Task | None = None

    def healthy(self) -> bool:
        return self.connected and time.monotonic() - self.last_frame < self.silence_s

    async def run(self) -> None:
        backoff = 0.25
        while True:
            try:
                async with connect(self.url, ping_interval=None, open_timeout=self.open_timeout_s, close_timeout=1,
                                   max_size=2**24) as ws:
                    await ws.send(json.dumps({"assets_ids": list(self.assets), "type": "market",
                                              "custom_feature_enabled": True}))
                    self.connected, self.last_frame = True, time.monotonic()
                    self.connects += 1
                    backoff = 0.25
                    pinger = asyncio.create_task(self._ping(ws))
                    try:
                        await self._read(ws)
                    finally:
                        pinger.cancel()
            except asyncio.CancelledError:
                self.connected = False
                raise
            except (OSError, WebSocketException, TimeoutError) as exc:
                self.counts.error("ws_disconnect" if self.connected else "ws_connect_error")
                log.warning("market channel (%d assets) lost: %s; reconnecting", len(self.assets), type(exc).__name__)
            self.connected = False
            await asyncio.sleep(backoff * (0.75 + 0.5 * random.random()))
            backoff = min(self.max_backoff_s, backoff * 2)

    async def _ping(self, ws) -> None:
        while True:
            await asyncio.sleep(self.ping_s)
            await ws.send("PING")

    async def _read(self, ws) -> None:
        while True:
            try:
                frame = await asyncio.wait_for(ws.recv(), timeout=self.silence_s)
            except TimeoutError:
                self.counts.error("ws_silent")
                log.warning("market channel silent for %.0f s: treating it as dead and reconnecting", self.silence_s)
                return
            now = time.monotonic()
            self.last_frame = now
            now_ms = time.time_ns() // 1_000_000
            if now - self._confirmed >= CONFIRM_EVERY_S:
                self._confirmed = now
                self.books.confirm(self.assets, now_ms)
            self.handle(frame, now_ms)

    def handle(self, frame: str | bytes, now_ms: int) -> None:
        if isinstance(frame, bytes):
            self.counts.drop("bad_message")
            return
        text = frame.strip()
        if text == "PONG":
            return
        if text == "NO NEW ASSETS":
            self.counts.error("ws_no_new_assets")
            return
        try:
            data = json.loads(text)
        except ValueError:
            self.counts.drop("bad_json")
            return
        for message in data if isinstance(data, list) else [data]:
            self.books.ws_message(message, now_ms)


class WsPool:
    """Keeps one shard per group of at most ``size`` watched tokens; a shard whose tokens change is
    restarted (its new subscription re-snapshots every book in it)."""

    def __init__(self, url: str, books: LiveBooks, counts: Counts, size: int, ping_s: float, silence_s: float,
                 max_backoff_s: float, open_timeout_s: float) -> None:
        self.url, self.books, self.counts, self.size = url, books, counts, size
        self.params = (ping_s, silence_s, max_backoff_s, open_timeout_s)
        self.shards: list[WsShard] = []

    def sync(self, token_ids: list[str]) -> None:
        """Match the shards to the watch list, keeping shards whose tokens did not change."""
        wanted = set(token_ids)
        kept: list[tuple[str, ...]] = []
        placed: set[str] = set()
        for s in self.shards:
            assets = tuple(t for t in s.assets if t in wanted)
            kept.append(assets)
            placed.update(assets)
        extra = [t for t in token_ids if t not in placed]
        groups = [list(a) for a in kept]
        for token in extra:
            target = next((g for g in groups if len(g) < self.size), None)
            if target is None:
                target = []
                groups.append(target)
            target.append(token)
        new_shards: list[WsShard] = []
        for i, group in enumerate(groups):
            assets = tuple(group)
            old = self.shards[i] if i < len(self.shards) else None
            if old is not None and old.assets == assets:
                new_shards.append(old)
                continue
            if old is not None and old.task is not None:
                old.task.cancel()
            if not assets:
                continue
            fresh = WsShard(self.url, assets, self.books, self.counts, *self.params)
            fresh.task = asyncio.create_task(fresh.run())
            new_shards.append(fresh)
        for old in self.shards[len(groups):]:
            if old.task is not None:
                old.task.cancel()
        self.shards = new_shards

    def covered(self) -> set[str]:
        return {t for s in self.shards if s.healthy() for t in s.assets}

    def close(self) -> None:
        for s in self.shards:
            if s.task is not None:
                s.task.cancel()
        self.shards = []
