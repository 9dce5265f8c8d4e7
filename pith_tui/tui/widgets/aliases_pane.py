"""Every alias of the record (kind, value, created, and whether it derives from the signed
record); Enter copies one, g looks it up."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import DataTable

from pith_tui.core.model import Alias
from pith_tui.core.sanitize import clean_text
from pith_tui.core.view import RecordView
from pith_tui.tui.commands import bindings_for
from pith_tui.tui.messages import OpenRecord
from pith_tui.tui.present import iso_time
from pith_tui.tui.tables import fill_table

LOOKUP_KINDS = ("arxiv", "arxiv_version", "doi")
COLUMNS = (("Kind", 14), ("Value", 40), ("Created", 19), ("Checked", 34))


class AliasesPane(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = bindings_for("aliases")

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._aliases: tuple[Alias, ...] = ()

    def compose(self) -> ComposeResult:
        yield DataTable(id="aliases-table", cursor_type="row", zebra_stripes=True)

    def show(self, view: RecordView) -> None:
        self._aliases = view.aliases
        rows = [
            [
                Text(clean_text(alias.kind, max_chars=40)),
                Text(clean_text(alias.value, max_chars=200)),
                Text(iso_time(alias.created_at)),
                Text(f"{check.symbol} {check.value}"),
            ]
            for alias, check in zip(self._aliases, view.alias_checks, strict=True)
        ]
        fill_table(self.query_one(DataTable), COLUMNS, rows)

    def selected(self) -> Alias | None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        return self._aliases[row] if 0 <= row < len(self._aliases) and table.row_count else None

    @on(DataTable.RowSelected, "#aliases-table")
    def _copy(self, event: DataTable.RowSelected) -> None:
        event.stop()
        alias = self.selected()
        if alias is None:
            return
        value = clean_text(alias.value)
        self.app.copy_to_clipboard(value)
        self.notify(f"Copied {alias.kind}: {value}", title="Copied", markup=False)

    def action_lookup_alias(self) -> None:
        alias = self.selected()
        if alias is None:
            return
        if alias.kind not in LOOKUP_KINDS:
            self.notify(
                f"Only arXiv and DOI aliases can be looked up with g; Enter copies "
                f"this {clean_text(alias.kind)} alias.",
                title="Aliases",
                markup=False,
            )
            return
        self.post_message(OpenRecord(clean_text(alias.value)))
