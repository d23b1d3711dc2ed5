"""The dashboard's read side: works with no data, reads what the store exported, and only SELECTs."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pandas as pd
import pytest

from bot.adapters.storage.duckdb_store import Store
from bot.adapters.storage.read_model import SNAPSHOT_TABLES
from bot.adapters.storage.snapshot_reader import ReadOnlyQueryError, SnapshotReader
from bot.adapters.storage.state_file import write_json_atomic
from bot.domain.positions import ClosedTrade


def test_no_data_gives_empty_frames_with_contract_columns(tmp_path: Path):
    reader = SnapshotReader(tmp_path / "nothing-here")
    assert reader.state() is None
    for name, columns in SNAPSHOT_TABLES.items():
        frame = reader.table(name)
        assert frame.empty and list(frame.columns) == [column for column, _ in columns]
    totals = reader.sql("SELECT count(*) AS n, sum(pnl_usd) AS pnl FROM trades")
    assert totals.n[0] == 0 and pd.isna(totals.pnl[0])
    with pytest.raises(KeyError, match="unknown snapshot table 'bogus'"):
        reader.table("bogus")


def test_reads_state_and_exported_tables(tmp_path: Path):
    write_json_atomic(tmp_path / "state.json", {"version": 1, "status": "running"})
    with Store(tmp_path / "polybot.duckdb") as store:
        for i, pnl in enumerate([D("0.12"), D("-0.05"), D("0.000001")]):
            store.record_trade(ClosedTrade(f"t{i}", "m1", "tb", "s", D("6.38"), D("0.47"), D("0.49"),
                                           D("3"), D("3.12"), pnl, D("0.01"), i, i + 1, "in", "out"))
        store.export_snapshots(tmp_path / "snapshots", now_ms=10)
    reader = SnapshotReader(tmp_path)
    assert reader.state()["status"] == "running"
    assert sum(reader.table("trades").pnl_usd, D(0)) == D("0.070001")  # exact Decimals from Parquet
    frame = reader.sql("WITH w AS (SELECT * FROM trades WHERE pnl_usd > 0) "
                       "SELECT count(*) AS wins, sum(pnl_usd) AS won FROM w")
    assert frame.wins[0] == 2 and float(frame.won[0]) == pytest.approx(0.120001)
    assert reader.sql("SELECT t.trade_id, m.question FROM trades t LEFT JOIN markets m USING (market_id) "
                      "ORDER BY 1").trade_id.tolist() == ["t0", "t1", "t2"]


@pytest.mark.parametrize("query, message", [
    ("DELETE FROM trades", "got DELETE"),
    ("SELECT 1; DROP TABLE trades", "got SELECT, DROP"),
    ("COPY (SELECT 1) TO '/tmp/x.csv'", "got COPY"),
    ("CREATE TABLE x AS SELECT 1", "got CREATE"),
    ("SET enable_external_access = true", "got SET"),
    ("", "got nothing"),
    ("SELEC oops", "could not parse"),
])
def test_sql_refuses_anything_but_one_select(tmp_path: Path, query: str, message: str):
    with pytest.raises(ReadOnlyQueryError, match=message):
        SnapshotReader(tmp_path).sql(query)


def test_select_cannot_reach_other_files(tmp_path: Path):
    (tmp_path / "secret.csv").write_text("a\n1\n")
    with pytest.raises(Exception, match="disabled by configuration"):
        SnapshotReader(tmp_path).sql(f"SELECT * FROM read_csv('{tmp_path / 'secret.csv'}')")


def test_query_memory_cap_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Docker caps the dashboard's queries below its container limit: a query needing more fails
    with DuckDB's own message instead of getting the dashboard killed."""
    reader = SnapshotReader(tmp_path)
    heavy = "SELECT count(DISTINCT i::VARCHAR || 'x') FROM range(3000000) t(i)"
    monkeypatch.setenv("POLYBOT_QUERY_MEMORY_LIMIT_MB", "16")
    assert reader.sql("SELECT current_setting('memory_limit') AS m").m[0] in ("15.2 MiB", "16.0 MiB", "16MB")
    with pytest.raises(Exception, match="Out of Memory"):
        reader.sql(heavy)
    monkeypatch.delenv("POLYBOT_QUERY_MEMORY_LIMIT_MB")
    assert int(reader.sql(heavy).iloc[0, 0]) == 3_000_000
    monkeypatch.setenv("POLYBOT_QUERY_MEMORY_LIMIT_MB", "lots")
    with pytest.raises(ValueError, match="POLYBOT_QUERY_MEMORY_LIMIT_MB"):
        reader.sql("SELECT 1")
