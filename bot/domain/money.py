"""Exact money arithmetic: the one place floats from market data become Decimals.

Polymarket prices live on a tick grid (0.1 / 0.01 / 0.001 / 0.0001), order sizes have two
decimals, conditional tokens and pUSD have six, and taker fees are floored to five decimals.
Everything that is money (prices of orders, sizes, cash, fees, P&L) is a ``Decimal`` built here.
Market-data prices arrive as floats (indicators use floats); ``price_from_float`` is the explicit
conversion point.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_UP, Decimal

ZERO = Decimal(0)
ONE = Decimal(1)
CENT = Decimal("0.01")
SHARE_STEP = Decimal("0.01")  # order sizes: two decimals
TOKEN_UNIT = Decimal("0.000001")  # conditional tokens and pUSD: six decimals
FEE_STEP = Decimal("0.00001")  # fees are floored to five decimals
VALID_TICKS = (Decimal("0.1"), Decimal("0.01"), Decimal("0.001"), Decimal("0.0001"))
MIN_MARKETABLE_USD = Decimal(1)


def dec(value: str | int | float | Decimal) -> Decimal:
    """A Decimal from a config or wire value; floats go through their shortest repr."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def price_from_float(price: float, tick: Decimal) -> Decimal:
    """Snap a market-data float onto the tick grid (nearest tick)."""
    return Decimal(repr(price)).quantize(tick, rounding=ROUND_HALF_EVEN)


def floor_to(value: Decimal, step: Decimal) -> Decimal:
    return value.quantize(step, rounding=ROUND_DOWN)


def ceil_to(value: Decimal, step: Decimal) -> Decimal:
    return value.quantize(step, rounding=ROUND_UP)


def round_price_down(price: Decimal, tick: Decimal) -> Decimal:
    """Largest tick price <= price (for bids: never pay more than intended)."""
    return (price / tick).to_integral_value(rounding=ROUND_DOWN) * tick


def round_price_up(price: Decimal, tick: Decimal) -> Decimal:
    return (price / tick).to_integral_value(rounding=ROUND_UP) * tick


def taker_fee_usd(shares: Decimal, price: Decimal, rate: Decimal) -> Decimal:
    """Polymarket's taker fee: shares x rate x p x (1 - p), floored to five decimals."""
    if rate <= 0:
        return ZERO
    return floor_to(shares * rate * price * (ONE - price), FEE_STEP)


def usd(value: Decimal) -> str:
    """Format money for people: $1.23, -$0.45."""
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value).quantize(CENT, rounding=ROUND_HALF_EVEN):,}"


def cents(price: Decimal | float) -> str:
    """Format a probability price as cents for people: 0.46 -> '46¢', 0.4652 -> '46.5¢'."""
    value = (dec(price) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
    text = f"{value:.0f}" if value == value.to_integral_value() else f"{value:f}"
    return f"{text}¢"
