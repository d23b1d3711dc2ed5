"""Config: defaults from the spike-hunter design, profiles, and clear errors that change nothing."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from bot.config.loader import DEFAULT_CONFIG_PATH, load_secrets, load_settings
from bot.config.schema import ConfigError, Settings

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_config_matches_the_design_defaults() -> None:
    s = load_settings()
    assert s.mode == "paper"
    assert s.money.starting_capital_usd == Decimal(75)
    assert (s.money.min_trade_usd, s.money.max_trade_usd) == (Decimal(1), Decimal(3))
    assert s.risk.max_daily_loss_usd == Decimal(2) and s.risk.max_open_trades == 2 and s.risk.cooldown_s == 30
    assert (s.exits.take_profit_pct, s.exits.stop_loss_pct, s.exits.atr_stop, s.exits.atr_profit) == (3.0, 2.0, 2.0, 3.0)
    d = s.detection
    assert (d.cusum_threshold, d.cusum_slack, d.ewma_span, d.ewma_multiplier) == (0.03, 0.005, 20, 2.5)
    assert (d.roc_threshold_pct, d.roc_periods, d.min_liquidity_usd, d.max_spread) == (1.0, 3, 50, 0.03)
    assert s.filters.min_daily_volume_usd == 5000
    assert s == Settings()  # the file and the code agree on every default


@pytest.mark.parametrize(("profile", "capital", "per_market", "daily_loss"), [
    ("dev", 100, 5000, 500), ("staging", 1000, 500, 100), ("prod", 5000, 500, 250)])
def test_profiles_layer_over_the_base_file(profile: str, capital: int, per_market: int, daily_loss: int,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    s = load_settings(profile=profile)
    assert s.money.starting_capital_usd == capital
    assert s.risk.max_capital_per_market_usd == per_market
    assert s.risk.max_daily_loss_usd == daily_loss
    assert s.risk.max_drawdown_pct == 10.0
    assert s.detection.cusum_threshold == 0.03  # untouched settings come from the base file
    monkeypatch.setenv("POLYBOT_PROFILE", profile)
    assert load_settings() == s


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(DEFAULT_CONFIG_PATH.read_text() + text)
    return path


@pytest.mark.parametrize(("extra", "key", "rule"), [
    ("\nrisk_extra: 1\n", "risk_extra", "unknown setting"),
    ("", "detection.cusum_treshold", "did you mean 'detection.cusum_threshold'"),
    ("", "risk.max_open_trades", "greater than or equal to 0"),
    ("", "strategies.spike_hunter.direction", "'fade' or 'follow'"),
    ("", "money", "min_trade_usd must not exceed max_trade_usd"),
])
def test_bad_values_name_the_key_and_the_rule(tmp_path: Path, extra: str, key: str, rule: str) -> None:
    text = DEFAULT_CONFIG_PATH.read_text()
    if key == "detection.cusum_treshold":
        text = text.replace("  cusum_threshold: 0.03", "  cusum_treshold: 0.03")
    elif key == "risk.max_open_trades":
        text = text.replace("max_open_trades: 2", "max_open_trades: -1")
    elif key == "strategies.spike_hunter.direction":
        text = text.replace("direction: fade", "direction: sideways")
    elif key == "money":
        text = text.replace("min_trade_usd: 1", "min_trade_usd: 5")
    path = tmp_path / "config.yaml"
    path.write_text(text + extra)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert key.split(".")[-1] in message or key in message
    assert rule in message
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # nothing written


def test_the_bot_refuses_to_start_on_bad_config_and_writes_nothing(tmp_path: Path) -> None:
    path = _write(tmp_path, "")
    path.write_text(path.read_text().replace("ewma_span: 20", "ewma_span: twenty"))
    data_dir = tmp_path / "data"
    result = subprocess.run([sys.executable, "-m", "bot", "run", "--source", "sim", "--duration", "1",
                             "--config", str(path), "--data-dir", str(data_dir)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "detection.ewma_span" in result.stderr and "integer" in result.stderr
    assert not data_dir.exists()


def test_unknown_profile_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="profile 'qa' is unknown"):
        load_settings(profile="qa")


def test_secrets_come_from_env_and_dotenv_and_never_print(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("TELEGRAM_BOT_TOKEN=123:from-dotenv\nDASHBOARD_PASSWORD=hunter2\n")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:from-env")
    monkeypatch.delenv("DASHBOARD_PASSWORD", raising=False)
    secrets = load_secrets(env_file)
    assert secrets.telegram_bot_token == "123:from-env"  # the environment wins
    assert secrets.dashboard_password == "hunter2"
    assert "hunter2" not in repr(secrets) and "from-env" not in str(secrets)


def test_config_yaml_holds_no_secret_keys() -> None:
    text = DEFAULT_CONFIG_PATH.read_text().lower()
    for word in ("private_key", "token:", "webhook_url", "password:"):
        assert word not in text
