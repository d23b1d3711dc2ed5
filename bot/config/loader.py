"""Loading settings: config.yaml + profile overlay -> validated ``Settings``; secrets from env/.env.

Every model forbids unknown keys; a mistake fails at startup with the dotted key, the rule it
broke and a did-you-mean hint. Secrets never live in YAML: they come from the environment or
``.env``, and ``Secrets.__repr__`` hides their values.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML

from bot.config.schema import ConfigError, Settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG_PATH = PROJECT_ROOT / "config" / "config.yaml"
PROFILE_NAMES = ("dev", "staging", "prod")


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


# Settings a deployment sizes to its machine, set from the environment so docker-compose.yml can
# match them to the container's memory limit (they win over config.yaml and the profile; the
# same bounds apply). Only these: everything else belongs in config.yaml, where the dashboard
# shows and edits it.
ENV_OVERRIDES = {
    "POLYBOT_DUCKDB_MEMORY_LIMIT_MB": ("storage", "duckdb_memory_limit_mb"),
    "POLYBOT_DUCKDB_THREADS": ("storage", "duckdb_threads"),
}


def env_overrides() -> dict[str, Any]:
    """The ENV_OVERRIDES set in the environment, as a nested overlay (values still strings)."""
    overlay: dict[str, Any] = {}
    for name, (section, key) in ENV_OVERRIDES.items():
        value = os.environ.get(name, "").strip()
        if value:
            overlay.setdefault(section, {})[key] = value
    return overlay


def load_settings(config_path: Path | None = None, profile: str | None = None) -> Settings:
    """Base file, then the profile overlay (``--profile`` or ``POLYBOT_PROFILE``), then the
    ENV_OVERRIDES from the environment, validated."""
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
    overlay = env_overrides()
    if overlay:
        data = deep_merge(data, overlay)
        names = [name for name in ENV_OVERRIDES if os.environ.get(name, "").strip()]
        source = f"{source} + environment {', '.join(names)}"
    return validate(data, source)
