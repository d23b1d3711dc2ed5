"""``python -m bot strategy new NAME``: write a new strategy's module, its test and its config block.

The three pieces the registry and the config need, filled with a working (if simple) strategy
the author then edits: it buys YES when the mid drops ``drop`` below the previous cycle's mid.
The import goes into the registry, the config block is appended to config.yaml with ruamel (comments kept) and the matching pydantic
model is added to bot/config/schema.py, so ``load_settings() == Settings()`` keeps holding.
"""

from __future__ import annotations

import argparse
import keyword
import re
from pathlib import Path
from typing import Any

from bot.config.loader import DEFAULT_CONFIG_PATH, PROJECT_ROOT
from bot.config.schema import ConfigError

MODULE = '''"""{name}: <say in one sentence what it trades and why>.

Scaffolded by `python -m bot strategy new {name}`: it buys YES when the YES mid falls more than
``drop`` since the previous cycle. Replace ``decide`` with your idea; keep it pure (no I/O, no clock).
"""

from __future__ import annotations

from bot.core.strategies.base import Proposal, View, buy_intent
from bot.domain.orders import OrderType
from bot.domain.signals import Direction, Layer

NAME = "{name}"


class {cls}:
    name = NAME
    generic_exits = True  # the engine's stop, target, trailing and time exits manage its trades
    stacks_in_market = False

    def __init__(self) -> None:
        self.last_mid: dict[str, float] = {{}}

    def decide(self, view: View) -> list[Proposal]:
        params = view.settings.strategies.{name}
        out: list[Proposal] = []
        for token_id in sorted(view.changed):
            market = view.market_of.get(token_id)
            mid = view.mid(token_id)
            if market is None or market.primary.token_id != token_id or mid is None:
                continue
            before, self.last_mid[token_id] = self.last_mid.get(token_id), mid
            if before is None or before - mid < params.drop or view.positions or view.working:
                continue
            sentence = f"{{market.primary.outcome}} fell {{(before - mid) * 100:.1f}}¢ in one cycle"
            intent, problem = buy_intent(NAME, market, token_id, view.books.get(token_id), params.trade_usd,
                                         view.settings.execution.max_slippage_ticks, OrderType.FAK, sentence,
                                         view.now_ms)
            out.append(Proposal(market, token_id, Direction.DOWN, mid, mid - before,
                                (Layer("drop", before - mid, params.drop, True),), sentence,
                                (intent,) if intent else (), True, problem))
        return out


STRATEGY = {cls}
'''

TEST = '''"""{name}: scenario tests (scaffolded; extend them as the strategy grows)."""

from __future__ import annotations

from tests.builders import T0, list_market, market, yes_no_books
from tests.core.strategies.helpers import runner_for


def test_a_drop_is_bought_and_calm_is_left_alone() -> None:
    runner = runner_for("{name}", drop=0.03)
    m = market()
    list_market(runner, m)
    runner.run_cycle(T0 + 1000, yes_no_books(m, 0.49, 0.51, T0 + 1000))
    runner.run_cycle(T0 + 2000, yes_no_books(m, 0.49, 0.51, T0 + 2000))
    assert not runner.engine.portfolio.positions
    runner.run_cycle(T0 + 3000, yes_no_books(m, 0.44, 0.46, T0 + 3000))
    assert list(runner.engine.portfolio.positions) == ["m1-yes"]
'''

SCHEMA = '''

class {cls}Params(_Strategy):
    drop: float = Field(0.03, gt=0, lt=1)
    trade_usd: Decimal = Field(Decimal(3), gt=0)
'''

YAML_BLOCK = """{name}:
  # Scaffolded by `python -m bot strategy new {name}`: buys YES after a one-cycle drop of `drop`.
  enabled: false
  drop: 0.03
  # Dollars per trade.
  trade_usd: 3
  max_capital_usd: 20
  max_loss_usd: 10
  max_drawdown_pct: 50.0
"""


def scaffold(name: str, root: Path = PROJECT_ROOT, config_path: Path | None = None) -> list[Path]:
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,40}", name) or keyword.iskeyword(name) or name in ("base", "registry",
                                                                                                "safety"):
        raise ConfigError(f"strategy name {name!r} must be lower_snake_case letters/digits (and not a reserved word)")
    module = root / "bot" / "core" / "strategies" / f"{name}.py"
    test = root / "tests" / "core" / "strategies" / f"test_{name}.py"
    schema = root / "bot" / "config" / "schema.py"
    config = config_path or (root / "config" / "config.yaml" if root != PROJECT_ROOT else DEFAULT_CONFIG_PATH)
    if module.exists() or test.exists():
        raise ConfigError(f"{module.name} or {test.name} already exists; pick another name")
    cls = "".join(part.title() for part in name.split("_"))
    text = schema.read_text()
    anchor = "\n\nclass Strategies(_Section):\n"
    if anchor not in text or f"    {name}:" in text:
        raise ConfigError(f"cannot add {name} to {schema}: the Strategies section is not where expected or has it")
    text = text.replace(anchor, SCHEMA.format(cls=cls) + anchor)
    marker = "    spike_hunter: SpikeHunter = SpikeHunter()\n"
    text = text.replace(marker, marker + f"    {name}: {cls}Params = {cls}Params()\n")
    from ruamel.yaml import YAML

    yaml = YAML()
    data: Any = yaml.load(config.read_text())
    data["strategies"].update(yaml.load(YAML_BLOCK.format(name=name)))
    registry = root / "bot" / "core" / "strategies" / "registry.py"
    reg = registry.read_text()
    import_anchor = "  # registry: one name per strategy module, in any order\n"
    tuple_anchor = "MODULES = ("
    if import_anchor not in reg or tuple_anchor not in reg:
        raise ConfigError(f"cannot register {name}: {registry} is not laid out as expected")
    reg = reg.replace(import_anchor, import_anchor + f"    {name},\n").replace(tuple_anchor, f"{tuple_anchor}{name}, ")
    module.write_text(MODULE.format(name=name, cls=cls))
    registry.write_text(reg)
    test.write_text(TEST.format(name=name))
    schema.write_text(text)
    with config.open("w") as handle:
        yaml.dump(data, handle)
    return [module, test, schema, config, registry]


def cmd_strategy(args: argparse.Namespace) -> int:
    written = scaffold(args.name)
    print("Wrote:\n" + "\n".join(f"  {p}" for p in written) + f"\nRun its test: .venv/bin/pytest tests/core/strategies/"
          f"test_{args.name}.py ; backtest it: python -m bot backtest --strategy {args.name} --sim")
    return 0


def add_parser(sub: Any) -> None:
    p = sub.add_parser("strategy", help="strategy tools: `strategy new NAME` scaffolds one")
    inner = p.add_subparsers(dest="action", required=True)
    new = inner.add_parser("new", help="write a strategy module, its test and its config block")
    new.add_argument("name")
    new.set_defaults(func=cmd_strategy)
