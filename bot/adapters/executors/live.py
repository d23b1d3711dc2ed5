"""Live executor: real Polymarket orders behind the same executor port as the paper executor.

It talks to the venue only through ``VenueClient`` (the official SDK sits behind it) and turns
the venue's answers into the same ``FillReport``/``OrderReport`` events paper trading produces:

- GTC orders go out as limit orders; FOK/FAK as market orders capped at the intent's limit.
- Lifecycle comes from the placement answer, then from polling working orders every
  ``live.poll_orders_every_s``: pending -> resting/partial -> filled/cancelled, or rejected.
  Each fill is the increase of the venue's matched size; a taker buy pays its fee in shares,
  so the fill carries the shares actually received (reconciliation then adopts the venue's exact
  token balance).
- Client order ids are idempotency keys: the runner writes each order ahead and never resends an
  id the store knows; the pairing client id -> venue id is kept durably (``VenueIdMap``); at
  startup every unfinished stored order is looked up at the venue by that pairing, or, if the
  crash came before the pairing was written, matched against the venue's open orders and trades.
  A network failure while placing is ambiguous, so such an order is looked up, never resent.
- "not enough balance / allowance" (typically a sell right after a buy, before the shares
  settle) is retried with doubling backoff. HTTP 425 (matching engine restarting) pauses all
  order flow and retries held orders when it ends, for at most ``live.restart_retry_max_s``.
- Reconciliation at startup and every ``live.reconcile_every_s`` compares open orders, token
  balances and cash with the venue, says what differs in plain English, and adopts the venue's
  balances through ``Purpose.ADJUST`` fills (fills stay the single source of truth).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from bot.adapters.executors.paper import order_problem  # the venue's own static order rules, shared
from bot.adapters.executors.venue import (
    Placed,
    Rejected,
    VenueClient,
    VenueError,
    VenueOrder,
    VenueOrderStatus,
    VenueRateLimited,
    VenueRestarting,
    VenueUnavailable,
)
from bot.adapters.executors.venue_ids import VenueIdMap
from bot.config.schema import Live
from bot.domain.events import BookUpdate, Event, FillReport, OrderReport
from bot.domain.market import Market
from bot.domain.money import TOKEN_UNIT, ZERO, cents, floor_to, taker_fee_usd, usd
from bot.domain.orders import Fill, Order, OrderStatus, OrderType, OrderUpdate, Purpose, Side

log = logging.getLogger("polybot.live")

# Balances lag fills while trades settle on chain; comparing them too soon would "correct" a
# fill the venue simply has not settled yet.
SETTLE_GRACE_MS = 30_000
# How long an order whose placement answer was lost may stay unseen before we conclude it never
# reached the venue (the venue's trade listing can lag the match by a few seconds).
UNCONFIRMED_GRACE_MS = 10_000
# A 425 without Retry-After: Polymarket's restarts take about 90 s; look again every few seconds.
RESTART_RETRY_S = 5.0
RATE_LIMIT_RETRY_S = 1.0


@dataclass(frozen=True, slots=True)
class Holdings:
    """The bot's own books, for reconciliation: cash and shares per token (with its market)."""

    cash: Decimal
    shares: dict[str, tuple[str, Decimal]] = field(default_factory=dict)


@dataclass(slots=True)
class _Working:
    """An order the executor still owns."""

    order: Order
    market: Market | None
    state: str = "queued"  # queued: not accepted yet | working: on the venue | unconfirmed: fate unknown
    venue_id: str | None = None
    filled: Decimal = ZERO  # gross shares already booked as fills
    due_ms: int = 0
    first_try_ms: int = 0
    balance_retries: int = 0
    rate_retries: int = 0
    status: OrderStatus = OrderStatus.PENDING
    reported_filled: Decimal = ZERO


