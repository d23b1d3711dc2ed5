"""market_maker: paper quotes on both sides of the mid, wider when the market is jumpy.

In each of the first ``max_markets`` open markets it rests a GTC buy of YES below the YES mid and a
GTC buy of NO below the NO mid (buying NO at 1 − p is Polymarket's way of selling YES at p). Half
the spread is the larger of ``min_half_spread`` and ``vol_multiplier`` × the standard deviation of
the recent mids, on the tick grid and never crossing the book (a quote must rest, not take).
Inventory is YES shares minus NO shares held: past ``max_inventory_shares`` it stops quoting
the side that would add to it. A quote whose price drifts ``requote_ticks`` or more from where it
should be is cancelled; the next cycle places it anew. Quotes fill only when the market trades
through them (the paper executor's rule); a YES+NO pair is worth $1 at resolution.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from bot.core.strategies.base import Proposal, View, Window
from bot.domain.market import Market
from bot.domain.money import ONE, ZERO, dec
from bot.domain.orders import OrderIntent, OrderType, Purpose, Side
from bot.domain.signals import Direction, Layer

NAME = "market_maker"


def _on_grid(value: float, tick: Decimal, rounding: str) -> Decimal:
    return (dec(round(value, 6)) / tick).to_integral_value(rounding=rounding) * tick


class MarketMaker:
    name = NAME
    generic_exits = False  # inventory is worked off by the opposite quote, not by stops
    stacks_in_market = True

    def __init__(self) -> None:
        self.windows: dict[str, Window] = {}

    def decide(self, view: View) -> list[Proposal]:
        params = view.settings.strategies.market_maker
        quoting = [m for m in view.markets.values() if m.market_id not in view.inactive][: params.max_markets]
        out: list[Proposal] = []
        for market in quoting:
            primary = market.primary.token_id
            mid = view.mid(primary)
            if mid is None:
                continue
            window = self.windows.get(primary)
            if window is None or window.size != params.vol_window_points:
                window = self.windows[primary] = Window(params.vol_window_points)
            if primary in view.changed or not window.values:
                window.add(mid)
            if not window.full or not params.enabled:
                continue
            proposal = self._quote(view, market, mid, window.std)
            if proposal is not None:
                out.append(proposal)
        return out

    def _quote(self, view: View, market: Market, mid: float, std: float) -> Proposal | None:
        params = view.settings.strategies.market_maker
        tick = market.tick_size
        yes, no = market.tokens
        half = max(params.min_half_spread, params.vol_multiplier * (std if math.isfinite(std) else 0.0))
        yes_bid = _on_grid(mid - half, tick, ROUND_FLOOR)
        no_bid = ONE - _on_grid(mid + half, tick, ROUND_CEILING)  # buying NO here = offering YES at 1 − it
        inventory = sum((p.shares if p.token_id == yes.token_id else -p.shares
                         for p in view.positions.values() if p.market_id == market.market_id), ZERO)
        wanted: dict[str, Decimal | None] = {
            yes.token_id: yes_bid if inventory < params.max_inventory_shares else None,
            no.token_id: no_bid if inventory > -params.max_inventory_shares else None,
        }
        cancels: list[str] = []
        intents: list[OrderIntent] = []
        for token_id, price in wanted.items():
            book = view.books.get(token_id)
            resting = [(cid, o) for cid, o in view.working.items() if o.intent.token_id == token_id]
            if resting:
                for cid, order in resting:
                    if price is None or abs(order.intent.limit_price - price) >= tick * params.requote_ticks:
                        cancels.append(cid)
                continue
            ask = book.best_ask if book is not None else None
            if price is None or not tick <= price <= ONE - tick or ask is None or dec(ask) <= price:
                continue  # one-sided inventory, off the grid, or it would cross and take
            reason = (f"market making: quoting {token_id == yes.token_id and yes.outcome or no.outcome} at {price} "
                      f"(mid {mid * 100:.1f}¢, half-spread {half * 100:.1f}¢, inventory {inventory} YES)")
            intents.append(OrderIntent(NAME, market.market_id, token_id, Side.BUY, params.quote_shares, price,
                                       OrderType.GTC, Purpose.ENTRY, reason, view.now_ms,
                                       f"{NAME}:{token_id}:{view.now_ms}"))
        if not cancels and not intents:
            return None
        return Proposal(market, yes.token_id, Direction.UP, mid, 0.0, (Layer("half_spread", half, params.min_half_spread, True),),
                        f"quotes around {mid * 100:.1f}¢", tuple(intents), cancels=tuple(cancels), record=False)


STRATEGY = MarketMaker
