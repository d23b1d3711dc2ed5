"""The deployment overrides: docker-compose.yml sizes DuckDB to its container through
POLYBOT_DUCKDB_MEMORY_LIMIT_MB / POLYBOT_DUCKDB_THREADS; they win over config.yaml and the
profile, obey the same bounds, and a bad value names the variable."""

from __future__ import annotations

import pytest

from bot.config.loader import ENV_OVERRIDES, load_settings
from bot.config.schema import ConfigError, Settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_OVERRIDES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("POLYBOT_PROFILE", raising=False)


def test_without_overrides_the_file_decides() -> None:
    assert load_settings().storage == Settings().storage


def test_overrides_win_over_the_file_and_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYBOT_DUCKDB_MEMORY_LIMIT_MB", "160")
    monkeypatch.setenv("POLYBOT_DUCKDB_THREADS", " 2 ")
    for profile in (None, "prod"):
        storage = load_settings(profile=profile).storage
        assert (storage.duckdb_memory_limit_mb, storage.duckdb_threads) == (160, 2)
        assert storage.tick_retention_days == Settings().storage.tick_retention_days  # nothing else moves


def test_an_empty_variable_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYBOT_DUCKDB_MEMORY_LIMIT_MB", "")
    assert load_settings().storage.duckdb_memory_limit_mb == Settings().storage.duckdb_memory_limit_mb


@pytest.mark.parametrize(("value", "rule"), [("32", "greater than or equal to 64"), ("lots", "valid integer")])
def test_a_bad_override_names_the_variable_the_key_and_the_rule(monkeypatch: pytest.MonkeyPatch, value: str,
                                                                 rule: str) -> None:
    monkeypatch.setenv("POLYBOT_DUCKDB_MEMORY_LIMIT_MB", value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    text = str(err.value)
    assert "environment POLYBOT_DUCKDB_MEMORY_LIMIT_MB" in text
    assert "storage.duckdb_memory_limit_mb" in text and rule in text
