"""Wire formats parsed once into domain records; anything malformed raises ``WireError(kind)``.

Pure (no I/O, no clock): the scanner, the REST poller and the WebSocket reader call these with
decoded JSON and count each ``WireError.kind`` as dropped data. Polymarket quirks handled here:
``outcomes``/``clobTokenIds``/``outcomePrices`` are JSON arrays inside JSON strings, numbers come
as strings, and REST/WS books list the best bid and best ask LAST.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.domain.book import Level
from bot.domain.market import Market, binary_market
from bot.domain.money import VALID_TICKS

# Taker fee rates by Gamma feeType when a market has fees on but no feeSchedule (POLYMARKET.md).
FEE_TYPE_RATES = {
    "crypto": Decimal("0.072"), "sports": Decimal("0.03"), "finance": Decimal("0.04"), "politics": Decimal("0.04"),
    "tech": Decimal("0.04"), "economics": Decimal("0.05"), "culture": Decimal("0.05"), "weather": Decimal("0.05"),
    "other": Decimal("0.05"), "geopolitics": Decimal(0),
}
UNKNOWN_FEE_RATE = Decimal("0.072")  # fees on, rate unknown: assume the dearest so paper P&L is not flattered
PAYOUT_SETS = {(1.0, 0.0), (0.0, 1.0), (0.5, 0.5)}


class WireError(ValueError):
    """Malformed or unusable wire data; ``kind`` is the counter it is dropped under."""

    def __init__(self, kind: str, text: str) -> None:
        super().__init__(text)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class GammaMarket:
    """One Gamma market: the domain Market plus the status and statistics the scanner filters on."""

    market: Market
    condition_id: str
    active: bool
    closed: bool
    accepting_orders: bool
    order_book: bool
    outcome_prices: tuple[float, float] | None
    spread: float | None
    text: str  # question, slug and tag labels, lower case: what keyword filters match

    @property
    def payouts(self) -> tuple[tuple[str, Decimal], ...] | None:
        """Settlement per token when the market is closed with final prices (1/0, 0/1, 0.5/0.5)."""
        if not self.closed or self.outcome_prices not in PAYOUT_SETS:
            return None
        return tuple((t.token_id, Decimal(str(p))) for t, p in zip(self.market.tokens, self.outcome_prices, strict=True))


def number(value: Any, kind: str = "bad_number", what: str = "value") -> float:
    """A finite float from a JSON number or numeric string."""
    if isinstance(value, bool) or value is None:
        raise WireError(kind, f"{what} is {value!r}, not a number")
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise WireError(kind, f"{what} {value!r} is not a number") from None
    if not math.isfinite(result):
        raise WireError("nan", f"{what} is {value!r}")
    return result


def ts_ms(value: Any) -> int:
    """Epoch milliseconds from a string or number."""
    t = number(value, "bad_timestamp", "timestamp")
    if not 0 < t < 1e14:
        raise WireError("bad_timestamp", f"timestamp {value!r} is not epoch milliseconds")
    return int(t)


def _json_list(raw: dict[str, Any], key: str) -> list[Any]:
    value = raw.get(key)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise WireError("bad_market", f"{key} is not JSON: {value[:60]!r}") from None
    if not isinstance(value, list):
        raise WireError("bad_market", f"{key} is {type(value).__name__}, expected a list")
    return value


def _iso_ms(text: Any) -> int | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


def _decimal(value: Any, what: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise WireError("bad_market", f"{what} {value!r} is not a number") from None
    if not result.is_finite():
        raise WireError("bad_market", f"{what} is {value!r}")
    return result


def fee_rate(raw: dict[str, Any]) -> Decimal:
    if raw.get("feesEnabled") is not True:
        return Decimal(0)
    schedule = raw.get("feeSchedule")
    if isinstance(schedule, dict) and schedule.get("rate") is not None:
        rate = _decimal(schedule["rate"], "feeSchedule.rate")
        if not Decimal(0) <= rate < Decimal(1):
            raise WireError("bad_market", f"fee rate {rate} outside [0, 1)")
        return rate
    fee_type = str(raw.get("feeType") or "").removesuffix("_fees")
    return FEE_TYPE_RATES.get(fee_type, UNKNOWN_FEE_RATE)


def gamma_market(raw: Any) -> GammaMarket:
    """Parse one Gamma market object; raises WireError for anything the bot cannot trade safely."""
    if not isinstance(raw, dict):
        raise WireError("bad_market", f"market is {type(raw).__name__}, expected an object")
    market_id = raw.get("id")
    if not isinstance(market_id, (str, int)) or isinstance(market_id, bool) or str(market_id) == "":
        raise WireError("bad_market", "market has no id")
    market_id = str(market_id)
    outcomes, tokens = _json_list(raw, "outcomes"), _json_list(raw, "clobTokenIds")
    if len(outcomes) != 2 or len(tokens) != 2:
        raise WireError("not_binary", f"market {market_id} has {len(outcomes)} outcomes / {len(tokens)} tokens")
    if not all(isinstance(x, str) and x for x in (*outcomes, *tokens)) or tokens[0] == tokens[1]:
        raise WireError("bad_market", f"market {market_id}: outcomes/tokens are not distinct non-empty strings")
    prices: tuple[float, float] | None = None
    if raw.get("outcomePrices") is not None:
        listed = _json_list(raw, "outcomePrices")
        if len(listed) == 2:
            prices = (number(listed[0], "bad_market", "outcome price"), number(listed[1], "bad_market", "outcome price"))
    tick = _decimal(raw.get("orderPriceMinTickSize", "0.01"), "orderPriceMinTickSize")
    tick = next((t for t in VALID_TICKS if t == tick), None)
    if tick is None:
        raise WireError("bad_market", f"market {market_id}: tick size {raw.get('orderPriceMinTickSize')!r} is not valid")
    min_size = _decimal(raw.get("orderMinSize", 5), "orderMinSize")
    if min_size <= 0:
        raise WireError("bad_market", f"market {market_id}: min order size {min_size}")
    question = raw.get("question") if isinstance(raw.get("question"), str) else ""
    tags = raw.get("tags") if isinstance(raw.get("tags"), list) else []
    labels = " ".join(str(t.get("label", "")) for t in tags if isinstance(t, dict))
    neg_risk = raw.get("negRisk") is True
    group = raw.get("negRiskMarketID") if neg_risk and isinstance(raw.get("negRiskMarketID"), str) else None
    volume = raw.get("volume24hr")
    liquidity = raw.get("liquidityNum", raw.get("liquidity"))
    spread = raw.get("spread")
    market = binary_market(
        market_id, question or f"market {market_id}", (tokens[0], tokens[1]), (outcomes[0], outcomes[1]),
        tick_size=tick, min_order_size=min_size, fee_rate=fee_rate(raw), end_ts_ms=_iso_ms(raw.get("endDate")),
        neg_risk=neg_risk, neg_risk_group=group or None,
        category=str(raw.get("feeType") or "").removesuffix("_fees"),
        volume_24h_usd=_optional(volume), liquidity_usd=_optional(liquidity),
    )
    return GammaMarket(
        market=market, condition_id=str(raw.get("conditionId") or ""), active=raw.get("active") is True,
        closed=raw.get("closed") is True, accepting_orders=raw.get("acceptingOrders") is True,
        order_book=raw.get("enableOrderBook") is True, outcome_prices=prices,
        spread=_optional(spread) if spread is not None else None,
        text=f"{question} {raw.get('slug') or ''} {labels}".lower(),
    )


def _optional(value: Any) -> float:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return 0.0
    return result if math.isfinite(result) else 0.0


def levels(raw: Any, side: str) -> dict[float, float]:
    """Price -> size for one side of a wire book (any order); zero sizes are absent levels."""
    if not isinstance(raw, list):
        raise WireError("bad_book", f"{side} is {type(raw).__name__}, expected a list")
    out: dict[float, float] = {}
    for level in raw:
        if not isinstance(level, dict):
            raise WireError("bad_book", f"{side} level {level!r} is not an object")
        price, size = number(level.get("price"), "bad_book", "price"), number(level.get("size"), "bad_book", "size")
        if not 0.0 <= price <= 1.0:
            raise WireError("bad_price", f"{side} price {price} outside [0, 1]")
        if size < 0:
            raise WireError("bad_book", f"{side} size {size} is negative")
        if size > 0:
            out[price] = size
    return out


def best_first(bids: dict[float, float], asks: dict[float, float], depth: int) -> tuple[tuple[Level, ...], tuple[Level, ...]]:
    """Domain order (best first on both sides), cut to ``depth`` levels."""
    bid_prices = sorted(bids, reverse=True)[:depth]
    ask_prices = sorted(asks)[:depth]
    return tuple((p, bids[p]) for p in bid_prices), tuple((p, asks[p]) for p in ask_prices)


@dataclass(frozen=True, slots=True)
class WireBook:
    """A full book snapshot from REST ``/books`` or a WS ``book`` message (levels keyed by price)."""

    token_id: str
    ts_ms: int
    bids: dict[float, float]
    asks: dict[float, float]
    tick_size: Decimal | None


def wire_book(raw: Any) -> WireBook:
    if not isinstance(raw, dict):
        raise WireError("bad_book", f"book is {type(raw).__name__}, expected an object")
    token = raw.get("asset_id")
    if not isinstance(token, str) or not token:
        raise WireError("bad_book", "book has no asset_id")
    tick = None
    if raw.get("tick_size") is not None:
        tick = next((t for t in VALID_TICKS if str(t) == str(raw["tick_size"]) or t == _safe_dec(raw["tick_size"])), None)
    return WireBook(token, ts_ms(raw.get("timestamp")), levels(raw.get("bids"), "bids"), levels(raw.get("asks"), "asks"),
                    tick)


def _safe_dec(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
