"""dual_arb: buy YES and NO together when the pair costs less than the $1 it must pay out.

One of a binary market's two tokens pays $1 at resolution, so a YES+NO pair bought for less than
$1 after both taker fees (``rate × p × (1 − p)`` per share on each leg) and a safety ``buffer``
is a locked-in gain. Both legs are fill-or-kill limit orders at the current asks, sized to the
depth both top levels show (so neither is expected to miss), with equal shares; the engine
risk-checks both before sending either and sells a leg at once if its partner still misses.
The pair is held to resolution. For negRisk groups (exactly one market in the group resolves
YES), the YES asks of every watched market in the group are summed the same way; this is only
an arbitrage when the watch list holds the whole group, which the config comment warns about.
"""

from __future__ import annotations

from decimal import Decimal

from bot.core.strategies.base import Proposal, View
from bot.domain.book import Book
from bot.domain.market import Market
from bot.domain.money import ONE, SHARE_STEP, ZERO, dec, floor_to, price_from_float
from bot.domain.orders import OrderIntent, OrderType, Purpose, Side
from bot.domain.signals import Direction, Layer

NAME = "dual_arb"


def _top(book: Book | None, tick: Decimal) -> tuple[Decimal, Decimal] | None:
    if book is None or not book.asks:
        return None
    price, size = book.asks[0]
    return price_from_float(price, tick), floor_to(dec(size), SHARE_STEP)


class DualArb:
    name = NAME
    generic_exits = False  # a pair is worth $1 at resolution; selling one leg early breaks it
    stacks_in_market = True

    def decide(self, view: View) -> list[Proposal]:
        params = view.settings.strategies.dual_arb
        held = {p.market_id for p in view.positions.values()} | {o.intent.market_id for o in view.working.values()}
        touched = {view.market_of[t].market_id for t in view.changed if t in view.market_of}
        out: list[Proposal] = []
        groups: dict[str, list[Market]] = {}
        for market_id in sorted(touched):
            market = view.markets[market_id]
            if market_id in view.inactive:
                continue
            if market.neg_risk and market.neg_risk_group:
                groups.setdefault(market.neg_risk_group, [])
            if market_id in held:
                continue
            legs = [(market, market.tokens[0].token_id), (market, market.tokens[1].token_id)]
            proposal = self._pair(view, legs, market, f"{market.tokens[0].outcome} and {market.tokens[1].outcome}")
            if proposal is not None:
                out.append(proposal)
        if params.neg_risk_groups and groups:
            members: dict[str, list[Market]] = {}
            for market in view.markets.values():
                if market.neg_risk_group in groups and market.market_id not in view.inactive:
                    members.setdefault(market.neg_risk_group, []).append(market)
            for group, markets in sorted(members.items()):
                if len(markets) < 2 or any(m.market_id in held for m in markets):
                    continue
                markets.sort(key=lambda m: m.market_id)
                legs = [(m, m.primary.token_id) for m in markets]
                proposal = self._pair(view, legs, markets[0], f"every YES of negRisk group {group}")
                if proposal is not None:
                    out.append(proposal)
        return out

    def _pair(self, view: View, legs: list[tuple[Market, str]], market: Market, what: str) -> Proposal | None:
        params = view.settings.strategies.dual_arb
        tops = [_top(view.books.get(token_id), m.tick_size) for m, token_id in legs]
        if any(t is None for t in tops):
            return None
        asks = [t[0] for t in tops]  # type: ignore[index]
        cost = sum(asks, ZERO)
        fees = sum((m.fee_rate * a * (ONE - a) for (m, _), a in zip(legs, asks, strict=True)), ZERO)
        edge = ONE - cost - fees - dec(params.buffer)
        if edge <= 0:
            return None
        depth = min(t[1] for t in tops)  # type: ignore[index]
        shares = min(floor_to(params.pair_usd / cost, SHARE_STEP), depth)
        sentence = (f"{what} cost {float(cost) * 100:.1f}¢ together plus {float(fees) * 100:.2f}¢ in fees, "
                    f"{float(edge) * 100:.2f}¢ under the $1 payout after a {params.buffer * 100:.1f}¢ buffer")
        minimum = max(m.min_order_size for m, _ in legs)
        problem = ""
        if shares < minimum:
            problem = f"only {shares} shares fit the budget and the book's depth, under the {minimum}-share minimum"
        elif any(shares * a < ONE for a in asks):
            problem = "a leg would be under Polymarket's $1 minimum for an order that trades at once"
        intents: tuple[OrderIntent, ...] = ()
        if not problem:
            intents = tuple(
                OrderIntent(NAME, m.market_id, token_id, Side.BUY, shares, a, OrderType.FOK, Purpose.ENTRY, sentence,
                            view.now_ms, f"{NAME}:{token_id}:{view.now_ms}")
                for (m, token_id), a in zip(legs, asks, strict=True))
        return Proposal(market, market.primary.token_id, Direction.DOWN, float(cost), float(edge),
                        (Layer("edge", float(edge), 0.0, True), Layer("depth", float(depth), float(minimum), not problem)),
                        sentence, intents, True, problem)


STRATEGY = DualArb
