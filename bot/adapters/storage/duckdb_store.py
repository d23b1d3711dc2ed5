"""The DuckDB store: the single writer of ``data/polybot.duckdb`` and the source of recovery.

Only the bot process opens the file (DESIGN rule 9): DuckDB takes an exclusive lock, so a second
process gets ``StoreLockedError``. Everyone else reads the Parquet snapshots this class exports.

Durability (rule 10): every record method runs in DuckDB's autocommit mode, so when it returns
the row is in the write-ahead log and survives a SIGKILL of the process. Batch methods
(``record_ticks``) use one explicit transaction. Record methods are idempotent on their natural
key (fill_id, client_order_id, signal_id, trade_id, command_id): a replayed event cannot double
count. The schema carries a version; an older store is migrated when opened (``_migrate``).

Money is ``DECIMAL(18,6)`` bound from Python ``Decimal`` (exact); six decimals is the precision of
Polymarket's tokens and pUSD, and finer values (a VWAP) are rounded half-even *here*, explicitly,
not by the database. Loaded Decimals come back without DuckDB's trailing zeros ("6.38", not
"6.380000") so that quantising with a loaded tick size keeps the market's grid.

Threads: use one Store from one thread, except ``export_snapshots``, which reads through its own
cursor and may run in a helper thread (DuckDB's MVCC sees a consistent committed state).
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from bot.adapters.storage.read_model import select_list
from bot.domain.events import BookUpdate, CommandKind
from bot.domain.market import Market, Token
from bot.domain.money import SHARE_STEP, TOKEN_UNIT, VALID_TICKS
from bot.domain.orders import Fill, Order, OrderIntent, OrderStatus, OrderType, OrderUpdate, Purpose, Side
from bot.domain.positions import ClosedTrade, Position
from bot.domain.risk import Refused
from bot.domain.signals import Signal

log = logging.getLogger("polybot.store")

SCHEMA_VERSION = 2
_MINUTE_MS = 60_000
_DAY_MS = 86_400_000
_NEWEST_ROWS = 50_000  # READ_MODEL: signals, risk_decisions and journal snapshots keep the newest 50k
_M = "DECIMAL(18,6)"
# Rows per Parquet row group in snapshots. The writer buffers a whole group in memory; DuckDB's
# default (122,880 rows) asked for 32 MB at once on the signals table and hit the memory_limit.
_ROW_GROUP = 8192
# 1-minute bars as an aggregate of the stored ticks with both sides (a mid), for ts_ms in [lo, hi).
_BARS_FROM_TICKS = (
    "SELECT token_id, ts_ms // 60000 * 60000 AS minute_ts_ms, arg_min(mid, ts_ms) AS open, max(mid) AS high,"
    " min(mid) AS low, arg_max(mid, ts_ms) AS close, count(*) AS ticks FROM (SELECT token_id, ts_ms,"
    " (best_bid + best_ask) / 2 AS mid FROM ticks WHERE best_bid IS NOT NULL AND best_ask IS NOT NULL"
    " AND ts_ms >= {lo} AND ts_ms < {hi}) GROUP BY token_id, minute_ts_ms")

# bars_1m and signals grow with every minute and every alarm, and carry no primary key: DuckDB
# holds a key's ART index in memory, and with these two keys it reached 30 MB in a 10-minute
# soak on 2,000 tokens (under 2 MB without them). Their writers keep them unique instead
# (_write_bars replaces the minutes it recomputes, _unstored_signals skips signal_ids already
# stored). Version 1 had the keys (_migrate).
_BARS_1M = """CREATE TABLE IF NOT EXISTS bars_1m (
    token_id VARCHAR, minute_ts_ms BIGINT, open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, ticks BIGINT);"""
_SIGNALS = """CREATE TABLE IF NOT EXISTS signals (
    signal_id VARCHAR, ts_ms BIGINT, strategy VARCHAR, market_id VARCHAR, token_id VARCHAR,
    direction VARCHAR, price DOUBLE, move DOUBLE, decision VARCHAR, reason VARCHAR, layers_json VARCHAR,
    seq BIGINT DEFAULT nextval('row_seq'));"""
# schema version -> the tables it re-creates: table -> (new definition, order the rows are copied in)
_RECREATED_IN = {2: {"bars_1m": (_BARS_1M, "token_id, minute_ts_ms"), "signals": (_SIGNALS, "seq")}}

_SCHEMA = f"""
CREATE SEQUENCE IF NOT EXISTS row_seq;
CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS markets (
    market_id VARCHAR PRIMARY KEY, question VARCHAR, token_id_a VARCHAR, outcome_a VARCHAR,
    token_id_b VARCHAR, outcome_b VARCHAR, tick_size {_M}, min_order_size {_M}, fee_rate {_M},
    neg_risk BOOLEAN, neg_risk_group VARCHAR, category VARCHAR, end_ts_ms BIGINT,
    volume_24h_usd DOUBLE, liquidity_usd DOUBLE);
CREATE TABLE IF NOT EXISTS ticks (
    token_id VARCHAR, ts_ms BIGINT, best_bid DOUBLE, best_ask DOUBLE, bid_size DOUBLE, ask_size DOUBLE,
    last_trade_price DOUBLE, last_trade_size DOUBLE);
{_BARS_1M}
{_SIGNALS}
CREATE TABLE IF NOT EXISTS risk_decisions (
    ts_ms BIGINT, strategy VARCHAR, market_id VARCHAR, token_id VARCHAR, side VARCHAR, shares {_M},
    limit_price {_M}, purpose VARCHAR, intent_key VARCHAR, code VARCHAR, text VARCHAR,
    seq BIGINT DEFAULT nextval('row_seq'));
