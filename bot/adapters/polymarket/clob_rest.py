"""CLOB REST order books: ``POST /books`` in batches of at most 500 tokens, parsed into the
local books as full snapshots. REST lists the best bid and ask LAST; ``wire.best_first``
normalises that when the books are drained."""

from __future__ import annotations

from collections.abc import Callable

from bot.adapters.polymarket.books import LiveBooks
from bot.adapters.polymarket.ratelimit import FetchFailed, Http
from bot.adapters.polymarket.wire import WireError, wire_book

MAX_BATCH = 500


async def poll_books(http: Http, books: LiveBooks, clob_url: str, token_ids: list[str],
                     now_ms_fn: Callable[[], int], batch: int = MAX_BATCH
                     ) -> int:
    """Fetch every token's book once; returns how many snapshots were applied. Raises FetchFailed
    on the first batch that fails (later batches wait for the next cycle)."""
    applied = 0
    url = clob_url.rstrip("/") + "/books"
    for start in range(0, len(token_ids), min(batch, MAX_BATCH)):
        chunk = token_ids[start:start + min(batch, MAX_BATCH)]
        rows = await http.json("clob_books", "POST", url, json=[{"token_id": t} for t in chunk])
        if not isinstance(rows, list):
            raise FetchFailed("bad_json", "CLOB /books did not return a list")
        now_ms = now_ms_fn()
        for raw in rows:
            try:
                book = wire_book(raw)
            except WireError as exc:
                books.counts.drop(exc.kind)
                continue
            applied += books.snapshot(book, now_ms)
    return applied
