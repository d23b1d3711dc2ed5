"""config.yaml as a form: fields grouped as in the file, help from its comments, bounds from the schema.

Pure: takes the file's text, the parsed round-trip tree and the pydantic ``Settings`` model; never
reads or writes files. The Settings and Strategies pages render the ``Field`` list and hand the
edited values back to ``apply_changes``; ``field_errors`` maps the loader's validation message onto
the fields it names, so each error can be shown next to its input.
"""

from __future__ import annotations

import math
import re
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from bot.config.schema import HOT_RELOADABLE_SECTIONS, Settings

Path_ = tuple[str, ...]
_KEY = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z_][\w-]*)\s*:(?P<rest>.*)$")
_ERROR_LINE = re.compile(r"^\s+- (?P<key>[\w.()\s-]+?): (?P<msg>.*)$")


@dataclass(frozen=True, slots=True)
class Field:
    """One leaf setting, with what a widget needs to edit it."""

    path: Path_
    value: Any
    kind: str  # bool | int | float | decimal | choice | text | list | readonly
    help: str
    restart: bool  # the running bot adopts it only after a restart
    choices: tuple[Any, ...] = ()
    low: float | None = None  # inclusive bounds; exclusive schema bounds are nudged by one step
    high: float | None = None
    step: float | None = None

    @property
    def key(self) -> str:
        return ".".join(self.path)

    @property
    def label(self) -> str:
        return self.path[-1].replace("_", " ")

    @property
    def slider(self) -> bool:
        """A slider when both ends are known and the range is one a hand can sweep."""
        if self.kind not in ("int", "float") or self.low is None or self.high is None or self.step is None:
            return False
        return (self.high - self.low) / self.step <= 2_000


def _own_comments(config_text: str) -> list[tuple[Path_, str]]:
    """Each key in file order with the comment written directly above it (or inline)."""
    out: list[tuple[Path_, str]] = []
    stack: list[tuple[int, str]] = []
    pending: list[str] = []
    for line in config_text.splitlines():
        stripped = line.strip()
        if not stripped:
            pending = []
            continue
        if stripped.startswith("#"):
            pending.append(stripped.lstrip("#").strip())
            continue
        match = _KEY.match(line)
        if not match or stripped.startswith("-"):
            pending = []
            continue
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = (*(key for _, key in stack), match["key"])
        rest = match["rest"]
        inline = rest.split(" #", 1)[1].strip() if " #" in rest else ""
        out.append((path, " ".join(part for part in (*pending, inline) if part)))
        pending = []
        stack.append((indent, match["key"]))
    return out


def help_texts(config_text: str) -> dict[Path_, str]:
    """Help for every key from the file's comments. A key without a comment of its own takes, in
    order: a comment in its block that names it ("... reaches max_loss_usd ..."), the comment of a
    key of the same name in a sibling block (every strategy's max_capital_usd), or the comment of
    the key above it ("min_trade_usd / max_trade_usd"). A "..." comment continues the sentence
    above it ("at least this many percent..." / "...over this many ticks")."""
    own = _own_comments(config_text)
    block_text: dict[Path_, list[str]] = {}
    for path, text in own:
        if text:
            block_text.setdefault(path[:-1], []).append(text)
    by_name: dict[tuple[Path_, str], str] = {}  # (grandparent, key) -> help of the first such key
    helps: dict[Path_, str] = {}
    previous: dict[Path_, str] = {}
    for path, text in own:
        parent, name = path[:-1], path[-1]
        above = previous.get(parent, "")
        if text.startswith("...") and above.endswith("..."):
            text = above[:-3].rstrip() + " " + text[3:].lstrip()
        if not text:
            naming = [t for t in block_text.get(parent, []) if re.search(rf"\b{re.escape(name)}\b", t)]
            text = naming[0] if naming else by_name.get((path[:-2], name), "") if len(path) > 2 else ""
            text = text or above
        helps[path] = text
        if text:
            by_name.setdefault((path[:-2], name), text)
        previous[parent] = text
    return helps


def _model_field(path: Path_) -> Any:
    """The pydantic FieldInfo at ``path`` in Settings, or None when the schema does not know it."""
    model: type[BaseModel] = Settings
    info = None
    for i, part in enumerate(path):
        info = model.model_fields.get(part)
        if info is None:
            return None
        if i < len(path) - 1:
            annotation = info.annotation
            if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
                return None
            model = annotation
    return info


def _bounds(info: Any) -> tuple[float | None, bool, float | None, bool]:
    low = high = None
    low_open = high_open = False
    for meta in getattr(info, "metadata", ()):
        if getattr(meta, "ge", None) is not None:
            low = float(meta.ge)
        if getattr(meta, "gt", None) is not None:
            low, low_open = float(meta.gt), True
        if getattr(meta, "le", None) is not None:
            high = float(meta.le)
        if getattr(meta, "lt", None) is not None:
            high, high_open = float(meta.lt), True
    return low, low_open, high, high_open


def _float_step(value: float, low: float | None, high: float | None) -> float:
    """One tenth of the value's order of magnitude (0.03 -> 0.001, 2.5 -> 0.1, 50 -> 1), so the
    current value is on the grid and a nudge is a small, meaningful change."""
    if value:
        return 10.0 ** (math.floor(math.log10(abs(value))) - 1)
    if low is not None and high is not None and high > low:
        return 10.0 ** (math.floor(math.log10(high - low)) - 2)
    return 0.01


