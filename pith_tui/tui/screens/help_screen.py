"""The help screen: every key of the command registry, grouped by where it works."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from pith_tui.tui.commands import COMMANDS, SCOPES, Command, bindings_for
from pith_tui.tui.widgets.hanging_list import HangingList, Item

KEY_WIDTH = 16
LABEL_WIDTH = 16

INTRO = (
    "pith-tui re-verifies every Pith record with a pinned Ed25519 key. The verdict is what "
    "pith-tui checked itself; \"Pith's own claims\" are the service's words, not checked."
)


def help_rows() -> list[tuple[str, list[Command]]]:
    """(scope title, its commands) in registry order, for every scope that has any."""
    return [
        (title, [c for c in COMMANDS if c.scope == scope])
        for scope, title in SCOPES.items()
        if any(c.scope == scope for c in COMMANDS)
    ]


def help_items() -> list[Item]:
    """A heading per scope, then "key  label  what it does" per command."""
    items: list[Item] = []
    for title, commands in help_rows():
        if items:
            items.append(Content(""))
        items.append(Content.styled(title, "bold $accent"))
        for command in commands:
            label = Content.assemble(
                (command.key_display.ljust(KEY_WIDTH), "bold"), command.label.ljust(LABEL_WIDTH)
            )
            items.append((label, Content.styled(command.help, "$text-muted")))
    return items


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings_for("help")

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static(INTRO, id="help-intro", markup=False)
            with VerticalScroll(id="help-scroll"):
                yield HangingList(help_items(), id="help-keys", label_width=KEY_WIDTH + LABEL_WIDTH)

    def on_mount(self) -> None:
        dialog = self.query_one("#help-dialog")
        dialog.border_title = "Keys"
        dialog.border_subtitle = "Esc closes"
        self.query_one("#help-scroll").focus()

    def action_close(self) -> None:
        self.dismiss()
