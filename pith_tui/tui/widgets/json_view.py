"""Lines of (sanitized) text with a coverage mark each, soft-wrapped, with a cursor line and
every search match highlighted. Only the rows on screen are drawn, so a large bundle or a
100,000-character title stays fast. Keys are bound by the screen (one command registry);
this widget only moves and draws."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, chop_cells
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from pith_tui.tui.line_search import LineSearch


@dataclass(frozen=True)
class ViewLine:
    """One line: its text (already sanitized), its gutter mark and the component class that
    styles both (`json-view--<kind>`)."""

    text: str
    mark: str = " "
    kind: str = "plain"


class JsonView(ScrollView, can_focus=True, inherit_bindings=False):
    """A read-only view of lines with a cursor; the screen binds its keys."""

    KINDS: ClassVar[tuple[str, ...]] = (
        "plain",
        "heading",
        "signed",
        "bound",
        "event",
        "unsigned",
        "contradicted",
    )
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "json-view--gutter",
        "json-view--cursor",
        "json-view--match",
        "json-view--current-match",
        *(f"json-view--{kind}" for kind in KINDS),
        *(f"json-view--mark-{kind}" for kind in KINDS),
    }
    DEFAULT_CSS = """
    JsonView {
        background: $surface;
    }
    JsonView > .json-view--gutter { color: $text-muted; }
    JsonView > .json-view--cursor { background: $boost; }
    JsonView:focus > .json-view--cursor { background: $accent 25%; }
    JsonView > .json-view--match { background: $warning 45%; }
    JsonView > .json-view--current-match { background: $accent; color: $text; text-style: bold; }
    JsonView > .json-view--plain { color: $text; }
    JsonView > .json-view--heading { color: $text-muted; text-style: italic; }
    JsonView > .json-view--signed { color: $text; }
    JsonView > .json-view--bound { color: $text; }
    JsonView > .json-view--event { color: $text; }
    JsonView > .json-view--unsigned { color: $text-muted; }
    JsonView > .json-view--contradicted { color: $error; }
    JsonView > .json-view--mark-plain { color: $text-muted; }
    JsonView > .json-view--mark-heading { color: $text-muted; }
    JsonView > .json-view--mark-signed { color: $success; text-style: bold; }
    JsonView > .json-view--mark-bound { color: $success; }
    JsonView > .json-view--mark-event { color: $success; }
    JsonView > .json-view--mark-unsigned { color: $text-muted; }
    JsonView > .json-view--mark-contradicted { color: $error; text-style: bold; }
    """

    class CursorMoved(Message):
        """The cursor is on another line."""

        def __init__(self, line: int) -> None:
            super().__init__()
            self.line = line

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: tuple[ViewLine, ...] = ()
        self.search = LineSearch()
        self.cursor = 0
        self._rows: list[tuple[int, int, int]] = []  # (line, start, end) per screen row
        self._first_row: list[int] = []  # the first row of each line
        self._wrapped_for = -1  # the text width the rows were made for

    # --- content ----------------------------------------------------------------------------

    def set_lines(self, lines: Sequence[ViewLine], *, cursor: int = 0) -> None:
        self.lines = tuple(lines)
        self.search.find([line.text for line in self.lines], self.search.needle)
        self._wrapped_for = -1
        self._wrap()
        self.move_cursor(cursor, center=True)
        self.refresh()

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def _gutter_width(self) -> int:
        return len(str(max(len(self.lines), 1))) + 3  # mark, space, number, space

    def _text_width(self) -> int:
        return max(self.scrollable_content_region.width - self._gutter_width(), 8)

    def _wrap(self) -> None:
        width = self._text_width()
        if width == self._wrapped_for:
            return
        rows: list[tuple[int, int, int]] = []
        first: list[int] = []
        for number, line in enumerate(self.lines):
            first.append(len(rows))
            if cell_len(line.text) <= width:
                rows.append((number, 0, len(line.text)))
                continue
            start = 0
            for chunk in chop_cells(line.text, width):
                rows.append((number, start, start + len(chunk)))
                start += len(chunk)
        self._rows, self._first_row, self._wrapped_for = rows, first, width
        self.virtual_size = Size(self.scrollable_content_region.width, len(rows))

    def on_resize(self, event: events.Resize) -> None:
        self._wrap()
        self.refresh()

    # --- the cursor and the matches ---------------------------------------------------------

    def _line_rows(self, line: int) -> tuple[int, int]:
        """(first row, row count) of a line."""
        if not self._first_row:
            return 0, 1
        start = self._first_row[line]
        end = self._first_row[line + 1] if line + 1 < len(self._first_row) else len(self._rows)
        return start, max(end - start, 1)

    def move_cursor(self, line: int, *, center: bool = False, row: int | None = None) -> None:
        """Put the cursor on `line` (clamped) and scroll it into view; `row` (a row of the
        line, for a match in a long wrapped line) is what must be visible."""
        if not self.lines:
            self.cursor = 0
            return
        line = min(max(line, 0), len(self.lines) - 1)
        changed = line != self.cursor
        self.cursor = line
        first, count = self._line_rows(line)
        target = first if row is None else row
        height = max(self.scrollable_content_region.height, 1)
        if center:
            self.scroll_to(y=max(target - height // 2, 0), animate=False, immediate=True)
        else:
            self.scroll_to_region(
                Region(0, target, 1, min(count if row is None else 1, height)),
                animate=False,
                immediate=True,
            )
        self.refresh()
        if changed:
            self.post_message(self.CursorMoved(line))

    def show_match(self) -> None:
        """Move to the current match, centred, and redraw the highlights."""
        match = self.search.current_match
        if match is None:
            self.refresh()
            return
        first, count = self._line_rows(match.line)
        row = next(
            (
                r
                for r in range(first, first + count)
                if r < len(self._rows) and self._rows[r][1] <= match.start < self._rows[r][2]
            ),
            first,
        )
        self.move_cursor(match.line, center=True, row=row)

    def find(self, needle: str) -> None:
        self.search.find([line.text for line in self.lines], needle)
        self.refresh()

    def page(self, direction: int) -> None:
        height = max(self.scrollable_content_region.height - 1, 1)
        first, _ = self._line_rows(self.cursor)
        row = min(max(first + direction * height, 0), max(len(self._rows) - 1, 0))
        self.move_cursor(self._rows[row][0] if self._rows else 0)

    def on_click(self, event: events.Click) -> None:
        row = int(self.scroll_offset.y) + event.y
        if 0 <= row < len(self._rows):
            self.move_cursor(self._rows[row][0])

    # --- drawing -------------------------------------------------------------------------------

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"json-view--{name}")

    def render_line(self, y: int) -> Strip:
        self._wrap()
        width = self.scrollable_content_region.width
        row_index = int(self.scroll_offset.y) + y
        base = self.rich_style
        if not 0 <= row_index < len(self._rows):
            return Strip.blank(width, base)
        number, start, end = self._rows[row_index]
        line = self.lines[number]
        on_cursor = number == self.cursor
        cursor_style = self._style("cursor") if on_cursor else Style()
        gutter = self._gutter_width()
        if start == 0:
            label = f"{line.mark} {number + 1:>{gutter - 3}} "
            segments = [
                Segment(label[:2], base + self._style(f"mark-{line.kind}") + cursor_style),
                Segment(label[2:], base + self._style("gutter") + cursor_style),
            ]
        else:
            segments = [Segment(" " * gutter, base + self._style("gutter") + cursor_style)]
        text_style = base + self._style(line.kind) + cursor_style
        cuts = [(start, end, text_style)]
        for match, current in self.search.on_line(number):
            lo, hi = max(match.start, start), min(match.end, end)
            if lo >= hi:
                continue
            style = text_style + self._style("current-match" if current else "match")
            cuts = _overlay(cuts, lo, hi, style)
        segments += [Segment(line.text[a:b], style) for a, b, style in cuts if a < b]
        strip = Strip(segments).extend_cell_length(width, base + cursor_style)
        return strip.crop(0, width)


def _overlay(
    cuts: list[tuple[int, int, Style]], lo: int, hi: int, style: Style
) -> list[tuple[int, int, Style]]:
    """Restyle the columns [lo, hi) of a list of styled (start, end) pieces."""
    result = []
    for a, b, old in cuts:
        if b <= lo or a >= hi:
            result.append((a, b, old))
            continue
        if a < lo:
            result.append((a, lo, old))
        result.append((max(a, lo), min(b, hi), style))
        if b > hi:
            result.append((hi, b, old))
    return result
