"""The cache review screen: every cached record, filtered, sorted, re-verified, exported.

    app.push_screen(CacheScreen(resolver), on_close)  # on_close(pith_id | None)

It reads only the local cache, so it works with no network. The list is a `CacheTable`
(a virtual list that holds a few pages, never the whole cache); filter and sort queries,
re-verification and export run in thread workers, so the UI stays responsive with 100,000
cached records. Record text is shown through `clean_text` in `Content` objects only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Label, ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker

from pith_tui.core.cache import CacheEntry, Count
from pith_tui.core.cache.filter_words import next_verdict, parse_filter, with_verdict
from pith_tui.core.cache.paging import ListQuery
from pith_tui.core.cache_review_sort import CacheReviewSort, load_sort, save_sort
from pith_tui.core.errors import PithError
from pith_tui.core.resolver import Resolver
from pith_tui.core.reverify import ReverifySummary, reverify_cache
from pith_tui.core.sanitize import clean_text
from pith_tui.core.timefmt import relative_time
from pith_tui.tui.commands import bindings_for
from pith_tui.tui.widgets.cache_table import (
    COLUMN_LABELS,
    COLUMNS,
    VERDICT_LABELS,
    CacheTable,
    short_number,
)
from pith_tui.tui.widgets.confirm import ConfirmDialog
from pith_tui.tui.widgets.export_dialog import ExportDialog
from pith_tui.tui.widgets.footer import PithFooter

CACHE_SCREEN_TCSS = Path(__file__).resolve().parent.parent / "cache_screen.tcss"

FILTER_DEBOUNCE_SECONDS = 0.1
PROGRESS_INTERVAL_SECONDS = 0.1
RELOAD_INTERVAL_SECONDS = 1.0
CLOCK_TICK_SECONDS = 60.0
SORT_ORDER = tuple(column.key for column in COLUMNS)
DESCENDING_FIRST = frozenset({"fetched_at"})  # newest first; every other column A→Z
VERDICT_STYLES = {
    "verified": "$text-success",
    "failed": "$text-error",
    "incomplete": "$text-warning",
    "unknown": "$text-muted",
}
_OWN_GROUPS = frozenset(
    {"cache-list", "cache-count", "cache-stats", "reverify", "export", "cache-table-pages"}
)


def _plain(text: object, max_chars: int = 300) -> str:
    return clean_text(text, max_chars=max_chars)


def match_words(count: Count) -> str:
    """ "no match", "1 match", "2,778 matches", "10,000+ matches" (a capped count)."""
    if count.value == 0 and not count.capped:
        return "no match"
    if count.value == 1 and not count.capped:
        return "1 match"
    return f"{count} matches"


class DetailPane(Widget):
    """The highlighted record in full. Fixed height: an update repaints, with no re-layout."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.content = Content("")

    def show(self, content: Content) -> None:
        if content.plain == self.content.plain and content.spans == self.content.spans:
            return  # the same again (the highlight message after a list): no extra frame
        self.content = content
        self.refresh()

    def render(self) -> Content:
        return self.content


