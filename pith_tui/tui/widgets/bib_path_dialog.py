"""`BibPathDialog`: ask for the .bib file to check. Dismisses with its `Path` (`~`
expanded) or None when cancelled; it only asks, the references screen reads the file."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

REFERENCES_TCSS = Path(__file__).resolve().parent.parent / "references.tcss"


class BibPathDialog(ModalScreen[Path | None]):
    CSS_PATH = REFERENCES_TCSS
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="bib-path-box"):
            yield Static(Content("Open a bibliography"), classes="dialog-title")
            yield Static(
                Content(
                    "Every arXiv reference is checked against its signed record (cache "
                    "first). Type the path of a .bib file, then Enter:"
                )
            )
            yield Input(placeholder="e.g. ~/paper/refs.bib", id="bib-path")

    @on(Input.Submitted, "#bib-path")
    def _submit(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        self.dismiss(Path(text).expanduser() if text else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
