"""Screens and panes talk up with messages (`OpenRecord`, `ShowCache`); nothing under
`pith_tui/tui` except the App reaches into the App or imports it back."""

from __future__ import annotations

import re
from pathlib import Path

import pith_tui.tui

TUI = Path(pith_tui.tui.__file__).parent
REACHING = re.compile(
    r"self\.app\.(open_record|action_cache|main_screen)|pith_app|self\.screen\.lookup"
)


def test_no_module_imports_the_app_back_or_reaches_into_it() -> None:
    offenders = []
    for path in sorted(TUI.rglob("*.py")):
        if path.name == "app.py" and path.parent == TUI:
            continue
        text = path.read_text(encoding="utf-8")
        if "from pith_tui.tui.app import" in text or "import pith_tui.tui.app" in text:
            offenders.append(f"{path.name}: imports the app")
        for match in REACHING.finditer(text):
            offenders.append(f"{path.name}: {match.group()}")
    assert not offenders, offenders
