"""market_maker: rests quotes on both sides, fills only on trade-through, re-quotes, respects inventory."""

from __future__ import annotations

from decimal import Decimal

from bot.domain.book import Book
from bot.domain.events import BookUpdate
from tests.builders import T0, list_market, market, yes_no_books
from tests.core.strategies.helpers import runner_for


def _calm(runner, m, n, start, mid=0.50):  # type: ignore[no-untyped-def]
    ts = start
    for _ in range(n):
        ts += 1000
        runner.run_cycle(ts, yes_no_books(m, round(mid - 0.01, 2), round(mid + 0.01, 2), ts))
    return ts


def test_quotes_rest_on_both_sides_and_fill_only_when_traded_through() -> None:
    runner = runner_for("market_maker", vol_window_points=5, min_half_spread=0.02, quote_shares=Decimal(5))
    m = market()
    list_market(runner, m)
    ts = _calm(runner, m, 6, T0)
    resting = {o.intent.token_id: o.intent.limit_price for o in runner.executor.open_orders()}
    assert resting == {"m1-yes": Decimal("0.48"), "m1-no": Decimal("0.48")}  # YES bid 0.48, YES offer 0.52
    assert not runner.engine.portfolio.positions
    # A trade at 0.48 (at our price) is not enough; a trade at 0.47 is through it.
    ts += 1000
    yes, no = m.tokens
    runner.run_cycle(ts, [BookUpdate(ts, Book(yes.token_id, ts, ((0.49, 500.0),), ((0.51, 500.0),)), 0.48)])
    assert not runner.engine.portfolio.positions
    ts += 1000
    runner.run_cycle(ts, [BookUpdate(ts, Book(yes.token_id, ts, ((0.49, 500.0),), ((0.51, 500.0),)), 0.47)])
    position = runner.engine.portfolio.positions["m1-yes"]
    assert position.shares == Decimal(5) and position.strategy == "market_maker"


def test_a_moved_mid_cancels_and_replaces_the_quote() -> None:
    runner = runner_for("market_maker", vol_window_points=5, min_half_spread=0.02, vol_multiplier=0.0)
    m = market()
    list_market(runner, m)
    ts = _calm(runner, m, 6, T0)
    first = {o.client_order_id for o in runner.executor.open_orders()}
    ts = _calm(runner, m, 2, ts, mid=0.60)
    now = {o.intent.token_id: o.intent.limit_price for o in runner.executor.open_orders()}
    assert not first & {o.client_order_id for o in runner.executor.open_orders()}, "old quotes were cancelled"
    assert now == {"m1-yes": Decimal("0.58"), "m1-no": Decimal("0.38")}


def test_inventory_limit_stops_the_side_that_would_add_to_it() -> None:
    runner = runner_for("market_maker", vol_window_points=5, min_half_spread=0.02, max_inventory_shares=Decimal(5))
    m = market()
    list_market(runner, m)
    ts = _calm(runner, m, 6, T0) + 1000
    yes = m.tokens[0]
    runner.run_cycle(ts, [BookUpdate(ts, Book(yes.token_id, ts, ((0.49, 500.0),), ((0.51, 500.0),)), 0.47)])
    _calm(runner, m, 2, ts)
    sides = {o.intent.token_id for o in runner.executor.open_orders()}
    assert sides == {"m1-no"}, "holding 5 YES (the limit): only the NO quote that works it off remains"


def test_switching_it_off_pulls_its_quotes() -> None:
    runner = runner_for("market_maker", vol_window_points=5)
    m = market()
    list_market(runner, m)
    ts = _calm(runner, m, 6, T0)
    assert runner.executor.open_orders()
    settings = runner.engine.settings
    off = settings.strategies.market_maker.model_copy(update={"enabled": False})
    runner.engine.apply_settings(settings.model_copy(update={"strategies": settings.strategies.model_copy(
        update={"market_maker": off})}))
    _calm(runner, m, 1, ts)
    assert not runner.executor.open_orders()
