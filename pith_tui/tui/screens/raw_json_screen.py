"""The whole document(s) as pretty JSON: read-only, scrollable and searchable.

The text is built with `json.dumps` and then sanitized (`clean_multiline`), so bidi, C1 and
other invisible characters inside strings show as `<U+XXXX>`; a read-only `TextArea` shows it
as plain text (it never interprets markup) and only draws the lines on screen, so a large
bundle stays fast.
"""

from __future__ import annotations

import bisect
import re
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Header, Input, Static, TextArea
from textual.widgets.text_area import Selection

from pith_tui.core.view import RecordView
from pith_tui.tui.commands import bindings_for
from pith_tui.tui.present import pretty_json, short_number
from pith_tui.tui.widgets.footer import PithFooter

SEARCH_PLACEHOLDER = "Search the JSON   (Enter / n: next match · N: previous · Esc: back)"


def raw_text(view: RecordView) -> str:
    """Each document present, pretty-printed and sanitized, under a one-line heading."""
    parts = []
    for kind, document in (("record", view.record), ("bundle", view.bundle)):
        if document is None:
            continue
        heading = f"// {kind} of {short_number(view)}, as received (controls shown as <U+XXXX>)"
        parts.append(f"{heading}\n{pretty_json(document.raw)}")
    return "\n\n".join(parts) + "\n"


class RawJsonScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings_for("raw")
    AUTO_FOCUS = "#raw"

    def __init__(self, view: RecordView) -> None:
        super().__init__(id="raw-json")
        self.view = view
        self.text = raw_text(view)
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        self._matches: list[tuple[int, int]] = []  # (start, end) offsets in self.text
        self._current = -1

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="search-bar"):
            yield Input(placeholder=SEARCH_PLACEHOLDER, id="search")
            yield Static("", id="match-status", markup=False)
        yield TextArea(self.text, read_only=True, soft_wrap=True, show_line_numbers=True, id="raw")
        yield PithFooter()

    def on_mount(self) -> None:
        self.sub_title = f"raw JSON · {short_number(self.view)}"

    # --- search ----------------------------------------------------------------------------

    def _location(self, offset: int) -> tuple[int, int]:
        row = bisect.bisect_right(self._line_starts, offset) - 1
        return row, offset - self._line_starts[row]

    def _find(self, needle: str) -> None:
        self._matches = (
            [(m.start(), m.end()) for m in re.finditer(re.escape(needle), self.text, re.IGNORECASE)]
            if needle
            else []
        )
        self._current = -1

    def _selection_start(self) -> int:
        area = self.query_one(TextArea)
        row, column = min(area.selection.start, area.selection.end)
        return self._line_starts[row] + column

    def _jump(self, index: int) -> None:
        status = self.query_one("#match-status", Static)
        if not self._matches:
            needle = self.query_one("#search", Input).value
            status.update(f"no match for {needle!r}" if needle else "")
            return
        self._current = index % len(self._matches)
        start, end = self._matches[self._current]
        area = self.query_one(TextArea)
        area.selection = Selection(self._location(start), self._location(end))
        area.scroll_cursor_visible(center=True)
        status.update(f"match {self._current + 1} of {len(self._matches)}")

    def _first_from(self, offset: int, *, strictly_after: bool) -> int:
        for index, (start, _end) in enumerate(self._matches):
            if start > offset or (start == offset and not strictly_after):
                return index
        return 0  # wrap around

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        anchor = self._selection_start()
        self._find(event.value)
        self._jump(self._first_from(anchor, strictly_after=False))

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_next_match()

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_next_match(self) -> None:
        if self._matches:
            self._jump(self._first_from(self._selection_start(), strictly_after=True))

    def action_previous_match(self) -> None:
        if not self._matches:
            return
        offset = self._selection_start()
        before = [i for i, (start, _end) in enumerate(self._matches) if start < offset]
        self._jump(before[-1] if before else len(self._matches) - 1)

    def action_close(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus:
            self.query_one(TextArea).focus()
            return
        self.dismiss()
