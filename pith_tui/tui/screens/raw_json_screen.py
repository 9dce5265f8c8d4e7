"""The whole document(s) as pretty JSON, with what covers each part: read-only, searchable.

Every line carries a mark for the signature that covers it (`coverage.py` decides; this only
draws): covered by a signature, checked against the signed record, in a signed event,
outside every signature, or contradicting the signed record. `s` hides what is outside
every signature, leaving the signed document. The line under the cursor is explained in
words below the view. The text is `json.dumps` output, sanitized line by line
(`clean_multiline`), so bidi, C1 and other invisible characters show as `<U+XXXX>`, and it
is drawn as plain text (never markup).

Search: `/` types a needle (every match is highlighted as you type); Enter jumps to the
next match and goes to the results, where `n`/`N` move between matches; Home/End go to the
top and the bottom.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, Input, Static

from pith_tui.core.coverage import PartCoverage, coverage_of, json_lines, kept_paths, part_map
from pith_tui.core.provenance import Coverage, JsonPath, Provenance
from pith_tui.core.sanitize import clean_multiline, clean_text
from pith_tui.core.view import RecordView
from pith_tui.tui.commands import bindings_for
from pith_tui.tui.present import short_number
from pith_tui.tui.widgets.footer import PithFooter
from pith_tui.tui.widgets.json_view import JsonView, ViewLine

SEARCH_PLACEHOLDER = "Search the JSON   (Enter: next match, then n / N · Esc: back)"
RAW_JSON_TCSS = Path(__file__).resolve().parent.parent / "raw_json_screen.tcss"

# How each kind of coverage is marked in the gutter, and named in the legend.
MARKS: dict[str, tuple[str, str]] = {
    "signed": ("✓", "signed"),
    "bound": ("≡", "checked against signed data"),
    "event": ("◆", "signed event"),
    "unsigned": ("○", "outside every signature"),
    "contradicted": ("✗", "contradicts signed data"),
}
_KIND_OF = {
    Provenance.SIGNED: "signed",
    Provenance.HASH_BOUND: "bound",
    Provenance.EVENT_SIGNED: "event",
    Provenance.UNSIGNED: "unsigned",
}


def coverage_kind(part: PartCoverage) -> str:
    return "contradicted" if part.contradiction else _KIND_OF[part.provenance]


@dataclass(frozen=True)
class RawLine:
    """A line of the view and what it says about coverage (None for headings)."""

    line: ViewLine
    document: str = ""  # "record" / "bundle"
    path: JsonPath = ()
    coverage: PartCoverage | None = None


def raw_lines(view: RecordView, *, signed_only: bool = False) -> list[RawLine]:
    """Each document present, under a heading, one `RawLine` per line of pretty JSON."""
    lines: list[RawLine] = []
    for kind, document, report in (
        ("record", view.record, view.record_report),
        ("bundle", view.bundle, view.bundle_report),
    ):
        if document is None:
            continue
        parts = part_map(document, report.coverage if report is not None else Coverage())
        if lines:
            lines.append(RawLine(ViewLine("")))
        what = (
            "only what a signature covers or a check binds (s: show all)"
            if signed_only
            else "as received (controls shown as <U+XXXX>)"
        )
        heading = f"// {kind} of {short_number(view)}, {what}"
        lines.append(RawLine(ViewLine(heading, " ", "heading"), kind))
        keep = kept_paths(document.raw, parts) if signed_only else None
        for item in json_lines(document.raw, keep):
            part = coverage_of(parts, item.path)
            marked = coverage_kind(part)
            text = clean_multiline(item.text)
            lines.append(RawLine(ViewLine(text, MARKS[marked][0], marked), kind, item.path, part))
    return lines


def raw_text(view: RecordView) -> str:
    """Each document present, pretty-printed and sanitized, under a one-line heading."""
    return "\n".join(item.line.text for item in raw_lines(view)) + "\n"


def legend() -> Content:
    parts: list[Content | str] = []
    for kind, (mark, words) in MARKS.items():
        if parts:
            parts.append("   ")
        parts.append(Content.styled(mark, _LEGEND_STYLES[kind]))
        parts.append(f" {words}")
    return Content.assemble(*parts)


_LEGEND_STYLES = {
    "signed": "bold $success",
    "bound": "$success",
    "event": "$success",
    "unsigned": "$text-muted",
    "contradicted": "bold $error",
}


def describe(item: RawLine) -> Content:
    """The status line: which part the cursor is on, and what covers it."""
    if item.coverage is None:
        return Content.styled(
            "↑ ↓ PgUp PgDn Home End move the cursor; this line says what covers the line under it",
            "$text-muted",
        )
    where = ".".join(str(part) for part in item.path) or "(the whole document)"
    kind = coverage_kind(item.coverage)
    return Content.assemble(
        (MARKS[kind][0] + " ", _LEGEND_STYLES[kind]),
        (f"{item.document}: ", "bold"),
        clean_text(where, max_chars=120),
        " — ",
        clean_text(item.coverage.words, max_chars=300),
    )


class RawJsonScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings_for("raw")
    AUTO_FOCUS = "#raw"
    # Absolute: Textual resolves a relative CSS_PATH against the file of the *subclass*.
    CSS_PATH = RAW_JSON_TCSS

    def __init__(self, view: RecordView) -> None:
        super().__init__(id="raw-json")
        self.view = view
        self.signed_only = False
        self.items = raw_lines(view)
        self.text = raw_text(view)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="search-bar"):
            yield Input(placeholder=SEARCH_PLACEHOLDER, id="search")
            yield Static("", id="match-status", markup=False)
        yield Static(legend(), id="coverage-legend", markup=False)
        yield JsonView(id="raw")
        yield Static("", id="coverage-line", markup=False)
        yield PithFooter()

    def on_mount(self) -> None:
        self.sub_title = f"raw JSON · {short_number(self.view)}"
        self._show(cursor=0)

    @property
    def json_view(self) -> JsonView:
        return self.query_one(JsonView)

    def _show(self, *, cursor: int) -> None:
        self.json_view.set_lines([item.line for item in self.items], cursor=cursor)
        self._describe(self.json_view.cursor)
        self._update_status()

    def _describe(self, line: int) -> None:
        item = self.items[line] if 0 <= line < len(self.items) else None
        self.query_one("#coverage-line", Static).update(
            describe(item) if item is not None else Content("")
        )

    @on(JsonView.CursorMoved)
    def _cursor_moved(self, event: JsonView.CursorMoved) -> None:
        self._describe(event.line)

    # --- search ----------------------------------------------------------------------------

    def _update_status(self) -> None:
        self.query_one("#match-status", Static).update(
            clean_text(self.json_view.search.status, max_chars=60)
        )

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        view = self.json_view
        view.find(event.value)
        if view.search.first_from(view.cursor) is not None:
            view.show_match()
        else:
            view.refresh()
        self._update_status()

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_next_match()
        self.json_view.focus()

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_next_match(self) -> None:
        view = self.json_view
        if view.search.next_from(view.cursor) is not None:
            view.show_match()
        self._update_status()

    def action_previous_match(self) -> None:
        view = self.json_view
        if view.search.previous_from(view.cursor) is not None:
            view.show_match()
        self._update_status()

    # --- moving --------------------------------------------------------------------------------

    def action_cursor_up(self) -> None:
        self.json_view.move_cursor(self.json_view.cursor - 1)

    def action_cursor_down(self) -> None:
        self.json_view.move_cursor(self.json_view.cursor + 1)

    def action_page_up(self) -> None:
        self.json_view.page(-1)

    def action_page_down(self) -> None:
        self.json_view.page(1)

    def action_go_home(self) -> None:
        self.json_view.move_cursor(0)

    def action_go_end(self) -> None:
        self.json_view.move_cursor(len(self.items) - 1)

    # --- coverage --------------------------------------------------------------------------

    def action_toggle_signed(self) -> None:
        """Show only what a signature covers (or a check binds), or everything again; the
        cursor stays on the same part where it can."""
        here = self.items[self.json_view.cursor] if self.items else None
        self.signed_only = not self.signed_only
        self.items = raw_lines(self.view, signed_only=self.signed_only)
        cursor = 0
        if here is not None and here.coverage is not None:
            target = (here.document, here.path)
            cursor = next(
                (
                    i
                    for i, item in enumerate(self.items)
                    if (item.document, item.path) == target and item.coverage is not None
                ),
                0,
            )
        self._show(cursor=cursor)

    def action_close(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus:
            self.json_view.focus()
            return
        self.dismiss()
