"""spike_hunter: trade a sudden move only when all four detector layers agree.

Layers: CUSUM alarm (a sustained shift away from the EWMA mean), a break of the EWMA band in the
same direction, rate-of-change momentum beyond its threshold, and enough liquidity on the book of
the token we would buy. ``fade`` bets the move overreacted (a jump in YES buys NO, a drop buys
YES); ``follow`` rides it. You cannot short on Polymarket, so "selling YES" is buying NO.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.config.schema import Detection, Execution, Money, SpikeHunter
from bot.core.detectors.liquidity import check_liquidity
from bot.core.detectors.spike import Alarm
from bot.core.explain import spike_sentence
from bot.core.strategies.base import Proposal, View
from bot.domain.book import Book
from bot.domain.market import Market, Token
from bot.domain.money import ONE, SHARE_STEP, dec, floor_to, price_from_float
from bot.domain.orders import OrderIntent, OrderType, Purpose, Side
from bot.domain.signals import Direction, Layer

NAME = "spike_hunter"
MIN_EXIT_TICKS = 2


@dataclass(frozen=True, slots=True)
class SpikeCall:
    """The strategy's verdict on one CUSUM alarm."""

    direction: Direction
    target: Token  # the token we would buy
    layers: tuple[Layer, ...]
    agreed: bool
    sentence: str  # what was seen, in plain English
    move: float
    intent: OrderIntent | None  # set when all layers agree and a sane order can be formed
    problem: str  # why no intent, when agreed but unorderable


def evaluate(
    alarm: Alarm,
    oldest_price: float | None,
    window_s: float,
    market: Market,
    books: dict[str, Book | None],
    detection: Detection,
    params: SpikeHunter,
    money: Money,
    execution: Execution,
    ts_ms: int,
) -> SpikeCall:
    direction = Direction.UP if alarm.direction > 0 else Direction.DOWN
    primary, complement = market.tokens
    buys_primary = (direction is Direction.DOWN) == (params.direction == "fade")
    target = primary if buys_primary else complement
    price = alarm.price
    up = direction is Direction.UP
    band_threshold = alarm.upper if up else alarm.lower
    band_passed = band_threshold == band_threshold and (price > band_threshold if up else price < band_threshold)
    roc_passed = alarm.roc_pct >= detection.roc_threshold_pct if up else alarm.roc_pct <= -detection.roc_threshold_pct
    liquidity = check_liquidity(books.get(target.token_id), detection.max_spread, detection.min_liquidity_usd,
                                detection.depth_levels)
    layers = (
        Layer("cusum", alarm.cusum, alarm.cusum_threshold, True),
        Layer("ewma_band", price, band_threshold if band_threshold == band_threshold else 0.0, band_passed),
        Layer("roc", alarm.roc_pct, detection.roc_threshold_pct, roc_passed),
        Layer("liquidity", liquidity.depth_usd, detection.min_liquidity_usd, liquidity.passed),
    )
    move = price - oldest_price if oldest_price is not None else 0.0
    sentence = spike_sentence(primary.outcome, direction, move, window_s, layers)
    agreed = band_passed and roc_passed and liquidity.passed
    if not agreed:
        return SpikeCall(direction, target, layers, False, sentence, move, None, "")
    intent, problem = _entry_intent(alarm, market, target, books[target.token_id], money, execution, sentence, ts_ms)
    return SpikeCall(direction, target, layers, True, sentence, move, intent, problem)


def _entry_intent(alarm: Alarm, market: Market, target: Token, book: Book | None, money: Money,
                  execution: Execution, sentence: str, ts_ms: int) -> tuple[OrderIntent | None, str]:
    if book is None or book.best_ask is None:
        return None, "no one is selling"
    tick = market.tick_size
    ask = price_from_float(book.best_ask, tick)
    limit = min(ask + tick * execution.max_slippage_ticks, ONE - tick)
    # Bigger spikes earn bigger bets, between the configured minimum and maximum.
    strength = min(1.0, max(0.0, alarm.cusum / alarm.cusum_threshold - 1.0))
    budget = money.min_trade_usd + (money.max_trade_usd - money.min_trade_usd) * dec(round(strength, 4))
    shares = floor_to(budget / limit, SHARE_STEP)
    if shares < market.min_order_size:
        if market.min_order_size * limit > money.max_trade_usd:
            return None, (f"the {market.min_order_size}-share minimum at {limit} would cost more than the "
                          f"${money.max_trade_usd} trade limit")
        shares = market.min_order_size
    intent = OrderIntent(
        strategy=NAME, market_id=market.market_id, token_id=target.token_id, side=Side.BUY, shares=shares,
        limit_price=limit, order_type=OrderType(execution.entry_order_type), purpose=Purpose.ENTRY,
        reason=sentence, ts_ms=ts_ms, key=f"{NAME}:{target.token_id}:{ts_ms}",
    )
    return intent, ""


def stop_and_target(entry: Decimal, volatility: float, tick: Decimal, stop_loss_pct: float, take_profit_pct: float,
                    atr_stop: float, atr_profit: float) -> tuple[Decimal, Decimal]:
    """Distances (in price) to the stop and the target: the tighter of the percentage and the
    volatility rule, but never closer than two ticks (one tick is the bid flickering)."""
    vol = volatility if volatility == volatility else 0.0
    stop = min(entry * dec(stop_loss_pct) / 100, dec(round(atr_stop * vol, 6)) or entry)
    target = min(entry * dec(take_profit_pct) / 100, dec(round(atr_profit * vol, 6)) or entry)
    return max(stop, tick * MIN_EXIT_TICKS), max(target, tick * MIN_EXIT_TICKS)


class SpikeHunterStrategy:
    """The strategy port around ``evaluate``: one proposal per CUSUM alarm of the cycle.

    It runs even when switched off, so the signals page still shows what it would have done."""

    name = NAME
    generic_exits = True
    stacks_in_market = False
    always_evaluate = True

    def decide(self, view: View) -> list[Proposal]:
        s = view.settings
        params = s.strategies.spike_hunter
        e = s.exits
        proposals: list[Proposal] = []
        for token_id, alarm in view.alarms.items():
            market = view.market_of[token_id]
            books = {t.token_id: view.books.get(t.token_id) for t in market.tokens}
            call = evaluate(alarm, view.oldest_price(token_id), view.window_s, market, books, s.detection, params,
                            s.money, s.execution, view.now_ms)
            stop = target = None
            if call.intent is not None:
                stop, target = stop_and_target(call.intent.limit_price, alarm.std, market.tick_size, e.stop_loss_pct,
                                               e.take_profit_pct, e.atr_stop, e.atr_profit)
            proposals.append(Proposal(
                market, market.primary.token_id, call.direction, alarm.price, call.move, call.layers, call.sentence,
                (call.intent,) if call.intent is not None else (), call.agreed, call.problem, stop, target))
        return proposals


STRATEGY = SpikeHunterStrategy
