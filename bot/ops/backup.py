"""Backups of a data directory, their manifest and checksums, restore, retention and S3 upload.

A backup is a folder ``polybot-<UTC time>/`` holding a consistent copy of the store
(``polybot.duckdb``, written with DuckDB's ``COPY FROM DATABASE``, which also compacts it), the
``state.json`` and Parquet snapshots of the same moment, the config files, and ``manifest.json``
with each file's size and sha256. It is assembled under a dot-name and renamed when complete, so
a folder with a manifest is a whole backup. Secrets (``.env``) are never copied.

While the bot runs it holds DuckDB's exclusive lock, so the running bot makes the copy itself
from its own connection between two cycles (``bot.ops.service`` handles the ``backup`` command);
when no bot runs, ``backup_offline`` reads the file directly. Restore refuses while a bot runs on
the target, refuses a backup whose files do not match the manifest, and moves whatever it
replaces into ``pre-restore-<time>/`` so nothing is lost.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from bot.adapters.storage.state_file import read_json, write_json_atomic

FORMAT_VERSION = 1
PREFIX = "polybot-"
MANIFEST = "manifest.json"
DB_NAME = "polybot.duckdb"
COUNTED_TABLES = ("fills", "orders", "trades", "positions_meta", "markets", "commands")


class BackupError(ValueError):
    """A backup or restore that must not go ahead; the message says why and what to do."""


class BotRunningError(BackupError):
    """A bot is running on the data directory in question."""


def _stamp(now_ms: int) -> str:
    return datetime.fromtimestamp(now_ms / 1000, UTC).strftime("%Y%m%dT%H%M%S.") + f"{now_ms % 1000:03d}Z"


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---- is a bot running? ------------------------------------------------------------------------

def store_is_locked(db_path: Path) -> bool:
    """True when another process holds the DuckDB file (a running bot). Probes with a read-only
    attach from a throwaway in-memory connection, released at once."""
    if not Path(db_path).exists():
        return False
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH {_sql_path(db_path)} AS probe (READ_ONLY)")
        con.execute("DETACH probe")
        return False
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            return True
        raise
    finally:
        con.close()


def running_bot(data_dir: Path, heartbeat_s: float = 30.0) -> str | None:
    """Why we believe a bot runs on ``data_dir`` (store lock, or a fresh heartbeat in
    state.json from a bot that has not said it stopped), or None."""
    data_dir = Path(data_dir)
    if store_is_locked(data_dir / DB_NAME):
        return f"{data_dir / DB_NAME} is locked by another process (a running bot)"
    state = read_json(data_dir / "state.json") or {}
    written = state.get("written_ts_ms")
    if isinstance(written, int) and state.get("status") != "stopped":
        age_s = time.time() - written / 1000
        if age_s < heartbeat_s:
            pid = (state.get("process") or {}).get("pid")
            return f"state.json shows a bot heartbeat {age_s:.0f} s old (pid {pid})"
    return None


# ---- making a backup --------------------------------------------------------------------------

def _count_rows(db_path: Path) -> dict[str, int]:
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH {_sql_path(db_path)} AS b (READ_ONLY)")
        present = {row[0] for row in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'b'").fetchall()}
        return {t: int(con.execute(f"SELECT count(*) FROM b.{t}").fetchone()[0]) for t in COUNTED_TABLES if t in present}
    finally:
        con.close()


def _copy_config(config_dir: Path | None, target: Path) -> None:
    if config_dir is None or not Path(config_dir).is_dir():
        return
    for path in sorted(Path(config_dir).rglob("*.yaml")):
        dest = target / "config" / path.relative_to(config_dir)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)


def _state_summary(state: dict[str, Any] | None) -> dict[str, Any]:
    if not state:
        return {}
    capital, perf = state.get("capital", {}), state.get("performance", {})
    return {"mode": state.get("mode"), "market_ts_ms": state.get("market_ts_ms"),
            "cash_usd": capital.get("cash_usd"), "equity_usd": capital.get("equity_usd"),
            "total_pnl_usd": perf.get("total_pnl_usd"), "trades_total": perf.get("trades_total"),
            "open_positions": len(state.get("positions", []))}


class BackupBuilder:
    """One backup being assembled in a hidden folder, published by ``finish``."""

    def __init__(self, root: Path, now_ms: int) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        name = f"{PREFIX}{_stamp(now_ms)}"
        n = 1
        while (self.root / name).exists():
            n += 1
            name = f"{PREFIX}{_stamp(now_ms)}-{n}"
        self.final = self.root / name
        self.work = self.root / f".{name}.partial"
        self.work.mkdir()
        self.now_ms = now_ms

    @property
    def db_path(self) -> Path:
        return self.work / DB_NAME

    def add_state_and_snapshots(self, data_dir: Path) -> None:
        if (data_dir / "state.json").exists():
            shutil.copy2(data_dir / "state.json", self.work / "state.json")
        snapshots = data_dir / "snapshots"
        if snapshots.is_dir() and not (self.work / "snapshots").exists():
            (self.work / "snapshots").mkdir()
            for path in sorted(snapshots.glob("*.parquet")):
                shutil.copy2(path, self.work / "snapshots" / path.name)

    def finish(self, config_dir: Path | None, method: str) -> Path:
        _copy_config(config_dir, self.work)
        files = {}
        for path in sorted(p for p in self.work.rglob("*") if p.is_file()):
            rel = path.relative_to(self.work).as_posix()
            files[rel] = {"bytes": path.stat().st_size, "sha256": sha256_file(path)}
        from bot.adapters.storage.duckdb_store import SCHEMA_VERSION

        manifest = {
            "format": FORMAT_VERSION, "created_ts_ms": self.now_ms, "created_utc": _stamp(self.now_ms),
            "method": method, "schema_version": SCHEMA_VERSION,
            "tables": _count_rows(self.db_path) if self.db_path.exists() else {},
            "summary": _state_summary(read_json(self.work / "state.json")), "files": files,
        }
        write_json_atomic(self.work / MANIFEST, manifest)
        os.replace(self.work, self.final)
        return self.final

    def abandon(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)


def backup_offline(data_dir: Path, root: Path, config_dir: Path | None, now_ms: int | None = None) -> Path:
    """Back up a data directory no bot is using (reads the store file directly)."""
    data_dir = Path(data_dir)
    db = data_dir / DB_NAME
    if not db.exists():
        raise BackupError(f"no store at {db}: nothing to back up (has the bot ever run with this data dir?)")
    builder = BackupBuilder(root, now_ms if now_ms is not None else time.time_ns() // 1_000_000)
    con = duckdb.connect(":memory:", config={"threads": 1})
    try:
        try:
            con.execute(f"ATTACH {_sql_path(db)} AS src (READ_ONLY)")
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise BotRunningError(f"a bot holds {db}; ask it for the backup instead") from None
            raise
        con.execute(f"ATTACH {_sql_path(builder.db_path)} AS dst")
        con.execute("COPY FROM DATABASE src TO dst")
        con.execute("DETACH dst")
        con.execute("DETACH src")
        builder.add_state_and_snapshots(data_dir)
        return builder.finish(config_dir, "offline")
    except BaseException:
        builder.abandon()
        raise
    finally:
        con.close()


# ---- checking and restoring --------------------------------------------------------------------

def verify_backup(path: Path) -> dict[str, Any]:
    """The manifest of a complete, unchanged backup; BackupError naming every problem otherwise."""
    path = Path(path)
    manifest = read_json(path / MANIFEST)
    if manifest is None:
        raise BackupError(f"{path} is not a Polybot backup: {MANIFEST} is missing or unreadable")
    if manifest.get("format") != FORMAT_VERSION or not isinstance(manifest.get("files"), dict):
        raise BackupError(f"{path / MANIFEST} has an unknown format {manifest.get('format')!r}")
    problems = []
    for rel, meta in sorted(manifest["files"].items()):
        target = (path / rel).resolve()
        if path.resolve() not in target.parents:
            problems.append(f"{rel}: path leaves the backup folder")
            continue
        if not target.is_file():
            problems.append(f"{rel}: missing")
        elif target.stat().st_size != meta.get("bytes"):
            problems.append(f"{rel}: size {target.stat().st_size} bytes, manifest says {meta.get('bytes')}")
        elif sha256_file(target) != meta.get("sha256"):
            problems.append(f"{rel}: sha256 does not match the manifest (file changed or corrupted)")
    if DB_NAME not in manifest["files"]:
        problems.append(f"{DB_NAME}: not listed in the manifest")
    if problems:
        raise BackupError(f"refusing backup {path}: " + "; ".join(problems))
    return manifest


@dataclass(frozen=True, slots=True)
class RestoreResult:
    data_dir: Path
    moved_aside: Path | None
    manifest: dict[str, Any]
    config_restored: bool


def _move_aside(items: list[Path], folder: Path) -> Path | None:
    present = [p for p in items if p.exists()]
    if not present:
        return None
    folder.mkdir(parents=True)
    for item in present:
        os.replace(item, folder / item.name)
    return folder


def restore_backup(src: Path, data_dir: Path, config_dir: Path | None = None, now_ms: int | None = None) -> RestoreResult:
    """Verify ``src`` and put it in place in ``data_dir`` (and ``config_dir`` when given)."""
    src, data_dir = Path(src), Path(data_dir)
    manifest = verify_backup(src)
    why = running_bot(data_dir)
    if why:
        raise BotRunningError(f"refusing to restore into {data_dir}: {why}. Stop the bot first "
                              "(docker compose stop bot, or Ctrl-C), then run restore again.")
    now_ms = now_ms if now_ms is not None else time.time_ns() // 1_000_000
    data_dir.mkdir(parents=True, exist_ok=True)
    replaced = [data_dir / DB_NAME, data_dir / f"{DB_NAME}.wal", data_dir / "state.json", data_dir / "snapshots"]
    aside = _move_aside(replaced, data_dir / f"pre-restore-{_stamp(now_ms)}")
    files = manifest["files"]
    for rel in files:
        if rel.startswith("config/"):
            continue
        dest = data_dir / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.restoring")
        shutil.copy2(src / rel, tmp)
        os.replace(tmp, dest)
    counts = _count_rows(data_dir / DB_NAME)
    if counts != manifest.get("tables", counts):
        raise BackupError(f"restored store row counts {counts} differ from the manifest's {manifest['tables']}")
    state = read_json(data_dir / "state.json")
    if state is not None:
        # The bot is not running here: say so, so the dashboard and `status` do not show it as live.
        state.update({"status": "stopped", "restored_from": src.name, "restored_ts_ms": now_ms})
        write_json_atomic(data_dir / "state.json", state)
    config_restored = False
    if config_dir is not None and any(rel.startswith("config/") for rel in files):
        config_dir = Path(config_dir)
        config_files = [rel for rel in files if rel.startswith("config/")]
        old = [config_dir / Path(rel).relative_to("config") for rel in config_files]
        keep = (aside or data_dir / f"pre-restore-{_stamp(now_ms)}") / "config"
        for path in old:
            if path.exists():
                (keep / path.relative_to(config_dir)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, keep / path.relative_to(config_dir))
        for rel in config_files:
            dest = config_dir / Path(rel).relative_to("config")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / rel, dest)
        config_restored = True
    return RestoreResult(data_dir, aside, manifest, config_restored)


# ---- retention and listing ---------------------------------------------------------------------

def list_backups(root: Path) -> list[Path]:
    """Complete backups in ``root`` (a manifest present), oldest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p for p in root.glob(f"{PREFIX}*") if p.is_dir() and (p / MANIFEST).is_file())