CREATE TABLE IF NOT EXISTS orders (
    client_order_id VARCHAR PRIMARY KEY, strategy VARCHAR, market_id VARCHAR, token_id VARCHAR, side VARCHAR,
    shares {_M}, limit_price {_M}, order_type VARCHAR, purpose VARCHAR, reason VARCHAR, intent_ts_ms BIGINT,
    intent_key VARCHAR, ts_ms BIGINT, status VARCHAR, filled_shares {_M}, status_reason VARCHAR,
    updated_ts_ms BIGINT, seq BIGINT DEFAULT nextval('row_seq'));
CREATE TABLE IF NOT EXISTS fills (
    fill_id VARCHAR PRIMARY KEY, client_order_id VARCHAR, strategy VARCHAR, market_id VARCHAR,
    token_id VARCHAR, side VARCHAR, price {_M}, shares {_M}, fee_usd {_M}, shares_received {_M},
    cash_delta {_M}, is_maker BOOLEAN, purpose VARCHAR, ts_ms BIGINT, seq BIGINT DEFAULT nextval('row_seq'));
CREATE TABLE IF NOT EXISTS positions_meta (
    token_id VARCHAR PRIMARY KEY, market_id VARCHAR, strategy VARCHAR, shares {_M}, cost_usd {_M},
    opened_ts_ms BIGINT, entry_price {_M}, stop_price {_M}, target_price {_M}, high_water_bid {_M},
    entry_reason VARCHAR);
CREATE TABLE IF NOT EXISTS trades (
    trade_id VARCHAR PRIMARY KEY, market_id VARCHAR, token_id VARCHAR, strategy VARCHAR, shares {_M},
    entry_price {_M}, exit_price {_M}, cost_usd {_M}, proceeds_usd {_M}, pnl_usd {_M}, fees_usd {_M},
    opened_ts_ms BIGINT, closed_ts_ms BIGINT, entry_reason VARCHAR, exit_reason VARCHAR,
    seq BIGINT DEFAULT nextval('row_seq'));
CREATE TABLE IF NOT EXISTS equity (
    ts_ms BIGINT, cash_usd {_M}, positions_value_usd {_M}, equity_usd {_M});
CREATE TABLE IF NOT EXISTS journal (
    ts_ms BIGINT, kind VARCHAR, text VARCHAR, ref VARCHAR, seq BIGINT DEFAULT nextval('row_seq'));
CREATE TABLE IF NOT EXISTS commands (
    command_id VARCHAR PRIMARY KEY, kind VARCHAR, args_json VARCHAR, ok BOOLEAN, text VARCHAR, ts_ms BIGINT,
    seq BIGINT DEFAULT nextval('row_seq'));
"""

_TERMINAL = "(" + ", ".join(f"'{s.value}'" for s in OrderStatus if s.is_terminal) + ")"  # SQL IN list


class StoreLockedError(RuntimeError):
    """Another process holds polybot.duckdb: only one bot may run per data directory."""


def _money(value: Decimal) -> Decimal:
    # Explicit, documented rounding instead of whatever the binder does with a 20-digit VWAP.
    return value.quantize(TOKEN_UNIT, rounding=ROUND_HALF_EVEN)


def _dec(value: Decimal | None) -> Decimal | None:
    """A loaded DECIMAL without DuckDB's trailing zeros (and no exponent form for integers)."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _tick(value: Decimal) -> Decimal:
    """The VALID_TICKS member equal to a loaded tick size, so quantising keeps the tick's exponent."""
    return next((tick for tick in VALID_TICKS if tick == value), value)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


