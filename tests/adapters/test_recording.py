"""The recording format: round trip through the writer, and one clear RecordingError per broken rule."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bot.adapters.feeds.recording import (
    RecordingError,
    RecordingWriter,
    book_update,
    load_recording,
    market_rows,
    markets_from_table,
)
from bot.adapters.feeds.sim import SimFeed, write_sim_recording
from bot.domain.book import Book
from bot.domain.events import BookUpdate, MarketListed, Resolution
from bot.domain.market import binary_market

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
START_MS = 1_767_225_600_000
MARKET = binary_market(
    "m1",
    "Will it rain?",
    ("tok-yes", "tok-no"),
    tick_size=Decimal("0.01"),
    fee_rate=Decimal("0.05"),
    end_ts_ms=START_MS + 86_400_000,
    category="other",
)
CSV_HEADER = "ts_ms,token_id,best_bid,best_ask,bid_size,ask_size"


def write_markets(directory: Path, rows: list[dict[str, Any]] | None = None) -> None:
    (directory / "markets.json").write_text(json.dumps(market_rows(MARKET) if rows is None else rows))


def write_csv(
    directory: Path, *lines: str, header: str = CSV_HEADER, markets: list[dict[str, Any]] | None = None
) -> Path:
    write_markets(directory, markets)
    path = directory / "ticks.csv"
    path.write_text("\n".join((header, *lines)) + "\n")
    return path


def expect_error(path: Path, *fragments: str) -> RecordingError:
    with pytest.raises(RecordingError) as info:
        load_recording(path)
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)
    return info.value


# ------------------------------------------------------------------ round trip


def test_sim_recording_round_trip(tmp_path: Path) -> None:
    write_sim_recording(tmp_path, markets=30, seed=7, seconds=120, start_ts_ms=START_MS)
    feed = SimFeed(30, 7, START_MS, max_cycles=120)
    updates, listed, resolutions = [], {}, {}
    while (cycle := feed.next_cycle()) is not None:
        for e in cycle.events:
            if isinstance(e, BookUpdate):
                updates.append(e)
            elif isinstance(e, MarketListed):
                listed[e.market.market_id] = e.market
            elif isinstance(e, Resolution):
                resolutions[e.market_id] = e.payouts
    recording = load_recording(tmp_path)
    assert recording.book_updates() == updates
    assert recording.markets == tuple(listed.values())
    assert dict(recording.payouts) == resolutions
    assert recording.book_updates(10, 12) == updates[10:12]


def test_writer_keeps_empty_sides_and_trades(tmp_path: Path) -> None:
    one_sided = BookUpdate(5, Book("tok-yes", 5, (), ((0.6, 10.0), (0.61, 20.5))), 0.6, 3.0)
    empty = BookUpdate(6, Book("tok-no", 6, (), ()))
    with RecordingWriter(tmp_path, rows_per_group=1) as writer:
        writer.add_market(MARKET)
        writer.append(one_sided)
        writer.append(empty)
        writer.add_resolution(Resolution(7, "m1", (("tok-yes", Decimal(0)), ("tok-no", Decimal(1)))))
    recording = load_recording(tmp_path / "ticks.parquet")
    assert recording.book_updates() == [one_sided, empty]
    assert recording.payouts == {"m1": (("tok-yes", Decimal(0)), ("tok-no", Decimal(1)))}
    assert not list(tmp_path.glob("*.tmp"))


def test_csv_top_of_book_becomes_one_level_book_and_sorts_stably(tmp_path: Path) -> None:
    write_csv(
        tmp_path,
        "2000,tok-yes,0.40,0.42,100,200",
        "1000,tok-no,,0.6,,50",
        "2000,tok-no,0.58,0.60,200,100",
        "1000,tok-yes,0.41,0.43,10,20",
    )
    updates = load_recording(tmp_path).book_updates()
    assert [(u.ts_ms, u.book.token_id) for u in updates] == [
        (1000, "tok-no"),
        (1000, "tok-yes"),
        (2000, "tok-yes"),
        (2000, "tok-no"),
    ]
    assert updates[0] == book_update(1000, "tok-no", None, None, 0.6, 50.0)
    assert updates[0].book.bids == () and updates[0].book.asks == ((0.6, 50.0),)
    assert updates[2].book == Book("tok-yes", 2000, ((0.4, 100.0),), ((0.42, 200.0),))


def test_csv_levels_as_json_and_large_numeric_token_ids(tmp_path: Path) -> None:
    big = "21123571021115008514603852731317089375146660203715473286496393403189264306691"
    market = binary_market("m2", "Will VGK win?", (big, big[:-1] + "2"))
    write_csv(
        tmp_path,
        f'1,{big},0.5,0.52,10,5,"[[0.5, 10], [0.49, 20]]","[[0.52, 5]]",0.51,3',
        header=CSV_HEADER + ",bids,asks,last_trade_price,last_trade_size",
        markets=market_rows(market),
    )
    (update,) = load_recording(tmp_path).book_updates()
    assert update == BookUpdate(1, Book(big, 1, ((0.5, 10.0), (0.49, 20.0)), ((0.52, 5.0),)), 0.51, 3.0)


def test_markets_parquet_and_markets_from_table(tmp_path: Path) -> None:
    rows = market_rows(MARKET, (("tok-yes", Decimal("0.5")), ("tok-no", Decimal("0.5"))))
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "markets.parquet")
    (tmp_path / "ticks.csv").write_text(CSV_HEADER + "\n1,tok-yes,0.4,0.5,1,1\n")
    recording = load_recording(tmp_path)
    assert recording.markets == (MARKET,) == tuple(markets_from_table(rows))
    assert recording.payouts["m1"] == (("tok-yes", Decimal("0.5")), ("tok-no", Decimal("0.5")))


# ------------------------------------------------------------------ validation errors (ticks)


def test_csv_missing_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "1,tok-yes,0.4,0.5,1", header="ts_ms,token_id,best_bid,best_ask,bid_size")
    error = expect_error(path, "ticks.csv", "column 'ask_size'", "missing required column")
    assert error.column == "ask_size" and isinstance(error, ValueError)


def test_csv_price_above_one(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "1,tok-yes,0.4,0.5,1,1", "2,tok-yes,0.4,1.5,1,1")
    error = expect_error(path, "column 'best_ask'", "row 1", "price outside [0, 1]", "CSV line 3")
    assert error.row == 1


def test_csv_unknown_token(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "1,tok-yes,0.4,0.5,1,1", "2,tok-maybe,0.4,0.5,1,1")
    expect_error(path, "column 'token_id'", "row 1", "unknown token_id")


def test_csv_text_in_number_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "1,tok-yes,0.4,0.5,1,1", "2,tok-yes,0.4,0.5,lots,1")
    expect_error(path, "column 'bid_size'", "row 1", "wrong type")


def test_csv_missing_timestamp_is_not_sortable(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "1,tok-yes,0.4,0.5,1,1", ",tok-yes,0.4,0.5,1,1")
    expect_error(path, "column 'ts_ms'", "row 1", "ts not sortable")


def test_csv_fractional_timestamp_is_wrong_type(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "1.5,tok-yes,0.4,0.5,1,1")
    expect_error(path, "column 'ts_ms'", "wrong type")


def test_csv_best_price_without_size(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "1,tok-yes,0.4,0.5,,1")
    expect_error(path, "column 'bid_size'", "row 0", "required when best_bid is set")


def ticks_table(**overrides: list[Any]) -> pa.Table:
    columns: dict[str, Any] = {
        "ts_ms": pa.array([1, 2], pa.int64()),
        "token_id": ["tok-yes", "tok-no"],
        "best_bid": [0.4, 0.5],
        "best_ask": [0.5, 0.6],
        "bid_size": [1.0, 2.0],
        "ask_size": [1.0, 2.0],
    }
    columns.update(overrides)
    return pa.table(columns)


@pytest.mark.parametrize(
    ("overrides", "fragments"),
    [
        ({"best_bid": [0.4, math.nan]}, ("column 'best_bid'", "row 1", "NaN")),
        ({"ask_size": [1.0, -2.0]}, ("column 'ask_size'", "row 1", "negative size")),
        ({"last_trade_price": [None, -0.1]}, ("column 'last_trade_price'", "row 1", "price outside [0, 1]")),
        ({"ts_ms": ["a", "b"]}, ("column 'ts_ms'", "wrong type")),
        ({"token_id": pa.array([1, 2])}, ("column 'token_id'", "wrong type")),
        (
            {"bids": [[{"price": 0.4, "size": 1.0}, {"price": 0.41, "size": 1.0}], []]},
            ("column 'bids'", "row 0", "best first"),
        ),
        (
            {"asks": [[{"price": 0.5, "size": 1.0}], [{"price": 0.6, "size": -1.0}]]},
            ("column 'asks'", "row 1", "negative level size"),
        ),
        (
            {"asks": [[{"price": 0.55, "size": 1.0}], None]},
            ("column 'asks'", "row 0", "differs from the best price"),
        ),
        (
            {"bids": [[{"price": 0.4, "size": 1.0}], [{"price": 1.2, "size": 1.0}]]},
            ("column 'bids'", "row 1", "level price outside [0, 1]"),
        ),
        ({"best_bid": pa.array(["0.4", "0.5"])}, ("column 'best_bid'", "wrong type")),
    ],
)
def test_parquet_rule_violations(
    tmp_path: Path, overrides: dict[str, list[Any]], fragments: tuple[str, ...]
) -> None:
    write_markets(tmp_path)
    pq.write_table(ticks_table(**overrides), tmp_path / "ticks.parquet")
    expect_error(tmp_path, "ticks.parquet", *fragments)


def test_parquet_levels_and_nulls_load(tmp_path: Path) -> None:
    write_markets(tmp_path)
    bids = [[{"price": 0.4, "size": 1.0}, {"price": 0.39, "size": 3.0}], None]
    pq.write_table(
        ticks_table(bids=bids, best_ask=[None, 0.6], ask_size=[None, 2.0]), tmp_path / "ticks.parquet"
    )
    first, second = load_recording(tmp_path).book_updates()
    assert first.book.bids == ((0.4, 1.0), (0.39, 3.0)) and first.book.asks == ()
    assert second.book.bids == ((0.5, 2.0),)  # null level list: fall back to best_bid/bid_size


# ------------------------------------------------------------------ validation errors (files, markets)


def test_missing_files(tmp_path: Path) -> None:
    expect_error(tmp_path, "no ticks.parquet or ticks.csv")
    (tmp_path / "ticks.csv").write_text(CSV_HEADER + "\n")
    expect_error(tmp_path, "no markets.json or markets.parquet")
    expect_error(tmp_path / "nope.parquet", "file not found")


def bad_market_rows(**changes: Any) -> list[dict[str, Any]]:
    rows = market_rows(MARKET)
    for key, value in changes.items():
        index, column = key.rsplit("_row", 1)[::-1] if "_row" in key else ("0", key)
        rows[int(index)][column] = value
    return rows


@pytest.mark.parametrize(
    ("rows", "fragments"),
    [
        (bad_market_rows(tick_size="0.05"), ("column 'tick_size'", "row 0", "bad tick size")),
        (
            bad_market_rows(complement_token_id_row1="tok-other"),
            ("column 'complement_token_id'", "do not name each other"),
        ),
        (market_rows(MARKET)[:1], ("column 'market_id'", "needs 2")),
        (
            [{k: v for k, v in r.items() if k != "fee_rate"} for r in market_rows(MARKET)],
            ("column 'fee_rate'", "missing required column"),
        ),
        (bad_market_rows(payout=1.0), ("column 'payout'", "must be 1/0")),
        (bad_market_rows(payout=0.7, payout_row1=0.3), ("column 'payout'", "must be 1/0")),
        (bad_market_rows(end_ts_ms="tomorrow"), ("column 'end_ts_ms'", "wrong type")),
        (bad_market_rows(min_order_size="five"), ("column 'min_order_size'", "wrong type")),
        (market_rows(MARKET) + market_rows(MARKET), ("column 'token_id'", "row 2", "duplicate token_id")),
    ],
)
def test_markets_rule_violations(
    tmp_path: Path, rows: list[dict[str, Any]], fragments: tuple[str, ...]
) -> None:
    path = write_csv(tmp_path, "1,tok-yes,0.4,0.5,1,1", markets=rows)
    expect_error(path, "markets.json", *fragments)


def test_markets_json_must_be_a_list_of_rows(tmp_path: Path) -> None:
    write_csv(tmp_path, "1,tok-yes,0.4,0.5,1,1")
    (tmp_path / "markets.json").write_text('{"m1": 1}')
    expect_error(tmp_path, "markets.json", "JSON array")


# ------------------------------------------------------------------ real third-party data (read only)


@pytest.mark.skipif(
    not (SHARED / "data/real/tickscope_nhl_ms_ticks").is_dir(), reason="shared data not present"
)
def test_tickscope_nhl_columns_are_what_the_report_documents() -> None:
    files = sorted((SHARED / "data/real/tickscope_nhl_ms_ticks").glob("*.parquet"))
    assert files
    for path in files:
        schema = pq.read_schema(path)
        assert {f.name: str(f.type) for f in schema} == {
            "timestamp": "timestamp[ms, tz=UTC]",
            "price": "double",
            "size": "double",
            "best_bid": "double",
            "best_ask": "double",
            "side": "dictionary<values=string, indices=int8, ordered=0>",
            "event_type": "dictionary<values=string, indices=int8, ordered=0>",
            "asset_id": "large_string",
        }
    sample = pq.read_table(files[0]).slice(0, 1000)
    assert set(sample.column("event_type").to_pylist()) <= {"PRICE_CHANGE", "LAST_TRADE"}
