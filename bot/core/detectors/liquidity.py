"""Liquidity gate: is the book tight and deep enough on the side we would trade into?"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.book import Book


@dataclass(frozen=True, slots=True)
class LiquidityCheck:
    spread: float | None
    depth_usd: float
    passed: bool
    problem: str  # empty when passed, else the plain-English reason


def check_liquidity(book: Book | None, max_spread: float, min_depth_usd: float, levels: int) -> LiquidityCheck:
    """For a buy of ``book``'s token: spread <= max and ask-side depth (top levels) >= minimum."""
    if book is None or not book.asks:
        return LiquidityCheck(None, 0.0, False, "no one is selling")
    spread = book.spread
    depth = book.depth_usd("asks", levels)
    if spread is None:
        return LiquidityCheck(None, depth, False, "the book has no bids, so its spread is unknown")
    if spread > max_spread + 1e-12:
        return LiquidityCheck(spread, depth, False, f"the spread {spread * 100:.1f}¢ is wider than {max_spread * 100:.1f}¢")
    if depth < min_depth_usd:
        return LiquidityCheck(spread, depth, False, f"only ${depth:,.0f} is offered, below ${min_depth_usd:,.0f}")
    return LiquidityCheck(spread, depth, True, "")
