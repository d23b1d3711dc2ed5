"""Backtests: parity with `run --source replay`, metrics, stored runs, params errors, the CLI and sweeps."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from bot.config.loader import load_settings
from bot.config.schema import ConfigError, Settings
from bot.runtime.backtest import backtest_settings, list_runs, parse_params, run_backtest, save_run
from bot.runtime.backtest_sweep import parse_grid, sweep
from tests.builders import busy_config, sim_recording

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_backtest_and_run_source_replay_give_identical_signals_and_fills(tmp_path: Path) -> None:
    rec = sim_recording(tmp_path / "rec")
    config = busy_config(tmp_path)
    run = run_backtest(load_settings(config), "spike_hunter", data=rec)
    assert run.fills, "the parity check means little without fills"
    data = tmp_path / "live"
    done = subprocess.run([sys.executable, "-m", "bot", "run", "--source", "replay", "--replay", str(rec), "--speed", "0",
                           "--config", str(config), "--data-dir", str(data)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    with duckdb.connect(str(data / "polybot.duckdb"), read_only=True) as db:
        fills = db.execute("SELECT fill_id, token_id, side, price, shares, fee_usd, ts_ms FROM fills ORDER BY seq").fetchall()
        signals = db.execute("SELECT signal_id, decision, reason FROM signals ORDER BY seq").fetchall()
    assert [(f.fill_id, f.token_id, f.side.value, f.price, f.shares, f.fee_usd, f.ts_ms) for f in run.fills] == \
        [(a, b, c, Decimal(d), Decimal(e), Decimal(f), g) for a, b, c, d, e, f, g in fills]
    assert [(s.signal_id, s.decision.value, s.reason) for s in run.signals] == signals


def test_metrics_on_a_sim_run_add_up(tmp_path: Path) -> None:
    settings = load_settings(busy_config(tmp_path))
    run = run_backtest(settings, "spike_hunter", sim_cycles=600)
    m = run.metrics
    assert m["cycles"] == 600 and m["trades"] == len(run.trades) > 0
    realised = sum(float(t.pnl_usd) for t in run.trades)
    assert m["total_pnl_usd"] == pytest.approx(run.equity[-1][1] - 75, abs=1e-6)
    assert m["open_positions_at_end"] in (0, 1)
    if not m["open_positions_at_end"]:
        assert m["total_pnl_usd"] == pytest.approx(realised, abs=1e-6)
    assert 0 <= m["win_rate_pct"] <= 100 and 0 <= m["exposure_pct"] <= 100
    assert m["max_drawdown_pct"] >= 0 and m["fees_usd"] >= 0
    assert m["sharpe_daily"] is None, "ten minutes of data hold no daily return series"
    folder = save_run(run, tmp_path / "backtests", "20270101T000000")
    listed = list_runs(tmp_path / "backtests")
    assert listed[0]["id"] == folder.name and listed[0]["trades"] == m["trades"]
    assert len(json.loads((folder / "trades.json").read_text())) == m["trades"]


def test_only_the_chosen_strategy_trades_and_bad_params_are_explained() -> None:
    s = backtest_settings(Settings(), "mean_reversion", {"entry_z": 3})
    assert s.strategies.mean_reversion.enabled and not s.strategies.spike_hunter.enabled
    assert s.strategies.mean_reversion.entry_z == 3
    with pytest.raises(ConfigError, match="did you mean 'strategies.mean_reversion.entry_z'"):
        backtest_settings(Settings(), "mean_reversion", {"entry_zz": 3})
    with pytest.raises(ConfigError, match="did you mean 'momentum'"):
        backtest_settings(Settings(), "momentun", {})
    assert parse_params("a=1,b=fade,c=true,d=0.5") == {"a": 1, "b": "fade", "c": True, "d": 0.5}
    assert parse_grid("x=1|2,y=a|b") == [{"x": 1, "y": "a"}, {"x": 1, "y": "b"}, {"x": 2, "y": "a"}, {"x": 2, "y": "b"}]


@pytest.mark.slow
def test_a_sweep_runs_every_point_in_processes_and_ranks_them(tmp_path: Path) -> None:
    settings = load_settings(busy_config(tmp_path))
    results = sweep(settings, "spike_hunter", {}, parse_grid("direction=fade|follow"), data=None, sim_cycles=300,
                    workers=2)
    assert [r["rank"] for r in results] == [1, 2]
    assert {r["params"]["direction"] for r in results} == {"fade", "follow"}
    assert results[0]["total_pnl_usd"] >= results[1]["total_pnl_usd"]


def test_the_cli_runs_lists_and_explains(tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot", *args, "--data-dir", str(tmp_path)], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)

    done = cli("backtest", "--strategy", "spike_hunter", "--sim", "--cycles", "120", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["cycles"] == 120 and report["strategy"] == "spike_hunter"
    listed = json.loads(cli("backtest", "--list", "--json").stdout)
    assert listed[0]["id"] == report["id"]
    bad = cli("backtest", "--strategy", "momentum", "--sim", "--params", "min_mvoe=0.1")
    assert bad.returncode == 2 and "did you mean 'strategies.momentum.min_move'" in bad.stderr
