"""The engine: ``process(event) -> list[Action]``, the one brain behind live, paper, replay and backtest.

Pure and single-threaded: time comes only on events, nothing here touches a file, socket or
clock. The pipeline per book update is tracker -> detectors -> strategy -> risk -> order, and
for held tokens the exit rules; fills (from whichever executor) drive the portfolio.

Book updates arrive one by one (``BookUpdate``, live and simulated feeds) or a cycle at a time in
columns (``BookBatch``, replays and backtests). Either way the tracker takes the book at once and
the prices for the detectors wait in a buffer that is run through the ``DetectorBank`` (a numpy
round per call) before any other event is handled: decisions are only made on the end-of-cycle
Timer, so nothing can observe the difference, and one code path serves every source.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np

from bot.config.schema import Settings
from bot.core import explain, risk
from bot.core.detectors.bank import DetectorBank, rounds
from bot.core.detectors.spike import Alarm, DetectorParams
from bot.core.exits import exit_due, trail
from bot.core.portfolio import Portfolio
from bot.core.strategies import spike_hunter
from bot.core.strategies.base import Proposal, Strategy, View
from bot.core.strategies.registry import build_strategies
from bot.core.strategies.safety import StrategySafety
from bot.core.tracker import TokenState
from bot.domain.actions import (
    Action,
    CancelOrder,
    CommandDone,
    Notify,
    NotifyKind,
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
from bot.domain.book import Book
from bot.domain.events import (
    BookBatch,
    BookUpdate,
    Command,
    CommandKind,
    Event,
    FillReport,
    MarketDelisted,
    MarketListed,
    OrderReport,
    Resolution,
    Timer,
)
from bot.domain.market import Market
from bot.domain.money import ONE, SHARE_STEP, ZERO, cents, dec, floor_to, price_from_float, round_price_up, usd
from bot.domain.orders import Fill, Order, OrderIntent, OrderStatus, OrderType, Purpose, Side
from bot.domain.positions import ClosedTrade, Position
from bot.domain.risk import Refused
from bot.domain.signals import Decision, Signal

RECENT = 20
MANUAL = "manual"  # the strategy name of orders the user placed by command


@dataclass(frozen=True, slots=True)
class _EntryPlan:
    stop_distance: Decimal
    target_distance: Decimal


def client_order_id(key: str) -> str:
    """Deterministic id: the same decision always maps to the same order, so a restart or a
    repeated command can never place it twice."""
    return "pb-" + hashlib.sha256(key.encode()).hexdigest()[:20]


def stale_reason(market: Market, tokens: dict[str, TokenState], now_ms: int, stale_after_s: float) -> str | None:
    """Why the market's prices are too old to open a trade on, or None. Both tokens count: the
    detectors watch one, the order may buy the other. A live feed that loses its source stops
    refreshing books, so they age past the limit and nothing is bought on them."""
    for token in market.tokens:
        state = tokens.get(token.token_id)
        if state is None or state.book is None:
            continue  # no book at all: the strategy itself refuses to trade against nothing
        age_ms = now_ms - state.ts_ms
        if age_ms > stale_after_s * 1000:
            return f"the {token.outcome} price is {age_ms / 1000:.0f} s old, over the {stale_after_s:g} s freshness limit."
    return None


def detector_params(settings: Settings) -> DetectorParams:
    d = settings.detection
    return DetectorParams(d.ewma_span, d.ewma_multiplier, d.cusum_slack, d.cusum_threshold, d.roc_periods,
                          d.warmup_points)


class Engine:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._params = detector_params(settings)
        self.markets: dict[str, Market] = {}
        self.market_of: dict[str, Market] = {}
        self.tokens: dict[str, TokenState] = {}
        self.detectors = DetectorBank(self._params, settings.detection.window_points)
        self.series = self.detectors.series
        # Prices waiting for the detectors: chunks of (slots, prices, ts) plus single updates.
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._pending_one: tuple[list[int], list[float], list[int]] = ([], [], [])
        self._listing_version = 0  # bumps when tokens come or go: batch code maps are rebuilt
        self._code_map: _CodeMap | None = None
        self.inactive: set[str] = set()  # delisted or resolved markets: no new entries
        self.portfolio = Portfolio(settings.money.starting_capital_usd)
        self.orders: dict[str, tuple[Order, OrderStatus]] = {}
        self.inflight: dict[str, str] = {}  # token_id -> client order id
        self._plans: dict[str, _EntryPlan] = {}
        self.paused = False
        self.entries_stopped = False
        self.kill_switch = False
        self.breaker_until_ms: int | None = None
        self.now_ms = 0
        self.counters: dict[str, int] = {"events": 0, "book_updates": 0, "signals": 0, "orders": 0, "fills": 0}
        self.dropped: dict[str, int] = {}
        self.recent_signals: deque[Signal] = deque(maxlen=RECENT)
        self.recent_trades: deque[ClosedTrade] = deque(maxlen=RECENT)
        self.markers: dict[str, deque[tuple[int, float, str, str]]] = {}
        self.commands_done: deque[CommandDone] = deque(maxlen=RECENT)
        self._last_equity_ms = -1
        self._warned_day = -1
        self._exit_blocked: set[str] = set()
        # Alarms wait for the end of the cycle: a market's YES and NO books arrive as separate
        # updates, and a decision must see both (buying NO on a stale NO book would be dishonest).
        self._alarms: dict[str, Alarm] = {}
        self.strategies: dict[str, Strategy] = build_strategies(set(type(settings.strategies).model_fields))
        self.safety = StrategySafety()
        self._changed: set[str] = set()  # tokens whose book changed this cycle
        self._legs: dict[str, tuple[str, ...]] = {}  # client order id -> every leg of its all-or-nothing group
        self._leg_status: dict[str, OrderStatus] = {}
        self._leg_intent: dict[str, OrderIntent] = {}

    # -- the one entry point -------------------------------------------------------------------
    def process(self, event: Event) -> list[Action]:
        self.counters["events"] += 1
        if event.ts_ms > self.now_ms:
            self.now_ms = event.ts_ms
        if isinstance(event, BookUpdate):
            return self._on_book(event)
        if isinstance(event, BookBatch):
            return self._on_batch(event)
        if self._pending or self._pending_one[0]:
            self._run_detectors()  # everything else sees detectors that are up to date
        if isinstance(event, FillReport):
            return self._on_fill(event.fill)
        if isinstance(event, OrderReport):
            return self._on_order_report(event)
        if isinstance(event, Timer):
            return self._on_timer(event.ts_ms)
        if isinstance(event, MarketListed):
            return self._on_listed(event.market)
        if isinstance(event, MarketDelisted):
            self.inactive.add(event.market_id)
            return [RecordJournal(event.ts_ms, "delisted", f"Stopped watching {event.market_id}: {event.reason}.",
                                  event.market_id)]
        if isinstance(event, Resolution):
            return self._on_resolution(event)
        if isinstance(event, Command):
            return self._on_command(event)
        raise TypeError(f"unknown event {type(event).__name__}")

    def apply_settings(self, settings: Settings) -> None:
        """Hot reload: thresholds and limits change now; statistics carry on."""
        self.settings = settings
        self._params = detector_params(settings)
        self._run_detectors()
        self.detectors.retune(self._params)

    # -- market data ---------------------------------------------------------------------------
    def _on_listed(self, market: Market) -> list[Action]:
        self.markets[market.market_id] = market
        self.inactive.discard(market.market_id)
        for token in market.tokens:
            self.market_of[token.token_id] = market
            if token.token_id not in self.tokens:
                self.tokens[token.token_id] = TokenState(token.token_id)
        primary = market.primary.token_id
        if primary not in self.detectors:
            self.detectors.add(primary)
        self._listing_version += 1
        return [RecordMarket(market)]

    def _drop(self, reason: str) -> list[Action]:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1
        return []

    def _on_book(self, update: BookUpdate) -> list[Action]:
        book = update.book
        state = self.tokens.get(book.token_id)
        if state is None:
            return self._drop("unknown_token")
        if update.ts_ms < state.ts_ms:
            return self._drop("stale")
        bid, ask = book.best_bid, book.best_ask
        if (bid is not None and not 0.0 <= bid <= 1.0) or (ask is not None and not 0.0 <= ask <= 1.0) \
                or (bid is not None and ask is not None and bid >= ask):
            return self._drop("bad_book")  # adapters validate fully; this guards the top of book
        self.counters["book_updates"] += 1
        self._code_map = None  # its per-token times are now behind this book
        self._changed.add(book.token_id)
        state.book = book
        state.ts_ms = update.ts_ms
        state.updates += 1
        if update.last_trade_price is not None:
            state.last_trade_price = update.last_trade_price
        slot = self.detectors.slot_of(book.token_id)
        if slot >= 0 and bid is not None and ask is not None:
            slots, prices, times = self._pending_one
            slots.append(slot)
            prices.append((bid + ask) / 2.0)
            times.append(update.ts_ms)
        return []

    def _on_batch(self, batch: BookBatch) -> list[Action]:
        """A cycle of book updates in columns: the checks of ``_on_book`` row by row, done column-wise.
        Rows are in time order; a row older than its token's book before the batch is stale."""
        n = len(batch)
        if n == 0:
            return []
        self.counters["events"] += n - 1  # counted like the n BookUpdates it stands for
        codes_of = self._codes_of(batch)
        states, slot_of_code = codes_of.states, codes_of.slots
        codes, ts = batch.codes, batch.row_ts
        known, stale = codes_of.known[codes], ts < codes_of.ts_ms[codes]
        bid, ask = batch.bid, batch.ask
        has_bid, has_ask = bid == bid, ask == ask
        with np.errstate(invalid="ignore"):
            bad = (has_bid & ~((bid >= 0.0) & (bid <= 1.0))) | (has_ask & ~((ask >= 0.0) & (ask <= 1.0))) \
                | (has_bid & has_ask & (bid >= ask))
        ok = known & ~stale & ~bad
        for reason, count in (("unknown_token", n - int(known.sum())), ("stale", int((known & stale).sum())),
                              ("bad_book", int((known & ~stale & bad).sum()))):
            if count:
                self.dropped[reason] = self.dropped.get(reason, 0) + count
        rows = np.flatnonzero(ok)
        if rows.size == 0:
            return []
        self.counters["book_updates"] += int(rows.size)
        # Per token: its latest good row becomes its book; count its updates; keep its last trade.
        ok_codes = codes[rows]
        tokens, first_from_end, per_token = np.unique(ok_codes[::-1], return_index=True, return_counts=True)
        latest = rows[rows.size - 1 - first_from_end]
        trade_price: dict[int, float] = {}
        traded = rows[batch.last_trade_price[rows] == batch.last_trade_price[rows]]
        if traded.size:
            t_codes, t_first = np.unique(codes[traded][::-1], return_index=True)
            t_rows = traded[traded.size - 1 - t_first]
            trade_price = dict(zip(t_codes.tolist(), batch.last_trade_price[t_rows].tolist(), strict=True))
        latest_ts = ts[latest]
        codes_of.ts_ms[tokens] = latest_ts
        for code, row, count, row_ts in zip(tokens.tolist(), latest.tolist(), per_token.tolist(),
                                            latest_ts.tolist(), strict=True):
            state = states[code]
            state.refer(batch, row)
            state.ts_ms = row_ts
            state.updates += count
        for code, price in trade_price.items():
            states[code].last_trade_price = price
        self._changed.update(batch.last_rows())
        # Prices for the detectors: good rows of primary tokens with both sides.
        slots = slot_of_code[ok_codes]
        priced = (slots >= 0) & has_bid[rows] & has_ask[rows]
        if priced.any():
            mid_rows = rows[priced]
            self._flush_one()
            self._pending.append((slots[priced], (bid[mid_rows] + ask[mid_rows]) / 2.0, ts[mid_rows]))
        return []

    def _codes_of(self, batch: BookBatch) -> _CodeMap:
        """The batch's token dictionary mapped to tracker states and detector slots, cached while
        the watch list is unchanged and only batches arrive (a replay's dictionary is the same
        object every cycle)."""
        cached = self._code_map
        if cached is not None and cached.names is batch.names and cached.version == self._listing_version:
            return cached
        self._code_map = _CodeMap.build(batch.names, self._listing_version, self.tokens, self.detectors)
        return self._code_map

    def _flush_one(self) -> None:
        slots, prices, times = self._pending_one
        if slots:
            self._pending.append((np.array(slots, dtype=np.int64), np.array(prices), np.array(times, dtype=np.int64)))
            self._pending_one = ([], [], [])

    def _run_detectors(self) -> None:
        """Feed the buffered prices to the detectors in arrival order (one round per repeat of a
        token); an alarm is kept for the cycle's decisions, the latest one per token."""
        self._flush_one()
        if not self._pending:
            return
        chunks, self._pending = self._pending, []
        if len(chunks) == 1:
            slots, prices, times = chunks[0]
        else:
            slots, prices, times = (np.concatenate(part) for part in zip(*chunks, strict=True))
        rank = rounds(slots)
        top = int(rank.max())
        bank = self.detectors
        for r in range(top + 1):
            if top:
                pick = rank == r
                s, x, t = slots[pick], prices[pick], times[pick]
            else:
                s, x, t = slots, prices, times
            alarm = bank.update(s, x, t)
            for i in np.flatnonzero(alarm).tolist():
                slot = int(s[i])
                self._alarms[bank.token_at(slot)] = bank.alarm_snapshot(slot, int(t[i]))

    # -- strategies ----------------------------------------------------------------------------
    def _view(self, now_ms: int, alarms: dict[str, Alarm]) -> View:
        window_s = self.settings.detection.window_points * self.settings.runtime.cycle_s
        books = _Books(self.tokens)
        return View(now_ms, self.settings, self.markets, self.inactive, self.market_of, books,
                    frozenset(self._changed), alarms, self.detectors, {}, {}, self.series, window_s)

    def _run_strategies(self, now_ms: int) -> list[Action]:
        """Every registered strategy decides on the cycle's complete books, in registry order."""
        alarms, self._alarms = self._alarms, {}
        base: View | None = None
        actions: list[Action] = []
        for name, strategy in self.strategies.items():
            params = getattr(self.settings.strategies, name)
            positions = {t: p for t, p in self.portfolio.positions.items() if p.strategy == name}
            working = {cid: o for cid, (o, _) in self.orders.items() if o.intent.strategy == name}
            if not (params.enabled or positions or working or getattr(strategy, "always_evaluate", False)):
                continue
            if base is None:
                base = self._view(now_ms, alarms)
            off = self._off_reason(name)
            if off is not None and working:
                actions.extend(CancelOrder(cid, off) for cid, o in working.items()
                               if o.intent.side is Side.BUY and o.intent.purpose is Purpose.ENTRY)
            view = replace(base, positions=positions, working=working) if positions or working else base
            for proposal in strategy.decide(view):
                actions.extend(self._act_on(strategy, proposal, now_ms))
        self._changed.clear()
        return actions

    def _off_reason(self, name: str) -> str | None:
        """Why a strategy may not open trades now, or None."""
        if not getattr(self.settings.strategies, name).enabled:
            return f"{name} is switched off."
        return self.safety.disabled.get(name)

    def _act_on(self, strategy: Strategy, p: Proposal, ts_ms: int) -> list[Action]:
        """Turn one proposal into a recorded, explained signal and (risk permitting) orders."""
        name, market = strategy.name, p.market
        actions: list[Action] = [CancelOrder(cid, f"{name} moves its quote") for cid in p.cancels if cid in self.orders]
        for token_id in p.closes:
            position = self.portfolio.positions.get(token_id)
            if position is not None and position.strategy == name and token_id not in self.inflight:
                book = self.tokens[token_id].book
                bid = price_from_float(book.best_bid, market.tick_size) if book and book.best_bid is not None else None
                actions.extend(self._exit(position, market, bid, p.sentence, market.token(token_id).outcome, ts_ms))
        opens = not p.intents or any(i.purpose is not Purpose.EXIT for i in p.intents)
        if not p.record:
            if self._off_reason(name) is None and market.market_id not in self.inactive:
                for intent in p.intents:
                    self._submit(intent, actions)
            return actions
        if not p.intents and p.closes:
            return actions  # an exit: its order and journal line tell the story
        self.counters["signals"] += 1
        off = self._off_reason(name) if opens else None
        if off is not None:
            decision, reason = Decision.REFUSED, explain.skip_sentence(p.sentence, off)
        elif opens and market.market_id in self.inactive:
            decision, reason = Decision.REFUSED, explain.skip_sentence(p.sentence, "the market is no longer open.")
        elif opens and (stale := stale_reason(market, self.tokens, ts_ms, self.settings.feed.stale_after_s)):
            decision, reason = Decision.REFUSED, explain.skip_sentence(p.sentence, stale)
        elif not p.agreed:
            failed = ", ".join(layer.name for layer in p.layers if not layer.passed)
            decision, reason = Decision.LAYERS_DISAGREE, explain.skip_sentence(p.sentence, f"{failed} did not agree.")
        elif not p.intents:
            decision, reason = Decision.REFUSED, explain.skip_sentence(p.sentence, p.problem + ".")
        else:
            plan = _EntryPlan(p.stop_distance, p.target_distance) \
                if p.stop_distance is not None and p.target_distance is not None else None
            submitted = self._submit_group(p.intents, actions, plan)
            if isinstance(submitted, Refused):
                decision = Decision.HELD if submitted.code.value == "already_held" else Decision.REFUSED
                reason = explain.skip_sentence(p.sentence, submitted.text)
            else:
                decision, reason = Decision.TRADED, self._traded_sentence(p)
        signal_id = f"{p.token_id}-{ts_ms}" if name == spike_hunter.NAME else f"{name}-{p.token_id}-{ts_ms}"
        signal = Signal(
            signal_id=signal_id, strategy=name, market_id=market.market_id, token_id=p.token_id, ts_ms=ts_ms,
            direction=p.direction, price=p.price, move=p.move, layers=p.layers, decision=decision, reason=reason,
        )
        self.recent_signals.appendleft(signal)
        actions.insert(0, RecordSignal(signal))
        if self.settings.notifications.on_spike:
            actions.append(Notify(NotifyKind.SPIKE, reason, ts_ms))
        return actions

    def _traded_sentence(self, p: Proposal) -> str:
        legs = [(self.market_of[i.token_id].token(i.token_id).outcome, i) for i in p.intents]
        if len(legs) == 1:
            outcome, intent = legs[0]
            verb, bound = ("Buying", "up to") if intent.side is Side.BUY else ("Selling", "down to")
            return f"{verb} {outcome} ({bound} {intent.limit_price}) because {p.sentence}."
        names = " and ".join(f"{intent.shares} {outcome} (up to {intent.limit_price})" for outcome, intent in legs)
        return f"Buying {names}, all or nothing, because {p.sentence}."

    def _submit_group(self, intents: tuple[OrderIntent, ...], actions: list[Action],
                      plan: _EntryPlan | None) -> Refused | Order:
        """One order, or an all-or-nothing group: every leg passes risk before any is sent."""
        if len(intents) == 1:
            return self._submit(intents[0], actions, plan=plan)
        staged: list[OrderIntent] = []
        for intent in intents:
            refused = self._approve(intent, actions, staged)
            if refused is not None:
                return refused
            staged.append(intent)
        orders = [self._send(intent, actions, plan) for intent in intents]
        ids = tuple(order.client_order_id for order in orders)
        for cid, intent in zip(ids, intents, strict=True):
            self._legs[cid] = ids
            self._leg_intent[cid] = intent
        return orders[0]

    def _plan(self, price: Decimal, volatility: float, tick: Decimal) -> _EntryPlan:
        e = self.settings.exits
        stop, target = spike_hunter.stop_and_target(price, volatility, tick, e.stop_loss_pct, e.take_profit_pct,
                                                    e.atr_stop, e.atr_profit)
        return _EntryPlan(stop, target)

    def risk_picture(self, intent: OrderIntent) -> risk.RiskPicture:
        p = self.portfolio
        bids = self.bids_of_positions()
        positions_value, unrealised = p.marks(bids)
        inflight_buys = sum(
            (order.intent.notional_usd for order, _ in self.orders.values()
             if order.intent.side is Side.BUY and order.client_order_id in self.inflight.values()),
            ZERO,
        )
        inflight_market = sum(
            (order.intent.notional_usd for order, _ in self.orders.values()
             if order.intent.market_id == intent.market_id and order.intent.side is Side.BUY
             and order.client_order_id in self.inflight.values()),
            ZERO,
        )
        held = p.positions.get(intent.token_id)
        strategy_limit = getattr(self.settings.strategies, intent.strategy, None)
        strategy = self.strategies.get(intent.strategy)
        if strategy is not None and strategy.stacks_in_market:
            return replace(self._picture(intent, held, strategy_limit, positions_value, unrealised, inflight_buys,
                                         inflight_market),
                           last_entry_ms=None, holding_market=self._others_in_market(intent))
        return self._picture(intent, held, strategy_limit, positions_value, unrealised, inflight_buys, inflight_market)

    def _others_in_market(self, intent: OrderIntent) -> bool:
        """A stacking strategy may hold both sides of a market, but never share one with another strategy."""
        return any(pos.market_id == intent.market_id and pos.strategy != intent.strategy
                   for pos in self.portfolio.positions.values()) \
            or any(o.intent.market_id == intent.market_id and o.intent.strategy != intent.strategy
                   for o, _ in self.orders.values() if o.intent.side is Side.BUY)

    def _picture(self, intent: OrderIntent, held: Position | None, strategy_limit: object, positions_value: Decimal,
                 unrealised: Decimal, inflight_buys: Decimal, inflight_market: Decimal) -> risk.RiskPicture:
        p = self.portfolio
        market = self.markets.get(intent.market_id)
        return risk.RiskPicture(
            paused=self.paused, entries_stopped=self.entries_stopped, kill_switch=self.kill_switch,
            breaker_until_ms=self.breaker_until_ms, consecutive_losses=p.consecutive_losses,
            realised_today=p.today.realised if p.today.day == self.now_ms // 86_400_000 else ZERO,
            unrealised=unrealised, open_trades=len(p.positions) + self._inflight_entries(),
            cash=p.cash - inflight_buys, equity=p.cash + positions_value, peak_equity=p.peak_equity,
            market_exposure=p.exposure_by_market().get(intent.market_id, ZERO) + inflight_market,
            strategy_exposure=p.exposure_by_strategy().get(intent.strategy, ZERO),
            strategy_limit=strategy_limit.max_capital_usd if strategy_limit is not None
            else self.settings.money.starting_capital_usd,
            last_entry_ms=p.last_entry_ms.get(intent.market_id),
            holding_market=any(pos.market_id == intent.market_id for pos in p.positions.values())
            or any(o.intent.market_id == intent.market_id for o, _ in self.orders.values()
                   if o.client_order_id in self.inflight.values() and o.intent.side is Side.BUY),
            held_shares=held.shares if held else ZERO,
            min_order_size=market.min_order_size if market else Decimal(5),
            market_end_ms=market.end_ts_ms if market else None,
        )

    def _inflight_entries(self) -> int:
        return sum(1 for cid in self.inflight.values()
                   if self.orders[cid][0].intent.side is Side.BUY and cid in self.orders)

    def _submit(self, intent: OrderIntent, actions: list[Action], plan: _EntryPlan | None = None) -> Refused | Order:
        """Risk-check an intent; on approval emit the order. Refusals are recorded and explained."""
        refused = self._approve(intent, actions)
        return refused if refused is not None else self._send(intent, actions, plan)

    def _approve(self, intent: OrderIntent, actions: list[Action], staged: list[OrderIntent] | None = None
                 ) -> Refused | None:
        """Risk's verdict; ``staged`` are earlier legs of the same group, counted as if already sent."""
        if intent.token_id in self.inflight:
            refused = Refused(intent, risk.RefusalCode.ALREADY_HELD, "An order for this token is still working.")
            actions.append(RecordRisk(refused))
            return refused
        picture = self.risk_picture(intent)
        if staged:
            extra = sum((leg.notional_usd for leg in staged), ZERO)
            picture = replace(picture, cash=picture.cash - extra, market_exposure=picture.market_exposure + extra,
                              strategy_exposure=picture.strategy_exposure + extra)
        decision = risk.check(intent, picture, self.settings.risk, intent.ts_ms)
        if isinstance(decision, Refused):
            actions.append(RecordRisk(decision))
            actions.append(RecordJournal(intent.ts_ms, "refused", decision.text, intent.key))
            return decision
        return None

    def _send(self, intent: OrderIntent, actions: list[Action], plan: _EntryPlan | None) -> Order:
        order = Order(client_order_id(intent.key), intent, intent.ts_ms)
        self.orders[order.client_order_id] = (order, OrderStatus.PENDING)
        self.inflight[intent.token_id] = order.client_order_id
        if plan is not None:
            self._plans[order.client_order_id] = plan
        self.counters["orders"] += 1
        actions.append(SubmitOrder(order))
        actions.append(RecordJournal(intent.ts_ms, "order",
                                     f"{intent.side.value.title()} {intent.shares} shares up to {intent.limit_price}: "
                                     f"{intent.reason}", order.client_order_id))
        return order

    # -- exits ---------------------------------------------------------------------------------
    def _check_exit(self, token_id: str, now_ms: int) -> list[Action]:
        position = self.portfolio.positions[token_id]
        if token_id in self.inflight or position.strategy == MANUAL:
            return []  # manual positions are the user's: only a close command sells them
        strategy = self.strategies.get(position.strategy)
        if strategy is not None and not strategy.generic_exits:
            return []  # this strategy exits by itself (an arbitrage pair is held to resolution)
        state = self.tokens.get(token_id)
        book = state.book if state else None
        market = self.market_of[token_id]
        bid = price_from_float(book.best_bid, market.tick_size) if book and book.best_bid is not None else None
        actions: list[Action] = []
        if bid is not None:
            high, stop = trail(position, bid, self.settings.exits.trailing_stop)
            if high != position.high_water_bid or stop != position.stop_price:
                self.portfolio.update_position(token_id, high_water_bid=high, stop_price=stop)
                position = self.portfolio.positions[token_id]
                if stop != position.stop_price or high > bid:
                    actions.append(RecordPosition(token_id, position))
        call = exit_due(position, bid, now_ms, self.settings.exits.max_hold_s)
        if call is None:
            return actions
        outcome = market.token(token_id).outcome
        actions.extend(self._exit(position, market, bid, f"{call.rule}: {call.detail}", outcome, now_ms))
        return actions

    def _exit(self, position: Position, market: Market, bid: Decimal | None, why: str, outcome: str,
              now_ms: int, purpose: Purpose = Purpose.EXIT) -> list[Action]:
        if position.token_id in self._exit_blocked and purpose is Purpose.EXIT:
            return []
        actions: list[Action] = []
        if bid is None:
            actions.append(RecordJournal(now_ms, "exit_blocked", f"Wanted to sell {outcome} ({why}) but no one is bidding.",
                                         position.token_id))
            return actions
        tick = market.tick_size
        limit = max(bid - tick * self.settings.execution.max_slippage_ticks, tick)
        shares = floor_to(position.shares, SHARE_STEP)
        intent = OrderIntent(
            strategy=position.strategy, market_id=market.market_id, token_id=position.token_id, side=Side.SELL,
            shares=shares, limit_price=limit, order_type=OrderType(self.settings.execution.exit_order_type),
            purpose=Purpose.EXIT, reason=why, ts_ms=now_ms, key=f"exit:{position.token_id}:{position.opened_ts_ms}:{now_ms}",
        )
        result = self._submit(intent, actions)
        if isinstance(result, Refused) and result.code in (risk.RefusalCode.MIN_NOTIONAL, risk.RefusalCode.MIN_SIZE):
            # Polymarket cannot take this sell now; keep the position to resolution instead of retrying every tick.
            self._exit_blocked.add(position.token_id)
        return actions

    # -- fills and order reports ---------------------------------------------------------------
    def _on_fill(self, fill: Fill) -> list[Action]:
        self.counters["fills"] += 1
        if fill.purpose is Purpose.ADJUST:
            return self._on_adjustment(fill)
        market = self.markets.get(fill.market_id)
        outcome = market.token(fill.token_id).outcome if market else fill.token_id
        order = self.orders.get(fill.client_order_id)
        actions: list[Action] = []
        if fill.side is Side.BUY:
            plan = self._plans.pop(fill.client_order_id, None)
            held = self.portfolio.positions.get(fill.token_id)
            reason = order[0].intent.reason if order else "manual order"
            if held is None:
                tick = market.tick_size if market else Decimal("0.01")
                plan = plan or self._plan(fill.price, 0.0, tick)
                # The stop hangs below the bid we could sell at now, not below what we paid: a stop
                # inside the spread would sell every trade the moment it opened.
                state = self.tokens.get(fill.token_id)
                bid_now = state.book.best_bid if state is not None and state.book is not None else None
                exit_now = min(price_from_float(bid_now, tick), fill.price) if bid_now is not None else fill.price
                # The target is a real gain: above the cost per share (buy fee included) plus the
                # fee the sale will pay.
                cost_per_share = -fill.cash_delta / fill.shares_received
                exit_fee = market.fee_rate * fill.price * (ONE - fill.price) if market else ZERO
                stop = exit_now - plan.stop_distance
                target = min(round_price_up(cost_per_share + exit_fee + plan.target_distance, tick), ONE)
                self.portfolio.apply_fill(fill, stop=stop, target=target,
                                          reason=explain.entry_sentence(outcome, fill.price, reason.rstrip(".")))
            else:
                self.portfolio.apply_fill(fill)
            position = self.portfolio.positions[fill.token_id]
            actions.append(RecordPosition(fill.token_id, position))
            text = (f"Bought {fill.shares} {outcome} at {cents(fill.price)} for {usd(-fill.cash_delta)} "
                    f"(fee {usd(fill.fee_usd)}) in “{market.question if market else fill.market_id}”. {reason}")
            actions.append(RecordJournal(fill.ts_ms, "fill", text, fill.fill_id))
            if self.settings.notifications.on_entry:
                actions.append(Notify(NotifyKind.ENTRY, text, fill.ts_ms))
            self._marker(fill, "BUY", text)
            return actions
        held = self.portfolio.positions.get(fill.token_id)
        why = order[0].intent.reason if order else ("resolution" if fill.purpose is Purpose.SETTLE else "sell")
        if fill.purpose is Purpose.SETTLE:
            sentence = explain.settle_sentence(outcome, fill.price)
        else:
            sentence = explain.exit_sentence(outcome, fill.price, why, held.entry_price if held else ZERO)
        trade = self.portfolio.apply_fill(fill, reason=sentence)
        self._marker(fill, "SELL", sentence)
        if trade is None:
            actions.append(RecordPosition(fill.token_id, self.portfolio.positions.get(fill.token_id)))
            actions.append(RecordJournal(fill.ts_ms, "fill", f"Partly closed: {sentence}", fill.fill_id))
            return actions
        self._exit_blocked.discard(fill.token_id)
        self.recent_trades.appendleft(trade)
        self.safety.on_trade(trade)
        result = "won" if trade.pnl_usd > 0 else "lost"
        text = f"{sentence} Trade {result} {usd(abs(trade.pnl_usd))}."
        actions += [RecordPosition(fill.token_id, None), RecordTrade(trade), RecordJournal(fill.ts_ms, "trade", text, trade.trade_id)]
        if self.settings.notifications.on_exit:
            actions.append(Notify(NotifyKind.EXIT, text, fill.ts_ms))
        actions.extend(self._after_trade(fill.ts_ms))
        return actions

    def _on_adjustment(self, fill: Fill) -> list[Action]:
        """Live reconciliation adopted the venue's balance: book it and say so, trade nothing."""
        self.portfolio.apply_fill(fill)
        if fill.token_id:
            held = self.portfolio.positions.get(fill.token_id)
            text = (f"Reconciled with Polymarket: {fill.shares_received:+} shares of {fill.token_id}; "
                    f"the bot now holds {held.shares if held else 0}.")
            return [RecordPosition(fill.token_id, held), RecordJournal(fill.ts_ms, "reconcile", text, fill.fill_id)]
        text = (f"Reconciled with Polymarket: cash {'+' if fill.cash_delta >= 0 else ''}{usd(fill.cash_delta)}, "
                f"now {usd(self.portfolio.cash)}.")
        return [RecordJournal(fill.ts_ms, "reconcile", text, fill.fill_id)]

    def _marker(self, fill: Fill, side: str, text: str) -> None:
        market = self.markets.get(fill.market_id)
        if market is None:
            return
        # Charts show the primary token; a NO trade is drawn at its YES-equivalent price.
        price = float(fill.price) if fill.token_id == market.primary.token_id else 1.0 - float(fill.price)
        self.markers.setdefault(market.market_id, deque(maxlen=50)).append((fill.ts_ms, price, side, text))

    def _after_trade(self, now_ms: int) -> list[Action]:
        p = self.portfolio
        limit = self.settings.risk.breaker_consecutive_losses
        if p.consecutive_losses >= limit and (self.breaker_until_ms is None or self.breaker_until_ms <= now_ms):
            self.breaker_until_ms = now_ms + self.settings.risk.breaker_pause_s * 1000
            text = (f"Circuit breaker tripped: {p.consecutive_losses} losing trades in a row. New trades pause for "
                    f"{self.settings.risk.breaker_pause_s // 60} min (or until you press Resume).")
            return [RecordJournal(now_ms, "breaker", text), Notify(NotifyKind.RISK, text, now_ms)]
        return []

    def _on_order_report(self, report: OrderReport) -> list[Action]:
        update = report.update
        known = self.orders.get(update.client_order_id)
        if known is None:
            return [RecordJournal(report.ts_ms, "order", f"Report for unknown order {update.client_order_id}: "
                                                         f"{update.status.value}", update.client_order_id)]
        order = known[0]
        self.orders[update.client_order_id] = (order, update.status)
        actions: list[Action] = []
        if update.status.is_terminal:
            if order.client_order_id in self._legs:
                actions.extend(self._leg_done(order, update.status, report.ts_ms))
            if self.inflight.get(order.intent.token_id) == order.client_order_id:
                del self.inflight[order.intent.token_id]
            self._plans.pop(order.client_order_id, None)
            del self.orders[order.client_order_id]  # terminal orders live on in the store, not in memory
            if update.status is not OrderStatus.FILLED:
                actions.append(RecordJournal(report.ts_ms, "order",
                                             f"Order {update.status.value} after {update.filled_shares} shares: "
                                             f"{update.reason}", order.client_order_id))
        return actions

    def _leg_done(self, order: Order, status: OrderStatus, ts_ms: int) -> list[Action]:
        """When every leg of a group has finished: legs that filled while a partner did not are sold
        at once, so an arbitrage never stays one-legged."""
        self._leg_status[order.client_order_id] = status
        legs = self._legs[order.client_order_id]
        if any(cid not in self._leg_status for cid in legs):
            return []
        statuses = {cid: self._leg_status.pop(cid) for cid in legs}
        intents = {cid: self._leg_intent.pop(cid) for cid in legs}
        for cid in legs:
            del self._legs[cid]
        missing = [intents[cid] for cid, st in statuses.items() if st is not OrderStatus.FILLED]
        if not missing or len(missing) == len(legs):
            return []
        absent = " and ".join(self.market_of[i.token_id].token(i.token_id).outcome for i in missing)
        actions: list[Action] = []
        for cid, st in statuses.items():
            leg = intents[cid]
            position = self.portfolio.positions.get(leg.token_id)
            if st is not OrderStatus.FILLED or position is None:
                continue
            market = self.market_of[leg.token_id]
            book = self.tokens[leg.token_id].book
            bid = price_from_float(book.best_bid, market.tick_size) if book and book.best_bid is not None else None
            why = f"unwinding: the {absent} leg of the pair did not fill, so this leg must not stay alone"
            actions.append(RecordJournal(ts_ms, "unwind", why[0].upper() + why[1:] + ".", cid))
            actions.extend(self._exit(position, market, bid, why, market.token(leg.token_id).outcome, ts_ms))
        return actions

    # -- time ----------------------------------------------------------------------------------
    def bids_of_positions(self) -> dict[str, float | None]:
        bids: dict[str, float | None] = {}
        for token_id in self.portfolio.positions:
            state = self.tokens.get(token_id)
            bids[token_id] = state.book.best_bid if state and state.book else None
        return bids

    def _retire_inactive(self) -> None:
        """Forget resolved or delisted markets once nothing is held or working in them, so a bot
        that runs for months does not keep every market it ever saw (memory stays flat)."""
        for market_id in list(self.inactive):
            market = self.markets.get(market_id)
            if market is None:
                self.inactive.discard(market_id)
                continue
            token_ids = [token.token_id for token in market.tokens]
            if any(t in self.portfolio.positions or t in self.inflight for t in token_ids):
                continue
            for token_id in token_ids:
                self.market_of.pop(token_id, None)
                self.tokens.pop(token_id, None)
                self._alarms.pop(token_id, None)
                self._changed.discard(token_id)
                self.detectors.remove(token_id)
            self._listing_version += 1
            del self.markets[market_id]
            self.markers.pop(market_id, None)
            self.portfolio.last_entry_ms.pop(market_id, None)
            self.inactive.discard(market_id)

    def _on_timer(self, now_ms: int) -> list[Action]:
        p = self.portfolio
        p.roll_day(now_ms)
        if self.inactive:
            self._retire_inactive()
        actions: list[Action] = []
        for token_id in list(p.positions):
            actions.extend(self._check_exit(token_id, now_ms))
        actions.extend(self._run_strategies(now_ms))
        if self.portfolio.positions or self.safety.watching:
            actions.extend(self.safety.check(self, now_ms))
        if self.breaker_until_ms is not None and now_ms >= self.breaker_until_ms:
            self.breaker_until_ms = None
            p.consecutive_losses = 0
            actions.append(RecordJournal(now_ms, "breaker", "Circuit breaker reset: new trades allowed again."))
        value, unrealised = p.marks(self.bids_of_positions())
        equity = p.cash + value
        p.peak_equity = max(p.peak_equity, equity)
        limits = self.settings.risk
        drawdown = float((p.peak_equity - equity) / p.peak_equity * 100) if p.peak_equity > 0 else 0.0
        if not self.kill_switch and drawdown >= limits.max_drawdown_pct:
            self.kill_switch = True
            text = (f"Drawdown kill switch: the account is {drawdown:.1f}% below its peak of {usd(p.peak_equity)}. "
                    "No new trades until you press Resume.")
            actions += [RecordJournal(now_ms, "kill_switch", text), Notify(NotifyKind.RISK, text, now_ms)]
        loss_today = -(p.today.realised + min(unrealised, ZERO))
        warn_at = limits.max_daily_loss_usd * dec(limits.daily_loss_warning_pct) / 100
        if loss_today >= warn_at and self._warned_day != p.today.day:
            self._warned_day = p.today.day
            reached = loss_today >= limits.max_daily_loss_usd
            text = (f"Daily loss limit {'reached' if reached else 'near'}: down {usd(loss_today)} today of a "
                    f"{usd(limits.max_daily_loss_usd)} limit.")
            actions += [RecordJournal(now_ms, "risk", text), Notify(NotifyKind.RISK, text, now_ms)]
        every_ms = self.settings.storage.equity_every_s * 1000
        if self._last_equity_ms < 0 or now_ms - self._last_equity_ms >= every_ms:
            self._last_equity_ms = now_ms
            actions.append(RecordEquity(now_ms, p.cash, value, equity))
        return actions

    # -- resolutions ---------------------------------------------------------------------------
    def _on_resolution(self, event: Resolution) -> list[Action]:
        self.inactive.add(event.market_id)
        actions: list[Action] = [RecordJournal(event.ts_ms, "resolution", f"Market {event.market_id} resolved.",
                                               event.market_id)]
        for token_id, payout in event.payouts:
            position = self.portfolio.positions.get(token_id)
            if position is None:
                continue
            fill = Fill(
                fill_id=f"settle-{token_id}-{event.ts_ms}", client_order_id=f"settle-{token_id}",
                strategy=position.strategy, market_id=event.market_id, token_id=token_id, side=Side.SELL,
                price=payout, shares=position.shares, fee_usd=ZERO, shares_received=-position.shares,
                cash_delta=position.shares * payout, is_maker=False, purpose=Purpose.SETTLE, ts_ms=event.ts_ms,
            )
            actions.append(SettleFill(fill))
        return actions

    # -- commands ------------------------------------------------------------------------------
    def _on_command(self, command: Command) -> list[Action]:
        kind = command.kind
        actions: list[Action] = []
        if kind is CommandKind.PAUSE:
            self.paused = True
            text = "Paused: no new trades; open trades keep their exits."
        elif kind is CommandKind.RESUME:
            self.paused = self.entries_stopped = self.kill_switch = False
            self.breaker_until_ms = None
            self.portfolio.consecutive_losses = 0
            self.portfolio.peak_equity = self.portfolio.equity(self.bids_of_positions())
            self.safety.resume(self)
            text = "Resumed: new trades allowed (breaker and kill switch cleared)."
        elif kind is CommandKind.STOP_ENTRY:
            self.entries_stopped = True
            text = "Entries stopped: no new trades; exits continue."
        elif kind is CommandKind.FLATTEN:
            for position in list(self.portfolio.positions.values()):
                actions.extend(self._manual_exit(position, command))
            text = f"Flatten: closing {len(self.portfolio.positions)} open position(s)."
        elif kind is CommandKind.CLOSE_POSITION:
            position = self.portfolio.positions.get(command.arg("token_id"))
            if position is None:
                return self._done(command, False, f"No open position in token {command.arg('token_id')}.")
            actions.extend(self._manual_exit(position, command))
            text = f"Closing the position in {self.market_of[position.token_id].question}."
        elif kind is CommandKind.MANUAL_ORDER:
            return self._manual_order(command)
        else:  # RELOAD is carried out by the runtime, which owns the config file
            text = f"{kind.value} noted."
        actions.append(RecordJournal(command.ts_ms, "command", text, command.command_id))
        actions.extend(self._done(command, True, text))
        return actions

    def _done(self, command: Command, ok: bool, text: str) -> list[Action]:
        done = CommandDone(command.command_id, ok, text, command.ts_ms, command.kind.value, command.args)
        self.commands_done.appendleft(done)
        return [done, Notify(NotifyKind.COMMAND, text, command.ts_ms)]

    def _manual_exit(self, position: Position, command: Command) -> list[Action]:
        market = self.market_of[position.token_id]
        state = self.tokens[position.token_id]
        bid = price_from_float(state.book.best_bid, market.tick_size) if state.book and state.book.best_bid else None
        self._exit_blocked.discard(position.token_id)
        return self._exit(position, market, bid, f"you asked to close it ({command.kind.value})",
                          market.token(position.token_id).outcome, command.ts_ms, Purpose.EXIT)

    def _manual_order(self, command: Command) -> list[Action]:
        market = self.markets.get(command.arg("market_id")) or self.market_of.get(command.arg("token_id"))
        token_id = command.arg("token_id")
        if market is None or token_id not in {t.token_id for t in market.tokens}:
            return self._done(command, False, f"Unknown market/token for the manual order ({token_id}).")
        try:
            side = Side(command.arg("side", "BUY").upper())
            amount_usd = dec(command.arg("usd")) if command.arg("usd") else None
            shares_arg = dec(command.arg("shares")) if command.arg("shares") else None
        except Exception:
            return self._done(command, False, "The manual order's side, usd or shares is not valid.")
        book: Book | None = self.tokens[token_id].book
        touch = (book.best_ask if side is Side.BUY else book.best_bid) if book else None
        if touch is None:
            return self._done(command, False, "No price to trade against yet for that token.")
        tick = market.tick_size
        price = price_from_float(touch, tick)
        slip = tick * self.settings.execution.max_slippage_ticks
        limit = min(price + slip, ONE - tick) if side is Side.BUY else max(price - slip, tick)
        # Dollars are sized at the worst price the order may reach, so it never spends more than asked.
        shares = floor_to(shares_arg if shares_arg is not None else (amount_usd or ZERO) / limit, SHARE_STEP)
        outcome = market.token(token_id).outcome
        intent = OrderIntent(
            strategy=MANUAL, market_id=market.market_id, token_id=token_id, side=side, shares=shares,
            limit_price=limit, order_type=OrderType.FAK, purpose=Purpose.MANUAL if side is Side.BUY else Purpose.EXIT,
            reason=f"you placed a manual paper order to {side.value.lower()} {shares} {outcome}",
            ts_ms=command.ts_ms, key=f"command:{command.command_id}",
        )
        actions: list[Action] = []
        result = self._submit(intent, actions, plan=self._plan(limit, 0.0, tick) if side is Side.BUY else None)
        if isinstance(result, Refused):
            actions.extend(self._done(command, False, f"Manual order refused: {result.text}"))
        else:
            actions.extend(self._done(command, True, f"Manual order sent: {side.value.lower()} {shares} {outcome} "
                                                     f"at up to {limit}."))
        return actions

    # -- recovery ------------------------------------------------------------------------------
    def restore(self, markets: list[Market], fills: list[Fill], plans: dict[str, Position],
                paused: bool = False, entries_stopped: bool = False, peak_equity: Decimal | None = None) -> None:
        """Rebuild state after a restart from what the store kept: fills are the truth for
        cash and positions; stored exit plans put stops and targets back."""
        for market in markets:
            self._on_listed(market)
        for fill in fills:
            self.now_ms = max(self.now_ms, fill.ts_ms)
            trade = self.portfolio.apply_fill(fill)
            if trade is not None:
                self.recent_trades.appendleft(trade)
                self.safety.on_trade(trade)
        for token_id, position in list(self.portfolio.positions.items()):
            plan = plans.get(token_id)
            if plan is not None:
                self.portfolio.update_position(token_id, stop_price=plan.stop_price, target_price=plan.target_price,
                                               high_water_bid=plan.high_water_bid)
                self.portfolio.positions[token_id] = _with_reason(self.portfolio.positions[token_id], plan)
            else:
                distances = self._plan(position.entry_price, 0.0, Decimal("0.01"))
                self.portfolio.update_position(token_id, stop_price=position.entry_price - distances.stop_distance,
                                               target_price=position.entry_price + distances.target_distance)
        self.paused = paused
        self.entries_stopped = entries_stopped
        if peak_equity is not None:
            self.portfolio.peak_equity = max(self.portfolio.peak_equity, peak_equity)
        p = self.portfolio
        if p.consecutive_losses >= self.settings.risk.breaker_consecutive_losses and self.recent_trades:
            self.breaker_until_ms = self.recent_trades[0].closed_ts_ms + self.settings.risk.breaker_pause_s * 1000


