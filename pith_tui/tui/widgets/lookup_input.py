"""The lookup box: any identifier, with suggestions from the cache and the history."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType
from textual.message import Message
from textual.widgets import Input

from pith_tui.tui.commands import bindings_for
from pith_tui.tui.suggester import LookupSuggester

PLACEHOLDER = "Look up: arXiv id, DOI, Pith Number, short id or URL   (/ to focus, Esc to leave)"


class LookupInput(Input):
    """An `Input` whose title suggestions turn into the id they stand for when accepted."""

    BINDINGS: ClassVar[list[BindingType]] = bindings_for("lookup")

    def __init__(self, suggester: LookupSuggester, *, id: str | None = None) -> None:
        super().__init__(placeholder=PLACEHOLDER, suggester=suggester, id=id)
        self.border_title = "Lookup"
        self._lookup_suggester = suggester

    @property
    def suggestion(self) -> str:
        """The grey completion shown now ("" when none)."""
        return self._suggestion

    def suggested_target(self) -> str | None:
        """The id the shown suggestion stands for: a title match's id, or the completion."""
        suggestion = self._suggestion
        if not suggestion:
            return None
        return self._lookup_suggester.target_for(suggestion) or suggestion

    def action_cursor_right(self, select: bool = False) -> None:
        target = self._lookup_suggester.target_for(self._suggestion) if self._suggestion else None
        if target is not None and not select and self.cursor_at_end:
            self.value = target
            self.cursor_position = len(target)
            return
        super().action_cursor_right(select)

    class Left(Message):
        """Esc: the user leaves the box; the screen gives the focus back to the record."""

    def action_leave(self) -> None:
        self.post_message(self.Left())
