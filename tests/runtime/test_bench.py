"""The benchmark runs end to end at quick sizes and its correctness check holds.

A benchmark measures; nothing here asserts a time or a rate, only the shape of the result and
that our detectors and the naive pandas reference raise identical alarms with equal values.
"""

from __future__ import annotations

import json
import math

import pytest

from bot.__main__ import main
from bot.core.engine import detector_params
from bot.runtime.bench import _settings, make_stream, reference_detect, run_bench


@pytest.fixture(scope="module")
def quick() -> tuple[dict, str]:
    return run_bench(quick=True)


def test_detectors_match_the_pandas_reference(quick: tuple[dict, str]) -> None:
    det = quick[0]["detectors"]
    assert det["alarms"] > 0, "the stream must make alarms happen, or the check proves nothing"
    assert det["alarm_sequences_equal"] is True
    assert det["nan_positions_equal"] is True
    assert det["max_abs_diff"] <= 1e-9
    assert det["identical"] is True
    assert det["alarms"] == det["reference_alarms"]
    for key in ("ours_ticks_per_s", "reference_ticks_per_s", "ratio"):
        assert det[key] > 0 and math.isfinite(det[key])


def test_cycle_and_rss_figures_are_reported(quick: tuple[dict, str]) -> None:
    results = quick[0]
    assert results["quick"] is True
    (cycle,) = results["cycles"]
    assert cycle["tokens"] == 200 and cycle["timed_cycles"] == len(cycle["cycle_ms"]) == 5
    assert cycle["book_updates_per_cycle"] > 0
    for key in ("median_ms", "p95_ms", "ms_per_1000_updates", "feed_median_ms"):
        assert cycle[key] > 0 and math.isfinite(cycle[key])
    assert cycle["p95_ms"] >= cycle["median_ms"]
    (rss,) = results["rss"]
    assert "error" not in rss, rss.get("error")
    assert rss["store"] is False and rss["tokens"] == 1_000
    assert rss["peak_rss_mb"] >= rss["after_imports_mb"] > 0
    assert set(results["targets"]) == {"detector_ratio", "cycle_ms_at_10000_tokens",
                                       "peak_rss_mb_at_10000_tokens"}


def test_text_names_each_figure_with_a_verdict(quick: tuple[dict, str]) -> None:
    text = quick[1]
    for marker in ("(a) Detectors", "(b) One engine cycle", "(c) Peak RSS", "identical: true"):
        assert marker in text
    assert text.count("PASS") + text.count("MISS") >= 4
    json.dumps(quick[0])  # the --json output must serialise


def test_reference_is_a_true_reference() -> None:
    """A jump must be caught by the reference too, so agreement is not agreement on nothing."""
    params = detector_params(_settings())
    flat = [[0.5]] * 40 + [[0.6]] * 5
    alarms, values = reference_detect(flat, params)
    assert alarms and alarms[0] == (40, 0, 1)
    assert values[0][0] != values[0][0]  # NaN mean before the first price
    assert len(make_stream(3, 7)) == 7 and len(make_stream(3, 7)[0]) == 3


def test_cli_json(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.runtime.bench as bench

    monkeypatch.setattr(bench, "run_bench", lambda quick=False: ({"quick": quick}, "text"))
    assert main(["bench", "--json", "--quick"]) == 0
    assert json.loads(capsys.readouterr().out) == {"quick": True}
