"""Exit rules for an open position: stop loss, trailing stop, take profit and time stop.

Prices are judged at the best bid of the token held, because that is what a sell would get.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.domain.money import cents
from bot.domain.positions import Position


@dataclass(frozen=True, slots=True)
class ExitCall:
    rule: str  # plain-English name of the rule that fired
    detail: str


def trail(position: Position, bid: Decimal, trailing: bool) -> tuple[Decimal, Decimal]:
    """New (high-water bid, stop price) after seeing ``bid``: the stop only ever moves up."""
    high = max(position.high_water_bid, bid)
    stop = position.stop_price
    if trailing and high > position.high_water_bid and position.high_water_bid > 0:
        stop = max(stop, stop + (high - position.high_water_bid))
    return high, stop


def exit_due(position: Position, bid: Decimal | None, now_ms: int, max_hold_s: int) -> ExitCall | None:
    if now_ms - position.opened_ts_ms >= max_hold_s * 1000:
        held_s = (now_ms - position.opened_ts_ms) // 1000
        return ExitCall("time stop", f"held {held_s} s, the limit is {max_hold_s} s")
    if bid is None:
        return None
    if bid >= position.target_price:
        return ExitCall("take profit", f"bid {cents(bid)} reached the {cents(position.target_price)} target")
    if bid <= position.stop_price:
        trailing = position.stop_price > position.entry_price
        name = "trailing stop" if trailing else "stop loss"
        return ExitCall(name, f"bid {cents(bid)} fell to the {cents(position.stop_price)} stop")
    return None
