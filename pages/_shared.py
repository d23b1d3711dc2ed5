"""Streamlit glue shared by app.py and the pages: where the data lives, cached reads, banners.

Everything pure (text, tables, charts) lives in ``ui/``; this module is the thin layer that knows
about Streamlit and the read model's files. It never opens data/polybot.duckdb (rule 9).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from bot.adapters.storage.snapshot_reader import SnapshotReader
from ui import tables, text

REPO = Path(__file__).resolve().parents[1]
REFRESH_S = 2  # live panels; config dashboard.refresh_s's default, used when the file cannot be read
STALE_AFTER_S = 10  # config dashboard.stale_after_s's default, likewise


@st.cache_data(ttl=30, show_spinner=False)
def _dashboard_settings(path_text: str) -> tuple[int, int]:
    from pages._config import check, load

    try:
        settings = check(load()[1])
    except Exception:  # a broken file is the Settings page's to report; the panels keep refreshing
        return REFRESH_S, STALE_AFTER_S
    return settings.dashboard.refresh_s, settings.dashboard.stale_after_s


def refresh_s() -> int:
    """How often live panels refresh (config dashboard.refresh_s)."""
    from pages._config import config_path

    return _dashboard_settings(str(config_path()))[0]


def stale_after_s() -> int:
    """Heartbeat age after which numbers are flagged as old (config dashboard.stale_after_s)."""
    from pages._config import config_path

    return _dashboard_settings(str(config_path()))[1]


def data_dir() -> Path:
    # Read on every call: tests and `make demo` point POLYBOT_DATA_DIR elsewhere per session.
    return Path(os.environ.get("POLYBOT_DATA_DIR", str(REPO / "data")))


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def load_state() -> dict[str, Any] | None:
    # Not cached: state.json is small and it is the heartbeat; a cached copy would look older.
    return SnapshotReader(data_dir()).state()


@st.cache_data(ttl=2, show_spinner=False)
def _table(dir_text: str, name: str) -> pd.DataFrame:
    return SnapshotReader(Path(dir_text)).table(name)


def table(name: str) -> pd.DataFrame:
    """A snapshot table (empty with the contract's columns when the bot has not written it)."""
    return _table(str(data_dir()), name)


def tz() -> str:
    """The browser's time zone when Streamlit knows it, else UTC."""
    name = st.context.timezone
    try:
        return str(ZoneInfo(name)) if name else "UTC"
    except (KeyError, ValueError):
        return "UTC"


def age_s(state: dict[str, Any]) -> float:
    return (now_ms() - int(state.get("written_ts_ms") or 0)) / 1000


def md(line: str) -> str:
    """Escape "$" so "$0.40 of your $2.00" is not rendered as LaTeX by Streamlit markdown."""
    return line.replace("$", "\\$")


def banner(state: dict[str, Any] | None) -> bool:
    """Say when there is no bot or its numbers are old; True when there is a state to show."""
    if state is None:
        st.info(text.NOT_RUNNING)
        return False
    if age_s(state) > stale_after_s():
        st.warning(text.stale_warning(age_s(state)), icon="⚠️")
    return True


def table_arrow(name: str) -> Any:
    """A snapshot table as Arrow (cheap to filter before converting the rows a page shows)."""
    return _arrow(str(data_dir()), name)


@st.cache_data(ttl=2, show_spinner=False)
def _arrow(dir_text: str, name: str) -> Any:
    return SnapshotReader(Path(dir_text)).arrow(name)


def acted_at(command_id: str) -> int | None:
    """When the bot filed the command as done (epoch ms), from the done file's modification time."""
    path = data_dir() / "commands" / "done" / f"{command_id}.json"
    try:
        return int(path.stat().st_mtime * 1000)
    except OSError:
        return None


def headline(state: dict[str, Any]) -> None:
    """Total P&L, today's P&L, open positions and closed trades: the same numbers on every page."""
    for col, (label, value, caption) in zip(st.columns(4), tables.headline(state), strict=True):
        col.metric(label, value)
        col.caption(md(caption))
