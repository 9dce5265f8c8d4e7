"""The verdict, large and unmissable: coloured by state and spelled out in words."""

from __future__ import annotations

from textual.widgets import Static

from pith_tui.core.view import RecordView
from pith_tui.tui.present import VERDICT_CLASSES, verdict_content


class VerdictBanner(Static):
    """`✓ VERIFIED` (green), `✗ FAILED` (red) or `! INCOMPLETE` (amber), with a summary."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(verdict_content(None), id=id, markup=False)

    def show(self, view: RecordView | None) -> None:
        self.remove_class(*VERDICT_CLASSES.values())
        if view is not None:
            self.add_class(VERDICT_CLASSES[view.verdict])
        self.update(verdict_content(view))