def _kind(annotation: Any, value: Any) -> tuple[str, tuple[Any, ...]]:
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return "choice", typing.get_args(annotation)
    if annotation is bool or isinstance(value, bool):
        return "bool", ()
    if annotation is int:
        return "int", ()
    if annotation is float:
        return "float", ()
    if annotation is Decimal:
        return "decimal", ()
    if isinstance(value, (list, tuple)) and any(isinstance(v, (Mapping, list, tuple)) for v in value):
        return "readonly", ()  # structured lists are edited in the file, never flattened to text
    if origin in (tuple, list) or isinstance(value, (list, tuple)):
        return "list", ()
    if origin in (typing.Union, types.UnionType):
        return "text", ()
    if isinstance(value, int):
        return "int", ()
    if isinstance(value, float):
        return "float", ()
    return "text", ()


def _leaves(node: Mapping[str, Any], prefix: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    for key, value in node.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping):
            yield from _leaves(value, path)
        else:
            yield path, value


def fields(tree: Mapping[str, Any], config_text: str) -> list[Field]:
    """Every leaf of the file, in file order, typed and bounded by the schema where it knows it."""
    helps = help_texts(config_text)
    out: list[Field] = []
    for path, value in _leaves(tree):
        info = _model_field(path)
        kind, choices = _kind(info.annotation if info is not None else None, value)
        low, low_open, high, high_open = _bounds(info) if info is not None else (None, False, None, False)
        step: float | None = None
        if kind == "int":
            step = 1
            low = low + 1 if low is not None and low_open else low
            high = high - 1 if high is not None and high_open else high
        elif kind in ("float", "decimal"):
            step = 0.01 if kind == "decimal" else _float_step(float(value or 0), low, high)
            low = low + step if low is not None and low_open else low
            high = high - step if high is not None and high_open else high
        out.append(Field(path, _plain(value), kind, helps.get(path, ""),
                         restart=path[0] not in HOT_RELOADABLE_SECTIONS, choices=choices,
                         low=low, high=high, step=step))
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value) if not isinstance(value, (int, float)) else value


def groups(all_fields: list[Field]) -> dict[str, list[Field]]:
    """Fields by top-level section, in file order; top-level scalars (``mode``) form "general"."""
    out: dict[str, list[Field]] = {}
    for field in all_fields:
        out.setdefault(field.path[0] if len(field.path) > 1 else "general", []).append(field)
    return out


def to_yaml_value(field: Field, value: Any) -> Any:
    """A widget's value as the file should hold it: whole numbers stay ints, floats lose the
    binary noise a slider adds (0.031000000000000003 -> 0.031), lists from comma-separated text."""
    if field.kind == "bool":
        return bool(value)
    if field.kind == "int":
        return int(value)
    if field.kind in ("float", "decimal"):
        number = float(value)
        if field.step:
            decimals = max(0, -math.floor(math.log10(field.step)) + 2)
            number = round(number, decimals)
        if field.kind == "decimal" and number.is_integer():
            return int(number)
        if field.kind == "float" and isinstance(field.value, int) and number.is_integer():
            return int(number)
        return number
    if field.kind == "list":
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return list(value)
    return value


def changed(all_fields: list[Field], values: Mapping[str, Any]) -> dict[Path_, Any]:
    """The fields whose widget value differs from the file's, as YAML values, by path."""
    out: dict[Path_, Any] = {}
    for field in all_fields:
        if field.key not in values or field.kind == "readonly":
            continue
        new = to_yaml_value(field, values[field.key])
        old = field.value
        if isinstance(old, (int, float)) and not isinstance(old, bool) and isinstance(new, (int, float)):
            if math.isclose(float(old), float(new), rel_tol=0, abs_tol=1e-12):
                continue
        elif new == old:
            continue
        out[field.path] = new
    return out


def apply_changes(tree: Any, changes: Mapping[Path_, Any]) -> Any:
    """Set each path in the round-trip tree in place (its comments and key order stay)."""
    for path, value in changes.items():
        node = tree
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
    return tree


def plain(tree: Any) -> Any:
    """A round-trip tree as plain dicts and lists, for validation."""
    if isinstance(tree, Mapping):
        return {str(k): plain(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [plain(v) for v in tree]
    return tree


def field_errors(message: str) -> dict[str, list[str]]:
    """The loader's ConfigError text ("  - risk.max_open_trades: Input should be ...") by dotted key."""
    out: dict[str, list[str]] = {}
    for line in message.splitlines():
        match = _ERROR_LINE.match(line)
        if match:
            out.setdefault(match["key"].strip(), []).append(match["msg"].strip())
    return out


def errors_for(errors: Mapping[str, list[str]], field: Field) -> list[str]:
    return list(errors.get(field.key, []))


def section_errors(errors: Mapping[str, list[str]], section: str, known: set[str]) -> list[str]:
    """Errors about the section as a whole (e.g. "min_trade_usd must not exceed max_trade_usd")."""
    return [f"{key}: {msg}" for key, msgs in errors.items() for msg in msgs
            if key not in known and (key == section or key.startswith(section + "."))]
