"""The engine end to end on hand-built markets: spike -> signal -> risk -> paper fill -> exit."""

from __future__ import annotations

from decimal import Decimal

from bot.config.schema import Money, Risk, Settings, SpikeHunter, Strategies
from bot.domain.events import Command, CommandKind, Resolution
from bot.domain.money import ZERO
from bot.domain.orders import Purpose, Side
from bot.domain.signals import Decision
from tests.builders import T0, flat, list_market, make_runner, market, yes_no_books


def spike(runner, m, ts, bid=0.57, ask=0.59):  # type: ignore[no-untyped-def]
    return runner.run_cycle(ts, yes_no_books(m, bid, ask, ts))


def spiked(settings: Settings | None = None, fee_rate: str = "0", bid: float = 0.57, ask: float = 0.59):  # type: ignore[no-untyped-def]
    """A market that was calm for 30 s and then spiked: returns (runner, market, spike time)."""
    runner = make_runner(settings)
    m = market(fee_rate=fee_rate)
    list_market(runner, m)
    ts = flat(runner, m, 30) + 1000
    spike(runner, m, ts, bid, ask)
    return runner, m, ts


def test_a_spike_up_on_yes_is_faded_by_buying_no() -> None:
    runner, m, ts = spiked(fee_rate="0.05")
    engine = runner.engine
    signal = engine.recent_signals[0]
    assert signal.decision is Decision.TRADED
    assert [layer.passed for layer in signal.layers] == [True, True, True, True]
    position = engine.portfolio.positions["m1-no"]  # the complement: you cannot short YES
    assert position.market_id == "m1"
    # 0.43 is the NO ask that mirrors the 0.57 YES bid; the fee is paid in shares.
    assert position.entry_price > Decimal("0.43")
    assert position.shares < Decimal(5) or position.shares < position.cost_usd / Decimal("0.43")
    assert "Bought No at" in position.entry_reason and "CUSUM" in position.entry_reason
    assert "jumped" in signal.reason and "> 0.030" in signal.reason


def test_follow_mode_buys_the_token_that_moved() -> None:
    settings = Settings(strategies=Strategies(spike_hunter=SpikeHunter(direction="follow")),
                        money=Money(max_trade_usd=Decimal(5)), risk=Risk(max_position_usd=Decimal(5)))
    runner, m, ts = spiked(settings)
    assert list(runner.engine.portfolio.positions) == ["m1-yes"]


def test_a_spike_too_dear_for_the_minimum_size_is_skipped_and_explained() -> None:
    settings = Settings(strategies=Strategies(spike_hunter=SpikeHunter(direction="follow")))
    runner, m, ts = spiked(settings)
    assert not runner.engine.portfolio.positions
    assert "5-share minimum at 0.62 would cost more than the $3 trade limit" in runner.engine.recent_signals[0].reason


def test_a_drop_is_bought_when_fading() -> None:
    runner, m, ts = spiked(bid=0.41, ask=0.43)
    assert list(runner.engine.portfolio.positions) == ["m1-yes"]


def test_take_profit_closes_the_trade_with_a_gain_and_explains_it() -> None:
    runner, m, ts = spiked()
    ts += 1000
    runner.run_cycle(ts, yes_no_books(m, 0.49, 0.51, ts))  # the overreaction fades: NO bid back to 0.49
    engine = runner.engine
    assert not engine.portfolio.positions
    trade = engine.recent_trades[0]
    assert trade.pnl_usd > 0
    assert "take profit" in trade.exit_reason and "Sold No at 49¢" in trade.exit_reason
    assert engine.portfolio.cash == Decimal(75) + trade.pnl_usd


def test_stop_loss_when_the_spike_keeps_going() -> None:
    runner, m, ts = spiked()
    ts += 1000
    runner.run_cycle(ts, yes_no_books(m, 0.65, 0.67, ts))  # YES keeps rising: NO bid falls to 0.33
    trade = runner.engine.recent_trades[0]
    assert trade.pnl_usd < 0 and "stop loss" in trade.exit_reason
    assert runner.engine.portfolio.consecutive_losses == 1


