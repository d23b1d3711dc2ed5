"""What flows out of the engine. The runtime routes each to an executor, the store or notifiers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bot.domain.market import Market
from bot.domain.orders import Fill, Order
from bot.domain.positions import ClosedTrade, Position
from bot.domain.risk import RiskDecision
from bot.domain.signals import Signal


@dataclass(frozen=True, slots=True)
class SubmitOrder:
    order: Order


@dataclass(frozen=True, slots=True)
class CancelOrder:
    client_order_id: str
    reason: str


class NotifyKind(StrEnum):
    ENTRY = "entry"
    EXIT = "exit"
    SPIKE = "spike"
    RISK = "risk"
    COMMAND = "command"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Notify:
    kind: NotifyKind
    text: str
    ts_ms: int


@dataclass(frozen=True, slots=True)
class RecordSignal:
    signal: Signal


@dataclass(frozen=True, slots=True)
class RecordRisk:
    decision: RiskDecision


@dataclass(frozen=True, slots=True)
class RecordTrade:
    trade: ClosedTrade


@dataclass(frozen=True, slots=True)
class RecordJournal:
    """One line of the audit journal: every decision the engine takes, in plain English."""

    ts_ms: int
    kind: str
    text: str
    ref: str = ""


@dataclass(frozen=True, slots=True)
class CommandDone:
    command_id: str
    ok: bool
    text: str
    ts_ms: int
    kind: str = ""
    args: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SettleFill:
    """A fill that needs no venue (a resolution payout): persist it, then report it back."""

    fill: Fill


@dataclass(frozen=True, slots=True)
class RecordMarket:
    market: Market


@dataclass(frozen=True, slots=True)
class RecordPosition:
    """The position's exit plan changed (or it closed: ``position`` is None)."""

    token_id: str
    position: Position | None


@dataclass(frozen=True, slots=True)
class RecordEquity:
    ts_ms: int
    cash_usd: Decimal
    positions_value_usd: Decimal
    equity_usd: Decimal


Action = (
    SubmitOrder | CancelOrder | Notify | RecordSignal | RecordRisk | RecordTrade | RecordJournal | CommandDone
    | SettleFill | RecordMarket | RecordPosition | RecordEquity
)
