"""Plain-English sentences for signals, entries, exits and settlements, built from real numbers."""

from __future__ import annotations

from decimal import Decimal

from bot.domain.money import cents, usd
from bot.domain.signals import Direction, Layer


def _layer(layers: tuple[Layer, ...], name: str) -> Layer | None:
    for layer in layers:
        if layer.name == name:
            return layer
    return None


def spike_sentence(outcome: str, direction: Direction, move: float, window_s: float, layers: tuple[Layer, ...]) -> str:
    """'Yes jumped 6.1¢ in 3 s, CUSUM 0.041 > 0.030, price broke the upper band 53.2¢ and the book had $340 to trade into'."""
    verb = "jumped" if direction is Direction.UP else "dropped"
    parts = [f"{outcome} {verb} {abs(move) * 100:.1f}¢ in {window_s:.0f} s"]
    cusum = _layer(layers, "cusum")
    if cusum is not None:
        parts.append(f"CUSUM {cusum.value:.3f} {'>' if cusum.passed else '≤'} {cusum.threshold:.3f}")
    band = _layer(layers, "ewma_band")
    if band is not None:
        side = "upper" if direction is Direction.UP else "lower"
        if band.passed:
            parts.append(f"price broke the {side} band {band.threshold * 100:.1f}¢")
        else:
            parts.append(f"price stayed inside the {side} band {band.threshold * 100:.1f}¢")
    roc = _layer(layers, "roc")
    if roc is not None:
        parts.append(f"momentum {roc.value:+.1f}% {'beat' if roc.passed else 'missed'} ±{roc.threshold:.1f}%")
    liquidity = _layer(layers, "liquidity")
    if liquidity is not None:
        if liquidity.passed:
            parts.append(f"the book had ${liquidity.value:,.0f} to trade into")
        else:
            parts.append(f"the book had only ${liquidity.value:,.0f} (need ${liquidity.threshold:,.0f}) or too wide a spread")
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]


def entry_sentence(outcome: str, price: Decimal, why: str) -> str:
    return f"Bought {outcome} at {cents(price)} because {why}."


def skip_sentence(why: str, because: str) -> str:
    return f"Spotted a spike ({why}) but did not trade: {because}"


def exit_sentence(outcome: str, price: Decimal, rule: str, entry: Decimal, pnl: Decimal | None = None) -> str:
    tail = f", {'+' if pnl is not None and pnl >= 0 else ''}{usd(pnl)}" if pnl is not None else ""
    return f"Sold {outcome} at {cents(price)} ({rule}; bought at {cents(entry)}{tail})."


def settle_sentence(outcome: str, payout: Decimal) -> str:
    if payout == 1:
        return f"The market resolved: {outcome} won and paid $1.00 a share."
    if payout == 0:
        return f"The market resolved: {outcome} lost and paid nothing."
    return f"The market resolved void: {outcome} paid {cents(payout)} a share."
