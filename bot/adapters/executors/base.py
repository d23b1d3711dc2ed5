"""The executor port. Paper and live executors both implement it; the engine never knows which."""

from __future__ import annotations

from typing import Protocol

from bot.domain.events import BookUpdate, Event
from bot.domain.market import Market
from bot.domain.orders import Order


class Executor(Protocol):
    def on_book(self, update: BookUpdate) -> list[Event]:
        """See a book (and trade) update; returns fills of resting or delayed orders it causes."""

    def submit(self, order: Order, market: Market, now_ms: int) -> list[Event]:
        """Send an order; returns the FillReport/OrderReport events known right away."""

    def cancel(self, client_order_id: str, now_ms: int) -> list[Event]:
        """Cancel a resting order; returns its OrderReport."""

    def on_time(self, now_ms: int) -> list[Event]:
        """Let time pass (latency queues); returns fills that became due."""
