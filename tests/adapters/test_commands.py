"""The command inbox: submit/pending/mark_done/result, rejection of bad files, unique ids,
and exactly-once together with the store's processed ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.adapters.storage.commands import CommandError, CommandInbox
from bot.adapters.storage.duckdb_store import Store
from bot.domain.events import Command, CommandKind


def test_submit_then_pending_in_time_order(tmp_path: Path):
    inbox = CommandInbox(tmp_path)
    late = inbox.submit("pause", {}, "ui", now_ms=2_000)
    early = inbox.submit("manual_order", {"market_id": "m1", "token_id": "t2", "side": "BUY", "usd": 5},
                         "telegram", now_ms=1_000)
    assert early.startswith("telegram-1000-") and late.startswith("ui-2000-")
    assert inbox.pending(now_ms=77) == [
        Command(77, early, CommandKind.MANUAL_ORDER,
                (("market_id", "m1"), ("side", "BUY"), ("token_id", "t2"), ("usd", "5"))),
        Command(77, late, CommandKind.PAUSE, ()),
    ]
    assert inbox.pending(now_ms=78)[0].arg("usd") == "5"  # still pending until marked done
    assert inbox.result(early) is None


def test_ids_are_unique_within_one_millisecond(tmp_path: Path):
    inbox = CommandInbox(tmp_path)
    ids = {inbox.submit("pause", {}, "cli", now_ms=1) for _ in range(500)}
    assert len(ids) == 500 and len(list((tmp_path / "commands").glob("*.json"))) == 500


def test_mark_done_moves_file_and_result_reports_it(tmp_path: Path):
    inbox = CommandInbox(tmp_path)
    command_id = inbox.submit("close_position", {"token_id": "t2"}, "ui", now_ms=5)
    inbox.mark_done(command_id, True, "Closed 6.38 No at 49¢", done_ts_ms=9)
    assert inbox.pending(now_ms=10) == []
    assert not (tmp_path / "commands" / f"{command_id}.json").exists()
    assert inbox.result(command_id) == {
        "command_id": command_id, "kind": "close_position", "args": {"token_id": "t2"}, "ts_ms": 5,
        "source": "ui", "ok": True, "result": "Closed 6.38 No at 49¢", "done_ts_ms": 9}


def test_crash_between_done_and_unlink_is_cleaned_up(tmp_path: Path):
    inbox = CommandInbox(tmp_path)
    command_id = inbox.submit("pause", {}, "ui", now_ms=5)
    original = (tmp_path / "commands" / f"{command_id}.json").read_text()
    inbox.mark_done(command_id, True, "Paused")
    (tmp_path / "commands" / f"{command_id}.json").write_text(original)  # as if the unlink never happened
    assert inbox.pending(now_ms=6) == []
    assert inbox.result(command_id)["ok"] is True


@pytest.mark.parametrize("content, reason", [
    ("{not json", "not a readable JSON object"),
    ('["a list"]', "not a readable JSON object"),
    ('{"command_id": "other-1-aa", "kind": "pause", "args": {}, "ts_ms": 1}', "does not match the file name"),
    ('{"command_id": "bad-1-aa", "kind": "explode", "args": {}, "ts_ms": 1}', "unknown command kind"),
    ('{"command_id": "bad-1-aa", "kind": "pause", "args": {}, "ts_ms": "soon"}', "ts_ms must be an integer"),
    ('{"command_id": "bad-1-aa", "kind": "pause", "args": [], "ts_ms": 1}', "args must be an object"),
    ('{"command_id": "bad-1-aa", "kind": "close_position", "args": {}, "ts_ms": 1}', "needs a token_id"),
    ('{"command_id": "bad-1-aa", "kind": "manual_order", "ts_ms": 1, "args": '
     '{"market_id": "m", "token_id": "t", "side": "BUY", "usd": "-3"}}', "usd must be a positive number"),
])
def test_malformed_file_is_rejected_with_a_reason(tmp_path: Path, content: str, reason: str):
    inbox = CommandInbox(tmp_path)
    (tmp_path / "commands" / "bad-1-aa.json").write_text(content)
    good = inbox.submit("resume", {}, "ui", now_ms=3)
    assert [c.command_id for c in inbox.pending(now_ms=4)] == [good]
    assert (tmp_path / "commands" / "rejected" / "bad-1-aa.json").read_text() == content
    assert reason in (tmp_path / "commands" / "rejected" / "bad-1-aa.json.reason.txt").read_text()
    assert inbox.result("bad-1-aa")["ok"] is False
    assert inbox.pending(now_ms=5) == [inbox.pending(now_ms=5)[0]]  # the bad file is gone for good


def test_temp_files_are_ignored(tmp_path: Path):
    inbox = CommandInbox(tmp_path)
    (tmp_path / "commands" / ".ui-1-aa.json.tmp").write_text('{"half')
    assert inbox.pending(now_ms=1) == []
    assert (tmp_path / "commands" / ".ui-1-aa.json.tmp").exists()


@pytest.mark.parametrize("kind, args, message", [
    ("reboot", {}, "unknown command kind"),
    ("manual_order", {"market_id": "m", "token_id": "t", "side": "HOLD", "shares": 5}, "BUY or SELL"),
    ("manual_order", {"market_id": "m", "token_id": "t", "side": "BUY"}, "exactly one of usd or shares"),
    ("manual_order", {"market_id": "m", "token_id": "t", "side": "BUY", "usd": "lots"}, "must be a number"),
    ("pause", {"nested": {"a": 1}}, "text or numbers"),
])
def test_submit_refuses_bad_commands_and_writes_nothing(tmp_path: Path, kind, args, message):
    inbox = CommandInbox(tmp_path)
    with pytest.raises(CommandError, match=message):
        inbox.submit(kind, args, "ui")
    assert list((tmp_path / "commands").glob("*.json")) == []


def test_path_like_ids_are_refused(tmp_path: Path):
    inbox = CommandInbox(tmp_path)
    assert inbox.result("../../state") is None
    with pytest.raises(CommandError):
        inbox.mark_done("../escape", True, "")


def test_exactly_once_with_the_store(tmp_path: Path):
    """The bot's protocol from the module docstring, with a crash before the file was moved."""
    inbox = CommandInbox(tmp_path)
    command_id = inbox.submit("flatten", {}, "ui", now_ms=1)
    acted: list[str] = []

    def cycle(store: Store, crash_before_mark_done: bool) -> None:
        processed = store.processed_command_ids()
        for command in inbox.pending(now_ms=2):
            if command.command_id not in processed:
                acted.append(command.command_id)
                store.record_command(command.command_id, command.kind, dict(command.args), True, "Done", 2)
            if not crash_before_mark_done:
                inbox.mark_done(command.command_id, True, "Flattened")

    with Store(tmp_path / "polybot.duckdb") as store:
        cycle(store, crash_before_mark_done=True)
    with Store(tmp_path / "polybot.duckdb") as store:  # restart: the file is still in the inbox
        cycle(store, crash_before_mark_done=False)
    assert acted == [command_id]
    assert json.loads((tmp_path / "commands" / "done" / f"{command_id}.json").read_text())["ok"] is True