class CacheScreen(Screen[str | None]):
    """Review the cache; dismisses with the Pith id to open, or None."""

    # Absolute: Textual resolves a relative CSS_PATH against the file of the *subclass*.
    CSS_PATH = CACHE_SCREEN_TCSS
    AUTO_FOCUS = "CacheTable"

    _host_app: App[Any]

    BINDINGS: ClassVar[list[BindingType]] = bindings_for("cache")

    def __init__(
        self,
        resolver: Resolver,
        *,
        clock: Callable[[], datetime] | None = None,
        config_dir: Path | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.resolver = resolver
        self.cache = resolver.cache
        self.clock = clock or resolver.now
        self.total: int | None = None  # every cached record
        self.failed: int | None = None
        self.matching = Count(0)  # rows of the current filter ("10,000+" until counted)
        self.config_dir = config_dir  # where the sort is remembered (None: the user's)
        saved = load_sort(config_dir)
        self.query_spec = ListQuery("", saved.column, saved.descending)
        self._sort_saved = saved
        self._sort_warned = False
        self._listed_once = False
        self._list_generation = 0
        self._filter_timer: Timer | None = None
        self._open_when_listed = False
        self._reverifying = False
        self._exporting = False

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static(id="cache-summary")
        yield Input(
            placeholder="Filter by Pith id, arXiv id, title, author or verdict:failed  (/)",
            id="cache-filter",
        )
        yield CacheTable(self.cache, clock=self.clock, id="cache-table")
        yield DetailPane(id="cache-detail")
        with Horizontal(id="cache-progress"):
            yield Label(Content("Re-verifying"), id="cache-progress-label")
            yield ProgressBar(id="cache-progress-bar", show_eta=True)
        yield PithFooter()

    def on_mount(self) -> None:
        # Thread workers find the app through the DOM, which a dismissed screen has left;
        # keep it, so a worker that ends after the screen closed can still say so.
        self._host_app = self.app
        # The first page of the unfiltered list is an index walk (< 1 ms for 100,000 rows),
        # so it is read here and the first frame already shows rows.
        try:
            count = self.cache.count()
            rows = self.cache.entries(
                sort=self.query_spec.sort,
                descending=self.query_spec.descending,
                limit=CacheTable.PAGE_SIZE,
            )
        except PithError as exc:
            self._error("Cannot read the cache", exc)
            count, rows = 0, []
        self.total, self.matching = count, Count(count)
        self._show_rows(self.query_spec, count, rows)
        self._refresh_stats()
        self.set_interval(CLOCK_TICK_SECONDS, self._clock_tick)

    def _clock_tick(self) -> None:
        """ "3 h ago" moves on."""
        table = self.query_one(CacheTable)
        table.refresh()
        self._update_detail(table.highlighted_entry)

    # ------------------------------------------------------------------ summary

    def _update_summary(self) -> None:
        parts: list[str | tuple[str, str] | Content] = [("Cached records", "bold")]
        if self.total is None:
            parts.append("  counting…")
        else:
            noun = "record" if self.total == 1 else "records"
            parts.append(f"  {self.total:,} {noun}")
            if self.failed is not None:
                parts += [" · ", (f"{self.failed:,} failed", "$text-error" if self.failed else "")]
        if self.query_spec.filter_text.strip():
            shown = _plain(" ".join(self.query_spec.filter_text.split()), 40)
            problem = parse_filter(self.query_spec.filter_text).error
            if problem:
                parts += [" · ", (_plain(problem, 120), "$text-error")]
            elif self.query_one(CacheTable).query_spec.filter_text == self.query_spec.filter_text:
                parts.append(f" · {match_words(self.matching)} for “{shown}”")
            else:
                parts.append((f" · filtering “{shown}”…", "$text-muted"))
        if self.resolver.offline:
            parts += [" · ", ("offline", "$text-warning")]
        sort = COLUMN_LABELS[self.query_spec.sort]
        arrow = "newest first" if self.query_spec.sort == "fetched_at" else "A→Z"
        if self.query_spec.descending != (self.query_spec.sort == "fetched_at"):
            arrow = "oldest first" if self.query_spec.sort == "fetched_at" else "Z→A"
        parts.append((f"   sorted by {sort}, {arrow}", "$text-muted"))
        # One line, fixed height (cache_screen.tcss): a repaint, never a re-layout.
        self.query_one("#cache-summary", Static).update(Content.assemble(*parts), layout=False)

    def _update_detail(self, entry: CacheEntry | None) -> None:
        detail = self.query_one(DetailPane)
        if entry is None:
            detail.show(Content(""))  # no rows: the table says why
            return
        verdict = entry.verdict if entry.verdict in VERDICT_LABELS else "unknown"
        fetched = entry.fetched_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        documents = "bundle cached" if entry.has_bundle else "record only"
        first: list[str | tuple[str, str]] = [
            (_plain(entry.pith_number, 60), "bold"),
            f" · arXiv:{_plain(entry.arxiv_id)}" if entry.arxiv_id else "",
            f" · {documents}",
            " · ",
            (f"last seen {VERDICT_LABELS[verdict]}", VERDICT_STYLES[verdict]),
        ]
        if entry.changed_upstream:
            first += [" · ", ("changed upstream", "$text-warning")]
        second: list[str | tuple[str, str]] = [
            _plain(entry.title) or "(untitled)",
        ]
        if entry.authors:
            second += [" — ", (_plain(entry.authors), "$text-muted")]
        third = (
            f"fetched {fetched} ({relative_time(entry.fetched_at, self.clock())}) "
            f"from {_plain(entry.source, 40)}"
        )
        detail.show(Content.assemble(*first, "\n", *second, "\n", (third, "$text-muted")))

    @on(CacheTable.Highlighted)
    def _highlighted(self, event: CacheTable.Highlighted) -> None:
        self._update_detail(event.entry)

    # ------------------------------------------------------------------ listing

    def _request_list(self, *, cursor_row: int = 0, stats: bool = False) -> None:
        """Count and read the first rows of `query_spec` off the UI thread, then show them."""
        self._list_generation += 1
        self._update_summary()
        self._run_list_query(self._list_generation, self.query_spec, cursor_row)
        if stats:
            self._refresh_stats()

    @work(thread=True, exclusive=True, group="cache-list", exit_on_error=False)
    def _run_list_query(self, generation: int, query: ListQuery, cursor_row: int) -> None:
        """The page at the cursor first, then its count - capped ("10,000+"), so a filter that
        matches most of 100,000 rows costs a keystroke what a rare one does. When it was
        capped, `_run_exact_count` follows once the page is on screen."""
        worker = get_current_worker()

        def page_at(row: int) -> tuple[int, list[CacheEntry]]:
            first = max(0, row) - max(0, row) % CacheTable.PAGE_SIZE
            page = self.cache.entries(
                filter_text=query.filter_text,
                sort=query.sort,
                descending=query.descending,
                limit=CacheTable.PAGE_SIZE,
                offset=first,
            )
            return first, page

        first_row, rows = page_at(cursor_row)
        count = self.cache.count_capped(query.filter_text)
        if not count.capped and cursor_row >= count.value:  # the last rows went (a delete)
            cursor_row = max(0, count.value - 1)
            if cursor_row < first_row:
                first_row, rows = page_at(cursor_row)
        if worker.is_cancelled:
            return
        self._from_thread(self._list_ready, generation, query, count, rows, first_row, cursor_row)

    def _list_ready(
        self,
        generation: int,
        query: ListQuery,
        count: Count,
        rows: list[CacheEntry],
        first_row: int,
        cursor_row: int,
    ) -> None:
        if generation != self._list_generation or not self.is_attached:
            return  # a newer filter or sort was asked for meanwhile, or the screen closed
        self.matching = count
        if not query.filter_text.strip() and not count.capped:
            self.total = count.value
        self._show_rows(query, count.value, rows, first_row=first_row, cursor_row=cursor_row)
        if count.capped:
            # After the page's frame: the count's pass over the rows never delays the page.
            self.call_after_refresh(self._run_exact_count, generation, query)
        if self._open_when_listed:
            self._open_when_listed = False
            self.action_open()

    @work(thread=True, exclusive=True, group="cache-count", exit_on_error=False)
    def _run_exact_count(self, generation: int, query: ListQuery) -> None:
        """The exact count of a list shown with a capped one; given up as soon as another
        filter or sort is asked for (it would hold the cache while that one's page waits)."""
        if generation != self._list_generation:
            return
        worker = get_current_worker()
        exact = self.cache.count_unless(
            query.filter_text,
            lambda: worker.is_cancelled or generation != self._list_generation,
        )
        if exact is not None and not worker.is_cancelled:
            self._from_thread(self._count_ready, generation, query, exact)

    def _count_ready(self, generation: int, query: ListQuery, count: int) -> None:
        """The exact count of a list shown with a capped one."""
        if generation != self._list_generation or not self.is_attached:
            return
        self.matching = Count(count)
        if not query.filter_text.strip():
            self.total = count
        self.query_one(CacheTable).set_count(count)
        self._update_summary()

    def _show_rows(
        self,
        query: ListQuery,
        count: int,
        rows: list[CacheEntry],
        *,
        first_row: int = 0,
        cursor_row: int = 0,
    ) -> None:
        table = self.query_one(CacheTable)
        if count == 0:
            table.empty_message = (
                "No cached record matches the filter."
                if query.filter_text.strip()
                else "The cache is empty: records you look up are kept here."
            )
        had_rows = table.row_count > 0
        table.show(query, count, rows, first_row=first_row, cursor_row=cursor_row)
        self._update_summary()
        self._update_detail(table.highlighted_entry)
        if (count > 0) != had_rows or not self._listed_once:
            # Open and Delete depend on there being rows; the footer is redrawn (a re-layout
            # of the screen) only when that changes, not on every keystroke of a filter.
            self._listed_once = True
            self.refresh_bindings()

    def _refresh_stats(self) -> None:
        self._run_stats()

    @work(thread=True, exclusive=True, group="cache-stats", exit_on_error=False)
    def _run_stats(self) -> None:
        worker = get_current_worker()
        total = self.cache.count()
        failed = self.cache.verdict_counts().get("failed", 0)
        if not worker.is_cancelled:
            self._from_thread(self._stats_ready, total, failed)

    def _stats_ready(self, total: int, failed: int) -> None:
        if not self.is_attached:
            return  # the screen was closed meanwhile
        self.total, self.failed = total, failed
        self._update_summary()

    # ------------------------------------------------------------------ filter

    @on(Input.Changed, "#cache-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(FILTER_DEBOUNCE_SECONDS, self._apply_filter)

    def _apply_filter(self) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = None
        text = self.query_one("#cache-filter", Input).value
        if text == self.query_spec.filter_text:
            return
        self.query_spec = ListQuery(text, self.query_spec.sort, self.query_spec.descending)
        self._request_list()

    @on(Input.Submitted, "#cache-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        """Enter in the filter opens the highlighted (first) match."""
        event.stop()
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._filter_timer = None
        if event.value != self.query_spec.filter_text:
            self._open_when_listed = True
            self.query_spec = ListQuery(
                event.value, self.query_spec.sort, self.query_spec.descending
            )
            self._request_list()
        else:
            self.action_open()

    def action_cycle_verdict(self) -> None:
        """Show one verdict only, the next in turn (failed, incomplete, verified, unknown,
        all): the `verdict:` word in the filter box changes, the other words stay."""
        box = self.query_one("#cache-filter", Input)
        box.value = with_verdict(box.value, next_verdict(parse_filter(box.value)))
        self._apply_filter()

    def action_focus_filter(self) -> None:
        self.query_one("#cache-filter", Input).focus()

    def action_focus_table(self) -> None:
        self.query_one(CacheTable).focus()

    # ------------------------------------------------------------------ sort

    def _sort_by(self, column: str, descending: bool) -> None:
        self.query_spec = ListQuery(self.query_spec.filter_text, column, descending)
        self._request_list()
        self._remember_sort(CacheReviewSort(column, descending))

    def _remember_sort(self, sort: CacheReviewSort) -> None:
        """Save the sort for the next opening; a config dir that cannot be written is said
        once (the sort on screen stands)."""
        if sort == self._sort_saved:
            return
        self._sort_saved = sort  # tried: not again for the same sort
        try:
            save_sort(sort, self.config_dir)
        except OSError as exc:
            if not self._sort_warned:
                self._sort_warned = True
                self.notify(
                    f"The sort is not remembered: {_plain(exc.strerror or exc, 200)}",
                    title="Cache",
                    severity="warning",
                    markup=False,
                )

    def action_cycle_sort(self) -> None:
        index = SORT_ORDER.index(self.query_spec.sort)
        column = SORT_ORDER[(index + 1) % len(SORT_ORDER)]
        self._sort_by(column, column in DESCENDING_FIRST)

    def action_reverse_sort(self) -> None:
        self._sort_by(self.query_spec.sort, not self.query_spec.descending)

    @on(CacheTable.SortRequested)
    def _header_clicked(self, event: CacheTable.SortRequested) -> None:
        if event.column == self.query_spec.sort:
            self.action_reverse_sort()
        else:
            self._sort_by(event.column, event.column in DESCENDING_FIRST)

    # ------------------------------------------------------------------ open / back

    def action_open(self) -> None:
        table = self.query_one(CacheTable)
        try:
            entry = table.fetch_entry(table.cursor_row)
        except PithError as exc:
            self._error("Cannot read the cache", exc)
            return
        if entry is not None:
            self.dismiss(entry.pith_id)

    @on(CacheTable.Opened)
    def _opened(self, event: CacheTable.Opened) -> None:
        event.stop()
        self.dismiss(event.entry.pith_id)

    def action_back(self) -> None:
        if self.query_one("#cache-filter", Input).has_focus:
            self.action_focus_table()
        else:
            self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("open", "delete"):
            return self.query_one(CacheTable).row_count > 0 or None
        if action == "reverify":
            return (not self._reverifying and bool(self.total)) or None
        if action == "export":
            return not self._exporting or None
        return True

    # ------------------------------------------------------------------ delete

    def action_delete(self) -> None:
        table = self.query_one(CacheTable)
        try:
            entry = table.fetch_entry(table.cursor_row)
        except PithError as exc:
            self._error("Cannot read the cache", exc)
            return
        if entry is None:
            return
        question = Content.assemble(
            "Delete ",
            (short_number(entry.pith_id), "bold"),
            " from the cache?\n\n",
            (_plain(entry.title, 200) or "(untitled)", "italic"),
            "\n\nIts cached documents are removed; looking it up again needs the network.",
        )
        dialog = ConfirmDialog(question, title="Delete cached record", yes="Delete", danger=True)
        self.app.push_screen(dialog, partial(self._delete_answered, entry))

    def _delete_answered(self, entry: CacheEntry, yes: bool | None) -> None:
        if not yes:
            return
        try:
            self.cache.remove(entry.pith_id)
        except PithError as exc:
            self._error("Cannot delete", exc)
            return
        self.notify(
            f"Deleted {short_number(entry.pith_id)} from the cache.",
            title="Cache",
            markup=False,
        )
        self._request_list(cursor_row=self.query_one(CacheTable).cursor_row, stats=True)

    # ------------------------------------------------------------------ re-verify

    def action_reverify(self) -> None:
        if self._reverifying:
            self.notify("Re-verification is already running.", title="Cache", markup=False)
            return
        self._reverifying = True
        self.refresh_bindings()
        progress = self.query_one("#cache-progress-bar", ProgressBar)
        progress.update(total=None, progress=0)
        self.query_one("#cache-progress").add_class("-running")
        self._reverify_all()

    @work(thread=True, exclusive=True, group="reverify", exit_on_error=False)
    def _reverify_all(self) -> None:
        """Re-verify every cached record from its stored bytes and remember the verdicts
        (the core's one service: on every core for a big cache)."""
        worker = get_current_worker()
        resolver = self.resolver
        last_progress = last_reload = time.monotonic()

        def progress(done: int, total: int) -> None:
            nonlocal last_progress, last_reload
            now = time.monotonic()
            if done in (0, total) or now - last_progress >= PROGRESS_INTERVAL_SECONDS:
                reload = now - last_reload >= RELOAD_INTERVAL_SECONDS
                self._from_thread(self._reverify_progress, done, total, reload)
                last_progress = now
                if reload:
                    last_reload = now

        summary = reverify_cache(
            resolver.cache,
            resolver.trust,
            now=resolver.now(),
            on_progress=progress,
            should_stop=lambda: worker.is_cancelled,
        )
        if summary.stopped:
            self._from_thread(
                self._host_app.notify,
                f"Re-verification stopped after {summary.checked:,} of {summary.total:,} records.",
                title="Cache",
                markup=False,
            )
            self._from_thread(self._reverify_done_if_attached)
            return
        self._from_thread(self._reverify_finished, summary)

    def _reverify_progress(self, done: int, total: int, reload: bool) -> None:
        if not self.is_attached:
            return  # the screen was closed meanwhile
        self.query_one("#cache-progress-bar", ProgressBar).update(total=total, progress=done)
        if reload:
            self.query_one(CacheTable).reload()

    def _reverify_finished(self, summary: ReverifySummary) -> None:
        if not self.is_attached:
            return  # the screen was closed meanwhile
        self.query_one("#cache-progress-bar", ProgressBar).update(
            total=summary.total, progress=summary.total
        )
        self._reverify_done()
        message = (
            f"Re-verified {summary.checked:,}: {summary.verified:,} verified, "
            f"{summary.failed:,} failed, {summary.incomplete:,} incomplete"
        )
        unexpected = summary.unexpected
        if unexpected:
            example = f"{short_number(unexpected[0].pith_id)}: {unexpected[0].reason}"
            message += f"\n{len(unexpected):,} could not be read, e.g. {_plain(example)}"
        if summary.listing_error:
            message += f"\nThe list keeps its old verdicts: {_plain(summary.listing_error)}"
        self.notify(
            message,
            title="Re-verification",
            severity="warning" if summary.failed or summary.listing_error else "information",
            markup=False,
        )
        self.query_one(CacheTable).reload()
        self._refresh_stats()

    def _reverify_done_if_attached(self) -> None:
        if self.is_attached:
            self._reverify_done()

    def _reverify_done(self) -> None:
        self._reverifying = False
        self.query_one("#cache-progress").remove_class("-running")
        self.refresh_bindings()

    # ------------------------------------------------------------------ export

    def action_export(self) -> None:
        if self._exporting:
            self.notify("An export is already running.", title="Export", markup=False)
            return
        default = str(Path.cwd() / "pith-mirror")
        self.app.push_screen(ExportDialog(default, records=self.total), self._export_to)

    def _export_to(self, directory: Path | None) -> None:
        if directory is None:
            return
        self._exporting = True
        self.refresh_bindings()
        self.notify(f"Exporting to {_plain(directory)}…", title="Export", markup=False)
        self._run_export(directory)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _run_export(self, directory: Path) -> None:
        from pith_tui.core.mirror import export_mirror  # late: tests may stand a fake in

        try:
            result = export_mirror(self.resolver, directory)
        except PithError as exc:
            self._from_thread(self._export_failed, str(exc))
            return
        except OSError as exc:
            self._from_thread(self._export_failed, exc.strerror or str(exc))
            return
        self._from_thread(self._export_finished, directory, result)

    def _export_finished(self, directory: Path, result: object) -> None:
        self._export_done()
        records = int(getattr(result, "records", 0))
        files = int(getattr(result, "files", 0))
        skipped = list(getattr(result, "skipped", []) or [])
        message = f"Exported {records:,} records ({files:,} files) to {_plain(directory)}"
        if skipped:
            message += f"\nSkipped {len(skipped):,}: {_plain(', '.join(skipped[:3]))}"
            if len(skipped) > 3:
                message += ", …"
        self._host_app.notify(
            message,
            title="Export",
            severity="warning" if skipped else "information",
            markup=False,
        )

    def _export_failed(self, reason: str) -> None:
        self._export_done()
        self._host_app.notify(
            f"The mirror was not exported: {_plain(reason, 400)}",
            title="Export failed",
            severity="error",
            markup=False,
        )

    def _export_done(self) -> None:
        """The export ended; it may end after the screen closed (it is not interrupted)."""
        self._exporting = False
        if self.is_attached:
            self.refresh_bindings()

    # ------------------------------------------------------------------ plumbing

    def _from_thread(
        self, callback: Callable[..., object], *args: object, **kwargs: object
    ) -> None:
        """Run `callback` on the UI thread; quietly nothing when the app is shutting down."""
        with suppress(RuntimeError):
            self._host_app.call_from_thread(callback, *args, **kwargs)

    def _error(self, title: str, exc: BaseException) -> None:
        self.notify(_plain(str(exc), 400), title=title, severity="error", markup=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """One place that turns an unexpected worker error into one visible error."""
        worker = event.worker
        if event.state is not WorkerState.ERROR or worker.group not in _OWN_GROUPS:
            return
        event.stop()
        if worker.group == "reverify":
            self._reverify_done()
            title = "Re-verification stopped"
        elif worker.group == "export":
            self._export_done()
            title = "Export failed"
        else:
            title = "Cannot read the cache"
        self._error(title, worker.error or RuntimeError("unknown error"))
