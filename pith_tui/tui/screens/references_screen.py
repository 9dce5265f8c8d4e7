"""The references screen: a .bib checked entry by entry, filled in as lookups finish.

    app.push_screen(ReferencesScreen(resolver, path))

Each entry shows its verdict chip and title check; the list sorts and filters like the
cache review. Lookups go through the app's resolver (cache first, the network unless
offline), so a bibliography taken offline with `cache fetch` opens with no network.
Enter posts `OpenRecord` for the highlighted entry's record; the App opens it. Text from
the .bib and the records reaches the screen through `clean_text`, in `Text` objects only.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Input, ProgressBar, Static

from pith_tui.core.bibcheck import (
    BibSummary,
    EntryResult,
    EntryVerdict,
    Planned,
    TitleCheck,
    check_planned,
    plan,
)
from pith_tui.core.bibtex import NotBibtexError, read_bibliography
from pith_tui.core.reference_rows import SORT_LABELS, ReferenceRows
from pith_tui.core.resolver import Resolver
from pith_tui.core.sanitize import clean_text
from pith_tui.tui.commands import bindings_for
from pith_tui.tui.messages import OpenRecord
from pith_tui.tui.widgets.footer import PithFooter

REFERENCES_TCSS = Path(__file__).resolve().parent.parent / "references.tcss"
COLUMNS = ("Key", "Identifier", "Verdict", "Title", "Pith Number", "Entry title")
HEADER_SORTS = {"Key": "key", "Identifier": "query", "Verdict": "verdict", "Title": "title_check"}
VERDICT_STYLES = {
    EntryVerdict.VERIFIED: "bold green",
    EntryVerdict.FAILED: "bold red",
    EntryVerdict.ERROR: "red",
    EntryVerdict.INCOMPLETE: "yellow",
    EntryVerdict.NOT_FOUND: "yellow",
    EntryVerdict.NO_IDENTIFIER: "dim",
}
VERDICT_CHIPS = {
    EntryVerdict.VERIFIED: "✓ verified",
    EntryVerdict.FAILED: "✗ failed",
    EntryVerdict.ERROR: "✗ error",
    EntryVerdict.INCOMPLETE: "! incomplete",
    EntryVerdict.NOT_FOUND: "– not on Pith",
    EntryVerdict.NO_IDENTIFIER: "– no arXiv id",
}
TITLE_CHIPS = {
    TitleCheck.MATCH: ("✓ match", "green"),
    TitleCheck.MISMATCH: ("✗ mismatch", "bold red"),
    TitleCheck.NOT_CHECKED: ("– not checked", "dim"),
}


def _cell(text: object, style: str = "", max_chars: int = 60) -> Text:
    return Text(clean_text(text, max_chars=max_chars), style=style)


class ReferencesScreen(Screen[None]):
    """Check a bibliography; Enter opens an entry's record in the main screen."""

    CSS_PATH = REFERENCES_TCSS
    AUTO_FOCUS = "#references-table"
    BINDINGS: ClassVar[list[BindingType]] = bindings_for("references")

    def __init__(self, resolver: Resolver, path: Path, *, concurrency: int = 8) -> None:
        super().__init__()
        self.resolver = resolver
        self.path = Path(path)
        self.concurrency = concurrency
        self.rows: ReferenceRows | None = None
        self.error = ""

    def compose(self) -> ComposeResult:
        yield Static(id="references-summary", markup=False)
        yield ProgressBar(id="references-progress", show_eta=False)
        yield Input(
            placeholder="Filter by key, identifier, title or verdict  (/)",
            id="references-filter",
        )
        table: DataTable[Text] = DataTable(
            id="references-table", cursor_type="row", zebra_stripes=True
        )
        yield table
        yield Static(id="references-detail", markup=False)
        yield PithFooter()

    def on_mount(self) -> None:
        table: DataTable[Text] = self.query_one("#references-table", DataTable)
        for label in COLUMNS:
            table.add_column(label, key=label)
        self._summary(f"{self.path.name}: reading…")
        self.check()

    # ------------------------------------------------------------------ work

    @work(exclusive=True, group="references")
    async def check(self) -> None:
        try:
            planned = await asyncio.to_thread(lambda: plan(read_bibliography(self.path)))
        except NotBibtexError as exc:
            self._fail(str(exc))
            return
        except OSError as exc:
            self._fail(f"{self.path.name}: {exc.strerror or exc}")
            return
        self.rows = ReferenceRows.start(planned)
        progress = self.query_one(ProgressBar)
        progress.update(total=max(1, len(planned)), progress=self.rows.done)
        self._redraw()
        await check_planned(
            planned, self.resolver.resolve, concurrency=self.concurrency, on_result=self._resolved
        )
        self._summary_line()

    def _fail(self, message: str) -> None:
        self.error = message
        self._summary(message)
        self.notify(clean_text(message), title="Bibliography", severity="error", markup=False)

    def _resolved(self, index: int, result: EntryResult) -> None:
        rows = self.rows
        if rows is None:
            return
        rows.results[index] = result
        self.query_one(ProgressBar).update(progress=rows.done)
        table: DataTable[Text] = self.query_one("#references-table", DataTable)
        key = str(index)
        if key in table.rows:
            for column, value in zip(COLUMNS, self._cells(index), strict=True):
                table.update_cell(key, column, value, update_width=True)
        self._summary_line()
        self._show_detail()

    # ------------------------------------------------------------------ drawing

    def _summary(self, text: str) -> None:
        self.query_one("#references-summary", Static).update(Text(clean_text(text)))

    def _summary_line(self) -> None:
        rows = self.rows
        if rows is None:
            return
        done = [r for r in rows.results if r is not None]
        line = BibSummary(done).line()
        state = (
            "" if rows.done == len(rows.planned) else f" — checking {rows.done}/{len(rows.planned)}"
        )
        order = SORT_LABELS[rows.sort] + (" ↓" if rows.descending else "")
        self._summary(f"{self.path.name}: {line}{state}  (sorted by {order})")

    def _cells(self, index: int) -> tuple[Text, ...]:
        assert self.rows is not None
        item: Planned = self.rows.planned[index]
        result = self.rows.results[index]
        query = item.query.display() if item.query else (result.query if result else "")
        if result is None:
            return (
                _cell(item.key, "bold", 30),
                _cell(query, "", 30),
                _cell("… checking", "dim"),
                _cell(""),
                _cell(""),
                _cell(item.bib_title, "", 80),
            )
        chip, chip_style = TITLE_CHIPS[result.title]
        return (
            _cell(item.key or f"line {item.line}", "bold", 30),
            _cell(query, "", 30),
            _cell(VERDICT_CHIPS[result.verdict], VERDICT_STYLES[result.verdict]),
            _cell(chip if result.verdict is not EntryVerdict.NO_IDENTIFIER else "", chip_style),
            _cell(result.pith_number, "", 40),
            _cell(result.bib_title or item.bib_title, "", 80),
        )

    def _redraw(self) -> None:
        rows = self.rows
        if rows is None:
            return
        table: DataTable[Text] = self.query_one("#references-table", DataTable)
        table.clear()
        for index in rows.visible():
            table.add_row(*self._cells(index), key=str(index))
        self._summary_line()
        self._show_detail()

    def _highlighted(self) -> int | None:
        table: DataTable[Text] = self.query_one("#references-table", DataTable)
        if self.rows is None or table.row_count == 0:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return int(row_key.value) if row_key.value is not None else None

    def _show_detail(self) -> None:
        index = self._highlighted()
        detail = self.query_one("#references-detail", Static)
        if index is None or self.rows is None:
            detail.update("")
            return
        result = self.rows.results[index]
        if result is None:
            detail.update(Text("checking…", style="dim"))
            return
        text = Text()
        text.append(clean_text(result.reason, max_chars=300))
        if result.signed_title:
            text.append("\nsigned title: ", style="bold")
            text.append(clean_text(result.signed_title, max_chars=200))
        if result.view is not None:
            text.append("\nfrom: ", style="bold")
            text.append(clean_text(result.view.source))
        detail.update(text)

    # ------------------------------------------------------------------ events and actions

    @on(DataTable.RowHighlighted, "#references-table")
    def _highlight(self) -> None:
        self._show_detail()

    @on(DataTable.RowSelected, "#references-table")
    def _selected(self) -> None:
        self.action_open()

    @on(DataTable.HeaderSelected, "#references-table")
    def _header(self, event: DataTable.HeaderSelected) -> None:
        """A click on a column header sorts by it; a second click reverses."""
        if self.rows is None:
            return
        column = HEADER_SORTS.get(str(event.column_key.value), "line")
        if self.rows.sort == column:
            self.rows.descending = not self.rows.descending
        else:
            self.rows.sort, self.rows.descending = column, False
        self._redraw()

    @on(Input.Changed, "#references-filter")
    def _filter(self, event: Input.Changed) -> None:
        if self.rows is not None:
            self.rows.filter_text = event.value
            self._redraw()

    @on(Input.Submitted, "#references-filter")
    def _filter_done(self) -> None:
        self.query_one("#references-table", DataTable).focus()

    def action_open(self) -> None:
        index = self._highlighted()
        if index is None or self.rows is None:
            return
        result = self.rows.results[index]
        if result is None or result.view is None:
            reason = (
                "still checking" if result is None else clean_text(result.reason, max_chars=200)
            )
            self.notify(
                f"No record to open: {reason}", title="Open", severity="warning", markup=False
            )
            return
        self.post_message(OpenRecord(result.view.pith_id))

    def action_focus_filter(self) -> None:
        self.query_one("#references-filter", Input).focus()

    def action_cycle_sort(self) -> None:
        if self.rows is not None:
            self.rows.cycle_sort()
            self._redraw()

    def action_reverse_sort(self) -> None:
        if self.rows is not None:
            self.rows.descending = not self.rows.descending
            self._redraw()

    def action_back(self) -> None:
        focused = self.focused
        if isinstance(focused, Input):
            self.query_one("#references-table", DataTable).focus()
            return
        self.dismiss(None)
