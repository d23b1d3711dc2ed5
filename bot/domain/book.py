"""L2 order books as market data (floats), best level first on both sides.

Wire formats differ (the CLOB REST book lists the best bid and ask LAST); adapters normalise
them into this shape once. Prices and sizes stay floats here for speed: they are observations,
not money. The executor converts the levels it walks with ``money.price_from_float``.
"""

from __future__ import annotations

from dataclasses import dataclass

Level = tuple[float, float]  # (price, size in shares)


@dataclass(frozen=True, slots=True)
class Book:
    token_id: str
    ts_ms: int
    bids: tuple[Level, ...]  # best (highest) first
    asks: tuple[Level, ...]  # best (lowest) first

    @property
    def best_bid(self) -> float | None:
        return self.bids[0][0] if self.bids else None

    @property
    def best_ask(self) -> float | None:
        return self.asks[0][0] if self.asks else None

    @property
    def mid(self) -> float | None:
        if self.bids and self.asks:
            return (self.bids[0][0] + self.asks[0][0]) / 2.0
        return None

    @property
    def spread(self) -> float | None:
        if self.bids and self.asks:
            return self.asks[0][0] - self.bids[0][0]
        return None

    def depth_usd(self, side: str, levels: int = 5) -> float:
        """Dollar value resting on one side ('bids' or 'asks') in the top ``levels`` levels."""
        book_side = self.bids if side == "bids" else self.asks
        return sum(price * size for price, size in book_side[:levels])


def book_problem(book: Book) -> str | None:
    """Why a book must not be traded on, or None when it is sane."""
    for name, side in (("bid", book.bids), ("ask", book.asks)):
        for price, size in side:
            if not (0.0 <= price <= 1.0) or size != size or size < 0 or price != price:
                return f"{name} level ({price}, {size}) is outside [0, 1] or not a number"
    for side, ascending in ((book.bids, False), (book.asks, True)):
        prices = [p for p, _ in side]
        if prices != sorted(prices, reverse=not ascending):
            return "levels are not sorted best first"
    if book.bids and book.asks and book.bids[0][0] >= book.asks[0][0]:
        return f"crossed or locked book (bid {book.bids[0][0]} >= ask {book.asks[0][0]})"
    return None
