"""Data explorer page: the stored snapshot tables (rows, columns, a preview) and read-only SQL over
them (an in-memory DuckDB with file access switched off; SnapshotReader.sql), with CSV download.
The bot's own database file is never opened."""

from __future__ import annotations

import pyarrow.parquet as pq
import streamlit as st

from bot.adapters.storage.read_model import SNAPSHOT_TABLES
from bot.adapters.storage.snapshot_reader import ReadOnlyQueryError, SnapshotReader
from pages._auth import require_password
from pages._shared import data_dir, table_arrow
from ui import text

require_password()  # also here: a page must never render on its own without the gate
st.title("Data explorer")
MAX_SHOWN = 10_000  # rows drawn in the browser; the CSV holds the whole result
EXAMPLE = ("SELECT strategy, count(*) AS trades, sum(pnl_usd) AS pnl_usd, sum(fees_usd) AS fees_usd\n"
           "FROM trades GROUP BY strategy ORDER BY pnl_usd DESC")


def _rows(name: str) -> int | None:
    try:
        return pq.ParquetFile(data_dir() / "snapshots" / f"{name}.parquet").metadata.num_rows
    except (OSError, ValueError):
        return None


st.subheader("Tables")
overview = [{"Table": name, "Rows": "not written yet" if (n := _rows(name)) is None else f"{n:,}",
             "Columns": ", ".join(col for col, _ in columns)} for name, columns in SNAPSHOT_TABLES.items()]
st.dataframe(overview, hide_index=True)
st.caption("Snapshots of the bot's tables, refreshed every few seconds (see docs/READ_MODEL.md). "
           "Money columns are exact decimals; times are epoch milliseconds UTC.")

name = st.selectbox("Preview a table", list(SNAPSHOT_TABLES), key="explore_table")
preview = table_arrow(name)
st.caption(f"Last {min(200, preview.num_rows)} of {text.plural(preview.num_rows, 'row')}.")
st.dataframe(preview.slice(max(0, preview.num_rows - 200)).to_pandas(), hide_index=True)

st.subheader("Ask with SQL")
st.caption("One read-only SELECT (or WITH … SELECT). Tables are visible under their names above.")
query = st.text_area("Query", value=EXAMPLE, height=120, key="sql")
if st.button("Run query", key="run_sql", type="primary"):
    st.session_state["sql_ran"] = query
ran = st.session_state.get("sql_ran")
if ran:
    try:
        result = SnapshotReader(data_dir()).sql(ran)
    except ReadOnlyQueryError as exc:
        st.error(f"Not run: {exc}")
    except Exception as exc:  # DuckDB's own errors (unknown column, type mismatch) are the user's to fix
        st.error(f"The query failed: {exc}")
    else:
        more = f"; the first {MAX_SHOWN:,} are shown" if len(result) > MAX_SHOWN else ""
        st.caption(f"{text.plural(len(result), 'row')}{more}.")
        st.dataframe(result.head(MAX_SHOWN), hide_index=True)
        st.download_button("Download result (CSV)", data=result.to_csv(index=False), file_name="polybot-query.csv",
                           mime="text/csv", key="sql_csv")
