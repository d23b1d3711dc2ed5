"""The composition root: the one place that picks feed, clock, executor and storage by source and mode.

There is no ``if paper:`` inside the engine or an adapter: paper and live differ only in the
executor plugged in here, sim/replay/live only in the feed.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from bot.adapters.clock import WallClock
from bot.adapters.executors.paper import PaperExecutor
from bot.adapters.feeds.base import Feed
from bot.adapters.feeds.recording import load_recording
from bot.adapters.feeds.replay import ReplayFeed
from bot.adapters.feeds.sim import SimFeed
from bot.adapters.storage.commands import CommandInbox
from bot.adapters.storage.duckdb_store import Store
from bot.config.loader import PROJECT_ROOT
from bot.config.schema import ConfigError, Settings
from bot.core.engine import Engine
from bot.domain.orders import OrderStatus, OrderUpdate
from bot.runtime.runner import Runner

log = logging.getLogger("polybot.wiring")


def default_data_dir() -> Path:
    return Path(os.environ.get("POLYBOT_DATA_DIR") or PROJECT_ROOT / "data")


@dataclass
class Bot:
    settings: Settings
    source: str
    feed: Feed
    engine: Engine
    runner: Runner
    store: Store | None
    inbox: CommandInbox | None
    data_dir: Path | None


def make_feed(settings: Settings, source: str, start_ts_ms: int, replay_path: Path | None = None) -> Feed:
    cycle_ms = int(settings.runtime.cycle_s * 1000)
    if source == "sim":
        sim = settings.sim
        return SimFeed(sim.markets, sim.seed, start_ts_ms, cycle_ms, sim.jump_probability, sim.resolution_probability)
    if source == "replay":
        if replay_path is None:
            raise ConfigError("--source replay needs --replay PATH (a recording directory or ticks file)")
        return ReplayFeed(load_recording(replay_path), cycle_ms)
    raise ConfigError(f"source '{source}' is not available yet; use sim or replay")


def build(settings: Settings, source: str, data_dir: Path | None, *, replay_path: Path | None = None,
          start_ts_ms: int | None = None) -> Bot:
    """Assemble a bot. ``data_dir=None`` builds an in-memory bot (tests, benchmarks, backtests)."""
    if settings.mode == "live":
        raise ConfigError("mode: live is not available yet (it arrives with the live Polymarket issue); use mode: paper")
    start = start_ts_ms if start_ts_ms is not None else WallClock().now_ms() // 1000 * 1000
    feed = make_feed(settings, source, start, replay_path)
    engine = Engine(settings)
    executor = PaperExecutor(settings.execution.latency_ms)
    store = inbox = None
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        store = Store(data_dir / "polybot.duckdb", settings.storage.duckdb_memory_limit_mb, settings.storage.duckdb_threads)
        inbox = CommandInbox(data_dir)
        recover(engine, store)
    runner = Runner(engine, executor, store)
    return Bot(settings, source, feed, engine, runner, store, inbox, data_dir)


def recover(engine: Engine, store: Store) -> None:
    """Startup is recovery: rebuild cash, positions, stops, streaks and pause state from the store."""
    for order, status, filled in store.load_orders():
        if not status.is_terminal:
            # A paper order the crash caught in flight never reached a book that remembers it.
            store.record_order_update(OrderUpdate(order.client_order_id, OrderStatus.CANCELLED, filled,
                                                  "the bot restarted before this paper order finished", order.ts_ms))
    last = store.last_command_state()
    fills = store.load_fills()
    engine.restore(
        markets=store.load_markets(), fills=fills, plans=store.load_position_meta(),
        paused=last is not None and last.value == "pause",
        entries_stopped=last is not None and last.value == "stop_entry",
        peak_equity=store.peak_equity() if hasattr(store, "peak_equity") else None,
    )
    if fills:
        log.info("recovered %d fills: cash %s, %d open positions", len(fills), engine.portfolio.cash,
                 len(engine.portfolio.positions))
