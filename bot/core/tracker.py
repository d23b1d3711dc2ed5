"""What the engine knows about each token: latest book, last trade, and a short history.

Histories of price, EWMA mean, bands and CUSUM for every watched token live in one numpy ring
buffer (a row per token) so ten thousand tokens cost megabytes, not Python objects per point.
"""

from __future__ import annotations

import numpy as np

from bot.domain.book import Book
from bot.domain.quotes import BookBatch

SERIES_COLUMNS = ("ts_ms", "price", "ewma_mean", "upper_band", "lower_band", "cusum_pos", "cusum_neg")


class SeriesBank:
    """Fixed-width ring buffers, one row per token slot, grown by doubling."""

    def __init__(self, window_points: int, capacity: int = 64) -> None:
        self.window = window_points
        # Zeros, not NaN: untouched pages of a zeroed array cost no memory, and no reader looks
        # past a row's written count.
        self._data = np.zeros((capacity, window_points, len(SERIES_COLUMNS)))
        self._next = np.zeros(capacity, dtype=np.int64)
        self._count = np.zeros(capacity, dtype=np.int64)
        self._slots: dict[str, int] = {}
        self._free: list[int] = []
        self._used = 0

    def slot(self, token_id: str) -> int:
        slot = self._slots.get(token_id)
        if slot is None:
            if self._free:
                slot = self._free.pop()  # a retired market's row: markets come and go for ever
            else:
                slot = self._used
                self._used += 1
                if slot >= self._data.shape[0]:
                    self._grow()
            self._next[slot] = 0
            self._count[slot] = 0
            self._slots[token_id] = slot
        return slot

    def release(self, token_id: str) -> None:
        """Forget a token's history and hand its row to the next new token."""
        slot = self._slots.pop(token_id, None)
        if slot is not None:
            self._free.append(slot)

    def _grow(self) -> None:
        capacity = self._data.shape[0] * 2
        data = np.zeros((capacity, self.window, len(SERIES_COLUMNS)))
        data[: self._data.shape[0]] = self._data
        self._data = data
        self._next = np.concatenate([self._next, np.zeros(capacity - len(self._next), dtype=np.int64)])
        self._count = np.concatenate([self._count, np.zeros(capacity - len(self._count), dtype=np.int64)])

    def append(self, slot: int, row: tuple[float, ...]) -> None:
        position = self._next[slot]
        self._data[slot, position] = row
        self._next[slot] = (position + 1) % self.window
        self._count[slot] += 1

    def append_rows(self, slots: np.ndarray, rows: np.ndarray) -> None:
        """``append`` for many slots at once (each slot at most once)."""
        position = self._next[slots]
        self._data[slots, position] = rows
        self._next[slots] = (position + 1) % self.window
        self._count[slots] += 1

    def oldest_price(self, slot: int) -> float | None:
        count = int(self._count[slot])
        if count == 0:
            return None
        position = int(self._next[slot]) if count >= self.window else 0
        return float(self._data[slot, position, 1])

    def series(self, token_id: str) -> dict[str, list[float]]:
        """The token's history in time order, as plain lists (for the read model)."""
        slot = self._slots.get(token_id)
        if slot is None:
            return {name: [] for name in SERIES_COLUMNS}
        count = int(min(self._count[slot], self.window))
        start = int(self._next[slot]) if self._count[slot] >= self.window else 0
        order = [(start + i) % self.window for i in range(count)]
        rows = self._data[slot, order]
        out = {name: rows[:, i].tolist() for i, name in enumerate(SERIES_COLUMNS)}
        out["ts_ms"] = [int(v) for v in out["ts_ms"]]
        return out


class TokenState:
    """Latest market data of one token (primary or complement).

    A batch update leaves only a reference (batch, row); the ``Book`` is built on first read,
    because most books of a backtest are replaced before anyone looks at them.
    """

    __slots__ = ("token_id", "_book", "_batch", "_row", "ts_ms", "last_trade_price", "updates")

    def __init__(self, token_id: str) -> None:
        self.token_id = token_id
        self._book: Book | None = None
        self._batch: BookBatch | None = None
        self._row = 0
        self.ts_ms = 0
        self.last_trade_price: float | None = None
        self.updates = 0

    @property
    def book(self) -> Book | None:
        if self._batch is not None:
            self._book = self._batch.book(self._row)
            self._batch = None
        return self._book

    @book.setter
    def book(self, book: Book | None) -> None:
        self._book, self._batch = book, None

    def refer(self, batch: BookBatch, row: int) -> None:
        """The token's latest book is row ``row`` of ``batch`` (built when first read)."""
        self._batch, self._row = batch, row
