"""``python -m bot train``: build the data set, validate walk-forward, fit on everything, save.

The saved model is fitted on every labelled row (all labels end inside the data), after the
walk-forward report has measured how a model trained this way did on data it had not seen. The
manifest keeps that report, so whoever uses the model file sees its honest record and baselines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.adapters.feeds.recording import load_recording
from bot.ml.dataset import build_dataset
from bot.ml.model import build_pipeline, save_model
from bot.ml.walkforward import walk_forward


def train(data_dir: str | Path, out_dir: str | Path, horizon_s: int = 21600, sample_s: int = 300, folds: int = 4,
          seed: int = 0, source: str | None = None) -> tuple[Path, dict[str, Any]]:
    """Train on one recording; returns (model version directory, walk-forward report)."""
    recording = load_recording(data_dir)
    data = build_dataset(recording, horizon_s, sample_s)
    report = walk_forward(data, folds, seed)
    pipeline = build_pipeline(seed).fit(data.X, data.y)
    manifest = {"horizon_s": horizon_s, "sample_s": sample_s, "seed": seed, "source": source or str(data_dir),
                "training_window": {"first_feature_ms": int(data.ts_ms[0]), "last_label_end_ms": int(data.end_ms[-1]),
                                    "rows": len(data), "flat_rows": data.flat},
                "walk_forward": report}
    return save_model(pipeline, out_dir, manifest), report
