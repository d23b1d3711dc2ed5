"""time_of_day: learns each hour's usual drift, trades it for the hour, ignores hours without one."""

from __future__ import annotations

from bot.config.schema import Exits
from bot.runtime.runner import Runner
from tests.builders import T0, list_market, make_runner, market, yes_no_books
from tests.core.strategies.helpers import only

DAY, HOUR = 86_400_000, 3_600_000
MIDNIGHT = (T0 // DAY + 1) * DAY
LOOSE = Exits(take_profit_pct=90, stop_loss_pct=90, atr_stop=20, atr_profit=20, trailing_stop=False, max_hold_s=86_400)


def _days(runner: Runner, m, days: int, start_day: int = 0) -> list[tuple[int, set[str]]]:  # type: ignore[no-untyped-def]
    """Half-hourly books; the 10:00 UTC hour rises 3¢ every day, every other hour is flat at 50¢.
    Returns (time, open positions) after every cycle."""
    seen = []
    for day in range(start_day, start_day + days):
        for half in range(48):
            ts = MIDNIGHT + day * DAY + half * HOUR // 2
            bid = 0.52 if half == 21 else 0.49  # 10:30 quotes 52/54 (mid 53¢), else 49/51 (mid 50¢)
            runner.run_cycle(ts, yes_no_books(m, bid, round(bid + 0.02, 2), ts))
            seen.append((ts, set(runner.engine.portfolio.positions)))
    return seen


def test_a_recurring_hourly_rise_is_bought_at_the_hour_and_sold_at_the_next() -> None:
    runner = make_runner(only("time_of_day", exits=LOOSE, min_days=3, threshold=0.01))
    m = market()
    list_market(runner, m, MIDNIGHT - 1000)
    learning = _days(runner, m, 3)
    assert all(not held for _, held in learning)  # fewer than min_days of history: stays out
    trading = _days(runner, m, 1, start_day=3)
    held_at = {(ts - MIDNIGHT) % DAY // (HOUR // 2): held for ts, held in trading}
    assert held_at[20] == {"m1-yes"} and held_at[21] == {"m1-yes"}  # 10:00 and 10:30
    assert all(not held for half, held in held_at.items() if half not in (20, 21))  # sold at 11:00
    signal = next(s for s in runner.engine.recent_signals if s.strategy == "time_of_day" and "moved" in s.reason)
    assert "10:00 UTC hour" in signal.reason and "+3.0¢" in signal.reason
    assert runner.engine.recent_trades[0].strategy == "time_of_day"


def test_an_hour_whose_drift_flips_day_to_day_is_left_alone() -> None:
    runner = make_runner(only("time_of_day", exits=LOOSE, min_days=3, threshold=0.01, min_agreement=0.7))
    m = market()
    list_market(runner, m, MIDNIGHT - 1000)
    for day in range(6):
        for half in range(48):
            ts = MIDNIGHT + day * DAY + half * HOUR // 2
            up = day % 2 == 0
            bid = (0.52 if up else 0.46) if half == 21 else 0.49  # 10:00 hour: +3¢, -3¢, +3¢, ...
            runner.run_cycle(ts, yes_no_books(m, bid, round(bid + 0.02, 2), ts))
            assert not runner.engine.portfolio.positions


def test_a_restart_learns_the_hours_from_the_stored_bars_and_trades_at_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.adapters.executors.paper import PaperExecutor
    from bot.adapters.storage.duckdb_store import Store
    from bot.core.engine import Engine
    from bot.wiring import recover

    settings = only("time_of_day", exits=LOOSE, min_days=3, threshold=0.01)
    m = market()
    store = Store(tmp_path / "polybot.duckdb")
    store.record_market(m)
    for day in range(3):  # a changed book every minute; the 10:00 UTC hour climbs 3¢ every day
        for hour in range(24):
            updates = []
            for minute in range(60):
                ts = MIDNIGHT + day * DAY + hour * HOUR + minute * 60_000
                bid = 0.49 + (0.03 * minute / 59 if hour == 10 else 0.001 * (minute % 2))
                updates.append(yes_no_books(m, round(bid, 4), round(bid + 0.02, 4), ts)[0])
            store.record_ticks(updates)
    moves = store.hourly_moves(60)
    assert len(moves) == 3 * 24 - 1  # the last hour may still be running: not learned
    assert all(abs((last - first) - (0.03 if hour % 24 == 10 else 0.001)) < 1e-9 for _, hour, first, last in moves)

    runner = Runner(Engine(settings), PaperExecutor(), store=store)
    recover(runner.engine, store)
    strategy = runner.engine.strategies["time_of_day"]
    assert len(strategy.drifts["m1-yes"][10]) == 3
    ts = MIDNIGHT + 3 * DAY + 10 * HOUR  # day 4, 10:00: no fresh watching needed
    runner.run_cycle(ts, yes_no_books(m, 0.49, 0.51, ts))
    assert set(runner.engine.portfolio.positions) == {"m1-yes"}
    store.close()
