"""``python -m bot doctor`` against the local fake Polymarket, against an unreachable host, and
with live-mode checks (credentials, geoblock); clear ok/FAIL lines with fix hints either way."""

from __future__ import annotations

import json
import socket
from email.utils import formatdate
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.runtime.doctor import check_clock, check_data_dir
from tests.fakes.polymarket import FakePolymarket
from tests.runtime.test_live_guards import KEY, geo  # noqa: F401 (the fixture)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(tmp_path: Path, gamma: str, clob: str, ws: str, geoblock: str = "http://127.0.0.1:9/api/geoblock",
           mode: str = "paper") -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(json.dumps({"mode": mode, "polymarket": {
        "gamma_url": gamma, "clob_url": clob, "ws_url": ws, "geoblock_url": geoblock, "timeout_s": 3}}))
    return path


def run(capsys, tmp_path: Path, cfg: Path, *extra: str, as_json: bool = True) -> tuple[int, object]:
    args = ["doctor", "--config", str(cfg), "--data-dir", str(tmp_path / "data"), *extra]
    code = main([*args, "--json"] if as_json else args)
    out = capsys.readouterr().out
    return code, json.loads(out) if as_json else out


def by_name(payload: dict) -> dict[str, dict]:
    return {c["name"]: c for c in payload["checks"]}


@pytest.fixture(scope="module")
def fake() -> FakePolymarket:
    with FakePolymarket(markets=2) as server:
        yield server


def test_everything_passes_against_the_fake_server(fake, tmp_path, capsys) -> None:
    cfg = config(tmp_path, fake.gamma_url, fake.clob_url, fake.ws_url)
    code, payload = run(capsys, tmp_path, cfg)
    checks = by_name(payload)
    assert code == 0 and payload["ok"], payload
    assert list(checks) == ["config", "data_dir", "gamma", "clob", "websocket", "clock"]
    assert checks["clob"]["detail"].startswith("order book answered")
    assert "PONG" in checks["websocket"]["detail"]
    assert all(checks[n]["latency_ms"] > 0 for n in ("gamma", "clob", "websocket"))
    code, text = run(capsys, tmp_path, cfg, as_json=False)
    assert code == 0 and "All checks passed." in text and text.count("ok  ") == 6


def test_server_faults_are_reported_with_a_hint(fake, tmp_path, capsys) -> None:
    cfg = config(tmp_path, fake.gamma_url, fake.clob_url, fake.ws_url)
    fake.set_fault("425", path="/markets")
    try:
        code, payload = run(capsys, tmp_path, cfg)
    finally:
        fake.clear_faults()
    gamma = by_name(payload)["gamma"]
    assert code == 1 and not gamma["ok"] and "HTTP 425" in gamma["detail"] and "restarting" in gamma["hint"]


def test_an_unreachable_host_fails_clearly_and_quickly(tmp_path, capsys) -> None:
    port = closed_port()
    cfg = config(tmp_path, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws/market")
    code, text = run(capsys, tmp_path, cfg, as_json=False)
    assert code == 1
    for name in ("gamma", "clob", "websocket", "clock"):
        assert f"FAIL  {name}" in text
    assert "could not be reached" in text and "fix: check the network and polymarket.gamma_url" in text
    assert "handshake failed" in text and "feed.mode: rest" in text
    assert "ok    config" in text and "ok    data_dir" in text
    assert "4 of 6 checks failed." in text


def test_live_checks_report_missing_credentials_and_a_blocked_country(fake, geo, tmp_path, capsys,  # noqa: F811
                                                                        monkeypatch) -> None:
    monkeypatch.delenv("POLYMARKET_PRIVATE_KEY", raising=False)
    geo.answer = b'{"blocked": true, "country": "GB"}'
    cfg = config(tmp_path, fake.gamma_url, fake.clob_url, fake.ws_url, geoblock=geo.url)
    code, payload = run(capsys, tmp_path, cfg, "--live")
    checks = by_name(payload)
    assert code == 1
    assert not checks["credentials"]["ok"] and "not set" in checks["credentials"]["detail"]
    assert not checks["geoblock"]["ok"] and "GB" in checks["geoblock"]["detail"]


def test_live_checks_pass_without_printing_the_key(fake, geo, tmp_path, capsys, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setenv("POLYMARKET_PRIVATE_KEY", KEY)
    cfg = config(tmp_path, fake.gamma_url, fake.clob_url, fake.ws_url, geoblock=geo.url, mode="live")
    code, text = run(capsys, tmp_path, cfg, as_json=False)  # mode: live implies the live checks
    assert code == 0, text
    assert "ok    credentials" in text and "ok    geoblock" in text
    assert KEY not in text and KEY[2:] not in text


def test_invalid_config_and_unwritable_data_dir_fail(tmp_path, capsys) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text("risk:\n  max_daily_los_usd: 2\n")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code = main(["doctor", "--config", str(cfg), "--data-dir", str(blocker / "data"), "--json"])
    checks = by_name(json.loads(capsys.readouterr().out))
    assert code == 1
    assert not checks["config"]["ok"] and "max_daily_loss_usd" in checks["config"]["detail"]
    assert not checks["data_dir"]["ok"] and "not writable" in checks["data_dir"]["detail"]
    assert check_data_dir(tmp_path / "fine").ok


def test_clock_skew_is_measured_from_the_date_header() -> None:
    now = 1_800_000_000.0
    assert check_clock([formatdate(now - 1, usegmt=True)], now).ok
    behind = check_clock([None, formatdate(now + 12, usegmt=True)], now)
    assert not behind.ok and "12.0 s behind" in behind.detail and "timedatectl" in behind.hint
    assert not check_clock([None, None], now).ok
