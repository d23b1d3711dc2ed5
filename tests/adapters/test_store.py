"""The DuckDB store: exact money, idempotent records, ticks and bars, retention, snapshots,
durability under SIGKILL and the single-writer lock."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal as D
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from bot.adapters.storage import duckdb_store
from bot.adapters.storage.duckdb_store import Store, StoreLockedError
from bot.adapters.storage.read_model import SNAPSHOT_TABLES, arrow_schema
from bot.adapters.storage.snapshot_reader import SnapshotReader
from bot.domain.book import Book
from bot.domain.events import BookUpdate, CommandKind
from bot.domain.market import binary_market
from bot.domain.orders import Fill, Order, OrderIntent, OrderStatus, OrderType, OrderUpdate, Purpose, Side
from bot.domain.positions import ClosedTrade, Position
from bot.domain.risk import RefusalCode, Refused
from bot.domain.signals import Decision, Direction, Layer, Signal

ROOT = Path(__file__).resolve().parents[2]
MIN = 60_000


# ---- builders -------------------------------------------------------------------------------

def market(market_id: str = "m1", tokens: tuple[str, str] = ("ta", "tb")):
    return binary_market(market_id, f"Will {market_id} happen?", tokens, tick_size=D("0.001"),
                         min_order_size=D(5), fee_rate=D("0.02"), end_ts_ms=1_900_000_000_000,
                         neg_risk=True, neg_risk_group="g1", category="sports", volume_24h_usd=1234.5,
                         liquidity_usd=99.25)


def intent(token_id: str = "tb", side: Side = Side.BUY, shares: D = D("6.38"), price: D = D("0.471")):
    return OrderIntent("spike_hunter", "m1", token_id, side, shares, price, OrderType.FAK, Purpose.ENTRY,
                       "Bought No at 47.1¢ because Yes jumped 6¢", 1_000, f"key-{token_id}-{side}")


def fill(fill_id: str, token_id: str = "tb", side: Side = Side.BUY, shares: D = D("10"), price: D = D("0.47"),
         ts_ms: int = 1_000, purpose: Purpose = Purpose.ENTRY, market_id: str = "m1") -> Fill:
    sign = 1 if side is Side.BUY else -1
    return Fill(fill_id, f"co-{fill_id}", "spike_hunter", market_id, token_id, side, price, shares,
                D("0.00499"), sign * shares, -sign * shares * price, False, purpose, ts_ms)


def trade(trade_id: str, pnl: D = D("0.123456"), closed_ts_ms: int = 5_000) -> ClosedTrade:
    return ClosedTrade(trade_id, "m1", "tb", "spike_hunter", D("6.38"), D("0.47"), D("0.49"), D("2.9986"),
                       D("3.1262"), pnl, D("0.012345"), 1_000, closed_ts_ms, "spike entry", "target hit")


def book(token: str, ts_ms: int, bid: float | None, ask: float | None, bid_size=10.0, ask_size=10.0):
    return BookUpdate(ts_ms, Book(token, ts_ms, ((bid, bid_size),) if bid is not None else (),
                                  ((ask, ask_size),) if ask is not None else ()))


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "polybot.duckdb", memory_limit_mb=128, threads=1) as s:
        yield s


def _sql(store: Store, query: str, params=()):
    return store._con.execute(query, params).fetchall()  # white-box reads of the stored rows


def _subprocess_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


# ---- connection, money --------------------------------------------------------------------

def test_settings_from_constructor(store):
    assert _sql(store, "SELECT current_setting('threads')")[0][0] == 1
    limit = _sql(store, "SELECT current_setting('memory_limit')")[0][0]
    assert limit.startswith("122") or "128" in limit  # DuckDB shows 128MB as "122.0 MiB"


def test_python_decimal_to_duckdb_decimal_is_exact(store):
    values = [D("0.000001"), D("123456.789012"), D("-0.123456"), D("999999999999.999999"), D("0.1")]
    for i, value in enumerate(values):
        store.record_equity(i, value, -value, value)
    rows = _sql(store, "SELECT cash_usd, positions_value_usd, typeof(cash_usd) FROM equity ORDER BY ts_ms")
    assert [r[0] for r in rows] == values and [r[1] for r in rows] == [-v for v in values]
    assert rows[0][2] == "DECIMAL(18,6)"
    # Finer than a token unit is rounded half-even by the store, explicitly.
    store.record_equity(99, D("0.0000005"), D("0.0000015"), D("1.23456789"))
    rounded = _sql(store, "SELECT cash_usd, positions_value_usd, equity_usd FROM equity WHERE ts_ms = 99")
    assert rounded == [(D("0"), D("0.000002"), D("1.234568"))]


# ---- round trips ----------------------------------------------------------------------------

def test_market_round_trip_keeps_tick_grid(store):
    m = market()
    store.record_market(m)
    store.record_market(m)  # refresh: still one row
    (loaded,) = store.load_markets()
    assert loaded == m
    assert str(loaded.tick_size) == "0.001" and str(loaded.min_order_size) == "5"
    assert D("0.4712").quantize(loaded.tick_size) == D("0.471")


def test_order_write_ahead_idempotent_and_updates(store):
    order = Order("co-1", intent(), 1_000)
    assert not store.has_order("co-1")
    assert store.record_order(order, OrderStatus.PENDING, "sent to paper executor")
    assert not store.record_order(order, OrderStatus.PENDING)  # second write is ignored
    assert store.has_order("co-1")
    assert store.record_order_update(OrderUpdate("co-1", OrderStatus.PARTIAL, D("3.19"), "half", 1_100))
    assert store.record_order_update(OrderUpdate("co-1", OrderStatus.FILLED, D("6.38"), "done", 1_200))
    # A late, out-of-order partial cannot reopen a filled order or shrink its filled shares.
    store.record_order_update(OrderUpdate("co-1", OrderStatus.PARTIAL, D("3.19"), "late", 1_150))
    assert not store.record_order_update(OrderUpdate("nope", OrderStatus.FILLED, D(1), "", 1))
    ((loaded, status, filled),) = store.load_orders()
    assert loaded == order and status is OrderStatus.FILLED and filled == D("6.38")
    assert _sql(store, "SELECT status_reason, updated_ts_ms FROM orders")[0] == ("done", 1_200)


def test_fill_idempotent_and_exact(store):
    fills = [fill("f1", shares=D("6.38"), price=D("0.4712")),
             fill("f2", side=Side.SELL, shares=D("6.38"), price=D("0.49"), ts_ms=900)]
    assert store.record_fill(fills[0]) and store.record_fill(fills[1])
    assert not store.record_fill(fills[0])
    assert store.load_fills() == fills  # insertion order, exact Decimals
    assert _sql(store, "SELECT count(*) FROM fills")[0][0] == 2


def test_trade_and_position_meta_round_trip(store):
    t = trade("t1")
    assert store.record_trade(t) and not store.record_trade(t)
    assert store.load_trades() == [t]
    p = Position("m1", "tb", "spike_hunter", D("6.38"), D("3.004986"), 1_000, D("0.471001"), D("0.46"),
                 D("0.48"), D("0.475"), "spike entry")
    store.save_position_meta(p)
    moved = dataclasses.replace(p, stop_price=D("0.465"), high_water_bid=D("0.479"))
    store.save_position_meta(moved)
    assert store.load_position_meta() == {"tb": moved}
    store.delete_position_meta("tb")
    assert store.load_position_meta() == {}


def test_signal_refusal_journal_equity_command_round_trip(store, tmp_path):
    sig = Signal("s1", "spike_hunter", "m1", "ta", 2_000, Direction.UP, 0.55, 0.061,
                 (Layer("cusum", 0.041, 0.03, True), Layer("roc", float("nan"), 1.0, False)),
                 Decision.REFUSED, "Yes jumped 6.1¢ in 3 s")
    assert store.record_signal(sig) and not store.record_signal(sig)
    store.record_refusal(Refused(intent(), RefusalCode.CASH, "Not enough cash: $1.20 < $3.00"), 2_001)
    store.record_journal(2_002, "refusal", "Refused: not enough cash", "s1")
    store.record_equity(2_003, D("75.000001"), D("2.93"), D("77.930001"))
    assert store.record_command("ui-1-ab", CommandKind.PAUSE, {}, True, "Paused", 2_004)
    assert not store.record_command("ui-1-ab", CommandKind.PAUSE, {}, True, "Paused", 2_005)
    store.record_command("tg-2-cd", "manual_order", {"usd": "5", "side": "BUY"}, False, "No market", 2_006)
    assert store.processed_command_ids() == {"ui-1-ab", "tg-2-cd"}

    store.export_snapshots(tmp_path / "snapshots", now_ms=3_000)
    reader = SnapshotReader(tmp_path)
    s = reader.table("signals").iloc[0]
    assert (s.signal_id, s.direction, s.price, s.move, s.decision) == ("s1", "up", 0.55, 0.061, "refused")
    assert s.layers_json == ('[{"name": "cusum", "value": 0.041, "threshold": 0.03, "passed": true}, '
                             '{"name": "roc", "value": null, "threshold": 1.0, "passed": false}]')
    r = reader.table("risk_decisions").iloc[0]
    assert (r.code, r.shares, r.limit_price, r.side) == ("insufficient_cash", D("6.38"), D("0.471"), "BUY")
    assert reader.table("journal").to_dict("records") == [
        {"ts_ms": 2_002, "kind": "refusal", "text": "Refused: not enough cash", "ref": "s1"}]
    assert reader.table("equity").iloc[0].equity_usd == D("77.930001")
    commands = reader.table("commands")
    assert list(commands.command_id) == ["ui-1-ab", "tg-2-cd"]
    assert commands.args_json[1] == '{"side": "BUY", "usd": "5"}' and not commands.ok[1]


def test_last_command_state(store):
    assert store.last_command_state() is None
    store.record_command("a", "pause", {}, True, "", 1)
    store.record_command("b", "flatten", {}, True, "", 2)
    assert store.last_command_state() is CommandKind.PAUSE
    store.record_command("c", "resume", {}, False, "refused", 3)  # failed commands do not count
    assert store.last_command_state() is CommandKind.PAUSE
    store.record_command("d", "stop_entry", {}, True, "", 4)
    assert store.last_command_state() is CommandKind.STOP_ENTRY


# ---- ticks and bars ------------------------------------------------------------------------------

def test_ticks_stored_only_when_top_changes_or_trade(store):
    updates = [
        book("ta", 1, 0.50, 0.52), book("ta", 2, 0.50, 0.52),  # unchanged: skipped
        book("tb", 3, 0.48, 0.50),  # another token: stored
        book("ta", 4, 0.50, 0.52, bid_size=11.0),  # size changed: stored
        BookUpdate(5, Book("ta", 5, ((0.50, 11.0),), ((0.52, 10.0),)), 0.52, 3.0),  # trade: stored
        book("ta", 6, 0.50, None),  # ask side gone: stored, no mid
    ]
    assert store.record_ticks(updates) == 5
    assert store.record_ticks([book("ta", 7, 0.50, None)]) == 0  # remembered across calls
    assert store.record_ticks([]) == 0
    rows = _sql(store, "SELECT token_id, ts_ms, best_bid, best_ask, bid_size, last_trade_price,"
                       " last_trade_size FROM ticks ORDER BY ts_ms")
    assert rows == [("ta", 1, 0.5, 0.52, 10.0, None, None), ("tb", 3, 0.48, 0.5, 10.0, None, None),
                    ("ta", 4, 0.5, 0.52, 11.0, None, None), ("ta", 5, 0.5, 0.52, 11.0, 0.52, 3.0),
                    ("ta", 6, 0.5, None, 10.0, None, None)]


def test_bars_across_minute_boundaries_calls_and_restart(tmp_path):
    path = tmp_path / "polybot.duckdb"
    mids = [0.50, 0.53, 0.49, 0.51, 0.60, 0.40, 0.45, 0.47, 0.46]
    times = [0, 20_000, 59_999, MIN, MIN + 1, 2 * MIN + 5, 2 * MIN + 6, 2 * MIN + 7, 3 * MIN]
    updates = [book("ta", 10 * MIN + t, m - 0.01, m + 0.01) for t, m in zip(times, mids, strict=True)]
    with Store(path) as store:  # first call ends mid-minute 12; a restart follows
        store.record_ticks(updates[:2])
        store.record_ticks(updates[2:6])
    with Store(path) as store:
        store.record_ticks(updates[6:])
        # Finished minutes are in the table at once; the open one (13) is written at close.
        assert _sql(store, "SELECT max(minute_ts_ms) FROM bars_1m") == [(12 * MIN,)]
    with Store(path) as store:
        bars = _sql(store, "SELECT minute_ts_ms, open, high, low, close, ticks FROM bars_1m ORDER BY 1")
        # The reference: a plain aggregate of the stored ticks.
        reference = _sql(store, """
            SELECT ts_ms // 60000 * 60000 AS m, arg_min((best_bid + best_ask) / 2, ts_ms),
                   max((best_bid + best_ask) / 2), min((best_bid + best_ask) / 2),
                   arg_max((best_bid + best_ask) / 2, ts_ms), count(*)
            FROM ticks GROUP BY m ORDER BY m""")
    expected = [(10 * MIN, 0.50, 0.53, 0.49, 0.49, 3), (11 * MIN, 0.51, 0.60, 0.51, 0.60, 2),
                (12 * MIN, 0.40, 0.47, 0.40, 0.47, 3), (13 * MIN, 0.46, 0.46, 0.46, 0.46, 1)]
    def flat(rows):
        return [round(value, 9) for row in rows for value in row]
    assert flat(bars) == flat(expected) == flat(reference)


def test_late_ticks_recompute_their_minutes_without_duplicate_bars(store):
    store.record_ticks([book("ta", 10 * MIN + s * 1000, 0.49 - s / 10_000, 0.51) for s in range(0, 180, 20)])
    assert _sql(store, "SELECT minute_ts_ms, ticks FROM bars_1m ORDER BY 1") == [(10 * MIN, 3), (11 * MIN, 3)]
    # A tick for minute 10 arriving late (a feed's backlog): minutes 10-12 are bars again, once each.
    store.record_ticks([book("ta", 10 * MIN + 59_000, 0.59, 0.61), book("ta", 13 * MIN, 0.49, 0.51)])
    assert _sql(store, "SELECT minute_ts_ms, ticks, round(high, 6) FROM bars_1m ORDER BY 1") == [
        (10 * MIN, 4, 0.6), (11 * MIN, 3, 0.497), (12 * MIN, 3, 0.494)]


def test_signals_are_recorded_once_per_id_in_batches_and_singly(store):
    def sig(signal_id: str, ts_ms: int) -> Signal:
        return Signal(signal_id, "spike_hunter", "m1", "ta", ts_ms, Direction.UP, 0.55, 0.06, (), Decision.TRADED, "")
    store.record_batch(signals=[sig("a", 1_000), sig("b", 2_000), sig("a", 1_000)])
    store.record_batch(signals=[sig("b", 2_000), sig("c", 3_000)])  # b replayed after a restart
    assert not store.record_signal(sig("c", 3_000))
    assert store.record_signal(sig("d", 500))
    assert _sql(store, "SELECT signal_id FROM signals ORDER BY seq") == [("a",), ("b",), ("c",), ("d",)]


def test_a_version_1_store_is_migrated_with_its_rows_and_without_the_growing_keys(tmp_path):
    """Version 1 kept primary keys on bars_1m and signals, whose in-memory indexes grew for good."""
    import duckdb

    path = tmp_path / "polybot.duckdb"
    with Store(path) as store:
        store.record_ticks([book("ta", 10 * MIN + s * 1000, 0.49 - s / 10_000, 0.51) for s in range(0, 130, 20)])
        store.record_signal(Signal("s1", "spike_hunter", "m1", "ta", 5, Direction.UP, 0.5, 0.06, (),
                                   Decision.TRADED, "jump"))
        store.record_fill(fill("f1"))
    con = duckdb.connect(str(path))  # turn it back into what a version-1 bot left
    for table, key in (("bars_1m", "PRIMARY KEY (token_id, minute_ts_ms)"), ("signals", "PRIMARY KEY (signal_id)")):
        columns = ", ".join(f"{name} {kind}" for name, kind in con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?"
            " ORDER BY ordinal_position", [table]).fetchall())
        con.execute(f"CREATE TABLE {table}_v1 ({columns}, {key}); INSERT INTO {table}_v1 SELECT * FROM {table};"
                    f" DROP TABLE {table}; ALTER TABLE {table}_v1 RENAME TO {table}")
    con.execute("UPDATE store_meta SET value = '1' WHERE key = 'schema_version'")
    keys = "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' ORDER BY 1"
    assert {"bars_1m", "signals"} <= {t for (t,) in con.execute(keys).fetchall()}
    con.close()

    with Store(path) as store:
        assert _sql(store, "SELECT value FROM store_meta WHERE key = 'schema_version'") == [("2",)]
        assert not {"bars_1m", "signals"} & {t for (t,) in _sql(store, keys)}
        assert "fills" in {t for (t,) in _sql(store, keys)}  # money tables keep theirs
        assert _sql(store, "SELECT minute_ts_ms, ticks FROM bars_1m ORDER BY 1") == [
            (10 * MIN, 3), (11 * MIN, 3), (12 * MIN, 1)]  # the open minute was written at close
        assert _sql(store, "SELECT signal_id, reason FROM signals") == [("s1", "jump")]
        assert not store.record_signal(Signal("s1", "spike_hunter", "m1", "ta", 5, Direction.UP, 0.5, 0.06, (),
                                              Decision.TRADED, "jump"))
        assert [f.fill_id for f in store.load_fills()] == ["f1"]
        store.record_signal(Signal("s2", "spike_hunter", "m1", "ta", 6, Direction.UP, 0.5, 0.06, (), Decision.TRADED, ""))
        assert _sql(store, "SELECT signal_id FROM signals ORDER BY seq") == [("s1",), ("s2",)]


def test_record_ticks_10k_updates_is_fast(store):
    def batch(k: int) -> list[BookUpdate]:
        return [book(f"token-{i % 200:03d}", k * 100_000 + i * 10, 0.40 + (i % 7) / 100, 0.6, 10.0 + i + k)
                for i in range(10_000)]
    store.record_ticks(batch(0))  # warm-up
    timings = []
    for k in range(1, 6):
        updates = batch(k)
        start = time.perf_counter()
        assert store.record_ticks(updates) == 10_000
        timings.append((time.perf_counter() - start) * 1000)
    print(f"record_ticks 10k: median {sorted(timings)[2]:.1f} ms, max {max(timings):.1f} ms")
    assert sorted(timings)[2] < 100


def test_retention_deletes_old_ticks_keeps_bars(store):
    day = 86_400_000
    now = 30 * day
    store.record_ticks([book("ta", now - 8 * day, 0.5, 0.52), book("ta", now - 6 * day, 0.4, 0.42),
                        book("ta", now - 1, 0.3, 0.32)])
    assert store.apply_retention(now, tick_retention_days=7) == 1
    assert store.apply_retention(now, tick_retention_days=7) == 0
    assert [r[0] for r in _sql(store, "SELECT ts_ms FROM ticks ORDER BY 1")] == [now - 6 * day, now - 1]
    store.record_ticks([book("ta", now + MIN, 0.3, 0.34)])  # the minute of now - 1 is over: its bar is written
    assert _sql(store, "SELECT count(*) FROM bars_1m")[0][0] == 3


# ---- snapshots -------------------------------------------------------------------------------------

def _meta(token_id: str, shares: str, market_id: str = "m1", opened_ts_ms: int = 1_000) -> Position:
    return Position(market_id, token_id, "manual", D(shares), D("2.4"), opened_ts_ms, D("0.40"), D("0.35"),
                    D("0.55"), D("0.50"), "bought the dip")


def test_export_matches_contract_and_lists_the_engines_open_positions(store, tmp_path):
    store.record_market(market())
    store.record_market(market("m2", ("xa", "xb")))
    store.record_fill(fill("f1", "tb", shares=D("10"), price=D("0.40")))  # buy 10 No
    store.record_fill(fill("f2", "tb", Side.SELL, D("4"), D("0.50"), 2_000))  # sell 4: 6 left
    store.save_position_meta(_meta("tb", "6"))
    # A round trip that leaves unsellable dust (< 0.01 share): the engine closes it and deletes
    # the meta; summing fills alone would still "hold" 0.001214.
    store.record_fill(dataclasses.replace(fill("f3", "xa", market_id="m2", ts_ms=3_000),
                                          shares_received=D("9.991214")))
    store.record_fill(fill("f4", "xa", Side.SELL, D("9.99"), D("0.35"), 4_000, market_id="m2"))
    # ...then a new position in the same token: the engine's shares exclude the old dust.
    store.record_fill(fill("f5", "xa", shares=D("5"), price=D("0.30"), ts_ms=5_000, market_id="m2"))
    store.save_position_meta(_meta("xa", "5", "m2", 5_000))
    # Stale meta (a crash between the closing fill and the delete): the fills say flat.
    store.record_fill(fill("f6", "ta", shares=D("5"), price=D("0.30"), ts_ms=6_000))
    store.record_fill(fill("f7", "ta", Side.SELL, D("5"), D("0.35"), 7_000))
    store.save_position_meta(_meta("ta", "5"))
    store.record_trade(trade("t1"))
    store.record_ticks([book("ta", 3_000, 0.5, 0.52), book("ta", 3_000 + 86_400_000 + MIN, 0.6, 0.62)])
    counts = store.export_snapshots(tmp_path / "snapshots", now_ms=3_000 + 86_400_000 + MIN)
    assert counts["bars_1m"] == 1 and counts["fills"] == 7 and counts["positions"] == 2

    for name in SNAPSHOT_TABLES:  # names and types as in the contract (nullability may differ)
        schema = pq.read_schema(tmp_path / "snapshots" / f"{name}.parquet")
        assert [(f.name, f.type) for f in schema] == [(f.name, f.type) for f in arrow_schema(name)]
    assert not list((tmp_path / "snapshots").glob(".*"))  # no temp files left behind

    positions = SnapshotReader(tmp_path).table("positions").to_dict("records")
    common = {"strategy": "manual", "cost_usd": D("2.4"), "entry_price": D("0.4"), "stop_price": D("0.35"),
              "target_price": D("0.55"), "entry_reason": "bought the dip"}
    assert positions == [
        {**common, "market_id": "m1", "question": "Will m1 happen?", "token_id": "tb", "outcome": "No",
         "shares": D("6"), "opened_ts_ms": 1_000},
        {**common, "market_id": "m2", "question": "Will m2 happen?", "token_id": "xa", "outcome": "Yes",
         "shares": D("5"), "opened_ts_ms": 5_000},
    ]
    trades = SnapshotReader(tmp_path).table("trades")
    assert (trades.question[0], trades.outcome[0]) == ("Will m1 happen?", "No")
    assert trades.pnl_usd[0] == D("0.123456")


def _seed_trades(store: Store, start: int, stop: int, pnl: str = "0.12") -> None:
    """Bulk trades t{start:05d}.. in one statement (per-call records fsync each: too slow to seed 100k)."""
    store._con.execute(
        "INSERT INTO trades (trade_id, market_id, token_id, strategy, shares, entry_price, exit_price,"
        " cost_usd, proceeds_usd, pnl_usd, fees_usd, opened_ts_ms, closed_ts_ms, entry_reason, exit_reason)"
        " SELECT printf('t%05d', i), 'm1', 'tb', 's', 6.38, 0.47, 0.49, 3, 3.12, CAST(? AS DECIMAL(18,6)),"
        " 0.01, i, i, 'entry', 'exit' FROM range(?, ?) r(i)", [pnl, start, stop])


def test_snapshots_are_never_torn_while_rewritten(store, tmp_path):
    reader = SnapshotReader(tmp_path)
    store.export_snapshots(tmp_path / "snapshots", now_ms=0)
    stop = threading.Event()
    seen: list[int] = []
    errors: list[BaseException] = []

    def read_loop() -> None:
        while not stop.is_set():
            try:
                frame = reader.table("trades")
                # Each file holds n trades of pnl 0.000001 each: any mix of two files breaks this.
                assert sum(frame.pnl_usd, D(0)) == D("0.000001") * len(frame)
                assert list(frame.trade_id) == [f"t{i:05d}" for i in range(len(frame))]
                seen.append(len(frame))
            except BaseException as exc:  # noqa: BLE001 - reported to the main thread
                errors.append(exc)
                return

    thread = threading.Thread(target=read_loop)
    thread.start()
    try:
        for i in range(60):
            _seed_trades(store, i * 50, (i + 1) * 50, pnl="0.000001")
            store.export_snapshots(tmp_path / "snapshots", now_ms=0)
    finally:
        stop.set()
        thread.join()
    assert not errors, errors[0]
    assert len(seen) > 10 and seen == sorted(seen)


def test_snapshot_tables_keep_the_newest_rows(store, tmp_path, monkeypatch):
    monkeypatch.setattr(duckdb_store, "_NEWEST_ROWS", 3)
    for ts in (5, 1, 4, 2, 3):
        store.record_journal(ts, "note", f"line {ts}")
    store.export_snapshots(tmp_path / "snapshots", now_ms=10)
    assert SnapshotReader(tmp_path).table("journal").ts_ms.tolist() == [3, 4, 5]
    # The next export searches from the last cut-off on: newer rows push it forward, an older
    # row recorded late (a replay) stays out, ties on ts_ms go by recording order.
    for ts in (2, 6, 4):
        store.record_journal(ts, "note", f"late {ts}")
    store.export_snapshots(tmp_path / "snapshots", now_ms=10)
    journal = SnapshotReader(tmp_path).table("journal")
    assert list(zip(journal.ts_ms, journal.text, strict=True)) == [(4, "late 4"), (5, "line 5"), (6, "late 6")]
    store._con.execute("DELETE FROM journal WHERE ts_ms >= 4")  # fewer rows than at the last cut-off
    store.export_snapshots(tmp_path / "snapshots", now_ms=10)
    assert SnapshotReader(tmp_path).table("journal").ts_ms.tolist() == [2, 2, 3]


def test_newest_rows_export_within_a_small_memory_limit(tmp_path):
    """The soak's bot died exporting 50k signals (~600 bytes each) under its 128 MB cap: the wide
    sort and the Parquet writer's 122,880-row group needed more. Here 60k such rows must export
    under a 48 MB cap, still the newest 50k in (ts_ms, seq) order."""
    with Store(tmp_path / "polybot.duckdb", memory_limit_mb=48, threads=1) as store:
        store._con.execute(
            "INSERT INTO signals (signal_id, ts_ms, strategy, market_id, token_id, direction, price, move,"
            " decision, reason, layers_json) SELECT 's' || i, 1000 + i // 8, 'spike_hunter', 'm' || (i % 1000),"
            " repeat('7', 77) || (i % 2000), 'up', 0.5, 0.01, 'ignored', repeat('r', 220), repeat('j', 340)"
            " FROM range(60000) t(i)")
        counts = store.export_snapshots(tmp_path / "snapshots", now_ms=10_000)
    table = pq.read_table(tmp_path / "snapshots" / "signals.parquet", columns=["signal_id", "ts_ms"])
    assert counts["signals"] == table.num_rows == 50_000
    assert table.column("signal_id")[0].as_py() == "s10000"
    assert table.column("ts_ms").to_pylist() == sorted(table.column("ts_ms").to_pylist())


def test_export_can_run_in_a_helper_thread_while_recording(store, tmp_path):
    errors: list[BaseException] = []

    def export_loop() -> None:
        try:
            for _ in range(20):
                store.export_snapshots(tmp_path / "snapshots", now_ms=0)
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)

    thread = threading.Thread(target=export_loop)
    thread.start()
    for i in range(300):
        store.record_fill(fill(f"f{i}", ts_ms=i))
    thread.join()
    assert not errors, errors[0]
    store.export_snapshots(tmp_path / "snapshots", now_ms=0)
    assert len(SnapshotReader(tmp_path).table("fills")) == 300


def test_schema_version_mismatch_is_refused_and_releases_the_file(tmp_path):
    path = tmp_path / "polybot.duckdb"
    with Store(path) as store:
        store._con.execute("UPDATE store_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(RuntimeError, match="schema version 99, this bot expects 2: it was written by a newer Polybot"):
        Store(path)
    probe = "import duckdb, sys; duckdb.connect(sys.argv[1]).close()"  # another process: lock released?
    subprocess.run([sys.executable, "-c", probe, str(path)], check=True, timeout=60)


@pytest.mark.bench
def test_export_snapshots_100k_trades_timing(store, tmp_path):
    store.record_market(market())
    _seed_trades(store, 0, 100_000)
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        counts = store.export_snapshots(tmp_path / "snapshots", now_ms=0)
        timings.append((time.perf_counter() - start) * 1000)
    assert counts["trades"] == 100_000
    print(f"export_snapshots with 100k trades: {min(timings):.0f}-{max(timings):.0f} ms")
    assert min(timings) < 2_000


# ---- processes: durability and the lock ------------------------------------------------------------

_RECORD_AND_HANG = """
import sys, time
from decimal import Decimal as D
from pathlib import Path
from bot.adapters.storage.duckdb_store import Store
from bot.domain.orders import Fill, Purpose, Side
store = Store(Path(sys.argv[1]))
store.record_fill(Fill("f-kill", "co-1", "s", "m1", "tb", Side.BUY, D("0.47"), D("6.38"), D("0.00499"),
                       D("6.37"), D("-2.9986"), False, Purpose.ENTRY, 1000))
