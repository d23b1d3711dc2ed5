"""A BookBatch (a replayed cycle in columns) and the same rows as BookUpdates give the engine
identical results: every action, fill, counter and detector value."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.adapters.executors.paper import PaperExecutor
from bot.adapters.feeds.recording import load_recording
from bot.adapters.feeds.replay import ReplayFeed
from bot.config.loader import load_settings, validate
from bot.config.schema import Settings
from bot.core.engine import Engine
from bot.domain.events import BookBatch, MarketListed, Timer
from bot.runtime.runner import Runner
from tests.builders import T0, busy_config, market, sim_recording

TOKENS = ["m1-yes", "m1-no", "ghost"]


def run(settings: Settings, rec: Path, unpack: bool) -> tuple[Engine, list, list]:
    engine = Engine(settings)
    runner = Runner(engine, PaperExecutor(settings.execution.latency_ms))
    actions: list = []
    process = engine.process

    def watching(event):  # type: ignore[no-untyped-def]
        out = process(event)
        actions.extend(out)
        return out

    engine.process = watching  # type: ignore[method-assign]
    fills: list = []
    runner.on_fill = fills.append
    feed = ReplayFeed(load_recording(rec))
    batches = 0
    while (cycle := feed.next_cycle()) is not None:
        events = cycle.events
        batches += sum(isinstance(e, BookBatch) for e in events)
        if unpack:
            events = [u for e in events for u in (e.book_updates() if isinstance(e, BookBatch) else [e])]
        runner.run_cycle(cycle.ts_ms, events)
    assert batches > 0
    return engine, actions, fills


def test_a_replay_gives_the_same_actions_and_fills_as_batches_or_as_single_updates(tmp_path: Path) -> None:
    data = load_settings(busy_config(tmp_path)).model_dump(mode="json")
    data["strategies"]["market_maker"]["enabled"] = True  # resting quotes: the executor's row-by-row path
    settings = validate(data, "test")
    rec = sim_recording(tmp_path / "rec", cycles=400, markets=30)
    batched, batched_actions, batched_fills = run(settings, rec, unpack=False)
    single, single_actions, single_fills = run(settings, rec, unpack=True)
    assert len(batched_fills) >= 5 and {f.strategy for f in batched_fills} >= {"spike_hunter", "market_maker"}
    assert batched_fills == single_fills
    assert batched_actions == single_actions
    assert batched.counters == single.counters and batched.dropped == single.dropped
    assert batched.portfolio.cash == single.portfolio.cash
    for token in single.detectors:
        assert repr(batched.series.series(token)) == repr(single.series.series(token))
        assert batched.tokens[token].book == single.tokens[token].book


def batch_of(rows: list[tuple[int, str, float, float]], ts_ms: int) -> BookBatch:
    codes = np.array([TOKENS.index(t) for _, t, _, _ in rows], dtype=np.int64)
    n = len(rows)
    return BookBatch(ts_ms, TOKENS, codes, np.array([r[0] for r in rows], dtype=np.int64),
                     np.array([r[2] for r in rows]), np.array([r[3] for r in rows]), np.full(n, 100.0),
                     np.full(n, 100.0), np.full(n, np.nan), np.full(n, np.nan))


def test_bad_rows_are_dropped_and_counted_alike() -> None:
    rows = [
        (T0 + 100, "m1-yes", 0.40, 0.42),
        (T0 + 100, "ghost", 0.40, 0.42),     # unknown token
        (T0 + 200, "m1-no", 0.60, 0.58),     # crossed
        (T0 + 300, "m1-no", 0.57, 1.20),     # ask above 1
        (T0 + 400, "m1-yes", 0.41, np.nan),  # one-sided: tracked, no detector price
        (T0 + 500, "m1-no", 0.57, 0.59),
    ]
    later = [(T0 + 50, "m1-yes", 0.40, 0.42), (T0 + 1500, "m1-yes", 0.45, 0.47)]  # the first is stale
    engines = []
    for as_batch in (True, False):
        engine = Engine(Settings())
        engine.process(MarketListed(T0, market("m1")))
        for group, ts in ((rows, T0 + 1000), (later, T0 + 2000)):
            batch = batch_of(group, ts)
            for event in [batch] if as_batch else batch.book_updates():
                engine.process(event)
            engine.process(Timer(ts))
        engines.append(engine)
    batched, single = engines
    assert batched.dropped == single.dropped == {"unknown_token": 1, "bad_book": 2, "stale": 1}
    assert batched.counters == single.counters
    assert batched.counters["book_updates"] == 4
    assert batched.tokens["m1-yes"].book == single.tokens["m1-yes"].book
    assert batched.tokens["m1-yes"].updates == single.tokens["m1-yes"].updates == 3
    assert repr(batched.series.series("m1-yes")) == repr(single.series.series("m1-yes"))  # NaN-aware
    assert batched.detectors["m1-yes"].samples == 2  # the one-sided row gave no price
