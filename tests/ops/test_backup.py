"""Backup and restore: a running bot makes a consistent backup on request; restoring it into a
fresh data dir shows the same positions, trades and P&L, and the restored store recovers to the
same money; a tampered backup is refused; restore refuses to run under a live bot; retention."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from bot.adapters.storage.duckdb_store import Store
from bot.config.loader import load_settings
from bot.core.engine import Engine
from bot.core.report import build_state
from bot.ops.backup import (
    MANIFEST,
    BackupError,
    BotRunningError,
    apply_retention,
    backup_offline,
    list_backups,
    restore_backup,
    verify_backup,
)
from bot.wiring import recover
from tests.builders import wait_for
from tests.ops.conftest import ROOT, BotProcess

pytestmark = pytest.mark.slow


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def cli_json(*args: str) -> object:
    done = cli(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _views(data_dir: Path) -> tuple[dict, list, list]:
    status = cli_json("status", "--data-dir", str(data_dir))
    for volatile in ("status", "heartbeat_age_s"):
        status.pop(volatile)
    return status, cli_json("positions", "--data-dir", str(data_dir)), cli_json("trades", "--data-dir", str(data_dir))


@pytest.fixture(scope="module")
def backed_up(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A bot that has traded, backed up while it runs (via the CLI), then stopped."""
    tmp = tmp_path_factory.mktemp("running")
    bot = BotProcess(tmp, speed=20)
    try:
        def traded_and_holding() -> bool:
            state = bot.state()
            return state["performance"]["trades_total"] > 0 and len(state["positions"]) > 0
        wait_for(traded_and_holding, timeout_s=120)
        done = cli("backup", "--data-dir", str(bot.data_dir), "--config", str(bot.config), "--to", str(tmp / "bk"),
                   "--json")
        assert done.returncode == 0, done.stderr
        assert bot.proc.poll() is None, "the bot kept running through the backup"
        path = Path(json.loads(done.stdout)["path"])
        alive_after = bot.state()["cycle"]["count"]
    finally:
        assert bot.stop() == 0
    return bot, path, alive_after


def test_backup_of_a_running_bot_is_made_by_the_bot_and_complete(backed_up) -> None:  # type: ignore[no-untyped-def]
    bot, path, alive_after = backed_up
    manifest = verify_backup(path)
    assert manifest["method"] == "running-bot"
    assert {"polybot.duckdb", "state.json", "config/config.yaml", "snapshots/trades.parquet"} <= set(manifest["files"])
    assert manifest["tables"]["fills"] > 0 and manifest["tables"]["trades"] > 0
    assert manifest["summary"]["trades_total"] > 0 and manifest["summary"]["open_positions"] > 0
    assert ".env" not in json.dumps(manifest["files"])
    done_files = list((bot.data_dir / "commands" / "done").glob("cli-*.json"))
    assert len(done_files) == 1 and json.loads(done_files[0].read_text())["ok"] is True
    assert alive_after > 0


def test_restore_into_a_fresh_dir_shows_the_same_positions_trades_and_pnl(backed_up, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, path, _ = backed_up
    fresh = tmp_path / "fresh"
    done = cli("restore", str(path), "--data-dir", str(fresh))
    assert done.returncode == 0, done.stderr
    status, positions, trades = _views(fresh)
    # The backup folder holds the bot's own state.json of the backup moment: the reference.
    expected_status, expected_positions, expected_trades = _views(path)
    assert (status, positions, trades) == (expected_status, expected_positions, expected_trades)
    assert status["open_positions"] > 0 and status["trades_total"] > 0 and len(trades) > 0
    assert cli_json("status", "--data-dir", str(fresh))["status"] == "stopped"

    # The restored store recovers (the crash-only startup path) to the same money as that state.
    state = json.loads((fresh / "state.json").read_text())
    engine = Engine(load_settings(path / "config" / "config.yaml"))
    with Store(fresh / "polybot.duckdb") as store:
        recover(engine, store)
        recovered = build_state(engine)
        realised = sum((t.pnl_usd for t in store.load_trades()), Decimal(0))
    assert recovered["capital"]["cash_usd"] == state["capital"]["cash_usd"]
    assert recovered["performance"]["trades_total"] == state["performance"]["trades_total"]
    assert recovered["performance"]["fees_total_usd"] == state["performance"]["fees_total_usd"]
    assert [(p["token_id"], p["shares"], p["cost_usd"]) for p in recovered["positions"]] == \
        [(p["token_id"], p["shares"], p["cost_usd"]) for p in state["positions"]]
    assert realised == sum((Decimal(t["pnl_usd"]) for t in trades), Decimal(0))


def test_a_tampered_backup_is_refused_and_nothing_is_touched(backed_up, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, path, _ = backed_up
    for victim, change in (("polybot.duckdb", b"\0"), ("state.json", b" "), ("config/config.yaml", b"# x\n")):
        copy = tmp_path / f"copy-{victim.replace('/', '_')}"
        shutil.copytree(path, copy)
        with open(copy / victim, "ab") as handle:
            handle.write(change)
        target = tmp_path / f"target-{victim.replace('/', '_')}"
        target.mkdir()
        (target / "state.json").write_text('{"keep": "me"}')
        done = cli("restore", str(copy), "--data-dir", str(target))
        assert done.returncode == 2 and "refusing backup" in done.stderr and victim in done.stderr
        assert (target / "state.json").read_text() == '{"keep": "me"}' and not (target / "polybot.duckdb").exists()
    copy = tmp_path / "no-manifest"
    shutil.copytree(path, copy)
    (copy / MANIFEST).unlink()
    with pytest.raises(BackupError, match="not a Polybot backup"):
        verify_backup(copy)


def test_restore_refuses_while_a_bot_runs_and_keeps_what_it_replaces(backed_up, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, path, _ = backed_up
    live = BotProcess(tmp_path / "live")
    try:
        wait_for(lambda: live.state()["cycle"]["count"] > 2)
        with pytest.raises(BotRunningError, match="locked by another process"):
            restore_backup(path, live.data_dir)
        done = cli("restore", str(path), "--data-dir", str(live.data_dir))
        assert done.returncode == 2 and "Stop the bot first" in done.stderr
    finally:
        assert live.stop() == 0
    before = json.loads((live.data_dir / "state.json").read_text())
    result = restore_backup(path, live.data_dir)
    assert result.moved_aside is not None
    assert json.loads((result.moved_aside / "state.json").read_text()) == before
    assert (result.moved_aside / "polybot.duckdb").exists()


def test_offline_backup_round_trip_and_retention(backed_up, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bot, _, _ = backed_up
    root = tmp_path / "offline"
    made = [backup_offline(bot.data_dir, root, bot.config.parent, now_ms=1_700_000_000_000 + i) for i in range(3)]
    assert all(verify_backup(p)["method"] == "offline" for p in made)
    assert verify_backup(made[0])["tables"] == verify_backup(made[-1])["tables"]
    removed = apply_retention(root, keep=2)
    assert removed == [made[0]] and list_backups(root) == made[1:]
    done = cli("backup", "--data-dir", str(bot.data_dir), "--config", str(bot.config), "--to", str(root))
    assert done.returncode == 0 and "no bot running" in done.stdout
    with pytest.raises(BackupError, match="no store"):
        backup_offline(tmp_path / "empty", root, None)
