"""Plain-English formatters: money from exact decimals, sentences, ages and safety text."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ui import text


@pytest.mark.parametrize(
    ("value", "signed", "expected"),
    [
        ("0.45", True, "+$0.45"),
        ("-0.4", True, "-$0.40"),
        ("0", True, "$0.00"),
        ("75", False, "$75.00"),
        ("1234.5", False, "$1,234.50"),
        (Decimal("0.125"), False, "$0.13"),  # half up, as a person rounds
        (None, False, "—"),
        ("junk", True, "—"),
        (float("nan"), False, "—"),
    ],
)
def test_money(value: object, signed: bool, expected: str) -> None:
    assert text.money(value, signed=signed) == expected


def test_pnl_sentence() -> None:
    assert text.pnl_sentence("0.45") == "you're up 45 cents today"
    assert text.pnl_sentence("-0.01") == "you're down 1 cent today"
    assert text.pnl_sentence("-1.2") == "you're down $1.20 today"
    assert text.pnl_sentence("0.001") == "you're even today"
    assert text.pnl_sentence("2", "since the start") == "you're up $2.00 since the start"


def test_win_rate_and_sentence() -> None:
    assert text.win_rate(4, 6) == "67%"
    assert text.win_rate(0, 0) == "—"
    assert text.win_sentence(4, 6) == "4 wins out of 6 trades"
    assert text.win_sentence(1, 1) == "1 win out of 1 trade"
    assert text.win_sentence(0, 0) == "no closed trades yet today"


def test_open_trades_sentence() -> None:
    assert text.open_trades_sentence(1, 2) == "1 of 2 open trades — can open 1 more"
    assert text.open_trades_sentence(2, 2).startswith("2 of 2 open trades — at the limit")


def test_heartbeat_and_staleness() -> None:
    assert text.heartbeat_text(0.4) == "updated just now"
    assert text.heartbeat_text(2.2) == "updated 2 s ago"
    assert text.heartbeat_text(185) == "updated 3 min 5 s ago"
    assert text.is_stale(1_000, 12_000, 10) and not text.is_stale(5_000, 12_000, 10)
    assert text.is_stale(None, 0, 10)
    assert text.stale_warning(42) == "The bot has not reported for 42 s — numbers below may be old"


def test_prices_in_cents() -> None:
    assert text.cents(0.52) == "52¢"
    assert text.cents("0.525") == "52.5¢"
    assert text.cents(None) == "—"
    assert text.move_cents(0.015) == "+1.5¢"
    assert text.move_cents(-0.005) == "-0.5¢"
    assert text.move_cents(0.0) == "0¢"


def test_safety_sentences() -> None:
    assert text.daily_loss_sentence("0.4", "2", 20.0) == "$0.40 of your $2.00 daily loss limit used (20%)"
    assert text.daily_loss_sentence("0.5", "2") == "$0.50 of your $2.00 daily loss limit used (25%)"
    assert text.drawdown_sentence(3.25, 10.0) == "Down 3.2% from peak equity (limit 10%)"
    assert text.drawdown_sentence(0.0, 10.0) == "At peak equity (limit 10%)"
    armed = {"tripped": False, "until_ts_ms": None, "consecutive_losses": 1, "threshold": 3}
    assert text.breaker_sentence(armed) == "Armed — 1 loss in a row of 3 allowed before it trips"
    # 2024-01-01 14:05:09 UTC
    tripped = {"tripped": True, "until_ts_ms": 1_704_117_909_000, "consecutive_losses": 3, "threshold": 3}
    assert text.breaker_sentence(tripped) == (
        "Tripped until 14:05:09 UTC after 3 losses in a row — no new trades until then"
    )
    assert text.clock(1_704_117_909_000, "Europe/Berlin") == "15:05:09 CET"
    assert text.cooldown_text(12) == "12 s left"


def test_shares_drop_padding_zeros() -> None:
    assert [text.shares(v) for v in (Decimal("6.380000"), Decimal("5.000000"), "100", None)] == [
        "6.38", "5", "100", "—"]


def test_labels_and_icons() -> None:
    assert text.market_status_label("spike") == "SPIKE DETECTED"
    assert text.market_status_label("warming_up") == "Warming up"
    assert text.bot_status_label("entries_stopped") == "New entries stopped"
    assert [text.result_icon(v) for v in ("0.12", "-0.3", "0")] == ["✅", "❌", "➖"]
