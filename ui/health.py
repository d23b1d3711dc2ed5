"""Health page transforms: the bot's vital signs from state.json and a log viewer over bot.log.

``parse_log`` turns the tail of data/logs/bot.log ("2026-11-22 01:22:10,123 INFO polybot.loop: ...",
tracebacks folded into the record above them) into records a page can filter by level and text.
Pure: no streamlit; callers read the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ui import text

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_LINE = re.compile(r"^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:,\d+)?) (?P<level>[A-Z]+) (?P<logger>[\w.]+): (?P<msg>.*)$")


@dataclass(frozen=True, slots=True)
class LogRecord:
    ts: str
    level: str
    logger: str
    message: str  # continuation lines (tracebacks) included, newline-separated


def parse_log(lines: Iterable[str]) -> list[LogRecord]:
    """Records in file order; lines before the first header (a cut-off traceback) are skipped."""
    out: list[LogRecord] = []
    for line in lines:
        line = line.rstrip("\n")
        match = _LINE.match(line)
        if match:
            out.append(LogRecord(match["ts"], match["level"], match["logger"], match["msg"]))
        elif out and line.strip():
            last = out[-1]
            out[-1] = LogRecord(last.ts, last.level, last.logger, f"{last.message}\n{line}")
    return out


def filter_log(records: Sequence[LogRecord], levels: Sequence[str] = (), search: str = "",
               tail: int = 200) -> list[LogRecord]:
    """The newest ``tail`` records of the chosen levels containing ``search`` (any case), newest first."""
    wanted = {lvl.upper() for lvl in levels}
    needle = search.strip().lower()
    kept = [r for r in records if (not wanted or r.level in wanted)
            and (not needle or needle in r.message.lower() or needle in r.logger.lower())]
    return kept[-tail:][::-1] if tail > 0 else []


def last_errors(records: Sequence[LogRecord], n: int = 5) -> list[LogRecord]:
    return [r for r in records if r.level in ("ERROR", "CRITICAL")][-n:][::-1]


def vitals(state: Mapping[str, Any], age_s: float) -> list[tuple[str, str, str]]:
    """(label, value, caption) for the headline health numbers."""
    cycle, process = state.get("cycle") or {}, state.get("process") or {}
    feed = state.get("feed") or {}
    feed_age = text.to_float(feed.get("last_message_age_s", feed.get("last_event_age_s")))
    return [
        ("Heartbeat", f"{age_s:.1f} s ago" if age_s < 10 else f"{text.duration(age_s)} ago",
         f"state.json written by pid {process.get('pid', text.MISSING)}"),
        ("Cycle time p50 / p99", f"{_ms(cycle.get('p50_ms'))} / {_ms(cycle.get('p99_ms'))}",
         f"last {_ms(cycle.get('last_ms'))}, {int(cycle.get('count') or 0):,} cycles"),
        ("Feed", str(feed.get("status") or text.MISSING).upper(),
         f"{feed.get('mode_in_use') or feed.get('source') or text.MISSING}; last message "
         + (f"{feed_age:.1f} s ago" if feed_age is not None else text.MISSING)),
        ("Bot memory", f"{float(process.get('rss_mb') or 0):.0f} MB", "resident set size"),
    ]


def _ms(value: Any) -> str:
    number = text.to_float(value)
    return text.MISSING if number is None else f"{number:.1f} ms"


def error_counts(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    """API errors and dropped updates by kind, from the feed block and the engine's counters."""
    feed = state.get("feed") or {}
    rows = []
    for where, counts in (("API errors", feed.get("errors")), ("Feed drops", feed.get("dropped")),
                          ("Engine drops", (state.get("counters") or {}).get("dropped"))):
        if isinstance(counts, Mapping):
            rows += [{"Where": where, "Kind": str(kind).replace("_", " "), "Count": int(count or 0)}
                     for kind, count in counts.items()]
    return rows


def feed_details(feed: Mapping[str, Any]) -> list[dict[str, str]]:
    """Every scalar the feed reports, as label/value rows (new fields show up without code changes)."""
    return [{"Field": str(k).replace("_", " "), "Value": text.MISSING if v is None else str(v)}
            for k, v in feed.items() if not isinstance(v, (Mapping, list))]


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
