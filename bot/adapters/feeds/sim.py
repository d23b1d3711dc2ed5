"""A seeded synthetic Polymarket for demos and tests: binary markets with L2 books, spikes, resolutions.

Each market's YES probability is a latent logit random walk (per-market vol, slow pull to an
anchor so prices do not all drift to 0/1) plus news jumps. A jump of size J moves the permanent
level by f*J and adds a transient (1 - f)*J that decays with time constant tau: with f < 1 the
price overshoots and partly reverts (what a spike fader earns on), with f > 1 it keeps going
(what the fader loses on). Spreads widen and depth thins with recent volatility. The NO book is
the exact mirror of the YES book. Everything is drawn from one PCG64 stream in a fixed order and
vectorised across markets; only building the Book tuples is per token.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np

from bot.adapters.feeds.base import Cycle
from bot.adapters.feeds.recording import RecordingWriter
from bot.adapters.feeds.tee import record_cycle
from bot.domain.book import Book
from bot.domain.events import BookUpdate, Event, MarketListed, Resolution
from bot.domain.market import Market, binary_market

CATEGORIES = ("sports", "crypto", "politics", "other", "geopolitics")
CATEGORY_WEIGHTS = (0.35, 0.25, 0.2, 0.15, 0.05)
FEE_RATES = {
    "crypto": Decimal("0.072"),
    "sports": Decimal("0.03"),
    "politics": Decimal("0.04"),
    "other": Decimal("0.05"),
    "geopolitics": Decimal(0),
}
TEAMS = (
    "Boston",
    "Denver",
    "Toronto",
    "Dallas",
    "Seattle",
    "Miami",
    "Chicago",
    "Vegas",
    "Carolina",
    "Edmonton",
    "Arsenal",
    "Liverpool",
    "Real Madrid",
    "Inter",
    "Lakers",
    "Celtics",
)
ASSETS = (("Bitcoin", 100_000, 1_000), ("Ethereum", 4_000, 50), ("Solana", 200, 5), ("XRP", 3, 0.1))
PEOPLE = ("Alvarez", "Brooks", "Chen", "Dubois", "Eriksen", "Fischer", "Garcia", "Hughes")
STATES = ("Arizona", "Georgia", "Ohio", "Nevada", "Michigan", "Texas", "Maine", "Oregon")
COUNTRIES = ("Armenia", "Azerbaijan", "Sudan", "Ethiopia", "Serbia", "Kosovo", "Peru", "Chile")
CITIES = ("London", "Paris", "Tokyo", "New York", "Sydney", "Mumbai", "Cairo", "Lima")

QUOTE_REFRESH_PER_S = 0.2  # sizes change even when the touch does not
TRADE_PER_S = 0.1
VOID_SHARE = 0.01
VOL_HALF_LIFE_S = 10.0
ANCHOR_PULL_S = 3600.0  # mean-reversion time constant of the permanent level
MAX_LOGIT = 5.0  # p in [0.0067, 0.9933]: always room for a tick either side


@dataclass(frozen=True, slots=True)
class _Quotes:
    """This cycle's book numbers for every slot (integer ticks; prices = ticks / n_ticks)."""

    bid_ticks: np.ndarray  # (n, levels), best first
    ask_ticks: np.ndarray
    n_bids: np.ndarray  # levels that fit above price 0 / below price 1
    n_asks: np.ndarray


