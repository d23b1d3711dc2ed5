"""The strategy port: what a strategy sees at the end of a cycle and what it may hand back.

A strategy is a small object with a ``name``, a few class-level traits and one method,
``decide(view) -> list[Proposal]``. It never calls an exchange, a clock or a file: the engine
gives it a read-only ``View`` of the market state at the cycle's end and turns each proposal
into a recorded signal, risk checks and orders. Strategies may keep small rolling state of their
own (a price window, a z-score), updated only from what the view shows them, so a replay of the
same events gives the same decisions.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar, Protocol

from bot.domain.book import Book
from bot.domain.market import Market
from bot.domain.money import ONE, SHARE_STEP, floor_to, price_from_float, usd
from bot.domain.orders import Order, OrderIntent, OrderType, Purpose, Side
from bot.domain.positions import Position
from bot.domain.signals import Direction, Layer

if TYPE_CHECKING:
    from bot.config.schema import Settings
    from bot.core.detectors.bank import DetectorView
    from bot.core.detectors.spike import Alarm
    from bot.core.tracker import SeriesBank


@dataclass(frozen=True, slots=True)
class Proposal:
    """One decision of a strategy about one market: a signal, and the orders it wants.

    ``intents`` with more than one order form an all-or-nothing group (dual_arb's two legs):
    the engine risk-checks every leg before it sends any, and unwinds a leg whose partner did
    not fill. ``stop_distance``/``target_distance`` set the generic exit plan of an entry;
    ``cancels`` names working orders to pull first (a market maker's re-quote); ``closes`` asks
    the engine to sell positions the way its own exits do.
    """

    market: Market
    token_id: str  # the token the signal is about (charts key signals by it)
    direction: Direction
    price: float
    move: float
    layers: tuple[Layer, ...]
    sentence: str  # what was seen, in plain English
    intents: tuple[OrderIntent, ...] = ()
    agreed: bool = True  # False: the strategy looked, and its conditions did not all hold
    problem: str = ""  # why no intents although the conditions held
    stop_distance: Decimal | None = None
    target_distance: Decimal | None = None
    cancels: tuple[str, ...] = ()
    closes: tuple[str, ...] = ()  # token ids of this strategy's positions to sell now (at the bid)
    record: bool = True  # False for routine order upkeep that is not a new signal (re-quotes)


@dataclass(frozen=True, slots=True)
class View:
    """The engine's state at the end of a cycle, read-only for strategies."""

    now_ms: int
    settings: Settings
    markets: Mapping[str, Market]  # market_id -> market, every market the engine knows
    inactive: frozenset[str] | set[str]  # market ids that are delisted or resolved: no new entries
    market_of: Mapping[str, Market]  # token_id -> market
    books: Mapping[str, Book | None]  # token_id -> latest book
    changed: frozenset[str]  # tokens whose book changed this cycle
    alarms: Mapping[str, Alarm]  # primary token_id -> CUSUM alarm raised this cycle
    detectors: Mapping[str, DetectorView]  # primary token_id -> its detector (mean, std, CUSUM)
    positions: Mapping[str, Position]  # token_id -> this strategy's open positions
    working: Mapping[str, Order]  # client order id -> this strategy's working orders
    series: SeriesBank  # chart history of every primary token
    window_s: float

    def oldest_price(self, token_id: str) -> float | None:
        """The oldest mid still in the token's chart window."""
        return self.series.oldest_price(self.series.slot(token_id))

    def mid(self, token_id: str) -> float | None:
        book = self.books.get(token_id)
        return book.mid if book is not None else None

    def changed_primaries(self) -> Iterator[tuple[str, Market, float]]:
        """(token, market, mid) for each market's primary token whose book changed this cycle and
        has both sides, in a stable order: the loop most price-driven strategies start from."""
        for token_id in sorted(self.changed):
            market = self.market_of.get(token_id)
            if market is None or market.primary.token_id != token_id:
                continue
            mid = self.mid(token_id)
            if mid is not None:
                yield token_id, market, mid


class Strategy(Protocol):
    name: ClassVar[str]
    # The engine's stop/target/trailing/time exits manage this strategy's positions (False: the
    # strategy exits by itself, e.g. an arbitrage held to resolution).
    generic_exits: ClassVar[bool]
    # True: several orders and positions of this strategy may share one market (both arbitrage
    # legs, a market maker's two quotes); the one-position-per-market and cooldown rules are
    # then the strategy's business, every other risk rule still applies.
    stacks_in_market: ClassVar[bool]

    def decide(self, view: View) -> list[Proposal]:
        """Proposals for this cycle, in the order they should be acted on."""
        ...


def buy_intent(strategy: str, market: Market, token_id: str, book: Book | None, budget_usd: Decimal,
               slippage_ticks: int, order_type: OrderType, reason: str, ts_ms: int) -> tuple[OrderIntent | None, str]:
    """A marketable buy of ``token_id`` worth about ``budget_usd`` at up to a few ticks over the ask,
    lifted to the market's minimum size when that still fits the budget; else (None, why)."""
    if book is None or book.best_ask is None:
        return None, "no one is selling"
    tick = market.tick_size
    limit = min(price_from_float(book.best_ask, tick) + tick * slippage_ticks, ONE - tick)
    shares = floor_to(budget_usd / limit, SHARE_STEP)
    if shares < market.min_order_size:
        if market.min_order_size * limit > budget_usd:
            return None, f"the {market.min_order_size}-share minimum at {limit} would cost more than {usd(budget_usd)}"
        shares = market.min_order_size
    return OrderIntent(strategy, market.market_id, token_id, Side.BUY, shares, limit, order_type, Purpose.ENTRY,
                       reason, ts_ms, f"{strategy}:{token_id}:{ts_ms}"), ""


class Window:
    """The last ``size`` values with their running mean and standard deviation, O(1) per value."""

    __slots__ = ("size", "values", "_sum", "_sq")

    def __init__(self, size: int) -> None:
        self.size = size
        self.values: deque[float] = deque(maxlen=size)
        self._sum = 0.0
        self._sq = 0.0

    def add(self, value: float) -> None:
        if len(self.values) == self.size:
            old = self.values[0]
            self._sum -= old
            self._sq -= old * old
        self.values.append(value)
        self._sum += value
        self._sq += value * value

    @property
    def full(self) -> bool:
        return len(self.values) == self.size

    @property
    def mean(self) -> float:
        return self._sum / len(self.values) if self.values else math.nan

    @property
    def std(self) -> float:
        n = len(self.values)
        if n < 2:
            return math.nan
        return math.sqrt(max(self._sq / n - (self._sum / n) ** 2, 0.0))
