"""Shared scenario helpers for strategy tests: one strategy on, spike_hunter off, loose limits."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.config.schema import Exits, Risk, Settings, SpikeHunter, Strategies
from bot.domain.book import Book
from bot.domain.events import BookUpdate
from bot.domain.market import Market
from bot.runtime.runner import Runner
from tests.builders import make_runner


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
