"""Markets and their outcome tokens, as the engine knows them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.domain.money import VALID_TICKS


@dataclass(frozen=True, slots=True)
class Token:
    """One tradable outcome of a binary market (a CLOB asset id)."""

    token_id: str
    market_id: str
    outcome: str  # "Yes", "No", a team name...: never assume the order
    complement_token_id: str
    is_primary: bool  # outcome index 0: the token the detectors watch for this market


@dataclass(frozen=True, slots=True)
class Market:
    """A binary market: two complementary tokens plus its trading rules."""

    market_id: str
    question: str
    tokens: tuple[Token, Token]
    end_ts_ms: int | None
    tick_size: Decimal
    min_order_size: Decimal
    fee_rate: Decimal
    neg_risk: bool = False
    neg_risk_group: str | None = None
    category: str = ""
    volume_24h_usd: float = 0.0
    liquidity_usd: float = 0.0

    def __post_init__(self) -> None:
        if self.tick_size not in VALID_TICKS:
            raise ValueError(f"market {self.market_id}: tick size {self.tick_size} is not one of {VALID_TICKS}")
        a, b = self.tokens
        if a.complement_token_id != b.token_id or b.complement_token_id != a.token_id:
            raise ValueError(f"market {self.market_id}: tokens are not each other's complement")

    @property
    def primary(self) -> Token:
        return self.tokens[0]

    def token(self, token_id: str) -> Token:
        for token in self.tokens:
            if token.token_id == token_id:
                return token
        raise KeyError(token_id)


def binary_market(
    market_id: str,
    question: str,
    token_ids: tuple[str, str],
    outcomes: tuple[str, str] = ("Yes", "No"),
    *,
    tick_size: Decimal = Decimal("0.01"),
    min_order_size: Decimal = Decimal(5),
    fee_rate: Decimal = Decimal(0),
    end_ts_ms: int | None = None,
    neg_risk: bool = False,
    neg_risk_group: str | None = None,
    category: str = "",
    volume_24h_usd: float = 0.0,
    liquidity_usd: float = 0.0,
) -> Market:
    """Build a Market with correctly cross-linked tokens."""
    first, second = token_ids
    tokens = (
        Token(first, market_id, outcomes[0], second, True),
        Token(second, market_id, outcomes[1], first, False),
    )
    return Market(
        market_id, question, tokens, end_ts_ms, tick_size, min_order_size, fee_rate,
        neg_risk, neg_risk_group, category, volume_24h_usd, liquidity_usd,
    )
