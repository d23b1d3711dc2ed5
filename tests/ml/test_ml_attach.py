"""The runtime hands ml_prediction its model: a backtest trades on a trained model file, and an
enabled strategy without a usable model stops the start with a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.adapters.feeds.sim import write_sim_recording
from bot.config.schema import ConfigError, MlPrediction, Settings, Strategies
from bot.ml.train import train
from bot.runtime.backtest import run_backtest
from bot.wiring import build


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    data = write_sim_recording(tmp_path_factory.mktemp("sim"), markets=4, seed=2, seconds=3 * 3600, cycle_ms=10_000)
    path, _ = train(data, tmp_path_factory.mktemp("models"), horizon_s=1800, sample_s=60, folds=2, seed=1)
    return data, path


def test_a_backtest_of_ml_prediction_trades_on_the_model_file(trained: tuple[Path, Path]) -> None:
    data, path = trained
    run = run_backtest(Settings(), "ml_prediction", {"model_path": str(path), "min_probability": 0.55}, data=data)
    mine = [s for s in run.signals if s.strategy == "ml_prediction"]
    assert mine and all("the model" in s.reason for s in mine)


def test_enabled_without_a_usable_model_refuses_to_start(tmp_path: Path) -> None:
    settings = Settings(strategies=Strategies(ml_prediction=MlPrediction(enabled=True, model_path=str(tmp_path))))
    with pytest.raises(ConfigError, match="ml_prediction is enabled but its model cannot be used: no model found"):
        build(settings, "sim", None)
    assert build(Settings(), "sim", None).engine.strategies["ml_prediction"].predictor is None  # off: nothing loaded


def test_switching_ml_prediction_on_while_running_loads_its_model_or_refuses(trained: tuple[Path, Path],
                                                                             tmp_path: Path) -> None:
    from ruamel.yaml import YAML

    from bot.config.loader import DEFAULT_CONFIG_PATH
    from bot.runtime.loop import Loop

    config = tmp_path / "config.yaml"
    yaml = YAML()
    tree = yaml.load(DEFAULT_CONFIG_PATH.read_text())

    def save(enabled: bool, model_path: str) -> None:
        tree["strategies"]["ml_prediction"]["enabled"] = enabled
        tree["strategies"]["ml_prediction"]["model_path"] = model_path
        with config.open("w") as handle:
            yaml.dump(tree, handle)

    save(False, str(tmp_path / "nowhere"))
    bot = build(Settings(), "sim", None)
    loop = Loop(bot, speed=0, config_path=config)
    strategy = bot.engine.strategies["ml_prediction"]
    save(True, str(tmp_path / "nowhere"))
    loop._reload(0)
    assert loop.config_error is not None and "no model found" in loop.config_error
    assert not bot.engine.settings.strategies.ml_prediction.enabled and strategy.predictor is None
    save(True, str(trained[1]))
    loop._reload(0)
    assert loop.config_error is None and bot.engine.settings.strategies.ml_prediction.enabled
    assert strategy.predictor is not None
