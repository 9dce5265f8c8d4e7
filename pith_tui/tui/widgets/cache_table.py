"""`CacheTable`: a virtual list of the cached records, drawn with the Line API.

The table never holds the whole cache. Its virtual height is the number of matching rows
(plus the header line); `render_line` asks a small LRU of pages (`PAGE_SIZE` rows each,
at most `MAX_PAGES`; the state lives in `core.cache.paging.Paging`, tested without Textual)
for the row it draws. A missing page is drawn as a placeholder and loaded in a thread worker (`cache.entries(limit=PAGE_SIZE, offset=...)`, an index walk),
then the visible lines are redrawn. So 100,000 cached records cost what 30 visible ones do.

What to list (filter, sort, count) is decided by the owner: it computes the count off the
UI thread and calls `show()`; the table only pages through that query.

Every piece of record text goes through `clean_text` and is drawn as plain segments, never
parsed as markup: a title like `[link=…]` or `\\x1b[31m` shows literally.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import Worker, get_current_worker

from pith_tui.core.cache import Cache, CacheEntry
from pith_tui.core.cache.paging import ListQuery, PageRequest, Paging
from pith_tui.core.sanitize import clean_text
from pith_tui.core.timefmt import relative_time

ELLIPSIS = "…"


@dataclass(frozen=True)
class Column:
    key: str  # a `cache.SORT_COLUMNS` name
    label: str
    width: int  # 0: takes the remaining width


COLUMNS: tuple[Column, ...] = (
    Column("pith_number", "Pith Number", 13),
    Column("arxiv_id", "arXiv", 14),
    Column("title", "Title", 0),
    Column("verdict", "Verdict", 12),
    Column("source", "Source", 7),
    Column("fetched_at", "Fetched", 10),
)
COLUMN_LABELS = {column.key: column.label for column in COLUMNS}
MIN_TITLE_WIDTH = 12
# Dropped, in this order, when the terminal is too narrow for every column.
DROP_ORDER = ("source", "fetched_at", "arxiv_id")

VERDICT_LABELS = {
    "verified": "✓ verified",
    "failed": "✗ failed",
    "incomplete": "! incomplete",
    "unknown": "? unknown",
}


def short_number(pith_id: str) -> str:
    return f"pith:{pith_id[:8]}"


def fit(text: str, width: int) -> str:
    """`text` cut (with "…") or padded to exactly `width` cells."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + ELLIPSIS
    return set_cell_size(text, width)


@dataclass
class _Frame:
    """What every line of one frame shares."""

    width: int
    now: datetime
    base: Style
    styles: dict[str, Style]
    focused: bool
    layout: list[tuple[Column, int]] = field(default_factory=list)


def _foreground(style: Style) -> Style:
    """A component style's colour and text style, without its background."""
    return Style(
        color=style.color,
        bold=style.bold,
        dim=style.dim,
        italic=style.italic,
        underline=style.underline,
    )


def _finish(segments: list[Segment], width: int, style: Style) -> Strip:
    return Strip(segments).adjust_cell_length(width, style)


