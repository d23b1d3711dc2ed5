"""Live-mode guards: each missing guard refuses with its own message; with all of them the bot
wires the live executor; the private key never reaches logs, state, errors or the store."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.adapters.executors.live import LiveExecutor
from bot.config.loader import Secrets
from bot.config.schema import Settings
from bot.runtime.live_guards import LiveModeRefused, check_geoblock, check_live_guards
from bot.wiring import build
from tests.fakes.venue import FakeVenue

KEY = "0x" + "ab12" * 16  # a well-formed, made-up private key
WALLET = "0x" + "cd" * 20


class _Geo(BaseHTTPRequestHandler):
    answer: bytes = b'{"blocked": false, "country": "PT", "region": "LI"}'
    status: int = 200

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def geo() -> Iterator[type[_Geo]]:
    handler = type("Geo", (_Geo,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}/api/geoblock"
    yield handler
    server.shutdown()
    server.server_close()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/geoblock"


def live_settings(geoblock_url: str, mode: str = "live") -> Settings:
    return Settings.model_validate({"mode": mode, "polymarket": {"geoblock_url": geoblock_url, "timeout_s": 2}})


def secrets(key: str | None = KEY) -> Secrets:
    return Secrets(key, None, None, None, None)


def guard(settings: Settings, tmp_path: Path, *, confirm: bool = True, source: str = "live", key: str | None = KEY,
          wallet: str | None = "", env: dict[str, str] | None = None, data: bool = True) -> tuple[str, str | None]:
    return check_live_guards(settings, confirm_live=confirm, source=source, data_dir=tmp_path if data else None,
                             secrets=secrets(key), wallet=wallet, env=env or {})


def refusal(**kwargs: object) -> str:
    with pytest.raises(LiveModeRefused) as info:
        guard(**kwargs)
    return str(info.value)


def test_confirm_flag_with_paper_config_is_refused(geo, tmp_path) -> None:
    text = refusal(settings=live_settings(geo.url, mode="paper"), tmp_path=tmp_path)
    assert "--confirm-live was given but config says mode: paper" in text


def test_live_config_without_confirmation_is_refused(geo, tmp_path) -> None:
    text = refusal(settings=live_settings(geo.url), tmp_path=tmp_path, confirm=False)
    assert "not confirmed" in text and "--confirm-live" in text and "POLYBOT_CONFIRM_LIVE=yes" in text


def test_the_environment_variable_confirms_too(geo, tmp_path) -> None:
    key, wallet = guard(live_settings(geo.url), tmp_path, confirm=False, env={"POLYBOT_CONFIRM_LIVE": "yes"})
    assert key == KEY and wallet is None


def test_live_orders_on_simulated_prices_are_refused(geo, tmp_path) -> None:
    text = refusal(settings=live_settings(geo.url), tmp_path=tmp_path, source="sim")
    assert "prices come from 'sim'" in text and "--source live" in text


def test_live_without_a_data_folder_is_refused(geo, tmp_path) -> None:
    assert "data folder" in refusal(settings=live_settings(geo.url), tmp_path=tmp_path, data=False)


def test_missing_credentials_are_refused(geo, tmp_path) -> None:
    text = refusal(settings=live_settings(geo.url), tmp_path=tmp_path, key=None)
    assert "no credentials" in text and "POLYMARKET_PRIVATE_KEY" in text


def test_a_malformed_key_is_refused_without_showing_it(geo, tmp_path) -> None:
    bad = "my-secret-seed-words-not-a-key"
    text = refusal(settings=live_settings(geo.url), tmp_path=tmp_path, key=bad)
    assert "is not a private key" in text and bad not in text


def test_a_malformed_wallet_is_refused(geo, tmp_path) -> None:
    text = refusal(settings=live_settings(geo.url), tmp_path=tmp_path, wallet="0x123")
    assert "POLYMARKET_WALLET" in text and "not an address" in text


def test_a_blocked_country_is_refused(geo, tmp_path) -> None:
    geo.answer = b'{"blocked": true, "ip": "1.2.3.4", "country": "US", "region": "NY"}'
    text = refusal(settings=live_settings(geo.url), tmp_path=tmp_path)
    assert "geoblock check failed" in text and "blocks order placement from US/NY" in text


def test_an_unreachable_geoblock_service_is_refused(tmp_path) -> None:
    text = refusal(settings=live_settings(closed_port_url()), tmp_path=tmp_path)
    assert "geoblock check failed" in text and "could not be reached" in text


@pytest.mark.parametrize(("status", "body", "words"), [
    (500, b"<html>oops</html>", "HTTP 500"),
    (200, b"<html>not json</html>", "did not answer JSON"),
    (200, b'{"country": "PT"}', "without a 'blocked' field"),
])
def test_a_strange_geoblock_answer_fails_closed(geo, status, body, words) -> None:
    geo.status, geo.answer = status, body
    result = check_geoblock(geo.url, 2)
    assert not result.ok and words in result.text


def test_all_guards_pass_and_the_bot_trades_through_the_live_executor(geo, tmp_path, monkeypatch, caplog) -> None:
    monkeypatch.setenv("POLYMARKET_PRIVATE_KEY", KEY)
    monkeypatch.setenv("POLYMARKET_WALLET", WALLET)
    logins: list[tuple[str, str | None]] = []

    def login(key: str, wallet: str | None) -> FakeVenue:
        logins.append((key, wallet))
        return FakeVenue()

    caplog.set_level(logging.DEBUG)
    bot = build(live_settings(geo.url), "live", tmp_path / "data", confirm_live=True, venue_factory=login)
    try:
        assert isinstance(bot.runner.executor, LiveExecutor)
        assert logins == [(KEY, WALLET)]
        bot.runner.run_cycle(bot.engine.now_ms + 1000, [])  # startup reconciliation adopts the venue's cash
        assert bot.engine.portfolio.cash == FakeVenue().cash
    finally:
        bot.store.close()
    leaked = [p for p in (tmp_path / "data").rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]
    assert leaked == []
    assert KEY not in caplog.text and KEY[2:] not in caplog.text


def test_a_paper_bot_ignores_a_leftover_confirmation_variable(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("POLYBOT_CONFIRM_LIVE", "yes")
    bot = build(Settings(), "sim", None)
    assert not isinstance(bot.runner.executor, LiveExecutor)


def test_the_cli_names_the_missing_guard(tmp_path, capsys) -> None:
    from bot.__main__ import main

    config = tmp_path / "config.yaml"
    config.write_text(json.dumps({"mode": "live"}))
    code = main(["run", "--config", str(config), "--data-dir", str(tmp_path / "data"), "--source", "sim"])
    assert code == 2
    assert "not confirmed" in capsys.readouterr().err
