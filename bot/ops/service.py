"""Operations attached to a running loop: the health endpoint, backups on command and on a
schedule, store compaction and the disk-usage warning.

``Operations(loop).attach()`` registers hooks on the loop (``publish_hooks``, ``cycle_hooks``,
``command_hooks``); everything runs in the loop's own thread between cycles, so it sees the store
and engine exactly as the last cycle left them, except S3 uploads (reading a finished backup
folder) and the HTTP server (reading published snapshots), which use their own threads.
What it did last is published in state.json under ``ops``.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from bot.domain.actions import Notify, NotifyKind
from bot.domain.events import Command, CommandKind
from bot.ops.backup import BackupBuilder, apply_retention, newest_backup_ms, upload_to_s3
from bot.ops.health import HealthServer
from bot.runtime.loop import Loop

log = logging.getLogger("polybot.ops")

DISK_REWARN_S = 6 * 3600  # repeat a disk warning this often while it lasts, not every check
# Give DuckDB's cache of table blocks back this often (Store.release_cache): without it the bot's
# RSS climbs towards storage.duckdb_memory_limit_mb as the store grows. Every 30 s let the cache
# refill by 20-25 MB in between (a sawtooth in the soak's RSS, 2,000 tokens); every 5 s, about
# as often as the snapshots that read most of those blocks, costs ~6 ms each time.
CACHE_RELEASE_EVERY_S = 5.0


def backup_root(data_dir: Path, configured: str, to: str | None = None) -> Path:
    root = Path(to) if to else Path(configured)
    return root if root.is_absolute() else Path(data_dir) / root


class Operations:
    def __init__(self, loop: Loop, config_dir: Path | None = None) -> None:
        from bot.config.loader import DEFAULT_CONFIG_PATH

        self.loop = loop
        self.bot = loop.bot
        self.config_dir = config_dir or (Path(loop.config_path).parent if loop.config_path else DEFAULT_CONFIG_PATH.parent)
        self.health: HealthServer | None = None
        now = time.monotonic()
        self._last_compaction = self._last_disk_check = self._last_cache_release = now
        self._disk_warned_at: float | None = None
        self.status: dict[str, Any] = {"health": None, "last_backup": None, "last_compaction_ts_ms": None, "disk": None,
                                       "store_memory_mb": None}
        self._last_backup_wall_ms: int | None = None
        if self.bot.data_dir is not None:
            root = backup_root(self.bot.data_dir, self.settings.backup.dir)
            self._last_backup_wall_ms = newest_backup_ms(root)  # a restart does not reset the schedule

    @property
    def settings(self):  # noqa: ANN201 - the loop swaps settings on reload; always read the current ones
        return self.bot.settings

    def attach(self) -> Operations:
        cfg = self.settings.health
        if cfg.enabled:
            server = HealthServer(cfg.host, cfg.port, cfg.stale_after_s)
            try:
                server.start()
                self.health = server
                self.status["health"] = {"url": server.url}
                log.info("health endpoint on %s/health", server.url)
            except OSError as exc:  # observability must not stop trading
                self.status["health"] = {"error": f"could not listen on {cfg.host}:{cfg.port}: {exc}"}
                log.error("health endpoint disabled: could not listen on %s:%s: %s", cfg.host, cfg.port, exc)
        self.loop.publish_hooks.append(self.on_publish)
        if self.bot.store is not None:
            self.loop.cycle_hooks.append(self.on_cycle)
            self.loop.command_hooks[CommandKind.BACKUP] = self.on_backup_command
            self.check_disk(self.bot.engine.now_ms)
        return self

    def close(self) -> None:
        if self.health is not None:
            self.health.close()
            self.health = None

    # -- hooks ----------------------------------------------------------------------------------
    def on_publish(self, state: dict[str, Any]) -> None:
        state["ops"] = self.status
        if self.health is not None:
            self.health.publish(state, self.settings)

    def on_cycle(self, ts_ms: int) -> None:
        now = time.monotonic()
        hk, bk = self.settings.housekeeping, self.settings.backup
        if hk.compact_every_h and now - self._last_compaction >= hk.compact_every_h * 3600:
            self.compact()
            self._last_compaction = now
        if now - self._last_disk_check >= hk.disk_check_every_s:
            self.check_disk(ts_ms)
            self._last_disk_check = now
        if now - self._last_cache_release >= CACHE_RELEASE_EVERY_S:
            self._last_cache_release = now
            assert self.bot.store is not None
            self.status["store_memory_mb"] = {"released": self.bot.store.release_cache(),
                                              **self.bot.store.memory_mb()}
        wall_ms = time.time_ns() // 1_000_000
        if bk.every_h and (self._last_backup_wall_ms is None
                           or wall_ms - self._last_backup_wall_ms >= bk.every_h * 3_600_000):
            if self._last_backup_wall_ms is None:
                self._last_backup_wall_ms = wall_ms  # first backup one interval after the very first start
                return
            self.backup_now(None, "scheduled")

    def on_backup_command(self, command: Command) -> tuple[bool, str]:
        path = self.backup_now(command.arg("to") or None, f"asked by {command.command_id}")
        return True, str(path)

    # -- the work -------------------------------------------------------------------------------
    def backup_now(self, to: str | None, why: str) -> Path:
        """A consistent backup from the bot's own connection, between two cycles."""
        bot = self.bot
        assert bot.store is not None and bot.data_dir is not None
        started = time.perf_counter()
        wall_ms = time.time_ns() // 1_000_000
        self._last_backup_wall_ms = wall_ms
        self.loop.publish()  # state.json of this very moment goes into the backup
        root = backup_root(bot.data_dir, self.settings.backup.dir, to)
        builder = BackupBuilder(root, wall_ms)
        try:
            bot.store.copy_database_to(builder.db_path)
            bot.store.export_snapshots(builder.work / "snapshots", bot.engine.now_ms)
            builder.add_state_and_snapshots(bot.data_dir)
            path = builder.finish(self.config_dir, "running-bot")
        except BaseException as exc:
            builder.abandon()
            self.status["last_backup"] = {"ts_ms": wall_ms, "ok": False, "error": str(exc)}
            raise
        took_s = time.perf_counter() - started
        removed = apply_retention(root, self.settings.backup.keep)
        self.status["last_backup"] = {"ts_ms": wall_ms, "ok": True, "path": str(path), "seconds": round(took_s, 3),
                                      "removed_old": len(removed)}
        log.info("backup (%s) written to %s in %.2f s; %d old backup(s) removed", why, path, took_s, len(removed))
        if self.settings.backup.s3_bucket:
            self._upload_in_background(path)
        return path

    def _upload_in_background(self, path: Path) -> None:
        cfg = self.settings.backup

        def upload() -> None:
            try:
                keys = upload_to_s3(path, cfg.s3_bucket, cfg.s3_prefix, cfg.s3_endpoint_url)
                self.status["last_backup"] = {**(self.status["last_backup"] or {}), "s3": f"s3://{cfg.s3_bucket}",
                                              "s3_objects": len(keys)}
                log.info("backup %s uploaded to s3://%s (%d objects)", path.name, cfg.s3_bucket, len(keys))
            except Exception as exc:
                self.status["last_backup"] = {**(self.status["last_backup"] or {}), "s3_error": str(exc)}
                # Logged and shown in state.json; notifiers are not called from this thread.
                log.error("backup %s: S3 upload failed: %s", path.name, exc)

        threading.Thread(target=upload, name="polybot-s3-upload", daemon=True).start()

    def compact(self) -> None:
        assert self.bot.store is not None
        started = time.perf_counter()
        self.bot.store.checkpoint()
        self.status["last_compaction_ts_ms"] = time.time_ns() // 1_000_000
        log.info("store compacted (checkpoint) in %.2f s", time.perf_counter() - started)

    def check_disk(self, ts_ms: int) -> None:
        assert self.bot.data_dir is not None
        usage = shutil.disk_usage(self.bot.data_dir)
        used_pct = usage.used / usage.total * 100 if usage.total else 0.0
        limit = self.settings.housekeeping.disk_warn_pct
        warning = used_pct >= limit
        self.status["disk"] = {"used_pct": round(used_pct, 1), "free_mb": usage.free // 2**20,
                               "warn_pct": limit, "warning": warning}
        now = time.monotonic()
        if not warning:
            self._disk_warned_at = None
            return
        if self._disk_warned_at is None or now - self._disk_warned_at >= DISK_REWARN_S:
            self._disk_warned_at = now
            text = (f"Disk almost full: {used_pct:.0f}% used ({usage.free // 2**20} MB free) where the bot keeps "
                    f"its data. Delete old backups or logs, or lower storage.tick_retention_days.")
            log.warning(text)
            self._notify(text, ts_ms)

    def _notify(self, text: str, ts_ms: int | None = None) -> None:
        on_notify = self.bot.runner.on_notify
        if on_notify is not None:
            on_notify(Notify(NotifyKind.ERROR, text, ts_ms if ts_ms is not None else self.bot.engine.now_ms))
