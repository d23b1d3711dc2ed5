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


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("demo")
    data_dir = tmp / "data"
    env = {**os.environ, "POLYBOT_DATA_DIR": str(data_dir)}
    bot = subprocess.Popen([sys.executable, "-m", "bot", "run", "--source", "sim", "--speed", "10",
                            "--config", str(busy_config(tmp))], cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = free_port()
    dashboard = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                                  "--server.address", "127.0.0.1", "--server.port", str(port),
                                  "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/_stcore/health")
        yield f"http://127.0.0.1:{port}", data_dir
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
    url, _ = demo
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


@pytest.mark.parametrize("title", ["Trades", "Safety"])
def test_every_page_loads_without_an_error_box(demo, page, title: str) -> None:  # type: ignore[no-untyped-def]
    url, _ = demo
    page.goto(url)
    page.get_by_role("link", name=title).first.click()
    page.wait_for_timeout(2500)
    assert not page.locator("[data-testid='stException']").count()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{title.lower()}.png"), full_page=True)


def test_pause_on_the_safety_page_pauses_the_bot(demo, page) -> None:  # type: ignore[no-untyped-def]
    import json

    url, data_dir = demo
    page.goto(url)
    page.get_by_role("link", name="Safety").first.click()
    page.get_by_role("button", name="Pause", exact=False).first.click()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if json.loads((data_dir / "state.json").read_text()).get("status") == "paused":
            break
        time.sleep(0.3)
    assert json.loads((data_dir / "state.json").read_text())["status"] == "paused"
    page.get_by_text("paused", exact=False).first.wait_for(timeout=15_000)
