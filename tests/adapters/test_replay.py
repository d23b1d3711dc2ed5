"""ReplayFeed: cycles on the data's own clock, listings first, resolutions last, same events as recorded."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from bot.adapters.feeds.base import Cycle
from bot.adapters.feeds.recording import load_recording, market_rows
from bot.adapters.feeds.replay import ReplayFeed
from bot.adapters.feeds.sim import SimFeed, write_sim_recording
from bot.domain.events import BookBatch, BookUpdate, MarketListed, Resolution
from bot.domain.market import binary_market

START_MS = 1_767_225_600_000
MARKET = binary_market("m1", "Will it rain?", ("y", "n"))


def drain(feed: ReplayFeed) -> list[Cycle]:
    cycles = []
    while (cycle := feed.next_cycle()) is not None:
        cycles.append(cycle)
    return cycles


def hand_recording(tmp_path: Path, lines: list[str], payout: bool = False) -> Path:
    paid = (("y", Decimal(1)), ("n", Decimal(0))) if payout else None
    (tmp_path / "markets.json").write_text(json.dumps(market_rows(MARKET, paid)))
    (tmp_path / "ticks.csv").write_text(
        "ts_ms,token_id,best_bid,best_ask,bid_size,ask_size\n" + "\n".join(lines) + "\n"
    )
    return tmp_path


def test_cycles_follow_the_data_clock_including_gaps(tmp_path: Path) -> None:
    rows = [
        "1500,y,0.4,0.5,1,1",
        "1000,y,0.4,0.5,1,2",
        "2000,n,0.5,0.6,1,3",
        "2000,y,0.4,0.5,1,4",
        "2001,y,0.4,0.5,1,5",
        "5000,n,0.5,0.6,1,6",
    ]
    cycles = drain(ReplayFeed(load_recording(hand_recording(tmp_path, rows, payout=True))))
    assert [c.ts_ms for c in cycles] == [1000, 2000, 3000, 4000, 5000]
    sizes = [[e.book.asks[0][1] for e in c.book_updates()] for c in cycles]
    assert sizes == [[2.0], [1.0, 3.0, 4.0], [5.0], [], [6.0]]  # (end - 1000, end], ties in file order
    assert cycles[0].events[0] == MarketListed(1000, MARKET)
    assert cycles[-1].events[-1] == Resolution(5000, "m1", (("y", Decimal(1)), ("n", Decimal(0))))
    assert not any(isinstance(e, (MarketListed, Resolution)) for c in cycles[1:-1] for e in c.events)


def test_cycle_length_is_configurable(tmp_path: Path) -> None:
    rows = ["100,y,0.4,0.5,1,1", "250,y,0.4,0.5,1,1", "260,y,0.4,0.5,1,1"]
    feed = ReplayFeed(load_recording(hand_recording(tmp_path, rows)), cycle_ms=250, speed=10.0)
    assert feed.speed == 10.0
    cycles = drain(feed)
    assert [(c.ts_ms, len(c.book_updates())) for c in cycles] == [
        (250, 2),
        (500, 1),
    ]


def test_empty_recording_still_lists_and_resolves(tmp_path: Path) -> None:
    cycles = drain(ReplayFeed(load_recording(hand_recording(tmp_path, [], payout=True))))
    assert len(cycles) == 1
    assert [type(e) for e in cycles[0].events] == [MarketListed, Resolution]


def test_replay_of_a_sim_recording_gives_the_sims_book_updates(tmp_path: Path) -> None:
    write_sim_recording(tmp_path, markets=25, seed=4, seconds=90, start_ts_ms=START_MS)
    sim = SimFeed(25, 4, START_MS, max_cycles=90)
    sim_cycles = []
    while (cycle := sim.next_cycle()) is not None:
        sim_cycles.append(cycle)
    replay_cycles = drain(ReplayFeed(load_recording(tmp_path)))
    assert [c.ts_ms for c in replay_cycles] == [c.ts_ms for c in sim_cycles]
    for sim_cycle, replay_cycle in zip(sim_cycles, replay_cycles, strict=True):
        assert replay_cycle.book_updates() == [
            e for e in sim_cycle.events if isinstance(e, BookUpdate)
        ]
    listed = {e.market.market_id for c in sim_cycles for e in c.events if isinstance(e, MarketListed)}
    assert {e.market.market_id for e in replay_cycles[0].events if isinstance(e, MarketListed)} == listed


def test_replay_is_deterministic(tmp_path: Path) -> None:
    write_sim_recording(tmp_path, markets=10, seed=1, seconds=30)
    recording = load_recording(tmp_path)
    def facts(cycles: list[Cycle]) -> str:
        return repr([(c.ts_ms, c.book_updates(), [e for e in c.events if not isinstance(e, BookBatch)])
                     for c in cycles])

    assert facts(drain(ReplayFeed(recording))) == facts(drain(ReplayFeed(load_recording(tmp_path))))


def test_rejects_nonpositive_cycle(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cycle_ms"):
        ReplayFeed(load_recording(hand_recording(tmp_path, [])), cycle_ms=0)
