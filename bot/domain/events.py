"""What flows into the engine. Every feed (sim, replay, live) produces only these."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from bot.domain.book import Book
from bot.domain.market import Market
from bot.domain.orders import Fill, OrderUpdate
from bot.domain.quotes import BookBatch


@dataclass(frozen=True, slots=True)
class MarketListed:
    """A market enters (or is refreshed in) the watch list."""

    ts_ms: int
    market: Market


@dataclass(frozen=True, slots=True)
class MarketDelisted:
    """A market leaves the watch list (closed, no longer accepting orders, filtered out)."""

    ts_ms: int
    market_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class BookUpdate:
    ts_ms: int
    book: Book
    last_trade_price: float | None = None
    last_trade_size: float | None = None


@dataclass(frozen=True, slots=True)
class Resolution:
    """A market settled: payout per token (1 winner, 0 loser, 0.5 each when void)."""

    ts_ms: int
    market_id: str
    payouts: tuple[tuple[str, Decimal], ...]


@dataclass(frozen=True, slots=True)
class Timer:
    """End of a cycle: time-based exits, cooldown expiry, state publication."""

    ts_ms: int


class CommandKind(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    STOP_ENTRY = "stop_entry"
    FLATTEN = "flatten"
    CLOSE_POSITION = "close_position"
    MANUAL_ORDER = "manual_order"
    RELOAD = "reload"
    BACKUP = "backup"  # carried out by the runtime (bot/ops/backup.py) from the bot's own store connection


@dataclass(frozen=True, slots=True)
class Command:
    ts_ms: int
    command_id: str
    kind: CommandKind
    args: tuple[tuple[str, str], ...] = field(default=())

    def arg(self, name: str, default: str = "") -> str:
        return dict(self.args).get(name, default)


@dataclass(frozen=True, slots=True)
class FillReport:
    ts_ms: int
    fill: Fill


@dataclass(frozen=True, slots=True)
class OrderReport:
    ts_ms: int
    update: OrderUpdate


Event = MarketListed | MarketDelisted | BookUpdate | BookBatch | Resolution | Timer | Command | FillReport | OrderReport
