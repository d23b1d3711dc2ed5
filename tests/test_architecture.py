"""The house rules that a reader could break without noticing, checked on the source itself.

bot/core and bot/domain stay pure: no I/O library, no process or network access, no wall clock,
and no reaching outwards into adapters, runtime or wiring. Every module under bot/ opens with a
docstring saying what it owns. The checker is a plain function over source text, so the tests at
the bottom prove it flags a violation rather than passing vacuously.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"
PURE_DIRS = (BOT / "core", BOT / "domain")

# Top-level modules a pure module may not import (I/O, processes, network, wall clock, heavy deps).
FORBIDDEN_MODULES = frozenset({
    "requests", "httpx", "websockets", "aiohttp", "urllib", "http", "socket", "socketserver",
    "duckdb", "sqlite3", "streamlit", "telegram", "discord_webhook", "pandas", "pyarrow",
    "os", "subprocess", "shutil", "signal", "time", "asyncio", "threading", "multiprocessing",
})
# Project packages the pure layers may not depend on: the arrows point inwards only.
FORBIDDEN_PROJECT_PREFIXES = ("bot.adapters", "bot.runtime", "bot.wiring", "bot.__main__")
# Attribute reads that consult the wall clock, by the name they are reached through.
WALL_CLOCK_ATTRS = {
    "datetime": {"now", "utcnow", "today"},
    "date": {"today"},
    "time": {"time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns"},
}


def _dotted(node: ast.AST) -> str | None:
    """`a.b.c` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def purity_violations(
    source: str, filename: str = "<source>", *, module: str = "", is_package: bool = False
) -> list[str]:
    """Every rule-1 breach in one module's source, as `file:line: text` strings.

    `module` is the dotted name (e.g. `bot.core.engine`) and `is_package` says whether the source
    is a package's `__init__.py`; both are used to resolve relative imports.
    """
    here = module.split(".") if module else []
    package_parts = here if is_package else here[:-1]
    tree = ast.parse(source, filename=filename)
    found: list[str] = []
    # Local names bound to datetime.datetime / datetime.date / the time module (aliases included).
    clock_names: dict[str, str] = {"datetime": "datetime", "date": "date", "time": "time"}

    def flag(node: ast.AST, text: str) -> None:
        found.append(f"{filename}:{getattr(node, 'lineno', 0)}: {text}")

    def check_target(node: ast.AST, target: str) -> None:
        if target.split(".")[0] in FORBIDDEN_MODULES:
            flag(node, f"imports {target!r} (I/O or wall clock is not allowed in the pure core)")
        if target.startswith(FORBIDDEN_PROJECT_PREFIXES):
            flag(node, f"imports {target!r} (core/domain must not depend on adapters/runtime/wiring)")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                check_target(node, alias.name)
                if alias.name in ("time", "datetime"):
                    clock_names[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = package_parts[: len(package_parts) - (node.level - 1)]
                target = ".".join([*package, node.module] if node.module else package)
            else:
                target = node.module or ""
            check_target(node, target)
            for alias in node.names:
                check_target(node, f"{target}.{alias.name}")
                if target == "datetime" and alias.name in ("datetime", "date"):
                    clock_names[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.Call) and _dotted(node.func) in ("__import__", "importlib.import_module"):
            flag(node, "imports dynamically (the import rules could not be checked)")
        elif isinstance(node, ast.Attribute):
            owner = _dotted(node.value)
            if owner is None:
                continue
            last = owner.split(".")[-1]
            kind = clock_names.get(last) if "." not in owner else last
            if kind in WALL_CLOCK_ATTRS and node.attr in WALL_CLOCK_ATTRS[kind]:
                flag(node, f"reads the wall clock via {owner}.{node.attr} (use the injected clock)")
    return found


def missing_docstring(source: str) -> bool:
    return ast.get_docstring(ast.parse(source)) is None


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


PURE_FILES = sorted(p for d in PURE_DIRS if d.is_dir() for p in d.rglob("*.py"))
ALL_BOT_FILES = sorted(BOT.rglob("*.py"))


def test_the_walk_finds_the_pure_layers():
    # Guards against a vacuous pass (a moved folder would otherwise check nothing).
    assert any(p.is_relative_to(BOT / "domain") for p in PURE_FILES), "no .py files under bot/domain"
    assert any(p.is_relative_to(BOT / "core") for p in PURE_FILES), "no .py files under bot/core"


@pytest.mark.parametrize("path", PURE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_layers_do_no_io_and_read_no_wall_clock(path: Path):
    problems = purity_violations(
        path.read_text(encoding="utf-8"),
        str(path.relative_to(ROOT)),
        module=_module_name(path),
        is_package=path.name == "__init__.py",
    )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", ALL_BOT_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_bot_module_has_a_docstring(path: Path):
    assert not missing_docstring(path.read_text(encoding="utf-8")), (
        f"{path.relative_to(ROOT)} has no module docstring saying what it owns"
    )


# --- the checker itself ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "import time\n",
        "import time as t\nx = t.monotonic()\n",
        "from time import perf_counter\n",
        "import os.path\n",
        "from os import environ\n",
        "import requests\n",
        "import duckdb\n",
        "from streamlit import session_state\n",
        "import pandas as pd\n",
        "from urllib.request import urlopen\n",
        "import asyncio\n",
        "from datetime import datetime\nnow = datetime.now()\n",
        "from datetime import datetime as dt\nnow = dt.utcnow\n",
        "import datetime\nd = datetime.date.today()\n",
        "import datetime as _dt\nd = _dt.datetime.now()\n",
        "from datetime import date\nd = date.today()\n",
        "from bot.adapters.clock import WallClock\n",
        "from ..adapters import clock\n",
        "mod = __import__('socket')\n",
    ],
)
def test_checker_flags_violations(source: str):
    assert purity_violations(source, module="bot.core.engine"), f"not flagged:\n{source}"


@pytest.mark.parametrize(
    "source",
    [
        '"""Doc."""\nfrom __future__ import annotations\n',
        "from dataclasses import dataclass\nfrom decimal import Decimal\nfrom enum import StrEnum\n",
        "from datetime import datetime, timezone\nts = datetime.fromtimestamp(0, tz=timezone.utc)\n",
        "from bot.domain.book import Book\nfrom .signals import Signal\n",
        "import math\nimport numpy as np\nx = np.float64(math.pi)\n",
        "class Tracker:\n    def now(self, clock):\n        return clock.now_ms()\n",
    ],
)
def test_checker_accepts_pure_code(source: str):
    assert purity_violations(source, module="bot.core.engine") == []


def test_relative_import_resolves_against_the_module():
    assert purity_violations("from ..adapters.clock import X\n", module="bot.core.engine")
    assert purity_violations("from . import tracker\n", module="bot.core.engine") == []
    assert purity_violations("from .. import adapters\n", module="bot.core", is_package=True)
    assert purity_violations("from . import engine\n", module="bot.core", is_package=True) == []
    assert purity_violations("from ...adapters import feeds\n", module="bot.core.detectors.ewma")


def test_docstring_check():
    assert missing_docstring("import math\n")
    assert missing_docstring("# a comment is not a docstring\nx = 1\n")
    assert not missing_docstring('"""Owns the thing."""\nx = 1\n')
