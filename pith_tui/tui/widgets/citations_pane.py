"""Inbound citations: the papers that cite this one; Enter looks the citing paper up."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from pith_tui.core.model import Citation
from pith_tui.core.sanitize import clean_text
from pith_tui.core.view import RecordView
from pith_tui.tui.messages import OpenRecord
from pith_tui.tui.tables import fill_table

COLUMNS = (("arXiv id", 16), ("Title", 120))


class CitationsPane(Vertical):
    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._citations: tuple[Citation, ...] = ()

    def compose(self) -> ComposeResult:
        yield Static("", id="citations-summary", markup=False)
        yield DataTable(id="citations-table", cursor_type="row", zebra_stripes=True)

    def show(self, view: RecordView) -> None:
        count, citations = view.citations
        self._citations = citations
        if view.record is None:
            summary = "Only a number record lists inbound citations; this view has a bundle only."
        elif not count and not citations:
            summary = "Pith lists no papers citing this one."
        else:
            shown = len(citations)
            summary = f"{count} paper{'s' if count != 1 else ''} cite this one (Pith's count)"
            summary += f"; {shown} listed below. Enter looks one up." if shown else "."
        self.query_one("#citations-summary", Static).update(summary)
        rows = [
            [
                Text(clean_text(citation.citing_arxiv_id, max_chars=40) or "–"),
                Text(clean_text(citation.citing_title, max_chars=300) or "(no title)"),
            ]
            for citation in citations
        ]
        fill_table(self.query_one(DataTable), COLUMNS, rows)

    @on(DataTable.RowSelected, "#citations-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row = event.cursor_row
        if not 0 <= row < len(self._citations):
            return
        arxiv_id = clean_text(self._citations[row].citing_arxiv_id)
        if not arxiv_id:
            self.notify("This citation names no arXiv id.", title="Cited by", markup=False)
            return
        self.post_message(OpenRecord(arxiv_id))