def test_settlement_pays_the_winner_and_zeroes_the_loser() -> None:
    runner, m, ts = spiked()
    engine = runner.engine
    position = engine.portfolio.positions["m1-no"]
    ts += 1000
    runner.run_cycle(ts, [Resolution(ts, "m1", (("m1-yes", Decimal(1)), ("m1-no", Decimal(0))))])
    assert not engine.portfolio.positions
    trade = engine.recent_trades[0]
    assert trade.pnl_usd == -position.cost_usd
    assert "No lost and paid nothing" in trade.exit_reason
    assert engine.portfolio.cash == Decimal(75) - position.cost_usd


def test_void_resolution_pays_half() -> None:
    runner, m, ts = spiked()
    shares = runner.engine.portfolio.positions["m1-no"].shares
    ts += 1000
    runner.run_cycle(ts, [Resolution(ts, "m1", (("m1-yes", Decimal("0.5")), ("m1-no", Decimal("0.5"))))])
    assert runner.engine.portfolio.cash == Decimal(75) + runner.engine.recent_trades[0].pnl_usd
    assert runner.engine.recent_trades[0].proceeds_usd == shares * Decimal("0.5")


def test_pause_refuses_entries_with_a_reason_and_resume_allows_them() -> None:
    runner = make_runner()
    m = market()
    list_market(runner, m)
    ts = flat(runner, m, 30) + 1000
    runner.run_cycle(ts, [], [Command(ts, "c1", CommandKind.PAUSE)])
    assert runner.engine.paused
    ts += 1000
    spike(runner, m, ts)
    signal = runner.engine.recent_signals[0]
    assert signal.decision is Decision.REFUSED and "paused" in signal.reason.lower()
    assert not runner.engine.portfolio.positions
    ts = flat(runner, m, 30, start_ms=ts) + 1000
    runner.run_cycle(ts, [], [Command(ts, "c2", CommandKind.RESUME)])
    spike(runner, m, ts + 1000)
    assert runner.engine.portfolio.positions


def test_manual_order_and_close_position_commands() -> None:
    runner = make_runner()
    m = market()
    list_market(runner, m)
    ts = flat(runner, m, 5) + 1000
    runner.run_cycle(ts, [], [Command(ts, "manual-1", CommandKind.MANUAL_ORDER,
                                      (("market_id", "m1"), ("token_id", "m1-yes"), ("side", "BUY"), ("usd", "3")))])
    engine = runner.engine
    position = engine.portfolio.positions["m1-yes"]
    assert position.strategy == "manual" and position.shares == Decimal("5.55")  # $3 / 0.54 (ask + 3 ticks), floored
    assert engine.commands_done[0].ok
    ts += 1000
    runner.run_cycle(ts, [], [Command(ts, "close-1", CommandKind.CLOSE_POSITION, (("token_id", "m1-yes"),))])
    assert not engine.portfolio.positions
    assert "you asked to close it" in engine.recent_trades[0].exit_reason


def test_a_repeated_command_id_cannot_place_a_second_order() -> None:
    runner = make_runner()
    m = market()
    list_market(runner, m)
    ts = flat(runner, m, 5) + 1000
    args = (("market_id", "m1"), ("token_id", "m1-yes"), ("side", "BUY"), ("usd", "3"))
    runner.run_cycle(ts, [], [Command(ts, "same", CommandKind.MANUAL_ORDER, args)])
    ts += 1000
    first = runner.engine.portfolio.positions["m1-yes"].shares
    runner.run_cycle(ts, [], [Command(ts, "same", CommandKind.MANUAL_ORDER, args)])
    # The second try is refused by risk (already holding) and would map to the same client order id anyway.
    assert runner.engine.portfolio.positions["m1-yes"].shares == first


