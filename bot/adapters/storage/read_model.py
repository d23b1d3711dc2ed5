"""The snapshot half of the read-model contract (docs/READ_MODEL.md): table names, columns, types.

One definition shared by the writer (``Store.export_snapshots`` selects exactly these columns) and
the readers (``SnapshotReader`` returns empty frames of this shape when a file is missing), so the
two sides cannot drift apart silently; a test compares the exported files with it.
"""

from __future__ import annotations

import pyarrow as pa

MONEY = "DECIMAL(18,6)"  # Decimal in the domain: cash, sizes, order/fill prices, fees, P&L
_ARROW = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    MONEY: pa.decimal128(18, 6),
}

Columns = tuple[tuple[str, str], ...]

SNAPSHOT_TABLES: dict[str, Columns] = {
    "trades": (
        ("trade_id", "VARCHAR"), ("market_id", "VARCHAR"), ("question", "VARCHAR"), ("token_id", "VARCHAR"),
        ("outcome", "VARCHAR"), ("strategy", "VARCHAR"), ("shares", MONEY), ("entry_price", MONEY),
        ("exit_price", MONEY), ("cost_usd", MONEY), ("proceeds_usd", MONEY), ("pnl_usd", MONEY),
        ("fees_usd", MONEY), ("opened_ts_ms", "BIGINT"), ("closed_ts_ms", "BIGINT"),
        ("entry_reason", "VARCHAR"), ("exit_reason", "VARCHAR"),
    ),
    "fills": (
        ("fill_id", "VARCHAR"), ("client_order_id", "VARCHAR"), ("strategy", "VARCHAR"), ("market_id", "VARCHAR"),
        ("token_id", "VARCHAR"), ("side", "VARCHAR"), ("price", MONEY), ("shares", MONEY), ("fee_usd", MONEY),
        ("shares_received", MONEY), ("cash_delta", MONEY), ("is_maker", "BOOLEAN"), ("purpose", "VARCHAR"),
        ("ts_ms", "BIGINT"),
    ),
    "orders": (
        ("client_order_id", "VARCHAR"), ("strategy", "VARCHAR"), ("market_id", "VARCHAR"), ("token_id", "VARCHAR"),
        ("side", "VARCHAR"), ("shares", MONEY), ("limit_price", MONEY), ("order_type", "VARCHAR"),
        ("purpose", "VARCHAR"), ("status", "VARCHAR"), ("filled_shares", MONEY), ("reason", "VARCHAR"),
        ("status_reason", "VARCHAR"), ("ts_ms", "BIGINT"), ("updated_ts_ms", "BIGINT"),
    ),
    "positions": (
        ("market_id", "VARCHAR"), ("question", "VARCHAR"), ("token_id", "VARCHAR"), ("outcome", "VARCHAR"),
        ("strategy", "VARCHAR"), ("shares", MONEY), ("cost_usd", MONEY), ("entry_price", MONEY),
        ("stop_price", MONEY), ("target_price", MONEY), ("opened_ts_ms", "BIGINT"), ("entry_reason", "VARCHAR"),
    ),
    "signals": (
        ("signal_id", "VARCHAR"), ("ts_ms", "BIGINT"), ("strategy", "VARCHAR"), ("market_id", "VARCHAR"),
        ("token_id", "VARCHAR"), ("direction", "VARCHAR"), ("price", "DOUBLE"), ("move", "DOUBLE"),
        ("decision", "VARCHAR"), ("reason", "VARCHAR"), ("layers_json", "VARCHAR"),
    ),
    "risk_decisions": (
        ("ts_ms", "BIGINT"), ("strategy", "VARCHAR"), ("market_id", "VARCHAR"), ("token_id", "VARCHAR"),
        ("side", "VARCHAR"), ("shares", MONEY), ("limit_price", MONEY), ("code", "VARCHAR"), ("text", "VARCHAR"),
    ),
    "equity": (("ts_ms", "BIGINT"), ("cash_usd", MONEY), ("positions_value_usd", MONEY), ("equity_usd", MONEY)),
    "markets": (
        ("market_id", "VARCHAR"), ("question", "VARCHAR"), ("token_id_a", "VARCHAR"), ("outcome_a", "VARCHAR"),
        ("token_id_b", "VARCHAR"), ("outcome_b", "VARCHAR"), ("tick_size", MONEY), ("min_order_size", MONEY),
        ("fee_rate", MONEY), ("neg_risk", "BOOLEAN"), ("end_ts_ms", "BIGINT"), ("volume_24h_usd", "DOUBLE"),
        ("liquidity_usd", "DOUBLE"),
    ),
    "bars_1m": (
        ("token_id", "VARCHAR"), ("minute_ts_ms", "BIGINT"), ("open", "DOUBLE"), ("high", "DOUBLE"),
        ("low", "DOUBLE"), ("close", "DOUBLE"), ("ticks", "BIGINT"),
    ),
    "journal": (("ts_ms", "BIGINT"), ("kind", "VARCHAR"), ("text", "VARCHAR"), ("ref", "VARCHAR")),
    "commands": (
        ("command_id", "VARCHAR"), ("kind", "VARCHAR"), ("args_json", "VARCHAR"), ("ok", "BOOLEAN"),
        ("text", "VARCHAR"), ("ts_ms", "BIGINT"),
    ),
}


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema a snapshot file of ``table`` has (what DuckDB's Parquet writer produces)."""
    return pa.schema([(name, _ARROW[sql_type]) for name, sql_type in SNAPSHOT_TABLES[table]])


def select_list(table: str) -> str:
    """``col1, col2, ...`` casting each column to its contract type, for the exporter's SELECTs."""
    return ", ".join(f"CAST({name} AS {sql_type}) AS {name}" for name, sql_type in SNAPSHOT_TABLES[table])
