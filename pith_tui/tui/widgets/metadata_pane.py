"""The metadata pane: what the paper is, its numbers, and where the data came from."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.reactive import Reactive

from pith_tui.core.view import RecordView
from pith_tui.tui.present import LABEL_STYLE, METADATA_FIELDS, metadata_fields
from pith_tui.tui.widgets.hanging_list import HangingList, Item

EMPTY = (
    "No record is open.\n\n"
    "Press / and type an arXiv id (2106.06530), a DOI, a Pith Number or a short id "
    "(pith:4K6GSOJW), then Enter. Press c to browse the cache, ? for help."
)


class MetadataPane(VerticalScroll):
    """Title, authors, arXiv id and categories, dates, licence, numbers, hash, source, notes,
    abstract. Every value is `Content` built from sanitized text (never markup), and says
    where it comes from: the title whether it matched its signed hash, unsigned values
    "not signed", event-signed ones their event; the "Signed by" row says what covers the
    rest. A value that contradicts the signed record is shown as the signed value with a red
    ✗ line naming what the server's text says instead."""

    # Its content's height is known to the layout that places it; Textual's `virtual_size`
    # is a layout reactive, so setting it afterwards asked for a second full-screen layout
    # on every record shown. The scrollbar gutter is reserved (app.tcss), so nothing else
    # moves: a repaint is enough.
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def compose(self) -> ComposeResult:
        yield HangingList([Content(EMPTY)], id="metadata-body", label_width=10)

    def show_message(self, message: Content) -> None:
        """No record to show: say why (a failed start-up lookup)."""
        self.query_one(HangingList).update([message])

    def show(self, view: RecordView, now: datetime, *, pending: bool = False) -> None:
        fields = metadata_fields(view, now, pending=pending)
        items: list[Item] = [fields["title"].stylize("bold")]
        if fields["title_check"]:
            items.append(fields["title_check"])
        items += [fields["authors"], Content("")]
        for key, label in METADATA_FIELDS.items():
            if fields[key]:
                items.append((Content.styled(label, LABEL_STYLE), fields[key]))
        if fields["abstract"]:
            items += [Content(""), fields["abstract_heading"], fields["abstract"]]
        self.query_one(HangingList).update(items)
        self.scroll_home(animate=False)
