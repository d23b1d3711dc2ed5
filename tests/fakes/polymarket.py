"""A fake Polymarket on 127.0.0.1: Gamma and CLOB over HTTP, the CLOB market channel over WebSocket.

It serves the real captured Gamma market objects from ``../shared/fixtures/polymarket`` (re-dated so
they are open, and given enough volume to pass the default filters), or synthesised objects of the
same shape when that folder is absent. Books follow scripted prices (``set_mid``) and are served in
the real wire shape: numbers as strings, bids ascending and asks descending (best LAST). WebSocket
clients get ``book`` snapshots (as one array frame) on subscribing and ``price_change`` deltas in the
post-2025-09 schema when a price moves; text ``PING`` is answered with ``PONG``.

Faults (``set_fault(kind, count=None, path=None, **params)``; ``clear_faults()``):
HTTP ``429`` (``retry_after`` s), ``425``, ``500``, ``slow`` (``delay_s``), ``bad_json``, ``html``,
``crossed`` / ``bad_price`` / ``nan`` (bad books from ``/books``); WebSocket ``ws_silent`` (nothing
is sent, not even PONG, the socket stays open), ``ws_drop`` (every socket is closed at once),
``ws_legacy`` and ``ws_unknown`` (one obsolete-schema / unknown-token message per price move).
"""

from __future__ import annotations

import asyncio
import copy
import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from websockets.asyncio.server import ServerConnection, serve

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "polymarket"
HTTP_FAULTS = {"429", "425", "500", "slow", "bad_json", "html", "crossed", "bad_price", "nan"}
WS_FAULTS = {"ws_silent", "ws_drop", "ws_legacy", "ws_unknown"}


@dataclass
class _Fault:
    kind: str
    count: int | None
    path: str | None
    params: dict[str, Any]


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _fixture_markets() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if (FIXTURES / "gamma_markets.json").exists():
        rows = json.loads((FIXTURES / "gamma_markets.json").read_text())
        rows.append(json.loads((FIXTURES / "gamma_market_2026-08_v1_feeschedule.json").read_text()))
    if not rows:  # the shared folder is absent: same shape, made up
        rows = [{"id": str(600000 + i), "question": f"Will synthetic event {i} happen?", "conditionId": f"0x{i:064x}",
                 "slug": f"synthetic-{i}", "outcomes": "[\"Yes\", \"No\"]", "outcomePrices": "[\"0.5\", \"0.5\"]",
                 "clobTokenIds": json.dumps([str(10**70 + 2 * i), str(10**70 + 2 * i + 1)]),
                 "orderPriceMinTickSize": 0.01, "orderMinSize": 5, "negRisk": False, "feesEnabled": True,
                 "feeType": "politics_fees", "feeSchedule": {"exponent": 1, "rate": 0.04, "takerOnly": True}}
                for i in range(11)]
    return rows


