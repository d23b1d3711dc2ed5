"""Hand loaded models to the strategies that need them (the core never reads a model file).

Called by ``bot.wiring.build`` for every bot (run, replay, backtest). With ml_prediction off this
imports nothing heavy. With it on, a missing or unusable model file stops the start with a clear
error rather than running a strategy that can never trade.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.config.schema import ConfigError, Settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def model_dir(settings: Settings) -> Path:
    path = Path(settings.strategies.ml_prediction.model_path)
    return path if path.is_absolute() else PROJECT_ROOT / path


def attach_models(engine: Any, settings: Settings) -> str | None:
    """Load the ml_prediction model when that strategy is on; returns the loaded version folder."""
    strategy = engine.strategies.get("ml_prediction")
    if strategy is None or not settings.strategies.ml_prediction.enabled:
        return None
    from bot.ml.model import ModelError, load_model

    try:
        model = load_model(model_dir(settings))
    except ModelError as exc:
        raise ConfigError(f"ml_prediction is enabled but its model cannot be used: {exc}") from exc
    strategy.attach(model.probability_up, model.sample_s)
    return str(model.path)
