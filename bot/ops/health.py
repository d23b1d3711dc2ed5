"""The bot's health endpoint: ``GET /health`` and ``GET /api/status`` on a small stdlib HTTP server.

The server runs in daemon threads and never touches the engine. The loop hands it each finished
state dict as it publishes (``publish``: one reference swap, atomic under the GIL); requests read
only that snapshot. Field lists are documented in docs/OPERATIONS.md.

``/health`` answers 200 while decision cycles keep coming (``last_cycle_age_s`` at most
``health.stale_after_s``) and 503 before the first cycle, when cycles stall, and after the bot
stopped, so a load balancer or ``docker`` healthcheck can use the status code alone.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bot.config.schema import Settings

log = logging.getLogger("polybot.health")


def strategy_states(state: dict[str, Any], settings: Settings) -> list[dict[str, Any]]:
    """Each configured strategy: on/off, what stops it now, its open positions and capital in use."""
    risk = state.get("risk", {})
    positions = state.get("positions", [])
    blocked = ("paused" if risk.get("paused") else "kill_switch" if risk.get("kill_switch")
               else "breaker_tripped" if (risk.get("breaker") or {}).get("tripped")
               else "entries_stopped" if risk.get("entries_stopped") else None)
    rows = []
    for name in type(settings.strategies).model_fields:
        cfg = getattr(settings.strategies, name)
        enabled = bool(getattr(cfg, "enabled", True))
        mine = [p for p in positions if p.get("strategy") == name]
        in_use = sum(float(p.get("cost_usd") or 0) for p in mine)
        cap = getattr(cfg, "max_capital_usd", None)
        rows.append({
            "name": name, "enabled": enabled, "state": "disabled" if not enabled else blocked or "active",
            "open_positions": len(mine), "capital_in_use_usd": f"{in_use:.2f}",
            "max_capital_usd": str(cap) if cap is not None else None,
        })
    return rows


class HealthServer:
    """Serves the last published snapshot. ``start`` binds (OSError if the port is taken)."""

    def __init__(self, host: str, port: int, stale_after_s: float) -> None:
        self.host, self.requested_port, self.stale_after_s = host, port, stale_after_s
        self.started_wall_s = time.time()
        self._snapshot: tuple[dict[str, Any], list[dict[str, Any]]] | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else self.requested_port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def publish(self, state: dict[str, Any], settings: Settings) -> None:
        # Build the small views here, in the loop's thread; request threads only read them.
        self._snapshot = (state, strategy_states(state, settings))

    # -- the two documents ----------------------------------------------------------------------
    def health(self, now_s: float | None = None) -> tuple[int, dict[str, Any]]:
        now_s = time.time() if now_s is None else now_s
        body: dict[str, Any] = {"status": "starting", "uptime_s": round(now_s - self.started_wall_s, 1),
                                "active_strategies": [], "markets_tracked": 0, "tokens_tracked": 0,
                                "last_cycle_age_s": None, "cycles": 0}
        snapshot = self._snapshot
        if snapshot is None:
            return 503, body
        state, strategies = snapshot
        age_s = max(0.0, now_s - state.get("written_ts_ms", 0) / 1000)
        feed, cycle = state.get("feed", {}), state.get("cycle", {})
        stopped = state.get("status") == "stopped"
        body.update({
            "status": "stopped" if stopped else "stale" if age_s > self.stale_after_s else "ok",
            "active_strategies": [s["name"] for s in strategies if s["state"] == "active"],
            "markets_tracked": feed.get("markets", 0), "tokens_tracked": feed.get("tokens", 0),
            "last_cycle_age_s": round(age_s, 3), "cycles": cycle.get("count", 0),
            "bot_status": state.get("status"), "mode": state.get("mode"), "source": state.get("source"),
            "rss_mb": (state.get("process") or {}).get("rss_mb"),
        })
        return (200 if body["status"] == "ok" else 503), body

    def api_status(self) -> tuple[int, dict[str, Any]]:
        snapshot = self._snapshot
        if snapshot is None:
            return 503, {"status": "starting"}
        state, strategies = snapshot
        risk = state.get("risk", {})
        return 200, {
            "status": state.get("status"), "mode": state.get("mode"), "source": state.get("source"),
            "market_ts_ms": state.get("market_ts_ms"), "written_ts_ms": state.get("written_ts_ms"),
            "capital": state.get("capital", {}), "performance": state.get("performance", {}),
            "open_positions": len(state.get("positions", [])), "strategies": strategies,
            "risk": {key: risk.get(key) for key in ("paused", "entries_stopped", "kill_switch", "daily_loss_usd",
                                                     "daily_loss_limit_usd", "drawdown_pct", "breaker")},
            "ops": state.get("ops", {}),
        }

    # -- serving ---------------------------------------------------------------------------------
    def start(self) -> None:
        routes = {"/health": self.health, "/api/status": self.api_status}

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, with_body: bool) -> None:
                route = routes.get(self.path.split("?", 1)[0].rstrip("/") or "/")
                code, body = route() if route else (404, {"error": "not found", "paths": sorted(routes)})
                data = json.dumps(body, default=str).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                if with_body:
                    self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 (stdlib name)
                self._answer(True)

            def do_HEAD(self) -> None:  # noqa: N802 (stdlib name)
                self._answer(False)

            def log_message(self, *args: Any) -> None:  # healthchecks every few seconds would flood the log
                pass

        server = ThreadingHTTPServer((self.host, self.requested_port), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="polybot-health", daemon=True)
        self._thread.start()

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
