"""``python -m bot doctor``: a pre-flight check, each item ok or FAIL with a hint how to fix it.

Checks: the config is valid; the data folder is writable; Gamma and the CLOB answer (with
latency); the market WebSocket completes a handshake and answers PING; the local clock agrees
with the servers' HTTP ``Date`` header; and, for live trading, credentials are present and the
geoblock check passes. Every URL comes from the ``polymarket:`` config section, so it runs against
a test server as well as Polymarket. It never prints a secret.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from bot.config.schema import ConfigError, Settings

MAX_SKEW_S = 2.0  # order expirations and signatures carry timestamps; the Date header has 1 s resolution


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str
    hint: str = ""
    latency_ms: float | None = None


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    body: bytes
    date: str | None
    latency_ms: float


def _get(url: str, timeout_s: float) -> _Answer:
    started = time.perf_counter()
    request = urllib.request.Request(url, headers={"User-Agent": "polybot-doctor", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 (URL from config)
            body, status, date = response.read(2_000_000), response.status, response.headers.get("Date")
    except urllib.error.HTTPError as exc:
        body, status, date = exc.read(65536), exc.code, exc.headers.get("Date") if exc.headers else None
    return _Answer(status, body, date, (time.perf_counter() - started) * 1000)


def _unreachable(name: str, url: str, exc: Exception, what: str) -> Check:
    reason = getattr(exc, "reason", None) or exc
    return Check(name, False, f"{url} could not be reached: {reason}",
                 f"check the network and polymarket.{what} in config (a firewall or proxy may block it)")


def check_config(config_path: Path | None, profile: str | None) -> tuple[Check, Settings | None]:
    from bot.config.loader import DEFAULT_CONFIG_PATH, load_settings

    path = config_path or DEFAULT_CONFIG_PATH
    try:
        settings = load_settings(config_path, profile)
    except ConfigError as exc:
        return Check("config", False, str(exc), f"edit {path}: fix each key named above"), None
    return Check("config", True, f"{path}{f' + profile {profile}' if profile else ''} is valid (mode: {settings.mode})"), \
        settings


def check_data_dir(data_dir: Path) -> Check:
    probe = data_dir / f".doctor-{os.getpid()}"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        return Check("data_dir", False, f"{data_dir} is not writable: {exc.strerror or exc}",
                     f"create it and give this user write access (in Docker: chown -R 1000 {data_dir})")
    return Check("data_dir", True, f"{data_dir} is writable")


def check_gamma(settings: Settings) -> tuple[Check, str | None, str | None]:
    """Returns the check, a token id to probe the CLOB with, and the Date header."""
    url = settings.polymarket.gamma_url.rstrip("/") + "/markets?limit=1&active=true&closed=false"
    try:
        answer = _get(url, settings.polymarket.timeout_s)
    except (urllib.error.URLError, OSError) as exc:
        return _unreachable("gamma", url, exc, "gamma_url"), None, None
    if answer.status != 200:
        return Check("gamma", False, f"{url} answered HTTP {answer.status}", _status_hint(answer.status),
                     answer.latency_ms), None, answer.date
    try:
        rows = json.loads(answer.body)
        token = json.loads(rows[0]["clobTokenIds"])[0] if rows else None
    except (ValueError, KeyError, IndexError, TypeError):
        return Check("gamma", False, f"{url} answered, but not with a list of markets",
                     "polymarket.gamma_url may point at the wrong service", answer.latency_ms), None, answer.date
    return Check("gamma", True, f"market list answered in {answer.latency_ms:.0f} ms",
                 latency_ms=answer.latency_ms), token, answer.date


def check_clob(settings: Settings, token: str | None) -> tuple[Check, str | None]:
    base = settings.polymarket.clob_url.rstrip("/")
    url = f"{base}/book?token_id={token}" if token else f"{base}/time"
    try:
        answer = _get(url, settings.polymarket.timeout_s)
    except (urllib.error.URLError, OSError) as exc:
        return _unreachable("clob", base, exc, "clob_url"), None
    if answer.status != 200:
        return Check("clob", False, f"{url} answered HTTP {answer.status}", _status_hint(answer.status),
                     answer.latency_ms), answer.date
    if token:
        try:
            book = json.loads(answer.body)
            assert isinstance(book.get("bids"), list) and isinstance(book.get("asks"), list)
        except (ValueError, AssertionError, AttributeError):
            return Check("clob", False, f"{url} answered, but not with an order book",
                         "polymarket.clob_url may point at the wrong service", answer.latency_ms), answer.date
    what = "order book" if token else "server time"
    return Check("clob", True, f"{what} answered in {answer.latency_ms:.0f} ms", latency_ms=answer.latency_ms), \
        answer.date


def check_websocket(settings: Settings, token: str | None = None) -> Check:
    """Handshake, subscribe (to one real token when Gamma named one), then PING until PONG."""
    from websockets.sync.client import connect

    url = settings.polymarket.ws_url
    timeout = settings.polymarket.timeout_s
    started = time.perf_counter()
    try:
        with connect(url, open_timeout=timeout, close_timeout=1) as ws:
            handshake_ms = (time.perf_counter() - started) * 1000
            ws.send(json.dumps({"assets_ids": [token] if token else [], "type": "market"}))
            ws.send("PING")
            deadline = time.monotonic() + timeout
            frames = 0
            while True:
                left = deadline - time.monotonic()
                try:
                    if left <= 0:
                        raise TimeoutError
                    frame = ws.recv(timeout=left)
                except TimeoutError:
                    return Check("websocket", False, f"handshake ok in {handshake_ms:.0f} ms, but no PONG within "
                                 f"{timeout:g} s ({frames} other messages)",
                                 "the feed may be frozen; the bot falls back to REST polling (feed.mode: auto)",
                                 handshake_ms)
                if str(frame).strip().upper() == "PONG":
                    break
                frames += 1
    except Exception as exc:  # websockets raises many types (InvalidURI, InvalidStatus, OSError, ConnectionClosed)
        return Check("websocket", False, f"{url}: handshake failed: {exc or type(exc).__name__}",
                     "check polymarket.ws_url and that outbound WebSockets (port 443) are allowed; "
                     "feed.mode: rest works without them")
    got = f", {frames} market messages" if frames else ""
    return Check("websocket", True, f"handshake in {handshake_ms:.0f} ms, subscribed, PING answered PONG{got}",
                 latency_ms=handshake_ms)


def check_clock(dates: list[str | None], now_s: float | None = None) -> Check:
    headers = [d for d in dates if d]
    if not headers:
        return Check("clock", False, "no server answered with a Date header to compare the clock with",
                     "fix the reachability problems above, then run doctor again")
    now_s = time.time() if now_s is None else now_s
    try:
        server_s = parsedate_to_datetime(headers[-1]).timestamp()
    except (TypeError, ValueError):
        return Check("clock", False, f"unreadable Date header {headers[-1]!r}", "")
    skew = now_s - server_s
    if abs(skew) > MAX_SKEW_S + 1:  # +1: the header is truncated to whole seconds
        return Check("clock", False, f"this machine's clock is {abs(skew):.1f} s {'ahead of' if skew > 0 else 'behind'} "
                     "the server's", "turn on time sync (e.g. `timedatectl set-ntp true` or chrony)")
    return Check("clock", True, f"within {abs(skew):.1f} s of the server's clock")


def check_credentials(env_file: Path | None = None) -> Check:
    from bot.config.loader import load_secrets
    from bot.runtime.live_guards import _ADDRESS_SHAPE, _KEY_SHAPE, wallet_address

    key = (load_secrets(env_file).polymarket_private_key or "").strip()
    if not key:
        return Check("credentials", False, "POLYMARKET_PRIVATE_KEY is not set",
                     "put it in the environment or in .env (never in config.yaml)")
    if not _KEY_SHAPE.match(key):
        return Check("credentials", False, "POLYMARKET_PRIVATE_KEY is set but is not 64 hex digits (value not shown)",
                     "copy the key again from your wallet export")
    wallet = wallet_address(env_file=env_file)
    if wallet and not _ADDRESS_SHAPE.match(wallet):
        return Check("credentials", False, "POLYMARKET_WALLET is set but is not an address", "expected 0x + 40 hex digits")
    return Check("credentials", True, "POLYMARKET_PRIVATE_KEY is set (value not shown)"
                 + (f"; trading for wallet {wallet[:6]}…{wallet[-4:]}" if wallet else "; trading for the key's own wallet"))


def check_geoblock_status(settings: Settings) -> Check:
    from bot.runtime.live_guards import check_geoblock

    geo = check_geoblock(settings.polymarket.geoblock_url, settings.polymarket.timeout_s)
    hint = "" if geo.ok else "live orders are refused from here; paper trading still works"
    return Check("geoblock", geo.ok, geo.text, hint)


def _status_hint(status: int) -> str:
    if status == 429:
        return "rate limited: wait a minute and run doctor again"
    if status == 425:
        return "Polymarket is restarting its matching engine (about 90 s): try again shortly"
    if status >= 500:
        return "the service has a problem on its side: try again later"
    return "check the URL in the polymarket: section of config"


def run_doctor(config_path: Path | None, profile: str | None, data_dir: Path, live: bool = False) -> list[Check]:
    config, settings = check_config(config_path, profile)
    checks = [config, check_data_dir(data_dir)]
    settings = settings or Settings()  # still probe the network with the defaults
    gamma, token, gamma_date = check_gamma(settings)
    clob, clob_date = check_clob(settings, token)
    checks += [gamma, clob, check_websocket(settings, token), check_clock([gamma_date, clob_date])]
    if live or settings.mode == "live":
        checks += [check_credentials(), check_geoblock_status(settings)]
    return checks


def render(checks: list[Check]) -> str:
    width = max(len(c.name) for c in checks)
    lines = []
    for c in checks:
        lines.append(f"{'ok  ' if c.ok else 'FAIL'}  {c.name:<{width}}  {c.detail}")
        if not c.ok and c.hint:
            lines.append(f"      {'':<{width}}  fix: {c.hint}")
    failed = sum(not c.ok for c in checks)
    lines.append("All checks passed." if not failed else f"{failed} of {len(checks)} checks failed.")
    return "\n".join(lines)


def as_json(checks: list[Check]) -> dict[str, Any]:
    return {"ok": all(c.ok for c in checks), "checks": [asdict(c) for c in checks]}
