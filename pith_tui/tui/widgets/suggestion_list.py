"""The dropdown under the lookup box: a few matching records, id and title.

It never takes the focus: the box keeps it (typing goes on), and ↓/↑ in the box move the
highlight here. Titles are record text: each option is `Content` built from sanitized text.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from pith_tui.tui.suggester import Suggestion


class SuggestionList(OptionList, can_focus=False):
    """Shown when there are suggestions for what is typed; hidden otherwise."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.suggestions: tuple[Suggestion, ...] = ()
        self.display = False

    def show(self, suggestions: Sequence[Suggestion]) -> None:
        self.suggestions = tuple(suggestions)
        self.clear_options()
        self.add_options(
            Option(
                Content.assemble(
                    (s.target, "bold"),
                    "  ",
                    (s.title, "$text-muted") if s.title else "",
                )
            )
            for s in self.suggestions
        )
        self.highlighted = None
        self.display = bool(self.suggestions)

    def hide(self) -> None:
        self.display = False
        self.highlighted = None

    @property
    def chosen(self) -> Suggestion | None:
        """The highlighted suggestion, when the list is shown."""
        index = self.highlighted
        if not self.display or index is None or not 0 <= index < len(self.suggestions):
            return None
        return self.suggestions[index]

    def move(self, step: int) -> None:
        if not self.suggestions:
            return
        if self.highlighted is None:
            self.highlighted = 0 if step > 0 else len(self.suggestions) - 1
        else:
            self.highlighted = (self.highlighted + step) % len(self.suggestions)
