"""``python -m bot import``: a third-party tick or trade file -> the recording format, for backtests.

``--map`` names the source columns: ``ts`` (epoch ms, epoch s, ISO text or a timestamp column),
``token``, ``bid``, ``ask`` and optionally ``bid_size``, ``ask_size`` (unmapped sizes are 0 shares:
signals still fire, but nothing fills against depth the file never showed). Rows whose top of book is
missing, outside (0, 1) or crossed are dropped and counted; rows that repeat a token's previous
top of book are dropped too (journals of deeper price levels repeat it thousands of times).
Third-party files rarely carry market metadata, so each token becomes the primary token of its own
binary market whose complement's book mirrors it (complement bid = 1 − ask, ask = 1 − bid), the
way Polymarket's two order books mirror each other. Written files are validated by loading them.
"""

from __future__ import annotations

import argparse
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from bot.adapters.feeds.recording import load_recording, market_rows
from bot.config.schema import ConfigError
from bot.domain.market import binary_market

REQUIRED = ("ts", "token", "bid", "ask")
OPTIONAL = ("bid_size", "ask_size")
COMPLEMENT = "-complement"


def parse_map(text: str) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, column = part.partition("=")
        if not sep or key not in REQUIRED + OPTIONAL:
            raise ConfigError(f"--map entry {part!r}: use name=column with name one of {', '.join(REQUIRED + OPTIONAL)}")
        mapping[key] = column
    missing = [k for k in REQUIRED if k not in mapping]
    if missing:
        raise ConfigError(f"--map must name the source column for {', '.join(missing)}")
    return mapping


def _read(path: Path, fmt: str) -> pa.Table:
    files = sorted(path.glob(f"*.{fmt}")) if path.is_dir() else [path]
    if not files:
        raise ValueError(f"no .{fmt} files in {path}")
    if fmt == "csv":
        return pa.concat_tables([pa_csv.read_csv(f) for f in files], promote_options="permissive")
    return pa.concat_tables([pq.read_table(f) for f in files], promote_options="permissive")


def _epoch_ms(column: pa.ChunkedArray, name: str) -> np.ndarray:
    kind = column.type
    if pa.types.is_timestamp(kind):
        return pc.cast(pc.cast(column, pa.timestamp("ms", tz=kind.tz)), pa.int64()).to_numpy()
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        parsed = pc.cast(column, pa.timestamp("ms"))  # ISO 8601; naive times are UTC
        return pc.cast(parsed, pa.int64()).to_numpy()
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        values = column.to_numpy().astype(np.float64)
        # Epoch seconds are below 1e11 until the year 5138; milliseconds are above it.
        return np.where(values < 1e11, values * 1000, values).astype(np.int64)
    raise ValueError(f"column {name!r} ({kind}) is not a time: use epoch ms/s, ISO text or a timestamp")