class CacheTable(ScrollView, can_focus=True):
    """A scrolling, paged list of `CacheEntry` rows with a one-line header."""

    PAGE_SIZE: ClassVar[int] = 100
    MAX_PAGES: ClassVar[int] = 8  # plus up to as many stale pages just after a reload

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("enter", "open", "Open", tooltip="Open the highlighted record."),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "cache-table--header",
        "cache-table--sorted",
        "cache-table--cursor",
        "cache-table--placeholder",
        "cache-table--verified",
        "cache-table--failed",
        "cache-table--incomplete",
        "cache-table--unknown",
        "cache-table--dim",
    }

    cursor_row: reactive[int] = reactive(0, always_update=True, init=False)

    class _TableMessage(Message):
        """A message about this table (`control` lets handlers filter by selector)."""

        def __init__(self, table: CacheTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> CacheTable:
            return self.table

    class Highlighted(_TableMessage):
        """The highlighted row changed, or its entry was loaded (None: no rows)."""

        def __init__(self, table: CacheTable, entry: CacheEntry | None) -> None:
            super().__init__(table)
            self.entry = entry

    class Opened(_TableMessage):
        """Enter or a click on the highlighted row."""

        def __init__(self, table: CacheTable, entry: CacheEntry) -> None:
            super().__init__(table)
            self.entry = entry

    class SortRequested(_TableMessage):
        """A column header was clicked."""

        def __init__(self, table: CacheTable, column: str) -> None:
            super().__init__(table)
            self.column = column

    def __init__(
        self,
        cache: Cache,
        *,
        clock: Callable[[], datetime],
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.cache = cache
        self.clock = clock
        self.paging = Paging(self.PAGE_SIZE, self.MAX_PAGES)
        self._kick_scheduled = False
        self._last_highlighted: tuple[int, str | None] | None = None
        self._frame: _Frame | None = None
        self._scrollbar_size: Size | None = None  # the virtual size the scrollbar shows
        self.empty_message = "No cached records match."

    # ------------------------------------------------------------------ public API

    @property
    def query_spec(self) -> ListQuery:
        return self.paging.query

    @property
    def row_count(self) -> int:
        return self.paging.row_count

    def show(
        self,
        query: ListQuery,
        count: int,
        first_rows: list[CacheEntry] | None = None,
        *,
        first_row: int = 0,
        cursor_row: int = 0,
    ) -> None:
        """List `count` rows of `query`; `first_rows` (optional) are rows from `first_row` on."""
        self.paging.reset(query, count, first_rows, first_row=first_row)
        self._last_highlighted = None
        self._update_virtual_size()
        self.cursor_row = self._clamp(cursor_row)
        self.refresh()

    def set_count(self, count: int) -> None:
        """The listed query has `count` rows (the exact figure after a capped one)."""
        self.paging.set_count(count)
        self._update_virtual_size()
        self.cursor_row = self._clamp(self.cursor_row)
        self.refresh()

    def reload(self) -> None:
        """Fetch the rows again (verdicts changed); the old rows show until the new arrive."""
        self.paging.reload()
        self._last_highlighted = None
        self.refresh()

    @property
    def highlighted_entry(self) -> CacheEntry | None:
        return self.entry_at(self.cursor_row)

    def entry_at(self, row: int) -> CacheEntry | None:
        """The entry at `row` if its page is loaded (or still shown from before a reload)."""
        return self.paging.entry_at(row)

    def fetch_entry(self, row: int) -> CacheEntry | None:
        """The entry at `row`, read from the cache now if its page is not loaded."""
        entry = self.entry_at(row)
        if entry is not None or not 0 <= row < self.row_count:
            return entry
        query = self.query_spec
        rows = self.cache.entries(
            filter_text=query.filter_text,
            sort=query.sort,
            descending=query.descending,
            limit=1,
            offset=row,
        )
        return rows[0] if rows else None

    @property
    def materialised_rows(self) -> int:
        """Rows held in memory now (see `Paging.materialised_rows`)."""
        return self.paging.materialised_rows

    @property
    def loaded_pages(self) -> list[int]:
        return self.paging.loaded_pages

    @property
    def visible_rows(self) -> int:
        """Data rows that fit under the header."""
        return max(1, self.scrollable_content_region.height - 1)

    # ------------------------------------------------------------------ cursor

    def _clamp(self, row: int) -> int:
        return self.paging.clamp(row)

    def validate_cursor_row(self, row: int) -> int:
        return self._clamp(row)

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._scroll_cursor_into_view()
        self.refresh()
        self._post_highlighted()

    def _scroll_cursor_into_view(self) -> None:
        top = round(self.scroll_y)
        rows = self.visible_rows
        row = self.cursor_row
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + rows:
            self.scroll_to(y=row - rows + 1, animate=False, immediate=True)

    def _post_highlighted(self) -> None:
        entry = self.highlighted_entry
        if self.row_count and entry is None:
            return  # posted when the page arrives
        key = (self.cursor_row, entry.pith_id if entry else None)
        if key != self._last_highlighted:
            self._last_highlighted = key
            self.post_message(self.Highlighted(self, entry))

    def action_cursor_up(self) -> None:
        self.cursor_row -= 1

    def action_cursor_down(self) -> None:
        self.cursor_row += 1

    def action_page_up(self) -> None:
        self.cursor_row -= self.visible_rows

    def action_page_down(self) -> None:
        self.cursor_row += self.visible_rows

    def action_first(self) -> None:
        self.cursor_row = 0

    def action_last(self) -> None:
        self.cursor_row = self.row_count - 1

    def action_open(self) -> None:
        entry = self.fetch_entry(self.cursor_row)
        if entry is not None:
            self.post_message(self.Opened(self, entry))

    # ------------------------------------------------------------------ mouse

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            column = self._column_at(offset.x)
            if column is not None:
                event.stop()
                self.post_message(self.SortRequested(self, column))
            return
        row = round(self.scroll_y) + offset.y - 1
        if not 0 <= row < self.row_count:
            return
        event.stop()
        if row == self.cursor_row or event.chain > 1:
            self.cursor_row = row
            self.action_open()
        else:
            self.cursor_row = row

    def _column_at(self, x: int) -> str | None:
        start = 0
        for column, width in self._layout(self.scrollable_content_region.width):
            if start <= x < start + width + 1:
                return column.key
            start += width + 1
        return None

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # ------------------------------------------------------------------ sizing

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        """`ScrollView._size_updated`, minus a repaint of the scrollbar on every re-layout of
        the screen (each keystroke in the filter): ScrollView keeps its own virtual size and
        ignores the one the layout passes, yet took the difference as a change. Here a
        change is one of the size, the container or the virtual size the scrollbar shows."""
        if (
            size == self._size
            and container_size == self.container_size
            and self.virtual_size == self._scrollbar_size
        ):
            return False
        self._scrollbar_size = self.virtual_size
        return super()._size_updated(size, virtual_size, container_size, layout)

    def on_resize(self, event: events.Resize) -> None:
        self._update_virtual_size()
        self._scroll_cursor_into_view()

    def _update_virtual_size(self) -> None:
        size = Size(self.scrollable_content_region.width, self.row_count + 1)
        if size == self.virtual_size:
            return
        height = self.container_size.height
        if (
            self.is_mounted
            and height
            and size.width == self.virtual_size.width
            and (size.height > height) == (self.virtual_size.height > height)
        ):
            # The scrollbar stays (or stays away): resize its thumb and repaint, without
            # the re-layout of the whole screen a `virtual_size` change asks for.
            self.set_reactive(CacheTable.virtual_size, size)
            self._scroll_update(size)
            self._scrollbar_size = size
            self.refresh()
            return
        self.virtual_size = size

    def _layout(self, width: int) -> list[tuple[Column, int]]:
        """(column, width) for the columns that fit, one space between columns."""
        columns = list(COLUMNS)
        for drop in (None, *DROP_ORDER):
            if drop is not None:
                columns = [c for c in columns if c.key != drop]
            fixed = sum(c.width for c in columns if c.width) + len(columns) - 1
            if width - fixed >= MIN_TITLE_WIDTH:
                break
        title_width = max(MIN_TITLE_WIDTH, width - fixed)
        return [(c, c.width or title_width) for c in columns]

    # ------------------------------------------------------------------ drawing

    def render_lines(self, crop: Region) -> list[Strip]:
        # Styles, column layout and "now" are worked out once per frame, not once per line.
        self._frame = _Frame(
            width=self.scrollable_content_region.width,
            now=self.clock(),
            base=self.rich_style,
            styles={name: self.get_component_rich_style(name) for name in self.COMPONENT_CLASSES},
            focused=self.has_focus,
        )
        self._frame.layout = self._layout(self._frame.width)
        self.paging.set_viewport(round(self.scroll_y), self.visible_rows)
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        frame = self._frame
        if frame is None:  # render_line called directly, outside a frame
            self.render_lines(Region(0, 0, self.size.width, 0))
            frame = self._frame
            assert frame is not None
        if y == 0:
            return self._header_strip(frame)
        row = round(self.scroll_y) + y - 1
        if row >= self.row_count:
            if row == 0:
                return self._message_strip(frame, frame.base, self.empty_message)
            return Strip.blank(frame.width, frame.base)
        entry = self._entry_for_render(row)
        cursor = row == self.cursor_row
        style = frame.base + frame.styles["cache-table--cursor"] if cursor else frame.base
        if entry is None:
            return self._message_strip(frame, style, ELLIPSIS)
        return self._row_strip(frame, entry, style, plain=cursor and frame.focused)

    def _header_strip(self, frame: _Frame) -> Strip:
        header = frame.base + frame.styles["cache-table--header"]
        sorted_style = header + _foreground(frame.styles["cache-table--sorted"])
        query = self.query_spec
        segments: list[Segment] = []
        for index, (column, column_width) in enumerate(frame.layout):
            if index:
                segments.append(Segment(" ", header))
            label = column.label
            if column.key == query.sort:
                label = f"{label} {'▼' if query.descending else '▲'}"
                segments.append(Segment(fit(label, column_width), sorted_style))
            else:
                segments.append(Segment(fit(label, column_width), header))
        return _finish(segments, frame.width, header)

    def _message_strip(self, frame: _Frame, style: Style, text: str) -> Strip:
        dim = style + _foreground(frame.styles["cache-table--placeholder"])
        return _finish([Segment(fit(" " + text, frame.width), dim)], frame.width, style)

    def _row_strip(self, frame: _Frame, entry: CacheEntry, style: Style, *, plain: bool) -> Strip:
        """One row; with `plain` (the focused cursor row) the cursor colours win."""
        segments: list[Segment] = []
        for index, (column, column_width) in enumerate(frame.layout):
            if index:
                segments.append(Segment(" ", style))
            text, component = self._cell(entry, column.key, frame.now)
            cell_style = style
            if component is not None and not plain:
                cell_style = style + _foreground(frame.styles[component])
            segments.append(Segment(fit(text, column_width), cell_style))
        return _finish(segments, frame.width, style)

    @staticmethod
    def _cell(entry: CacheEntry, key: str, now: datetime) -> tuple[str, str | None]:
        """(plain text, component class for its colour or None)."""
        if key == "pith_number":
            return short_number(clean_text(entry.pith_id)), None
        if key == "arxiv_id":
            return clean_text(entry.arxiv_id or "–"), None
        if key == "title":
            return clean_text(entry.title) or "(untitled)", None
        if key == "verdict":
            verdict = entry.verdict if entry.verdict in VERDICT_LABELS else "unknown"
            return VERDICT_LABELS[verdict], f"cache-table--{verdict}"
        if key == "source":
            return clean_text(entry.source), "cache-table--dim"
        return relative_time(entry.fetched_at, now), "cache-table--dim"

    # ------------------------------------------------------------------ paging

    def _entry_for_render(self, row: int) -> CacheEntry | None:
        entry, fresh = self.paging.lookup(row)
        if not fresh and self.paging.want(row) and not self._kick_scheduled:
            self._kick_scheduled = True
            self.call_later(self._kick_loader)
        return entry

    def _kick_loader(self) -> None:
        self._kick_scheduled = False
        if self.paging.start_loader():
            self._load_pages()

    @work(thread=True, group="cache-table-pages", exit_on_error=False)
    def _load_pages(self) -> None:
        """Read the pages `Paging` asks for, one by one, until it wants no more."""
        worker = get_current_worker()
        done = False  # `next_request` said so, and let the loader go
        try:
            while not worker.is_cancelled:
                request = self.paging.next_request()
                if request is None:
                    done = True
                    return
                query = request.query
                rows = self.cache.entries(
                    filter_text=query.filter_text,
                    sort=query.sort,
                    descending=query.descending,
                    limit=request.limit,
                    offset=request.offset,
                )
                try:
                    self.app.call_from_thread(self._page_loaded, request, rows)
                except RuntimeError:
                    return  # the app is shutting down
        finally:
            if not done:
                self.paging.loader_stopped()

    def _page_loaded(self, request: PageRequest, rows: list[CacheEntry]) -> None:
        if not self.paging.page_loaded(request, rows):
            return
        first = request.offset
        top = round(self.scroll_y)
        if first < top + self.visible_rows and first + request.limit > top:
            self.refresh()
        if first <= self.cursor_row < first + request.limit:
            self._last_highlighted = None  # the entry may have a new verdict
            self._post_highlighted()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "cache-table-pages" and event.worker.is_finished:
            # A page that was wanted while the loader was finishing: start it again.
            self._kick_loader()
