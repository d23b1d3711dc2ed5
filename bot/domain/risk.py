"""Risk decisions: Approved, or Refused with a reason code and a plain-English sentence."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.orders import OrderIntent


class RefusalCode(StrEnum):
    PAUSED = "paused"
    ENTRIES_STOPPED = "entries_stopped"
    DAILY_LOSS = "daily_loss_limit"
    POSITION_SIZE = "max_position_size"
    OPEN_TRADES = "max_open_trades"
    COOLDOWN = "cooldown"
    CIRCUIT_BREAKER = "circuit_breaker"
    MARKET_CAPITAL = "max_capital_per_market"
    STRATEGY_CAPITAL = "max_capital_per_strategy"
    DRAWDOWN = "max_drawdown"
    MIN_SIZE = "min_order_size"
    MIN_NOTIONAL = "min_marketable_usd"
    CASH = "insufficient_cash"
    ALREADY_HELD = "already_held"
    MARKET_ENDING = "market_ending"
    NO_BALANCE = "no_balance"


@dataclass(frozen=True, slots=True)
class Approved:
    intent: OrderIntent

    @property
    def approved(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class Refused:
    intent: OrderIntent
    code: RefusalCode
    text: str

    @property
    def approved(self) -> bool:
        return False


RiskDecision = Approved | Refused
