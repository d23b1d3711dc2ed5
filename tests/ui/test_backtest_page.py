"""The Backtest page headlessly (Streamlit AppTest): the empty state, real stored runs with their report,
equity curve and trades, runs side by side, and runs started from the page in a real subprocess:
one that finishes and joins the list, one that fails with the CLI's own words, one that is stopped."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.test_pages_apptest import page_text, render

PAGE = "pages/backtest.py"


def run_ids(data_dir: Path) -> set[str]:
    return {p.parent.name for p in (data_dir / "backtests").glob("*/report.json")}


def wait_page(at: AppTest, done: Callable[[AppTest], bool], timeout_s: float = 90) -> AppTest:
    """Rerun the page (as its 1 s progress fragment would) until ``done(at)``."""
    deadline = time.monotonic() + timeout_s
    while not done(at):
        assert time.monotonic() < deadline, page_text(at)
        time.sleep(0.3)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def test_with_no_runs_the_page_says_how_to_make_one(empty_dir: Path, config_copy: Path) -> None:
    at = render(PAGE)
    assert at.title[0].value == "Backtest"
    assert "No backtests yet" in page_text(at) and "python -m bot backtest --strategy spike_hunter --sim" in page_text(at)
    assert at.button(key="bt_start").label == "Start backtest" and not at.button(key="bt_start").disabled
    assert at.selectbox(key="bt_strategy").value == "spike_hunter" and "Mean reversion" in at.selectbox(key="bt_strategy").options
    assert not at.get("plotly_chart")


def test_a_stored_run_shows_its_report_equity_and_trades(backtest_dir: Path, config_copy: Path) -> None:
    at = render(PAGE)
    newest = json.loads(sorted((backtest_dir / "backtests").glob("*/report.json"))[-1].read_text())
    assert at.selectbox(key="bt_run").value == newest["id"], "the newest run is shown first"
    shown = {m.label: m.value for m in at.metric}
    assert shown["Trades"] == str(newest["trades"]) and shown["Sharpe"] == "—"
    body = page_text(at)
    assert "Parameters changed for this run: `direction=follow`" in body
    assert "needs two or more days of data" in body and "5 min of market time" in body
    trades = at.dataframe[0].value
    assert len(trades) == newest["trades"] and trades["Why it bought"].str.startswith("Bought").all()
    assert len(at.get("plotly_chart")) == 1


def test_two_runs_side_by_side(backtest_dir: Path, config_copy: Path) -> None:
    at = render(PAGE)
    ids = sorted(run_ids(backtest_dir))
    at.multiselect(key="bt_compare").set_value(ids).run()
    assert not at.exception
    table = at.dataframe[-1].value
    assert list(table.columns) == ["Metric", "#1 2027-01-01 00:00 UTC", "#2 2027-01-02 00:00 UTC"]
    assert dict(zip(table["Metric"], table.iloc[:, 2], strict=True))["Parameters"] == "direction=follow"
    assert "made the most" in page_text(at)
    overlay = json.loads(at.get("plotly_chart")[-1].proto.spec)
    assert len(overlay["data"]) == 2, "one P&L curve per compared run"


def test_a_run_started_on_the_page_finishes_and_joins_the_list(backtest_dir: Path, config_copy: Path,
                                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    shutil.copytree(backtest_dir / "backtests", data / "backtests")  # a private copy: this test adds a run
    monkeypatch.setenv("POLYBOT_DATA_DIR", str(data))
    at = render(PAGE)
    before = run_ids(data)
    at.number_input(key="bt_cycles").set_value(300)
    at.text_input(key="bt_overrides").set_value("direction=follow")
    at.button(key="bt_start").click().run()
    assert not at.error, [e.value for e in at.error]
    wait_page(at, lambda a: bool(a.success))
    new = run_ids(data) - before
    assert len(new) == 1 and at.selectbox(key="bt_run").value == min(new), "the finished run is shown"
    assert len(at.selectbox(key="bt_run").options) == len(before) + 1
    assert "Finished spike_hunter on the simulator: 300 cycles" in page_text(at)
    report = json.loads((data / "backtests" / min(new) / "report.json").read_text())
    assert report["cycles"] == 300 and report["params"] == {"direction": "follow"}
    at.run()
    assert not at.success, "the finished message is said once"


def test_a_misspelt_parameter_is_refused_before_anything_starts(empty_dir: Path, config_copy: Path) -> None:
    at = render(PAGE)
    at.text_input(key="bt_overrides").set_value("directoin=follow")
    at.button(key="bt_start").click().run()
    assert "Not started" in at.error[0].value and "did you mean 'strategies.spike_hunter.direction'" in at.error[0].value
    assert not (empty_dir / "backtest_jobs").exists() or not list((empty_dir / "backtest_jobs").glob("*/job.json"))


def test_a_run_that_fails_shows_the_cli_error_until_dismissed(empty_dir: Path, config_copy: Path) -> None:
    at = render(PAGE)
    at.radio(key="bt_source").set_value("path").run()
    at.text_input(key="bt_path").set_value(str(empty_dir / "no-such-recording"))
    at.button(key="bt_start").click().run()
    wait_page(at, lambda a: bool(a.error))
    assert at.error[0].value.startswith("The backtest did not run:") and "no-such-recording" in at.error[0].value
    at.button(key="bt_dismiss").click().run()
    assert not at.error and "No backtests yet" in page_text(at)


def test_one_run_at_a_time_and_stop_ends_it(empty_dir: Path, config_copy: Path) -> None:
    at = render(PAGE)
    at.number_input(key="bt_cycles").set_value(2_000_000)  # far longer than this test waits
    at.button(key="bt_start").click().run()
    wait_page(at, lambda a: any("cycles (" in p.proto.text for p in a.get("progress")))
    assert at.button(key="bt_start").disabled, "a second run cannot start while one is going"
    from pages import _backtests

    with pytest.raises(_backtests.JobRunning, match="already running"):
        _backtests.start(["backtest", "--strategy", "momentum", "--sim"], "x", config_copy)
    job = _backtests.latest_job()
    assert job is not None and job.alive()
    at.button(key="bt_stop").click().run()
    wait_page(at, lambda a: bool(a.info) and "You stopped the backtest" in a.info[0].value, timeout_s=30)
    assert not job.alive() and not list((empty_dir / "backtests").glob("*/report.json"))
    assert not at.button(key="bt_start").disabled
