"""`ConfirmDialog`: a reusable yes/no question. Dismisses with True (yes) or False (no).

    self.app.push_screen(ConfirmDialog(question, yes="Delete", danger=True), on_answer)

`question` may be a plain string or a `Content`/`Text` built from record text (run it
through `clean_text` first); it is never parsed as markup.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

CACHE_SCREEN_TCSS = Path(__file__).resolve().parent.parent / "cache_screen.tcss"


class ConfirmDialog(ModalScreen[bool]):
    """Ask a yes/no question; `y`/`n`, `escape` (no) and the two buttons answer it."""

    # Absolute: Textual resolves a relative CSS_PATH against the file of the *subclass*.
    CSS_PATH = CACHE_SCREEN_TCSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "Cancel"),
    ]

    def __init__(
        self,
        question: str | Content | Text,
        *,
        title: str = "Please confirm",
        yes: str = "Yes",
        no: str = "Cancel",
        danger: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.question = Content(question) if isinstance(question, str) else question
        self.dialog_title = title
        self.yes_label = yes
        self.no_label = no
        self.danger = danger
        self.set_class(danger, "-danger")

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="dialog-box"):
            yield Static(Content(self.dialog_title), classes="dialog-title")
            yield Static(self.question, id="confirm-question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    Content(self.yes_label),
                    variant="error" if self.danger else "primary",
                    id="confirm-yes",
                )
                yield Button(Content(self.no_label), variant="default", id="confirm-no")

    def on_mount(self) -> None:
        # The safe answer has the focus when the action destroys something.
        self.query_one("#confirm-no" if self.danger else "#confirm-yes", Button).focus()

    @on(Button.Pressed, "#confirm-yes")
    def _yes(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-no")
    def _no(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(False)

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
