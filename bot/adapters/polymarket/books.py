"""The live market state between the network thread and the trading loop: watched markets, local
L2 books, data-quality checks and the per-cycle drain into domain events.

Network tasks (REST poller, WebSocket shards, scanner) call ``snapshot``/``ws_message``/
``list_market``...; the loop calls ``drain`` once a cycle. Everything happens under one lock.
Bad data is dropped and counted under a named kind, never turned into an event: crossed or locked
books, prices outside [0, 1], NaN, timestamps that go backwards or are stale on arrival, unknown
tokens, the obsolete pre-2025-09 ``price_change`` schema, and deltas that disagree with the
exchange's own best bid/ask (the token is then re-snapshotted).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from bot.adapters.polymarket.wire import WireBook, WireError, best_first, levels, number, ts_ms, wire_book
from bot.domain.book import Book
from bot.domain.events import BookUpdate, Event, MarketDelisted, MarketListed, Resolution
from bot.domain.market import Market
from bot.domain.money import VALID_TICKS


class Counts:
    """Thread-safe counters of errors (network, HTTP) and dropped data, for the health block."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.errors: dict[str, int] = {}
        self.dropped: dict[str, int] = {}

    def error(self, kind: str, n: int = 1) -> None:
        with self._lock:
            self.errors[kind] = self.errors.get(kind, 0) + n

    def drop(self, kind: str, n: int = 1) -> None:
        with self._lock:
            self.dropped[kind] = self.dropped.get(kind, 0) + n

    def snapshot(self) -> tuple[dict[str, int], dict[str, int]]:
        with self._lock:
            return dict(sorted(self.errors.items())), dict(sorted(self.dropped.items()))


