"""Walk-forward validation with naive baselines, and the plain-English verdict.

The time span is cut into ``folds + 1`` equal slices. Fold k tests on slice k with a model trained
only on rows whose label was already known when slice k starts (label end <= slice start, so no
training label overlaps the test period). Every model figure is printed next to two baselines
fitted on the same training rows:
- "no change": no view on direction (the price is a fair bet): always the training share of ups;
- "last move continues": the up-share after an up move / after a down move in the training rows.
The model "beats" them only if its out-of-sample log loss is lower than the best baseline's by
more than ``TIE_MARGIN`` and its accuracy is at least as good; within the margin it "ties".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

from bot.ml.dataset import Dataset
from bot.ml.model import build_pipeline

TIE_MARGIN = 0.002  # nats of log loss: smaller differences are noise at these sample sizes
MIN_TRAIN = 50
BASELINES = ("no change", "last move continues")
CAL_BINS = 10


def _baselines(train_y: np.ndarray, train_last: np.ndarray, test_last: np.ndarray) -> dict[str, np.ndarray]:
    base = float(train_y.mean())
    after_up, after_down = train_y[train_last > 0], train_y[train_last < 0]
    p_up = float(after_up.mean()) if after_up.size else base
    p_down = float(after_down.mean()) if after_down.size else base
    cont = np.where(test_last > 0, p_up, np.where(test_last < 0, p_down, base))
    return {"no change": np.full(test_last.size, base), "last move continues": cont}


def scores(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    both = np.unique(y).size == 2
    return {"accuracy": float(accuracy_score(y, p >= 0.5)), "log_loss": float(log_loss(y, p, labels=[0, 1])),
            "auc": float(roc_auc_score(y, p)) if both else math.nan, "rows": int(y.size)}


def calibration(y: np.ndarray, p: np.ndarray) -> list[dict[str, float]]:
    """Predicted-probability bins: how often the mid really went up when the model said p."""
    out = []
    bins = np.minimum((p * CAL_BINS).astype(int), CAL_BINS - 1)
    for b in range(CAL_BINS):
        mask = bins == b
        if mask.any():
            out.append({"from": b / CAL_BINS, "to": (b + 1) / CAL_BINS, "rows": int(mask.sum()),
                        "mean_predicted": float(p[mask].mean()), "observed_up": float(y[mask].mean())})
    return out


def walk_forward(data: Dataset, folds: int = 4, seed: int = 0) -> dict[str, Any]:
    """Out-of-sample predictions of the model and the baselines, fold by fold, and their scores."""
    if len(data) == 0:
        raise ValueError("no labelled rows: the recording is shorter than the horizon or its prices never moved")
    t0, t1 = int(data.ts_ms[0]), int(data.ts_ms[-1]) + 1
    edges = np.linspace(t0, t1, folds + 2).astype(np.int64)
    y_all, p_all = [], []
    base_all: dict[str, list[np.ndarray]] = {name: [] for name in BASELINES}
    fold_rows = []
    for k in range(1, folds + 1):
        start, stop = edges[k], edges[k + 1]
        train = data.end_ms <= start  # the label was known before the test slice began
        test = (data.ts_ms >= start) & (data.ts_ms < stop)
        ty = data.y[train]
        if train.sum() < MIN_TRAIN or np.unique(ty).size < 2 or not test.any():
            fold_rows.append({"fold": k, "skipped": "too few training rows with both directions", "test_rows": int(test.sum())})
            continue
        model = build_pipeline(seed).fit(data.X[train], ty)
        p = model.predict_proba(data.X[test])[:, 1]
        yt = data.y[test]
        for name, bp in _baselines(ty, data.last_move[train], data.last_move[test]).items():
            base_all[name].append(bp)
        y_all.append(yt)
        p_all.append(p)
        fold_rows.append({"fold": k, "train_rows": int(train.sum()), "test_rows": int(test.sum()),
                          "test_from_ms": int(start), "test_to_ms": int(stop), "train_label_end_max_ms": int(data.end_ms[train].max()),
                          "model": scores(yt, p)})
    if not y_all:
        raise ValueError("no fold had enough training rows; use a longer recording or a shorter horizon")
    y = np.concatenate(y_all)
    p = np.concatenate(p_all)
    model_scores = scores(y, p)
    base_scores = {name: scores(y, np.concatenate(parts)) for name, parts in base_all.items()}
    return {"model": model_scores, "baselines": base_scores, "calibration": calibration(y, p), "folds": fold_rows,
            "verdict": verdict(model_scores, base_scores), "rows": len(data), "flat_rows": data.flat,
            "up_share": float(y.mean())}


def verdict(model: dict[str, float], baselines: dict[str, dict[str, float]]) -> str:
    best_name = min(baselines, key=lambda n: baselines[n]["log_loss"])
    best = baselines[best_name]
    acc_best = max(b["accuracy"] for b in baselines.values())
    if model["log_loss"] < best["log_loss"] - TIE_MARGIN and model["accuracy"] >= acc_best:
        return (f"beats the naive baselines: its log loss {model['log_loss']:.4f} is below the best baseline "
                f"('{best_name}', {best['log_loss']:.4f}) and its accuracy {model['accuracy']:.3f} is at least the "
                f"best baseline's {acc_best:.3f}")
    if abs(model["log_loss"] - best["log_loss"]) <= TIE_MARGIN:
        return (f"ties with the naive baselines: its log loss {model['log_loss']:.4f} is within {TIE_MARGIN} of the best baseline "
                f"('{best_name}', {best['log_loss']:.4f}); it adds no measurable skill")
    return (f"does not beat the naive baselines: its log loss {model['log_loss']:.4f} vs '{best_name}' "
            f"{best['log_loss']:.4f}, accuracy {model['accuracy']:.3f} vs best baseline {acc_best:.3f}. "
            f"Do not trade on it")


def report_text(report: dict[str, Any]) -> str:
    def line(name: str, s: dict[str, float]) -> str:
        return f"  {name:<22} accuracy {s['accuracy']:.3f}   log loss {s['log_loss']:.4f}   AUC {s['auc']:.3f}"

    out = [f"Walk-forward, out of sample: {report['model']['rows']:,} predictions "
           f"({report['rows']:,} labelled rows, {report['flat_rows']:,} with no move left out; "
           f"{report['up_share'] * 100:.1f}% went up)",
           line("model", report["model"]), *(line(n, s) for n, s in report["baselines"].items()),
           f"Verdict: the model {report['verdict']}.", "Calibration (predicted chance of up -> how often it went up):"]
    out += [f"  {c['from']:.1f}-{c['to']:.1f}: {c['rows']:>6} rows, predicted {c['mean_predicted']:.3f}, "
            f"observed {c['observed_up']:.3f}" for c in report["calibration"]]
    return "\n".join(out)
