"""A golden sim run: a fixed seed must give exactly the checked-in trades and P&L, every time.

Regenerate deliberately after an intended behaviour change with
``POLYBOT_UPDATE_GOLDEN=1 python -m pytest tests/runtime/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from bot.config.schema import Settings, Sim
from bot.runtime.offline import run_offline
from bot.wiring import build

GOLDEN = Path(__file__).with_name("golden_sim.json")
START_MS = 1_800_000_000_000


def golden_run() -> dict:
    settings = Settings(sim=Sim(seed=7, markets=40))
    bot = build(settings, "sim", None, start_ts_ms=START_MS)
    result = run_offline(bot, max_cycles=3600)
    engine = bot.engine
    portfolio = engine.portfolio
    trades = [
        {"token_id": t.token_id, "opened_ts_ms": t.opened_ts_ms, "closed_ts_ms": t.closed_ts_ms,
         "shares": str(t.shares), "entry_price": str(t.entry_price), "exit_price": str(t.exit_price),
         "pnl_usd": str(t.pnl_usd.quantize(portfolio.cash.__class__("0.000001"))), "exit_reason": t.exit_reason}
        for t in reversed(engine.recent_trades)
    ]
    return {
        "cycles": result.cycles, "events": result.events, "signals": engine.counters["signals"],
        "orders": engine.counters["orders"], "fills": engine.counters["fills"], "trades": trades,
        "open_positions": sorted(portfolio.positions), "cash_usd": str(portfolio.cash),
        "realised_usd": str(portfolio.realised_total.quantize(portfolio.cash.__class__("0.000001"))),
        "fees_usd": str(portfolio.fees_total),
    }


def test_golden_sim_run_matches_the_checked_in_result() -> None:
    got = golden_run()
    if os.environ.get("POLYBOT_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(got, indent=2) + "\n")
    expected = json.loads(GOLDEN.read_text())
    assert got == expected
    assert got["trades"], "the golden run must contain trades to mean anything"


def test_a_second_identical_run_is_identical() -> None:
    assert golden_run() == golden_run()
