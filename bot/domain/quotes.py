"""``BookBatch``: many book updates in columns, the same facts as a list of ``BookUpdate``.

A replayed or backtested cycle can hold thousands of updates; building a ``Book`` and a
``BookUpdate`` per row cost more than everything the engine then did with them. A batch keeps
the rows as numpy columns (NaN where a value is absent) and builds a row's ``Book`` only when
someone asks for it: the engine asks for the books it trades on, the executor for the ones it
fills against. ``book_updates()`` turns a batch back into ordinary events, and
``tests/core/test_book_batch.py`` shows the engine reaching identical results either way.

Token ids are dictionary-encoded (``codes`` index ``names``), so a batch carries no string per
row. L2 levels, when the source has them, live in ``LevelColumns`` (one flat array for the whole
data set plus row offsets) and are cut out per row on demand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from bot.domain.book import Book, Level

if TYPE_CHECKING:
    from bot.domain.events import BookUpdate


@dataclass(frozen=True, slots=True)
class LevelColumns:
    """One side's L2 levels for every row of a data set: row i owns ``price[offsets[i]:offsets[i+1]]``."""

    offsets: np.ndarray  # int64, len rows + 1
    price: np.ndarray
    size: np.ndarray
    valid: np.ndarray  # bool per row: False where the row has no level list (use the top of book)

    def levels(self, row: int) -> tuple[Level, ...] | None:
        if not self.valid[row]:
            return None
        a, b = int(self.offsets[row]), int(self.offsets[row + 1])
        return tuple(zip(self.price[a:b].tolist(), self.size[a:b].tolist(), strict=True))


class BookBatch:
    """Rows ``start..start+len`` of a columnar data set, in time order (a feed's cycle)."""

    __slots__ = ("ts_ms", "names", "codes", "row_ts", "bid", "ask", "bid_size", "ask_size", "last_trade_price",
                 "last_trade_size", "bids", "asks", "start", "_last_rows")

    def __init__(self, ts_ms: int, names: list[str], codes: np.ndarray, row_ts: np.ndarray, bid: np.ndarray,
                 ask: np.ndarray, bid_size: np.ndarray, ask_size: np.ndarray, last_trade_price: np.ndarray,
                 last_trade_size: np.ndarray, bids: LevelColumns | None = None, asks: LevelColumns | None = None,
                 start: int = 0) -> None:
        self.ts_ms = ts_ms  # the cycle's time: the batch is one event on the engine's clock
        self.names = names
        self.codes = codes
        self.row_ts = row_ts
        self.bid, self.ask, self.bid_size, self.ask_size = bid, ask, bid_size, ask_size
        self.last_trade_price, self.last_trade_size = last_trade_price, last_trade_size
        self.bids, self.asks = bids, asks  # indexed by start + row
        self.start = start
        self._last_rows: dict[str, int] | None = None

    def __len__(self) -> int:
        return len(self.codes)

    def token(self, row: int) -> str:
        return self.names[self.codes[row]]

    def book(self, row: int) -> Book:
        ts = int(self.row_ts[row])
        bids = self.bids.levels(self.start + row) if self.bids is not None else None
        asks = self.asks.levels(self.start + row) if self.asks is not None else None
        if bids is None:
            bid = float(self.bid[row])
            bids = () if bid != bid else ((bid, _or_zero(float(self.bid_size[row]))),)
        if asks is None:
            ask = float(self.ask[row])
            asks = () if ask != ask else ((ask, _or_zero(float(self.ask_size[row]))),)
        return Book(self.token(row), ts, bids, asks)

    def update(self, row: int) -> BookUpdate:
        from bot.domain.events import BookUpdate  # events names BookBatch in its union: import late

        ltp, lts = float(self.last_trade_price[row]), float(self.last_trade_size[row])
        return BookUpdate(int(self.row_ts[row]), self.book(row), None if ltp != ltp else ltp,
                          None if lts != lts else lts)

    def book_updates(self) -> list[BookUpdate]:
        return [self.update(row) for row in range(len(self))]

    def last_rows(self) -> dict[str, int]:
        """token_id -> its latest row in the batch."""
        if self._last_rows is None:
            codes = self.codes
            reversed_first = np.unique(codes[::-1], return_index=True)
            last = len(codes) - 1 - reversed_first[1]
            names = self.names
            self._last_rows = {names[c]: r for c, r in zip(reversed_first[0].tolist(), last.tolist(), strict=True)}
        return self._last_rows


def _or_zero(size: float) -> float:
    return 0.0 if size != size else size