class LiveBooks:
    def __init__(self, counts: Counts, depth: int, stale_after_ms: int) -> None:
        self.counts = counts
        self.depth = depth
        self.stale_after_ms = stale_after_ms
        self.refresh_ms = max(1000, stale_after_ms // 2)  # re-emit a confirmed, unchanged book this often
        self.lock = threading.RLock()
        self.markets: dict[str, Market] = {}
        self.market_of: dict[str, str] = {}  # token -> market id
        self._bids: dict[str, dict[float, float]] = {}
        self._asks: dict[str, dict[float, float]] = {}
        self._wire_ts: dict[str, int] = {}
        self._confirmed: dict[str, int] = {}  # local ms the token's data was last known current
        self._emitted: dict[str, int] = {}
        self._dirty: set[str] = set()
        self._trades: dict[str, tuple[float, float | None]] = {}
        self._bad: set[str] = set()  # tokens whose book is currently crossed (counted once per episode)
        self._resync: set[str] = set()
        self._pending: list[Event] = []  # market events waiting for the next cycle
        self.last_message_ms: int | None = None

    # -- the watch list ------------------------------------------------------------------------
    @property
    def token_ids(self) -> list[str]:
        with self.lock:
            return list(self.market_of)

    def list_market(self, market: Market, now_ms: int) -> None:
        with self.lock:
            if self.markets.get(market.market_id) == market:
                return
            self.markets[market.market_id] = market
            for token in market.tokens:
                self.market_of[token.token_id] = market.market_id
            self._pending.append(MarketListed(now_ms, market))

    def delist(self, market_id: str, reason: str, now_ms: int) -> None:
        with self.lock:
            if self._forget(market_id):
                self._pending.append(MarketDelisted(now_ms, market_id, reason))

    def resolve(self, market_id: str, payouts: tuple[tuple[str, Decimal], ...], now_ms: int) -> None:
        with self.lock:
            if self._forget(market_id):
                self._pending.append(Resolution(now_ms, market_id, payouts))

    def _forget(self, market_id: str) -> bool:
        market = self.markets.pop(market_id, None)
        if market is None:
            return False
        for token in market.tokens:
            tid = token.token_id
            self.market_of.pop(tid, None)
            for table in (self._bids, self._asks, self._wire_ts, self._confirmed, self._emitted, self._trades):
                table.pop(tid, None)
            self._dirty.discard(tid)
            self._bad.discard(tid)
        return True

    # -- data in -------------------------------------------------------------------------------
    def confirm(self, token_ids: Iterable[str], now_ms: int) -> None:
        """The source of these tokens is alive (a message or a PONG arrived): their books are current."""
        with self.lock:
            self.last_message_ms = now_ms
            for tid in token_ids:
                if tid in self.market_of and tid in self._bids:
                    self._confirmed[tid] = now_ms

    def _check_ts(self, token: str, wire_ts: int, now_ms: int, snapshot: bool) -> bool:
        if token not in self.market_of:
            self.counts.drop("unknown_token")
            return False
        if wire_ts < self._wire_ts.get(token, 0):
            self.counts.drop("non_monotonic_ts")
            return False
        if snapshot and now_ms - wire_ts > self.stale_after_ms:
            self.counts.drop("stale_ts")
            return False
        return True

    def snapshot(self, book: WireBook, now_ms: int) -> bool:
        """Replace the token's book; False when the snapshot was dropped."""
        with self.lock:
            if not self._check_ts(book.token_id, book.ts_ms, now_ms, snapshot=True):
                return False
            self._bids[book.token_id], self._asks[book.token_id] = dict(book.bids), dict(book.asks)
            self._wire_ts[book.token_id] = book.ts_ms
            self._confirmed[book.token_id] = now_ms
            self._dirty.add(book.token_id)
            self._resync.discard(book.token_id)
            if book.tick_size is not None:
                self._tick(book.token_id, book.tick_size, now_ms)
            return True

    def _tick(self, token: str, tick: Decimal, now_ms: int) -> None:
        market = self.markets.get(self.market_of.get(token, ""))
        if market is not None and market.tick_size != tick:
            self.list_market(replace(market, tick_size=tick), now_ms)

    def ws_message(self, msg: Any, now_ms: int) -> None:
        """Apply one decoded market-channel message; malformed ones are dropped and counted."""
        try:
            with self.lock:
                self.last_message_ms = now_ms
                self._ws_message(msg, now_ms)
        except WireError as exc:
            self.counts.drop(exc.kind)

    def _ws_message(self, msg: Any, now_ms: int) -> None:
        if not isinstance(msg, dict):
            raise WireError("bad_message", f"message is {type(msg).__name__}")
        kind = msg.get("event_type")
        if kind == "book":
            self.snapshot(wire_book(msg), now_ms)
        elif kind == "price_change":
            self._price_change(msg, now_ms)
        elif kind == "last_trade_price":
            token = msg.get("asset_id")
            price, size = number(msg.get("price"), "bad_trade"), number(msg.get("size"), "bad_trade")
            if not 0.0 <= price <= 1.0:
                raise WireError("bad_price", f"trade price {price}")
            if self._check_ts(token, ts_ms(msg.get("timestamp")), now_ms, snapshot=False):
                self._trades[token] = (price, size)
                self._dirty.add(token)
        elif kind == "best_bid_ask":
            token = msg.get("asset_id")
            if token not in self.market_of:
                raise WireError("unknown_token", "best_bid_ask for an unwatched token")
            self._agree(token, msg.get("best_bid"), msg.get("best_ask"))
            self._confirmed[token] = now_ms
        elif kind == "tick_size_change":
            token = msg.get("asset_id")
            tick = next((t for t in VALID_TICKS if str(t) == str(msg.get("new_tick_size"))), None)
            if tick is None:
                raise WireError("bad_message", f"tick size {msg.get('new_tick_size')!r}")
            if token not in self.market_of:
                raise WireError("unknown_token", "tick_size_change for an unwatched token")
            self._tick(token, tick, now_ms)
        elif kind == "market_resolved":
            self._resolved(msg, now_ms)
        elif kind == "new_market":
            pass  # the scanner decides what to watch
        else:
            raise WireError("unknown_event", f"event_type {kind!r}")

    def _price_change(self, msg: dict[str, Any], now_ms: int) -> None:
        changes = msg.get("price_changes")
        if changes is None and "asset_id" in msg:
            raise WireError("legacy_price_change", "obsolete pre-2025-09 price_change schema")
        if not isinstance(changes, list):
            raise WireError("bad_message", "price_change without price_changes")
        wire_ts = ts_ms(msg.get("timestamp"))
        last: dict[str, dict[str, Any]] = {}
        for change in changes:
            if not isinstance(change, dict):
                raise WireError("bad_message", "price change is not an object")
            token = change.get("asset_id")
            side = {"BUY": self._bids, "SELL": self._asks}.get(change.get("side"))
            if side is None:
                self.counts.drop("bad_message")
                continue
            try:
                level = levels([{"price": change.get("price"), "size": change.get("size")}], "change")
            except WireError as exc:
                self.counts.drop(exc.kind)
                continue
            if not self._check_ts(token, wire_ts, now_ms, snapshot=False) or token not in side:
                if token in self.market_of and token not in side:
                    self.counts.drop("delta_before_snapshot")
                continue
            price = number(change.get("price"), "bad_book")
            if level:
                side[token][price] = level[price]
            else:
                side[token].pop(price, None)
            self._wire_ts[token] = wire_ts
            self._confirmed[token] = now_ms
            self._dirty.add(token)
            last[token] = change
        for token, change in last.items():
            self._agree(token, change.get("best_bid"), change.get("best_ask"))

    def _agree(self, token: str, best_bid: Any, best_ask: Any) -> None:
        """The exchange states its top of book: if ours differs, our book missed something."""
        if best_bid is None or best_ask is None or token not in self._bids:
            return
        try:
            bid, ask = float(best_bid), float(best_ask)
        except (TypeError, ValueError):
            return
        ours_bid = max(self._bids[token], default=0.0)
        ours_ask = min(self._asks[token], default=1.0)
        if abs(ours_bid - bid) > 1e-9 or abs(ours_ask - ask) > 1e-9:
            self.counts.drop("book_desync")
            self._resync.add(token)
            self._dirty.discard(token)
            self._confirmed.pop(token, None)  # not current until a fresh snapshot arrives

    def _resolved(self, msg: dict[str, Any], now_ms: int) -> None:
        winner = msg.get("winning_asset_id")
        market_id = self.market_of.get(winner) if isinstance(winner, str) else None
        if market_id is None:
            raise WireError("unknown_token", "market_resolved for an unwatched market")
        market = self.markets[market_id]
        payouts = tuple((t.token_id, Decimal(1) if t.token_id == winner else Decimal(0)) for t in market.tokens)
        self.resolve(market_id, payouts, now_ms)

    def take_resync(self) -> set[str]:
        with self.lock:
            wanted, self._resync = self._resync & set(self.market_of), set()
            return wanted

    def want_resync(self, token_ids: Iterable[str]) -> None:
        with self.lock:
            self._resync.update(token_ids)

    # -- data out ------------------------------------------------------------------------------
    def drain(self, ts: int, now_ms: int) -> list[Event]:
        """This cycle's events, stamped ``ts``: market changes, then changed or re-confirmed books."""
        with self.lock:
            events: list[Event] = [replace(e, ts_ms=ts) for e in self._pending]
            self._pending.clear()
            fresh_since = now_ms - self.refresh_ms
            for token in self.market_of:
                if token not in self._bids:
                    continue
                due = token in self._dirty or (
                    self._confirmed.get(token, -1) >= fresh_since and now_ms - self._emitted.get(token, -10**15) >= self.refresh_ms)
                if not due:
                    continue
                bids, asks = best_first(self._bids[token], self._asks[token], self.depth)
                if bids and asks and bids[0][0] >= asks[0][0]:
                    if token not in self._bad:
                        self._bad.add(token)
                        self.counts.drop("crossed_book")
                    self._resync.add(token)
                    continue
                self._bad.discard(token)
                trade = self._trades.pop(token, (None, None))
                events.append(BookUpdate(ts, Book(token, ts, bids, asks), trade[0], trade[1]))
                self._emitted[token] = now_ms
            self._dirty.clear()
            return events

    def stale_tokens(self, now_ms: int) -> int:
        with self.lock:
            return sum(1 for t in self.market_of if self._confirmed.get(t, -1) < now_ms - self.stale_after_ms)
