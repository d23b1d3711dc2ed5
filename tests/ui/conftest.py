"""Fixtures for the dashboard tests: data dirs laid out exactly as the bot publishes them.

``populated_dir`` writes a realistic state.json (docs/READ_MODEL.md, version 1) and snapshot
Parquet files with the contract's Arrow schema; ``stale_dir`` is the same bot gone quiet.
"""

from __future__ import annotations

import json
import math
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bot.adapters.storage.read_model import arrow_schema

Q1 = "Will the Lakers win on Friday?"
Q2 = "Will it snow in London on Christmas Day?"
Q3 = "Will BTC close above $100k this week?"
ENTRY_REASON = "Bought No at 47¢ because Yes jumped 6.1¢ in 3 s, CUSUM 0.041 > 0.030"
EXIT_REASON = "Sold at 49¢: target reached (+2¢)"


def _series(now_ms: int, n: int = 300) -> dict[str, list[float]]:
    ts = [now_ms - (n - i) * 1000 for i in range(n)]
    price = [0.50 + 0.01 * math.sin(i / 20) + (0.05 if i > n - 20 else 0.0) for i in range(n)]
    return {
        "ts_ms": ts, "price": price, "ewma_mean": [p - 0.002 for p in price],
        "upper_band": [p + 0.02 for p in price], "lower_band": [p - 0.02 for p in price],
        "cusum_pos": [0.0 if i < n - 20 else 0.002 * (i - n + 20) for i in range(n)],
        "cusum_neg": [0.001] * n,
    }


def _market(mid: str, question: str, price: float, status: str, explanation: str,
            cusum_pos: float) -> dict[str, Any]:
    return {
        "market_id": mid, "question": question, "token_id": f"{mid}-yes", "outcome": "Yes",
        "price": price, "best_bid": price - 0.01, "best_ask": price + 0.01, "spread": 0.02,
        "move_60s": 0.061 if status == "spike" else 0.0, "ewma_mean": price, "upper_band": price + 0.02,
        "lower_band": price - 0.02, "cusum_pos": cusum_pos, "cusum_neg": 0.0, "cusum_threshold": 0.03,
        "roc_pct": 0.4, "samples": 60, "status": status, "explanation": explanation,
    }


def make_state(written_ts_ms: int) -> dict[str, Any]:
    now = written_ts_ms
    return {
        "version": 1, "written_ts_ms": now, "market_ts_ms": now, "started_ts_ms": now - 3_600_000,
        "mode": "paper", "source": "sim", "status": "running",
        "cycle": {"count": 3600, "last_ms": 1.2, "p50_ms": 1.0, "p99_ms": 4.0, "events": 120},
        "capital": {"starting_usd": "75", "cash_usd": "72.45", "positions_value_usd": "2.93",
                    "equity_usd": "75.38", "peak_equity_usd": "75.60"},
        "performance": {
            "today_pnl_usd": "0.45", "today_realised_usd": "0.52", "unrealised_usd": "-0.07",
            "total_pnl_usd": "1.23", "trades_today": 6, "wins_today": 4, "losses_today": 2,
            "trades_total": 14, "wins_total": 9, "losses_total": 5, "fees_total_usd": "0.08",
            "drawdown_pct": 0.3,
        },
        "risk": {
            "daily_loss_usd": "0.40", "daily_loss_limit_usd": "2", "daily_loss_used_pct": 20.0,
            "open_trades": 1, "max_open_trades": 2, "paused": False, "entries_stopped": False,
            "breaker": {"tripped": False, "until_ts_ms": None, "consecutive_losses": 1, "threshold": 3},
            "drawdown_pct": 0.3, "max_drawdown_pct": 10.0, "kill_switch": False,
            "cooldowns": [{"market_id": "m1", "question": Q1, "seconds_left": 12}],
        },
        "markets": [
            _market("m1", Q1, 0.55, "spike", "Spike: Yes up 6.1¢ in 60 s, above its band (52¢).", 0.041),
            _market("m2", Q2, 0.12, "normal", "Steady: price 12¢, within its normal band (10¢–14¢).", 0.004),
            _market("m3", Q3, 0.80, "quiet", "Quiet: no trades in the last 5 minutes.", 0.0),
        ],
        "selected": {
            "market_id": "m1", "token_id": "m1-yes", "question": Q1, "series": _series(now),
            "cusum_threshold": 0.03,
            "markers": [
                {"ts_ms": now - 15_000, "price": 0.55, "side": "BUY", "text": ENTRY_REASON},
                {"ts_ms": now - 5_000, "price": 0.56, "side": "SELL", "text": EXIT_REASON},
            ],
        },
        "positions": [{
            "market_id": "m2", "question": Q2, "token_id": "m2-no", "outcome": "No",
            "strategy": "spike_hunter", "shares": "6.38", "entry_price": "0.47", "mark_price": 0.46,
            "cost_usd": "3.00", "value_usd": "2.93", "unrealised_usd": "-0.07", "stop_price": "0.44",
            "target_price": "0.50", "opened_ts_ms": now - 90_000,
            "reason": "Bought No at 47¢ because Yes spiked",
        }],
        "recent_signals": [],
        "recent_trades": [
            {"trade_id": "t2", "market_id": "m1", "question": Q1, "token_id": "m1-no", "outcome": "No",
             "strategy": "spike_hunter", "shares": "6.38", "entry_price": "0.47", "exit_price": "0.49",
             "pnl_usd": "0.12", "fees_usd": "0.01", "opened_ts_ms": now - 60_000,
             "closed_ts_ms": now - 30_000, "entry_reason": ENTRY_REASON, "exit_reason": EXIT_REASON},
            {"trade_id": "t1", "market_id": "m3", "question": Q3, "token_id": "m3-yes", "outcome": "Yes",
             "strategy": "spike_hunter", "shares": "5", "entry_price": "0.80", "exit_price": "0.76",
             "pnl_usd": "-0.20", "fees_usd": "0.01", "opened_ts_ms": now - 900_000,
             "closed_ts_ms": now - 600_000, "entry_reason": "Bought Yes at 80¢ on a dip",
             "exit_reason": "Stop loss hit at 76¢"},
        ],
        "counters": {"events": 1000, "book_updates": 900, "dropped": {"bad_book": 0, "unknown_token": 0}},
        "feed": {"source": "sim", "status": "ok", "last_event_age_s": 0.2, "markets": 3, "tokens": 6},
        "commands": {"last_done": []},
        "process": {"pid": 1234, "rss_mb": 180.0},
    }


