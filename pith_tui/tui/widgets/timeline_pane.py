"""The event timeline: every event in order with its own check; the selected one's payload."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import DataTable

from pith_tui.core.sanitize import clean_text
from pith_tui.core.verify import Status
from pith_tui.core.view import RecordView
from pith_tui.tui.badges import STATUS_THEME_VARIABLES, STATUS_WORDS
from pith_tui.tui.present import event_detail_items, event_time
from pith_tui.tui.tables import fill_table
from pith_tui.tui.widgets.hanging_list import HangingList

NARROW_WIDTH = 110  # below this many columns the payload goes under the list, not beside it
COLUMNS = (("#", 3), ("Time", 19), ("Type", 20), ("Target", 10), ("Signer key", 18), ("Check", 13))
NO_EVENTS = "This record carries no events. Bundles carry the signed event log."


class TimelinePane(Horizontal):
    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._view: RecordView | None = None
        self._detail: tuple[int, int] | None = None  # (id of the view, event index) shown

    def compose(self) -> ComposeResult:
        yield DataTable(id="events-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="event-detail-scroll"):
            yield HangingList([Content(NO_EVENTS)], id="event-detail", label_width=10)

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW_WIDTH, "-narrow")

    def show(self, view: RecordView) -> None:
        self._view = view
        report = view.event_report
        results = report.events if report is not None else ()
        rows = []
        for index, event in enumerate(view.events):
            result = results[index] if index < len(results) else None
            rows.append(
                [
                    Text(str(index + 1)),
                    Text(event_time(event)),
                    Text(clean_text(event.event_type, max_chars=40)),
                    Text(clean_text(event.target, max_chars=30)),
                    Text(clean_text(event.signature_key_id or event.signer.key_id, max_chars=40)),
                    self._status_cell(result.status if result else Status.NOT_CHECKED),
                ]
            )
        fill_table(self.query_one(DataTable), COLUMNS, rows)
        self._show_detail(0 if view.events else -1)

    def _status_cell(self, status: Status) -> Text:
        colour = self.app.theme_variables.get(STATUS_THEME_VARIABLES[status])
        style = Style(bold=True, color=colour) if colour else Style(bold=True)
        return Text(f"{status.symbol} {STATUS_WORDS[status]}", style=style)

    def _show_detail(self, index: int) -> None:
        shown = (id(self._view), index)
        if shown == self._detail:
            return  # the table's first highlight after `show()`: already on screen
        self._detail = shown
        detail = self.query_one("#event-detail", HangingList)
        if self._view is None or index < 0:
            detail.update([Content(NO_EVENTS)])
            return
        detail.update(event_detail_items(self._view, index))
        self.query_one("#event-detail-scroll").scroll_home(animate=False)

    @on(DataTable.RowHighlighted, "#events-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_detail(event.cursor_row)

    @on(DataTable.RowSelected, "#events-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._show_detail(event.cursor_row)
