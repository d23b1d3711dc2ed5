"""The model itself: a scikit-learn Pipeline around XGBoost, versioned model files, loading back.

A model file is a directory ``<out>/<version>/`` with ``model.joblib`` (the fitted Pipeline) and
``manifest.json`` (feature list, sample step, horizon, training window, walk-forward metrics,
library versions and the SHA-256 of model.joblib). Loading checks the hash and that the feature
list is the one this code computes, so a stale or corrupted file is refused with a clear error.
joblib files run code when loaded: load only model files you made or trust.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
import xgboost
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from xgboost import XGBClassifier

from bot.core.features import FEATURES

MODEL_FILE, MANIFEST_FILE = "model.joblib", "manifest.json"


class ModelError(ValueError):
    """A model file is missing, corrupted, or was made for other features."""


def build_pipeline(seed: int = 0) -> Pipeline:
    # Shallow trees, few rounds, subsampling: prediction-market mids are mostly noise, so the
    # model must be slow to believe a pattern. One thread keeps results reproducible.
    return Pipeline([
        ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
        ("xgb", XGBClassifier(n_estimators=150, max_depth=3, learning_rate=0.05, subsample=0.8,
                              colsample_bytree=0.8, min_child_weight=5, reg_lambda=1.0, n_jobs=1,
                              random_state=seed, tree_method="hist", eval_metric="logloss")),
    ])


def library_versions() -> dict[str, str]:
    return {"python": platform.python_version(), "xgboost": xgboost.__version__,
            "scikit-learn": sklearn.__version__, "numpy": np.__version__, "joblib": joblib.__version__}


def save_model(pipeline: Pipeline, out_dir: str | Path, manifest: dict[str, Any]) -> Path:
    """Write a new version directory under ``out_dir``; returns it. Never overwrites a version."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    tmp = out / f".tmp-{stamp}-{id(pipeline)}"
    tmp.mkdir()
    joblib.dump(pipeline, tmp / MODEL_FILE)
    digest = hashlib.sha256((tmp / MODEL_FILE).read_bytes()).hexdigest()
    version = f"{stamp}-{digest[:8]}"
    full = {"version": version, "created_utc": stamp, "features": list(FEATURES), "model_sha256": digest,
            "libraries": library_versions(), **manifest}
    (tmp / MANIFEST_FILE).write_text(json.dumps(full, indent=2, sort_keys=True))
    final = out / version
    tmp.rename(final)  # all or nothing: a half-written model never appears under its version
    return final


@dataclass(frozen=True)
class LoadedModel:
    """A model file loaded for prediction: ``probability_up(vector)`` for one feature vector."""

    path: Path
    manifest: dict[str, Any]
    pipeline: Pipeline

    @property
    def sample_s(self) -> int:
        return int(self.manifest["sample_s"])

    @property
    def horizon_s(self) -> int:
        return int(self.manifest["horizon_s"])

    def probabilities(self, X: np.ndarray) -> np.ndarray:
        return self.pipeline.predict_proba(np.asarray(X, dtype=np.float64).reshape(-1, len(FEATURES)))[:, 1]

    def probability_up(self, vector: Sequence[float]) -> float:
        return float(self.probabilities(np.asarray([vector], dtype=np.float64))[0])


def resolve_model_dir(path: str | Path) -> Path:
    """A version directory, or a directory of versions (the newest is taken)."""
    p = Path(path)
    if (p / MANIFEST_FILE).is_file():
        return p
    versions = sorted(d for d in p.glob("*") if (d / MANIFEST_FILE).is_file()) if p.is_dir() else []
    if not versions:
        raise ModelError(f"no model found at {p} (expected {MANIFEST_FILE} there or in a version folder; "
                         f"make one with: python -m bot train)")
    return versions[-1]


def load_model(path: str | Path) -> LoadedModel:
    directory = resolve_model_dir(path)
    try:
        manifest = json.loads((directory / MANIFEST_FILE).read_text())
        blob = (directory / MODEL_FILE).read_bytes()
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"cannot read model at {directory}: {exc}") from exc
    if hashlib.sha256(blob).hexdigest() != manifest.get("model_sha256"):
        raise ModelError(f"{directory / MODEL_FILE} does not match the checksum in its manifest; retrain")
    if manifest.get("features") != list(FEATURES):
        raise ModelError(f"model at {directory} was trained on features {manifest.get('features')}, "
                         f"this bot computes {list(FEATURES)}; retrain with python -m bot train")
    return LoadedModel(directory, manifest, joblib.load(directory / MODEL_FILE))