class Store:
    """The bot's one read-write DuckDB connection: record methods, recovery loaders, exports."""

    def __init__(self, db_path: Path, memory_limit_mb: int = 256, threads: int = 1) -> None:
        self.db_path = Path(db_path)
        self.memory_limit_mb = memory_limit_mb
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # Settings go in at connect time so they bound memory during WAL replay too.
            self._con = duckdb.connect(
                str(self.db_path), config={"memory_limit": f"{memory_limit_mb}MB", "threads": threads}
            )
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            raise StoreLockedError(
                f"{self.db_path} is already open in another process. Only one bot may run per data "
                f"directory; the dashboard and CLI read state.json and snapshots/ instead. DuckDB said: {exc}"
            ) from exc
        self._export_con: duckdb.DuckDBPyConnection | None = None
        self._newest_floor: dict[str, int] = {}  # table -> ts_ms of its last snapshot's oldest row (_newest)
        self._last_top: dict[str, tuple[float | None, ...]] = {}  # token -> last stored top of book
        try:
            self._con.execute(_SCHEMA)
            self._check_schema_version()
            # Ticks from this time on have no bar yet (a bar is written once its minute is over).
            newest_bar = self._con.execute("SELECT max(minute_ts_ms) FROM bars_1m").fetchone()[0]
            self._bars_from_ms: int = 0 if newest_bar is None else int(newest_bar) + _MINUTE_MS
            self._newest_minute_ms: int | None = None
        except BaseException:
            self._con.close()  # do not keep the lock on a file we refuse to use
            raise
        self._column_types: dict[str, list[tuple[str, str]]] = {}

    def _check_schema_version(self) -> None:
        """Stamp a new store, bring an older one up to date, refuse one from a newer bot."""
        row = self._con.execute("SELECT value FROM store_meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            self._con.execute("INSERT INTO store_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
            return
        stored = int(row[0])
        if stored > SCHEMA_VERSION:
            raise RuntimeError(
                f"{self.db_path} has schema version {stored}, this bot expects {SCHEMA_VERSION}: it was "
                "written by a newer Polybot; run that version or point --data-dir at a fresh directory"
            )
        for version in range(stored + 1, SCHEMA_VERSION + 1):
            self._migrate(version)

    def _migrate(self, version: int) -> None:
        """Move the store to ``version`` in one transaction: each table that version re-creates is
        copied into its new definition in its stored order (a crash leaves the old version whole)."""
        con = self._con
        tables = _RECREATED_IN[version]
        log.info("upgrading %s to schema version %d (re-creating %s)", self.db_path, version, ", ".join(tables))
        con.execute("BEGIN TRANSACTION")
        try:
            for table, (ddl, order) in tables.items():
                con.execute(f"ALTER TABLE {table} RENAME TO {table}_old")
                con.execute(ddl)
                con.execute(f"INSERT INTO {table} SELECT * FROM {table}_old ORDER BY {order}")
                con.execute(f"DROP TABLE {table}_old")
            con.execute("UPDATE store_meta SET value = ? WHERE key = 'schema_version'", [str(version)])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("CHECKPOINT")  # the dropped keys' index blocks go now, not at some later checkpoint

    def _changed(self, sql: str, params: Sequence[Any]) -> bool:
        """Run one autocommitted write; True when it changed a row (inserts report 0 on conflict)."""
        row = self._con.execute(sql, params).fetchone()
        return bool(row and row[0])

    def _insert(self, table: str, row: dict[str, Any], on_conflict: str = "DO NOTHING") -> bool:
        """INSERT one row given as column -> value (names next to values: no positional slips)."""
        marks = ", ".join("?" * len(row))
        conflict = f" ON CONFLICT {on_conflict}" if on_conflict else ""
        sql = f"INSERT INTO {table} ({', '.join(row)}) VALUES ({marks}){conflict}"
        return self._changed(sql, list(row.values()))

    def _insert_many(self, table: str, rows: Sequence[dict[str, Any]], on_conflict: str = "DO NOTHING") -> None:
        """INSERT many rows in one statement. Columns go in as numpy object arrays (DuckDB scans
        them without pandas, which keeps ~40 MB out of the bot) and are cast to the table's types."""
        if not rows:
            return
        types = self._column_types.get(table)
        if types is None:
            types = self._con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?"
                " ORDER BY ordinal_position", [table]).fetchall()
            self._column_types[table] = types
        declared = dict(types)
        columns = list(rows[0])
        batch = {}
        for column in columns:
            values = [row[column] for row in rows]
            if declared[column].startswith("DECIMAL"):
                values = [None if v is None else str(v) for v in values]
            array = np.empty(len(values), dtype=object)
            array[:] = values
            batch[column] = array
        name = f"batch_{table}"
        select = ", ".join(f"CAST({column} AS {declared[column]})" for column in columns)
        conflict = f" ON CONFLICT {on_conflict}" if on_conflict else ""
        self._con.register(name, batch)
        try:
            self._con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {select} FROM {name}{conflict}")
        finally:
            self._con.unregister(name)

    def record_batch(self, *, signals: Sequence[Signal] = (), refusals: Sequence[tuple[Refused, int]] = (),
                     journal: Sequence[tuple[int, str, str, str]] = (), markets: Sequence[Market] = (),
                     equity: Sequence[tuple[int, Decimal, Decimal, Decimal]] = ()) -> None:
        """One cycle's worth of non-money records in one transaction (fills and orders are never
        batched: they are written the moment they happen)."""
        if not (signals or refusals or journal or markets or equity):
            return
        con = self._con
        con.execute("BEGIN TRANSACTION")
        try:
            self._insert_many("signals", self._unstored_signals(signals), on_conflict="")
            self._insert_many("risk_decisions", [_refusal_row(r, ts) for r, ts in refusals], on_conflict="")
            self._insert_many("journal", [{"ts_ms": ts, "kind": kind, "text": text, "ref": ref}
                                          for ts, kind, text, ref in journal], on_conflict="")
            rows = list({m.market_id: _market_row(m) for m in markets}.values())  # last refresh wins
            if rows:
                updates = ", ".join(f"{c} = excluded.{c}" for c in rows[0] if c != "market_id")
                self._insert_many("markets", rows, f"(market_id) DO UPDATE SET {updates}")
            self._insert_many("equity", [{"ts_ms": ts, "cash_usd": _money(cash), "positions_value_usd": _money(value),
                                          "equity_usd": _money(total)} for ts, cash, value, total in equity],
                              on_conflict="")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    # ---- recording -------------------------------------------------------------------------

    def record_market(self, market: Market) -> None:
        """Insert or refresh a market (its rules and activity numbers change over time)."""
        row = _market_row(market)
        updates = ", ".join(f"{column} = excluded.{column}" for column in row if column != "market_id")
        self._insert("markets", row, f"(market_id) DO UPDATE SET {updates}")

    def record_order(self, order: Order, status: OrderStatus, reason: str = "") -> bool:
        """Write-ahead: call BEFORE submitting. False when the id is already known (do not resubmit)."""
        i = order.intent
        return self._insert("orders", {
            "client_order_id": order.client_order_id, "strategy": i.strategy, "market_id": i.market_id,
            "token_id": i.token_id, "side": i.side.value, "shares": _money(i.shares),
            "limit_price": _money(i.limit_price), "order_type": i.order_type.value,
            "purpose": i.purpose.value,
            "reason": i.reason, "intent_ts_ms": i.ts_ms, "intent_key": i.key, "ts_ms": order.ts_ms,
            "status": status.value, "filled_shares": Decimal(0), "status_reason": reason,
            "updated_ts_ms": order.ts_ms,
        })

    def has_order(self, client_order_id: str) -> bool:
        row = self._con.execute("SELECT count(*) FROM orders WHERE client_order_id = ?", [client_order_id])
        return row.fetchone()[0] > 0

    def record_order_update(self, update: OrderUpdate) -> bool:
        """Apply a lifecycle change. A terminal status is final (a late 'partial' cannot reopen a
        filled order) but filled_shares only grows, so a fill reported after a cancel still counts.
        False when the order is unknown."""
        return self._changed(
            "UPDATE orders SET"
            f" status = CASE WHEN status IN {_TERMINAL} THEN status ELSE ? END,"
            f" status_reason = CASE WHEN status IN {_TERMINAL} THEN status_reason ELSE ? END,"
            " filled_shares = greatest(filled_shares, ?), updated_ts_ms = greatest(updated_ts_ms, ?)"
            " WHERE client_order_id = ?",
            [update.status.value, update.reason, _money(update.filled_shares), update.ts_ms,
             update.client_order_id],
        )

    def record_fill(self, fill: Fill) -> bool:
        """Durable on return (WAL committed). False when this fill_id was already recorded."""
        f = fill
        return self._insert("fills", {
            "fill_id": f.fill_id, "client_order_id": f.client_order_id, "strategy": f.strategy,
            "market_id": f.market_id, "token_id": f.token_id, "side": f.side.value, "price": _money(f.price),
            "shares": _money(f.shares), "fee_usd": _money(f.fee_usd),
            "shares_received": _money(f.shares_received),
            "cash_delta": _money(f.cash_delta), "is_maker": f.is_maker, "purpose": f.purpose.value,
            "ts_ms": f.ts_ms,
        })

    def save_position_meta(self, position: Position) -> None:
        """Keep what fills cannot rebuild (stops, target, trailing high, reason) for recovery."""
        p = position
        row = {
            "token_id": p.token_id, "market_id": p.market_id, "strategy": p.strategy,
            "shares": _money(p.shares), "cost_usd": _money(p.cost_usd), "opened_ts_ms": p.opened_ts_ms,
            "entry_price": _money(p.entry_price),
            "stop_price": _money(p.stop_price), "target_price": _money(p.target_price),
            "high_water_bid": _money(p.high_water_bid), "entry_reason": p.entry_reason,
        }
        updates = ", ".join(f"{column} = excluded.{column}" for column in row if column != "token_id")
        self._insert("positions_meta", row, f"(token_id) DO UPDATE SET {updates}")

    def delete_position_meta(self, token_id: str) -> None:
        self._con.execute("DELETE FROM positions_meta WHERE token_id = ?", [token_id])

    def record_trade(self, trade: ClosedTrade) -> bool:
        t = trade
        return self._insert("trades", {
            "trade_id": t.trade_id, "market_id": t.market_id, "token_id": t.token_id, "strategy": t.strategy,
            "shares": _money(t.shares), "entry_price": _money(t.entry_price),
            "exit_price": _money(t.exit_price), "cost_usd": _money(t.cost_usd),
            "proceeds_usd": _money(t.proceeds_usd), "pnl_usd": _money(t.pnl_usd),
            "fees_usd": _money(t.fees_usd), "opened_ts_ms": t.opened_ts_ms, "closed_ts_ms": t.closed_ts_ms,
            "entry_reason": t.entry_reason, "exit_reason": t.exit_reason,
        })

    def record_signal(self, signal: Signal) -> bool:
        rows = self._unstored_signals([signal])
        self._insert_many("signals", rows, on_conflict="")
        return bool(rows)

    def _unstored_signals(self, signals: Sequence[Signal]) -> list[dict[str, Any]]:
        """Rows for the signals not stored yet, first of each signal_id (the table has no key; see
        _SIGNALS). A replayed signal is the same event at the same ts_ms, so only the stored rows
        of the batch's time span are looked at, and the scan skips every older row group."""
        rows: dict[str, dict[str, Any]] = {}
        for signal in signals:
            rows.setdefault(signal.signal_id, _signal_row(signal))
        if not rows:
            return []
        times = [row["ts_ms"] for row in rows.values()]
        stored = set(self._con.execute("SELECT signal_id, ts_ms FROM signals WHERE ts_ms BETWEEN ? AND ?",
                                       [min(times), max(times)]).fetchall())
        return [row for row in rows.values() if (row["signal_id"], row["ts_ms"]) not in stored]

    def record_refusal(self, refused: Refused, ts_ms: int) -> None:
        self._insert("risk_decisions", _refusal_row(refused, ts_ms), on_conflict="")

    def record_journal(self, ts_ms: int, kind: str, text: str, ref: str = "") -> None:
        self._insert("journal", {"ts_ms": ts_ms, "kind": kind, "text": text, "ref": ref}, on_conflict="")

    def record_equity(self, ts_ms: int, cash: Decimal, positions_value: Decimal, equity: Decimal) -> None:
        self._insert("equity", {"ts_ms": ts_ms, "cash_usd": _money(cash),
                                "positions_value_usd": _money(positions_value), "equity_usd": _money(equity)},
                     on_conflict="")

    def record_command(self, command_id: str, kind: str, args: dict[str, Any], ok: bool, text: str,
                       ts_ms: int) -> bool:
        """Mark a command processed (exactly-once key). False when it was already recorded."""
        return self._insert("commands", {
            "command_id": command_id, "kind": str(kind), "ok": ok, "text": text, "ts_ms": ts_ms,
            "args_json": json.dumps(args, sort_keys=True, default=str),
        })

    def processed_command_ids(self) -> set[str]:
        return {row[0] for row in self._con.execute("SELECT command_id FROM commands").fetchall()}

    def record_ticks(self, updates: Sequence[BookUpdate]) -> int:
        """Store the updates whose top of book changed or that carry a trade, in one transaction
        with the 1-minute bars of every minute that is now over. Returns the number of ticks stored.

        A bar is the aggregate of its minute's stored ticks that had both sides (a mid), written
        once, when the first tick of a later minute is stored (and the open minute at close).
        Merging each cycle's mids into the open minute's row instead (an upsert per token per
        cycle) grew DuckDB's heap by ~7 MB per 1,000 cycles at 2,000 tokens, outside its memory
        accounting and never returned, even by a checkpoint: the soak's memory growth (issue 7).
        A restart mid-minute loses nothing: the ticks are stored, and a tick older than the bars
        already written (a restart inside a minute closed at shutdown, older data replayed into
        the same folder) makes the bars from its minute on be recomputed from the ticks.
        """
        last_top = self._last_top
        tok_col: list[str] = []
        ts_col: list[int] = []
        bid_col: list[float | None] = []
        ask_col: list[float | None] = []
        bsz_col: list[float | None] = []
        asz_col: list[float | None] = []
        ltp_col: list[float | None] = []
        lts_col: list[float | None] = []
        for update in updates:
            book = update.book
            bid, bid_size = book.bids[0] if book.bids else (None, None)
            ask, ask_size = book.asks[0] if book.asks else (None, None)
            top = (bid, ask, bid_size, ask_size)
            token = book.token_id
            # A non-None last_trade_price is a trade on this update (replay format), always kept.
            if update.last_trade_price is None and last_top.get(token) == top:
                continue
            last_top[token] = top
            tok_col.append(token)
            ts_col.append(update.ts_ms)
            bid_col.append(bid)
            ask_col.append(ask)
            bsz_col.append(bid_size)
            asz_col.append(ask_size)
            ltp_col.append(update.last_trade_price)
            lts_col.append(update.last_trade_size)
        if not tok_col:
            return 0
        # numpy columns, not pyarrow: DuckDB scans them without importing pandas into the bot.
        f64 = np.float64
        tick_batch = {
            "token_id": np.array(tok_col, dtype=object), "ts_ms": np.array(ts_col, dtype=np.int64),
            "best_bid": np.array(bid_col, dtype=f64), "best_ask": np.array(ask_col, dtype=f64),
            "bid_size": np.array(bsz_col, dtype=f64), "ask_size": np.array(asz_col, dtype=f64),
            "last_trade_price": np.array(ltp_col, dtype=f64), "last_trade_size": np.array(lts_col, dtype=f64),
        }
        con = self._con
        bars_from = self._bars_from_ms
        try:
            con.execute("BEGIN TRANSACTION")
            con.register("tick_batch", tick_batch)
            con.execute("INSERT INTO ticks SELECT * FROM tick_batch")
            oldest, newest = min(ts_col), max(ts_col)
            self._bars_from_ms = min(self._bars_from_ms, oldest - oldest % _MINUTE_MS)
            newest_minute = newest - newest % _MINUTE_MS
            if newest_minute > self._bars_from_ms:
                self._write_bars(newest_minute)
            con.execute("COMMIT")
            if self._newest_minute_ms is None or newest_minute > self._newest_minute_ms:
                self._newest_minute_ms = newest_minute
        except BaseException:
            try:
                con.execute("ROLLBACK")
            except duckdb.Error:
                pass  # the failure happened before BEGIN took effect
            self._last_top.clear()  # what we remembered as stored was not: store the next tops again
            self._bars_from_ms = bars_from  # those bars were rolled back too
            raise
        finally:
            con.unregister("tick_batch")
        return len(tok_col)

    def _write_bars(self, until_ms: int) -> None:
        """Bars of the minutes from ``_bars_from_ms`` up to ``until_ms`` (exclusive), from the ticks.
        Those minutes are replaced whole: they hold bars only when recomputed (see record_ticks),
        and the delete skips older row groups by their min/max, so it costs nothing otherwise."""
        lo, hi = int(self._bars_from_ms), int(until_ms)
        self._con.execute(f"DELETE FROM bars_1m WHERE minute_ts_ms >= {lo} AND minute_ts_ms < {hi}")
        self._con.execute(f"INSERT INTO bars_1m (token_id, minute_ts_ms, open, high, low, close, ticks)"
                          f" {_BARS_FROM_TICKS.format(lo=lo, hi=hi)}")
        self._bars_from_ms = int(until_ms)

    def apply_retention(self, now_ms: int, tick_retention_days: int) -> int:
        """Delete ticks older than the retention window (bars are kept). Returns rows deleted."""
        row = self._con.execute(
            "DELETE FROM ticks WHERE ts_ms < ?", [now_ms - tick_retention_days * _DAY_MS]
        ).fetchone()
        return int(row[0]) if row else 0

    # ---- recovery loaders ------------------------------------------------------------------

    def load_markets(self) -> list[Market]:
        rows = self._con.execute(
            "SELECT market_id, question, token_id_a, outcome_a, token_id_b, outcome_b, tick_size,"
            " min_order_size, fee_rate, neg_risk, neg_risk_group, category, end_ts_ms, volume_24h_usd,"
            " liquidity_usd"
            " FROM markets ORDER BY market_id"
        ).fetchall()
        markets = []
        for (mid, question, ta, oa, tb, ob, tick, min_size, fee, neg, group, category, end, vol, liq) in rows:
            tokens = (Token(ta, mid, oa, tb, True), Token(tb, mid, ob, ta, False))
            markets.append(Market(mid, question, tokens, end, _tick(tick), _dec(min_size), _dec(fee), neg,
                                  group, category, vol, liq))
        return markets

    def load_fills(self) -> list[Fill]:
        """Every fill in the order they were recorded (the order the engine applied them)."""
        rows = self._con.execute(
            "SELECT fill_id, client_order_id, strategy, market_id, token_id, side, price, shares, fee_usd,"
            " shares_received, cash_delta, is_maker, purpose, ts_ms FROM fills ORDER BY seq"
        ).fetchall()
        return [
            Fill(fid, coid, strat, mid, tid, Side(side), _dec(price), _dec(shares), _dec(fee), _dec(recv),
                 _dec(cash), maker, Purpose(purpose), ts)
            for fid, coid, strat, mid, tid, side, price, shares, fee, recv, cash, maker, purpose, ts in rows
        ]

    def load_orders(self) -> list[tuple[Order, OrderStatus, Decimal]]:
        """Every order with its last known status and filled shares, in submission order."""
        rows = self._con.execute(
            "SELECT client_order_id, strategy, market_id, token_id, side, shares, limit_price, order_type,"
            " purpose, reason, intent_ts_ms, intent_key, ts_ms, status, filled_shares"
            " FROM orders ORDER BY seq"
        ).fetchall()
        result = []
        for coid, strat, mid, tid, side, shares, limit, otype, purpose, why, its, key, ts, st, filled in rows:
            intent = OrderIntent(strat, mid, tid, Side(side), _dec(shares), _dec(limit), OrderType(otype),
                                 Purpose(purpose), why, its, key)
            result.append((Order(coid, intent, ts), OrderStatus(st), _dec(filled)))
        return result

    def load_trades(self) -> list[ClosedTrade]:
        rows = self._con.execute(
            "SELECT trade_id, market_id, token_id, strategy, shares, entry_price, exit_price, cost_usd,"
            " proceeds_usd, pnl_usd, fees_usd, opened_ts_ms, closed_ts_ms, entry_reason, exit_reason"
            " FROM trades ORDER BY seq"
        ).fetchall()
        return [
            ClosedTrade(r[0], r[1], r[2], r[3], *(_dec(v) for v in r[4:11]), r[11], r[12], r[13], r[14])
            for r in rows
        ]

    def load_position_meta(self) -> dict[str, Position]:
        """The last saved Position per token. Shares and cost here are as of the save; fills are
        the truth for the balance, this is the truth for stops, target, trailing high and reason."""
        rows = self._con.execute(
            "SELECT market_id, token_id, strategy, shares, cost_usd, opened_ts_ms, entry_price, stop_price,"
            " target_price, high_water_bid, entry_reason FROM positions_meta"
        ).fetchall()
        return {
            r[1]: Position(r[0], r[1], r[2], _dec(r[3]), _dec(r[4]), r[5], *(_dec(v) for v in r[6:10]), r[10])
            for r in rows
        }

    def last_command_state(self) -> CommandKind | None:
        """The last successful pause/resume/stop_entry: what the paused state was before a restart."""
        row = self._con.execute(
            "SELECT kind FROM commands WHERE ok AND kind IN ('pause', 'resume', 'stop_entry')"
            " ORDER BY ts_ms DESC, seq DESC LIMIT 1"
        ).fetchone()
        return CommandKind(row[0]) if row else None

    def strategies_disabled(self) -> dict[str, str]:
        """Strategies their own safety switched off since the last successful Resume (name -> why),
        so a restart does not quietly re-arm them. Journal and commands share one sequence (seq),
        which orders them even when the market clock and the wall clock differ."""
        rows = self._con.execute(
            "SELECT ref, text FROM journal WHERE kind = 'strategy_disabled' AND seq >"
            " coalesce((SELECT max(seq) FROM commands WHERE ok AND kind = 'resume'), -1) ORDER BY seq"
        ).fetchall()
        return {str(ref): str(text) for ref, text in rows}

    def hourly_moves(self, days: int) -> list[tuple[str, int, float, float]]:
        """(token_id, hour index since epoch, first mid, last mid) of each hour in the last ``days``
        days of 1-minute bars that the bot watched through to the next hour (the token has a bar in
        the following hour too), as time_of_day learns them live: its hour-of-day drift history."""
        return [(str(t), int(h), float(o), float(c)) for t, h, o, c in self._con.execute(
            "WITH hours AS (SELECT token_id, minute_ts_ms // 3600000 AS hour, arg_min(open, minute_ts_ms) AS first,"
            " arg_max(close, minute_ts_ms) AS last FROM bars_1m"
            " WHERE minute_ts_ms >= (SELECT max(minute_ts_ms) FROM bars_1m) - ? GROUP BY 1, 2)"
            " SELECT token_id, hour, first, last FROM (SELECT *, lead(hour) OVER (PARTITION BY token_id ORDER BY hour)"
            " AS next_hour FROM hours) WHERE next_hour = hour + 1 ORDER BY token_id, hour",
            [days * _DAY_MS]).fetchall()]

    # ---- read model --------------------------------------------------------------------------

    def _newest(self, con: duckdb.DuckDBPyConnection, table: str) -> str:
        """The newest _NEWEST_ROWS rows by (ts_ms, seq), oldest first.

        Sorting 50k wide rows (a signal carries ~600 bytes of text) needed more than the 128 MB
        memory_limit at 2,000 tokens and killed the bot in the soak (issue 7). So the cut-off row
        is found on the two narrow key columns and given to the export as constants, which lets
        DuckDB skip every row group older than it by its min/max instead of reading the whole
        table (at 112k signals that read was 22 MB of blocks every export). The cut-off only moves
        forward, since these tables are never deleted from: the next one is searched among rows
        at or after the last one. Rows are written in the order they were recorded (seq order;
        a table scans in insertion order) whenever that already is (ts_ms, seq) order, which a
        narrow check confirms; only a store that mixes times (a replay of older data into the
        same folder) pays for the wide sort.
        """
        def cut_off(floor: int | None) -> tuple[Any, ...] | None:
            after = "" if floor is None else f"WHERE ts_ms >= {floor}"
            return con.execute(f"SELECT ts_ms, seq FROM {table} {after} ORDER BY ts_ms DESC, seq DESC"
                               f" LIMIT 1 OFFSET {_NEWEST_ROWS - 1}").fetchone()

        floor = self._newest_floor.get(table)
        row = cut_off(floor)
        if row is None and floor is not None:  # fewer rows than at the last export: look at all of them
            row = cut_off(None)
        if row is None:
            self._newest_floor.pop(table, None)
            cut = f"SELECT * FROM {table}"
        else:
            ts_ms, seq = int(row[0]), int(row[1])
            self._newest_floor[table] = ts_ms
            cut = f"SELECT * FROM {table} WHERE ts_ms >= {ts_ms} AND (ts_ms > {ts_ms} OR seq >= {seq})"
        backwards = con.execute(
            f"SELECT count(*) FROM (SELECT ts_ms < lag(ts_ms) OVER (ORDER BY seq) AS back"
            f" FROM ({cut.replace('*', 'ts_ms, seq', 1)})) WHERE back").fetchone()[0]
        return f"{cut} ORDER BY ts_ms, seq" if backwards else cut

    def _snapshot_queries(self, now_ms: int, con: duckdb.DuckDBPyConnection) -> dict[str, str]:
        bars_from = int(self._bars_from_ms)  # read once: the export may run in a helper thread
        outcome = ("coalesce(CASE WHEN x.token_id = m.token_id_a THEN m.outcome_a"
                   " WHEN x.token_id = m.token_id_b THEN m.outcome_b END, '')")
        return {
            "trades": f"SELECT x.*, coalesce(m.question, '') AS question, {outcome} AS outcome FROM trades x"
                      " LEFT JOIN markets m ON x.market_id = m.market_id ORDER BY x.closed_ts_ms, x.seq",
            "fills": "SELECT * FROM fills ORDER BY seq",
            "orders": "SELECT * FROM orders ORDER BY seq",
            "positions": self._positions_query(outcome),
            "signals": self._newest(con, "signals"),
            "risk_decisions": self._newest(con, "risk_decisions"),
            "equity": "SELECT * FROM equity ORDER BY ts_ms",
            "markets": "SELECT * FROM markets ORDER BY market_id",
            # Written bars, plus the open minute aggregated from its ticks so far. Unsorted (readers
            # sort what they plot): sorting 330k bars of 2,000 tokens added 15 MB to each export's peak.
            "bars_1m": f"SELECT * FROM bars_1m WHERE minute_ts_ms >= {int(now_ms) - _DAY_MS}"
                       f" AND minute_ts_ms < {bars_from} UNION ALL {_BARS_FROM_TICKS.format(lo=bars_from, hi=2**62)}",
            "journal": self._newest(con, "journal"),
            "commands": "SELECT * FROM commands ORDER BY ts_ms, seq",
        }

    @staticmethod
    def _positions_query(outcome: str) -> str:
        """Open positions: the engine's own records (positions_meta, saved on every change and
        deleted on close), kept only where the fills still hold at least one sellable unit.

        Summing fills alone would disagree with the engine: it closes a round trip when less than
        0.01 share is left and writes that unsellable dust off, so every past trade leaves a few
        micro-shares behind. The fills check drops a record left stale by a crash between
        recording a closing fill and deleting its meta (recovery rewrites it).
        """
        return f"""
        WITH held AS (SELECT token_id, sum(shares_received) AS balance FROM fills GROUP BY token_id)
        SELECT x.*, coalesce(m.question, '') AS question, {outcome} AS outcome
        FROM positions_meta x JOIN held ON held.token_id = x.token_id AND held.balance >= {SHARE_STEP}
        LEFT JOIN markets m ON x.market_id = m.market_id ORDER BY x.opened_ts_ms, x.token_id"""

    def export_snapshots(self, snapshot_dir: Path, now_ms: int, bars: bool = True) -> dict[str, int]:
        """Write every READ_MODEL table to ``snapshot_dir/<table>.parquet`` atomically (temp file +
        os.replace). Returns rows written per table.

        ``bars=False`` leaves ``bars_1m.parquet`` as it is: a day of 1-minute bars for 1,000
        markets is ~3 million rows (seconds of work and a 100 MB file), so the loop rewrites it on
        its own, slower cadence (storage.bars_snapshot_every_s)."""
        snapshot_dir = Path(snapshot_dir)
        snapshot_dir.mkdir(parents=True, exist_ok=True)
        if self._export_con is None:
            self._export_con = self._con.cursor()  # own cursor: may run in a helper thread
        con = self._export_con
        written: dict[str, int] = {}
        for table, query in self._snapshot_queries(now_ms, con).items():
            if table == "bars_1m" and not bars:
                continue
            final = snapshot_dir / f"{table}.parquet"
            tmp = snapshot_dir / f".{table}.parquet.tmp"  # dot: never matched by readers' globbing
            quoted = str(tmp).replace("'", "''")
            row = con.execute(
                f"COPY (SELECT {select_list(table)} FROM ({query})) TO '{quoted}' (FORMAT PARQUET, ROW_GROUP_SIZE {_ROW_GROUP})"
            ).fetchone()
            os.replace(tmp, final)
            written[table] = int(row[0]) if row else 0
        return written

    # ---- operations (bot/ops: backups and compaction) ----------------------------------------

    def copy_database_to(self, target: Path) -> None:
        """Copy every table and sequence into a new DuckDB file at ``target`` (compacted). Called
        from the loop between cycles, so the copy holds every committed write and nothing partial."""
        target = Path(target)
        if target.exists():
            raise FileExistsError(f"{target} already exists")
        name = self._con.execute("SELECT current_database()").fetchone()[0]
        quoted = str(target).replace("'", "''")
        self._con.execute(f"ATTACH '{quoted}' AS polybot_backup")
        try:
            self._con.execute(f'COPY FROM DATABASE "{name}" TO polybot_backup')
        finally:
            self._con.execute("DETACH polybot_backup")

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the file; blocks freed by retention become reusable."""
        self._con.execute("CHECKPOINT")

    def memory_mb(self) -> dict[str, float]:
        """DuckDB's own memory accounting (duckdb_memory()), MB per tag that holds any."""
        rows = self._con.execute("SELECT tag, memory_usage_bytes FROM duckdb_memory()"
                                 " WHERE memory_usage_bytes > 0").fetchall()
        return {tag: round(used / 2**20, 1) for tag, used in rows}

    def release_cache(self, keep_mb: float = 8.0) -> float:
        """Hand cached table blocks back to the system; returns the MB DuckDB released.

        DuckDB evicts only under pressure, so its cache of table blocks grows until it reaches
        memory_limit and the bot's RSS climbs with it for as long as the store grows (the soak
        measured +42 % in ten minutes). The blocks are a copy of the file (which the OS caches
        anyway), so lowering the limit for a moment, just above what is not table cache, evicts
        them; the limit is restored at once. Best effort: when DuckDB cannot get that low right
        now it says so, and nothing changes.
        """
        before = self.memory_mb()
        other = sum(used for tag, used in before.items() if tag != "BASE_TABLE")
        if before.get("BASE_TABLE", 0.0) <= keep_mb:
            return 0.0
        target = min(self.memory_limit_mb, math.ceil(other + keep_mb))
        try:
            self._con.execute(f"SET memory_limit = '{target}MB'")
        except duckdb.OutOfMemoryException:
            return 0.0
        finally:
            self._con.execute(f"SET memory_limit = '{self.memory_limit_mb}MB'")
        return round(sum(before.values()) - sum(self.memory_mb().values()), 1)

    # ---- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Checkpoint (fold the WAL into the file, so the next start is fast) and close."""
        if self._con is None:
            return
        try:
            if self._newest_minute_ms is not None and self._newest_minute_ms >= self._bars_from_ms:
                self._write_bars(self._newest_minute_ms + _MINUTE_MS)  # the open minute, as it stands
            self._con.execute("CHECKPOINT")
        finally:
            if self._export_con is not None:
                self._export_con.close()
            self._con.close()
            self._con = None  # type: ignore[assignment]

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["SCHEMA_VERSION", "Store", "StoreLockedError"]


