"""Health page: heartbeat age, cycle latency p50/p99, feed status and last message age, API errors
by kind, bot memory, store size, the last errors, and a log viewer over data/logs/bot.log (tail,
level filter, search). Reads files' sizes, never opens the DuckDB file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from pages._auth import require_password
from pages._shared import age_s, banner, data_dir, load_state, md, refresh_s
from ui import health

require_password()  # also here: a page must never render on its own without the gate
st.title("Health")
LOG_TAIL_BYTES = 2_000_000  # enough for thousands of lines; a rotated 5 MB log is not read whole


def _size(path: Path) -> int:
    try:
        if path.is_dir():
            return sum(p.stat().st_size for p in path.iterdir() if p.is_file())
        return path.stat().st_size
    except OSError:
        return 0


def _log_lines() -> list[str]:
    path = data_dir() / "logs" / "bot.log"
    try:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - LOG_TAIL_BYTES))
            data = handle.read()
    except OSError:
        return []
    lines = data.decode("utf-8", errors="replace").splitlines()
    return lines[1:] if size > LOG_TAIL_BYTES else lines  # the first line may be cut in half


@st.fragment(run_every=refresh_s())
def vitals() -> None:
    state = load_state()
    if not banner(state):
        return
    assert state is not None
    for col, (label, value, caption) in zip(st.columns(4), health.vitals(state, age_s(state)), strict=True):
        col.metric(label, value)
        col.caption(md(caption))
    d = data_dir()
    store = _size(d / "polybot.duckdb") + _size(d / "polybot.duckdb.wal")
    c1, c2, c3 = st.columns(3)
    c1.metric("Store size", health.human_bytes(store))
    c1.caption("polybot.duckdb and its write-ahead log")
    c2.metric("Snapshots", health.human_bytes(_size(d / "snapshots")))
    c2.caption("the dashboard's Parquet files")
    c3.metric("Logs", health.human_bytes(_size(d / "logs")))
    if state.get("config_error"):
        st.error(md(f"The last config change was refused:\n\n```\n{state['config_error']}\n```"))
    left, right = st.columns(2)
    with left:
        st.subheader("Feed")
        st.dataframe(health.feed_details(state.get("feed") or {}), hide_index=True)
    with right:
        st.subheader("Errors and drops by kind")
        counts = health.error_counts(state)
        if counts:
            st.dataframe(counts, hide_index=True)
        else:
            st.caption("None counted.")


vitals()

records = health.parse_log(_log_lines())
st.subheader("Last errors")
errors = health.last_errors(records)
if errors:
    for r in errors:
        st.error(f"{r.ts} {r.logger}: {r.message}")
else:
    st.caption("No errors in the recent log.")

st.subheader("Log")
c1, c2, c3 = st.columns([2, 3, 1])
levels = c1.multiselect("Levels", health.LEVELS, default=["INFO", "WARNING", "ERROR", "CRITICAL"], key="log_levels")
search = c2.text_input("Search", key="log_search")
tail = c3.number_input("Lines", min_value=10, max_value=5000, value=200, step=50, key="log_tail")
shown = health.filter_log(records, levels, search, int(tail))
st.caption(f"{len(shown)} of {len(records)} recent log records, newest first.")
if shown:
    st.dataframe(pd.DataFrame([{"Time": r.ts, "Level": r.level, "Source": r.logger, "Message": r.message} for r in shown]),
                 hide_index=True)