class FakePolymarket:
    def __init__(self, markets: int = 4, mid: float = 0.5, half_spread: float = 0.01, depth: int = 5,
                 size: float = 400.0) -> None:
        end = datetime.fromtimestamp(time.time() + 30 * 86400, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.gamma: list[dict[str, Any]] = []
        for i, raw in enumerate(_fixture_markets()[:markets]):
            m = copy.deepcopy(raw)
            m.update(active=True, closed=False, acceptingOrders=True, enableOrderBook=True, endDate=end,
                     volume24hr=100_000.0 - 1000 * i, liquidityNum=50_000.0, spread=2 * half_spread,
                     orderPriceMinTickSize=0.01)
            self.gamma.append(m)
        self.half_spread, self.depth, self.size = half_spread, depth, size
        self.mids: dict[str, float] = {}  # YES token -> mid; the NO book mirrors it
        self.no_of: dict[str, str] = {}
        self.yes_of: dict[str, str] = {}
        for m in self.gamma:
            yes, no = json.loads(m["clobTokenIds"])
            self.mids[yes] = mid
            self.no_of[yes], self.yes_of[no] = no, yes
        self.lock = threading.RLock()
        self.faults: dict[str, _Fault] = {}
        self.requests: dict[str, int] = {}
        self.ws_subscriptions: list[list[str]] = []
        self.ws_clients: set[ServerConnection] = set()
        self._subs: dict[ServerConnection, list[str]] = {}
        self._http: ThreadingHTTPServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ws_stop: asyncio.Future | None = None
        self._threads: list[threading.Thread] = []
        self.http_port = self.ws_port = 0

    # -- public API ----------------------------------------------------------------------------
    @property
    def gamma_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def clob_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port}/ws/market"

    @property
    def token_ids(self) -> list[str]:
        return [t for m in self.gamma for t in json.loads(m["clobTokenIds"])]

    @property
    def market_ids(self) -> list[str]:
        return [str(m["id"]) for m in self.gamma]

    def yes_token(self, market_id: str) -> str:
        m = next(m for m in self.gamma if str(m["id"]) == market_id)
        return json.loads(m["clobTokenIds"])[0]

    def start(self) -> FakePolymarket:
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._http.daemon_threads = True
        self.http_port = self._http.server_address[1]
        self._threads.append(threading.Thread(target=self._http.serve_forever, daemon=True))
        ready = threading.Event()
        self._threads.append(threading.Thread(target=self._ws_thread, args=(ready,), daemon=True))
        for t in self._threads:
            t.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        if self._loop is not None and self._ws_stop is not None:
            self._loop.call_soon_threadsafe(self._ws_stop.set_result, None)
        for t in self._threads:
            t.join(timeout=5)

    def __enter__(self) -> FakePolymarket:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set_fault(self, kind: str, count: int | None = None, path: str | None = None, **params: Any) -> None:
        if kind not in HTTP_FAULTS | WS_FAULTS:
            raise ValueError(f"unknown fault {kind!r}")
        with self.lock:
            self.faults[kind] = _Fault(kind, count, path, params)
        if kind == "ws_drop":
            self._call(self._drop_all())

    def clear_faults(self, *kinds: str) -> None:
        with self.lock:
            for kind in kinds or list(self.faults):
                self.faults.pop(kind, None)

    def set_mid(self, token_or_market: str, mid: float) -> None:
        """Move a market's YES mid (by market id or YES token id); subscribers get the deltas."""
        yes = token_or_market if token_or_market in self.mids else self.yes_token(token_or_market)
        with self.lock:
            before = {t: self._levels(t) for t in (yes, self.no_of[yes])}
            self.mids[yes] = round(mid, 4)
            after = {t: self._levels(t) for t in (yes, self.no_of[yes])}
        self._call(self._push_changes(yes, before, after))

    def close_market(self, market_id: str, outcome_prices: tuple[str, str] | None = None) -> None:
        """Close a market (it leaves the active list); with prices ("1","0") / ("0.5","0.5") it is resolved."""
        with self.lock:
            for m in self.gamma:
                if str(m["id"]) == market_id:
                    m.update(closed=True, acceptingOrders=False)
                    if outcome_prices is not None:
                        m["outcomePrices"] = json.dumps(list(outcome_prices))

    # -- books -----------------------------------------------------------------------------------
    def _levels(self, token: str) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        """(bids, asks) best first, for either token."""
        yes = self.yes_of.get(token, token)
        mid = self.mids[yes]
        bid0, ask0 = round(mid - self.half_spread, 2), round(mid + self.half_spread, 2)
        bids = [(round(bid0 - 0.01 * i, 2), self.size * (1 + i)) for i in range(self.depth) if bid0 - 0.01 * i > 0.005]
        asks = [(round(ask0 + 0.01 * i, 2), self.size * (1 + i)) for i in range(self.depth) if ask0 + 0.01 * i < 0.995]
        if token != yes:  # the NO book mirrors YES: NO bid = 1 - YES ask
            bids, asks = [(round(1 - p, 2), s) for p, s in asks], [(round(1 - p, 2), s) for p, s in bids]
        return bids, asks

    def book_json(self, token: str, fault: str | None = None) -> dict[str, Any]:
        with self.lock:
            bids, asks = self._levels(token)
        if fault == "crossed" and bids and asks:
            bids = [(round(asks[0][0] + 0.02, 2), 50.0), *bids]
        elif fault == "bad_price" and asks:
            asks = [(1.5, 10.0), *asks]
        elif fault == "nan" and bids:
            bids = [(bids[0][0], float("nan")), *bids[1:]]
        market = next(m for m in self.gamma if token in json.loads(m["clobTokenIds"]))
        return {
            "market": market.get("conditionId", ""), "asset_id": token, "timestamp": str(_now_ms()),
            "hash": f"{abs(hash((token, tuple(bids), tuple(asks)))):040x}"[:40],
            # the real wire order: best bid and best ask LAST
            "bids": [{"price": f"{p:g}", "size": f"{s:g}"} for p, s in reversed(bids)],
            "asks": [{"price": f"{p:g}", "size": f"{s:g}"} for p, s in reversed(asks)],
            "min_order_size": "5", "tick_size": "0.01", "neg_risk": False, "last_trade_price": "0.5",
        }

    # -- HTTP --------------------------------------------------------------------------------------
    def take_fault(self, path: str, kinds: set[str]) -> _Fault | None:
        with self.lock:
            self.requests[path] = self.requests.get(path, 0) + 1
            for kind, fault in list(self.faults.items()):
                if kind in kinds and (fault.path is None or path.startswith(fault.path)):
                    if fault.count is not None:
                        fault.count -= 1
                        if fault.count <= 0:
                            del self.faults[kind]
                    return fault
        return None

    def gamma_markets(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        limit = min(int(query.get("limit", ["100"])[0]), 100)
        offset = int(query.get("offset", ["0"])[0])
        with self.lock:
            rows = [m for m in self.gamma if not m["closed"]]
            return copy.deepcopy(rows[offset:offset + limit])

    def gamma_market(self, market_id: str) -> dict[str, Any] | None:
        with self.lock:
            return next((copy.deepcopy(m) for m in self.gamma if str(m["id"]) == market_id), None)

    # -- WebSocket ---------------------------------------------------------------------------------
    def _ws_thread(self, ready: threading.Event) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._ws_stop = self._loop.create_future()
            async with serve(self._ws_handler, "127.0.0.1", 0, ping_interval=None) as server:
                self.ws_port = next(iter(server.sockets)).getsockname()[1]
                ready.set()
                await self._ws_stop

        asyncio.run(main())

    def _call(self, coro: Any) -> None:
        if self._loop is None:
            coro.close()
            return
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=5)

    def _silent(self) -> bool:
        with self.lock:
            return "ws_silent" in self.faults

    async def _send(self, ws: ServerConnection, payload: Any) -> None:
        if self._silent():
            return
        try:
            await ws.send(payload if isinstance(payload, str) else json.dumps(payload))
        except Exception:  # a client that went away
            pass

    async def _ws_handler(self, ws: ServerConnection) -> None:
        try:
            first = json.loads(await ws.recv())
        except Exception:
            return
        assets = [a for a in first.get("assets_ids", []) if isinstance(a, str)]
        with self.lock:
            self.ws_subscriptions.append(assets)
        if not assets:
            await self._send(ws, "NO NEW ASSETS")
        known = [a for a in assets if a in self.mids or a in self.yes_of]
        if known:
            await self._send(ws, [{"event_type": "book", **self.book_json(a)} for a in known])
        self._subs[ws] = assets
        self.ws_clients.add(ws)
        try:
            async for frame in ws:
                if frame == "PING":
                    await self._send(ws, "PONG")
        except Exception:
            pass
        finally:
            self.ws_clients.discard(ws)
            self._subs.pop(ws, None)

    async def _drop_all(self) -> None:
        for ws in list(self.ws_clients):
            ws.transport.abort()  # no close frame: the connection just dies
        with self.lock:
            self.faults.pop("ws_drop", None)

    async def _push_changes(self, yes: str, before: dict, after: dict) -> None:
        now = str(_now_ms())
        messages: list[dict[str, Any]] = []
        for token in (yes, self.no_of[yes]):
            changes = []
            for side, index in (("BUY", 0), ("SELL", 1)):
                old, new = dict(before[token][index]), dict(after[token][index])
                for price in sorted(set(old) | set(new)):
                    if old.get(price) != new.get(price):
                        changes.append({"price": f"{price:g}", "size": f"{new.get(price, 0):g}", "side": side})
            bids, asks = after[token]
            for change in changes:
                change.update(asset_id=token, hash="0" * 40, best_bid=f"{bids[0][0]:g}" if bids else "0",
                              best_ask=f"{asks[0][0]:g}" if asks else "1")
            if changes:
                messages.append({"event_type": "price_change", "market": "0x", "timestamp": now, "price_changes": changes})
        with self.lock:
            extra = {k for k in ("ws_legacy", "ws_unknown") if k in self.faults}
        if "ws_legacy" in extra:
            messages.append({"event_type": "price_change", "asset_id": yes, "price": "0.9", "size": "100",
                             "side": "SELL", "hash": "x", "market": "0x", "timestamp": now})
        if "ws_unknown" in extra:
            messages.append({"event_type": "book", "asset_id": "999", "market": "0x", "timestamp": now,
                             "bids": [{"price": "0.99", "size": "10"}], "asks": []})
        for ws, assets in list(self._subs.items()):
            mine = [m for m in messages if m.get("asset_id", m.get("price_changes", [{}])[0].get("asset_id")) in assets
                    or m.get("asset_id") == "999"]
            if mine:
                await self._send(ws, mine)


