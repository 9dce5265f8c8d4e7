"""The lookup box: any identifier, with a dropdown of matching records from the cache and
the history.

Suggestions are looked up in a thread, `SUGGEST_DELAY` after the last key, so typing never
waits for SQLite; an answer for text that has changed since is dropped.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.binding import BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive
from textual.timer import Timer
from textual.widgets import Input

from pith_tui.core.ids import is_query
from pith_tui.tui.commands import bindings_for
from pith_tui.tui.suggester import LookupSuggester, Suggestion
from pith_tui.tui.widgets.suggestion_list import SuggestionList

PLACEHOLDER = "Look up: arXiv id, DOI, Pith Number, short id, URL or title words   (/ to focus)"
SUGGEST_DELAY = 0.12  # seconds of no typing before suggestions are looked up


class LookupInput(Input):
    """An `Input` with a `SuggestionList` under it (↓/↑ choose, Enter opens, Esc closes)."""

    BINDINGS: ClassVar[list[BindingType]] = bindings_for("lookup")
    # The box's virtual width grows with its text, and Textual declares `virtual_size` a
    # layout reactive: every key re-laid out the whole screen and woke its ~150 widgets
    # (measured: 30 ms an echo, against 3 ms without the panes). The box's own size never
    # depends on its text (width 100%, height 3), so a repaint is all a key needs.
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    class Left(Message):
        """Esc with no dropdown open: the screen gives the focus back to the record."""

    def __init__(
        self, suggester: LookupSuggester, suggestions: SuggestionList, *, id: str | None = None
    ) -> None:
        super().__init__(placeholder=PLACEHOLDER, id=id)
        self.border_title = "Lookup"
        self._lookup_suggester = suggester
        self.suggestions = suggestions
        self._timer: Timer | None = None
        self._generation = 0  # bumped by every edit and Esc: older answers are dropped

    def chosen_target(self) -> str | None:
        """What Enter looks up instead of the text: the highlighted suggestion, else the
        first one when the text itself is no identifier."""
        chosen = self.suggestions.chosen
        if chosen is not None:
            return chosen.target
        shown = self.suggestions.display and self.suggestions.suggestions
        if shown and not is_query(self.value.strip()):
            return self.suggestions.suggestions[0].target
        return None

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        # Not stopped: the screen clears its error line on an edit.
        self._cancel_pending()
        if not self.has_focus or not event.value.strip():
            self.suggestions.hide()
            return
        self._timer = self.set_timer(SUGGEST_DELAY, self._suggest)

    def _cancel_pending(self) -> None:
        self._generation += 1
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _suggest(self) -> None:
        self._timer = None
        self._look_up_suggestions(self.value, self._generation)

    @work(thread=True, exclusive=True, group="suggest", exit_on_error=False)
    def _look_up_suggestions(self, value: str, generation: int) -> None:
        found = self._lookup_suggester.matches(value)
        self.app.call_from_thread(self._show_suggestions, generation, found)

    def _show_suggestions(self, generation: int, found: list[Suggestion]) -> None:
        if generation != self._generation or not self.has_focus:
            return  # typed on, pressed Esc or left the box since: stale
        self.suggestions.show(found)

    def on_blur(self) -> None:
        self._cancel_pending()
        self.suggestions.hide()

    def action_next_suggestion(self) -> None:
        self.suggestions.move(1)

    def action_previous_suggestion(self) -> None:
        self.suggestions.move(-1)

    def action_leave(self) -> None:
        shown = self.suggestions.display
        self._cancel_pending()
        self.suggestions.hide()
        if shown:
            return
        self.post_message(self.Left())
