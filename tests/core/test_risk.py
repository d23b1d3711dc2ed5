"""Every risk rule, accepting and refusing, with its reason code and a sentence carrying the numbers."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from bot.config.schema import Risk
from bot.core.risk import RiskPicture, check
from bot.domain.orders import OrderIntent, OrderType, Purpose, Side
from bot.domain.risk import Approved, RefusalCode, Refused

NOW = 1_800_000_000_000
LIMITS = Risk()  # the spike-hunter defaults: $2 daily loss, $3 per trade, 2 open trades, 30 s cooldown ...


def intent(**changes: object) -> OrderIntent:
    base = OrderIntent(strategy="spike_hunter", market_id="m1", token_id="t1", side=Side.BUY, shares=Decimal("5"),
                       limit_price=Decimal("0.40"), order_type=OrderType.FAK, purpose=Purpose.ENTRY,
                       reason="test", ts_ms=NOW, key="k")
    return replace(base, **changes)


CALM = RiskPicture(
    paused=False, entries_stopped=False, kill_switch=False, breaker_until_ms=None, consecutive_losses=0,
    realised_today=Decimal(0), unrealised=Decimal(0), open_trades=0, cash=Decimal(75), equity=Decimal(75),
    peak_equity=Decimal(75), market_exposure=Decimal(0), strategy_exposure=Decimal(0), strategy_limit=Decimal(75),
    last_entry_ms=None, holding_market=False, held_shares=Decimal(0), min_order_size=Decimal(5), market_end_ms=None,
)


def test_a_calm_account_approves_a_normal_entry() -> None:
    assert isinstance(check(intent(), CALM, LIMITS, NOW), Approved)


CASES = [
    ("paused", {"paused": True}, {}, RefusalCode.PAUSED, "paused"),
    ("entries stopped", {"entries_stopped": True}, {}, RefusalCode.ENTRIES_STOPPED, "entries"),
    ("daily loss realised", {"realised_today": Decimal("-2.00")}, {}, RefusalCode.DAILY_LOSS, "$2.00"),
    ("daily loss incl. open", {"realised_today": Decimal("-1.50"), "unrealised": Decimal("-0.60")}, {},
     RefusalCode.DAILY_LOSS, "$2.10"),
    ("max position", {}, {"shares": Decimal("10")}, RefusalCode.POSITION_SIZE, "$4.00"),
    ("open trades", {"open_trades": 2}, {}, RefusalCode.OPEN_TRADES, "2 of 2"),
    ("cooldown", {"last_entry_ms": NOW - 10_000}, {}, RefusalCode.COOLDOWN, "20 s"),
    ("breaker", {"breaker_until_ms": NOW + 60_000, "consecutive_losses": 3}, {}, RefusalCode.CIRCUIT_BREAKER, "60 s"),
    ("market capital", {"market_exposure": Decimal("9")}, {}, RefusalCode.MARKET_CAPITAL, "$10.00"),
    ("strategy capital", {"strategy_exposure": Decimal("74")}, {}, RefusalCode.STRATEGY_CAPITAL, "$75.00"),
    ("drawdown", {"equity": Decimal("67"), "peak_equity": Decimal("75")}, {}, RefusalCode.DRAWDOWN, "10.7%"),
    ("kill switch latched", {"kill_switch": True}, {}, RefusalCode.DRAWDOWN, "kill switch"),
    ("min size", {}, {"shares": Decimal("4"), "limit_price": Decimal("0.50")}, RefusalCode.MIN_SIZE, "5-share"),
    ("min notional", {}, {"shares": Decimal("5"), "limit_price": Decimal("0.10")}, RefusalCode.MIN_NOTIONAL, "$1"),
    ("cash", {"cash": Decimal("1.50")}, {}, RefusalCode.CASH, "$1.50"),
    ("already held", {"holding_market": True}, {}, RefusalCode.ALREADY_HELD, "Already"),
    ("market ending", {"market_end_ms": NOW + 600_000}, {}, RefusalCode.MARKET_ENDING, "600 s"),
]


@pytest.mark.parametrize(("name", "picture", "order", "code", "phrase"), CASES, ids=[c[0] for c in CASES])
def test_each_rule_refuses_with_its_code_and_numbers(name: str, picture: dict, order: dict, code: RefusalCode,
                                                      phrase: str) -> None:
    decision = check(intent(**order), replace(CALM, **picture), LIMITS, NOW)
    assert isinstance(decision, Refused), name
    assert decision.code is code
    assert phrase in decision.text


@pytest.mark.parametrize(("name", "picture", "order"), [
    ("cooldown over", {"last_entry_ms": NOW - 30_000}, {}),
    ("breaker expired", {"breaker_until_ms": NOW - 1, "consecutive_losses": 3}, {}),
    ("loss below limit", {"realised_today": Decimal("-1.99")}, {}),
    ("drawdown below limit", {"equity": Decimal("68"), "peak_equity": Decimal("75")}, {}),
    ("exactly max position", {}, {"shares": Decimal("7.5")}),
    ("one trade open of two", {"open_trades": 1}, {}),
    ("market ends later", {"market_end_ms": NOW + 3_600_000}, {}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_each_rule_accepts_just_inside_its_limit(name: str, picture: dict, order: dict) -> None:
    assert isinstance(check(intent(**order), replace(CALM, **picture), LIMITS, NOW), Approved), name


def test_exits_pass_even_when_entries_are_blocked() -> None:
    blocked = replace(CALM, paused=True, kill_switch=True, realised_today=Decimal(-50), open_trades=9,
                      held_shares=Decimal("6"))
    exit_order = intent(side=Side.SELL, purpose=Purpose.EXIT, shares=Decimal("6"), limit_price=Decimal("0.40"))
    assert isinstance(check(exit_order, blocked, LIMITS, NOW), Approved)


def test_an_exit_cannot_sell_more_than_is_held_or_below_one_dollar() -> None:
    held = replace(CALM, held_shares=Decimal("5"))
    too_many = check(intent(side=Side.SELL, purpose=Purpose.EXIT, shares=Decimal("6")), held, LIMITS, NOW)
    assert isinstance(too_many, Refused) and too_many.code is RefusalCode.NO_BALANCE
    tiny = check(intent(side=Side.SELL, purpose=Purpose.EXIT, limit_price=Decimal("0.10")), held, LIMITS, NOW)
    assert isinstance(tiny, Refused) and tiny.code is RefusalCode.MIN_NOTIONAL
