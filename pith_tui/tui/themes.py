"""The themes the browser offers, named for the CLI without it touching Textual itself."""

from __future__ import annotations

from textual.theme import BUILTIN_THEMES


def theme_names() -> list[str]:
    """The themes `--theme` accepts: Textual's built-in ones."""
    return sorted(BUILTIN_THEMES)
