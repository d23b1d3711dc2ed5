"""The recording format (DESIGN.md "Replay / recording format"): load with validation, write, convert.

A recording is a directory holding a ticks table (``ticks.parquet`` or ``ticks.csv``, one row per
book update of one token) and a markets table (``markets.json`` or ``markets.parquet``, one row
per token). Loading reads each file once with pyarrow, checks every rule column-wise, and raises
``RecordingError`` naming the file, column, row (0-based data row) and rule. Rows become domain
``BookUpdate`` events only when asked for, a slice at a time, so a long recording stays columnar.

Ticks columns: ts_ms int64; token_id string; best_bid, best_ask, bid_size, ask_size float64
nullable; optional bids, asks list<struct<price, size>> best first (in CSV: JSON text such as
``[[0.52, 100], [0.51, 250]]``); optional last_trade_price, last_trade_size float64.
Markets columns: market_id, question, token_id, outcome, complement_token_id, end_ts_ms (nullable),
tick_size, min_order_size, fee_rate (decimal strings or numbers), neg_risk; optional payout
(1 winner, 0 loser, 0.5 void), category, neg_risk_group, volume_24h_usd, liquidity_usd.
The first row of a market is its primary token.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from bot.domain.book import Book, Level
from bot.domain.events import BookUpdate, Resolution
from bot.domain.market import Market, binary_market
from bot.domain.money import VALID_TICKS, dec
from bot.domain.quotes import BookBatch, LevelColumns

LEVEL_TYPE = pa.list_(pa.struct([("price", pa.float64()), ("size", pa.float64())]))
TICKS_SCHEMA = pa.schema(
    [
        ("ts_ms", pa.int64()),
        ("token_id", pa.string()),
        ("best_bid", pa.float64()),
        ("best_ask", pa.float64()),
        ("bid_size", pa.float64()),
        ("ask_size", pa.float64()),
        ("bids", LEVEL_TYPE),
        ("asks", LEVEL_TYPE),
        ("last_trade_price", pa.float64()),
        ("last_trade_size", pa.float64()),
    ]
)
REQUIRED_TICK_COLUMNS = ("ts_ms", "token_id", "best_bid", "best_ask", "bid_size", "ask_size")
PRICE_COLUMNS = ("best_bid", "best_ask", "last_trade_price")
SIZE_COLUMNS = ("bid_size", "ask_size", "last_trade_size")
REQUIRED_MARKET_COLUMNS = (
    "market_id",
    "question",
    "token_id",
    "outcome",
    "complement_token_id",
    "end_ts_ms",
    "tick_size",
    "min_order_size",
    "fee_rate",
    "neg_risk",
)
PAYOUTS = (Decimal(0), Decimal("0.5"), Decimal(1))

Payouts = tuple[tuple[str, Decimal], ...]


class RecordingError(ValueError):
    """A recording breaks a rule; the message names file, column, row and rule."""

    def __init__(self, file: str, column: str | None, row: int | None, rule: str) -> None:
        where = "".join((f", column '{column}'" if column else "", f", row {row}" if row is not None else ""))
        super().__init__(f"{file}{where}: {rule}")
        self.file, self.column, self.row, self.rule = file, column, row, rule


@dataclass(frozen=True, slots=True)
class Recording:
    """A validated recording: markets, known payouts, and ticks stably sorted by ts_ms (one chunk)."""

    path: Path
    markets: tuple[Market, ...]
    payouts: Mapping[str, Payouts]  # market_id -> ((token_id, payout), ...) for resolved markets
    ticks: pa.Table

    def __len__(self) -> int:
        return self.ticks.num_rows

    def book_updates(self, start: int = 0, stop: int | None = None) -> list[BookUpdate]:
        stop = self.ticks.num_rows if stop is None else stop
        return book_updates_from_table(self.ticks.slice(start, max(0, stop - start)))

    def columns(self) -> TickColumns:
        """The ticks as numpy columns (decoded once) for ``BookBatch`` slices."""
        return TickColumns.of(self.ticks)


@dataclass(frozen=True, slots=True)
class TickColumns:
    """A ticks table as numpy: token ids dictionary-encoded, absent numbers as NaN, L2 as offsets."""

    names: list[str]
    codes: np.ndarray
    ts_ms: np.ndarray
    floats: dict[str, np.ndarray]
    bids: LevelColumns | None
    asks: LevelColumns | None

    @staticmethod
    def of(ticks: pa.Table) -> TickColumns:
        encoded = ticks.column("token_id").combine_chunks().dictionary_encode()
        floats = {}
        for name in (*PRICE_COLUMNS, *SIZE_COLUMNS):
            if name in ticks.column_names:
                column = pc.fill_null(ticks.column(name).combine_chunks().cast(pa.float64()), np.nan)
                floats[name] = column.to_numpy(zero_copy_only=False)
            else:
                floats[name] = np.full(ticks.num_rows, np.nan)
        return TickColumns(encoded.dictionary.to_pylist(), encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64),
                           ticks.column("ts_ms").to_numpy(), floats, _level_columns(ticks, "bids"),
                           _level_columns(ticks, "asks"))

    def batch(self, ts_ms: int, start: int, stop: int) -> BookBatch:
        f = self.floats
        return BookBatch(ts_ms, self.names, self.codes[start:stop], self.ts_ms[start:stop], f["best_bid"][start:stop],
                         f["best_ask"][start:stop], f["bid_size"][start:stop], f["ask_size"][start:stop],
                         f["last_trade_price"][start:stop], f["last_trade_size"][start:stop], self.bids, self.asks,
                         start)


def _level_columns(ticks: pa.Table, name: str) -> LevelColumns | None:
    if name not in ticks.column_names:
        return None
    arr = ticks.column(name).combine_chunks()
    price, size = (f.to_numpy(zero_copy_only=False) for f in arr.values.flatten())
    return LevelColumns(arr.offsets.to_numpy(), price, size, arr.is_valid().to_numpy(zero_copy_only=False))


# ----------------------------------------------------------------------------------- conversion


def book_update(
    ts_ms: int,
    token_id: str,
    best_bid: float | None,
    bid_size: float | None,
    best_ask: float | None,
    ask_size: float | None,
    bids: tuple[Level, ...] | None = None,
    asks: tuple[Level, ...] | None = None,
    last_trade_price: float | None = None,
    last_trade_size: float | None = None,
) -> BookUpdate:
    """One ticks row as a BookUpdate; without L2 levels the book is the one top level per side."""
    if bids is None:
        bids = () if best_bid is None else ((best_bid, bid_size if bid_size is not None else 0.0),)
    if asks is None:
        asks = () if best_ask is None else ((best_ask, ask_size if ask_size is not None else 0.0),)
    return BookUpdate(ts_ms, Book(token_id, ts_ms, bids, asks), last_trade_price, last_trade_size)


def _float_list(table: pa.Table, name: str) -> list[float | None]:
    if name not in table.column_names:
        return [None] * table.num_rows
    return table.column(name).to_pylist()


def _levels_list(table: pa.Table, name: str) -> list[tuple[Level, ...] | None]:
    if name not in table.column_names:
        return [None] * table.num_rows
    arr = table.column(name).combine_chunks()
    offsets = arr.offsets.to_numpy()  # absolute positions into arr.values, even for a slice
    start, stop = int(offsets[0]), int(offsets[-1])
    # Convert only this slice's levels: arr.values spans the whole recording.
    price, size = (
        f.slice(start, stop - start).to_numpy(zero_copy_only=False).tolist() for f in arr.values.flatten()
    )
    bounds = (offsets - start).tolist()
    valid = arr.is_valid().to_numpy(zero_copy_only=False).tolist()
    return [
        tuple(zip(price[bounds[i] : bounds[i + 1]], size[bounds[i] : bounds[i + 1]], strict=True))
        if valid[i]
        else None
        for i in range(len(arr))
    ]


def book_updates_from_table(ticks: pa.Table) -> list[BookUpdate]:
    """Rows of a validated ticks table (canonical types) as BookUpdates, in table order."""
    columns = (
        ticks.column("ts_ms").to_pylist(),
        ticks.column("token_id").to_pylist(),
        _float_list(ticks, "best_bid"),
        _float_list(ticks, "bid_size"),
        _float_list(ticks, "best_ask"),
        _float_list(ticks, "ask_size"),
        _levels_list(ticks, "bids"),
        _levels_list(ticks, "asks"),
        _float_list(ticks, "last_trade_price"),
        _float_list(ticks, "last_trade_size"),
    )
    return [book_update(*row) for row in zip(*columns, strict=True)]


def market_rows(market: Market, payouts: Payouts | None = None) -> list[dict[str, Any]]:
    """The markets-table rows of one market (primary token first); decimals as exact strings."""
    paid = dict(payouts or ())
    return [
        {
            "market_id": market.market_id,
            "question": market.question,
            "token_id": token.token_id,
            "outcome": token.outcome,
            "complement_token_id": token.complement_token_id,
            "end_ts_ms": market.end_ts_ms,
            "tick_size": str(market.tick_size),
            "min_order_size": str(market.min_order_size),
            "fee_rate": str(market.fee_rate),
            "neg_risk": market.neg_risk,
            "payout": float(paid[token.token_id]) if token.token_id in paid else None,
            "category": market.category,
            "neg_risk_group": market.neg_risk_group,
            "volume_24h_usd": market.volume_24h_usd,
            "liquidity_usd": market.liquidity_usd,
        }
        for token in market.tokens
    ]


def markets_from_table(
    table: pa.Table | Sequence[Mapping[str, Any]], source: str = "markets table"
) -> list[Market]:
    """Markets from a markets table (pyarrow or a list of row dicts); raises RecordingError."""
    return _parse_markets(table, source)[0]


def _parse_markets(
    table: pa.Table | Sequence[Mapping[str, Any]], source: str
) -> tuple[list[Market], dict[str, Payouts]]:
    rows = table.to_pylist() if isinstance(table, pa.Table) else list(table)
    present = set(table.column_names) if isinstance(table, pa.Table) else set().union(*map(set, rows))
    for column in REQUIRED_MARKET_COLUMNS:
        if rows and column not in present:
            raise RecordingError(source, column, None, "missing required column")
    by_token: dict[str, int] = {}
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        for column in REQUIRED_MARKET_COLUMNS:
            if column != "end_ts_ms" and row.get(column) is None:
                raise RecordingError(source, column, i, "value is required (null/missing)")
        for column in ("market_id", "token_id", "complement_token_id", "question", "outcome"):
            if not isinstance(row[column], str) or (column != "question" and not row[column]):
                raise RecordingError(
                    source, column, i, f"wrong type: expected a non-empty string, got {row[column]!r}"
                )
        if row["token_id"] in by_token:
            raise RecordingError(
                source, "token_id", i, f"duplicate token_id (also row {by_token[row['token_id']]})"
            )
        by_token[row["token_id"]] = i
        groups.setdefault(row["market_id"], []).append(i)

    markets: list[Market] = []
    payouts: dict[str, Payouts] = {}
    for market_id, indices in groups.items():
        if len(indices) != 2:
            raise RecordingError(
                source,
                "market_id",
                indices[-1],
                f"market {market_id} has {len(indices)} tokens, a binary market needs 2",
            )
        first, second = rows[indices[0]], rows[indices[1]]
        if (
            first["complement_token_id"] != second["token_id"]
            or second["complement_token_id"] != first["token_id"]
        ):
            raise RecordingError(
                source,
                "complement_token_id",
                indices[1],
                f"market {market_id}: its two tokens do not name each other as complement",
            )
        i = indices[0]
        tick = _decimal(source, "tick_size", i, first["tick_size"])
        if tick not in VALID_TICKS:
            raise RecordingError(
                source,
                "tick_size",
                i,
                f"bad tick size {tick}: must be one of {', '.join(map(str, VALID_TICKS))}",
            )
        min_size = _decimal(source, "min_order_size", i, first["min_order_size"])
        if min_size <= 0:
            raise RecordingError(source, "min_order_size", i, f"must be > 0, got {min_size}")
        fee = _decimal(source, "fee_rate", i, first["fee_rate"])
        if not Decimal(0) <= fee < Decimal(1):
            raise RecordingError(source, "fee_rate", i, f"must be in [0, 1), got {fee}")
        end = first["end_ts_ms"]
        if end is not None and (isinstance(end, bool) or not isinstance(end, (int, np.integer))):
            raise RecordingError(
                source, "end_ts_ms", i, f"wrong type: expected integer epoch ms or null, got {end!r}"
            )
        if not isinstance(first["neg_risk"], (bool, np.bool_)):
            raise RecordingError(
                source, "neg_risk", i, f"wrong type: expected true/false, got {first['neg_risk']!r}"
            )
        raw = [rows[j].get("payout") for j in indices]
        if any(p is not None for p in raw):
            paid = [
                _decimal(source, "payout", j, p) if p is not None else None
                for j, p in zip(indices, raw, strict=True)
            ]
            if any(p not in PAYOUTS for p in paid) or sum(p or 0 for p in paid) != 1 or None in paid:
                raise RecordingError(
                    source,
                    "payout",
                    indices[0],
                    f"market {market_id}: payouts {raw} must be 1/0, 0/1 or 0.5/0.5",
                )
            # Canonical Decimals (1, 0, 0.5) whatever the file spelled ("1.0", 1, true-ish floats).
            canonical = [PAYOUTS[PAYOUTS.index(p)] for p in paid]  # type: ignore[arg-type]
            payouts[market_id] = tuple(
                (rows[j]["token_id"], p) for j, p in zip(indices, canonical, strict=True)
            )
        markets.append(
            binary_market(
                market_id,
                first["question"],
                (first["token_id"], second["token_id"]),
                (first["outcome"], second["outcome"]),
                tick_size=tick,
                min_order_size=min_size,
                fee_rate=fee,
                end_ts_ms=None if end is None else int(end),
                neg_risk=bool(first["neg_risk"]),
                neg_risk_group=first.get("neg_risk_group") or None,
                category=first.get("category") or "",
                volume_24h_usd=float(_decimal(source, "volume_24h_usd", i, first.get("volume_24h_usd") or 0)),
                liquidity_usd=float(_decimal(source, "liquidity_usd", i, first.get("liquidity_usd") or 0)),
            )
        )
    return markets, payouts


def _decimal(source: str, column: str, row: int, value: Any) -> Decimal:
    if isinstance(value, bool):
        raise RecordingError(source, column, row, f"wrong type: expected a number, got {value!r}")
    try:
        result = dec(value)
    except (InvalidOperation, TypeError, ValueError):
        raise RecordingError(
            source, column, row, f"wrong type: expected a decimal number, got {value!r}"
        ) from None
    if not result.is_finite():
        raise RecordingError(source, column, row, f"must be a finite number, got {value!r}")
    return result


# ----------------------------------------------------------------------------------- loading


def load_recording(path: str | Path) -> Recording:
    """Load and validate a recording directory, or a ticks file with its markets table beside it."""
    path = Path(path)
    directory, ticks_path = (path, None) if path.is_dir() else (path.parent, path)
    if ticks_path is None:
        ticks_path = next(
            (directory / n for n in ("ticks.parquet", "ticks.csv") if (directory / n).exists()), None
        )
        if ticks_path is None:
            raise RecordingError(
                str(directory), None, None, "no ticks.parquet or ticks.csv in this directory"
            )
    elif not ticks_path.exists():
        raise RecordingError(str(ticks_path), None, None, "file not found")
    markets_path = next(
        (directory / n for n in ("markets.json", "markets.parquet") if (directory / n).exists()), None
    )
    if markets_path is None:
        raise RecordingError(
            str(directory), None, None, "no markets.json or markets.parquet beside the ticks"
        )
    markets, payouts = _parse_markets(_read_markets(markets_path), str(markets_path))
    token_ids = [t.token_id for m in markets for t in m.tokens]
    ticks = _load_ticks(ticks_path, token_ids)
    return Recording(directory, tuple(markets), payouts, ticks)


def _read_markets(path: Path) -> pa.Table | list[dict[str, Any]]:
    try:
        if path.suffix == ".parquet":
            return pq.read_table(path)
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise RecordingError(str(path), None, None, f"unreadable: {exc}") from None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise RecordingError(str(path), None, None, "expected a JSON array of row objects")
    return rows


def _load_ticks(path: Path, token_ids: list[str]) -> pa.Table:
    file = str(path)
    is_csv = path.suffix == ".csv"
    try:
        if is_csv:
            options = pa_csv.ConvertOptions(
                column_types={"token_id": pa.string(), "bids": pa.string(), "asks": pa.string()}
            )
            table = pa_csv.read_csv(path, convert_options=options)
        else:
            table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise RecordingError(file, None, None, f"unreadable: {exc}") from None

    def fail(column: str | None, mask: np.ndarray, rule: str) -> None:
        bad = np.flatnonzero(mask)
        if bad.size:
            row = int(bad[0])
            raise RecordingError(file, column, row, rule + (f" (CSV line {row + 2})" if is_csv else ""))

    for column in REQUIRED_TICK_COLUMNS:
        if column not in table.column_names:
            raise RecordingError(file, column, None, "missing required column")
    columns: dict[str, pa.Array] = {}
    ts = table.column("ts_ms")
    if not (pa.types.is_integer(ts.type) or pa.types.is_null(ts.type)):
        raise RecordingError(file, "ts_ms", None, f"wrong type {ts.type}: expected int64 epoch milliseconds")
    fail("ts_ms", ts.is_null().to_numpy(zero_copy_only=False), "ts not sortable: missing timestamp")
    columns["ts_ms"] = ts.cast(pa.int64()).combine_chunks()

    tok = table.column("token_id")
    if pa.types.is_dictionary(tok.type):
        tok = tok.cast(tok.type.value_type)
    if not (pa.types.is_string(tok.type) or pa.types.is_large_string(tok.type) or pa.types.is_null(tok.type)):
        raise RecordingError(file, "token_id", None, f"wrong type {tok.type}: expected string")
    tok = tok.cast(pa.string()).combine_chunks()
    fail(
        "token_id",
        pc.fill_null(pc.equal(tok, ""), True).to_numpy(zero_copy_only=False),
        "token_id is required",
    )
    unknown = pc.invert(pc.is_in(tok, value_set=pa.array(token_ids, pa.string())))
    fail("token_id", unknown.to_numpy(zero_copy_only=False), "unknown token_id: not in the markets table")
    columns["token_id"] = tok

    values: dict[str, np.ndarray] = {}
    for column in PRICE_COLUMNS + SIZE_COLUMNS:
        if column not in table.column_names:
            continue
        arr = _numeric(file, column, table.column(column), fail)
        x = arr.to_numpy(zero_copy_only=False)  # nulls become NaN here
        valid = arr.is_valid().to_numpy(zero_copy_only=False)
        fail(column, valid & ~np.isfinite(x), "NaN/inf not allowed (leave the cell null for missing)")
        if column in PRICE_COLUMNS:
            fail(column, valid & ((x < 0) | (x > 1)), "price outside [0, 1]")
        else:
            fail(column, valid & (x < 0), "negative size")
        columns[column], values[column] = arr, np.where(valid, x, np.nan)
    for price, size in (("best_bid", "bid_size"), ("best_ask", "ask_size")):
        fail(
            size, ~np.isnan(values[price]) & np.isnan(values[size]), f"{size} is required when {price} is set"
        )
        fail(
            price,
            np.isnan(values[price]) & ~np.isnan(values[size]),
            f"{price} is required when {size} is set",
        )

    for column, best, descending in (("bids", "best_bid", True), ("asks", "best_ask", False)):
        if column in table.column_names:
            columns[column] = _levels(file, column, table.column(column), values[best], descending, fail)

    out = pa.table({name: columns[name] for name in TICKS_SCHEMA.names if name in columns})
    ts_np = out.column("ts_ms").to_numpy()
    if ts_np.size and np.any(np.diff(ts_np) < 0):
        out = out.take(pa.array(np.argsort(ts_np, kind="stable")))  # stable: ties keep file order
    return out.combine_chunks()


def _numeric(file: str, column: str, col: pa.ChunkedArray, fail: Any) -> pa.Array:
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        # CSV inference yields strings when a cell is not a number: point at the first such cell.
        text = col.to_pylist()
        bad = np.array([t is not None and not _is_number(t) for t in text], dtype=bool)
        fail(column, bad, "wrong type: not a number")
        raise RecordingError(file, column, None, f"wrong type {col.type}: expected float64")
    if not (
        pa.types.is_integer(col.type)
        or pa.types.is_floating(col.type)
        or pa.types.is_decimal(col.type)
        or pa.types.is_null(col.type)
    ):
        raise RecordingError(file, column, None, f"wrong type {col.type}: expected float64")
    return col.cast(pa.float64()).combine_chunks()


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _levels(
    file: str, column: str, col: pa.ChunkedArray, best: np.ndarray, descending: bool, fail: Any
) -> pa.Array:
    if pa.types.is_string(col.type) or pa.types.is_null(col.type):
        col = pa.chunked_array([_levels_from_json(file, column, col.to_pylist(), fail)], LEVEL_TYPE)
    ok_type = (pa.types.is_list(col.type) or pa.types.is_large_list(col.type)) and pa.types.is_struct(
        col.type.value_type
    )
    if not ok_type or {"price", "size"} - {f.name for f in col.type.value_type}:
        raise RecordingError(file, column, None, f"wrong type {col.type}: expected list<struct<price, size>>")
    try:
        arr = col.cast(LEVEL_TYPE).combine_chunks()
    except pa.ArrowException as exc:
        raise RecordingError(file, column, None, f"wrong type {col.type}: {exc}") from None
    offsets = arr.offsets.to_numpy().astype(np.int64)
    prices, sizes = (f.slice(int(offsets[0]), int(offsets[-1] - offsets[0])) for f in arr.values.flatten())
    offsets = offsets - offsets[0]
    row_of = np.repeat(np.arange(len(arr)), np.diff(offsets))  # level position -> table row
    for name, field in (("price", prices), ("size", sizes)):
        fail_rows = np.zeros(len(arr), dtype=bool)
        fail_rows[row_of[field.is_null().to_numpy(zero_copy_only=False)]] = True
        fail(column, fail_rows, f"level {name} is null")
    p, s = prices.to_numpy(zero_copy_only=False), sizes.to_numpy(zero_copy_only=False)

    def at_rows(mask: np.ndarray) -> np.ndarray:
        rows = np.zeros(len(arr), dtype=bool)
        rows[row_of[mask]] = True
        return rows

    fail(column, at_rows(~np.isfinite(p) | ~np.isfinite(s)), "NaN/inf not allowed in levels")
    fail(column, at_rows((p < 0) | (p > 1)), "level price outside [0, 1]")
    fail(column, at_rows(s < 0), "negative level size")
    unsorted = np.zeros(p.size, dtype=bool)
    step = np.diff(p)
    unsorted[1:] = (row_of[1:] == row_of[:-1]) & ((step >= 0) if descending else (step <= 0))
    fail(column, at_rows(unsorted), "levels not sorted best first (bids high to low, asks low to high)")
    has_first = arr.is_valid().to_numpy(zero_copy_only=False) & (np.diff(offsets) > 0)
    first_price = np.full(len(arr), np.nan)
    first_price[has_first] = p[offsets[:-1][has_first]]
    fail(
        column,
        has_first & ~np.isnan(best) & (first_price != best),
        "first level price differs from the best price column",
    )
    return arr


def _levels_from_json(file: str, column: str, text: list[str | None], fail: Any) -> pa.Array:
    out: list[list[dict[str, float]] | None] = []
    for row, cell in enumerate(text):
        if cell is None:
            out.append(None)
            continue
        try:
            levels = json.loads(cell)
            out.append(
                [
                    {"price": float(p), "size": float(s)}
                    for p, s in ((lv["price"], lv["size"]) if isinstance(lv, dict) else lv for lv in levels)
                ]
            )
        except (ValueError, TypeError, KeyError):
            mask = np.zeros(len(text), dtype=bool)
            mask[row] = True
            fail(column, mask, "wrong type: expected JSON levels like [[0.52, 100], [0.51, 250]]")
    return pa.array(out, LEVEL_TYPE)


# ----------------------------------------------------------------------------------- writing


class RecordingWriter:
    """Append BookUpdates and markets; ticks go out in Parquet row groups, markets.json at close().

    Files are written under temporary names and moved into place at close(), so a reader never
    sees a half-written recording.
    """

    def __init__(self, directory: str | Path, rows_per_group: int = 65_536) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._rows_per_group = rows_per_group
        self._tmp = self.directory / "ticks.parquet.tmp"
        self._parquet: pq.ParquetWriter | None = None
        self._closed = False
        self._markets: dict[str, Market] = {}
        self._payouts: dict[str, Payouts] = {}
        self._reset()

    def _reset(self) -> None:
        self._cols: dict[str, list[Any]] = {
            name: [] for name in TICKS_SCHEMA.names if name not in ("bids", "asks")
        }
        self._levels = {side: ([0], [], []) for side in ("bids", "asks")}  # offsets, prices, sizes

    def add_market(self, market: Market) -> None:
        self._markets[market.market_id] = market

    def add_resolution(self, resolution: Resolution) -> None:
        self._payouts[resolution.market_id] = resolution.payouts

    def append(self, update: BookUpdate) -> None:
        book, cols = update.book, self._cols
        cols["ts_ms"].append(update.ts_ms)
        cols["token_id"].append(book.token_id)
        cols["best_bid"].append(book.bids[0][0] if book.bids else None)
        cols["bid_size"].append(book.bids[0][1] if book.bids else None)
        cols["best_ask"].append(book.asks[0][0] if book.asks else None)
        cols["ask_size"].append(book.asks[0][1] if book.asks else None)
        cols["last_trade_price"].append(update.last_trade_price)
        cols["last_trade_size"].append(update.last_trade_size)
        for side, levels in (("bids", book.bids), ("asks", book.asks)):
            offsets, prices, sizes = self._levels[side]
            for price, size in levels:
                prices.append(price)
                sizes.append(size)
            offsets.append(len(prices))
        if len(cols["ts_ms"]) >= self._rows_per_group:
            self._flush()

    def _flush(self) -> None:
        if not self._cols["ts_ms"] and self._parquet is not None:
            return
        arrays = {
            name: pa.array(values, TICKS_SCHEMA.field(name).type) for name, values in self._cols.items()
        }
        for side, (offsets, prices, sizes) in self._levels.items():
            levels = pa.StructArray.from_arrays(
                [pa.array(prices, pa.float64()), pa.array(sizes, pa.float64())], ["price", "size"]
            )
            arrays[side] = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), levels)
        table = pa.table([arrays[name] for name in TICKS_SCHEMA.names], schema=TICKS_SCHEMA)
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self._tmp, TICKS_SCHEMA)
        self._parquet.write_table(table)
        self._reset()

    def close(self) -> Path:
        """Write what is buffered, move ticks.parquet and markets.json into place; returns the directory."""
        if self._closed:
            return self.directory
        self._closed = True
        self._flush()
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None
            os.replace(self._tmp, self.directory / "ticks.parquet")
        rows = [row for m in self._markets.values() for row in market_rows(m, self._payouts.get(m.market_id))]
        tmp = self.directory / "markets.json.tmp"
        tmp.write_text(json.dumps(rows, indent=1), encoding="utf-8")
        os.replace(tmp, self.directory / "markets.json")
        return self.directory

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