def _with_reason(position: Position, plan: Position) -> Position:
    from dataclasses import replace

    return replace(position, entry_reason=plan.entry_reason or position.entry_reason)


@dataclass(slots=True)
class _CodeMap:
    """A batch dictionary's codes -> tracker state, known flag, book time and detector slot."""

    names: list[str]
    version: int
    states: list[TokenState | None]
    known: np.ndarray
    ts_ms: np.ndarray  # each token's latest book time, kept current by ``_on_batch``
    slots: np.ndarray  # detector slot, -1 for tokens without a detector

    @staticmethod
    def build(names: list[str], version: int, tokens: dict[str, TokenState], detectors: DetectorBank) -> _CodeMap:
        states = [tokens.get(name) for name in names]
        return _CodeMap(
            names, version, states,
            np.fromiter((s is not None for s in states), dtype=bool, count=len(states)),
            np.fromiter((s.ts_ms if s is not None else 0 for s in states), dtype=np.int64, count=len(states)),
            np.fromiter((detectors.slot_of(name) for name in names), dtype=np.int64, count=len(names)),
        )


class _Books(Mapping[str, "Book | None"]):
    """token_id -> latest book, read straight from the tracker (no per-cycle copy of 10,000 books)."""

    __slots__ = ("_tokens",)

    def __init__(self, tokens: dict[str, TokenState]) -> None:
        self._tokens = tokens

    def __getitem__(self, token_id: str) -> Book | None:
        return self._tokens[token_id].book

    def __iter__(self) -> Iterator[str]:
        return iter(self._tokens)

    def __len__(self) -> int:
        return len(self._tokens)