def test_max_open_trades_is_respected_across_markets() -> None:
    runner = make_runner()
    markets = [market(f"m{i}") for i in range(3)]
    for m in markets:
        list_market(runner, m)
    ts = T0
    for _ in range(30):
        ts += 1000
        runner.run_cycle(ts, [u for m in markets for u in yes_no_books(m, 0.49, 0.51, ts)])
    ts += 1000
    runner.run_cycle(ts, [u for m in markets for u in yes_no_books(m, 0.57, 0.59, ts)])
    engine = runner.engine
    assert len(engine.portfolio.positions) == 2
    refused = [s for s in engine.recent_signals if s.decision is Decision.REFUSED]
    assert refused and "2 of 2 trades open" in refused[0].reason


def test_circuit_breaker_trips_after_consecutive_losses() -> None:
    settings = Settings()
    settings = settings.model_copy(update={"risk": settings.risk.model_copy(update={"cooldown_s": 0,
                                                                                     "max_daily_loss_usd": Decimal(50)})})
    runner = make_runner(settings)
    m = market()
    list_market(runner, m)
    ts = T0
    for _ in range(3):
        ts = flat(runner, m, 30, start_ms=ts) + 1000
        spike(runner, m, ts)
        ts += 1000
        runner.run_cycle(ts, yes_no_books(m, 0.65, 0.67, ts))  # stop loss
        ts += 1000
        runner.run_cycle(ts, yes_no_books(m, 0.49, 0.51, ts))
    engine = runner.engine
    assert engine.portfolio.consecutive_losses >= 3 or engine.breaker_until_ms is not None
    assert engine.breaker_until_ms is not None and engine.breaker_until_ms > ts
    ts = flat(runner, m, 30, start_ms=ts) + 1000
    spike(runner, m, ts)
    assert "Circuit breaker" in engine.recent_signals[0].reason
    assert any(n.kind == "risk" and "Circuit breaker tripped" in n.text for n in runner.notifications)


def test_fills_drive_cash_exactly() -> None:
    runner, m, ts = spiked(fee_rate="0.072")
    ts += 1000
    runner.run_cycle(ts, yes_no_books(m, 0.49, 0.51, ts))
    trade = runner.engine.recent_trades[0]
    assert trade.fees_usd > ZERO
    assert runner.engine.portfolio.cash == Decimal(75) + trade.pnl_usd
    assert trade.pnl_usd == trade.proceeds_usd - trade.cost_usd


def test_unknown_tokens_and_crossed_books_are_dropped_and_counted() -> None:
    from bot.domain.book import Book
    from bot.domain.events import BookUpdate

    runner = make_runner()
    m = market()
    list_market(runner, m)
    ts = T0 + 1000
    runner.run_cycle(ts, [BookUpdate(ts, Book("nope", ts, ((0.4, 10),), ((0.6, 10),))),
                          BookUpdate(ts, Book("m1-yes", ts, ((0.6, 10),), ((0.5, 10),)))])
    assert runner.engine.dropped == {"unknown_token": 1, "bad_book": 1}
    assert runner.engine.tokens["m1-yes"].book is None


def test_exit_orders_are_sells_of_what_is_held() -> None:
    runner, m, ts = spiked()
    held = runner.engine.portfolio.positions["m1-no"].shares
    ts += 1000
    sells: list = []
    original = runner.executor.submit

    def spy(order, mkt, now_ms):  # type: ignore[no-untyped-def]
        sells.append(order)
        return original(order, mkt, now_ms)

    runner.executor.submit = spy  # type: ignore[method-assign]
    runner.run_cycle(ts, yes_no_books(m, 0.49, 0.51, ts))
    assert sells and sells[0].intent.side is Side.SELL and sells[0].intent.purpose is Purpose.EXIT
    assert sells[0].intent.shares == held.quantize(Decimal("0.01"), rounding="ROUND_DOWN")
