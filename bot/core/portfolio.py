"""Cash, open positions, closed round trips and the day's tally, driven only by fills.

Fills are the single source of truth: replaying the stored fills through ``apply_fill``
rebuilds exactly the same cash, positions and P&L after a restart. Positions are marked at
the price you could actually exit at: the best bid of the token held.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from bot.domain.money import SHARE_STEP, TOKEN_UNIT, ZERO, dec
from bot.domain.orders import Fill, Purpose, Side
from bot.domain.positions import ClosedTrade, Position

DAY_MS = 86_400_000


@dataclass(slots=True)
class _Leg:
    """Running totals of the position being closed (a round trip may exit in several fills)."""

    shares_sold: Decimal = ZERO
    cost_sold: Decimal = ZERO
    proceeds: Decimal = ZERO
    fees: Decimal = ZERO
    exit_notional: Decimal = ZERO
    entry_fees: Decimal = ZERO


@dataclass(slots=True)
class DayTally:
    day: int = -1  # days since the epoch (UTC) of the engine clock
    realised: Decimal = ZERO
    trades: int = 0
    wins: int = 0
    losses: int = 0


@dataclass(slots=True)
class Portfolio:
    starting_cash: Decimal
    cash: Decimal = ZERO
    positions: dict[str, Position] = field(default_factory=dict)
    legs: dict[str, _Leg] = field(default_factory=dict)
    realised_total: Decimal = ZERO
    fees_total: Decimal = ZERO
    trades_total: int = 0
    wins_total: int = 0
    losses_total: int = 0
    consecutive_losses: int = 0
    today: DayTally = field(default_factory=DayTally)
    peak_equity: Decimal = ZERO
    last_entry_ms: dict[str, int] = field(default_factory=dict)  # market_id -> last entry fill

    def __post_init__(self) -> None:
        self.cash = self.starting_cash
        self.peak_equity = self.starting_cash

    # -- fills ---------------------------------------------------------------------------------
    def roll_day(self, now_ms: int) -> None:
        day = now_ms // DAY_MS
        if day != self.today.day:
            self.today = DayTally(day=day)

    def apply_fill(self, fill: Fill, *, stop: Decimal = ZERO, target: Decimal = ZERO,
                   reason: str = "") -> ClosedTrade | None:
        """Book one fill. Returns the round trip it closes, if any."""
        self.roll_day(fill.ts_ms)
        self.cash += fill.cash_delta
        self.fees_total += fill.fee_usd
        if fill.purpose is Purpose.ADJUST:
            self._adjust(fill)
            return None
        if fill.side is Side.BUY:
            self._add(fill, stop, target, reason)
            return None
        return self._reduce(fill, reason)

    def _add(self, fill: Fill, stop: Decimal, target: Decimal, reason: str) -> None:
        held = self.positions.get(fill.token_id)
        cost = -fill.cash_delta
        if held is None:
            shares = fill.shares_received
            self.positions[fill.token_id] = Position(
                market_id=fill.market_id, token_id=fill.token_id, strategy=fill.strategy,
                shares=shares, cost_usd=cost, opened_ts_ms=fill.ts_ms,
                entry_price=(cost / shares).quantize(TOKEN_UNIT) if shares else ZERO,
                stop_price=stop, target_price=target, high_water_bid=ZERO, entry_reason=reason,
            )
            self.legs[fill.token_id] = _Leg(entry_fees=fill.fee_usd)
            self.last_entry_ms[fill.market_id] = fill.ts_ms
        else:
            shares = held.shares + fill.shares_received
            total_cost = held.cost_usd + cost
            self.positions[fill.token_id] = replace(
                held, shares=shares, cost_usd=total_cost,
                entry_price=(total_cost / shares).quantize(TOKEN_UNIT),
            )
            self.legs[fill.token_id].entry_fees += fill.fee_usd

    def _adjust(self, fill: Fill) -> None:
        """Live reconciliation: the venue's share count wins. The cost stays with the shares
        held (a fee taken in shares makes each remaining share dearer); no trade is recorded."""
        held = self.positions.get(fill.token_id)
        if held is None or fill.shares_received == 0:
            return  # cash-only, or a token the bot never bought: reported, not adopted
        shares = held.shares + fill.shares_received
        if shares < SHARE_STEP:
            del self.positions[fill.token_id]
            self.legs.pop(fill.token_id, None)
            return
        self.positions[fill.token_id] = replace(held, shares=shares,
                                                entry_price=(held.cost_usd / shares).quantize(TOKEN_UNIT))

    def _reduce(self, fill: Fill, reason: str) -> ClosedTrade | None:
        held = self.positions.get(fill.token_id)
        if held is None:
            return None  # selling what we do not hold cannot happen; the executor refuses it
        sold = -fill.shares_received
        sold = min(sold, held.shares)
        cost_part = (held.cost_usd * sold / held.shares) if held.shares else ZERO
        leg = self.legs.setdefault(fill.token_id, _Leg())
        leg.shares_sold += sold
        leg.cost_sold += cost_part
        leg.proceeds += fill.cash_delta
        leg.fees += fill.fee_usd
        leg.exit_notional += fill.price * sold
        remaining = held.shares - sold
        if remaining >= SHARE_STEP:
            self.positions[fill.token_id] = replace(held, shares=remaining, cost_usd=held.cost_usd - cost_part)
            return None
        # Less than one sellable unit left: the round trip is over. The dust's cost is written
        # off with it, because no order can sell fewer than 0.01 shares.
        dust_cost = held.cost_usd - cost_part
        del self.positions[fill.token_id]
        del self.legs[fill.token_id]
        pnl = leg.proceeds - leg.cost_sold - dust_cost
        trade = ClosedTrade(
            trade_id=f"{fill.token_id}-{held.opened_ts_ms}",
            market_id=held.market_id, token_id=held.token_id, strategy=held.strategy,
            shares=leg.shares_sold, entry_price=held.entry_price,
            exit_price=(leg.exit_notional / leg.shares_sold).quantize(TOKEN_UNIT) if leg.shares_sold else ZERO,
            cost_usd=leg.cost_sold + dust_cost, proceeds_usd=leg.proceeds, pnl_usd=pnl,
            fees_usd=leg.fees + leg.entry_fees, opened_ts_ms=held.opened_ts_ms, closed_ts_ms=fill.ts_ms,
            entry_reason=held.entry_reason, exit_reason=reason,
        )
        self._tally(trade)
        return trade

    def _tally(self, trade: ClosedTrade) -> None:
        self.realised_total += trade.pnl_usd
        self.trades_total += 1
        self.today.realised += trade.pnl_usd
        self.today.trades += 1
        if trade.pnl_usd > 0:
            self.wins_total += 1
            self.today.wins += 1
            self.consecutive_losses = 0
        else:
            self.losses_total += 1
            self.today.losses += 1
            self.consecutive_losses += 1

    # -- marks ---------------------------------------------------------------------------------
    def update_position(self, token_id: str, **changes: Decimal) -> None:
        held = self.positions.get(token_id)
        if held is not None:
            self.positions[token_id] = replace(held, **changes)

    def position_value(self, position: Position, bid: float | None) -> Decimal:
        """What the position would fetch at the best bid (zero when no one bids)."""
        if bid is None:
            return ZERO
        return (position.shares * dec(bid)).quantize(TOKEN_UNIT)

    def marks(self, bids: dict[str, float | None]) -> tuple[Decimal, Decimal]:
        """(positions value, unrealised P&L) at the given best bids."""
        value = ZERO
        cost = ZERO
        for token_id, position in self.positions.items():
            value += self.position_value(position, bids.get(token_id))
            cost += position.cost_usd
        return value, value - cost

    def equity(self, bids: dict[str, float | None]) -> Decimal:
        value, _ = self.marks(bids)
        return self.cash + value

    def exposure_by_market(self) -> dict[str, Decimal]:
        exposure: dict[str, Decimal] = {}
        for position in self.positions.values():
            exposure[position.market_id] = exposure.get(position.market_id, ZERO) + position.cost_usd
        return exposure

    def exposure_by_strategy(self) -> dict[str, Decimal]:
        exposure: dict[str, Decimal] = {}
        for position in self.positions.values():
            exposure[position.strategy] = exposure.get(position.strategy, ZERO) + position.cost_usd
        return exposure
