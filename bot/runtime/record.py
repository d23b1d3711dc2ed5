"""``python -m bot record``: write the live Polymarket feed as a recording, without trading.

The same LiveFeed the bot trades on, one cycle a second, teed into the recording format
(ticks.parquet + markets.json). ``--tokens`` records exactly the markets holding those tokens;
otherwise the scanner's watch list (config filters) is recorded.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.adapters.clock import WallClock
from bot.adapters.feeds.live import LiveFeed
from bot.adapters.feeds.tee import RecordingTee
from bot.config.schema import Settings

log = logging.getLogger("polybot.record")


def default_recording_dir(data_dir: Path, now_ms: int) -> Path:
    return data_dir / "recordings" / datetime.fromtimestamp(now_ms / 1000, tz=UTC).strftime("%Y%m%dT%H%M%SZ")


def record(settings: Settings, out: Path, duration_s: float | None, tokens: frozenset[str] | None,
           stop: threading.Event) -> dict[str, int | str]:
    """Record until ``duration_s`` passes or ``stop`` is set; returns what was written."""
    cycle_s = settings.runtime.cycle_s
    feed = LiveFeed(settings, WallClock(), int(cycle_s * 1000), tokens=tokens).start()
    tee = RecordingTee(feed, out)
    started = time.monotonic()
    cycles = books = 0
    next_tick = started
    try:
        while not stop.is_set() and (duration_s is None or time.monotonic() - started < duration_s):
            cycle = tee.next_cycle()
            cycles += 1
            books += sum(1 for e in cycle.events if type(e).__name__ == "BookUpdate")
            next_tick += cycle_s
            stop.wait(max(0.0, next_tick - time.monotonic()))
            if cycles % 30 == 0:
                h = feed.health()
                log.info("recording: %d cycles, %d book updates, feed %s, %d markets", cycles, books, h["status"],
                         h["watched_markets"])
    finally:
        health = feed.health()
        tee.close()
    log.info("recorded %d cycles and %d book updates into %s", cycles, books, out)
    return {"directory": str(out), "cycles": cycles, "book_updates": books, "feed_status": health["status"],
            "markets": health["watched_markets"]}
