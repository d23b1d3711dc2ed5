"""Discord alerts through a webhook, with ``discord-webhook`` doing the HTTP and this module owning
every failure.

The library's own rate-limit handling (``rate_limit_retry=True``) has known holes: a 429 without a
``Via`` header raises ``http.client.HTTPException``; a 429 followed by a 500 leaves
``handle_rate_limit`` returning None and ``execute`` crashing on it; and it sleeps in the calling
thread. So we call ``api_post_request`` once per attempt (with a timeout) and decide here: 2xx is
sent; 429 waits ``retry_after`` (from the JSON body, else the ``Retry-After`` or
``X-RateLimit-Reset-After`` header, else a default); 5xx, timeouts and connection errors are
retried; other 4xx are dropped. The blocking request runs in a worker thread, never in the
notifier's event loop, and never in the trading loop.
"""

from __future__ import annotations

import asyncio
import json
import logging

import requests
from discord_webhook import DiscordWebhook

from bot.adapters.notify.channel import SENT, Outcome, drop, retry
from bot.adapters.notify.messages import DISCORD_LIMIT

log = logging.getLogger("polybot.notify.discord")

DEFAULT_BACKOFF_S = 5.0
MAX_RETRY_AFTER_S = 300.0  # a longer ban (Cloudflare's 1015) drops messages rather than queueing for hours


def retry_after_s(response: requests.Response) -> float:
    """Discord's wait time in seconds from a 429: JSON ``retry_after``, else the headers."""
    try:
        body = json.loads(response.content.decode("utf-8") or "{}")
        if isinstance(body, dict) and body.get("retry_after") is not None:
            return min(float(body["retry_after"]), MAX_RETRY_AFTER_S)
    except (ValueError, UnicodeDecodeError):
        pass  # Cloudflare answers 429 with HTML
    for header in ("Retry-After", "X-RateLimit-Reset-After"):
        value = response.headers.get(header)
        if value:
            try:
                return min(float(value), MAX_RETRY_AFTER_S)
            except ValueError:
                continue
    return DEFAULT_BACKOFF_S


class DiscordChannel:
    name = "discord"
    limit = DISCORD_LIMIT

    def __init__(self, webhook_url: str, timeout_s: float) -> None:
        self._url = webhook_url
        self.timeout_s = timeout_s

    async def start(self) -> bool:
        return True  # a webhook needs no session; a bad URL shows as 401/404 on the first send

    async def stop(self) -> None:
        return None

    async def send(self, text: str) -> Outcome:
        return await asyncio.to_thread(self.send_blocking, text)

    def send_blocking(self, text: str) -> Outcome:
        # allowed_mentions parse=[]: a market question containing "@everyone" must not ping anyone.
        webhook = DiscordWebhook(self._url, content=text, username="Polybot", timeout=self.timeout_s,
                                 rate_limit_retry=False, allowed_mentions={"parse": []})
        try:
            response = webhook.api_post_request()
        except requests.Timeout:
            return retry(0.0, f"no answer within {self.timeout_s:g} s")
        except requests.RequestException as exc:
            return retry(DEFAULT_BACKOFF_S, f"connection failed ({type(exc).__name__})")
        status = response.status_code
        if 200 <= status < 300:
            return SENT
        if status == 429:
            wait = retry_after_s(response)
            via = "with" if response.headers.get("Via") else "without"
            return retry(wait, f"rate limited (HTTP 429 {via} a Via header), retry after {wait:g} s")
        if status >= 500:
            return retry(1.0, f"Discord server error HTTP {status}")
        return drop(f"Discord refused the message: HTTP {status}")
