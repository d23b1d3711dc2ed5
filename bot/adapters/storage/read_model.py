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

_V, _B, _F, _Z = "VARCHAR", "BIGINT", "DOUBLE", "BOOLEAN"  # short names keep the table readable

SNAPSHOT_TABLES: dict[str, Columns] = {
    "trades": (
        ("trade_id", _V), ("market_id", _V), ("question", _V), ("token_id", _V), ("outcome", _V),
        ("strategy", _V), ("shares", MONEY), ("entry_price", MONEY), ("exit_price", MONEY),
        ("cost_usd", MONEY), ("proceeds_usd", MONEY), ("pnl_usd", MONEY), ("fees_usd", MONEY),
        ("opened_ts_ms", _B), ("closed_ts_ms", _B), ("entry_reason", _V), ("exit_reason", _V),
    ),
    "fills": (
        ("fill_id", _V), ("client_order_id", _V), ("strategy", _V), ("market_id", _V), ("token_id", _V),
        ("side", _V), ("price", MONEY), ("shares", MONEY), ("fee_usd", MONEY), ("shares_received", MONEY),
        ("cash_delta", MONEY), ("is_maker", _Z), ("purpose", _V), ("ts_ms", _B),
    ),
    "orders": (
        ("client_order_id", _V), ("strategy", _V), ("market_id", _V), ("token_id", _V), ("side", _V),
        ("shares", MONEY), ("limit_price", MONEY), ("order_type", _V), ("purpose", _V), ("status", _V),
        ("filled_shares", MONEY), ("reason", _V), ("status_reason", _V), ("ts_ms", _B), ("updated_ts_ms", _B),
    ),
    "positions": (
        ("market_id", _V), ("question", _V), ("token_id", _V), ("outcome", _V), ("strategy", _V),
        ("shares", MONEY), ("cost_usd", MONEY), ("entry_price", MONEY), ("stop_price", MONEY),
        ("target_price", MONEY), ("opened_ts_ms", _B), ("entry_reason", _V),
    ),
    "signals": (
        ("signal_id", _V), ("ts_ms", _B), ("strategy", _V), ("market_id", _V), ("token_id", _V),
        ("direction", _V), ("price", _F), ("move", _F), ("decision", _V), ("reason", _V), ("layers_json", _V),
    ),
    "risk_decisions": (
        ("ts_ms", _B), ("strategy", _V), ("market_id", _V), ("token_id", _V), ("side", _V), ("shares", MONEY),
        ("limit_price", MONEY), ("code", _V), ("text", _V),
    ),
    "equity": (("ts_ms", _B), ("cash_usd", MONEY), ("positions_value_usd", MONEY), ("equity_usd", MONEY)),
    "markets": (
        ("market_id", _V), ("question", _V), ("token_id_a", _V), ("outcome_a", _V), ("token_id_b", _V),
        ("outcome_b", _V), ("tick_size", MONEY), ("min_order_size", MONEY), ("fee_rate", MONEY),
        ("neg_risk", _Z), ("end_ts_ms", _B), ("volume_24h_usd", _F), ("liquidity_usd", _F),
    ),
    "bars_1m": (
        ("token_id", _V), ("minute_ts_ms", _B), ("open", _F), ("high", _F), ("low", _F), ("close", _F),
        ("ticks", _B),
    ),
    "journal": (("ts_ms", _B), ("kind", _V), ("text", _V), ("ref", _V)),
    "commands": (
        ("command_id", _V), ("kind", _V), ("args_json", _V), ("ok", _Z), ("text", _V), ("ts_ms", _B),
    ),
}


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema a snapshot file of ``table`` has (what DuckDB's Parquet writer produces)."""
    return pa.schema([(name, _ARROW[sql_type]) for name, sql_type in SNAPSHOT_TABLES[table]])


def select_list(table: str) -> str:
    """``col1, col2, ...`` casting each column to its contract type, for the exporter's SELECTs."""
    return ", ".join(f"CAST({name} AS {sql_type}) AS {name}" for name, sql_type in SNAPSHOT_TABLES[table])
