"""The strategy registry: name -> factory for every strategy module in ``bot.core.strategies``.

Imports are written out (the pure core allows no dynamic imports, so the architecture test can
check every one); ``python -m bot strategy new NAME`` adds the line for a new module, and
tests/core/strategies/test_registry_and_safety.py fails if a module in the package is missing
here. spike_hunter runs first (its decisions predate the others and the golden run pins them);
the rest run in name order, so a replay always acts on proposals in the same order.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.strategies import (  # registry: one name per strategy module, in any order
    dual_arb,
    market_maker,
    mean_reversion,
    ml_prediction,
    momentum,
    spike_hunter,
    time_of_day,
    value_betting,
)
from bot.core.strategies.base import Strategy

FIRST = "spike_hunter"
MODULES = (dual_arb, market_maker, mean_reversion, momentum, spike_hunter,  # registry: modules
           ml_prediction, time_of_day, value_betting)


def strategy_classes() -> dict[str, Callable[[], Strategy]]:
    """name -> factory of every registered strategy, spike_hunter first, then by name."""
    found: dict[str, Callable[[], Strategy]] = {}
    for module in MODULES:
        factory = module.STRATEGY
        name = factory.name
        if module.__name__.rsplit(".", 1)[-1] != name:
            raise ValueError(f"strategy module {module.__name__} names its strategy {name!r}; they must match")
        found[name] = factory
    ordered = sorted(found, key=lambda n: (n != FIRST, n))
    return {name: found[name] for name in ordered}


def build_strategies(configured: set[str]) -> dict[str, Strategy]:
    """Fresh instances of the strategies that have a config block (the config names the set)."""
    classes = strategy_classes()
    missing = sorted(configured - set(classes))
    if missing:
        raise ValueError(f"config has strategies with no code in bot/core/strategies: {', '.join(missing)}")
    return {name: factory() for name, factory in classes.items() if name in configured}
