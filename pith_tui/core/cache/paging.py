"""The paging state of a virtual list of cache entries, kept out of the widget that draws it.

A list of 100,000 cached records holds only a few pages of rows: `Paging` knows which pages
are loaded (a small LRU), which row is which entry, which pages to fetch next (those on
screen first, none that scrolled well away) and which answers are too old to use (a
generation counter: a new query or a reload makes pages in flight stale). It does no I/O
and knows no UI toolkit; `CacheTable` asks it what to draw and what to load, and a worker
thread reads the pages it names. Every method is thread-safe.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from pith_tui.core.cache.listing import CacheEntry


@dataclass(frozen=True)
class ListQuery:
    """What a list shows: `cache.entries(filter_text=..., sort=..., descending=...)`."""

    filter_text: str = ""
    sort: str = "fetched_at"
    descending: bool = True


@dataclass(frozen=True)
class PageRequest:
    """A page to read: `cache.entries(..., limit=size, offset=page * size)` for `query`."""

    generation: int
    query: ListQuery
    page: int
    offset: int
    limit: int


class Paging:
    """Pages of `page_size` rows of one `ListQuery`, at most `max_pages` held (plus, just
    after `reload`, the stale pages of one screenful, drawn until fresh ones arrive)."""

    def __init__(self, page_size: int = 100, max_pages: int = 8) -> None:
        if page_size < 1 or max_pages < 1:
            raise ValueError("page_size and max_pages must be at least 1")
        self.page_size = page_size
        self.max_pages = max_pages
        self.query = ListQuery()
        self.row_count = 0
        self.generation = 0
        self._pages: OrderedDict[int, list[CacheEntry]] = OrderedDict()
        self._stale: dict[int, list[CacheEntry]] = {}
        self._wanted: set[int] = set()
        self._viewport = range(0, 1)
        self._loader_running = False
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ queries

    def reset(
        self,
        query: ListQuery,
        count: int,
        first_rows: list[CacheEntry] | None = None,
        *,
        first_row: int = 0,
    ) -> None:
        """List `count` rows of `query`; `first_rows` (optional) are its rows from
        `first_row` on (kept only from a page boundary). Pages in flight become stale."""
        with self._lock:
            self.generation += 1
            self._pages.clear()
            self._stale.clear()
            self._wanted.clear()
            self.query = query
            self.row_count = max(0, count)
            if first_rows and first_row % self.page_size == 0:
                first_page = first_row // self.page_size
                last_page = (self.row_count - 1) // self.page_size
                for start in range(0, len(first_rows), self.page_size):
                    chunk = first_rows[start : start + self.page_size]
                    page = first_page + start // self.page_size
                    if len(chunk) == self.page_size or page == last_page:
                        self._put(page, chunk)

    def set_count(self, count: int) -> None:
        """The same query has `count` rows (an exact count replacing a capped one): the
        pages loaded stay, those past the new end are let go."""
        with self._lock:
            self.row_count = max(0, count)
            last_page = (self.row_count - 1) // self.page_size if self.row_count else -1
            for page in [p for p in self._pages if p > last_page]:
                del self._pages[page]
            self._wanted = {p for p in self._wanted if p <= last_page}

    def reload(self) -> None:
        """Read every page again (verdicts changed); the pages on screen stay drawn, as
        stale, until their fresh copies arrive (no flicker)."""
        with self._lock:
            self.generation += 1
            kept = {page: self._pages.get(page) or self._stale.get(page) for page in self._viewport}
            self._stale = {page: rows for page, rows in kept.items() if rows is not None}
            self._pages.clear()
            self._wanted.clear()

    # ------------------------------------------------------------------ rows

    def clamp(self, row: int) -> int:
        """`row` moved into the list (0 when it is empty)."""
        return max(0, min(row, self.row_count - 1)) if self.row_count else 0

    def page_of(self, row: int) -> int:
        return row // self.page_size

    def lookup(self, row: int) -> tuple[CacheEntry | None, bool]:
        """(the entry at `row` or None, whether it comes from a fresh page). A row outside
        the list is (None, True): nothing to fetch for it."""
        if not 0 <= row < self.row_count:
            return None, True
        page, index = divmod(row, self.page_size)
        with self._lock:
            rows = self._pages.get(page)
            fresh = rows is not None
            if rows is not None:
                self._pages.move_to_end(page)
            else:
                rows = self._stale.get(page)
            if rows is None or index >= len(rows):
                return None, fresh
            return rows[index], fresh

    def entry_at(self, row: int) -> CacheEntry | None:
        return self.lookup(row)[0]

    @property
    def materialised_rows(self) -> int:
        """Rows held now: at most page_size * max_pages, plus one screenful of stale pages."""
        with self._lock:
            return sum(len(rows) for rows in (*self._pages.values(), *self._stale.values()))

    @property
    def loaded_pages(self) -> list[int]:
        with self._lock:
            return sorted(self._pages)

    # ------------------------------------------------------------------ fetching

    def set_viewport(self, top: int, visible_rows: int) -> None:
        """The rows on screen (`top` and the `visible_rows` after it): their pages load first."""
        first = max(0, top) // self.page_size
        last = (max(0, top) + max(1, visible_rows)) // self.page_size
        with self._lock:
            self._viewport = range(first, last + 1)

    @property
    def viewport_pages(self) -> range:
        with self._lock:
            return self._viewport

    def want(self, row: int) -> bool:
        """Note that `row` was needed and its page is not fresh; True when the caller
        should start a loader (none runs now)."""
        if not 0 <= row < self.row_count:
            return False
        with self._lock:
            self._wanted.add(row // self.page_size)
            return not self._loader_running

    def start_loader(self) -> bool:
        """Claim the one loader; False when one runs already or nothing is wanted."""
        with self._lock:
            if self._loader_running or not self._wanted:
                return False
            self._loader_running = True
            return True

    def next_request(self) -> PageRequest | None:
        """The next page the loader should read, those on screen first; None ends the
        loader (pages wanted but scrolled well out of view are dropped, not read)."""
        with self._lock:
            viewport = self._viewport
            near = range(viewport.start - 1, viewport.stop + 1)
            wanted = [p for p in self._wanted - self._pages.keys() if p in near]
            if not wanted:
                self._wanted.clear()
                self._loader_running = False
                return None
            page = min(wanted, key=lambda p: (p not in viewport, p))
            self._wanted.discard(page)
            return PageRequest(
                self.generation, self.query, page, page * self.page_size, self.page_size
            )

    def loader_stopped(self) -> bool:
        """The loader ended (normally or not); True when pages are still wanted (start
        another)."""
        with self._lock:
            self._loader_running = False
            return bool(self._wanted)

    def page_loaded(self, request: PageRequest, rows: list[CacheEntry]) -> bool:
        """Keep a page read for `request`; False (and nothing kept) when a newer query or a
        reload made it stale."""
        with self._lock:
            if request.generation != self.generation:
                return False
            self._put(request.page, rows)
            return True

    def _put(self, page: int, rows: list[CacheEntry]) -> None:
        """Caller holds the lock."""
        self._pages[page] = rows
        self._pages.move_to_end(page)
        self._stale.pop(page, None)
        while len(self._pages) > self.max_pages:
            self._pages.popitem(last=False)