def _write_trades(snapshots: Path, now_ms: int) -> None:
    d = Decimal
    rows = [
        ("t1", "m3", Q3, "m3-yes", "Yes", d("5"), d("0.80"), d("0.76"), d("4.00"), d("3.80"), d("-0.20"),
         d("0.01"), now_ms - 900_000, now_ms - 600_000, "Bought Yes at 80¢ on a dip", "Stop loss hit at 76¢"),
        ("t2", "m1", Q1, "m1-no", "No", d("6.38"), d("0.47"), d("0.49"), d("3.00"), d("3.12"), d("0.12"),
         d("0.01"), now_ms - 60_000, now_ms - 30_000, ENTRY_REASON, EXIT_REASON),
    ]
    schema = arrow_schema("trades")
    names = [f.name for f in schema if f.name != "strategy"]
    columns = {name: [row[i] for row in rows] for i, name in enumerate(names)}
    columns["strategy"] = ["spike_hunter"] * len(rows)
    pq.write_table(pa.table({f.name: columns[f.name] for f in schema}, schema=schema),
                   snapshots / "trades.parquet")


def populate(data_dir: Path, written_ts_ms: int | None = None) -> Path:
    """Lay out ``data_dir`` as a running paper bot would: state.json plus snapshots."""
    now = time.time_ns() // 1_000_000
    snapshots = data_dir / "snapshots"
    snapshots.mkdir(parents=True, exist_ok=True)
    (data_dir / "commands").mkdir(exist_ok=True)
    (data_dir / "state.json").write_text(json.dumps(make_state(written_ts_ms or now)))
    _write_trades(snapshots, now)
    return data_dir


@pytest.fixture
def empty_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("POLYBOT_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def populated_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("POLYBOT_DATA_DIR", str(tmp_path))
    return populate(tmp_path)


@pytest.fixture
def stale_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("POLYBOT_DATA_DIR", str(tmp_path))
    return populate(tmp_path, written_ts_ms=time.time_ns() // 1_000_000 - 42_000)


@pytest.fixture(scope="session")
def sim_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir written by a REAL bot: `python -m bot run --source sim --speed 0 --duration 10`
    with the busy test config (so it trades), then stopped. Returns the data dir; its config is
    next to it as config.yaml."""
    import subprocess
    import sys

    from tests.builders import busy_config

    root = tmp_path_factory.mktemp("sim_run")
    config = busy_config(root)
    # Short holds so round trips close within a few hundred cycles even on a loaded machine.
    config.write_text(config.read_text().replace("max_hold_s: 90", "max_hold_s: 15"))
    data_dir = root / "data"
    repo = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in __import__("os").environ.items() if k != "DASHBOARD_PASSWORD"}
    subprocess.run([sys.executable, "-m", "bot", "run", "--source", "sim", "--speed", "0", "--duration", "10",
                    "--config", str(config), "--data-dir", str(data_dir)], cwd=repo, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    return data_dir


@pytest.fixture
def sim_dir(sim_run: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("POLYBOT_DATA_DIR", str(sim_run))
    monkeypatch.setenv("POLYBOT_CONFIG", str(sim_run.parent / "config.yaml"))
    return sim_run


@pytest.fixture(autouse=True)
def _no_password_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages render without the sign-in form unless a test sets DASHBOARD_PASSWORD itself."""
    monkeypatch.setenv("DASHBOARD_PASSWORD", "")


@pytest.fixture
def config_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of config/config.yaml for pages that write settings."""
    from bot.config.loader import DEFAULT_CONFIG_PATH

    path = tmp_path / "config.yaml"
    path.write_text(DEFAULT_CONFIG_PATH.read_text())
    monkeypatch.setenv("POLYBOT_CONFIG", str(path))
    return path


@pytest.fixture(scope="session")
def stored_backtests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir holding two REAL stored backtests (spike_hunter fading and following spikes over
    300 simulated seconds with the busy config), written by run_backtest + save_run as the CLI does."""
    from bot.config.loader import load_settings
    from bot.runtime.backtest import run_backtest, save_run
    from tests.builders import busy_config

    root = tmp_path_factory.mktemp("backtests")
    settings = load_settings(busy_config(root))
    for day, direction in enumerate(("fade", "follow"), start=1):
        run = run_backtest(settings, "spike_hunter", {"direction": direction}, sim_cycles=300)
        save_run(run, root / "data" / "backtests", f"2027010{day}T000000000000")
    return root / "data"


@pytest.fixture
def backtest_dir(stored_backtests: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("POLYBOT_DATA_DIR", str(stored_backtests))
    return stored_backtests
