"""The read side of the read model, for the dashboard, CLI and Telegram answers.

Reads ``state.json`` and ``snapshots/*.parquet`` only; it never opens ``polybot.duckdb`` (the bot
holds DuckDB's exclusive lock on it). Each Parquet file is read through one open file handle, so a
concurrent ``os.replace`` by the exporter cannot mix two versions: we read the old file or the new.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from bot.adapters.storage.read_model import SNAPSHOT_TABLES, arrow_schema
from bot.adapters.storage.state_file import read_state

# Memory cap of the in-memory DuckDB behind ``sql`` (the dashboard's Data explorer). Docker sets
# POLYBOT_QUERY_MEMORY_LIMIT_MB below the dashboard container's limit, so a heavy query fails with
# DuckDB's "Out of Memory" message on the page instead of the kernel killing the dashboard.
QUERY_MEMORY_ENV = "POLYBOT_QUERY_MEMORY_LIMIT_MB"
DEFAULT_QUERY_MEMORY_MB = 256


def query_memory_limit_mb() -> int:
    raw = os.environ.get(QUERY_MEMORY_ENV, "").strip()
    if not raw:
        return DEFAULT_QUERY_MEMORY_MB
    if not raw.isdigit() or not 16 <= int(raw) <= 65536:
        raise ValueError(f"{QUERY_MEMORY_ENV}={raw!r}: give whole megabytes between 16 and 65536")
    return int(raw)


class ReadOnlyQueryError(ValueError):
    """``SnapshotReader.sql`` accepts a single SELECT (or WITH ... SELECT) statement only."""


class SnapshotReader:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.snapshot_dir = self.data_dir / "snapshots"

    def state(self) -> dict[str, Any] | None:
        """The last state.json, or None when the bot has not published one (or it is unreadable)."""
        return read_state(self.data_dir / "state.json")

    def arrow(self, name: str) -> pa.Table:
        """A snapshot table as Arrow; an empty table of the contract's schema when there is no file."""
        if name not in SNAPSHOT_TABLES:
            raise KeyError(f"unknown snapshot table {name!r}; known: {', '.join(SNAPSHOT_TABLES)}")
        try:
            with open(self.snapshot_dir / f"{name}.parquet", "rb") as handle:
                return pq.read_table(handle)
        except FileNotFoundError:
            return arrow_schema(name).empty_table()

    def table(self, name: str) -> pd.DataFrame:
        """A snapshot table as pandas (money columns hold exact ``Decimal`` objects)."""
        return self.arrow(name).to_pandas()

    def sql(self, query: str) -> pd.DataFrame:
        """Run one read-only SELECT over the snapshots, tables visible under their own names.

        The connection is in-memory, with file access switched off and the configuration locked
        after the tables are attached, so even a SELECT cannot read or write other files.
        """
        con = duckdb.connect(":memory:", config={"threads": 1, "memory_limit": f"{query_memory_limit_mb()}MB"})
        try:
            statements = con.extract_statements(query)
        except duckdb.Error as exc:
            con.close()
            raise ReadOnlyQueryError(f"could not parse the query: {exc}") from exc
        try:
            if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
                kinds = ", ".join(s.type.name for s in statements) or "nothing"
                raise ReadOnlyQueryError(
                    f"only a single SELECT (or WITH ... SELECT) statement is allowed; got {kinds}"
                )
            # Attach only the tables the query names: each one is a full file read.
            for name in SNAPSHOT_TABLES:
                if re.search(rf"\b{name}\b", query, flags=re.IGNORECASE):
                    con.register(name, self.arrow(name))
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
            return con.execute(query).df()
        finally:
            con.close()
