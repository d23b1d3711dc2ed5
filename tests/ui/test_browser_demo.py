"""End to end in a real browser: the bot on the simulator plus a real Streamlit server, as `make demo`
starts them, and Debian chromium driven by Playwright. Screenshots land in tests/artifacts/."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.builders import busy_config

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (.ci/run installs it)"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not come up")


def start_dashboard(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.address", "127.0.0.1", "--server.port", str(port),
                             "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("demo")
    data_dir = tmp / "data"
    env = {**os.environ, "POLYBOT_DATA_DIR": str(data_dir), "DASHBOARD_PASSWORD": ""}
    env.pop("POLYBOT_CONFIG", None)  # the dashboard must find the bot's --config through state.json
    config = busy_config(tmp)
    # Room for the manual order test: more open trades, and $8 buys at least 5 shares at any price.
    config.write_text(config.read_text().replace("max_open_trades: 6", "max_open_trades: 50")
                      .replace("max_position_usd: 3", "max_position_usd: 10"))
    bot = subprocess.Popen([sys.executable, "-m", "bot", "run", "--source", "sim", "--speed", "10",
                            "--config", str(config)], cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = free_port()
    dashboard = start_dashboard(port, env)
    try:
        wait_http(f"http://127.0.0.1:{port}/_stcore/health")
        yield f"http://127.0.0.1:{port}", data_dir, config
    finally:
        for proc in (dashboard, bot):
            proc.send_signal(signal.SIGTERM)
        for proc in (dashboard, bot):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
def page(demo):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        context = browser.new_context(viewport={"width": 1400, "height": 1800})
        yield context.new_page()
        browser.close()


def test_within_a_minute_the_demo_shows_markets_signals_and_trades_with_reasons(demo, page) -> None:  # type: ignore[no-untyped-def]
    url = demo[0]
    page.goto(url)
    page.get_by_text("Markets I'm watching").wait_for(timeout=60_000)
    # Trades with their plain-English reasons appear within a minute of starting. (Tables are
    # drawn on a canvas; their cells are mirrored in the DOM for accessibility, which is read here.)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not re.search(r"Bought (Yes|No|\w+) at \d", page.content()):
        page.wait_for_timeout(1000)
    assert re.search(r"Bought \w+ at [\d.]+¢ because", page.content()), "no trade with its reason on the page"
    body = page.inner_text("body")
    assert "Today's performance" in body and "Spike detector (CUSUM)" in body
    assert re.search(r"SPIKE DETECTED|Normal|Quiet", page.content()), "the watched markets show no status"
    assert not page.locator("[data-testid='stException']").count()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)


PAGES = {"Markets": "markets", "Trades": "trades", "Signals": "signals", "P&L": "pnl", "Control": "control",
         "Safety": "safety", "Strategies": "strategies", "Settings": "settings", "Health": "health",
         "Data explorer": "data", "Backtest": "backtest"}


@pytest.mark.parametrize("title", list(PAGES))
def test_every_page_loads_without_an_error_box(demo, page, title: str) -> None:  # type: ignore[no-untyped-def]
    url = demo[0]
    page.goto(url)
    page.get_by_role("link", name=title, exact=True).first.click()
    page.wait_for_url(re.compile(rf"/{PAGES[title]}(\?|$)"), timeout=15_000)
    page.wait_for_timeout(3000)
    assert not page.locator("[data-testid='stException']").count()
    assert page.locator("h1").first.inner_text().strip().startswith(title.split()[0])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{PAGES[title]}.png"), full_page=True)


def test_a_manual_paper_order_from_markets_appears_in_trades(demo, page) -> None:  # type: ignore[no-untyped-def]
    url = demo[0]
    page.goto(f"{url}/markets")
    page.get_by_label("Dollars to spend", exact=True).fill("8")
    page.get_by_role("button", name="Place paper order").click()
    page.get_by_text("the bot answered", exact=False).first.wait_for(timeout=30_000)
    answer = page.get_by_text("the bot answered", exact=False).first.inner_text()
    assert "Manual order sent" in answer, answer
    # The reason is the table's last column, and the grid puts only the columns in view into the
    # page (a long market question pushes it out), so scroll the table right, as a user would.
    page.goto(f"{url}/trades")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "you placed a manual paper order" not in page.content():
        grid = page.locator("[data-testid='stDataFrame']").first
        if grid.count():
            grid.hover()
            page.mouse.wheel(4000, 0)
        page.wait_for_timeout(1000)
    assert "you placed a manual paper order" in page.content()
    page.screenshot(path=str(ARTIFACTS / "trades-manual-order.png"), full_page=True)


def test_a_slider_saved_on_settings_changes_the_file_and_the_bot(demo, page) -> None:  # type: ignore[no-untyped-def]
    import json

    url, data_dir, config = demo
    before = config.read_text()
    comments = [line.strip() for line in before.splitlines() if line.strip().startswith("#")]
    page.goto(f"{url}/settings")
    page.get_by_text("Detection", exact=True).first.click()  # open the section's expander
    slider = page.get_by_role("slider", name=re.compile("cusum threshold"))
    slider.focus()
    slider.press("ArrowRight")  # one step: 0.030 -> 0.031
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("Saved 1 change(s)", exact=False).wait_for(timeout=15_000)
    after = config.read_text()
    assert "cusum_threshold: 0.031" in after and "cusum_threshold: 0.03\n" not in after
    assert [line.strip() for line in after.splitlines() if line.strip().startswith("#")] == comments
    assert after.replace("cusum_threshold: 0.031", "cusum_threshold: 0.03") == before  # nothing else moved
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        markets = json.loads((data_dir / "state.json").read_text()).get("markets") or [{}]
        if markets[0].get("cusum_threshold") == 0.031:
            break
        time.sleep(0.3)
    assert markets[0].get("cusum_threshold") == 0.031, "the bot did not pick the new threshold up"
    page.goto(f"{url}/settings")
    page.get_by_text("The running bot has loaded this version of the file", exact=False).wait_for(timeout=15_000)


def test_pause_on_the_control_page_pauses_the_bot(demo, page) -> None:  # type: ignore[no-untyped-def]
    import json

    url, data_dir, _ = demo
    page.goto(f"{url}/control")
    page.get_by_role("button", name="Pause", exact=False).first.click()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if json.loads((data_dir / "state.json").read_text()).get("status") == "paused":
            break
        time.sleep(0.3)
    assert json.loads((data_dir / "state.json").read_text())["status"] == "paused"
    page.get_by_text("paused", exact=False).first.wait_for(timeout=15_000)
    page.get_by_text("it acted at", exact=False).first.wait_for(timeout=15_000)
    page.screenshot(path=str(ARTIFACTS / "control-paused.png"), full_page=True)


def test_a_backtest_started_on_its_page_shows_progress_then_its_report(demo, page) -> None:  # type: ignore[no-untyped-def]
    url, data_dir, _ = demo
    page.goto(f"{url}/backtest")
    cycles = page.get_by_role("spinbutton", name="Seconds of market time to simulate")
    cycles.fill("20000")
    cycles.press("Enter")  # commit the value (a rerun) before pressing Start
    page.wait_for_timeout(1500)
    page.get_by_role("button", name="Start backtest").click()
    page.get_by_text(re.compile(r"of 20,000 cycles \(\d+%\)")).first.wait_for(timeout=60_000)  # the live bar
    page.get_by_text("Finished spike_hunter on the simulator: 20,000 cycles", exact=False).wait_for(timeout=120_000)
    page.get_by_text("Closed trades (", exact=False).wait_for(timeout=15_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=15_000)  # the run's equity curve
    assert list((data_dir / "backtests").glob("*-spike_hunter/report.json"))
    assert not page.locator("[data-testid='stException']").count()
    page.screenshot(path=str(ARTIFACTS / "backtest-run.png"), full_page=True)


def test_with_a_password_no_page_content_is_served_before_sign_in(demo, page) -> None:  # type: ignore[no-untyped-def]
    _, data_dir, _ = demo
    port = free_port()
    env = {**os.environ, "POLYBOT_DATA_DIR": str(data_dir), "DASHBOARD_PASSWORD": "open sesame 42"}
    dashboard = start_dashboard(port, env)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/_stcore/health")
        for path in ("", "/trades", "/settings", "/control"):
            page.goto(url + path)
            page.get_by_text("Password").first.wait_for(timeout=30_000)
            page.wait_for_timeout(1500)
            body = page.inner_text("body")
            for secret_or_content in ("Today's performance", "Total P&L", "Open positions", "cusum", "Pause", "Strategies", "trades",
                                      "PAPER", "open sesame 42"):
                assert secret_or_content not in body, (path, secret_or_content)
        page.goto(url)
        page.get_by_text("Password").first.wait_for(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "sign-in.png"), full_page=True)
        page.get_by_label("Password", exact=True).fill("wrong")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("Wrong password.").wait_for(timeout=15_000)
        assert "Today's performance" not in page.inner_text("body")
        page.get_by_label("Password", exact=True).fill("open sesame 42")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("Today's performance").wait_for(timeout=30_000)
        assert "open sesame 42" not in page.content()
    finally:
        dashboard.send_signal(signal.SIGTERM)
        try:
            dashboard.wait(timeout=30)
        except subprocess.TimeoutExpired:
            dashboard.kill()
