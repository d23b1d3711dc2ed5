"""The market scanner: pages through Gamma, filters and ranks markets, keeps the watch list.

Each refresh pages through active, open markets (100 per page), parses them (``wire``), keeps
the binary ones with an order book that accept orders and pass the config filters (24 h volume,
liquidity, spread, keywords, end-date horizon), ranks them by the configured priority and lists
the top ``filters.max_markets``. A market that leaves the list is looked up once: closed with
final prices -> Resolution (settles held positions); closed or not accepting orders -> delisted;
merely filtered out -> delisted, unless a position is held in it, in which case it stays
watched (its exits need prices) until it resolves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from bot.adapters.polymarket.books import LiveBooks
from bot.adapters.polymarket.ratelimit import FetchFailed, Http
from bot.adapters.polymarket.wire import GammaMarket, WireError, gamma_market
from bot.config.schema import Settings

log = logging.getLogger("polybot.scanner")
PAGE_LIMIT = 100  # Gamma caps limit at 100 silently
MAX_OFFSET = 10_000  # beyond this Gamma answers 422


def tradable(m: GammaMarket) -> bool:
    return m.active and not m.closed and m.order_book and m.accepting_orders


def select(markets: Iterable[GammaMarket], settings: Settings, now_ms: int,
           tokens: frozenset[str] | None = None) -> list[GammaMarket]:
    """Pure: the markets to watch, best first. With ``tokens``, exactly the markets holding them."""
    if tokens is not None:
        return [m for m in markets if tradable(m) and any(t.token_id in tokens for t in m.market.tokens)]
    f, s = settings.filters, settings.scanner
    horizon_ms = s.max_days_to_end * 86_400_000
    include = [k.lower() for k in s.include_keywords]
    exclude = [k.lower() for k in s.exclude_keywords]
    chosen = []
    for m in markets:
        market = m.market
        if not tradable(m) or market.volume_24h_usd < f.min_daily_volume_usd or market.liquidity_usd < f.min_liquidity_usd:
            continue
        if m.spread is not None and m.spread > s.max_spread:
            continue
        if include and not any(k in m.text for k in include):
            continue
        if any(k in m.text for k in exclude):
            continue
        end = market.end_ts_ms
        if end is not None and not now_ms < end <= now_ms + horizon_ms:
            continue
        chosen.append(m)
    keys: dict[str, Callable[[GammaMarket], tuple]] = {
        "volume_24h": lambda m: (-m.market.volume_24h_usd, m.market.market_id),
        "liquidity": lambda m: (-m.market.liquidity_usd, m.market.market_id),
        "ending_soon": lambda m: (m.market.end_ts_ms or 2**62, m.market.market_id),
        "tight_spread": lambda m: (m.spread if m.spread is not None else 1.0, -m.market.volume_24h_usd, m.market.market_id),
    }
    chosen.sort(key=keys[s.priority])
    return chosen[: f.max_markets]


class Scanner:
    def __init__(self, http: Http, books: LiveBooks, settings: Settings, tokens: frozenset[str] | None = None,
                 held: Callable[[], set[str]] = set) -> None:
        self.http, self.books, self.settings, self.tokens, self.held = http, books, settings, tokens, held
        self.scans = 0
        self.last_scan_ms: int | None = None
        self.seen = 0  # markets parsed in the last scan

    async def fetch_all(self, now_ms: int) -> list[GammaMarket]:
        base = self.settings.polymarket.gamma_url.rstrip("/")
        out: list[GammaMarket] = []
        params: dict[str, str | int] = {"active": "true", "closed": "false", "limit": PAGE_LIMIT,
                                        "order": "volume24hr", "ascending": "false"}
        if self.tokens is None and self.settings.filters.min_liquidity_usd > 0:
            params["liquidity_num_min"] = self.settings.filters.min_liquidity_usd
        if self.tokens is None:
            end_max = now_ms + self.settings.scanner.max_days_to_end * 86_400_000
            params["end_date_max"] = datetime.fromtimestamp(end_max / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for page in range(self.settings.scanner.max_pages):
            offset = page * PAGE_LIMIT
            if offset > MAX_OFFSET:
                break
            rows = await self.http.json("gamma_markets", "GET", f"{base}/markets", params={**params, "offset": offset})
            if not isinstance(rows, list):
                self.books.counts.drop("bad_market_page")
                raise FetchFailed("bad_json", "Gamma /markets did not return a list")
            for raw in rows:
                try:
                    out.append(gamma_market(raw))
                except WireError as exc:
                    self.books.counts.drop(exc.kind)
            if len(rows) < PAGE_LIMIT:
                break
        return out

    async def refresh(self, now_ms: int) -> None:
        """One scan; raises FetchFailed when Gamma cannot be read (the watch list is left as it was)."""
        markets = await self.fetch_all(now_ms)
        chosen = select(markets, self.settings, now_ms, self.tokens)
        self.seen = len(markets)
        chosen_ids = {m.market.market_id for m in chosen}
        for m in chosen:
            self.books.list_market(m.market, now_ms)
        departed = [mid for mid in list(self.books.markets) if mid not in chosen_ids]
        held = self.held()
        for market_id in departed:
            await self._departed(market_id, market_id in held, now_ms)
        self.scans += 1
        self.last_scan_ms = now_ms
        log.info("scan %d: %d markets seen, watching %d", self.scans, len(markets), len(self.books.markets))

    async def _departed(self, market_id: str, held: bool, now_ms: int) -> None:
        base = self.settings.polymarket.gamma_url.rstrip("/")
        try:
            m = gamma_market(await self.http.json("gamma_market", "GET", f"{base}/markets/{market_id}"))
        except WireError as exc:
            self.books.counts.drop(exc.kind)
            return
        except FetchFailed as exc:
            if exc.kind == "http_4xx" and not held:
                self.books.delist(market_id, "it is no longer listed on Polymarket", now_ms)
            return
        if m.payouts is not None:
            self.books.resolve(market_id, m.payouts, now_ms)
        elif m.closed or not m.accepting_orders or not m.active:
            self.books.delist(market_id, "it closed or stopped accepting orders", now_ms)
        elif not held:
            self.books.delist(market_id, "it no longer passes the market filters", now_ms)
