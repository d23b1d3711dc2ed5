"""Every dashboard page rendered headlessly with Streamlit's AppTest: on an empty data dir (no bot
yet), on one laid out like a running paper bot's (conftest.py) and on a REAL sim run's output;
plus the numbers that must agree across pages and with `python -m bot status --json`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bot.adapters.storage.commands import CommandInbox
from bot.adapters.storage.snapshot_reader import SnapshotReader
from tests.ui.conftest import ENTRY_REASON, EXIT_REASON
from ui import text

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PAGES = [None, "pages/markets.py", "pages/trades.py", "pages/signals.py", "pages/pnl.py", "pages/control.py",
         "pages/safety.py", "pages/strategies.py", "pages/settings.py", "pages/health.py",
         "pages/data_explorer.py", "pages/backtest.py"]
TITLES = ["Overview", "Markets", "Trades", "Signals and anomalies", "P&L", "Control", "Safety", "Strategies",
          "Settings", "Health", "Data explorer", "Backtest"]


def render(page: str | None, query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(query or {})
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_text(at: AppTest) -> str:
    """All visible text, with markdown's "\\$" escapes undone, to search for phrases."""
    parts: list[str] = [f"{m.label} {m.value}" for m in at.metric]
    for kind in ("title", "header", "subheader", "caption", "markdown", "info", "warning", "success", "error"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [p.text for p in at.get("progress")]
    parts += [df.value.to_string() for df in at.dataframe]
    return "\n".join(parts).replace("\\$", "$")


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def status_json(data_dir: Path) -> dict:
    out = subprocess.run([sys.executable, "-m", "bot", "status", "--json", "--data-dir", str(data_dir)], cwd=ROOT,
                         capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


# -- every page, three data dirs ------------------------------------------------------------------

@pytest.mark.parametrize(("page", "title"), list(zip(PAGES, TITLES, strict=True)))
def test_every_page_renders_with_an_empty_data_dir(empty_dir: Path, config_copy: Path, page: str | None,
                                                   title: str) -> None:
    at = render(page)
    assert at.title[0].value == title
    if page not in ("pages/settings.py", "pages/data_explorer.py", "pages/strategies.py", "pages/backtest.py"):
        assert "The bot is not running yet" in page_text(at)


@pytest.mark.parametrize(("page", "title"), list(zip(PAGES, TITLES, strict=True)))
def test_every_page_renders_with_a_populated_data_dir(populated_dir: Path, config_copy: Path, page: str | None,
                                                      title: str) -> None:
    at = render(page)
    assert at.title[0].value == title
    assert "The bot is not running yet" not in page_text(at)


KEY_NUMBERS = {  # page -> what must be on it, from the real run (see test below)
    None: lambda s, t: [f"Total P&L {text.money(s['total_pnl_usd'], signed=True)}"],
    "pages/markets.py": lambda s, t: [f"of {len(t['markets'])} markets shown", "Manual paper trade"],
    "pages/trades.py": lambda s, t: [f"Closed trades {s['trades_total']}", text.plural(s["trades_total"], "trade") + ":"],
    "pages/signals.py": lambda s, t: [f"{len(t['signals'])} signals"],
    "pages/pnl.py": lambda s, t: [f"Fees paid {text.money(s['fees_total_usd'])}", "spike_hunter"],
    "pages/control.py": lambda s, t: ["Stopped", "the bot process has shut down"],
    "pages/safety.py": lambda s, t: [f"{text.money(s['daily_loss_usd'])} of your"],
    "pages/strategies.py": lambda s, t: ["Spike hunter", f"Closed trades {s['trades_total']}"],
    "pages/settings.py": lambda s, t: ["cusum threshold"],
    "pages/health.py": lambda s, t: ["Cycle time p50 / p99", "stopped after"],
    "pages/data_explorer.py": lambda s, t: [f"{len(t['signals']):,}"],
    "pages/backtest.py": lambda s, t: ["No backtests yet", "Seconds of market time to simulate"],
}


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_its_key_numbers_from_a_real_sim_run(sim_dir: Path, page: str | None) -> None:
    status = status_json(sim_dir)
    assert status["trades_total"] > 0, "the busy sim run should have closed trades"
    tables = {name: SnapshotReader(sim_dir).table(name) for name in ("signals", "markets")}
    at = render(page)
    shown = page_text(at) + "\n".join(str(w.label) for kind in ("slider", "number_input", "toggle") for w in getattr(at, kind))
    for phrase in KEY_NUMBERS[page](status, tables):
        assert phrase in shown, f"{phrase!r} not on {page or 'Overview'}"


@pytest.mark.slow
def test_money_and_counts_agree_across_pages_and_the_cli(sim_dir: Path) -> None:
    status = status_json(sim_dir)
    total, today = text.money(status["total_pnl_usd"], signed=True), text.money(status["today_pnl_usd"], signed=True)
    opened, closed = status["open_positions"], status["trades_total"]

    overview = metrics(render(None))
    assert overview["Total P&L"] == total and overview["Today's P&L"] == today
    assert overview["Open trades"].startswith(f"{opened} of ")
    assert f"({text.plural(closed, 'closed trade')})" in page_text(render(None))
    for page in ("pages/trades.py", "pages/pnl.py"):
        shown = metrics(render(page))
        assert (shown["Total P&L"], shown["Today's P&L"], shown["Open positions"], shown["Closed trades"]) == (
            total, today, str(opened), str(closed)), page
    trades_page = render("pages/trades.py")
    assert text.plural(opened, "open position") in page_text(trades_page)  # the open positions tab
    assert text.plural(closed, "trade") + ":" in page_text(trades_page)


# -- synthetic bot: exact phrases -----------------------------------------------------------------

def test_overview_in_plain_english(populated_dir: Path) -> None:
    at = render(None)
    shown = page_text(at)
    assert "Today's P&L +$0.45" in shown and "you're up 45 cents today" in shown
    assert "4 wins out of 6 trades" in shown and "67%" in shown
    assert "1 of 2 open trades — can open 1 more" in shown
    assert "Total P&L +$1.23" in shown and "Equity $75.38" in shown and "(14 closed trades)" in shown
    assert "SPIKE DETECTED" in shown and "55¢" in shown
    assert ENTRY_REASON in shown and EXIT_REASON in shown
    assert "PAPER" in shown and "updated" in shown and "Running" in shown
    assert not at.warning  # a fresh heartbeat is not flagged
    assert len(at.get("plotly_chart")) == 1


def test_stale_heartbeat_is_flagged(stale_dir: Path) -> None:
    at = render(None)
    warnings = [w.value for w in at.warning]
    assert any(re.search(r"has not reported for 4\d s — numbers below may be old", w) for w in warnings)
    assert not any("updated" in c.value for c in at.caption)  # not presented as live


def test_trades_page_lists_positions_and_history(populated_dir: Path) -> None:
    at = render("pages/trades.py")
    positions, history = (df.value for df in at.dataframe)
    assert list(positions["P&L so far"]) == ["-$0.07"]
    assert list(history["P&L"]) == ["+$0.12", "-$0.20"]  # newest first
    assert history["Why it bought"].iloc[0] == ENTRY_REASON
    assert list(history["Shares"]) == ["6.38", "5"] and list(history["Entry"]) == ["47¢", "80¢"]
    assert "2 trades: 1 win, 1 loss, total -$0.08 after $0.02 fees" in page_text(at)
    assert metrics(at)["Closed trades"] == "14" and metrics(at)["Open positions"] == "1"
    assert at.get("download_button")


def test_trades_filters_come_from_and_go_to_the_url(populated_dir: Path) -> None:
    at = render("pages/trades.py", {"side": "Yes"})
    history = at.dataframe[-1].value
    assert list(history["Bought"]) == ["Yes"] and "(filtered from 2)" in page_text(at)
    assert at.multiselect(key="f_side").value == ["Yes"]
    at.multiselect(key="f_side").set_value(["No"]).run()
    assert at.query_params["side"] == "No"
    assert list(at.dataframe[-1].value["Bought"]) == ["No"]
    at.selectbox(key="f_market").set_value("m3").run()  # the Yes trade's market: nothing is both
    assert at.query_params["market"] == "m3" and "No closed trades yet." in page_text(at)


def test_safety_page_gauges(populated_dir: Path) -> None:
    at = render("pages/safety.py")
    shown = page_text(at)
    assert "$0.40 of your $2.00 daily loss limit used (20%)" in shown
    assert "Armed — 1 loss in a row of 3 allowed before it trips" in shown
    assert "12 s left" in shown and "Trading is on" in shown
    assert len(at.get("plotly_chart")) == 3  # one gauge per watched market (up to 4)


def test_pause_sends_a_command_and_shows_when_the_bot_acted(populated_dir: Path) -> None:
    at = render("pages/control.py")
    at.button(key="pause").click().run()
    files = list((populated_dir / "commands").glob("*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text())["kind"] == "pause"
    assert any("waiting for the bot" in i.value for i in at.info)

    CommandInbox(populated_dir).mark_done(files[0].stem, True, "Paused: no new trades.")
    at.run()
    done = [s.value for s in at.success if "Paused: no new trades." in s.value]
    assert done and "it acted at" in done[0]


def test_flatten_asks_before_it_sends(populated_dir: Path) -> None:
    at = render("pages/control.py")
    at.button(key="flatten").click().run()
    assert not list((populated_dir / "commands").glob("*.json"))
    assert any("Sell all 1 open position" in w.value for w in at.warning)
    at.button(key="flatten_yes").click().run()
    kinds = [json.loads(f.read_text())["kind"] for f in (populated_dir / "commands").glob("*.json")]
    assert kinds == ["flatten"]
    at.button(key="close_one").click().run()
    args = [json.loads(f.read_text())["args"] for f in (populated_dir / "commands").glob("*.json")]
    assert {"token_id": "m2-no"} in args


def test_password_gate_serves_nothing_before_sign_in(populated_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHBOARD_PASSWORD", "correct horse")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert [t.value for t in at.title] == ["Polybot"]
    assert not at.metric and not at.dataframe and not at.get("badge")
    shown = page_text(at)
    assert "Today's P&L" not in shown and "PAPER" not in shown and "correct horse" not in shown
    try:  # asking for a page directly still gets only the sign-in form
        at.switch_page("pages/trades.py").run()
    except Exception:  # noqa: BLE001 - AppTest may refuse outright, which is as good
        pass
    assert [t.value for t in at.title] == ["Polybot"] and not at.metric and not at.dataframe

    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="password").input("wrong")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Wrong password."] and not at.metric

    at.text_input(key="password").input("correct horse")
    at.button[0].click().run()
    assert "Today's P&L" in page_text(at) and "correct horse" not in page_text(at)
    at.switch_page("pages/trades.py").run()
    assert metrics(at)["Closed trades"] == "14"


def test_data_explorer_runs_read_only_sql(sim_dir: Path) -> None:
    at = render("pages/data_explorer.py")
    at.text_area(key="sql").input("SELECT count(*) AS n FROM trades").run()
    at.button(key="run_sql").click().run()
    assert int(at.dataframe[-1].value["n"].iloc[0]) == status_json(sim_dir)["trades_total"]
    at.text_area(key="sql").input("DELETE FROM trades").run()
    at.button(key="run_sql").click().run()
    assert any("only a single SELECT" in e.value for e in at.error)


def test_settings_page_saves_a_slider_and_shows_errors_next_to_the_field(populated_dir: Path, config_copy: Path) -> None:
    before = config_copy.read_text()
    at = render("pages/settings.py")
    at.slider(key="cfg:detection.cusum_threshold").set_value(0.031)
    at.button[0].click().run()  # the form's Save button
    assert not at.exception
    assert any("Saved 1 change(s): detection.cusum_threshold → 0.031" in s.value for s in at.success)
    assert config_copy.read_text() == before.replace("cusum_threshold: 0.03\n", "cusum_threshold: 0.031\n")

    saved = config_copy.read_text()
    at.text_input(key="cfg:notifications.daily_summary_utc").input("25:99")
    at.button[0].click().run()
    assert any("daily summary utc: String should match pattern" in e.value for e in at.error)
    assert any("Not saved" in e.value for e in at.error)
    assert config_copy.read_text() == saved


def test_strategy_toggle_writes_the_config(populated_dir: Path, config_copy: Path) -> None:
    at = render("pages/strategies.py")
    assert [t.label for t in at.toggle][:1] == ["On"]
    at.toggle(key="strategy_on:spike_hunter").set_value(False).run()
    assert "spike_hunter:\n    # Trade sudden price spikes.\n    enabled: false" in config_copy.read_text()
    assert any("spike_hunter switched off" in s.value for s in at.success)


def test_a_strategy_its_safety_switched_off_is_flagged_on_its_card(populated_dir: Path, config_copy: Path) -> None:
    state = json.loads((populated_dir / "state.json").read_text())
    why = ("spike_hunter switched itself off: it has lost $0.25 (closed plus open), at its $0.20 limit. "
           "Its open trades still exit; press Resume to allow new ones.")
    (populated_dir / "state.json").write_text(json.dumps({**state, "strategies_disabled": {"spike_hunter": why}}))
    at = render("pages/strategies.py")
    warnings = [w.value.replace("\\$", "$") for w in at.warning]
    assert len(warnings) == 1, warnings
    assert "it has lost $0.25 (closed plus open), at its $0.20 limit" in warnings[0]
    assert "Press **Resume** on the Control page to re-arm it" in warnings[0]
    (populated_dir / "state.json").write_text(json.dumps(state))
    assert not render("pages/strategies.py").warning, "an armed strategy shows no warning"


def test_manual_paper_order_form_sends_a_manual_order_command(sim_dir: Path) -> None:
    at = render("pages/markets.py")
    market_id = at.selectbox(key="market_pick").value
    assert at.query_params["market"] == market_id
    at.number_input(key="manual_usd").set_value(5.0)
    at.button[0].click().run()
    files = list((sim_dir / "commands").glob("dashboard-*.json"))
    assert len(files) == 1
    command = json.loads(files[0].read_text())
    assert command["kind"] == "manual_order" and command["args"]["market_id"] == market_id
    assert command["args"]["side"] == "BUY" and command["args"]["usd"] == "5.00"
    assert any("waiting for the bot" in i.value for i in at.info)
    files[0].unlink()  # the session's sim dir is shared by other tests
