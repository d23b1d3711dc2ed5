"""Notification messages: the record the notifier queues, how each kind is titled, how a burst is
packed into as few chat messages as the channel allows, and the last-line redaction of secrets.

Pure: no I/O, no clock. The engine's ``Notify`` actions and the runtime's reports both become a
``Message`` here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from bot.domain.actions import Notify, NotifyKind
from bot.domain.money import ZERO, cents, usd
from bot.domain.positions import ClosedTrade

# Kinds beyond the engine's NotifyKind: runtime reports and the dashboard's test button.
STATUS, REPORT, TEST = "status", "report", "test"

ICONS = {
    NotifyKind.ENTRY.value: "🟢", NotifyKind.EXIT.value: "🏁", NotifyKind.SPIKE.value: "⚡",
    NotifyKind.RISK.value: "⚠️", NotifyKind.COMMAND.value: "🎛", NotifyKind.ERROR.value: "🚨",
    STATUS: "📊", REPORT: "🗓", TEST: "🔔",
}
TELEGRAM_LIMIT = 4000  # the Bot API allows 4096 characters; leave room for the batch header
DISCORD_LIMIT = 1900  # webhooks allow 2000


@dataclass(frozen=True, slots=True)
class Message:
    kind: str
    text: str
    ts_ms: int

    def render(self) -> str:
        return f"{ICONS.get(self.kind, '•')} {self.text}"


def pct(value: Decimal | float, signed: bool = True) -> str:
    """A percentage for people: +4.0%, -1.3%."""
    number = round(float(value), 1)
    if number == 0:
        return "0.0%"  # never "+0.0%" or "-0.0%"
    return f"{number:+.1f}%" if signed else f"{number:.1f}%"


def signed_usd(value: Decimal) -> str:
    return f"+{usd(value)}" if value > 0 else usd(value)


def exit_text(notify: Notify, trade: ClosedTrade | None, question: str, outcome: str) -> str:
    """The engine's exit sentence with the size, the market and the P&L in dollars and percent."""
    if trade is None:
        return notify.text
    pnl_pct = trade.pnl_usd / trade.cost_usd * 100 if trade.cost_usd > 0 else ZERO
    verdict = "won" if trade.pnl_usd > 0 else "lost" if trade.pnl_usd < 0 else "broke even"
    return (f"Closed {trade.shares} {outcome} in “{question}”: bought at {cents(trade.entry_price)}, "
            f"sold at {cents(trade.exit_price)}; {verdict} {signed_usd(trade.pnl_usd)} ({pct(pnl_pct)} on "
            f"{usd(trade.cost_usd)}, fees {usd(trade.fees_usd)}). {notify.text}")


def pack(texts: Iterable[str], limit: int) -> list[str]:
    """Join texts into as few chunks of at most ``limit`` characters as possible (a burst becomes one
    chat message); a single over-long text is cut with an ellipsis rather than rejected by the API."""
    chunks: list[str] = []
    current = ""
    for text in texts:
        if len(text) > limit:
            text = text[: limit - 1] + "…"
        candidate = f"{current}\n\n{text}" if current else text
        if len(candidate) > limit:
            chunks.append(current)
            candidate = text
        current = candidate
    if current:
        chunks.append(current)
    return chunks


def redact(text: str, secrets: Iterable[str]) -> str:
    """Blank out any secret value (token, webhook URL, its path) that found its way into a text."""
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, "[redacted]")
    return text
