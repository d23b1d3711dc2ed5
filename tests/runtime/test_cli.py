"""The CLI as a user runs it: a sim run leaves trades, signals and equity; status agrees with them."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from tests.builders import busy_config

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def sim_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("cli")
    data_dir = tmp / "data"
    result = cli("run", "--source", "sim", "--duration", "12", "--speed", "60", "--config", str(busy_config(tmp)),
                 "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    return data_dir


def test_a_sim_run_leaves_trades_signals_and_equity_in_store_and_snapshots(sim_run: Path) -> None:
    con = duckdb.connect(str(sim_run / "polybot.duckdb"), read_only=True)  # the bot has exited
    try:
        counts = {table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                  for table in ("trades", "signals", "equity", "fills", "orders", "ticks", "bars_1m", "journal")}
    finally:
        con.close()
    assert counts["trades"] > 0 and counts["signals"] > 0 and counts["equity"] > 1 and counts["fills"] > 0
    assert counts["ticks"] > 0 and counts["bars_1m"] > 0
    for table in ("trades", "signals", "equity", "fills"):
        assert pq.read_table(sim_run / "snapshots" / f"{table}.parquet").num_rows == min(counts[table], 50_000)


def test_status_json_agrees_with_the_store_and_snapshots(sim_run: Path) -> None:
    status = json.loads(cli("status", "--json", "--data-dir", str(sim_run)).stdout)
    trades = pq.read_table(sim_run / "snapshots" / "trades.parquet").to_pylist()
    fills = pq.read_table(sim_run / "snapshots" / "fills.parquet").to_pylist()
    assert status["status"] == "stopped" and status["mode"] == "paper"
    assert status["trades_total"] == len(trades) == status["trades_in_snapshot"]
    assert status["wins_total"] == sum(1 for t in trades if t["pnl_usd"] > 0)
    cash = Decimal(75) + sum((f["cash_delta"] for f in fills), Decimal(0))
    assert Decimal(status["cash_usd"]) == cash
    positions = json.loads(cli("positions", "--json", "--data-dir", str(sim_run)).stdout)
    assert status["open_positions"] == len(positions) == pq.read_table(sim_run / "snapshots" / "positions.parquet").num_rows
    realised = sum((t["pnl_usd"] for t in trades), Decimal(0))
    unrealised = sum((Decimal(p["unrealised_usd"]) for p in positions), Decimal(0))
    assert abs(Decimal(status["total_pnl_usd"]) - (realised + unrealised)) < Decimal("0.01")


def test_trades_and_performance_read_while_describing_in_plain_english(sim_run: Path) -> None:
    text = cli("trades", "--last", "3", "--data-dir", str(sim_run)).stdout
    assert text.count("\n") <= 3 and ("Sold" in text or "resolved" in text)
    perf = json.loads(cli("performance", "--period", "7d", "--json", "--data-dir", str(sim_run)).stdout)
    assert perf["trades"] == len(pq.read_table(sim_run / "snapshots" / "trades.parquet"))
    bad = cli("performance", "--period", "fortnight", "--data-dir", str(sim_run))
    assert bad.returncode == 2 and "24h, 7d, 30d or all" in bad.stderr


def test_status_without_a_bot_says_how_to_start_it(tmp_path: Path) -> None:
    result = cli("status", "--data-dir", str(tmp_path))
    assert result.returncode == 0 and "make run" in result.stdout


def test_a_malformed_replay_file_is_rejected_clearly_and_nothing_is_written(tmp_path: Path) -> None:
    recording = tmp_path / "rec"
    recording.mkdir()
    (recording / "ticks.csv").write_text("ts_ms,token_id,best_bid,best_ask,bid_size,ask_size\n"
                                         "1000,a,0.40,1.50,10,10\n")
    (recording / "markets.json").write_text(json.dumps([
        {"market_id": "m", "question": "Q?", "token_id": "a", "outcome": "Yes", "complement_token_id": "b",
         "end_ts_ms": None, "tick_size": 0.01, "min_order_size": 5, "fee_rate": 0, "neg_risk": False},
        {"market_id": "m", "question": "Q?", "token_id": "b", "outcome": "No", "complement_token_id": "a",
         "end_ts_ms": None, "tick_size": 0.01, "min_order_size": 5, "fee_rate": 0, "neg_risk": False}]))
    data_dir = tmp_path / "data"
    result = cli("run", "--source", "replay", "--replay", str(recording), "--data-dir", str(data_dir))
    assert result.returncode == 2
    assert "best_ask" in result.stderr and "[0, 1]" in result.stderr and "row 0" in result.stderr
    assert not (data_dir / "polybot.duckdb").exists()
