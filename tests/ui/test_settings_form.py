"""config.yaml as a form: help from comments, bounds from the schema, round-trip save that keeps
comments, validation errors mapped onto fields, and nothing written when invalid."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.loader import DEFAULT_CONFIG_PATH, load_settings, read_yaml
from bot.config.schema import ConfigError
from pages import _config
from ui import settings_form as sf


def _fields() -> dict[str, sf.Field]:
    text = DEFAULT_CONFIG_PATH.read_text()
    return {f.key: f for f in sf.fields(read_yaml(DEFAULT_CONFIG_PATH), text)}


def test_help_comes_from_the_comments_above_shared_and_continued() -> None:
    helps = sf.help_texts("money:\n  # Each trade risks between these.\n  min_trade_usd: 1\n  max_trade_usd: 3\n"
                          "detection:\n  # at least this many percent...\n  roc_threshold_pct: 1.0\n"
                          "  # ...over this many ticks.\n  roc_periods: 3\n\n# top\nmode: paper  # inline\n")
    assert helps[("money", "max_trade_usd")] == "Each trade risks between these."
    assert helps[("detection", "roc_periods")] == "at least this many percent over this many ticks."
    assert helps[("mode",)] == "top inline"


def test_every_setting_in_the_file_becomes_a_field_with_schema_bounds() -> None:
    fields = _fields()
    plain = sf.plain(read_yaml(DEFAULT_CONFIG_PATH))
    leaves = sum(1 for section in plain.values() for _ in (section.values() if isinstance(section, dict) else [0]))
    assert len(fields) >= leaves  # nested blocks (strategies) add more
    cusum = fields["detection.cusum_threshold"]
    assert (cusum.kind, cusum.slider, cusum.step, cusum.restart) == ("float", True, 0.001, False)
    assert cusum.low == pytest.approx(0.001) and cusum.high == pytest.approx(0.999)
    assert "Change-point alarm" in cusum.help
    assert fields["mode"].kind == "choice" and fields["mode"].choices == ("paper", "live") and fields["mode"].restart
    assert fields["risk.max_open_trades"].kind == "int" and fields["risk.max_open_trades"].high == 1000
    assert fields["money.max_trade_usd"].kind == "decimal"
    assert fields["storage.snapshot_every_s"].restart  # not a hot-reloadable section
    assert all(f.help for f in fields.values()), [k for k, f in fields.items() if not f.help]


def test_changed_ignores_slider_noise_and_keeps_whole_numbers_whole() -> None:
    fields = _fields()
    values = {"detection.cusum_threshold": 0.031000000000000003, "risk.max_open_trades": 2,
              "money.max_trade_usd": 4.0, "exits.take_profit_pct": 3.0}
    assert sf.changed(list(fields.values()), values) == {("detection", "cusum_threshold"): 0.031,
                                                        ("money", "max_trade_usd"): 4}


def test_field_errors_map_the_loaders_message_onto_keys() -> None:
    message = ("config has 2 problem(s):\n  - risk.max_open_trades: Input should be less than or equal to 1000 (got 5000)\n"
               "  - money: Value error, min_trade_usd must not exceed max_trade_usd (got {...})")
    errors = sf.field_errors(message)
    assert errors["risk.max_open_trades"] == ["Input should be less than or equal to 1000 (got 5000)"]
    assert sf.section_errors(errors, "money", {"money.min_trade_usd"}) == [
        "money: Value error, min_trade_usd must not exceed max_trade_usd (got {...})"]


def test_save_keeps_comments_and_order_and_the_bot_loads_it(config_copy: Path) -> None:
    before = config_copy.read_text()
    _config.save({("detection", "cusum_threshold"): 0.031, ("risk", "max_open_trades"): 4})
    after = config_copy.read_text()
    assert after == before.replace("cusum_threshold: 0.03\n", "cusum_threshold: 0.031\n").replace(
        "max_open_trades: 2\n", "max_open_trades: 4\n")
    settings = load_settings(config_copy)
    assert settings.detection.cusum_threshold == 0.031 and settings.risk.max_open_trades == 4


def test_an_invalid_save_names_the_key_and_leaves_the_file_alone(config_copy: Path) -> None:
    before = config_copy.read_text()
    with pytest.raises(ConfigError) as exc:
        _config.save({("money", "min_trade_usd"): 50})
    assert "min_trade_usd must not exceed max_trade_usd" in str(exc.value)
    with pytest.raises(ConfigError) as exc:
        _config.save({("risk", "max_open_trades"): -1})
    assert "risk.max_open_trades" in sf.field_errors(str(exc.value))
    assert config_copy.read_text() == before
    assert not list(config_copy.parent.glob(".config.*"))  # no temp file left behind


def test_structured_lists_are_shown_but_never_rewritten() -> None:
    text = "feed:\n  # Extra endpoints.\n  extra:\n    - {url: a, weight: 1}\n  tags: [a, b]\n"
    from ruamel.yaml import YAML

    tree = YAML().load(text)
    fields = {f.key: f for f in sf.fields(tree, text)}
    assert fields["feed.extra"].kind == "readonly" and fields["feed.tags"].kind == "list"
    assert sf.changed(list(fields.values()), {"feed.extra": "garbage", "feed.tags": "a, b"}) == {}
    assert sf.changed(list(fields.values()), {"feed.tags": "a, c"}) == {("feed", "tags"): ["a", "c"]}