class SimFeed:
    """Infinite (unless ``max_cycles``) deterministic feed of ``markets`` live binary markets."""

    def __init__(
        self,
        markets: int,
        seed: int,
        start_ts_ms: int,
        cycle_ms: int = 1000,
        jump_probability: float = 0.002,
        resolution_probability: float = 0.00002,
        levels: int = 5,
        max_cycles: int | None = None,
    ) -> None:
        if markets < 1 or cycle_ms <= 0 or levels < 1:
            raise ValueError("markets, cycle_ms and levels must be positive")
        self.cycle_ms, self.levels, self.max_cycles = cycle_ms, levels, max_cycles
        self._rng = np.random.Generator(np.random.PCG64(seed))
        self._dt_s = cycle_ms / 1000.0
        # Rates are per second; a cycle of dt seconds sees at least one event with 1 - (1 - p)^dt.
        self._p_jump, self._p_resolve, self._p_refresh, self._p_trade = (
            1.0 - (1.0 - per_s) ** self._dt_s
            for per_s in (jump_probability, resolution_probability, QUOTE_REFRESH_PER_S, TRADE_PER_S)
        )
        self._vol_decay = 0.5 ** (self._dt_s / VOL_HALF_LIFE_S)
        self._ts_ms = start_ts_ms
        self._cycles = 0
        self._serial = 0
        self.jump_count = 0  # jumps generated so far (for tests and demos)
        n = markets
        self._markets: list[Market] = [None] * n  # type: ignore[list-item]
        self._x, self._o, self._anchor, self._tau, self._sigma, self._var, self._p, self._depth = (
            np.zeros(n) for _ in range(8)
        )
        self._n_ticks, self._base_spread, self._gap, self._end_ts, self._last_bid, self._last_ask = (
            np.zeros(n, dtype=np.int64) for _ in range(6)
        )
        self._new_markets(np.arange(n))

    @property
    def markets(self) -> list[Market]:
        return list(self._markets)

    def next_cycle(self) -> Cycle | None:
        if self.max_cycles is not None and self._cycles >= self.max_cycles:
            return None
        events: list[Event] = []
        if self._cycles == 0:
            events.extend(MarketListed(self._ts_ms, m) for m in self._markets)
            fresh = np.ones(len(self._markets), dtype=bool)
        else:
            self._ts_ms += self.cycle_ms
            self._advance()
            fresh = self._resolve(events)
        self._cycles += 1
        self._books(events, self._quotes(), fresh)
        return Cycle(self._ts_ms, events)

    # ------------------------------------------------------------------ numbers (vectorised)

    def _advance(self) -> None:
        rng, dt = self._rng, self._dt_s
        self._o *= np.exp(-dt / self._tau)
        self._x += (self._anchor - self._x) * (dt / ANCHOR_PULL_S) + self._sigma * math.sqrt(
            dt
        ) * rng.standard_normal(self._x.size)
        jumped = np.flatnonzero(rng.random(self._x.size) < self._p_jump)
        if jumped.size:
            self.jump_count += jumped.size
            size = (0.3 + rng.exponential(0.4, jumped.size)) * rng.choice((-1.0, 1.0), jumped.size)
            permanent = rng.uniform(0.1, 1.3, jumped.size)  # mean 0.7: reverts on average, not always
            self._x[jumped] += permanent * size
            self._o[jumped] += (1.0 - permanent) * size
            self._tau[jumped] = rng.uniform(10.0, 60.0, jumped.size)
        np.clip(self._x, -MAX_LOGIT, MAX_LOGIT, out=self._x)
        p = 1.0 / (1.0 + np.exp(-np.clip(self._x + self._o, -MAX_LOGIT, MAX_LOGIT)))
        self._var = self._vol_decay * self._var + (1.0 - self._vol_decay) * (p - self._p) ** 2
        self._p = p

    def _quotes(self) -> _Quotes:
        n_ticks, gap = self._n_ticks, self._gap
        vol = np.sqrt(self._var)
        spread = self._base_spread + np.rint(np.minimum(2.0 * vol, 0.1) * n_ticks).astype(np.int64)
        bid0 = np.clip(np.rint(self._p * n_ticks - spread / 2.0).astype(np.int64), 1, n_ticks - 1 - spread)
        ask0 = bid0 + spread
        steps = np.arange(self.levels, dtype=np.int64) * gap[:, None]
        return _Quotes(
            bid0[:, None] - steps,
            ask0[:, None] + steps,
            np.minimum(self.levels, (bid0 - 1) // gap + 1),
            np.minimum(self.levels, (n_ticks - 1 - ask0) // gap + 1),
        )

    # ------------------------------------------------------------------ events

    def _resolve(self, events: list[Event]) -> np.ndarray:
        """Settle markets that resolve now, replace them; returns the mask of slots listed this cycle."""
        rng, n = self._rng, len(self._markets)
        done = np.flatnonzero((rng.random(n) < self._p_resolve) | (self._end_ts <= self._ts_ms))
        fresh = np.zeros(n, dtype=bool)
        if not done.size:
            return fresh
        yes_wins = (rng.random(done.size) < self._p[done]).tolist()
        void = (rng.random(done.size) < VOID_SHARE).tolist()
        for slot, wins, is_void in zip(done.tolist(), yes_wins, void, strict=True):
            yes, no = self._markets[slot].tokens
            pay = (
                (Decimal("0.5"), Decimal("0.5"))
                if is_void
                else (Decimal(1), Decimal(0))
                if wins
                else (Decimal(0), Decimal(1))
            )
            events.append(
                Resolution(
                    self._ts_ms,
                    self._markets[slot].market_id,
                    ((yes.token_id, pay[0]), (no.token_id, pay[1])),
                )
            )
        self._new_markets(done)
        events.extend(MarketListed(self._ts_ms, self._markets[slot]) for slot in done.tolist())
        fresh[done] = True
        return fresh

    def _books(self, events: list[Event], q: _Quotes, fresh: np.ndarray) -> None:
        rng, n = self._rng, len(self._markets)
        trade = rng.random(n) < self._p_trade
        emit = fresh | trade | (rng.random(n) < self._p_refresh)
        emit |= (q.bid_ticks[:, 0] != self._last_bid) | (q.ask_ticks[:, 0] != self._last_ask)
        self._last_bid, self._last_ask = q.bid_ticks[:, 0].copy(), q.ask_ticks[:, 0].copy()
        idx = np.flatnonzero(emit)
        k, levels = idx.size, self.levels
        # Depth thins as recent volatility rises; deeper levels hold more.
        scale = self._depth[idx] / (1.0 + 50.0 * np.sqrt(self._var[idx]))
        shape = (
            scale[:, None, None] * (1.0 + 0.6 * np.arange(levels)) * rng.lognormal(0.0, 0.6, (k, 2, levels))
        )
        sizes = np.maximum(np.round(shape, 2), 1.0)
        n_ticks = self._n_ticks[idx][:, None]
        bid_t, ask_t = q.bid_ticks[idx], q.ask_ticks[idx]
        bid_size, ask_size = sizes[:, 0, :].ravel().tolist(), sizes[:, 1, :].ravel().tolist()
        # One C-level zip per side over all markets; each book then takes a slice (no per-level Python).
        yes_bids = list(zip((bid_t / n_ticks).ravel().tolist(), bid_size, strict=True))
        yes_asks = list(zip((ask_t / n_ticks).ravel().tolist(), ask_size, strict=True))
        no_bids = list(zip(((n_ticks - ask_t) / n_ticks).ravel().tolist(), ask_size, strict=True))
        no_asks = list(zip(((n_ticks - bid_t) / n_ticks).ravel().tolist(), bid_size, strict=True))
        n_bids, n_asks = q.n_bids[idx].tolist(), q.n_asks[idx].tolist()
        # A trade prints at the touch on a random side; the NO token prints the complement.
        take_ask = rng.random(k) < 0.5
        trade_t = np.where(take_ask, ask_t[:, 0], bid_t[:, 0])
        trade_px, trade_no_px = (
            (trade_t / n_ticks[:, 0]).tolist(),
            ((n_ticks[:, 0] - trade_t) / n_ticks[:, 0]).tolist(),
        )
        trade_size = np.maximum(np.round(rng.lognormal(np.log(scale / 4.0 + 1.0), 1.0), 2), 1.0).tolist()
        ts, traded, markets = self._ts_ms, trade[idx].tolist(), self._markets
        append = events.append
        for j, slot in enumerate(idx.tolist()):
            yes, no = markets[slot].tokens
            at = j * levels
            bid_end, ask_end = at + n_bids[j], at + n_asks[j]
            yes_book = Book(yes.token_id, ts, tuple(yes_bids[at:bid_end]), tuple(yes_asks[at:ask_end]))
            no_book = Book(no.token_id, ts, tuple(no_bids[at:ask_end]), tuple(no_asks[at:bid_end]))
            if traded[j]:
                append(BookUpdate(ts, yes_book, trade_px[j], trade_size[j]))
                append(BookUpdate(ts, no_book, trade_no_px[j], trade_size[j]))
            else:
                append(BookUpdate(ts, yes_book))
                append(BookUpdate(ts, no_book))

    # ------------------------------------------------------------------ markets

    def _new_markets(self, slots: np.ndarray) -> None:
        """Draw fresh markets (state and metadata) into ``slots``, all at once."""
        rng, k = self._rng, slots.size
        fine = rng.random(k) < 0.15
        n_ticks = np.where(fine, 1000, 100)
        self._n_ticks[slots] = n_ticks
        self._base_spread[slots] = np.maximum(1, np.rint(rng.uniform(0.01, 0.03, k) * n_ticks))
        self._gap[slots] = np.maximum(1, np.rint(rng.uniform(0.001, 0.005, k) * n_ticks))
        self._anchor[slots] = self._x[slots] = np.clip(rng.normal(0.0, 1.2, k), -3.5, 3.5)
        self._o[slots], self._var[slots], self._tau[slots] = 0.0, 0.0, 30.0
        self._p[slots] = 1.0 / (1.0 + np.exp(-self._x[slots]))
        self._sigma[slots] = np.exp(rng.uniform(np.log(0.003), np.log(0.02), k))
        self._depth[slots] = np.exp(rng.uniform(np.log(30.0), np.log(1500.0), k))
        hour_ms = 3_600_000
        end = (self._ts_ms // hour_ms + rng.integers(2, 24 * 14, k)) * hour_ms
        self._end_ts[slots] = end
        self._last_bid[slots] = self._last_ask[slots] = -1
        category = rng.choice(len(CATEGORIES), k, p=CATEGORY_WEIGHTS)
        volume = np.round(rng.lognormal(np.log(40_000.0), 1.2, k), 2)
        liquidity = np.round(rng.lognormal(np.log(20_000.0), 1.0, k), 2)
        picks = rng.integers(0, 1 << 30, (k, 4)).tolist()
        for j, slot in enumerate(slots.tolist()):
            market_id = f"sim-{self._serial}"
            self._serial += 1
            cat = CATEGORIES[category[j]]
            self._markets[slot] = binary_market(
                market_id,
                _question(cat, picks[j], int(end[j])),
                (f"{market_id}-yes", f"{market_id}-no"),
                tick_size=Decimal("0.001") if fine[j] else Decimal("0.01"),
                min_order_size=Decimal(5),
                fee_rate=FEE_RATES[cat],
                end_ts_ms=int(end[j]),
                category=cat,
                volume_24h_usd=float(volume[j]),
                liquidity_usd=float(liquidity[j]),
            )


def _question(category: str, picks: list[int], end_ts_ms: int) -> str:
    a, b, c, d = picks
    day = datetime.fromtimestamp(end_ts_ms / 1000, tz=UTC)
    date = f"{day:%B} {day.day}, {day.year}"
    if category == "crypto":
        name, level, step = ASSETS[a % len(ASSETS)]
        strike = round(level + (b % 11 - 5) * step, 2)
        return f"Will {name} close above ${strike:,.2f}".replace(".00", "") + f" on {date}?"
    if category == "sports":
        home, away = TEAMS[a % len(TEAMS)], TEAMS[(a + 1 + b % (len(TEAMS) - 1)) % len(TEAMS)]
        return f"Will {home} win on {date}?" if c % 2 else f"Will {home} beat {away} on {date}?"
    if category == "politics":
        if c % 2:
            return f"Will {PEOPLE[a % len(PEOPLE)]} win the {STATES[b % len(STATES)]} governor race?"
        return f"Will the {STATES[b % len(STATES)]} budget bill pass by {date}?"
    if category == "geopolitics":
        one, two = (
            COUNTRIES[a % len(COUNTRIES)],
            COUNTRIES[(a + 1 + b % (len(COUNTRIES) - 1)) % len(COUNTRIES)],
        )
        return f"Will {one} and {two} sign a ceasefire by {date}?"
    if c % 2:
        return f"Will {CITIES[a % len(CITIES)]} record over {1 + b % 6} inches of rain by {date}?"
    film = f"{PEOPLE[a % len(PEOPLE)]} {d % 9 + 1}"
    return f"Will the film '{film}' gross over ${20 + b % 80}M on its opening weekend?"


def write_sim_recording(
    directory: str | Path,
    markets: int,
    seed: int,
    seconds: int,
    start_ts_ms: int = 1_767_225_600_000,
    cycle_ms: int = 1000,
) -> Path:
    """Run a SimFeed for ``seconds`` of market time and write it as a recording; returns the directory."""
    feed = SimFeed(
        markets, seed, start_ts_ms, cycle_ms=cycle_ms, max_cycles=max(1, seconds * 1000 // cycle_ms)
    )
    with RecordingWriter(directory) as writer:
        while (cycle := feed.next_cycle()) is not None:
            record_cycle(writer, cycle)
    return Path(directory)
