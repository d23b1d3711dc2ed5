"""ml_prediction: trade the price-direction model's confident calls.

The runtime loads the model file (bot/ml) and hands this strategy ``predictor`` (feature vector ->
chance the mid is higher after the model's horizon) and the model's ``sample_s``; the core never
reads a file. Each market's YES book is sampled on the model's grid with the same
``FeatureState`` the model was trained with. When the chance of up is at least ``min_probability``
it buys YES; at most 1 − ``min_probability`` it buys NO. It sells when a later prediction no
longer backs the trade (chance of its direction below ``exit_probability``); the engine's stop,
target and time exits stay on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.core.features import FeatureState
from bot.core.strategies.base import Proposal, View, buy_intent
from bot.domain.orders import OrderType
from bot.domain.signals import Direction, Layer

NAME = "ml_prediction"


class MlPrediction:
    name = NAME
    generic_exits = True
    stacks_in_market = False

    def __init__(self) -> None:
        self.predictor: Callable[[Sequence[float]], float] | None = None
        self.sample_s = 300
        self.states: dict[str, FeatureState] = {}
        self.next_ms: dict[str, int] = {}

    def attach(self, predictor: Callable[[Sequence[float]], float], sample_s: int) -> None:
        """Called by the runtime once the model file is loaded."""
        self.predictor, self.sample_s = predictor, sample_s
        self.states.clear()
        self.next_ms.clear()

    def decide(self, view: View) -> list[Proposal]:
        if self.predictor is None:
            return []
        params = view.settings.strategies.ml_prediction
        step = self.sample_s * 1000
        held = {p.market_id: t for t, p in view.positions.items()}
        busy = {o.intent.market_id for o in view.working.values()}
        out: list[Proposal] = []
        if len(self.states) > 2 * len(view.markets) + 16:  # forget markets the engine has dropped
            known = {m.primary.token_id for m in view.markets.values()}
            self.states = {t: st for t, st in self.states.items() if t in known}
            self.next_ms = {t: n for t, n in self.next_ms.items() if t in known}
        for market_id in sorted(view.markets):
            market = view.markets[market_id]
            token_id = market.primary.token_id
            book = view.books.get(token_id)
            due = self.next_ms.get(token_id)
            if book is None or book.best_bid is None or book.best_ask is None or (due is not None and view.now_ms < due):
                continue
            self.next_ms[token_id] = (view.now_ms // step + 1) * step  # next grid time, as in training
            state = self.states.get(token_id)
            if state is None:
                state = self.states[token_id] = FeatureState(self.sample_s)
            vector = state.update(view.now_ms, book.best_bid, book.best_ask, book.bids[0][1], book.asks[0][1],
                                  market.end_ts_ms)
            p_up = self.predictor(vector)
            mid = (book.best_bid + book.best_ask) / 2
            holding = held.get(market_id)
            if holding is not None:
                p_mine = p_up if holding == token_id else 1 - p_up
                if p_mine < params.exit_probability:
                    out.append(Proposal(market, token_id, Direction.UP if p_up >= 0.5 else Direction.DOWN, mid, 0.0,
                                        (Layer("p_direction", p_mine, params.exit_probability, True),),
                                        f"the model now gives the trade's direction only {p_mine * 100:.0f}%", closes=(holding,)))
                continue
            if market_id in view.inactive or market_id in busy:
                continue
            up = p_up >= params.min_probability
            if not up and p_up > 1 - params.min_probability:
                continue
            target = market.primary if up else market.tokens[1]
            p_dir = p_up if up else 1 - p_up
            sentence = (f"the model gives {p_dir * 100:.0f}% that {market.primary.outcome} "
                        f"{'rises' if up else 'falls'} from {mid * 100:.1f}¢ (threshold {params.min_probability * 100:.0f}%)")
            intent, problem = buy_intent(NAME, market, target.token_id, view.books.get(target.token_id), params.trade_usd,
                                         view.settings.execution.max_slippage_ticks,
                                         OrderType(view.settings.execution.entry_order_type), sentence, view.now_ms)
            out.append(Proposal(market, token_id, Direction.UP if up else Direction.DOWN, mid, p_up - 0.5,
                                (Layer("p_direction", p_dir, params.min_probability, True),), sentence,
                                (intent,) if intent else (), True, problem))
        return out


STRATEGY = MlPrediction
