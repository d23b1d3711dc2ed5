"""Discord through discord-webhook against a fake webhook server: the library's known failure modes
(429 without a Via header, 429 then 500) and 500s, 4xx and a hanging server are survived, retried
or dropped cleanly, honouring retry_after."""

from __future__ import annotations

import asyncio
import time
from http.client import HTTPException

import pytest
from discord_webhook import DiscordWebhook

from bot.adapters.notify import send_test
from bot.adapters.notify.discord import DiscordChannel
from bot.adapters.notify.messages import Message
from bot.adapters.notify.outbox import Outbox
from tests.adapters.notify.conftest import fast_notifications, secrets_for, settings_with
from tests.fakes.chat_servers import FakeDiscord, rate_limited


def deliver(discord: FakeDiscord, text: str = "hello", **overrides: object) -> Outbox:
    outbox = Outbox(DiscordChannel(discord.webhook_url, float(overrides.pop("send_timeout_s", 1.0))),  # type: ignore[arg-type]
                    fast_notifications(None, **overrides), lambda t: t)

    async def go() -> None:
        outbox.put(Message("entry", text, 0))
        await outbox.flush()

    asyncio.run(go())
    return outbox


def test_the_library_alone_fails_on_these_answers(discord: FakeDiscord) -> None:
    """Why the wrapper exists: discord-webhook's own rate-limit retry raises on both."""
    discord.script = [rate_limited(0.1, via=False)]
    with pytest.raises(HTTPException):
        DiscordWebhook(discord.webhook_url, content="x", rate_limit_retry=True, timeout=2).execute()
    discord.script = [rate_limited(0.1, via=True), (500, {}, "Internal Server Error")]
    with pytest.raises(AttributeError):  # handle_rate_limit returns None after the 500
        DiscordWebhook(discord.webhook_url, content="x", rate_limit_retry=True, timeout=2).execute()


@pytest.mark.parametrize("via", [True, False])
def test_a_429_is_retried_after_retry_after(discord: FakeDiscord, via: bool) -> None:
    discord.script = [rate_limited(0.6, via=via)]
    started = time.monotonic()
    outbox = deliver(discord)
    assert discord.contents() == ["🟢 hello"]
    assert (outbox.sent, outbox.retried, outbox.dropped) == (1, 1, 0)
    assert time.monotonic() - started >= 0.6  # honoured the wait Discord asked for
    assert "429" in outbox.last_error and ("with a Via" if via else "without a Via") in outbox.last_error


def test_a_429_without_json_uses_the_retry_after_header(discord: FakeDiscord) -> None:
    discord.script = [(429, {"Retry-After": "0.3", "Content-Type": "text/html"}, "<html>1015 banned</html>")]
    outbox = deliver(discord)
    assert outbox.sent == 1 and "retry after 0.3 s" in outbox.last_error


def test_a_429_then_a_500_then_success_is_delivered_once(discord: FakeDiscord) -> None:
    discord.script = [rate_limited(0.1, via=True), (500, {}, "Internal Server Error")]
    outbox = deliver(discord)
    assert discord.contents() == ["🟢 hello"]
    assert (outbox.sent, outbox.retried, outbox.failed, discord.attempts) == (1, 2, 2, 3)


def test_a_server_that_keeps_failing_is_dropped_after_the_retries(discord: FakeDiscord) -> None:
    discord.script = [(500, {}, "boom")] * 10
    outbox = deliver(discord, max_retries=2)
    assert discord.attempts == 3 and outbox.dropped == 1 and outbox.sent == 0
    assert outbox.last_error == "Discord server error HTTP 500"


def test_a_refused_message_is_dropped_at_once(discord: FakeDiscord) -> None:
    discord.script = [(404, {"Content-Type": "application/json"}, '{"message": "Unknown Webhook", "code": 10015}')]
    outbox = deliver(discord)
    assert discord.attempts == 1 and outbox.dropped == 1 and "HTTP 404" in outbox.last_error


def test_a_hanging_server_times_out_and_is_dropped(discord: FakeDiscord) -> None:
    discord.hang = True
    outbox = deliver(discord, send_timeout_s=0.3, max_retries=1)
    assert outbox.dropped == 1 and discord.attempts == 2
    assert "no answer within 0.3 s" in outbox.last_error


def test_mentions_are_never_parsed(discord: FakeDiscord) -> None:
    deliver(discord, "Will @everyone win?")
    assert discord.received[0]["allowed_mentions"] == {"parse": []}


def test_send_test_reports_success_and_failure_without_the_secret(discord: FakeDiscord) -> None:
    settings = settings_with(fast_notifications(None))
    ok, text = send_test("discord", settings, secrets_for(None, discord))
    assert ok and text == "Sent to Discord." and "Test notification" in discord.contents()[0]
    discord.script = [(401, {}, "no")]
    ok, text = send_test("discord", settings, secrets_for(None, discord))
    assert not ok and "HTTP 401" in text and "s3cr3t" not in text
    ok, text = send_test("discord", settings, secrets_for(None, None))
    assert not ok and "DISCORD_WEBHOOK_URL is missing" in text
