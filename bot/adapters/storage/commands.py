"""The command inbox: ``data/commands/*.json`` files from the dashboard, CLI and Telegram to the bot.

Submitters call ``submit`` (an atomic file write; they never touch the DuckDB file). The bot calls
``pending`` each cycle, acts, then ``mark_done``, which moves the file to ``commands/done/`` with
``ok`` and ``result`` added; a submitter polls ``result`` to see what happened. Files that cannot
be parsed into a domain ``Command`` go to ``commands/rejected/`` next to a ``.reason.txt``, so bad
input is visible and never crashes the loop.

Exactly once: the files alone cannot give it (the bot can die between acting and moving the file).
The bot must, for every pending command:

1. skip acting if ``command_id in store.processed_command_ids()`` (just ``mark_done`` it again);
2. act; a manual order's client order id derives from the command id, and ``Store.record_order``
   is write-ahead, so a crash between acting and step 3 cannot place the order twice;
3. ``store.record_command(...)`` (the durable "processed" mark), then ``inbox.mark_done(...)``.

A crash after 3 and before the move only leaves the file to be re-marked done on restart.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from bot.adapters.storage.state_file import read_json, write_json_atomic
from bot.domain.events import Command, CommandKind

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")  # ids are file names: no paths, no dotfiles
_SOURCE = re.compile(r"[^a-z0-9_]+")
ArgValue = str | int | float | Decimal | bool


class CommandError(ValueError):
    """A command that must not reach the bot; the message says which field and why."""


def _positive_decimal(args: dict[str, str], name: str) -> None:
    try:
        value = Decimal(args[name])
    except (InvalidOperation, ValueError):
        raise CommandError(f"manual_order: {name} must be a number, got {args[name]!r}") from None
    if not value.is_finite() or value <= 0:
        raise CommandError(f"manual_order: {name} must be a positive number, got {args[name]!r}")


def validate(kind: str, args: dict[str, str]) -> CommandKind:
    """Check the kind and the arguments it needs; raise CommandError naming the problem."""
    try:
        command_kind = CommandKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in CommandKind)
        raise CommandError(f"unknown command kind {kind!r}; expected one of {known}") from None
    if command_kind is CommandKind.CLOSE_POSITION and not args.get("token_id"):
        raise CommandError("close_position needs a token_id argument")
    if command_kind is CommandKind.MANUAL_ORDER:
        for name in ("market_id", "token_id", "side"):
            if not args.get(name):
                raise CommandError(f"manual_order needs a {name} argument")
        if args["side"] not in ("BUY", "SELL"):
            raise CommandError(f"manual_order: side must be BUY or SELL, got {args['side']!r}")
        sizes = [name for name in ("usd", "shares") if name in args]
        if len(sizes) != 1:
            raise CommandError("manual_order needs exactly one of usd or shares")
        _positive_decimal(args, sizes[0])
    return command_kind


def _arg_text(value: Any) -> str:
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (str, int, float)):
        return str(value)
    raise CommandError(f"argument values must be text or numbers, got {type(value).__name__}")


class CommandInbox:
    """Both ends of ``<data_dir>/commands/``: ``submit``/``result`` for submitters,
    ``pending``/``mark_done`` for the bot."""

    def __init__(self, data_dir: Path) -> None:
        self.dir = Path(data_dir) / "commands"
        self.done_dir = self.dir / "done"
        self.rejected_dir = self.dir / "rejected"
        for folder in (self.dir, self.done_dir, self.rejected_dir):
            folder.mkdir(parents=True, exist_ok=True)

    # ---- submitter side -----------------------------------------------------------------

    def submit(self, kind: str, args: dict[str, ArgValue], source: str, now_ms: int | None = None) -> str:
        """Validate and queue a command; returns its id. Raises CommandError on bad input."""
        text_args = {str(name): _arg_text(value) for name, value in args.items()}
        validate(kind, text_args)
        ts_ms = now_ms if now_ms is not None else time.time_ns() // 1_000_000
        tag = _SOURCE.sub("_", source.lower()).strip("_") or "cmd"
        # Random suffix: two submitters in the same millisecond still get distinct ids.
        command_id = f"{tag[:32]}-{ts_ms}-{secrets.token_hex(4)}"
        payload = {"command_id": command_id, "kind": kind, "args": text_args, "ts_ms": ts_ms,
                   "source": source}
        write_json_atomic(self.dir / f"{command_id}.json", payload)
        return command_id

    def result(self, command_id: str) -> dict[str, Any] | None:
        """The done record (``ok``, ``result``) once the bot acted, a rejection record, or None."""
        if not _ID.match(command_id):
            return None
        done = read_json(self.done_dir / f"{command_id}.json")
        if done is not None:
            return done
        reason = self.rejected_dir / f"{command_id}.json.reason.txt"
        if reason.exists():
            return {"command_id": command_id, "ok": False, "rejected": True,
                    "result": reason.read_text(encoding="utf-8", errors="replace")}
        return None

    # ---- bot side -----------------------------------------------------------------------

    def pending(self, now_ms: int) -> list[Command]:
        """Parse the waiting commands, oldest first. Each becomes a ``Command`` stamped ``now_ms``
        (the engine's clock, so events stay in time order even in replay); the submitter's wall
        time stays in the file. Malformed files are moved to ``rejected/``."""
        parsed: list[tuple[int, str, Command]] = []
        for path in self.dir.glob("*.json"):
            if path.name.startswith("."):
                continue
            if (self.done_dir / path.name).exists():
                path.unlink(missing_ok=True)  # crashed after writing done/ but before removing this
                continue
            try:
                submitted_ms, command = self._parse(path, now_ms)
            except CommandError as exc:
                self._reject(path, str(exc))
                continue
            parsed.append((submitted_ms, path.name, command))
        parsed.sort(key=lambda item: (item[0], item[1]))
        return [command for _, _, command in parsed]

    def _parse(self, path: Path, now_ms: int) -> tuple[int, Command]:
        payload = read_json(path)
        if payload is None:
            raise CommandError("not a readable JSON object")
        command_id = payload.get("command_id")
        if command_id != path.stem or not _ID.match(path.stem):
            # The id is the exactly-once key: it must be the file's own name, not a copy of another's.
            raise CommandError(f"command_id {command_id!r} does not match the file name {path.stem!r}")
        ts_ms = payload.get("ts_ms")
        if not isinstance(ts_ms, int) or isinstance(ts_ms, bool):
            raise CommandError(f"ts_ms must be an integer (epoch ms), got {ts_ms!r}")
        raw_args = payload.get("args", {})
        if not isinstance(raw_args, dict):
            raise CommandError(f"args must be an object, got {type(raw_args).__name__}")
        args = {str(name): _arg_text(value) for name, value in raw_args.items()}
        kind = validate(str(payload.get("kind")), args)
        return ts_ms, Command(now_ms, command_id, kind, tuple(sorted(args.items())))

    def _reject(self, path: Path, reason: str) -> None:
        target = self.rejected_dir / path.name
        try:
            os.replace(path, target)
        except FileNotFoundError:
            return  # someone else moved it
        (self.rejected_dir / f"{path.name}.reason.txt").write_text(reason + "\n", encoding="utf-8")

    def mark_done(self, command_id: str, ok: bool, text: str, done_ts_ms: int | None = None) -> None:
        """Record the outcome in ``done/<id>.json`` and remove the command from the inbox."""
        if not _ID.match(command_id):
            raise CommandError(f"invalid command id {command_id!r}")
        source = self.dir / f"{command_id}.json"
        done = self.done_dir / f"{command_id}.json"
        payload = read_json(source) or read_json(done) or {"command_id": command_id}
        payload.update({"ok": ok, "result": text})
        if done_ts_ms is not None:
            payload["done_ts_ms"] = done_ts_ms
        # Write done/ first: a crash in between leaves a duplicate that pending() cleans up,
        # never a command that vanished without its result.
        write_json_atomic(done, payload)
        source.unlink(missing_ok=True)
