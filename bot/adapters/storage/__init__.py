"""Persistence: the DuckDB store (single writer), state.json, Parquet snapshots, command inbox."""
