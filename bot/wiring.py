"""The composition root: the one place that picks feed, clock, executor and storage by source and mode.

There is no ``if paper:`` inside the engine or an adapter: paper and live differ only in the
executor plugged in here, sim/replay/live only in the feed.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    if source == "live":
        from bot.adapters.feeds.live import LiveFeed  # network libraries load only for live runs

        return LiveFeed(settings, WallClock(), cycle_ms)
    raise ConfigError(f"source '{source}' is not available; use sim, replay or live")


def build(settings: Settings, source: str, data_dir: Path | None, *, replay_path: Path | None = None,
          start_ts_ms: int | None = None, confirm_live: bool = False, venue_factory: Any = None) -> Bot:
    """Assemble a bot. ``data_dir=None`` builds an in-memory bot (tests, benchmarks, backtests).
    Live mode passes every guard of ``bot.runtime.live_guards`` first, or nothing is built."""
    login = None
    if settings.mode == "live" or confirm_live:
        from bot.runtime.live_guards import check_live_guards

        login = check_live_guards(settings, confirm_live=confirm_live, source=source, data_dir=data_dir)
    start = start_ts_ms if start_ts_ms is not None else WallClock().now_ms() // 1000 * 1000
    feed = make_feed(settings, source, start, replay_path)
    engine = Engine(settings)
    from bot.ml.attach import attach_models  # ml_prediction's model file is loaded here, never in the core

    attach_models(engine, settings)
    executor = PaperExecutor(settings.execution.latency_ms) if login is None else \
        _live_executor(settings, engine, data_dir, login, venue_factory)
    store = inbox = None
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        store = Store(data_dir / "polybot.duckdb", settings.storage.duckdb_memory_limit_mb, settings.storage.duckdb_threads)
        inbox = CommandInbox(data_dir)
        recover(engine, store, executor if login is not None else None)
    runner = Runner(engine, executor, store)
    if hasattr(feed, "held"):  # the live feed keeps markets with open positions watched until they resolve
        feed.held = lambda: {p.market_id for p in engine.portfolio.positions.values()}
    if settings.runtime.record and data_dir is not None and source != "replay":
        from bot.adapters.feeds.tee import RecordingTee
        from bot.runtime.record import default_recording_dir

        feed = RecordingTee(feed, default_recording_dir(data_dir, start))
    return Bot(settings, source, feed, engine, runner, store, inbox, data_dir)


def _live_executor(settings: Settings, engine: Engine, data_dir: Path | None, login: tuple[str, str | None],
                   venue_factory: Any) -> Any:
    from bot.adapters.executors.live import Holdings, LiveExecutor
    from bot.adapters.executors.venue_ids import VenueIdMap
    from bot.runtime.live_guards import open_live_venue

    venue = open_live_venue(*login, factory=venue_factory)
    ids = VenueIdMap(data_dir / "live" / "venue_orders.jsonl" if data_dir is not None else None)

    def holdings() -> Holdings:
        p = engine.portfolio
        return Holdings(p.cash, {t: (pos.market_id, pos.shares) for t, pos in p.positions.items()})

    log.warning("LIVE TRADING: real orders go to Polymarket")
    return LiveExecutor(venue, settings.live, ids, holdings)


def recover(engine: Engine, store: Store, live: Any = None) -> None:
    """Startup is recovery: rebuild cash, positions, stops, streaks and pause state from the store.
    In live mode unfinished orders are handed to the live executor, which asks the venue about them."""
    stored = store.load_orders()
    for order, status, filled in stored if live is None else ():
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
    # A strategy that switched itself off stays off across a restart until the user presses Resume.
    engine.safety.disabled.update(store.strategies_disabled())
    time_of_day = engine.strategies.get("time_of_day")
    if time_of_day is not None and engine.settings.strategies.time_of_day.enabled:
        from bot.core.strategies.time_of_day import MAX_DAYS

        learned = time_of_day.learn_history(store.hourly_moves(MAX_DAYS))
        log.info("time_of_day learned %d past hours from the stored 1-minute bars", learned)
    if fills:
        log.info("recovered %d fills: cash %s, %d open positions", len(fills), engine.portfolio.cash,
                 len(engine.portfolio.positions))
    if live is not None:
        live.recover(stored, engine.markets)