def apply_retention(root: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` complete backups (and abandoned partial ones)."""
    removed = []
    backups = list_backups(root)
    for old in backups[: max(0, len(backups) - keep)]:
        shutil.rmtree(old)
        removed.append(old)
    for partial in Path(root).glob(f".{PREFIX}*.partial"):
        if time.time() - partial.stat().st_mtime > 3600:  # a crash mid-backup; a live one is seconds old
            shutil.rmtree(partial, ignore_errors=True)
    return removed


def newest_backup_ms(root: Path) -> int | None:
    backups = list_backups(root)
    if not backups:
        return None
    manifest = read_json(backups[-1] / MANIFEST) or {}
    created = manifest.get("created_ts_ms")
    return created if isinstance(created, int) else None


# ---- off-site copy ------------------------------------------------------------------------------

def upload_to_s3(path: Path, bucket: str, prefix: str, endpoint_url: str = "") -> list[str]:
    """Upload a finished backup folder to ``s3://bucket/prefix/<backup name>/``; returns the keys.
    boto3 is imported only here: it is not installed unless you want uploads (``pip install boto3``);
    credentials come from the usual AWS places (instance role, env, ~/.aws)."""
    try:
        import boto3  # noqa: PLC0415 - optional dependency, imported only when a bucket is configured
    except ImportError:
        raise BackupError("backup.s3_bucket is set but boto3 is not installed: pip install boto3 "
                          "(or add it to requirements.txt and rebuild the image)") from None
    client = boto3.client("s3", endpoint_url=endpoint_url or None)
    keys = []
    base = prefix.strip("/")
    for file in sorted(p for p in Path(path).rglob("*") if p.is_file()):
        key = "/".join(part for part in (base, path.name, file.relative_to(path).as_posix()) if part)
        client.upload_file(str(file), bucket, key)
        keys.append(key)
    return keys


def describe(manifest: dict[str, Any]) -> str:
    summary = manifest.get("summary") or {}
    tables = manifest.get("tables") or {}
    size = sum(f.get("bytes", 0) for f in manifest.get("files", {}).values())
    return (f"{manifest.get('created_utc')} ({manifest.get('method')}): {len(manifest.get('files', {}))} files, "
            f"{size / 2**20:.1f} MB; {tables.get('fills', 0)} fills, {tables.get('trades', 0)} trades; "
            f"equity {summary.get('equity_usd')}, total P&L {summary.get('total_pnl_usd')}, "
            f"{summary.get('open_positions')} open position(s)")
