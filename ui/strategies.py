"""Strategies page transforms: one card per block under ``strategies:`` in config.yaml, whatever
strategies exist, with its allocation and its measured results.

Inputs: the config's strategies mapping (plain dicts), snapshot ``trades``, ``fills`` and ``signals``
tables as Arrow and state.json's open positions. Pure: no streamlit, no files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ui import text
from ui.pnl import group_sums

ZERO = Decimal(0)
MANUAL = "manual"  # the engine's strategy name for orders placed by command


@dataclass(frozen=True, slots=True)
class StrategyCard:
    name: str
    enabled: bool | None  # None: the block has no ``enabled`` key
    allocation_usd: Decimal | None
    in_use_usd: Decimal
    params: dict[str, Any]
    metrics: list[tuple[str, str]]
    disabled_reason: str | None = None  # its own safety switched it off (state.json strategies_disabled)

    @property
    def title(self) -> str:
        return self.name.replace("_", " ").capitalize()


def _sum(values: Any) -> Decimal:
    return sum((text.to_decimal(v) or ZERO for v in values), ZERO)


def cards(config: Mapping[str, Any], trades: pa.Table, positions: Sequence[Mapping[str, Any]],
          fills: pa.Table, signals: pa.Table, disabled: Mapping[str, str] | None = None) -> list[StrategyCard]:
    """A card per configured strategy, plus "manual" when the user has traded by hand; ``disabled`` is
    state.json's ``strategies_disabled`` (name -> why)."""
    closed = group_sums(trades, "strategy", ["pnl_usd"])
    fees = group_sums(fills, "strategy", ["fee_usd"])
    seen: dict[str, tuple[int, int]] = {}
    if signals.num_rows:
        traded = pc.cast(pc.equal(signals["decision"], "traded"), pa.int64())
        table = signals.select(["strategy"]).append_column("traded", traded)
        for row in table.group_by("strategy").aggregate([("strategy", "count"), ("traded", "sum")]).to_pylist():
            seen[str(row["strategy"])] = (int(row["strategy_count"]), int(row["traded_sum"] or 0))
    names = list(config)
    if (MANUAL in closed or any(str(p.get("strategy")) == MANUAL for p in positions)) and MANUAL not in names:
        names.append(MANUAL)
    out = []
    for name in names:
        block = dict(config.get(name) or {})
        c = closed.get(name, {"n": 0, "positive": 0, "pnl_usd": ZERO})
        held = [p for p in positions if str(p.get("strategy")) == name]
        unrealised, in_use = _sum(p.get("unrealised_usd") for p in held), _sum(p.get("cost_usd") for p in held)
        n_signals, n_traded = seen.get(name, (0, 0))
        metrics = [
            ("Closed trades", str(c["n"])),
            ("Win rate", text.win_rate(c["positive"], c["n"])),
            ("Realised P&L", text.money(c["pnl_usd"], signed=True)),
            ("Open positions", f"{len(held)} ({text.money(unrealised, signed=True)})"),
            ("Fees paid", text.money(fees.get(name, {}).get("fee_usd", ZERO))),
            ("Signals", f"{n_signals} ({n_traded} traded)"),
        ]
        enabled = block.pop("enabled", None)
        out.append(StrategyCard(name, None if enabled is None else bool(enabled),
                                text.to_decimal(block.get("max_capital_usd")), in_use,
                                {k: v for k, v in block.items() if not isinstance(v, Mapping)}, metrics,
                                (disabled or {}).get(name)))
    return out


def disabled_sentence(card: StrategyCard) -> str | None:
    """Why the strategy stopped opening trades and how to re-arm it; None while it is armed."""
    if not card.disabled_reason:
        return None
    why = card.disabled_reason.replace(" press Resume to allow new ones.", "").rstrip(" ;.")
    return (f"Switched off by its own safety limit. {why}. "
            "Press **Resume** on the Control page to re-arm it (its losses count again from then).")


def allocation_sentence(card: StrategyCard) -> str:
    """"$3.00 of its $75.00 in open trades (4%)"."""
    if card.allocation_usd is None or card.allocation_usd <= 0:
        return f"{text.money(card.in_use_usd)} in open trades"
    share = card.in_use_usd / card.allocation_usd * 100
    return f"{text.money(card.in_use_usd)} of its {text.money(card.allocation_usd)} in open trades ({share:.0f}%)"
