"""GET /health and GET /api/status: the documented fields, the status codes a healthcheck relies
on, and the compose file's healthcheck command run against a real bot."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bot.config.schema import Settings
from bot.ops.health import HealthServer
from tests.builders import wait_for
from tests.ops.conftest import ROOT, free_port

HEALTH_FIELDS = {"status", "uptime_s", "active_strategies", "markets_tracked", "tokens_tracked", "last_cycle_age_s",
                 "cycles", "bot_status", "mode", "source", "rss_mb"}
STATUS_FIELDS = {"status", "mode", "source", "market_ts_ms", "written_ts_ms", "capital", "performance",
                 "open_positions", "strategies", "risk", "ops"}
STRATEGY_FIELDS = {"name", "enabled", "state", "open_positions", "capital_in_use_usd", "max_capital_usd"}


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _state(written_ts_ms: int, status: str = "running", paused: bool = False) -> dict:
    return {"written_ts_ms": written_ts_ms, "status": status, "mode": "paper", "source": "sim",
            "feed": {"markets": 3, "tokens": 6}, "cycle": {"count": 42}, "process": {"rss_mb": 88.0},
            "capital": {"cash_usd": "70"}, "performance": {"total_pnl_usd": "-1.5"},
            "risk": {"paused": paused, "breaker": {"tripped": False}},
            "positions": [{"strategy": "spike_hunter", "cost_usd": "2.5"}]}


@pytest.fixture()
def server():  # type: ignore[no-untyped-def]
    srv = HealthServer("127.0.0.1", free_port(), stale_after_s=10)
    srv.start()
    yield srv
    srv.close()


def test_health_is_503_until_the_first_cycle_then_200(server: HealthServer) -> None:
    code, body = get(f"{server.url}/health")
    assert (code, body["status"]) == (503, "starting")
    server.publish(_state(int(time.time() * 1000)), Settings())
    code, body = get(f"{server.url}/health")
    assert code == 200 and body["status"] == "ok"
    assert HEALTH_FIELDS <= set(body)
    assert (body["markets_tracked"], body["tokens_tracked"], body["cycles"]) == (3, 6, 42)
    assert "spike_hunter" in body["active_strategies"]
    assert 0 <= body["last_cycle_age_s"] < 5


def test_stale_and_stopped_bots_are_unhealthy(server: HealthServer) -> None:
    server.publish(_state(int(time.time() * 1000) - 11_000), Settings())
    code, body = get(f"{server.url}/health")
    assert (code, body["status"]) == (503, "stale") and body["last_cycle_age_s"] > 10
    server.publish(_state(int(time.time() * 1000), status="stopped"), Settings())
    assert get(f"{server.url}/health")[0] == 503


def test_api_status_shows_capital_and_strategy_states(server: HealthServer) -> None:
    server.publish(_state(int(time.time() * 1000), status="paused", paused=True), Settings())
    code, body = get(f"{server.url}/api/status")
    assert code == 200 and STATUS_FIELDS <= set(body)
    assert body["mode"] == "paper" and body["capital"]["cash_usd"] == "70"
    rows = {row["name"]: row for row in body["strategies"]}
    assert all(STRATEGY_FIELDS <= set(row) for row in rows.values())
    spike = rows["spike_hunter"]
    assert (spike["enabled"], spike["state"], spike["open_positions"], spike["capital_in_use_usd"]) == (True, "paused", 1, "2.50")
    assert all(row["state"] == "disabled" for row in rows.values() if not row["enabled"])
    # Paused is a chosen state, not a failure: still healthy, but no strategy is active.
    code, health = get(f"{server.url}/health")
    assert code == 200 and health["active_strategies"] == [] and health["bot_status"] == "paused"


def test_unknown_paths_are_404_and_head_works(server: HealthServer) -> None:
    assert get(f"{server.url}/nope")[0] == 404
    request = urllib.request.Request(f"{server.url}/health", method="HEAD")
    server.publish(_state(int(time.time() * 1000)), Settings())
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200 and response.read() == b""


def test_a_taken_port_raises_for_the_caller_to_report(server: HealthServer) -> None:
    clash = HealthServer("127.0.0.1", server.port, stale_after_s=10)
    with pytest.raises(OSError):
        clash.start()


@pytest.mark.slow
def test_running_bot_serves_health_and_status_and_passes_the_compose_healthcheck(bot_process) -> None:  # type: ignore[no-untyped-def]
    base = f"http://127.0.0.1:{bot_process.port}"
    wait_for(lambda: get(f"{base}/health")[0] == 200)
    code, health = get(f"{base}/health")
    assert HEALTH_FIELDS <= set(health) and health["mode"] == "paper" and health["source"] == "sim"
    assert health["markets_tracked"] > 0 and health["tokens_tracked"] == 2 * health["markets_tracked"]
    assert health["active_strategies"] and health["last_cycle_age_s"] < 10
    code, status = get(f"{base}/api/status")
    assert code == 200 and STATUS_FIELDS <= set(status)
    assert status["capital"]["starting_usd"] and {row["name"] for row in status["strategies"]} >= {"spike_hunter"}
    assert status["ops"]["health"]["url"] == base and status["ops"]["disk"]["used_pct"] > 0

    compose = YAML(typ="safe").load((ROOT / "docker-compose.yml").read_text())
    test = compose["services"]["bot"]["healthcheck"]["test"]
    code_text = test[-1].replace("/app/data/", f"{bot_process.data_dir}/")
    argv = [sys.executable, *test[2:-1], code_text]
    assert subprocess.run(argv, capture_output=True, timeout=30).returncode == 0
    assert bot_process.stop() == 0
    # A stopped bot is unhealthy within the heartbeat window (here: its final state says stopped
    # and ages; the check reads the heartbeat alone, so age it by hand rather than wait 10 s).
    state_path = Path(bot_process.data_dir) / "state.json"
    state = json.loads(state_path.read_text())
    state["written_ts_ms"] -= 11_000
    state_path.write_text(json.dumps(state))
    assert subprocess.run(argv, capture_output=True, timeout=30).returncode != 0
