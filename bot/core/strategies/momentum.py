"""momentum: ride a trend that has moved far enough and keeps going.

A market's YES mid is sampled every time its book changes. Entry needs both a trend (the mid moved
at least ``min_move`` across the last ``window_points`` samples) and confirmation (each of the last
``confirm_points`` steps moved the same way). Up trends buy YES, down trends buy NO. The position
is sold when the last ``confirm_points`` steps all go against it; the engine's stop (one
``min_move`` away) and target (two) stay on as well.
"""

from __future__ import annotations

from collections import deque

from bot.core.strategies.base import Proposal, View, buy_intent
from bot.domain.money import dec
from bot.domain.orders import OrderType
from bot.domain.signals import Direction, Layer

NAME = "momentum"


class Momentum:
    name = NAME
    generic_exits = True
    stacks_in_market = False

    def __init__(self) -> None:
        self.mids: dict[str, deque[float]] = {}

    def decide(self, view: View) -> list[Proposal]:
        params = view.settings.strategies.momentum
        held_markets = {p.market_id: t for t, p in view.positions.items()}
        busy = {o.intent.market_id for o in view.working.values()}
        out: list[Proposal] = []
        for token_id, market, mid in view.changed_primaries():
            keep = max(params.window_points, params.confirm_points) + 1
            mids = self.mids.get(token_id)
            if mids is None or mids.maxlen != keep:
                mids = self.mids[token_id] = deque(mids or (), maxlen=keep)
            mids.append(mid)
            if len(mids) < keep or market.market_id in busy:
                continue
            steps = [mids[-i] - mids[-i - 1] for i in range(1, params.confirm_points + 1)]
            rising, falling = all(s > 0 for s in steps), all(s < 0 for s in steps)
            held = held_markets.get(market.market_id)
            if held is not None:
                long_yes = held == market.primary.token_id
                if (falling if long_yes else rising):
                    out.append(Proposal(market, token_id, Direction.DOWN if falling else Direction.UP, mid, steps[0],
                                        (Layer("confirmation", float(params.confirm_points), float(params.confirm_points),
                                               True),),
                                        f"the trend turned: the last {params.confirm_points} moves all went against us",
                                        closes=(held,)))
                continue
            move = mid - mids[-params.window_points - 1]
            if abs(move) < params.min_move or not (rising if move > 0 else falling):
                continue
            up = move > 0
            target = market.primary if up else market.tokens[1]
            sentence = (f"{market.primary.outcome} {'rose' if up else 'fell'} {abs(move) * 100:.1f}¢ over "
                        f"{params.window_points} updates and each of the last {params.confirm_points} confirmed it")
            intent, problem = buy_intent(NAME, market, target.token_id, view.books.get(target.token_id),
                                         params.trade_usd, view.settings.execution.max_slippage_ticks,
                                         OrderType(view.settings.execution.entry_order_type), sentence, view.now_ms)
            stop = max(dec(params.min_move), market.tick_size * 2)
            out.append(Proposal(
                market, token_id, Direction.UP if up else Direction.DOWN, mid, move,
                (Layer("trend", move, params.min_move if up else -params.min_move, True),
                 Layer("confirmation", float(params.confirm_points), float(params.confirm_points), True)),
                sentence, (intent,) if intent else (), True, problem, stop_distance=stop, target_distance=stop * 2))
        return out


STRATEGY = Momentum
