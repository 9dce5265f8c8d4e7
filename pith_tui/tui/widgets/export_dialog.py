"""`ExportDialog`: ask for the directory to write a static mirror into.

Dismisses with the chosen `Path` (`~` expanded, relative paths made absolute against the
current directory) or None when cancelled. It only asks; the caller exports.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

CACHE_SCREEN_TCSS = Path(__file__).resolve().parent.parent / "cache_screen.tcss"


class ExportDialog(ModalScreen[Path | None]):
    """A directory path input with Export / Cancel."""

    # Absolute: Textual resolves a relative CSS_PATH against the file of the *subclass*.
    CSS_PATH = CACHE_SCREEN_TCSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(
        self,
        default: str = "",
        *,
        records: int | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.default = default
        self.records = records

    def compose(self) -> ComposeResult:
        what = "the cache" if self.records is None else f"{self.records:,} cached records"
        with Vertical(id="export-box", classes="dialog-box"):
            yield Static(Content("Export a static mirror"), classes="dialog-title")
            yield Static(
                Content(
                    f"Writes {what} as static files that any web server can serve as a "
                    "Pith mirror. Type the directory to write to:"
                ),
                id="export-help",
            )
            yield Input(
                value=self.default,
                placeholder="e.g. ~/pith-mirror",
                id="export-path",
            )
            yield Static("", id="export-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(Content("Export"), variant="primary", id="export-ok")
                yield Button(Content("Cancel"), variant="default", id="export-cancel")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-ok")
    def _submit(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        text = self.query_one("#export-path", Input).value.strip()
        if not text:
            self._error("Type a directory path.")
            return
        try:
            path = Path(text).expanduser()
            if not path.is_absolute():
                path = Path.cwd() / path
        except (RuntimeError, OSError, ValueError) as exc:  # e.g. ~nosuchuser
            self._error(f"That path cannot be used: {exc}")
            return
        if path.exists() and not path.is_dir():
            self._error("That path is a file, not a directory.")
            return
        self.dismiss(path)

    @on(Button.Pressed, "#export-cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _error(self, message: str) -> None:
        error = self.query_one("#export-error", Static)
        error.update(Content(message))
        error.add_class("-visible")