print("ACK", flush=True)
time.sleep(60)
"""


def test_acknowledged_fill_survives_sigkill(tmp_path):
    path = tmp_path / "polybot.duckdb"
    proc = subprocess.Popen([sys.executable, "-c", _RECORD_AND_HANG, str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_subprocess_env())
    try:
        assert proc.stdout.readline().strip() == "ACK", proc.stderr.read()
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with Store(path) as store:  # replays the WAL
        (loaded,) = store.load_fills()
    assert (loaded.fill_id, loaded.cash_delta, loaded.shares_received) == ("f-kill", D("-2.9986"), D("6.37"))


_OPEN_SECOND = """
import sys
from pathlib import Path
from bot.adapters.storage import duckdb_store
from bot.adapters.storage.duckdb_store import Store, StoreLockedError
try:
    Store(Path(sys.argv[1]))
except StoreLockedError as exc:
    print(exc)
    sys.exit(3)
"""


def test_second_process_gets_a_clear_lock_error(store):
    result = subprocess.run([sys.executable, "-c", _OPEN_SECOND, str(store.db_path)], capture_output=True,
                            text=True, env=_subprocess_env(), timeout=60)
    assert result.returncode == 3, result.stderr
    # DuckDB itself refuses: "Could not set lock on file ... Conflicting lock is held in ... (PID n)".
    assert "Conflicting lock is held" in result.stdout
    assert "already open in another process" in result.stdout
    assert issubclass(StoreLockedError, RuntimeError)


def test_release_cache_gives_table_blocks_back_and_keeps_the_limit(tmp_path):
    """DuckDB evicts only under pressure, so without this its block cache (and the bot's RSS)
    grows to memory_limit as the store grows; release_cache empties it and restores the limit."""
    import psutil

    with Store(tmp_path / "polybot.duckdb", memory_limit_mb=128, threads=1) as store:
        store._con.execute("INSERT INTO ticks SELECT repeat('7', 77) || (i % 2000), i, random(), random(), 1, 1,"
                           " NULL, NULL FROM range(3000000) t(i)")
        store.checkpoint()
        store._con.execute("SELECT sum(best_bid), sum(ts_ms), max(token_id) FROM ticks").fetchall()  # fill the cache
        cached = store.memory_mb().get("BASE_TABLE", 0.0)
        rss_before = psutil.Process().memory_info().rss
        released = store.release_cache()
        after = store.memory_mb()
        rss_after = psutil.Process().memory_info().rss
        assert cached > 20 and released > 0.8 * cached - 8, (cached, released, after)
        assert after.get("BASE_TABLE", 0.0) <= 8
        assert (rss_before - rss_after) / 2**20 > 0.5 * released, "the memory went back to the system"
        assert store._con.execute("SELECT current_setting('memory_limit')").fetchone()[0] in ("122.0 MiB", "128.0 MiB")
        assert store._con.execute("SELECT count(*) FROM ticks").fetchone()[0] == 3_000_000  # data untouched
        assert store.release_cache() == 0.0  # nothing cached: nothing to do
