"""The dashboard's one writer of config/config.yaml: validate, keep comments and order, write atomically.

Which file: ``POLYBOT_CONFIG`` when set, else the one the running bot reports in state.json
(``config_path``, so a bot started with ``--config`` is edited in place), else config/config.yaml.
A save re-reads the file and applies only the fields the user changed, so an edit made elsewhere
in the meantime is kept; the result is validated with the bot's own loader (plus the active
profile overlay) before anything touches the disk. The running bot notices the
new modification time and hot-reloads the settings that are safe to change live.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from bot.config.loader import DEFAULT_CONFIG_PATH, deep_merge, profile_path, read_yaml, validate
from bot.config.schema import ConfigError, Settings
from ui import settings_form

Path_ = tuple[str, ...]


def config_path() -> Path:
    """``POLYBOT_CONFIG`` if set, else the file the running bot says it loaded, else the default."""
    if os.environ.get("POLYBOT_CONFIG"):
        return Path(os.environ["POLYBOT_CONFIG"])
    from pages._shared import load_state

    bot_file = (load_state() or {}).get("config_path")
    return Path(bot_file) if bot_file else DEFAULT_CONFIG_PATH


def profile() -> str | None:
    return os.environ.get("POLYBOT_PROFILE") or None


def load() -> tuple[str, Any, list[settings_form.Field]]:
    """The file's text, its round-trip tree and the form fields; ConfigError if unreadable."""
    path = config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    tree = read_yaml(path)
    return text, tree, settings_form.fields(tree, text)


def check(tree: Any) -> Settings:
    """Validate as the bot will load it: the base file plus the active profile overlay."""
    data = settings_form.plain(tree)
    source = str(config_path())
    name = profile()
    if name:
        overlay = settings_form.plain(read_yaml(profile_path(config_path(), name)))
        data = deep_merge(data, overlay if isinstance(overlay, dict) else {})
        source += f" + profile {name}"
    return validate(data, source)


def save(changes: dict[Path_, Any]) -> Settings:
    """Apply ``changes`` to the file as it is now on disk, validate, then replace it atomically.

    Raises ConfigError (naming each bad key) and leaves the file untouched when invalid."""
    path = config_path()
    tree = read_yaml(path)
    settings_form.apply_changes(tree, changes)
    settings = check(tree)
    buffer = io.StringIO()
    yaml = YAML()  # round trip, as the loader reads it: comments, order and quotes survive
    yaml.preserve_quotes = True
    yaml.dump(tree, buffer)
    fd, tmp = tempfile.mkstemp(prefix=".config.", suffix=".yaml.tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(buffer.getvalue())
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.chmod(tmp, path.stat().st_mode & 0o777)
        except OSError:
            pass  # keep mkstemp's private mode rather than fail the save
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return settings
