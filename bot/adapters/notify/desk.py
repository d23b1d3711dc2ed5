"""The chat command desk: turns ``/pause``, ``/forceexit 2``, ``/trades 5`` ... into answers.

Questions (/status, /positions, /pnl, /daily, /trades) are answered from the read model. Orders to
the bot (/pause, /resume, /stopentry, /forceexit, /reload) go through the same command inbox as the
dashboard's buttons, and the answer is the bot's own result for that command, read back from the
inbox (so "Paused" means the engine paused, not that a file was written).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.adapters.notify import reports
from bot.adapters.storage.commands import CommandError, CommandInbox

HELP = {
    "status": "what the bot is doing: P&L, capital, positions, trades",
    "positions": "open positions, numbered for /forceexit",
    "pnl": "profit and loss today and in total",
    "daily": "today's summary: trades, win rate, best and worst",
    "trades": "the last closed trades: /trades 5",
    "pause": "no new trades; open trades keep their exits",
    "resume": "allow new trades again (clears breaker and kill switch)",
    "stopentry": "no new entries; exits continue",
    "forceexit": "close a position now: /forceexit 1 (its number in /positions) or /forceexit all",
    "reload": "re-read config.yaml",
    "help": "this list",
}
SIMPLE = {"pause": "pause", "resume": "resume", "stopentry": "stop_entry", "reload": "reload"}
MAX_TRADES = 50


class CommandDesk:
    def __init__(self, data_dir: Path, inbox: CommandInbox | None, state: Callable[[], dict[str, Any] | None],
                 answer_timeout_s: float = 15.0, poll_s: float = 0.2, source: str = "telegram") -> None:
        self.data_dir = Path(data_dir)
        self.inbox = inbox
        self.state = state
        self.answer_timeout_s = answer_timeout_s
        self.poll_s = poll_s
        self.source = source

    async def handle(self, name: str, args: list[str]) -> str:
        if name in ("help", "start"):
            return "Polybot commands:\n" + "\n".join(f"/{cmd} - {text}" for cmd, text in HELP.items())
        if name == "status":
            return reports.status_text(self.state())
        if name == "positions":
            return reports.positions_text(self.state())
        if name == "pnl":
            return reports.pnl_text(self.state())
        if name == "daily":
            return await asyncio.to_thread(reports.daily_text, self.state(), self.data_dir)
        if name == "trades":
            try:
                last = max(1, min(MAX_TRADES, int(args[0]))) if args else 5
            except ValueError:
                return f"/trades takes a number of trades, like /trades 5 (got {args[0]!r})."
            return await asyncio.to_thread(reports.trades_text, self.data_dir, self.state(), last)
        if name in SIMPLE:
            return await self._submit(SIMPLE[name], {}, f"/{name}")
        if name == "forceexit":
            return await self._force_exit(args)
        return f"Unknown command /{name}. Try /help."

    async def _force_exit(self, args: list[str]) -> str:
        if not args:
            return "Which position? Use /forceexit <number> (see /positions) or /forceexit all."
        if args[0].lower() == "all":
            return await self._submit("flatten", {}, "/forceexit all")
        positions = (self.state() or {}).get("positions", [])
        wanted = args[0]
        chosen = None
        if wanted.isdigit() and 1 <= int(wanted) <= len(positions):
            chosen = positions[int(wanted) - 1]
        else:
            chosen = next((p for p in positions if wanted in (p["token_id"], p["market_id"])), None)
        if chosen is None:
            return (f"No open position {wanted!r}. " + (f"Pick 1 to {len(positions)} from /positions." if positions
                                                         else "There are no open positions."))
        return await self._submit("close_position", {"token_id": chosen["token_id"]},
                                  f"/forceexit ({chosen['outcome']} in “{chosen['question']}”)")

    async def _submit(self, kind: str, args: dict[str, str], label: str) -> str:
        if self.inbox is None:
            return "This bot runs without a data directory, so it cannot take commands."
        try:
            command_id = self.inbox.submit(kind, args, self.source)
        except (CommandError, OSError) as exc:
            return f"{label} was not sent: {exc}"
        deadline = time.monotonic() + self.answer_timeout_s
        while time.monotonic() < deadline:
            result = self.inbox.result(command_id)
            if result is not None:
                return f"{'✅' if result.get('ok') else '❌'} {result.get('result', '')}".strip()
            await asyncio.sleep(self.poll_s)
        return (f"⏳ {label} is queued (id {command_id}) but the bot has not acted on it within "
                f"{self.answer_timeout_s:.0f} s. Is it running? It will act when it picks the command up.")
