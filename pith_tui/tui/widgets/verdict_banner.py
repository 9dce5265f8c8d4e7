"""The verdict, large and unmissable: coloured by state and spelled out in words."""

from __future__ import annotations

from textual.widgets import Static

from pith_tui.core.view import RecordView
from pith_tui.tui.badges import VERDICT_CLASSES, verdict_colors
from pith_tui.tui.present import verdict_content


class VerdictBanner(Static):
    """`✓ VERIFIED` (green), `✗ FAILED` (red) or `! INCOMPLETE` (amber), with a summary.

    The background is the theme's colour for the verdict; the text is black or white,
    whichever is readable on it (badges.readable_text), set again when the theme changes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(verdict_content(None), id=id, markup=False)
        self._view: RecordView | None = None

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._recolour())

    def show(self, view: RecordView | None) -> None:
        self._view = view
        self.remove_class(*VERDICT_CLASSES.values())
        if view is not None:
            self.add_class(VERDICT_CLASSES[view.verdict])
        self._recolour()
        self.update(verdict_content(view))

    def _recolour(self) -> None:
        if self._view is None:
            self.styles.clear_rule("background")
            self.styles.clear_rule("color")
            self.styles.clear_rule("auto_color")
            return
        background, text = verdict_colors(self.app.theme_variables, self._view.verdict)
        self.styles.background = background
        self.styles.color = text
        self.styles.auto_color = False  # the theme's `$text-muted` is "auto 60%"
