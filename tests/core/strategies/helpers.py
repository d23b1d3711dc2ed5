"""Shared scenario helpers for strategy tests: one strategy on, spike_hunter off, loose limits."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.config.schema import Exits, Risk, Settings, SpikeHunter, Strategies
from bot.domain.book import Book
from bot.domain.events import BookUpdate
from bot.domain.market import Market
from bot.runtime.runner import Runner
from tests.builders import T0, list_market, make_runner, yes_no_books


def only(name: str, exits: Exits | None = None, **params: Any) -> Settings:
    """Settings with just ``name`` enabled (plus its params) and risk loose enough to see it trade."""
    blocks: dict[str, Any] = {"spike_hunter": SpikeHunter(enabled=False)}
    field = Strategies.model_fields[name].annotation
    blocks[name] = field(enabled=True, **params)  # type: ignore[misc, operator]
    return Settings(strategies=Strategies(**blocks), exits=exits or Exits(),
                    risk=Risk(cooldown_s=0, max_open_trades=10, max_position_usd=Decimal(10)))


def runner_for(name: str, **params: Any) -> Runner:
    return make_runner(only(name, **params))


def books(m: Market, yes: tuple[float, float], no: tuple[float, float], ts: int, size: float = 500.0,
          trade: float | None = None) -> list[BookUpdate]:
    """Top-of-book YES and NO books with independent asks (so YES ask + NO ask can be < 1)."""
    y, n = m.tokens
    return [BookUpdate(ts, Book(y.token_id, ts, ((yes[0], size),), ((yes[1], size),)), trade),
            BookUpdate(ts, Book(n.token_id, ts, ((no[0], size),), ((no[1], size),)))]


def calm_then_dip(runner: Runner, m: Market) -> int:
    """List ``m``, 25 calm cycles around 50¢, then a dip that mean_reversion (window 20) buys
    around 0.46-0.49; returns the time of the dip."""
    list_market(runner, m)
    ts = T0
    for i in range(25):
        ts += 1000
        c = 0.50 + (0.01 if i % 2 else -0.01)
        runner.run_cycle(ts, yes_no_books(m, round(c - 0.01, 2), round(c + 0.01, 2), ts))
    ts += 1000
    runner.run_cycle(ts, yes_no_books(m, 0.44, 0.46, ts))
    return ts
