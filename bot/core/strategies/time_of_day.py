"""time_of_day: trade a market's recurring hour-of-day drift, learned from the prices it has seen.

For each market's YES token the strategy remembers, per UTC hour of day, how much the mid moved
from the first price seen in that hour to the last. When a new hour starts and that hour has at
least ``min_days`` observations whose average drift is beyond ``threshold`` and at least
``min_agreement`` of them went the same way, it buys YES (upward drift) or NO (downward) and sells
at the first price of the next hour. The engine's stop and target exits stay on as a safety net.
The hour comes from the event time, so a replay learns and trades exactly as the live run did.
At startup the bot also hands it the stored 1-minute bars of the last ``MAX_DAYS`` days
(``wiring.recover``), so a restart does not mean ``min_days`` of watching again. The store keeps a
tick only when the book changed, so an hour in which nothing moved leaves no bar and is missing
from that history (live, it would count as a flat day).
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.features import hour_of_day
from bot.core.strategies.base import Proposal, View, buy_intent
from bot.domain.orders import OrderType
from bot.domain.signals import Direction, Layer

NAME = "time_of_day"
HOUR_MS = 3_600_000
MAX_DAYS = 60  # drifts remembered per hour of day: recent behaviour, and memory stays bounded


class TimeOfDay:
    name = NAME
    generic_exits = True
    stacks_in_market = False

    def __init__(self) -> None:
        self.hour: dict[str, tuple[int, float, float]] = {}  # token -> (hour index, first mid, last mid)
        self.drifts: dict[str, list[list[float]]] = {}  # token -> 24 lists of past drifts of that hour

    def learn_history(self, hours: Iterable[tuple[str, int, float, float]]) -> int:
        """Learn from stored history (token, hour index, first mid, last mid), oldest first, so a
        restart does not have to watch ``min_days`` days again. Returns the hours learned."""
        learned = 0
        for token_id, index, first, last in hours:
            self._remember(token_id, index, last - first)
            learned += 1
        return learned

    def _remember(self, token_id: str, index: int, drift: float) -> None:
        past = self.drifts.setdefault(token_id, [[] for _ in range(24)])[index % 24]
        past.append(drift)
        if len(past) > MAX_DAYS:
            del past[0]

    def decide(self, view: View) -> list[Proposal]:
        params = view.settings.strategies.time_of_day
        index = view.now_ms // HOUR_MS
        held = {p.market_id: t for t, p in view.positions.items()}
        busy = {o.intent.market_id for o in view.working.values()}
        primaries = {view.market_of[t].primary.token_id for t in view.positions if t in view.market_of}
        out: list[Proposal] = []
        if len(self.hour) > 2 * len(view.markets) + 16:  # forget markets the engine has dropped
            self.hour = {t: h for t, h in self.hour.items() if t in view.market_of}
            self.drifts = {t: d for t, d in self.drifts.items() if t in view.market_of}
        for token_id in sorted(view.changed | primaries):
            market = view.market_of.get(token_id)
            mid = view.mid(token_id)
            if market is None or market.primary.token_id != token_id or mid is None:
                continue
            seen = self.hour.get(token_id)
            if seen is not None and seen[0] == index:
                self.hour[token_id] = (index, seen[1], mid)
                continue
            self.hour[token_id] = (index, mid, mid)
            if seen is not None and seen[0] == index - 1:  # a whole hour watched: learn its drift
                self._remember(token_id, seen[0], seen[2] - seen[1])
            drifts = self.drifts.setdefault(token_id, [[] for _ in range(24)])
            if market.market_id in held:
                out.append(Proposal(market, token_id, Direction.UP, mid, 0.0, (Layer("hour", index % 24, 0, True),),
                                    f"the {int(hour_of_day(view.now_ms)):02d}:00 UTC hour began: the last hour's trade ends",
                                    closes=(held[market.market_id],)))
                continue
            past = drifts[index % 24]
            if len(past) < params.min_days or market.market_id in view.inactive or market.market_id in busy:
                continue
            mean = sum(past) / len(past)
            agree = sum(1 for d in past if d * mean > 0) / len(past)
            if abs(mean) < params.threshold or agree < params.min_agreement:
                continue
            up = mean > 0
            target = market.primary if up else market.tokens[1]
            sentence = (f"in the {index % 24:02d}:00 UTC hour {market.primary.outcome} moved {mean * 100:+.1f}¢ on average "
                        f"over {len(past)} past days ({agree * 100:.0f}% the same way): buying {target.outcome} for the hour")
            intent, problem = buy_intent(NAME, market, target.token_id, view.books.get(target.token_id), params.trade_usd,
                                         view.settings.execution.max_slippage_ticks,
                                         OrderType(view.settings.execution.entry_order_type), sentence, view.now_ms)
            out.append(Proposal(market, token_id, Direction.UP if up else Direction.DOWN, mid, mean,
                                (Layer("hour_drift", mean, params.threshold, True),
                                 Layer("agreement", agree, params.min_agreement, True)),
                                sentence, (intent,) if intent else (), True, problem))
        return out


STRATEGY = TimeOfDay
