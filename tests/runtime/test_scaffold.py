"""`strategy new NAME` writes a module, a test and a config block that work together at once."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config.schema import ConfigError
from bot.runtime.scaffold import scaffold

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_scaffolded_strategy_is_registered_configured_and_its_test_passes(tmp_path: Path) -> None:
    for folder in ("bot", "tests", "config"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__", "artifacts"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    written = scaffold("dip_buyer", root=tmp_path, config_path=tmp_path / "config" / "config.yaml")
    assert [p.name for p in written] == ["dip_buyer.py", "test_dip_buyer.py", "schema.py", "config.yaml",
                                         "registry.py"]
    assert "# Scaffolded by" in (tmp_path / "config" / "config.yaml").read_text()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests/core/strategies/test_dip_buyer.py", "tests/config/test_config.py",
                           "tests/core/strategies/test_registry_and_safety.py", "tests/test_architecture.py"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    with pytest.raises(ConfigError, match="already exists"):
        scaffold("dip_buyer", root=tmp_path, config_path=tmp_path / "config" / "config.yaml")
    with pytest.raises(ConfigError, match="lower_snake_case"):
        scaffold("Bad-Name", root=tmp_path)
