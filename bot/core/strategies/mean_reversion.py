"""mean_reversion: buy a price that sits far below its recent average, sell when it comes back.

Every time a market's YES book changes, its mid joins a rolling window. When the window is full
and the mid is ``entry_z`` standard deviations below the mean, buy YES; that far above, buy NO
(you cannot short YES). The position is sold when the z-score is back within ``exit_z``; the
engine's stop, target and time exits stay on as the safety net.
"""

from __future__ import annotations

from bot.core.strategies.base import Proposal, View, Window, buy_intent
from bot.domain.money import dec
from bot.domain.orders import OrderType
from bot.domain.signals import Direction, Layer

NAME = "mean_reversion"


class MeanReversion:
    name = NAME
    generic_exits = True
    stacks_in_market = False

    def __init__(self) -> None:
        self.windows: dict[str, Window] = {}

    def decide(self, view: View) -> list[Proposal]:
        params = view.settings.strategies.mean_reversion
        held_markets = {p.market_id: t for t, p in view.positions.items()}
        busy = {o.intent.market_id for o in view.working.values()}
        out: list[Proposal] = []
        for token_id, market, mid in view.changed_primaries():
            window = self.windows.get(token_id)
            if window is None or window.size != params.window_points:
                window = self.windows[token_id] = Window(params.window_points)
            mean, std, full = window.mean, window.std, window.full  # judged against the window before this mid
            window.add(mid)
            if not full or not std >= params.min_std or market.market_id in busy:
                continue
            z = (mid - mean) / std
            held = held_markets.get(market.market_id)
            if held is not None:
                # A NO position reverts when YES falls back, so judge it by YES's z-score.
                if abs(z) <= params.exit_z:
                    out.append(Proposal(market, token_id, Direction.DOWN if z < 0 else Direction.UP, mid, mid - mean,
                                        (Layer("z_score", z, params.exit_z, True),),
                                        f"the price is back near its average (z {z:+.2f}, within ±{params.exit_z})",
                                        closes=(held,)))
                continue
            if abs(z) < params.entry_z:
                continue
            below = z < 0
            target = market.primary if below else market.tokens[1]
            sentence = (f"{market.primary.outcome} at {mid * 100:.1f}¢ is {abs(z):.1f} standard deviations "
                        f"{'below' if below else 'above'} its {params.window_points}-point average {mean * 100:.1f}¢")
            intent, problem = buy_intent(NAME, market, target.token_id, view.books.get(target.token_id),
                                         params.trade_usd, view.settings.execution.max_slippage_ticks,
                                         OrderType(view.settings.execution.entry_order_type), sentence, view.now_ms)
            tick = market.tick_size
            distance = max(dec(round(abs(mid - mean), 6)), tick * 2)
            out.append(Proposal(
                market, token_id, Direction.DOWN if below else Direction.UP, mid, mid - mean,
                (Layer("z_score", z, params.entry_z, True), Layer("std", std, params.min_std, True)), sentence,
                (intent,) if intent else (), True, problem, stop_distance=distance, target_distance=distance))
        return out


STRATEGY = MeanReversion
