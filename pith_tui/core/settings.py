"""The user's settings that pith-tui remembers between runs (today: the theme).

A small JSON object in the user config dir (`settings.json` next to `keys.json`). Reading is
bounded and forgiving: a missing, huge or broken file means "no settings", never a failed
start. Writing goes to a temporary file renamed over the old one, so a crash mid-write
cannot leave half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pith_tui.core.errors import PithError
from pith_tui.core.files import read_document
from pith_tui.core.keys import user_config_dir

SETTINGS_FILE_NAME = "settings.json"
MAX_SETTINGS_BYTES = 64 * 1024
MAX_THEME_NAME = 100


def settings_path(config_dir: Path | None = None) -> Path:
    return (config_dir or user_config_dir()) / SETTINGS_FILE_NAME


def load_settings(config_dir: Path | None = None) -> dict[str, Any]:
    """The saved settings; `{}` when there are none or the file cannot be used."""
    try:
        raw = read_document(settings_path(config_dir), MAX_SETTINGS_BYTES)
        value = json.loads(raw)
    except (OSError, ValueError, PithError):  # missing, not JSON, too large or no file
        return {}
    return value if isinstance(value, dict) else {}


def saved_theme(config_dir: Path | None = None) -> str | None:
    theme = load_settings(config_dir).get("theme")
    if isinstance(theme, str) and 0 < len(theme) <= MAX_THEME_NAME:
        return theme
    return None


def save_setting(name: str, value: Any, config_dir: Path | None = None) -> None:
    """Set one setting, keeping the others; `OSError` when the config dir is not writable."""
    path = settings_path(config_dir)
    settings = load_settings(config_dir)
    if settings.get(name) == value:
        return
    settings[name] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".settings-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(settings, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save_theme(theme: str, config_dir: Path | None = None) -> None:
    save_setting("theme", theme, config_dir)
