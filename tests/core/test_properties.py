"""Properties over random event streams: no risk limit is ever exceeded and the books balance.

Hypothesis drives two markets through random walks with jumps, spreads and commands; a spy on
the executor sees every order. After every cycle the account must reconcile with its fills to
the cent, and no order may ever have broken a limit when it was sent.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.executors.paper import PaperExecutor
from bot.config.schema import Detection, Money, Risk, Settings
from bot.core.engine import Engine
from bot.domain.events import Command, CommandKind, MarketListed, Resolution
from bot.domain.orders import Fill, Purpose, Side
from bot.runtime.runner import Runner
from tests.builders import T0, market, yes_no_books

LIMITS = Risk(max_daily_loss_usd=Decimal(3), max_position_usd=Decimal(4), max_open_trades=1, cooldown_s=5,
              breaker_consecutive_losses=2, breaker_pause_s=20, max_capital_per_market_usd=Decimal(4))
SETTINGS = Settings(detection=Detection(warmup_points=5, ewma_span=5), money=Money(max_trade_usd=Decimal(4)),
                    risk=LIMITS)

step = st.tuples(
    st.integers(-12, 12), st.integers(-12, 12),  # mid moves of the two markets, in ticks
    st.integers(1, 3),  # half spread in ticks
    st.sampled_from(["", "", "", "", "", "", "pause", "resume", "flatten", "resolve0", "resolve1"]),
)


class SpyExecutor(PaperExecutor):
    def __init__(self) -> None:
        super().__init__(0)
        self.sent: list = []
        self.engine: Engine | None = None

    def submit(self, order, market, now_ms):  # type: ignore[no-untyped-def]
        engine = self.engine
        assert engine is not None
        intent = order.intent
        if intent.side is Side.BUY and intent.purpose is not Purpose.EXIT:
            p = engine.portfolio
            # Checked against the account as it stood when the order left.
            assert intent.notional_usd <= LIMITS.max_position_usd
            assert len(p.positions) < LIMITS.max_open_trades
            assert not engine.paused and not engine.kill_switch
            assert engine.breaker_until_ms is None or now_ms >= engine.breaker_until_ms
            _, unrealised = p.marks(engine.bids_of_positions())
            assert -(p.today.realised + min(unrealised, Decimal(0))) < LIMITS.max_daily_loss_usd
            assert p.exposure_by_market().get(intent.market_id, Decimal(0)) + intent.notional_usd \
                <= LIMITS.max_capital_per_market_usd
            last = p.last_entry_ms.get(intent.market_id)
            assert last is None or now_ms - last >= LIMITS.cooldown_s * 1000
            assert intent.notional_usd <= p.cash
        self.sent.append(order)
        return super().submit(order, market, now_ms)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=20, max_size=160))
def test_limits_hold_and_money_reconciles_over_random_streams(steps: list) -> None:
    engine = Engine(SETTINGS)
    executor = SpyExecutor()
    executor.engine = engine
    booked: list[Fill] = []
    runner = Runner(engine, executor, on_fill=booked.append)
    markets = [market("a", fee_rate="0.072"), market("b", fee_rate="0.03")]
    ts = T0
    runner.run_cycle(ts, [MarketListed(ts, m) for m in markets])
    mids = [50, 50]
    live = {"a", "b"}
    # Every stream opens with a calm spell and a clean spike, so each example trades at least once.
    opening = [(1 if i % 2 else -1, 0, 1, "") for i in range(8)] + [(9, 0, 1, "")]
    for n, (move_a, move_b, half, action) in enumerate(opening + steps):
        ts += 1000
        mids = [min(95, max(5, mids[0] + move_a)), min(95, max(5, mids[1] + move_b))]
        events = []
        for m, mid in zip(markets, mids, strict=True):
            if m.market_id in live:
                events += yes_no_books(m, (mid - half) / 100, (mid + half) / 100, ts, size=80.0)
        commands = []
        if action in ("pause", "resume", "flatten"):
            commands.append(Command(ts, f"c{n}", CommandKind(action)))
        elif action.startswith("resolve") and "a" in live:
            live.discard("a")
            winner = int(action[-1])
            events.append(Resolution(ts, "a", (("a-yes", Decimal(winner)), ("a-no", Decimal(1 - winner)))))
        runner.run_cycle(ts, events, commands)
        p = engine.portfolio
        all_fills = booked
        # Cash is exactly the starting stake plus every fill's cash movement.
        assert p.cash == SETTINGS.money.starting_capital_usd + sum((f.cash_delta for f in all_fills), Decimal(0))
        assert p.cash >= 0
        assert p.fees_total == sum((f.fee_usd for f in all_fills), Decimal(0))
        # Open positions hold exactly the shares their fills delivered.
        for token_id, position in p.positions.items():
            delivered = sum((f.shares_received for f in all_fills if f.token_id == token_id
                             and f.ts_ms >= position.opened_ts_ms), Decimal(0))
            assert position.shares == delivered
        # Cash plus open cost equals the stake plus realised P&L, to the cent.
        open_cost = sum((pos.cost_usd for pos in p.positions.values()), Decimal(0))
        assert abs(p.cash + open_cost - (SETTINGS.money.starting_capital_usd + p.realised_total)) < Decimal("0.01")
        assert len(p.positions) <= LIMITS.max_open_trades

    assert executor.sent, "the stream never traded: the property was not exercised"
