"""``python -m bot backup`` and ``python -m bot restore``: the command-line side of bot/ops/backup.py.

``backup`` asks a running bot (found by its DuckDB lock) to make the copy itself through the
command inbox and waits for its answer; with no bot running it copies the store file directly.
``restore`` verifies checksums and refuses while a bot runs on the target data directory.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from bot.adapters.storage.commands import CommandInbox
from bot.config.loader import DEFAULT_CONFIG_PATH, load_settings
from bot.ops.backup import (
    DB_NAME,
    BackupError,
    apply_retention,
    backup_offline,
    describe,
    restore_backup,
    store_is_locked,
    upload_to_s3,
    verify_backup,
)
from bot.ops.service import backup_root


def _print(payload: dict, as_json: bool, text: str) -> None:
    print(json.dumps(payload, indent=2, default=str) if as_json else text)


def backup_command(data_dir: Path, to: str | None, timeout_s: float, as_json: bool,
                   config: str | None = None, profile: str | None = None) -> int:
    config_path = Path(config) if config else DEFAULT_CONFIG_PATH
    settings = load_settings(config_path, profile)
    target = str(Path(to).resolve()) if to else None  # the bot may run elsewhere: give it an absolute path
    if store_is_locked(data_dir / DB_NAME):
        inbox = CommandInbox(data_dir)
        command_id = inbox.submit("backup", {"to": target} if target else {}, source="cli")
        deadline = time.monotonic() + timeout_s
        result = inbox.result(command_id)
        while result is None and time.monotonic() < deadline:
            time.sleep(0.2)
            result = inbox.result(command_id)
        if result is None:
            raise BackupError(f"the running bot did not answer the backup request within {timeout_s:.0f} s "
                              f"(command {command_id} is still queued; check `python -m bot status`)")
        if not result.get("ok"):
            raise BackupError(f"the running bot could not make the backup: {result.get('result')}")
        path = Path(result["result"])
        how = "made by the running bot"
    else:
        root = backup_root(data_dir, settings.backup.dir, target)
        path = backup_offline(data_dir, root, config_path.parent)
        apply_retention(root, settings.backup.keep)
        how = "copied from the store file (no bot running)"
        if settings.backup.s3_bucket:
            upload_to_s3(path, settings.backup.s3_bucket, settings.backup.s3_prefix, settings.backup.s3_endpoint_url)
            how += f", uploaded to s3://{settings.backup.s3_bucket}"
    manifest = verify_backup(path)
    _print({"path": str(path), "manifest": manifest}, as_json, f"Backup {path}\n{how}\n{describe(manifest)}")
    return 0


def restore_command(src: Path, data_dir: Path, config_dir: str | None, as_json: bool) -> int:
    result = restore_backup(src, data_dir, Path(config_dir) if config_dir else None)
    lines = [f"Restored {src} into {data_dir} (checksums verified).", describe(result.manifest)]
    if result.moved_aside:
        lines.append(f"What was there before is kept in {result.moved_aside}.")
    lines.append("Config restored." if result.config_restored
                 else f"Config not touched (the backed-up config is in {src / 'config'}; pass --config-dir to restore it).")
    lines.append("Start the bot to carry on from here; `python -m bot status` shows what was restored.")
    _print({"restored_from": str(src), "data_dir": str(data_dir), "moved_aside": result.moved_aside,
            "config_restored": result.config_restored, "tables": result.manifest.get("tables")},
           as_json, "\n".join(lines))
    return 0
