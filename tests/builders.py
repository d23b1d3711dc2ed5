"""Hand-built markets, books and event streams for tests: small, explicit, no randomness."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from ruamel.yaml import YAML

from bot.adapters.executors.paper import PaperExecutor
from bot.config.loader import DEFAULT_CONFIG_PATH
from bot.config.schema import Settings
from bot.core.engine import Engine
from bot.domain.book import Book
from bot.domain.events import BookUpdate, MarketListed
from bot.domain.market import Market, binary_market
from bot.runtime.runner import Runner

T0 = 1_800_000_000_000  # 2027-01-15, far from any day boundary surprises in short tests


def market(market_id: str = "m1", fee_rate: str = "0", end_ts_ms: int | None = None) -> Market:
    return binary_market(market_id, f"Will {market_id} happen?", (f"{market_id}-yes", f"{market_id}-no"),
                         fee_rate=Decimal(fee_rate), end_ts_ms=end_ts_ms)


def yes_no_books(m: Market, bid: float, ask: float, ts_ms: int, size: float = 500.0, levels: int = 3
                 ) -> list[BookUpdate]:
    """A YES book around bid/ask and the NO book that mirrors it (NO bid = 1 - YES ask)."""
    step = float(m.tick_size)
    yes_bids = tuple((round(bid - i * step, 4), size) for i in range(levels))
    yes_asks = tuple((round(ask + i * step, 4), size) for i in range(levels))
    no_bids = tuple((round(1 - p, 4), s) for p, s in yes_asks)
    no_asks = tuple((round(1 - p, 4), s) for p, s in yes_bids)
    yes, no = m.tokens
    return [BookUpdate(ts_ms, Book(yes.token_id, ts_ms, yes_bids, yes_asks)),
            BookUpdate(ts_ms, Book(no.token_id, ts_ms, no_bids, no_asks))]


def make_runner(settings: Settings | None = None) -> Runner:
    settings = settings or Settings()
    return Runner(Engine(settings), PaperExecutor(settings.execution.latency_ms))


def list_market(runner: Runner, m: Market, ts_ms: int = T0) -> None:
    runner.run_cycle(ts_ms, [MarketListed(ts_ms, m)])


def flat(runner: Runner, m: Market, cycles: int, start_ms: int = T0, mid: float = 0.50, half_spread: float = 0.01,
         wiggle: float = 0.002) -> int:
    """Feed ``cycles`` one-second cycles of a calm market; returns the next free timestamp."""
    ts = start_ms
    for i in range(cycles):
        ts += 1000
        centre = mid + (wiggle if i % 2 else -wiggle)
        runner.run_cycle(ts, yes_no_books(m, round(centre - half_spread, 4), round(centre + half_spread, 4), ts))
    return ts


BUSY = """
sim:
  markets: 60
risk:
  max_open_trades: 6
  cooldown_s: 0
  breaker_consecutive_losses: 100
  max_daily_loss_usd: 1000
  max_drawdown_pct: 100
exits:
  max_hold_s: 90
storage:
  snapshot_every_s: 1
"""


def busy_config(tmp_path: Path) -> Path:
    """config.yaml with limits loosened so a short sim run trades a lot (comments kept)."""
    yaml = YAML()
    base = yaml.load(DEFAULT_CONFIG_PATH.read_text())
    for section, values in yaml.load(BUSY).items():
        for key, value in values.items():
            base[section][key] = value
    path = tmp_path / "config.yaml"
    with path.open("w") as handle:
        yaml.dump(base, handle)
    return path


def wait_for(predicate: Callable[[], bool], timeout_s: float = 60.0) -> None:
    """Poll until ``predicate()`` holds (for tests that watch a running bot)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for the bot")


def sim_recording(path: Path, cycles: int = 900, markets: int = 40, seed: int = 11, volatility: float = 0.004) -> Path:
    """A seeded simulator run written in the recording format (for replays and backtests)."""
    from bot.adapters.feeds.recording import RecordingWriter
    from bot.adapters.feeds.sim import SimFeed

    feed = SimFeed(markets, seed, T0, 1000, volatility, 0.0)
    with RecordingWriter(path) as writer:
        for _ in range(cycles):
            cycle = feed.next_cycle()
            assert cycle is not None
            for event in cycle.events:
                if isinstance(event, MarketListed):
                    writer.add_market(event.market)
                elif isinstance(event, BookUpdate):
                    writer.append(event)
    return path
