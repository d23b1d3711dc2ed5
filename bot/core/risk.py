"""The risk manager: a pure function from (intent, portfolio picture, limits, now) to a decision.

Each rule is a small function returning a Refused (with a reason code and a plain-English
sentence built from the numbers) or None. Entries face every rule; exits only the ones that
concern the order itself, because refusing to close a losing trade would make risk worse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from bot.config.schema import Risk as RiskLimits
from bot.domain.money import MIN_MARKETABLE_USD, ZERO, usd
from bot.domain.orders import OrderIntent, OrderType, Purpose, Side
from bot.domain.risk import Approved, RefusalCode, Refused, RiskDecision


@dataclass(frozen=True, slots=True)
class RiskPicture:
    """Everything the rules need to know about the account at decision time."""

    paused: bool
    entries_stopped: bool
    kill_switch: bool
    breaker_until_ms: int | None
    consecutive_losses: int
    realised_today: Decimal
    unrealised: Decimal
    open_trades: int
    cash: Decimal
    equity: Decimal
    peak_equity: Decimal
    market_exposure: Decimal  # cost of open positions + in-flight buys in the intent's market
    strategy_exposure: Decimal
    strategy_limit: Decimal
    last_entry_ms: int | None  # last entry in the intent's market
    holding_market: bool
    held_shares: Decimal  # of the intent's token
    min_order_size: Decimal
    market_end_ms: int | None


Rule = Callable[[OrderIntent, RiskPicture, RiskLimits, int], Refused | None]


def _paused(i: OrderIntent, p: RiskPicture, lim: RiskLimits, now: int) -> Refused | None:
    if p.paused:
        return Refused(i, RefusalCode.PAUSED, "Trading is paused; press Resume to allow new trades.")
    if p.entries_stopped:
        return Refused(i, RefusalCode.ENTRIES_STOPPED, "New entries are stopped; open trades can still close.")
    return None


def _kill_switch(i: OrderIntent, p: RiskPicture, lim: RiskLimits, now: int) -> Refused | None:
    drawdown = _drawdown_pct(p)
    if p.kill_switch or drawdown >= lim.max_drawdown_pct:
        return Refused(i, RefusalCode.DRAWDOWN,
                       f"The account is {drawdown:.1f}% below its peak of {usd(p.peak_equity)}; the "
                       f"{lim.max_drawdown_pct:.0f}% drawdown kill switch blocks new trades until you resume.")
    return None


def _daily_loss(i: OrderIntent, p: RiskPicture, lim: RiskLimits, now: int) -> Refused | None:
    loss = -(p.realised_today + min(p.unrealised, ZERO))
    if loss >= lim.max_daily_loss_usd:
        return Refused(i, RefusalCode.DAILY_LOSS,
                       f"Today's loss is {usd(loss)} (closed plus open), at the {usd(lim.max_daily_loss_usd)} "
                       "daily limit; no new trades until tomorrow (UTC).")
    return None


def _breaker(i: OrderIntent, p: RiskPicture, lim: RiskLimits, now: int) -> Refused | None:
    if p.breaker_until_ms is not None and now < p.breaker_until_ms:
        wait_s = (p.breaker_until_ms - now + 999) // 1000
        return Refused(i, RefusalCode.CIRCUIT_BREAKER,
                       f"Circuit breaker: {p.consecutive_losses} losing trades in a row; new trades resume "
                       f"in {wait_s} s (or press Resume).")
    return None


def _open_trades(i: OrderIntent, p: RiskPicture, lim: RiskLimits, now: int) -> Refused | None:
    if p.open_trades >= lim.max_open_trades:
        return Refused(i, RefusalCode.OPEN_TRADES,
                       f"Already {p.open_trades} of {lim.max_open_trades} trades open; waiting for one to close.")
    return None


def _already_held(i: OrderIntent, p: RiskPicture, lim: RiskLimits, now: int) -> Refused | None:
    if p.holding_market and i.purpose is Purpose.ENTRY:
        return Refused(i, RefusalCode.ALREADY_HELD, "Already holding a position in this market.")
    return None


def _cooldown(i: OrderIntent, p: RiskPicture, lim: RiskLimits, now: int) -> Refused | None:
    if p.last_entry_ms is not None and now - p.last_entry_ms < lim.cooldown_s * 1000:
        left_s = (p.last_entry_ms + lim.cooldown_s * 1000 - now + 999) // 1000
        return Refused(i, RefusalCode.COOLDOWN,
                       f"This market was traded {(now - p.last_entry_ms) // 1000} s ago; cooling down for {left_s} s more.")
    return None


def _market_ending(i: OrderIntent, p: RiskPicture, lim: RiskLimits, now: int) -> Refused | None:
    if p.market_end_ms is not None and p.market_end_ms - now < lim.no_entry_before_end_s * 1000:
        return Refused(i, RefusalCode.MARKET_ENDING,
                       f"The market ends in {max(0, (p.market_end_ms - now) // 1000)} s; no new trades this close to the end.")
    return None


def _position_size(i: OrderIntent, p: RiskPicture, lim: RiskLimits, now: int) -> Refused | None:
    if i.notional_usd > lim.max_position_usd:
        return Refused(i, RefusalCode.POSITION_SIZE,
                       f"The order would cost up to {usd(i.notional_usd)}, above the {usd(lim.max_position_usd)} per-trade limit.")
    return None


def _market_capital(i: OrderIntent, p: RiskPicture, lim: RiskLimits, now: int) -> Refused | None:
    if p.market_exposure + i.notional_usd > lim.max_capital_per_market_usd:
        return Refused(i, RefusalCode.MARKET_CAPITAL,
                       f"{usd(p.market_exposure)} is already in this market; {usd(i.notional_usd)} more would pass "
                       f"the {usd(lim.max_capital_per_market_usd)} per-market limit.")
    return None


def _strategy_capital(i: OrderIntent, p: RiskPicture, lim: RiskLimits, now: int) -> Refused | None:
    if p.strategy_exposure + i.notional_usd > p.strategy_limit:
        return Refused(i, RefusalCode.STRATEGY_CAPITAL,
                       f"{i.strategy} already has {usd(p.strategy_exposure)} in open trades; {usd(i.notional_usd)} more "
                       f"would pass its {usd(p.strategy_limit)} allocation.")
    return None


def _order_minimums(i: OrderIntent, p: RiskPicture, lim: RiskLimits, now: int) -> Refused | None:
    if i.order_type is OrderType.GTC and i.shares < p.min_order_size:
        return Refused(i, RefusalCode.MIN_SIZE,
                       f"{i.shares} shares is below this market's {p.min_order_size}-share minimum for resting orders.")
    if i.order_type is not OrderType.GTC and i.notional_usd < MIN_MARKETABLE_USD:
        return Refused(i, RefusalCode.MIN_NOTIONAL,
                       f"The order is worth {usd(i.notional_usd)}; Polymarket needs at least $1 for an order that trades at once.")
    if i.side is Side.BUY and i.purpose is not Purpose.EXIT and i.shares < p.min_order_size:
        return Refused(i, RefusalCode.MIN_SIZE,
                       f"{i.shares} shares is below this market's {p.min_order_size}-share minimum order size.")
    return None


def _cash(i: OrderIntent, p: RiskPicture, lim: RiskLimits, now: int) -> Refused | None:
    if i.side is Side.BUY and i.notional_usd > p.cash:
        return Refused(i, RefusalCode.CASH, f"The order needs up to {usd(i.notional_usd)} but only {usd(p.cash)} is free.")
    return None


def _balance(i: OrderIntent, p: RiskPicture, lim: RiskLimits, now: int) -> Refused | None:
    if i.side is Side.SELL and i.shares > p.held_shares:
        return Refused(i, RefusalCode.NO_BALANCE, f"Cannot sell {i.shares} shares; only {p.held_shares} are held.")
    return None


ENTRY_RULES: tuple[Rule, ...] = (
    _paused, _kill_switch, _daily_loss, _breaker, _already_held, _open_trades, _cooldown, _market_ending,
    _position_size, _market_capital, _strategy_capital, _order_minimums, _cash, _balance,
)
EXIT_RULES: tuple[Rule, ...] = (_order_minimums, _balance)


def check(intent: OrderIntent, picture: RiskPicture, limits: RiskLimits, now_ms: int) -> RiskDecision:
    """Approve the intent or refuse it with the first rule it breaks."""
    rules = EXIT_RULES if intent.purpose is Purpose.EXIT or intent.side is Side.SELL else ENTRY_RULES
    for rule in rules:
        refusal = rule(intent, picture, limits, now_ms)
        if refusal is not None:
            return refusal
    return Approved(intent)


def _drawdown_pct(p: RiskPicture) -> float:
    if p.peak_equity <= 0:
        return 0.0
    return float((p.peak_equity - p.equity) / p.peak_equity * 100)
