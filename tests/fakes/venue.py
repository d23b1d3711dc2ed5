"""A fake Polymarket account at the venue port (``VenueClient``): a tiny matching model with
balances, settlement lag and scripted failures, so the live executor is tested without the SDK.

Liquidity to take is set per token (``asks``/``bids``: lists of (price, shares), best first).
Market BUY orders spend ``shares × limit`` dollars like the real SDK's amount-based market
orders; taker fees are charged in shares on buys and in cash on sells at ``fee_rate``. Bought
shares become sellable only after ``settle()``, as on chain. ``fail`` queues exceptions for the
next calls of a method; ``lose_answers`` makes placements succeed at the venue but raise (a lost
answer).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal

from bot.adapters.executors.venue import (
    Placed,
    Rejected,
    VenueError,
    VenueOrder,
    VenueOrderStatus,
    VenueTrade,
    VenueUnavailable,
)
from bot.domain.money import CENT, TOKEN_UNIT, ZERO, floor_to, taker_fee_usd
from bot.domain.orders import OrderType, Side


@dataclass
class FakeVenue:
    cash: Decimal = Decimal(100)
    fee_rate: Decimal = ZERO
    now_ms: int = 0
    asks: dict[str, list[tuple[Decimal, Decimal]]] = field(default_factory=dict)
    bids: dict[str, list[tuple[Decimal, Decimal]]] = field(default_factory=dict)
    settled: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    unsettled: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    orders: dict[str, VenueOrder] = field(default_factory=dict)
    trade_log: list[VenueTrade] = field(default_factory=list)
    fail: dict[str, list[VenueError]] = field(default_factory=lambda: defaultdict(list))
    lose_answers: int = 0
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    # --- test controls ----------------------------------------------------------------------
    def settle(self) -> None:
        for token, shares in self.unsettled.items():
            self.settled[token] += shares
        self.unsettled.clear()

    def fill_resting(self, venue_order_id: str, shares: Decimal) -> None:
        """Someone trades against our resting order (we are the maker: no fee)."""
        o = self.orders[venue_order_id]
        self._execute(o.venue_order_id, o.token_id, o.side, o.price, shares, is_maker=True)
        matched = o.matched_shares + shares
        status = VenueOrderStatus.MATCHED if matched >= o.original_shares else VenueOrderStatus.LIVE
        self.orders[venue_order_id] = replace(o, matched_shares=matched, status=status)

    def add_foreign_order(self, venue_order_id: str, token_id: str) -> None:
        self.orders[venue_order_id] = VenueOrder(venue_order_id, token_id, Side.BUY, Decimal("0.10"), Decimal(10),
                                                 ZERO, VenueOrderStatus.LIVE, self.now_ms)

    # --- the port -----------------------------------------------------------------------------
    def _call(self, name: str) -> None:
        self.calls[name] += 1
        if self.fail[name]:
            raise self.fail[name].pop(0)

    def place_limit(self, token_id: str, side: Side, price: Decimal, shares: Decimal) -> Placed | Rejected:
        self._call("place")
        return self._place(token_id, side, shares, price, OrderType.GTC)

    def place_market(self, token_id: str, side: Side, shares: Decimal, limit_price: Decimal,
                     order_type: OrderType) -> Placed | Rejected:
        self._call("place")
        return self._place(token_id, side, shares, limit_price, order_type)

    def _place(self, token_id: str, side: Side, shares: Decimal, limit: Decimal, kind: OrderType) -> Placed | Rejected:
        if side is Side.SELL and self.settled[token_id] < shares:
            return Rejected("not_enough_balance", "not enough balance / allowance")
        if side is Side.BUY and self.cash < shares * limit:
            return Rejected("not_enough_balance", "not enough balance / allowance")
        levels = self.asks.get(token_id, []) if side is Side.BUY else self.bids.get(token_id, [])
        budget = floor_to(shares * limit, CENT) if side is Side.BUY and kind is not OrderType.GTC else None
        takes: list[tuple[Decimal, Decimal]] = []
        left = shares
        for price, size in levels:
            if (price > limit) if side is Side.BUY else (price < limit):
                break
            if budget is not None:  # amount-based market buy: spend the budget
                take = min(size, floor_to(budget / price, CENT))
                budget -= take * price
            else:
                take = min(size, left)
                left -= take
            if take > 0:
                takes.append((price, take))
        matched = sum((s for _, s in takes), ZERO)
        complete = (budget is not None and budget < CENT) or (budget is None and matched >= shares)
        if kind is OrderType.FOK and not complete:
            return Rejected("fok_not_filled", "order couldn't be fully filled. FOK orders are fully filled or killed.")
        if kind is OrderType.FAK and matched == 0:
            return Rejected("fak_not_filled", "no orders found to match with FAK order.")
        venue_id = f"0xorder{len(self.orders) + 1}"
        for price, take in takes:
            self._consume(token_id, side, price, take)
            self._execute(venue_id, token_id, side, price, take, is_maker=False)
        if kind is OrderType.GTC:
            status = VenueOrderStatus.MATCHED if matched >= shares else VenueOrderStatus.LIVE
        else:
            status = VenueOrderStatus.MATCHED if complete else VenueOrderStatus.CANCELLED
        self.orders[venue_id] = VenueOrder(venue_id, token_id, side, limit, shares, matched, status, self.now_ms)
        avg = (sum((p * s for p, s in takes), ZERO) / matched).quantize(TOKEN_UNIT) if matched else None
        if self.lose_answers:
            self.lose_answers -= 1
            raise VenueUnavailable("timed out reading the answer")
        return Placed(venue_id, status, matched, avg)

    def _consume(self, token_id: str, side: Side, price: Decimal, take: Decimal) -> None:
        book = self.asks[token_id] if side is Side.BUY else self.bids[token_id]
        for i, (p, s) in enumerate(book):
            if p == price:
                book[i] = (p, s - take)
        book[:] = [(p, s) for p, s in book if s > 0]

    def _execute(self, venue_id: str, token_id: str, side: Side, price: Decimal, shares: Decimal, is_maker: bool) -> None:
        fee = ZERO if is_maker else taker_fee_usd(shares, price, self.fee_rate)
        if side is Side.BUY:
            self.cash -= shares * price
            self.unsettled[token_id] += floor_to(shares - fee / price, TOKEN_UNIT) if fee else shares
        else:
            self.cash += shares * price - fee
            self.settled[token_id] -= shares
        self.trade_log.append(VenueTrade(f"trade{len(self.trade_log) + 1}", venue_id, token_id, side, price, shares,
                                         is_maker, self.now_ms))

    def cancel(self, venue_order_id: str) -> str | None:
        self._call("cancel")
        o = self.orders.get(venue_order_id)
        if o is None or o.status is not VenueOrderStatus.LIVE:
            return "order not open"
        self.orders[venue_order_id] = replace(o, status=VenueOrderStatus.CANCELLED)
        return None

    def get_order(self, venue_order_id: str) -> VenueOrder | None:
        self._call("get_order")
        return self.orders.get(venue_order_id)

    def open_orders(self) -> list[VenueOrder]:
        self._call("open_orders")
        return [o for o in self.orders.values() if o.status is VenueOrderStatus.LIVE]

    def trades(self, after_ms: int) -> list[VenueTrade]:
        self._call("trades")
        return [t for t in self.trade_log if t.ts_ms >= after_ms]

    def cash_usd(self) -> Decimal:
        self._call("cash")
        return self.cash

    def token_shares(self, token_ids: list[str]) -> dict[str, Decimal]:
        self._call("token_shares")
        return {t: self.settled[t] + self.unsettled[t] for t in token_ids}