class LiveExecutor:
    def __init__(self, venue: VenueClient, settings: Live, ids: VenueIdMap | None = None,
                 holdings: Callable[[], Holdings] | None = None) -> None:
        self.venue = venue
        self.settings = settings
        self.ids = ids if ids is not None else VenueIdMap()
        self.holdings = holdings
        self._working: dict[str, _Working] = {}
        self._seen: set[str] = set()
        self._queued_events: list[Event] = []
        self._paused_until_ms = 0
        self._next_reconcile_ms = 0  # 0: reconcile on the first call (startup)
        self._last_fill_ms: int | None = None
        self.counters: dict[str, int] = {
            "submitted": 0, "accepted": 0, "rejected": 0, "fills": 0, "restarting_425": 0,
            "rate_limited_429": 0, "balance_retries": 0, "venue_errors": 0, "reconciliations": 0,
            "adjustments": 0,
        }
        self.last_differences: list[str] = []  # the latest reconciliation, in plain English

    # --- the Executor port -------------------------------------------------------------

    def on_book(self, update: BookUpdate) -> list[Event]:
        # Live fills come from the venue, not from our reading of the book.
        return self._drain()

    def on_time(self, now_ms: int) -> list[Event]:
        events = self._drain()
        for work in sorted(self._working.values(), key=lambda w: w.due_ms):
            if work.due_ms > now_ms or self._working.get(work.order.client_order_id) is not work:
                continue
            if work.state == "queued":
                if now_ms >= self._paused_until_ms:
                    events += self._send(work, now_ms)
            elif work.state == "working":
                events += self._poll(work, now_ms)
            else:
                events += self._find(work, now_ms)
        if now_ms >= self._next_reconcile_ms:
            self._next_reconcile_ms = now_ms + self.settings.reconcile_every_s * 1000
            events += self.reconcile(now_ms)
        return events

    def submit(self, order: Order, market: Market, now_ms: int) -> list[Event]:
        cid = order.client_order_id
        if cid in self._seen:
            return [_report(now_ms, cid, OrderStatus.REJECTED, ZERO, f"duplicate client order id {cid}")]
        self._seen.add(cid)
        problem = order_problem(order, market)
        if problem:
            self.counters["rejected"] += 1
            return [_report(now_ms, cid, OrderStatus.REJECTED, ZERO, problem)]
        work = _Working(order, market, due_ms=now_ms, first_try_ms=now_ms)
        if now_ms < self._paused_until_ms:
            return self._hold(work, self._paused_until_ms, now_ms,
                              "held: Polymarket is restarting its matching engine (HTTP 425)")
        return self._send(work, now_ms)

    def cancel(self, client_order_id: str, now_ms: int) -> list[Event]:
        work = self._working.get(client_order_id)
        if work is None:
            why = "cancel refused: no open order with this id (unknown, filled or already cancelled)"
            return [_report(now_ms, client_order_id, OrderStatus.REJECTED, ZERO, why)]
        if work.state == "queued":
            del self._working[client_order_id]
            return [_report(now_ms, client_order_id, OrderStatus.CANCELLED, work.filled,
                            "cancelled before it was sent to Polymarket")]
        if work.state == "unconfirmed" or work.venue_id is None:
            why = "cancel not possible yet: still finding out whether Polymarket received this order"
            return [_report(now_ms, client_order_id, work.status, work.filled, why)]
        try:
            refused = self.venue.cancel(work.venue_id)
            final = self.venue.get_order(work.venue_id)
        except VenueError as exc:
            self.counters["venue_errors"] += 1
            why = f"cancel failed ({exc}); the order may still be working, the bot keeps checking it"
            return [_report(now_ms, client_order_id, work.status, work.filled, why)]
        events = self._catch_up(work, final, now_ms) if final is not None else []
        if final is not None and final.status is VenueOrderStatus.MATCHED:
            return events + self._finish(work, OrderStatus.FILLED, now_ms, "filled before the cancel arrived")
        if refused is None or (final is not None and final.status is VenueOrderStatus.CANCELLED):
            why = f"cancelled on request after {work.filled:.2f} of {work.order.intent.shares:.2f} shares filled"
            return events + self._finish(work, OrderStatus.CANCELLED, now_ms, why)
        why = f"cancel refused by Polymarket: {refused}"
        return events + [_report(now_ms, client_order_id, work.status, work.filled, why)]

    # --- recovery and inspection ----------------------------------------------------------

    def recover(self, stored: list[tuple[Order, OrderStatus, Decimal]], markets: dict[str, Market]) -> None:
        """Startup: take back every unfinished order the store knows. Each is looked up at the
        venue on the first ``on_time`` (by its venue id, or by matching when the id was lost);
        none is ever sent again."""
        for order, status, filled in stored:
            self._seen.add(order.client_order_id)
            if status.is_terminal:
                continue
            venue_id = self.ids.get(order.client_order_id)
            work = _Working(order, markets.get(order.intent.market_id), venue_id=venue_id, filled=filled,
                            state="working" if venue_id else "unconfirmed", due_ms=0,
                            first_try_ms=order.ts_ms, status=status)
            self._working[order.client_order_id] = work
        if self._working:
            log.info("live: %d unfinished orders from before the restart will be checked with Polymarket",
                     len(self._working))

    def open_orders(self) -> list[Order]:
        return [w.order for w in self._working.values()]

    @property
    def paused_until_ms(self) -> int:
        return self._paused_until_ms

    # --- sending ----------------------------------------------------------------------------

    def _send(self, work: _Working, now_ms: int) -> list[Event]:
        intent, cid = work.order.intent, work.order.client_order_id
        restart_limit_ms = work.first_try_ms + int(self.settings.restart_retry_max_s * 1000)
        self.counters["submitted"] += 1
        try:
            if intent.order_type is OrderType.GTC:
                result = self.venue.place_limit(intent.token_id, intent.side, intent.limit_price, intent.shares)
            else:
                result = self.venue.place_market(intent.token_id, intent.side, intent.shares, intent.limit_price,
                                                 intent.order_type)
        except VenueRestarting as exc:
            self.counters["restarting_425"] += 1
            wait_s = exc.retry_after_s or RESTART_RETRY_S
            self._paused_until_ms = max(self._paused_until_ms, now_ms + int(wait_s * 1000))
            if self._paused_until_ms > restart_limit_ms:
                return self._drop(work, now_ms, f"Polymarket's matching engine was restarting (HTTP 425) for longer "
                                                f"than {self.settings.restart_retry_max_s:g} s; order dropped")
            return self._hold(work, self._paused_until_ms, now_ms,
                              "held: Polymarket is restarting its matching engine (HTTP 425); all order flow "
                              f"pauses and this order is retried in {wait_s:g} s")
        except VenueRateLimited as exc:
            self.counters["rate_limited_429"] += 1
            wait_s = exc.retry_after_s or RATE_LIMIT_RETRY_S * 2 ** work.rate_retries
            work.rate_retries += 1
            if now_ms + wait_s * 1000 > restart_limit_ms:
                return self._drop(work, now_ms, "Polymarket kept refusing for too many requests (HTTP 429); order dropped")
            return self._hold(work, now_ms + int(wait_s * 1000), now_ms,
                              f"held: Polymarket asked us to slow down (HTTP 429); retry in {wait_s:g} s")
        except VenueUnavailable as exc:
            self.counters["venue_errors"] += 1
            work.state = "unconfirmed"
            work.due_ms = now_ms + self._poll_ms()
            self._working[cid] = work
            why = (f"sent, but no answer came back ({exc}); the bot checks with Polymarket whether it "
                   "arrived and never sends it twice")
            return [_report(now_ms, cid, OrderStatus.PENDING, ZERO, why)]
        if isinstance(result, Rejected):
            return self._rejected(work, result, now_ms)
        return self._placed(work, result, now_ms)

    def _rejected(self, work: _Working, result: Rejected, now_ms: int) -> list[Event]:
        cid = work.order.client_order_id
        attempts = self.settings.balance_retry_attempts
        if result.code == "not_enough_balance" and work.balance_retries < attempts:
            delay_s = self.settings.balance_retry_backoff_s * 2 ** work.balance_retries
            work.balance_retries += 1
            self.counters["balance_retries"] += 1
            why = (f"Polymarket says not enough balance or allowance (shares from a recent buy may still be "
                   f"settling); retry {work.balance_retries} of {attempts} in {delay_s:g} s")
            return self._hold(work, now_ms + int(delay_s * 1000), now_ms, why)
        self._working.pop(cid, None)
        self.counters["rejected"] += 1
        intent = work.order.intent
        if result.code in ("fok_not_filled", "fak_not_filled"):
            why = (f"{intent.order_type.value}: Polymarket found no {'' if result.code == 'fak_not_filled' else 'full '}"
                   f"match at or better than {cents(intent.limit_price)}; nothing filled")
            return [_report(now_ms, cid, OrderStatus.CANCELLED, work.filled, why)]
        retried = f" after {work.balance_retries} retries" if work.balance_retries else ""
        why = f"rejected by Polymarket{retried}: {result.message} ({result.code})"
        return [_report(now_ms, cid, OrderStatus.REJECTED, work.filled, why)]

    def _placed(self, work: _Working, placed: Placed, now_ms: int) -> list[Event]:
        cid = work.order.client_order_id
        self.counters["accepted"] += 1
        self.ids.put(cid, placed.venue_order_id)  # durable before anything else is reported
        work.venue_id = placed.venue_order_id
        work.state = "working"
        work.due_ms = now_ms + self._poll_ms()
        self._working[cid] = work
        events: list[Event] = []
        if placed.matched_shares > 0 and placed.avg_price is not None:
            events += self._book(work, placed.matched_shares, placed.avg_price, False, now_ms)
        return events + self._apply_status(work, placed.status, now_ms)

    def _apply_status(self, work: _Working, status: VenueOrderStatus, now_ms: int) -> list[Event]:
        intent = work.order.intent
        if status is VenueOrderStatus.MATCHED:
            return self._finish(work, OrderStatus.FILLED, now_ms,
                                f"{work.filled:.2f} shares filled on Polymarket")
        if status is VenueOrderStatus.CANCELLED:
            what = "the rest was cancelled" if work.filled else "nothing filled"
            kind = f"{intent.order_type.value}: " if intent.order_type is not OrderType.GTC else ""
            return self._finish(work, OrderStatus.CANCELLED, now_ms,
                                f"{kind}{work.filled:.2f} of {intent.shares:.2f} shares filled on Polymarket; {what}")
        if status is VenueOrderStatus.DELAYED:
            return self._set(work, OrderStatus.PENDING, now_ms, "accepted by Polymarket; matching is delayed")
        if work.filled:
            return self._set(work, OrderStatus.PARTIAL, now_ms,
                             f"{work.filled:.2f} of {intent.shares:.2f} shares filled; the rest rests at "
                             f"{cents(intent.limit_price)}")
        return self._set(work, OrderStatus.RESTING, now_ms, f"resting on Polymarket at {cents(intent.limit_price)}")

    # --- polling ----------------------------------------------------------------------------

    def _poll(self, work: _Working, now_ms: int) -> list[Event]:
        work.due_ms = now_ms + self._poll_ms()
        try:
            state = self.venue.get_order(work.venue_id or "")
        except VenueError as exc:
            self.counters["venue_errors"] += 1
            log.warning("live: could not check order %s (%s); will try again", work.order.client_order_id, exc)
            return []
        if state is None:
            return self._finish(work, OrderStatus.CANCELLED, now_ms,
                                f"Polymarket no longer knows this order; {work.filled:.2f} shares had filled")
        return self._catch_up(work, state, now_ms) + self._apply_status(work, state.status, now_ms)

    def _catch_up(self, work: _Working, state: VenueOrder, now_ms: int) -> list[Event]:
        """Book the part of the venue's matched size we have not booked yet. Matches after
        placement are of a resting order: maker, at its own price, no fee."""
        fresh = state.matched_shares - work.filled
        if fresh <= 0:
            return []
        return self._book(work, fresh, state.price, True, now_ms)

    def _find(self, work: _Working, now_ms: int) -> list[Event]:
        """An order whose placement answer never arrived (network failure, crash before the id
        was written): look for it among the venue's open orders and recent trades."""
        work.due_ms = now_ms + self._poll_ms()
        intent = work.order.intent
        since_ms = work.first_try_ms - 5_000
        known = self.ids.known_venue_ids()
        try:
            candidates = [o for o in self.venue.open_orders()
                          if o.venue_order_id not in known and o.token_id == intent.token_id
                          and o.side is intent.side and o.price == intent.limit_price
                          and o.original_shares == intent.shares and o.created_ms >= since_ms]
            trades = [t for t in self.venue.trades(since_ms)
                      if t.venue_order_id not in known and t.token_id == intent.token_id and t.side is intent.side]
        except VenueError as exc:
            self.counters["venue_errors"] += 1
            log.warning("live: could not look up order %s (%s); will try again", work.order.client_order_id, exc)
            return []
        cid = work.order.client_order_id
        if candidates:
            found = min(candidates, key=lambda o: o.created_ms)
            self.ids.put(cid, found.venue_order_id)
            work.venue_id, work.state = found.venue_order_id, "working"
            log.info("live: order %s found on Polymarket as %s", cid, found.venue_order_id)
            return self._catch_up(work, found, now_ms) + self._apply_status(work, found.status, now_ms)
        if trades:
            venue_id = min(trades, key=lambda t: t.ts_ms).venue_order_id
            mine = [t for t in trades if t.venue_order_id == venue_id]
            self.ids.put(cid, venue_id)
            work.venue_id, work.state = venue_id, "working"
            shares = sum((t.shares for t in mine), ZERO)
            fresh = shares - work.filled
            events: list[Event] = []
            if fresh > 0:
                vwap = (sum((t.price * t.shares for t in mine), ZERO) / shares).quantize(TOKEN_UNIT)
                events += self._book(work, fresh, vwap, all(t.is_maker for t in mine), now_ms)
            log.info("live: order %s found in Polymarket's trades as %s", cid, venue_id)
            return events + self._poll(work, now_ms)
        if now_ms - work.first_try_ms < UNCONFIRMED_GRACE_MS:
            return []
        return self._finish(work, OrderStatus.CANCELLED, now_ms,
                            "never reached Polymarket (no open order or trade matches it); not sent again")

    # --- fills and reports ----------------------------------------------------------------

    def _book(self, work: _Working, shares: Decimal, price: Decimal, is_maker: bool, now_ms: int) -> list[Event]:
        intent, cid = work.order.intent, work.order.client_order_id
        work.filled += shares
        fee_rate = work.market.fee_rate if work.market is not None else ZERO
        fee = ZERO if is_maker else taker_fee_usd(shares, price, fee_rate)
        notional = shares * price
        if intent.side is Side.BUY:
            # The taker fee is paid in shares at the fill price: fewer shares arrive than traded.
            received = floor_to(shares - fee / price, TOKEN_UNIT) if fee else shares
            cash = -notional
        else:
            received, cash = -shares, notional - fee
        # The id names the cumulative size, so the same match seen again after a restart is the same fill.
        fill = Fill(f"{cid}@{work.filled}", cid, intent.strategy, intent.market_id, intent.token_id, intent.side,
                    price, shares, fee, received, cash, is_maker, intent.purpose, now_ms)
        self.counters["fills"] += 1
        self._last_fill_ms = now_ms
        return [FillReport(now_ms, fill)]

    def _set(self, work: _Working, status: OrderStatus, now_ms: int, why: str) -> list[Event]:
        if status is work.status and work.filled == work.reported_filled:
            return []  # nothing new to say
        work.status, work.reported_filled = status, work.filled
        return [_report(now_ms, work.order.client_order_id, status, work.filled, why)]

    def _finish(self, work: _Working, status: OrderStatus, now_ms: int, why: str) -> list[Event]:
        self._working.pop(work.order.client_order_id, None)
        work.status = status
        return [_report(now_ms, work.order.client_order_id, status, work.filled, why)]

    def _hold(self, work: _Working, due_ms: int, now_ms: int, why: str) -> list[Event]:
        work.state, work.due_ms = "queued", due_ms
        self._working[work.order.client_order_id] = work
        work.status = OrderStatus.PENDING
        return [_report(now_ms, work.order.client_order_id, OrderStatus.PENDING, work.filled, why)]

    def _drop(self, work: _Working, now_ms: int, why: str) -> list[Event]:
        self.counters["rejected"] += 1
        return self._finish(work, OrderStatus.CANCELLED, now_ms, why)

    def _drain(self) -> list[Event]:
        if not self._queued_events:
            return []
        events, self._queued_events = self._queued_events, []
        return events

    def _poll_ms(self) -> int:
        return int(self.settings.poll_orders_every_s * 1000)

    # --- reconciliation ---------------------------------------------------------------------

    def reconcile(self, now_ms: int) -> list[Event]:
        """Compare open orders, token balances and cash with the venue; adopt the venue's balances."""
        self.counters["reconciliations"] += 1
        notes: list[str] = []
        events: list[Event] = []
        try:
            venue_orders = self.venue.open_orders()
            known = self.ids.known_venue_ids()
            for o in venue_orders:
                if o.venue_order_id not in known:
                    notes.append(f"Polymarket shows an open order the bot did not place ({o.side.value} "
                                 f"{o.original_shares} at {cents(o.price)} on token {_short(o.token_id)}); left alone.")
            if self.holdings is not None:
                settling = self._last_fill_ms is not None and now_ms - self._last_fill_ms < SETTLE_GRACE_MS
                if self._working or settling:
                    notes.append("Balances not compared this time: orders are still working or fills are settling.")
                else:
                    events += self._adopt_balances(self.holdings(), now_ms, notes)
        except VenueError as exc:
            self.counters["venue_errors"] += 1
            notes.append(f"Could not reconcile with Polymarket ({exc}); will try again in "
                         f"{self.settings.reconcile_every_s} s.")
        for note in notes:
            log.warning("live reconciliation: %s", note)
        self.last_differences = notes
        return events

    def _adopt_balances(self, books: Holdings, now_ms: int, notes: list[str]) -> list[Event]:
        events: list[Event] = []
        venue_shares = self.venue.token_shares(sorted(books.shares)) if books.shares else {}
        for token_id, (market_id, ours) in sorted(books.shares.items()):
            theirs = venue_shares.get(token_id, ZERO)
            if theirs == ours:
                continue
            notes.append(f"Token {_short(token_id)}: the bot's books hold {ours} shares, Polymarket holds {theirs}; "
                         "adopted Polymarket's number.")
            events.append(self._adjust(now_ms, market_id, token_id, theirs - ours, ZERO))
        cash = self.venue.cash_usd()
        drift = cash - books.cash
        if abs(drift) > self.settings.max_cash_drift_usd:
            notes.append(f"Cash: the bot's books say {usd(books.cash)}, Polymarket says {usd(cash)}; adopted "
                         f"Polymarket's ({'+' if drift > 0 else ''}{usd(drift)}).")
            events.append(self._adjust(now_ms, "", "", ZERO, drift))
        return events

    def _adjust(self, now_ms: int, market_id: str, token_id: str, shares: Decimal, cash: Decimal) -> FillReport:
        self.counters["adjustments"] += 1
        side = Side.BUY if shares > 0 or cash < 0 else Side.SELL
        fill = Fill(f"adjust-{now_ms}-{token_id or 'cash'}", "", "reconcile", market_id, token_id, side, ZERO, ZERO,
                    ZERO, shares, cash, False, Purpose.ADJUST, now_ms)
        return FillReport(now_ms, fill)


def _short(token_id: str) -> str:
    return token_id if len(token_id) <= 12 else f"{token_id[:6]}…{token_id[-4:]}"


def _report(ts_ms: int, cid: str, status: OrderStatus, filled: Decimal, reason: str) -> OrderReport:
    return OrderReport(ts_ms, OrderUpdate(cid, status, filled, reason, ts_ms))
