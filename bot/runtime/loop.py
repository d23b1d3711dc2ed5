"""The real-time loop: pace cycles on the wall clock, publish the read model, obey commands.

Each cycle: take the feed's next cycle, pick up commands from the inbox, run it through the
Runner, write state.json (atomically), and every few seconds the Parquet snapshots. SIGTERM and
Ctrl-C finish the current cycle, publish a final state and close the store cleanly. Config file
changes are picked up live for the settings that are safe to change (detector and risk
thresholds); a bad edit is reported in state.json and the old settings stay in force.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import psutil

from bot.adapters.storage.state_file import write_json_atomic
from bot.config.loader import load_settings
from bot.config.schema import ConfigError, Settings
from bot.core.report import build_state
from bot.domain.events import Command, CommandKind
from bot.wiring import Bot

log = logging.getLogger("polybot.loop")

RETENTION_EVERY_S = 3600.0


class Loop:
    def __init__(self, bot: Bot, *, speed: float | None = 1.0, duration_s: float | None = None,
                 config_path: Path | None = None, profile: str | None = None) -> None:
        self.bot = bot
        self.speed = speed  # None or 0: as fast as possible
        self.duration_s = duration_s
        self.config_path = config_path
        self.profile = profile
        self.stop = threading.Event()
        self.started_ms = time.time_ns() // 1_000_000
        self.cycle_ms: deque[float] = deque(maxlen=600)
        self.cycles = 0
        self.events = 0
        self.config_error: str | None = None
        self._config_mtime = self._mtime()
        self._processed: set[str] = bot.store.processed_command_ids() if bot.store else set()
        self._process = psutil.Process()
        self._last_event_wall = time.monotonic()
        bot.runner.on_command_done = lambda done: self.on_command_done(done.command_id, done.ok, done.text)
        # Operations (bot/ops: health endpoint, backups, housekeeping) plug in here. A failing hook
        # is logged and never stops trading.
        self.publish_hooks: list[Callable[[dict[str, Any]], None]] = []  # may add to state before it is written
        self.cycle_hooks: list[Callable[[int], None]] = []  # after each cycle, with its market time
        self.command_hooks: dict[CommandKind, Callable[[Command], tuple[bool, str]]] = {}  # runtime-run commands

    def install_signal_handlers(self) -> None:
        def _stop(signum: int, _frame: Any) -> None:
            log.info("signal %s: finishing the current cycle and stopping", signum)
            self.stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)

    # -- the loop ------------------------------------------------------------------------------
    def run(self) -> int:
        bot = self.bot
        interval = bot.settings.runtime.cycle_s / self.speed if self.speed else 0.0
        # Everything built so far lives for the whole run; keep the collector from rescanning it,
        # and let it run less often (a cycle allocates a book per token).
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        wall_start = time.monotonic()
        next_tick = wall_start
        last_snapshot = last_state = last_bars = 0.0
        last_retention = wall_start
        try:
            while not self.stop.is_set():
                if self.duration_s is not None and time.monotonic() - wall_start >= self.duration_s:
                    break
                cycle = bot.feed.next_cycle()
                if cycle is None:
                    log.info("feed exhausted after %d cycles", self.cycles)
                    break
                self._maybe_reload(cycle.ts_ms)
                commands = self._commands(cycle.ts_ms)
                started = time.perf_counter()
                bot.runner.run_cycle(cycle.ts_ms, cycle.events, commands)
                self.cycle_ms.append((time.perf_counter() - started) * 1000)
                self.cycles += 1
                self.events += len(cycle.events)
                if cycle.events:
                    self._last_event_wall = time.monotonic()
                now = time.monotonic()
                # Publish every cycle in real time; when running flat out, a few times a second.
                if interval or now - last_state >= 0.25:
                    self.publish("running")
                    last_state = now
                if bot.store is not None and now - last_snapshot >= bot.settings.storage.snapshot_every_s:
                    # Snapshots are a derived copy, rebuilt whole next time: a failed export (logged
                    # with its traceback) leaves the previous files in place and never stops trading.
                    # The 1-minute bars (the largest table) only every bars_snapshot_every_s.
                    bars = now - last_bars >= bot.settings.storage.bars_snapshot_every_s
                    self._safely(bot.store.export_snapshots, bot.data_dir / "snapshots", cycle.ts_ms, bars)
                    last_snapshot = now
                    last_bars = now if bars else last_bars
                if bot.store is not None and now - last_retention >= RETENTION_EVERY_S:
                    bot.store.apply_retention(cycle.ts_ms, bot.settings.storage.tick_retention_days)
                    last_retention = now
                for hook in self.cycle_hooks:
                    self._safely(hook, cycle.ts_ms)
                if interval:
                    next_tick += interval
                    delay = next_tick - time.monotonic()
                    if delay > 0:
                        self.stop.wait(delay)
                    elif delay < -5 * interval:
                        next_tick = time.monotonic()  # fell far behind: do not try to catch up in a burst
        finally:
            self.shutdown()
        return 0

    def shutdown(self) -> None:
        bot = self.bot
        self.publish("stopped")
        closer = getattr(bot.feed, "close", None)  # live feed: stop its thread; recording: write it out
        if closer is not None:
            self._safely(closer)
        if bot.store is not None:
            try:
                bot.store.export_snapshots(bot.data_dir / "snapshots", bot.engine.now_ms)
            finally:  # close (checkpoint, release the lock, tear down cleanly) even if the export failed
                bot.store.close()
        # Hand the frozen objects back to the collector, so native modules (DuckDB's bindings)
        # are torn down in order at exit instead of reporting them as leaked.
        gc.unfreeze()
        gc.collect()
        log.info("stopped after %d cycles", self.cycles)

    # -- commands and config -------------------------------------------------------------------
    def _commands(self, ts_ms: int) -> list[Command]:
        inbox = self.bot.inbox
        if inbox is None:
            return []
        fresh: list[Command] = []
        for command in inbox.pending(ts_ms):
            if command.command_id in self._processed:
                inbox.mark_done(command.command_id, False, "already processed once; ignored")
                continue
            self._processed.add(command.command_id)
            handler = self.command_hooks.get(command.kind)
            if handler is not None:  # carried out here (e.g. backup), never by the engine
                self._run_command_hook(handler, replace(command, ts_ms=ts_ms))
                continue
            if command.kind is CommandKind.RELOAD:
                self._reload(ts_ms, forced=True)
            fresh.append(replace(command, ts_ms=ts_ms))
        return fresh

    def _safely(self, hook: Callable[..., Any], *args: Any) -> None:
        try:
            hook(*args)
        except Exception:
            log.exception("operations hook %s failed; trading continues", getattr(hook, "__qualname__", hook))

    def _run_command_hook(self, handler: Callable[[Command], tuple[bool, str]], command: Command) -> None:
        try:
            ok, text = handler(command)
        except Exception as exc:
            log.exception("command %s (%s) failed", command.command_id, command.kind.value)
            ok, text = False, f"{command.kind.value} failed: {exc}"
        if self.bot.store is not None:
            self.bot.store.record_command(command.command_id, command.kind, dict(command.args), ok, text, command.ts_ms)
        self.on_command_done(command.command_id, ok, text)

    def on_command_done(self, command_id: str, ok: bool, text: str) -> None:
        if self.bot.inbox is not None:
            self.bot.inbox.mark_done(command_id, ok, text)

    def _mtime(self) -> float | None:
        try:
            return os.stat(self._config_file()).st_mtime
        except OSError:
            return None

    def _config_file(self) -> Path:
        from bot.config.loader import DEFAULT_CONFIG_PATH

        return Path(self.config_path) if self.config_path else DEFAULT_CONFIG_PATH

    def _maybe_reload(self, ts_ms: int) -> None:
        mtime = self._mtime()
        if mtime != self._config_mtime:
            self._config_mtime = mtime
            self._reload(ts_ms)

    def _reload(self, ts_ms: int, forced: bool = False) -> None:
        try:
            settings = load_settings(self.config_path, self.profile)
            self._load_models(settings)
        except ConfigError as exc:
            self.config_error = str(exc)
            log.error("config change ignored, old settings stay in force:\n%s", exc)
            return
        self.config_error = None
        self.bot.settings = settings
        self.bot.engine.apply_settings(settings)
        log.info("settings reloaded%s", " (reload command)" if forced else " (config file changed)")

    def _load_models(self, settings: Settings) -> None:
        """ml_prediction switched on (or pointed at another model) while running: load its model
        now. An unusable model refuses the whole change, like any invalid setting."""
        new, old = settings.strategies.ml_prediction, self.bot.settings.strategies.ml_prediction
        predictor = getattr(self.bot.engine.strategies.get("ml_prediction"), "predictor", None)
        if new.enabled and (predictor is None or new.model_path != old.model_path):
            from bot.ml.attach import attach_models

            attach_models(self.bot.engine, settings)

    # -- read model ----------------------------------------------------------------------------
    def publish(self, status: str | None = None) -> None:
        bot = self.bot
        if bot.data_dir is None:
            return
        state = build_state(bot.engine)
        timings = sorted(self.cycle_ms)
        state.update({
            "written_ts_ms": time.time_ns() // 1_000_000,
            "started_ts_ms": self.started_ms,
            "source": bot.source,
            "cycle": {
                "count": self.cycles, "events": self.events,
                "last_ms": self.cycle_ms[-1] if self.cycle_ms else 0.0,
                "p50_ms": statistics.median(timings) if timings else 0.0,
                "p99_ms": timings[min(len(timings) - 1, int(len(timings) * 0.99))] if timings else 0.0,
                "speed": self.speed or 0,
            },
            "feed": {
                "source": bot.source, "status": "ok" if status != "stopped" else "stopped",
                "last_event_age_s": round(time.monotonic() - self._last_event_wall, 3),
                "markets": len(bot.engine.markets), "tokens": len(bot.engine.tokens),
            },
            "process": {"pid": os.getpid(), "rss_mb": round(self._process.memory_info().rss / 2**20, 1)},
            "config_error": self.config_error,
            # mtime of the config file the bot last (re)loaded: the Settings page compares it with the
            # file's own to say whether a saved change has been picked up.
            "config_mtime": self._config_mtime,
            "config_path": str(self._config_file()),
        })
        feed_health = getattr(bot.feed, "health", None)  # the live feed: mode, connection, error and drop counts
        if feed_health is not None:
            try:
                state["feed"].update(feed_health())
            except Exception:
                log.exception("feed health failed; state.json keeps the basic feed block")
            if status == "stopped":
                state["feed"]["status"] = "stopped"
        if status == "stopped":
            state["status"] = "stopped"
        for hook in self.publish_hooks:
            self._safely(hook, state)
        write_json_atomic(bot.data_dir / "state.json", state)
