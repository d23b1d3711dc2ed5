"""The runner: one cycle of feed events through executor, engine and store, with no pacing.

The real-time loop and the offline (as-fast-as-possible) runs both drive this, so they cannot
drift apart. Order of duties per order, for crash safety:

1. the order is written to the store (write-ahead) before the executor sees it, and an id the
   store already knows is never sent again (idempotent client order ids);
2. every fill is committed to the store before the engine (and so state.json, notifications)
   learns of it: an acknowledged fill is a stored fill.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.adapters.executors.base import Executor
from bot.adapters.storage.duckdb_store import Store
from bot.core.engine import Engine
from bot.domain.actions import (
    Action,
    CancelOrder,
    CommandDone,
    Notify,
    RecordEquity,
    RecordJournal,
    RecordMarket,
    RecordPosition,
    RecordRisk,
    RecordSignal,
    RecordTrade,
    SettleFill,
    SubmitOrder,
)
from bot.domain.events import BookBatch, BookUpdate, Command, Event, FillReport, OrderReport, Timer
from bot.domain.money import ZERO
from bot.domain.orders import Fill, OrderStatus, OrderUpdate

log = logging.getLogger("polybot.runner")


@dataclass
class CycleResult:
    ts_ms: int
    events: int
    actions: int


@dataclass
class Runner:
    engine: Engine
    executor: Executor
    store: Store | None = None
    on_notify: Callable[[Notify], None] | None = None
    on_command_done: Callable[[CommandDone], None] | None = None
    on_fill: Callable[[Fill], None] | None = None  # every booked fill, venue or settlement
    record_ticks: bool = True
    notifications: deque[Notify] = field(default_factory=lambda: deque(maxlen=200))
    actions_total: int = 0
    _never_sent: set[str] = field(default_factory=set)
    # Records that carry no money are written once per cycle in one transaction: a crash can lose
    # at most the last cycle of them, never a fill or an order (those are written at once).
    _signals: list = field(default_factory=list)
    _refusals: list = field(default_factory=list)
    _journal: list = field(default_factory=list)
    _markets: list = field(default_factory=list)
    _equity: list = field(default_factory=list)

    def run_cycle(self, ts_ms: int, events: list[Event], commands: list[Command] = ()) -> CycleResult:
        """Feed one cycle's events, then commands, then the end-of-cycle Timer."""
        before = self.actions_total
        books: list[BookUpdate] = []
        for event in events:
            if isinstance(event, BookUpdate):
                books.append(event)
                for report in self.executor.on_book(event):
                    self._dispatch(report)
            elif isinstance(event, BookBatch):
                for report in self._executor_sees(event):
                    self._dispatch(report)
                if self.store is not None and self.record_ticks:
                    books.extend(event.book_updates())
            self._dispatch(event)
        for command in commands:
            self._dispatch(command)
        for report in self.executor.on_time(ts_ms):
            self._dispatch(report)
        self._dispatch(Timer(ts_ms))
        if self.store is not None:
            if books and self.record_ticks:
                self.store.record_ticks(books)
            self.flush()
        return CycleResult(ts_ms, len(events), self.actions_total - before)

    def _executor_sees(self, batch: BookBatch) -> list[Event]:
        """A batch for the executor: column-wise when it can take one, else row by row."""
        on_batch = getattr(self.executor, "on_batch", None)
        if on_batch is not None:
            return on_batch(batch)
        return [report for update in batch.book_updates() for report in self.executor.on_book(update)]

    def _dispatch(self, first: Event) -> None:
        """Process an event and everything it causes (fills feed back as events) in order."""
        queue: deque[Event] | None = None  # built only when an action produces follow-up events
        event: Event | None = first
        while event is not None:
            if isinstance(event, FillReport):
                if self.store is not None:
                    self.store.record_fill(event.fill)
                if self.on_fill is not None:
                    self.on_fill(event.fill)
            elif self.store is not None and isinstance(event, OrderReport) \
                    and event.update.client_order_id not in self._never_sent:
                self.store.record_order_update(event.update)
            for action in self.engine.process(event):
                self.actions_total += 1
                caused = self._act(action)
                if caused:
                    if queue is None:
                        queue = deque()
                    queue.extend(caused)
            event = queue.popleft() if queue else None

    def _act(self, action: Action) -> list[Event]:
        store = self.store
        if isinstance(action, SubmitOrder):
            return self._submit(action)
        if isinstance(action, CancelOrder):
            # The executor answers with the order's final report (cancelled, or refused when it
            # already filled); that report reaches the store and the engine like any other.
            return self.executor.cancel(action.client_order_id, self.engine.now_ms)
        if isinstance(action, SettleFill):
            return [FillReport(action.fill.ts_ms, action.fill)]
        if isinstance(action, Notify):
            self.notifications.append(action)
            if self.on_notify is not None:
                self.on_notify(action)
            return []
        if isinstance(action, CommandDone):
            if store is not None:
                store.record_command(action.command_id, action.kind, dict(action.args), action.ok, action.text,
                                     action.ts_ms)
            if self.on_command_done is not None:
                self.on_command_done(action)
            return []
        if store is None:
            return []
        if isinstance(action, RecordSignal):
            self._signals.append(action.signal)
        elif isinstance(action, RecordRisk):
            self._refusals.append((action.decision, action.decision.intent.ts_ms))
        elif isinstance(action, RecordTrade):
            store.record_trade(action.trade)
        elif isinstance(action, RecordJournal):
            self._journal.append((action.ts_ms, action.kind, action.text, action.ref))
        elif isinstance(action, RecordPosition):
            if action.position is None:
                store.delete_position_meta(action.token_id)
            else:
                store.save_position_meta(action.position)
        elif isinstance(action, RecordMarket):
            self._markets.append(action.market)
        elif isinstance(action, RecordEquity):
            self._equity.append((action.ts_ms, action.cash_usd, action.positions_value_usd, action.equity_usd))
        return []

    def flush(self) -> None:
        """Write the cycle's buffered records (one transaction)."""
        if self.store is None:
            return
        self.store.record_batch(signals=self._signals, refusals=self._refusals, journal=self._journal,
                                markets=self._markets, equity=self._equity)
        for buffer in (self._signals, self._refusals, self._journal, self._markets, self._equity):
            buffer.clear()

    def _submit(self, action: SubmitOrder) -> list[Event]:
        order = action.order
        market = self.engine.markets[order.intent.market_id]
        if self.store is not None:
            if self._markets:
                self.flush()  # a stored fill must never name a market the store has not got
            if self.store.has_order(order.client_order_id):
                # Same decision seen before a restart: never send it twice.
                log.warning("order %s already in the store; not sending it again", order.client_order_id)
                self._never_sent.add(order.client_order_id)
                return [OrderReport(order.ts_ms, OrderUpdate(order.client_order_id, OrderStatus.REJECTED, ZERO,
                                                             "duplicate client order id: already sent once",
                                                             order.ts_ms))]
            self.store.record_order(order, OrderStatus.PENDING)
        return self.executor.submit(order, market, order.ts_ms)
