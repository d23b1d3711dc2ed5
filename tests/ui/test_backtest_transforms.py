"""ui/backtest.py: the start form's checks and command line, progress in words, report cards,
trades, comparison and charts, on reports written by a real backtest of the simulator."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from bot.config.schema import ConfigError, Settings
from ui import backtest as bt

SETTINGS = Settings().model_dump(mode="json")


@pytest.fixture(scope="module")
def stored(stored_backtests: Path) -> list[dict]:
    """The two real stored runs of conftest.py (fade, then follow), as the page reads them."""
    return [{name: json.loads((folder / f"{name}.json").read_text()) for name in ("report", "trades", "equity")}
            for folder in sorted((stored_backtests / "backtests").iterdir())]


def test_numeric_params_are_offered_and_only_changed_ones_are_passed() -> None:
    block = {"enabled": True, "direction": "fade", "max_capital_usd": Decimal(75), "window_points": 60,
             "entry_z": 2.0, "references": {"t": 0.4}, "neg_risk_groups": False}
    assert bt.numeric_params(block) == {"max_capital_usd": 75.0, "window_points": 60, "entry_z": 2.0}
    assert bt.changed_params(block, {"max_capital_usd": 75.0, "window_points": 90, "entry_z": 2.0}) == {"window_points": 90}


def test_overrides_parse_like_the_cli_and_bad_ones_are_explained() -> None:
    assert bt.parse_overrides(" direction=follow, entry_z=2.5 ,flag=true") == {"direction": "follow", "entry_z": 2.5,
                                                                             "flag": True}
    assert bt.parse_overrides("") == {}
    with pytest.raises(ConfigError, match="must look like name=value"):
        bt.parse_overrides("direction")
    assert bt.params_text({"a": 1, "b": True, "c": "fade"}) == "a=1,b=true,c=fade"


def test_params_are_checked_by_the_config_validator_with_a_did_you_mean() -> None:
    bt.check_params(SETTINGS, "mean_reversion", {"entry_z": 3})
    with pytest.raises(ConfigError, match="did you mean 'strategies.mean_reversion.entry_z'"):
        bt.check_params(SETTINGS, "mean_reversion", {"entry_zz": 3})
    with pytest.raises(ConfigError, match="entry_z"):
        bt.check_params(SETTINGS, "mean_reversion", {"entry_z": -1})  # out of bounds
    with pytest.raises(ConfigError, match="did you mean 'momentum'"):
        bt.check_params(SETTINGS, "momentun", {})
    assert SETTINGS["strategies"]["mean_reversion"].get("entry_zz") is None, "the check must not change its input"


def test_the_command_line_for_sim_recording_and_time_window() -> None:
    sim = bt.BacktestForm("spike_hunter", bt.SIM, {"direction": "follow"}, 600)
    assert bt.cli_args(sim) == ["backtest", "--strategy", "spike_hunter", "--sim", "--cycles", "600",
                                "--params", "direction=follow"]
    rec = bt.BacktestForm("momentum", " /d/rec ", {}, None, "2026-06-07T01:40", "1780800000000")
    assert bt.cli_args(rec) == ["backtest", "--strategy", "momentum", "--data", "/d/rec",
                                "--from", "1780796400000", "--to", "1780800000000"]
    assert bt.parse_time("2026-06-07T01:40") == 1780796400000  # UTC unless the text says otherwise
    with pytest.raises(ConfigError, match="after the start"):
        bt.cli_args(bt.BacktestForm("momentum", "/d", {}, None, "2026-06-07T02:00", "2026-06-07T01:00"))
    with pytest.raises(ConfigError, match="neither epoch milliseconds"):
        bt.cli_args(bt.BacktestForm("momentum", "/d", {}, None, "yesterday"))
    with pytest.raises(ConfigError, match="choose the simulator or a recording"):
        bt.cli_args(bt.BacktestForm("momentum", "  "))


def test_progress_in_words_for_each_state_of_a_job() -> None:
    now = 1_000_000
    loading = bt.job_view({"status": "running", "done": 0, "total": 0, "started_ts_ms": now - 3000}, True, "x", now)
    assert loading.status == "running" and "Loading the data" in loading.line and "3 s" in loading.line
    half = bt.job_view({"status": "running", "done": 1800, "total": 3600, "started_ts_ms": now - 10_000}, True, "x", now)
    assert half.fraction == 0.5 and "1,800 of 3,600 cycles (50%)" in half.line and "about 10 s left" in half.line
    done = bt.job_view({"status": "done", "done": 3600, "total": 3600, "run_id": "R1"}, False, "x", now)
    assert done.status == "done" and done.fraction == 1.0 and "R1" in done.line
    failed = bt.job_view({"status": "failed", "error": "backtest --params for momentum has 1 problem(s):\n"
                          "  - strategies.momentum.min_mvoe: unknown setting; did you mean 'strategies.momentum.min_move'?"},
                         False, "x", now)
    assert failed.status == "failed"
    assert failed.line.startswith("The backtest did not run: ") and "\n- strategies.momentum.min_mvoe" in failed.line
    crashed = bt.job_view({"status": "running", "done": 5, "total": 10}, False, "x", now,
                          "Traceback (most recent call last):\n  File ...\nMemoryError\n")
    assert crashed.status == "stopped" and crashed.line.endswith("MemoryError")
    vanished = bt.job_view({"status": "running"}, False, "x", now)
    assert vanished.status == "stopped" and "stopped before it finished" in vanished.line


def test_report_cards_summary_and_trades_from_a_real_run(stored: list[dict]) -> None:
    report, trades = stored[0]["report"], stored[0]["trades"]
    assert report["trades"] == len(trades) > 0, "the busy config trades within 300 s"
    cards = {label: (value, caption) for label, value, caption in bt.metric_cards(report, bt.wins(trades))}
    assert list(cards) == ["P&L", "Return", "Win rate", "Profit factor", "Sharpe", "Sortino", "Max drawdown",
                           "Fees paid", "Trades", "Average hold"]
    assert cards["Trades"][0] == str(len(trades))
    assert cards["P&L"][0].replace("+", "").replace("-", "") == f"${abs(report['total_pnl_usd']):,.2f}"
    assert f"{bt.wins(trades)} of {len(trades)} closed trade" in cards["Win rate"][1]
    assert cards["Sharpe"] == ("—", "needs two or more days of data")
    line = bt.summary(report)
    assert line.startswith("spike_hunter on sim seed") and "5 min of market time" in line
    frame = bt.trades_frame(trades)
    assert list(frame.columns) == bt.TRADE_COLUMNS and len(frame) == len(trades)
    assert frame["Why it bought"].str.startswith("Bought").all()
    assert bt.equity_chart(stored[0]["equity"], bt.starting_usd(stored[0]["equity"])).data[0].y[0] == pytest.approx(
        stored[0]["equity"][0]["equity_usd"])


def test_runs_side_by_side(stored: list[dict]) -> None:
    reports = [s["report"] for s in stored]
    table = bt.comparison(reports)
    assert list(table.columns) == ["Metric", "#1 2027-01-01 00:00 UTC", "#2 2027-01-02 00:00 UTC"]
    row = dict(zip(table["Metric"], table.iloc[:, 2], strict=True))
    assert row["Parameters"] == "direction=follow" and row["Trades"] == str(reports[1]["trades"])
    verdict = bt.best_run(reports)
    best = max(range(2), key=lambda i: reports[i]["total_pnl_usd"])
    assert verdict.startswith(f"#{best + 1} made the most")
    fig = bt.overlay_chart([(bt.run_label(s["report"]), s["equity"], bt.starting_usd(s["equity"])) for s in stored])
    assert len(fig.data) == 2 and fig.data[0].x[0] == 0 and fig.data[0].y[0] == 0
    assert fig.data[1].y[-1] == pytest.approx(stored[1]["equity"][-1]["equity_usd"] - stored[1]["equity"][0]["equity_usd"])
    assert "no equity points" in bt.overlay_chart([("a", [], None)]).layout.annotations[0].text


def test_run_labels_name_time_strategy_params_and_result() -> None:
    label = bt.run_label({"id": "20270101T120000123456-momentum", "strategy": "momentum", "params": {"min_move": 0.05},
                          "total_pnl_usd": 0.4213})
    assert label == "2027-01-01 12:00 UTC · momentum (min_move=0.05) · +$0.42"
    assert bt.run_time("odd-folder") == "odd-folder"

