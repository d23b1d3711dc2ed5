"""Atomic JSON files: the bot's ``state.json`` heartbeat and the command inbox's files.

Writers put the whole document in a temp file in the same directory, fsync it, then
``os.replace`` it over the target, so a reader sees the old file or the new one, never half of
one. Readers still treat a torn or foreign file as "no state" rather than crashing: the dashboard
must keep rendering whatever happens to the file.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any


def _default(value: Any) -> Any:
    """JSON for the non-JSON types a payload legitimately holds (money as exact strings)."""
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else None
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if hasattr(value, "item"):  # numpy scalars from indicator code
        return value.item()
    raise TypeError(f"state.json cannot hold a {type(value).__name__}: {value!r}")


def _sanitised(value: Any) -> Any:
    """A copy with non-finite floats as None: JSON has no NaN/inf and browsers reject them."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _sanitised(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_sanitised(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes, Decimal)):
        return _sanitised(value.item())
    return value


def dumps(payload: dict[str, Any]) -> str:
    """Serialise: Decimals as strings, floats as numbers, NaN/inf as null."""
    try:
        # Fast path: state.json is written every cycle and almost never holds a NaN.
        return json.dumps(payload, default=_default, allow_nan=False, separators=(",", ":"))
    except ValueError:
        return json.dumps(_sanitised(payload), default=_default, allow_nan=False, separators=(",", ":"))


def write_json_atomic(path: Path, payload: dict[str, Any]) -> None:
    """Replace ``path`` with ``payload`` as JSON, atomically and durably (fsync before rename)."""
    path = Path(path)
    text = dumps(payload)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Leading dot + .tmp suffix: readers globbing "*.json" never pick up a half-written file.
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``, or None if it is missing, torn, not UTF-8 or not an object."""
    try:
        with open(path, "rb") as handle:
            payload = json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return None
    return payload if isinstance(payload, dict) else None


def read_state(path: Path) -> dict[str, Any] | None:
    """The last published state.json, or None when there is none (yet) or it is unreadable."""
    return read_json(path)
