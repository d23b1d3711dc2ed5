"""The price-direction model on a small sim recording: report with baselines, no look-ahead,
model files that load back and predict identically, and the ``train`` command."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from bot.__main__ import main
from bot.adapters.feeds.recording import load_recording
from bot.adapters.feeds.sim import write_sim_recording
from bot.core.features import FEATURES, FeatureState
from bot.ml.dataset import build_dataset
from bot.ml.model import MODEL_FILE, ModelError, build_pipeline, load_model
from bot.ml.train import train
from bot.ml.walkforward import BASELINES, report_text, walk_forward

HORIZON_S, SAMPLE_S = 1800, 60


@pytest.fixture(scope="module")
def recording_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sim_recording(tmp_path_factory.mktemp("sim"), markets=6, seed=11, seconds=4 * 3600, cycle_ms=10_000)


@pytest.fixture(scope="module")
def dataset(recording_dir: Path):
    return build_dataset(load_recording(recording_dir), HORIZON_S, SAMPLE_S)


def test_walk_forward_report_has_metrics_next_to_baselines(dataset) -> None:
    report = walk_forward(dataset, folds=3)
    assert len(dataset) > 500
    assert set(report["baselines"]) == set(BASELINES)
    for scores in (report["model"], *report["baselines"].values()):
        assert {"accuracy", "log_loss", "auc"} <= set(scores)
        assert 0 <= scores["accuracy"] <= 1 and scores["log_loss"] > 0 and 0 <= scores["auc"] <= 1
        assert scores["rows"] == report["model"]["rows"]  # every figure is on the same predictions
    assert sum(c["rows"] for c in report["calibration"]) == report["model"]["rows"]
    assert report["verdict"].split(":")[0] in ("beats the naive baselines", "ties with the naive baselines",
                                               "does not beat the naive baselines")
    text = report_text(report)
    # No accuracy figure without its baselines: each line with one names model or a baseline.
    assert all(name in text for name in ("model", *BASELINES, "Verdict"))


def test_walk_forward_trains_only_on_labels_known_before_the_test_slice(dataset) -> None:
    report = walk_forward(dataset, folds=3)
    done = [f for f in report["folds"] if "model" in f]
    assert done
    for fold in done:
        assert fold["train_label_end_max_ms"] <= fold["test_from_ms"]


def test_no_feature_uses_data_after_its_label_start(recording_dir: Path, dataset) -> None:
    """Rewrite every price after a cut-off; features of rows up to the cut-off must not change."""
    rec = load_recording(recording_dir)
    cut = int(np.median(dataset.ts_ms))
    after = pc.greater(rec.ticks.column("ts_ms"), cut)
    ticks = rec.ticks
    for name in ("best_bid", "best_ask"):
        col = ticks.column(name)
        shifted = pc.if_else(after, pc.subtract(pc.multiply(col, 0.5), -0.2), col)  # a different future
        ticks = ticks.set_column(ticks.schema.get_field_index(name), name, shifted)
    ticks = ticks.set_column(ticks.schema.get_field_index("bid_size"), "bid_size",
                             pc.if_else(after, pa.scalar(1.0), ticks.column("bid_size")))
    changed = build_dataset(dataclasses.replace(rec, ticks=ticks), HORIZON_S, SAMPLE_S)
    before = {(t, int(s)): x for t, s, x in zip(dataset.token, dataset.ts_ms, dataset.X, strict=True) if s <= cut}
    other = {(t, int(s)): x for t, s, x in zip(changed.token, changed.ts_ms, changed.X, strict=True) if s <= cut}
    common = before.keys() & other.keys()
    assert len(common) > 0.9 * len(before) > 100  # only rows whose label turned flat may drop out
    for key in common:
        np.testing.assert_array_equal(before[key], other[key])
    # ...and the rewrite did reach rows after the cut (the test would be empty otherwise).
    after_rows = {(t, int(s)) for t, s in zip(dataset.token, dataset.ts_ms, strict=True) if s > cut + SAMPLE_S * 1000}
    assert any(not np.array_equal(dataset.X[i], changed.X[j])
               for i, j in _matching(dataset, changed, after_rows))


def _matching(a, b, keys):
    index_b = {(t, int(s)): j for j, (t, s) in enumerate(zip(b.token, b.ts_ms, strict=True))}
    for i, (t, s) in enumerate(zip(a.token, a.ts_ms, strict=True)):
        if (t, int(s)) in keys and (t, int(s)) in index_b:
            yield i, index_b[(t, int(s))]


def test_feature_state_warms_up_and_reads_the_clock_from_the_sample() -> None:
    state = FeatureState(60)
    first = state.update(0, 0.40, 0.42, 100, 300, 3_600_000)
    assert len(first) == len(FEATURES)
    named = dict(zip(FEATURES, first, strict=True))
    assert math.isnan(named["ret_300s"]) and named["spread"] == pytest.approx(0.02)
    assert named["imbalance"] == pytest.approx(-0.5) and named["time_to_end_h"] == pytest.approx(1.0)
    assert named["hour_cos"] == pytest.approx(1.0)  # midnight UTC
    for i in range(1, 6):
        vector = state.update(i * 60_000, 0.40 + i * 0.01, 0.42 + i * 0.01, 100, 100, None)
    named = dict(zip(FEATURES, vector, strict=True))
    assert named["ret_300s"] == pytest.approx(0.05) and math.isnan(named["time_to_end_h"])
    assert named["cusum_up"] > 0 and named["cusum_down"] == 0


def test_model_file_loads_back_and_predicts_identically(recording_dir: Path, dataset, tmp_path: Path) -> None:
    path, report = train(recording_dir, tmp_path, HORIZON_S, SAMPLE_S, folds=3, seed=5)
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["features"] == list(FEATURES) and manifest["horizon_s"] == HORIZON_S
    assert manifest["training_window"]["rows"] == len(dataset)
    assert {"xgboost", "scikit-learn", "numpy"} <= set(manifest["libraries"])
    assert manifest["walk_forward"]["verdict"] == report["verdict"]
    loaded = load_model(tmp_path)  # the folder of versions: newest is taken
    assert loaded.path == path
    fresh = build_pipeline(5).fit(dataset.X, dataset.y).predict_proba(dataset.X)[:, 1]
    np.testing.assert_array_equal(loaded.probabilities(dataset.X), fresh)
    assert loaded.probability_up(dataset.X[0]) == pytest.approx(float(fresh[0]), abs=1e-7)
    # A damaged model file is refused, not silently used.
    (path / MODEL_FILE).write_bytes((path / MODEL_FILE).read_bytes() + b"x")
    with pytest.raises(ModelError, match="checksum"):
        load_model(path)
    with pytest.raises(ModelError, match="no model found"):
        load_model(tmp_path / "nowhere")


def test_train_command_prints_report_with_baselines(recording_dir: Path, tmp_path: Path, capsys) -> None:
    code = main(["train", "--data", str(recording_dir), "--horizon-s", str(HORIZON_S), "--sample-s", str(SAMPLE_S),
                 "--folds", "2", "--out", str(tmp_path), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and Path(out["model"]).is_dir()
    assert set(out["report"]["baselines"]) == set(BASELINES)
    code = main(["train", "--data", str(tmp_path / "missing"), "--out", str(tmp_path)])
    assert code == 2 and "error" in capsys.readouterr().err
    assert main(["train", "--data", str(recording_dir), "--horizon-s", "100", "--sample-s", "60"]) == 2
