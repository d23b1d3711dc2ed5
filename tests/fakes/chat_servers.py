"""Fake Telegram Bot API and Discord webhook servers on 127.0.0.1 for the notifier tests.

Each runs an aiohttp web server in its own thread and event loop, like a real network peer: the
notifier under test talks HTTP to it through python-telegram-bot and discord-webhook unchanged.
Both record what they received and can be told to misbehave (rate limit, fail, hang).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

from aiohttp import web


class _ServerThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.hang = False
        self.closing = False
        self._release: asyncio.Event | None = None
        self.lock = threading.Lock()

    def app(self) -> web.Application:
        raise NotImplementedError

    def start(self) -> _ServerThread:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    async def _start(self) -> None:
        self._release = asyncio.Event()
        self._runner = web.AppRunner(self.app(), shutdown_timeout=0.5, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def wake_waiters(self) -> None:
        """Release long polls so the server can close without pending handlers."""

    async def maybe_hang(self) -> None:
        """While ``hang`` is on, hold the request open (a server that accepts and never answers)."""
        while self.hang and self._release is not None and not self._release.is_set():
            await asyncio.sleep(0.05)

    def stop(self) -> None:
        async def _stop() -> None:
            assert self._release is not None and self._runner is not None
            self._release.set()
            self.closing = True
            self.wake_waiters()
            await self._runner.cleanup()

        self.hang = False
        asyncio.run_coroutine_threadsafe(_stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class FakeTelegram(_ServerThread):
    """Enough of the Bot API for python-telegram-bot: getMe, deleteWebhook, setMyCommands, getUpdates
    (long polling, offsets), sendMessage. ``user_says`` queues an incoming message from a chat."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.sent: list[dict[str, Any]] = []
        self.calls: list[str] = []
        self.rate_limit_next = 0  # answer this many sendMessage calls with 429 retry_after=1
        self._updates: list[dict[str, Any]] = []
        self._next_update = 1
        self._message_id = 1
        self._new_update: asyncio.Event | None = None

    @property
    def api_url(self) -> str:
        return f"{self.base}/bot"

    def app(self) -> web.Application:
        self._new_update = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        return app

    def user_says(self, chat_id: int, text: str, username: str = "owner") -> None:
        def _add() -> None:
            command = text.split()[0] if text.startswith("/") else ""
            message = {"message_id": self._message_id, "date": int(time.time()),
                       "chat": {"id": chat_id, "type": "private"},
                       "from": {"id": chat_id, "is_bot": False, "first_name": username, "username": username},
                       "text": text}
            if command:
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
            self._message_id += 1
            self._updates.append({"update_id": self._next_update, "message": message})
            self._next_update += 1
            assert self._new_update is not None
            self._new_update.set()

        self.loop.call_soon_threadsafe(_add)

    def wake_waiters(self) -> None:
        if self._new_update is not None:
            self._new_update.set()

    def messages_to(self, chat_id: int | str) -> list[str]:
        with self.lock:
            return [m["text"] for m in self.sent if str(m["chat_id"]) == str(chat_id)]

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(await request.post()))
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"].lower()
        params = await self._params(request)
        with self.lock:
            self.calls.append(method)
        if method != "getupdates":
            await self.maybe_hang()
        if method == "getme":
            return self._ok({"id": 4242, "is_bot": True, "first_name": "Polybot", "username": "polybot_test_bot"})
        if method in ("deletewebhook", "setmycommands"):
            return self._ok(True)
        if method == "getupdates":
            return self._ok(await self._get_updates(params))
        if method == "sendmessage":
            if self.rate_limit_next > 0:
                self.rate_limit_next -= 1
                return web.json_response({"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                                          "parameters": {"retry_after": 1}}, status=429)
            chat_id = params["chat_id"]
            with self.lock:
                self.sent.append({"chat_id": chat_id, "text": params["text"], "ts": time.monotonic()})
            self._message_id += 1
            return self._ok({"message_id": self._message_id, "date": int(time.time()),
                             "chat": {"id": int(chat_id), "type": "private"}, "text": params["text"]})
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        assert self._new_update is not None
        while not self._updates and time.monotonic() < deadline and not self.hang and not self.closing:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
        await self.maybe_hang()
        return list(self._updates)

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})


class FakeDiscord(_ServerThread):
    """A Discord webhook endpoint. ``script`` is a list of canned answers, consumed one per request
    (status, headers, body); when it is empty, requests succeed like Discord's (200 + message JSON)."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[dict[str, Any]] = []
        self.attempts = 0
        self.script: list[tuple[int, dict[str, str], str]] = []

    @property
    def webhook_url(self) -> str:
        return f"{self.base}/api/webhooks/123456789/s3cr3t-webhook-token-abcdef"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/webhooks/{id}/{token}", self._handle)
        return app

    def contents(self) -> list[str]:
        with self.lock:
            return [m["content"] for m in self.received]

    async def _handle(self, request: web.Request) -> web.Response:
        with self.lock:
            self.attempts += 1
        await self.maybe_hang()
        body = await request.json()
        if self.script:
            status, headers, text = self.script.pop(0)
            if status >= 300:
                return web.Response(status=status, headers=headers, text=text)
        with self.lock:
            self.received.append({**body, "ts": time.monotonic()})
        return web.json_response({"id": str(len(self.received)), "content": body.get("content", "")})


def rate_limited(retry_after: float, via: bool) -> tuple[int, dict[str, str], str]:
    """Discord's 429: JSON retry_after; the Via header is what discord-webhook looks for."""
    headers = {"Content-Type": "application/json", "Retry-After": str(retry_after)}
    if via:
        headers["Via"] = "1.1 google"
    return 429, headers, json.dumps({"message": "You are being rate limited.", "retry_after": retry_after, "global": False})
