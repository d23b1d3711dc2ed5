"""value_betting: buy a token whose price is below what you believe it is worth, by enough to pay.

The reference probability of a token (the chance it pays $1) comes from config
(``references: {token_id: probability}``) or from a reference function the runtime hands in
(``reference_fn``, e.g. a model; the core never loads one itself). When the reference minus the
ask minus the taker fee per share (``rate × p × (1 − p)``) is more than ``edge``, buy. The trade
is held (no generic stop/target: a value bet rides out noise) and sold when the bid reaches the
reference less ``exit_edge``: the value is realised (or the reference was lowered below the bid).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.strategies.base import Proposal, View, buy_intent
from bot.domain.orders import OrderType
from bot.domain.signals import Direction, Layer

NAME = "value_betting"


class ValueBetting:
    name = NAME
    generic_exits = False
    stacks_in_market = False

    def __init__(self) -> None:
        self.reference_fn: Callable[[str], float | None] | None = None  # set by the runtime, optional

    def reference(self, view: View, token_id: str) -> float | None:
        configured = view.settings.strategies.value_betting.references.get(token_id)
        if configured is not None:
            return configured
        return self.reference_fn(token_id) if self.reference_fn is not None else None

    def decide(self, view: View) -> list[Proposal]:
        params = view.settings.strategies.value_betting
        held_markets = {p.market_id for p in view.positions.values()}
        busy = {o.intent.market_id for o in view.working.values()}
        out: list[Proposal] = []
        for token_id in sorted(view.positions):  # exits first
            ref, book = self.reference(view, token_id), view.books.get(token_id)
            if ref is None or book is None or book.best_bid is None:
                continue
            bid = book.best_bid
            if bid >= ref - params.exit_edge:
                out.append(Proposal(view.market_of[token_id], token_id, Direction.UP, bid, bid - ref,
                                    (Layer("value_left", ref - bid, params.exit_edge, True),),
                                    f"the bid {bid * 100:.1f}¢ is within {params.exit_edge * 100:.1f}¢ of the reference "
                                    f"{ref * 100:.1f}¢: the value is taken", closes=(token_id,)))
        for token_id in sorted(view.changed):
            market = view.market_of.get(token_id)
            if market is None or market.market_id in view.inactive or market.market_id in held_markets \
                    or market.market_id in busy:
                continue
            ref, book = self.reference(view, token_id), view.books.get(token_id)
            if ref is None or book is None or book.best_ask is None:
                continue
            ask = book.best_ask
            fee = float(market.fee_rate) * ask * (1 - ask)
            edge = ref - ask - fee
            if edge <= params.edge:
                continue
            outcome = next(t.outcome for t in market.tokens if t.token_id == token_id)
            sentence = (f"{outcome} costs {ask * 100:.1f}¢ but is worth {ref * 100:.1f}¢ by the reference: "
                        f"{edge * 100:.1f}¢ of value after {fee * 100:.2f}¢ fees, above the {params.edge * 100:.1f}¢ threshold")
            intent, problem = buy_intent(NAME, market, token_id, book, params.trade_usd,
                                         view.settings.execution.max_slippage_ticks,
                                         OrderType(view.settings.execution.entry_order_type), sentence, view.now_ms)
            held_markets.add(market.market_id)  # one bet per market per cycle (YES and NO cannot both be cheap)
            out.append(Proposal(market, token_id, Direction.UP, ask, ref - ask,
                                (Layer("edge", edge, params.edge, True),), sentence, (intent,) if intent else (),
                                True, problem))
        return out


STRATEGY = ValueBetting
