"""Every dashboard page rendered headlessly with Streamlit's AppTest, on an empty data dir
(no bot yet) and on one laid out like a running paper bot's (see conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bot.adapters.storage.commands import CommandInbox
from tests.ui.conftest import ENTRY_REASON, EXIT_REASON

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGES = [None, "pages/trades.py", "pages/safety.py"]  # None: the default page (Overview)


def render(page: str | None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30).run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_text(at: AppTest) -> str:
    """All visible text, with markdown's "\\$" escapes undone, to search for phrases."""
    parts: list[str] = [f"{m.label} {m.value}" for m in at.metric]
    for kind in ("title", "subheader", "caption", "markdown", "info", "warning", "success", "error"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [p.text for p in at.get("progress")]
    parts += [df.value.to_string() for df in at.dataframe]
    return "\n".join(parts).replace("\\$", "$")


@pytest.mark.parametrize("page", PAGES)
def test_empty_data_dir_says_the_bot_is_not_running(empty_dir: Path, page: str | None) -> None:
    at = render(page)
    assert "The bot is not running yet" in page_text(at)


def test_overview_in_plain_english(populated_dir: Path) -> None:
    at = render(None)
    shown = page_text(at)
    assert "Today's P&L +$0.45" in shown and "you're up 45 cents today" in shown
    assert "4 wins out of 6 trades" in shown and "67%" in shown
    assert "1 of 2 open trades — can open 1 more" in shown
    assert "Total P&L +$1.23" in shown and "Equity $75.38" in shown
    assert "SPIKE DETECTED" in shown and "55¢" in shown
    assert ENTRY_REASON in shown and EXIT_REASON in shown
    assert "PAPER" in shown and "updated" in shown and "Running" in shown
    assert not at.warning  # a fresh heartbeat is not flagged
    assert len(at.get("plotly_chart")) == 1


def test_stale_heartbeat_is_flagged(stale_dir: Path) -> None:
    at = render(None)
    warnings = [w.value for w in at.warning]
    assert any("has not reported for 42 s — numbers below may be old" in w for w in warnings)
    assert not any("updated" in c.value for c in at.caption)  # not presented as live


def test_trades_page_lists_positions_and_history(populated_dir: Path) -> None:
    at = render("pages/trades.py")
    positions, history = (df.value for df in at.dataframe)
    assert list(positions["P&L so far"]) == ["-$0.07"]
    assert list(history["P&L"]) == ["+$0.12", "-$0.20"]  # newest first
    assert history["Why it bought"].iloc[0] == ENTRY_REASON
    assert list(history["Shares"]) == ["6.38", "5"] and list(history["Entry"]) == ["47¢", "80¢"]
    assert "2 trades: 1 win, 1 loss, total -$0.08 after $0.02 fees" in page_text(at)
    assert at.get("download_button")


def test_safety_page_gauges(populated_dir: Path) -> None:
    at = render("pages/safety.py")
    shown = page_text(at)
    assert "$0.40 of your $2.00 daily loss limit used (20%)" in shown
    assert "Armed — 1 loss in a row of 3 allowed before it trips" in shown
    assert "12 s left" in shown and "Trading is on" in shown
    assert len(at.get("plotly_chart")) == 3  # one gauge per watched market (up to 4)


def test_pause_button_sends_a_command_and_shows_the_result(populated_dir: Path) -> None:
    at = render("pages/safety.py")
    at.button(key="pause").click().run()
    assert not at.exception
    files = list((populated_dir / "commands").glob("*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text())["kind"] == "pause"
    assert any("Sent — waiting for the bot" in i.value for i in at.info)

    CommandInbox(populated_dir).mark_done(files[0].stem, True, "Paused: no new trades.")
    at.run()
    assert any("Paused: no new trades." in s.value for s in at.success)
