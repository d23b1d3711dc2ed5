"""Typed, frozen settings: config/config.yaml (+ a profile overlay) validated by pydantic.

Every model forbids unknown keys; a mistake fails at startup with the dotted key, the rule it
broke and a did-you-mean hint. Secrets never live here: they come from the environment or
``.env`` (see ``Secrets``), and ``Secrets.__repr__`` hides their values.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from ruamel.yaml import YAML

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = PROJECT_ROOT / "config" / "config.yaml"
PROFILE_NAMES = ("dev", "staging", "prod")


class ConfigError(ValueError):
    """A config problem, phrased for the person who edits config.yaml."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Money(_Section):
    starting_capital_usd: Decimal = Field(Decimal(75), gt=0)
    min_trade_usd: Decimal = Field(Decimal(1), ge=1)
    max_trade_usd: Decimal = Field(Decimal(3), gt=0)

    @model_validator(mode="after")
    def _trade_range(self) -> Money:
        if self.min_trade_usd > self.max_trade_usd:
            raise ValueError("min_trade_usd must not exceed max_trade_usd")
        return self


class Detection(_Section):
    window_points: int = Field(60, ge=10, le=600)
    warmup_points: int = Field(20, ge=2, le=600)
    cusum_threshold: float = Field(0.03, gt=0, lt=1)
    cusum_slack: float = Field(0.005, ge=0, lt=1)
    ewma_span: int = Field(20, ge=2, le=1000)
    ewma_multiplier: float = Field(2.5, gt=0, le=10)
    roc_threshold_pct: float = Field(1.0, gt=0, le=100)
    roc_periods: int = Field(3, ge=1, le=100)
    min_liquidity_usd: float = Field(50, ge=0)
    max_spread: float = Field(0.03, gt=0, le=1)
    depth_levels: int = Field(5, ge=1, le=50)


class SpikeHunter(_Section):
    enabled: bool = True
    direction: Literal["fade", "follow"] = "fade"
    max_capital_usd: Decimal = Field(Decimal(75), gt=0)


class Strategies(_Section):
    spike_hunter: SpikeHunter = SpikeHunter()


class Exits(_Section):
    take_profit_pct: float = Field(3.0, gt=0, le=100)
    stop_loss_pct: float = Field(2.0, gt=0, le=100)
    atr_stop: float = Field(2.0, gt=0, le=20)
    atr_profit: float = Field(3.0, gt=0, le=20)
    trailing_stop: bool = True
    max_hold_s: int = Field(3600, ge=1)


class Risk(_Section):
    max_daily_loss_usd: Decimal = Field(Decimal(2), gt=0)
    max_position_usd: Decimal = Field(Decimal(3), gt=0)
    max_open_trades: int = Field(2, ge=0, le=1000)
    cooldown_s: int = Field(30, ge=0)
    breaker_consecutive_losses: int = Field(3, ge=1, le=100)
    breaker_pause_s: int = Field(900, ge=0)
    max_capital_per_market_usd: Decimal = Field(Decimal(10), gt=0)
    max_drawdown_pct: float = Field(10.0, gt=0, le=100)
    no_entry_before_end_s: int = Field(3600, ge=0)
    daily_loss_warning_pct: float = Field(80.0, gt=0, le=100)


class Filters(_Section):
    min_daily_volume_usd: float = Field(5000, ge=0)
    min_liquidity_usd: float = Field(0, ge=0)
    max_markets: int = Field(500, ge=1, le=20000)


class Execution(_Section):
    entry_order_type: Literal["FOK", "FAK"] = "FAK"
    exit_order_type: Literal["FOK", "FAK"] = "FAK"
    latency_ms: int = Field(0, ge=0, le=60000)
    max_slippage_ticks: int = Field(3, ge=0, le=100)


class Sim(_Section):
    seed: int = 42
    markets: int = Field(50, ge=1, le=20000)
    jump_probability: float = Field(0.002, ge=0, le=1)
    resolution_probability: float = Field(0.00002, ge=0, le=1)


class Notifications(_Section):
    telegram: bool = True
    discord: bool = True
    on_entry: bool = True
    on_exit: bool = True
    on_spike: bool = False
    on_risk: bool = True
    on_error: bool = True


class Storage(_Section):
    tick_retention_days: int = Field(7, ge=1, le=3650)
    snapshot_every_s: int = Field(5, ge=1, le=5)
    duckdb_memory_limit_mb: int = Field(256, ge=64, le=65536)
    duckdb_threads: int = Field(1, ge=1, le=64)
    equity_every_s: int = Field(10, ge=1, le=3600)


class Runtime(_Section):
    cycle_s: float = Field(1.0, gt=0, le=60)
    source: Literal["sim", "replay", "live"] = "sim"


