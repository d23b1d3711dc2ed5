"""Per-strategy safety: a strategy whose own loss or drawdown passes its limit switches itself off.

Each strategy's result is its closed trades' P&L plus its open positions marked at the best bid.
Crossing ``max_loss_usd`` (a loss) or ``max_drawdown_pct`` (a fall from its best result, as a
share of its ``max_capital_usd``) stops its new entries; its exits keep working. The decision is
journalled and notified once; Resume re-arms every strategy, counting from that moment.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.domain.actions import Action, Notify, NotifyKind, RecordJournal
from bot.domain.money import ZERO, dec, usd
from bot.domain.positions import ClosedTrade


class StrategySafety:
    def __init__(self) -> None:
        self.realised: dict[str, Decimal] = {}
        self.peak: dict[str, Decimal] = {}
        self.baseline: dict[str, Decimal] = {}  # result at the last Resume: losses count from there
        self.disabled: dict[str, str] = {}  # name -> why, in plain English

    @property
    def watching(self) -> bool:
        return bool(self.realised)

    def on_trade(self, trade: ClosedTrade) -> None:
        self.realised[trade.strategy] = self.realised.get(trade.strategy, ZERO) + trade.pnl_usd

    def results(self, engine: Any) -> dict[str, Decimal]:
        """Closed plus open P&L per strategy, open positions marked at the best bid."""
        out = dict(self.realised)
        for token_id, position in engine.portfolio.positions.items():
            state = engine.tokens.get(token_id)
            bid = state.book.best_bid if state is not None and state.book is not None else None
            value = position.shares * dec(bid) if bid is not None else ZERO
            out[position.strategy] = out.get(position.strategy, ZERO) + value - position.cost_usd
        return out

    def check(self, engine: Any, now_ms: int) -> list[Action]:
        actions: list[Action] = []
        for name, result in self.results(engine).items():
            params = getattr(engine.settings.strategies, name, None)
            if params is None or name in self.disabled:
                continue
            result -= self.baseline.get(name, ZERO)
            peak = max(self.peak.get(name, ZERO), result)
            self.peak[name] = peak
            fall_pct = float((peak - result) / params.max_capital_usd * 100)
            if -result >= params.max_loss_usd:
                why = (f"{name} switched itself off: it has lost {usd(-result)} (closed plus open), at its "
                       f"{usd(params.max_loss_usd)} limit.")
            elif fall_pct >= params.max_drawdown_pct:
                why = (f"{name} switched itself off: it fell {usd(peak - result)} below its best result, "
                       f"{fall_pct:.0f}% of its {usd(params.max_capital_usd)} capital (limit {params.max_drawdown_pct:.0f}%).")
            else:
                continue
            self.disabled[name] = why + " Its open trades still exit; press Resume to allow new ones."
            actions += [RecordJournal(now_ms, "strategy_disabled", self.disabled[name], name),
                        Notify(NotifyKind.RISK, self.disabled[name], now_ms)]
        return actions

    def resume(self, engine: Any) -> None:
        """Re-arm every strategy; losses and drawdowns count again from now."""
        self.disabled.clear()
        self.baseline = self.results(engine)
        self.peak.clear()