def _handler(fake: FakePolymarket) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _reply(self, status: int, body: bytes, kind: str = "application/json", headers: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout under test)
                pass

        def _faulted(self, path: str) -> str | None:
            """Answer with an HTTP fault if one applies; returns a book fault kind to apply to the body."""
            fault = fake.take_fault(path, HTTP_FAULTS)
            if fault is None:
                return None
            if fault.kind == "slow":
                time.sleep(float(fault.params.get("delay_s", 3.0)))
                return ""
            if fault.kind == "429":
                self._reply(429, b'{"error":"Too Many Requests"}',
                            headers={"Retry-After": str(fault.params.get("retry_after", 1))})
            elif fault.kind == "425":
                self._reply(425, b'{"error":"Too Early"}')
            elif fault.kind == "500":
                self._reply(500, b'{"error":"internal"}')
            elif fault.kind == "html":
                self._reply(502, b"<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>",
                            "text/html")
            elif fault.kind == "bad_json":
                self._reply(200, b'[{"asset_id": "1", "bids": [')
            else:
                return fault.kind
            return "answered"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            url = urlparse(self.path)
            fault = self._faulted(url.path)
            if fault == "answered":
                return
            if url.path == "/markets":
                self._reply(200, json.dumps(fake.gamma_markets(parse_qs(url.query))).encode())
            elif url.path.startswith("/markets/"):
                market = fake.gamma_market(url.path.rsplit("/", 1)[1])
                self._reply(404, b'{"error":"not found"}') if market is None else self._reply(200, json.dumps(market).encode())
            elif url.path == "/book":
                token = parse_qs(url.query).get("token_id", [""])[0]
                self._reply(200, json.dumps(fake.book_json(token, fault)).encode())
            else:
                self._reply(404, b'{"error":"not found"}')

        def do_POST(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length) if length else b""
            fault = self._faulted(url.path)
            if fault == "answered":
                return
            if url.path != "/books":
                self._reply(404, b'{"error":"not found"}')
                return
            try:
                wanted = [row["token_id"] for row in json.loads(body)]
            except (ValueError, KeyError, TypeError):
                self._reply(400, b'{"error":"bad request"}')
                return
            known = set(fake.mids) | set(fake.yes_of)
            books = [fake.book_json(t, fault or None) for t in wanted if t in known]
            self._reply(200, json.dumps(books).encode())

    return Handler