def _market_row(market: Market) -> dict[str, Any]:
    a, b = market.tokens
    return {
        "market_id": market.market_id, "question": market.question, "token_id_a": a.token_id,
        "outcome_a": a.outcome, "token_id_b": b.token_id, "outcome_b": b.outcome,
        "tick_size": _money(market.tick_size), "min_order_size": _money(market.min_order_size),
        "fee_rate": _money(market.fee_rate), "neg_risk": market.neg_risk,
        "neg_risk_group": market.neg_risk_group, "category": market.category,
        "end_ts_ms": market.end_ts_ms,
        "volume_24h_usd": market.volume_24h_usd, "liquidity_usd": market.liquidity_usd,
    }


def _signal_row(s: Signal) -> dict[str, Any]:
    layers = [{"name": layer.name, "value": _finite(layer.value), "threshold": _finite(layer.threshold),
               "passed": layer.passed} for layer in s.layers]
    return {
        "signal_id": s.signal_id, "ts_ms": s.ts_ms, "strategy": s.strategy, "market_id": s.market_id,
        "token_id": s.token_id, "direction": s.direction.value, "price": s.price, "move": s.move,
        "decision": s.decision.value, "reason": s.reason, "layers_json": json.dumps(layers),
    }


def _refusal_row(refused: Refused, ts_ms: int) -> dict[str, Any]:
    i = refused.intent
    return {
        "ts_ms": ts_ms, "strategy": i.strategy, "market_id": i.market_id, "token_id": i.token_id,
        "side": i.side.value, "shares": _money(i.shares), "limit_price": _money(i.limit_price),
        "purpose": i.purpose.value, "intent_key": i.key, "code": refused.code.value, "text": refused.text,
    }
