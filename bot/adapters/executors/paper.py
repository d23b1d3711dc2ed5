"""Paper executor: honest simulated fills against the real L2 book, with no randomness.

Marketable orders walk the latest book level by level (best first) up to the limit price and
pay the taker fee per level; one ``Fill`` carries the whole execution at its VWAP. A buy's fee is
paid in shares, so the position receives fewer shares than changed hands; a sell's fee comes out
of the cash. GTC remainders rest and fill later only when the market trades THROUGH their price
(a trade or the opposite best strictly beyond it): then the whole remainder fills at the limit
as maker, fee 0. That is a deliberately simple queue model: touching the price is not enough,
because we cannot know our place in the queue at that level.

What we take from a book snapshot is removed from our copy of it, so two orders in one cycle
cannot both eat the same liquidity; the next snapshot from the feed replaces the copy.

With ``latency_ms > 0`` an order waits in a queue and executes against the book as it stands at
the first ``on_book``/``on_time`` call at or after ``submit + latency_ms``: late fills see the
later, usually worse, book.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_EVEN, Decimal

from bot.domain.book import Book, Level
from bot.domain.events import BookUpdate, Event, FillReport, OrderReport
from bot.domain.market import Market
from bot.domain.money import (
    MIN_MARKETABLE_USD,
    ONE,
    SHARE_STEP,
    TOKEN_UNIT,
    ZERO,
    cents,
    dec,
    floor_to,
    price_from_float,
    taker_fee_usd,
    usd,
)
from bot.domain.orders import Fill, Order, OrderStatus, OrderType, OrderUpdate, Side
from bot.domain.quotes import BookBatch

# (index of the book level, its price, the shares we take there)
_Take = tuple[int, Decimal, Decimal]


@dataclass(slots=True)
class _Working:
    """An order the executor still owns (waiting out latency, or resting)."""

    order: Order
    market: Market
    due_ms: int
    filled_shares: Decimal = ZERO
    fill_count: int = 0


class PaperExecutor:
    def __init__(self, latency_ms: int = 0) -> None:
        if latency_ms < 0:
            raise ValueError(f"latency_ms must be >= 0, got {latency_ms}")
        self.latency_ms = latency_ms
        self._books: dict[str, Book] = {}
        self._batch_of: dict[str, BookBatch] = {}  # newer than _books: the book is built when needed
        self._pending: list[_Working] = []  # submission order, so same-due orders run FIFO
        self._resting: dict[str, _Working] = {}
        self._seen_ids: set[str] = set()  # client order ids are idempotency keys: never run one twice

    # --- the Executor port -------------------------------------------------------------

    def on_book(self, update: BookUpdate) -> list[Event]:
        self._books[update.book.token_id] = update.book
        self._batch_of.pop(update.book.token_id, None)
        if not self._resting and not self._pending:
            return []  # the common case on every tick: nothing is working
        # Orders already resting see this update's trades first; orders that only now come
        # out of the latency queue arrive after it and must not fill on trades they never saw.
        events = self._trade_through(update)
        events += self._run_due(update.ts_ms)
        return events

    def on_batch(self, batch: BookBatch) -> list[Event]:
        """A cycle of updates in columns. With nothing working, only remember where each token's
        latest book is; otherwise replay the rows one by one so trade-throughs keep their order."""
        if not self._resting and not self._pending:
            self._batch_of.update(dict.fromkeys(batch.last_rows(), batch))
            return []
        events: list[Event] = []
        for row in range(len(batch)):
            events += self.on_book(batch.update(row))
        return events

    def _book(self, token_id: str) -> Book | None:
        batch = self._batch_of.pop(token_id, None)
        if batch is not None:
            self._books[token_id] = batch.book(batch.last_rows()[token_id])
        return self._books.get(token_id)

    def on_time(self, now_ms: int) -> list[Event]:
        return self._run_due(now_ms)

    def submit(self, order: Order, market: Market, now_ms: int) -> list[Event]:
        cid = order.client_order_id
        if cid in self._seen_ids:
            return [_report(now_ms, cid, OrderStatus.REJECTED, ZERO, f"duplicate client order id {cid}")]
        self._seen_ids.add(cid)
        problem = order_problem(order, market)
        if problem:
            return [_report(now_ms, cid, OrderStatus.REJECTED, ZERO, problem)]
        work = _Working(order, market, due_ms=now_ms + self.latency_ms)
        if self.latency_ms > 0:
            self._pending.append(work)
            why = f"sent; reaches the book after {self.latency_ms} ms of simulated latency"
            return [_report(now_ms, cid, OrderStatus.PENDING, ZERO, why)]
        return self._execute(work, now_ms)

    def cancel(self, client_order_id: str, now_ms: int) -> list[Event]:
        work = self._resting.pop(client_order_id, None)
        if work is None:
            work = next((w for w in self._pending if w.order.client_order_id == client_order_id), None)
            if work is not None:
                self._pending.remove(work)
        if work is None:
            why = "cancel refused: no open order with this id (unknown, filled or already cancelled)"
            return [_report(now_ms, client_order_id, OrderStatus.REJECTED, ZERO, why)]
        filled = work.filled_shares
        why = f"cancelled on request after {filled:.2f} of {work.order.intent.shares:.2f} shares filled"
        return [_report(now_ms, client_order_id, OrderStatus.CANCELLED, filled, why)]

    # --- inspection and reset -----------------------------------------------------------

    def open_orders(self) -> list[Order]:
        """Orders still live: waiting out latency, then resting, each in submission order."""
        return [w.order for w in self._pending] + [w.order for w in self._resting.values()]

    def clear(self) -> None:
        """Forget books, orders and seen ids (a fresh session, e.g. between backtests)."""
        self._books.clear()
        self._batch_of.clear()
        self._pending.clear()
        self._resting.clear()
        self._seen_ids.clear()

    # --- execution ----------------------------------------------------------------------

    def _run_due(self, now_ms: int) -> list[Event]:
        if not self._pending:
            return []
        due = [w for w in self._pending if w.due_ms <= now_ms]
        self._pending = [w for w in self._pending if w.due_ms > now_ms]
        events: list[Event] = []
        for work in due:
            events += self._execute(work, now_ms)
        return events

    def _execute(self, work: _Working, now_ms: int) -> list[Event]:
        intent, market, cid = work.order.intent, work.market, work.order.client_order_id
        book = self._book(intent.token_id)
        if book is None:
            why = f"no order book seen yet for token {intent.token_id}"
            return [_report(now_ms, cid, OrderStatus.REJECTED, ZERO, why)]
        levels = book.asks if intent.side is Side.BUY else book.bids
        takes = _walk(levels, intent.side, intent.shares, intent.limit_price, market.tick_size)
        taken = sum((shares for _, _, shares in takes), ZERO)
        remaining = intent.shares - taken
        of_total = f"{taken:.2f} of {intent.shares:.2f} shares"
        at_limit = f"at or better than {cents(intent.limit_price)}"

        refusal: tuple[OrderStatus, str] | None = None
        if intent.order_type is OrderType.FOK and remaining > 0:
            refusal = OrderStatus.CANCELLED, f"FOK: only {of_total} available {at_limit}"
        elif intent.order_type is OrderType.GTC and taken > 0 and intent.notional_usd < MIN_MARKETABLE_USD:
            # FOK/FAK were checked at submit; a GTC order is only marketable if it crosses now.
            refusal = OrderStatus.REJECTED, f"marketable order of {usd(intent.notional_usd)} is under $1"
        elif intent.order_type is OrderType.GTC and 0 < remaining < market.min_order_size:
            refusal = OrderStatus.REJECTED, (
                f"the {remaining:.2f} shares left to rest are under the minimum order size "
                f"of {market.min_order_size} shares"
            )
        if refusal:
            return [_report(now_ms, cid, refusal[0], ZERO, refusal[1])]

        events: list[Event] = []
        if takes:
            fill = self._taker_fill(work, takes, now_ms)
            events.append(FillReport(now_ms, fill))
            self._books[intent.token_id] = _deplete(book, intent.side, takes)
            filled_text = f"{of_total} filled as taker at {cents(fill.price)} avg (fee {usd(fill.fee_usd)})"
        else:
            filled_text = "nothing filled as taker"
        if remaining == 0:
            status, why = OrderStatus.FILLED, filled_text
        elif intent.order_type is OrderType.FAK:
            status = OrderStatus.CANCELLED
            why = f"FAK: {filled_text}; nothing more {at_limit}, the rest is cancelled"
        else:
            self._resting[cid] = work
            status = OrderStatus.PARTIAL if taken else OrderStatus.RESTING
            why = f"{filled_text}; {remaining:.2f} shares rest at {cents(intent.limit_price)}"
        events.append(_report(now_ms, cid, status, taken, why))
        return events

    def _trade_through(self, update: BookUpdate) -> list[Event]:
        events: list[Event] = []
        for cid, work in list(self._resting.items()):
            intent = work.order.intent
            if intent.token_id != update.book.token_id:
                continue
            if not _traded_through(intent.side, intent.limit_price, update):
                continue
            del self._resting[cid]
            shares = intent.shares - work.filled_shares
            notional = shares * intent.limit_price
            buy = intent.side is Side.BUY
            received, cash = (shares, -notional) if buy else (-shares, notional)
            fill = self._fill(work, intent.limit_price, shares, ZERO, received, cash, True, update.ts_ms)
            events.append(FillReport(update.ts_ms, fill))
            why = f"resting order filled as maker at {cents(intent.limit_price)}: the market traded through"
            events.append(_report(update.ts_ms, cid, OrderStatus.FILLED, work.filled_shares, why))
        return events

    def _taker_fill(self, work: _Working, takes: list[_Take], ts_ms: int) -> Fill:
        shares = sum((s for _, _, s in takes), ZERO)
        notional = sum((p * s for _, p, s in takes), ZERO)
        # Polymarket charges the fee per match, i.e. per level, each floored to 5 decimals.
        fee = sum((taker_fee_usd(s, p, work.market.fee_rate) for _, p, s in takes), ZERO)
        vwap = (notional / shares).quantize(TOKEN_UNIT, rounding=ROUND_HALF_EVEN)
        if work.order.intent.side is Side.BUY:
            # The fee is taken in shares at the fill price; flooring keeps the position at or
            # below the real token balance, so a later sell never exceeds it.
            received = floor_to(shares - fee * shares / notional, TOKEN_UNIT)
            return self._fill(work, vwap, shares, fee, received, -notional, False, ts_ms)
        return self._fill(work, vwap, shares, fee, -shares, notional - fee, False, ts_ms)

    def _fill(self, work: _Working, price: Decimal, shares: Decimal, fee: Decimal, received: Decimal,
              cash: Decimal, is_maker: bool, ts_ms: int) -> Fill:
        work.fill_count += 1
        work.filled_shares += shares
        intent, cid = work.order.intent, work.order.client_order_id
        return Fill(f"{cid}-{work.fill_count}", cid, intent.strategy, intent.market_id, intent.token_id,
                    intent.side, price, shares, fee, received, cash, is_maker, intent.purpose, ts_ms)


def order_problem(order: Order, market: Market) -> str | None:
    """Why the venue would refuse this order outright, or None."""
    intent = order.intent
    try:
        market.token(intent.token_id)
    except KeyError:
        return f"token {intent.token_id} does not belong to market {market.market_id}"
    if intent.shares <= 0 or intent.shares % SHARE_STEP != 0:
        return f"size {intent.shares} shares must be positive with at most two decimals"
    if not ZERO < intent.limit_price < ONE or intent.limit_price % market.tick_size != 0:
        return f"limit price {intent.limit_price} must be above 0, below 1, on the {market.tick_size} grid"
    if intent.order_type is not OrderType.GTC and intent.notional_usd < MIN_MARKETABLE_USD:
        return (
            f"marketable order of {intent.shares:.2f} shares at {cents(intent.limit_price)} is "
            f"{usd(intent.notional_usd)}, under the $1 minimum"
        )
    return None


def _walk(
    levels: tuple[Level, ...], side: Side, shares: Decimal, limit: Decimal, tick: Decimal
) -> list[_Take]:
    """Take liquidity best level first while the price is at or better than the limit."""
    takes: list[_Take] = []
    remaining = shares
    for index, (price_f, size_f) in enumerate(levels):
        if remaining <= 0:
            break
        price = price_from_float(price_f, tick)
        if (price > limit) if side is Side.BUY else (price < limit):
            break
        size = floor_to(dec(size_f), SHARE_STEP)  # dust below one order step cannot be matched
        if size <= 0 or not ZERO < price < ONE:
            continue
        take = min(size, remaining)
        takes.append((index, price, take))
        remaining -= take
    return takes


def _deplete(book: Book, side: Side, takes: list[_Take]) -> Book:
    levels = list(book.asks if side is Side.BUY else book.bids)
    for index, _, shares in takes:
        price, size = levels[index]
        levels[index] = (price, size - float(shares))
    kept = tuple((p, s) for p, s in levels if s > 1e-9)
    return replace(book, asks=kept) if side is Side.BUY else replace(book, bids=kept)


def _traded_through(side: Side, limit: Decimal, update: BookUpdate) -> bool:
    """Strictly beyond the limit: at-the-price prints may have filled orders queued ahead of us."""
    if side is Side.BUY:
        seen = (update.last_trade_price, update.book.best_ask)
        return any(p is not None and dec(p) < limit for p in seen)
    seen = (update.last_trade_price, update.book.best_bid)
    return any(p is not None and dec(p) > limit for p in seen)


def _report(ts_ms: int, cid: str, status: OrderStatus, filled: Decimal, reason: str) -> OrderReport:
    return OrderReport(ts_ms, OrderUpdate(cid, status, filled, reason, ts_ms))
