"""state.json: atomic writes, exact money as strings, NaN as null, torn files read as None."""

from __future__ import annotations

import json
import math
import threading
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.storage.state_file import dumps, read_state, write_json_atomic
from bot.domain.orders import Side


def test_round_trip_types(tmp_path: Path):
    path = tmp_path / "state.json"
    write_json_atomic(path, {
        "version": 1, "capital": {"cash_usd": D("75.000001"), "equity_usd": D("1E+1")},
        "price": 0.52, "nan": float("nan"), "inf": [float("inf"), -float("inf")], "side": Side.BUY,
        "series": (0.1, 0.2), "flag": True, "none": None,
    })
    assert read_state(path) == {
        "version": 1, "capital": {"cash_usd": "75.000001", "equity_usd": "10"},
        "price": 0.52, "nan": None, "inf": [None, None], "side": "BUY",
        "series": [0.1, 0.2], "flag": True, "none": None,
    }
    assert "NaN" not in path.read_text() and not list(tmp_path.glob(".*"))  # no temp file left


def test_missing_torn_and_foreign_files_read_as_none(tmp_path: Path):
    path = tmp_path / "state.json"
    assert read_state(path) is None
    text = json.dumps({"version": 1, "markets": [{"price": 0.5}] * 10})
    for cut in range(0, len(text) - 1, 7):
        path.write_text(text[:cut])
        assert read_state(path) is None
    path.write_bytes(b"\xff\xfe{garbage")
    assert read_state(path) is None
    path.write_text("[1, 2]")  # valid JSON but not a state object
    assert read_state(path) is None
    assert read_state(tmp_path) is None  # a directory


def test_unserialisable_value_fails_before_touching_the_file(tmp_path: Path):
    path = tmp_path / "state.json"
    write_json_atomic(path, {"version": 1})
    with pytest.raises(TypeError, match="cannot hold a object"):
        write_json_atomic(path, {"version": 2, "bad": object()})
    assert read_state(path) == {"version": 1} and not list(tmp_path.glob(".*"))


def test_concurrent_reader_never_sees_a_partial_file(tmp_path: Path):
    path = tmp_path / "state.json"
    write_json_atomic(path, {"n": 0, "pad": "x" * 50_000})
    stop = threading.Event()
    bad: list[object] = []

    def read_loop() -> None:
        while not stop.is_set():
            state = read_state(path)
            if state is None or len(state["pad"]) != 50_000:
                bad.append(state)

    thread = threading.Thread(target=read_loop)
    thread.start()
    for n in range(200):
        write_json_atomic(path, {"n": n, "pad": "x" * 50_000})
    stop.set()
    thread.join()
    assert bad == []


@given(st.dictionaries(st.text(max_size=5), st.one_of(
    st.floats(), st.decimals(allow_nan=False, allow_infinity=False, places=6), st.integers(), st.text())))
def test_dumps_always_valid_json_and_decimals_exact(payload):
    def strict(token: str) -> None:
        raise AssertionError(f"{token} is not JSON")

    loaded = json.loads(dumps(payload), parse_constant=strict)
    for key, value in payload.items():
        if isinstance(value, D):
            assert D(loaded[key]) == value
        elif isinstance(value, float):
            assert loaded[key] == (value if math.isfinite(value) else None)