def import_file(source: Path, fmt: str, mapping: dict[str, str], out: Path, tick: Decimal = Decimal("0.01"),
                fee_rate: Decimal = Decimal(0)) -> dict[str, Any]:
    """Convert ``source`` and write ``out/ticks.parquet`` + ``out/markets.json``; returns counts."""
    table = _read(source, fmt)
    for key, column in mapping.items():
        if column not in table.column_names:
            raise ValueError(f"{source}: no column {column!r} for {key} (columns: {', '.join(table.column_names)})")
    ts = _epoch_ms(table.column(mapping["ts"]), mapping["ts"])
    token = np.asarray(pc.cast(table.column(mapping["token"]), pa.string()).to_pylist(), dtype=object)

    def floats(key: str, missing: float = np.nan) -> np.ndarray:
        if key not in mapping:
            return np.full(len(ts), missing)
        values = pc.cast(table.column(mapping[key]), pa.float64()).to_numpy(zero_copy_only=False)
        return np.where(np.isnan(values), missing, values)


    # Depth nobody recorded is 0 shares: a backtest must not fill against liquidity it never saw.
    bid, ask, bid_size, ask_size = floats("bid"), floats("ask"), floats("bid_size", 0.0), floats("ask_size", 0.0)
    sane = (bid > 0) & (ask < 1) & (bid < ask)  # NaN compares False: a missing side drops the row
    order = np.argsort(ts, kind="stable")
    order = order[sane[order]]
    keep = np.zeros(len(order), dtype=bool)
    last: dict[str, tuple[float, float, float, float]] = {}
    for i, row in enumerate(order.tolist()):
        top = (bid[row], ask[row], bid_size[row], ask_size[row])
        if last.get(token[row]) != top:
            last[token[row]] = top
            keep[i] = True
    rows = order[keep]
    tokens = sorted(set(token[rows].tolist()))
    n = len(rows)
    # Each row and its mirrored complement, interleaved so both books of a moment sit together.
    out_ts = np.repeat(ts[rows], 2)
    out_token = np.empty(2 * n, dtype=object)
    out_token[0::2] = token[rows]
    out_token[1::2] = [t + COMPLEMENT for t in token[rows].tolist()]
    out_bid, out_ask = np.empty(2 * n), np.empty(2 * n)
    out_bid[0::2], out_ask[0::2] = bid[rows], ask[rows]
    out_bid[1::2], out_ask[1::2] = np.round(1 - ask[rows], 6), np.round(1 - bid[rows], 6)
    out_bs, out_as = np.empty(2 * n), np.empty(2 * n)
    out_bs[0::2], out_as[0::2] = bid_size[rows], ask_size[rows]
    out_bs[1::2], out_as[1::2] = ask_size[rows], bid_size[rows]
    ticks = pa.table({
        "ts_ms": pa.array(out_ts, pa.int64()), "token_id": pa.array(out_token.tolist(), pa.string()),
        "best_bid": pa.array(out_bid, pa.float64()), "best_ask": pa.array(out_ask, pa.float64()),
        "bid_size": pa.array(out_bs, pa.float64()), "ask_size": pa.array(out_as, pa.float64()),
    })
    markets = [binary_market(f"imported-{t[:16]}", f"Imported token {t}", (t, t + COMPLEMENT), ("Yes", "No"),
                             tick_size=tick, fee_rate=fee_rate) for t in tokens]
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(ticks, out / "ticks.parquet.tmp")
    os.replace(out / "ticks.parquet.tmp", out / "ticks.parquet")
    (out / "markets.json.tmp").write_text(json.dumps([r for m in markets for r in market_rows(m)], indent=1))
    os.replace(out / "markets.json.tmp", out / "markets.json")
    load_recording(out)  # the written recording must pass the same validation every replay does
    return {"source_rows": table.num_rows, "dropped_bad_book": int((~sane).sum()),
            "dropped_repeats": int(len(order) - n), "rows_written": 2 * n, "tokens": len(tokens), "out": str(out)}


def cmd_import(args: argparse.Namespace) -> int:
    result = import_file(Path(args.source), args.format, parse_map(args.map), Path(args.out), Decimal(args.tick),
                         Decimal(args.fee_rate))
    print(json.dumps(result, indent=2) if args.json else
          f"Imported {result['source_rows']:,} rows from {args.source}: {result['rows_written']:,} book updates for "
          f"{result['tokens']} tokens (+ mirrored complements) in {result['out']}; dropped "
          f"{result['dropped_bad_book']:,} rows with a missing or crossed book and {result['dropped_repeats']:,} repeats.")
    return 0


def add_parsers(sub: Any, common: Any) -> None:
    p = sub.add_parser("import", help="convert a third-party tick file (csv or parquet) into a recording")
    p.add_argument("source", help="a file, or a folder of files of that format")
    p.add_argument("--format", choices=["csv", "parquet"], required=True)
    p.add_argument("--map", required=True, help="ts=COL,token=COL,bid=COL,ask=COL[,bid_size=COL,ask_size=COL]")
    p.add_argument("--out", required=True, help="recording directory to write")
    p.add_argument("--tick", default="0.01", help="tick size of the imported markets (default 0.01)")
    p.add_argument("--fee-rate", default="0", help="taker fee rate of the imported markets (default 0)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_import)