class Dashboard(_Section):
    refresh_s: int = Field(2, ge=1, le=60)
    stale_after_s: int = Field(10, ge=2, le=3600)


class Settings(_Section):
    mode: Literal["paper", "live"] = "paper"
    money: Money = Money()
    detection: Detection = Detection()
    strategies: Strategies = Strategies()
    exits: Exits = Exits()
    risk: Risk = Risk()
    filters: Filters = Filters()
    execution: Execution = Execution()
    sim: Sim = Sim()
    notifications: Notifications = Notifications()
    storage: Storage = Storage()
    runtime: Runtime = Runtime()
    dashboard: Dashboard = Dashboard()


# Settings the running bot may adopt without a restart (the dashboard marks the others).
HOT_RELOADABLE_SECTIONS = ("detection", "exits", "risk", "money", "strategies", "notifications")


@dataclass(frozen=True)
class Secrets:
    polymarket_private_key: str | None
    telegram_bot_token: str | None
    telegram_chat_id: str | None
    discord_webhook_url: str | None
    dashboard_password: str | None

    def __repr__(self) -> str:  # never print a secret, even by accident
        shown = {name: ("set" if value else "unset") for name, value in self.__dict__.items()}
        return f"Secrets({shown})"

    __str__ = __repr__

    def values(self) -> list[str]:
        return [value for value in self.__dict__.values() if value]


def load_secrets(env_file: Path | None = None) -> Secrets:
    """Secrets from the environment, then ``.env`` (the environment wins)."""
    from dotenv import dotenv_values

    path = env_file or PROJECT_ROOT / ".env"
    file_values = dotenv_values(path) if path.exists() else {}

    def get(name: str) -> str | None:
        return os.environ.get(name) or file_values.get(name) or None

    return Secrets(
        polymarket_private_key=get("POLYMARKET_PRIVATE_KEY"),
        telegram_bot_token=get("TELEGRAM_BOT_TOKEN"),
        telegram_chat_id=get("TELEGRAM_CHAT_ID"),
        discord_webhook_url=get("DISCORD_WEBHOOK_URL"),
        dashboard_password=get("DASHBOARD_PASSWORD"),
    )


def _yaml() -> YAML:
    yaml = YAML()  # round-trip: keeps comments and key order for the settings page
    yaml.preserve_quotes = True
    return yaml


def read_yaml(path: Path) -> Any:
    try:
        with path.open() as handle:
            return _yaml().load(handle) or {}
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except Exception as exc:  # ruamel raises several parser error types
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None


def _plain(node: Any) -> Any:
    """ruamel's commented containers as plain dicts/lists."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _fields_at(path: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] = Settings
    for part in path:
        field = model.model_fields.get(str(part))
        if field is None or not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)):
            return []
        model = field.annotation
    return list(model.model_fields)


def explain_validation_error(exc: ValidationError, source: str) -> str:
    lines = [f"{source} has {exc.error_count()} problem(s):"]
    for error in exc.errors():
        loc = tuple(error["loc"])
        key = ".".join(str(part) for part in loc) or "(top level)"
        if error["type"] == "extra_forbidden":
            known = _fields_at(loc[:-1])
            hint = difflib.get_close_matches(str(loc[-1]), known, n=1)
            suggestion = f"; did you mean '{'.'.join([*map(str, loc[:-1]), hint[0]])}'?" if hint else ""
            allowed = f" Known keys here: {', '.join(known)}." if known and not hint else ""
            lines.append(f"  - {key}: unknown setting{suggestion}{allowed}")
        else:
            lines.append(f"  - {key}: {error['msg']} (got {error.get('input')!r})")
    return "\n".join(lines)


def validate(data: dict[str, Any], source: str = "config") -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(explain_validation_error(exc, source)) from None


def profile_path(config_path: Path, profile: str) -> Path:
    if profile not in PROFILE_NAMES:
        raise ConfigError(f"profile '{profile}' is unknown; choose one of {', '.join(PROFILE_NAMES)}")
    return config_path.parent / "profiles" / f"{profile}.yaml"


def load_settings(config_path: Path | None = None, profile: str | None = None) -> Settings:
    """Base file, then the profile overlay (``--profile`` or ``POLYBOT_PROFILE``), validated."""
    path = Path(config_path) if config_path else DEFAULT_CONFIG_PATH
    data = _plain(read_yaml(path))
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping of settings at the top level")
    profile = profile or os.environ.get("POLYBOT_PROFILE") or None
    source = str(path)
    if profile:
        overlay_path = profile_path(path, profile)
        overlay = _plain(read_yaml(overlay_path))
        data = deep_merge(data, overlay if isinstance(overlay, dict) else {})
        source = f"{path} + profile {profile}"
    return validate(data, source)
