"""The main screen: lookup box and five panes (paper, verification, aliases, timeline,
cited by).

At >= 100x30 every pane is on screen at once (a grid: paper | verification on top, aliases
and cited-by | timeline below); below that size the last three are tabs under the top row.
The switch is a CSS class on one container, so a resize never recomposes. Keys `1`-`5` focus
a pane (and show its tab); each pane's border title shows its key.

Lookups run in one exclusive async worker group; results come back as `RecordLoaded` /
`LookupFailed` messages. A failed lookup leaves the record on screen and says why in a toast;
an unexpected worker error becomes one error toast, never a silent dead pane.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Container
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Header, Input, OptionList, Static, Tab, Tabs
from textual.worker import Worker, WorkerState

from pith_tui.core.errors import NotCachedError, PithError, QueryError
from pith_tui.core.ids import parse_query
from pith_tui.core.resolver import Resolver
from pith_tui.core.sanitize import clean_text
from pith_tui.core.urls import page_url
from pith_tui.core.view import RecordView
from pith_tui.core.vocab import Verdict
from pith_tui.tui.commands import bindings_for
from pith_tui.tui.messages import LookupFailed, RecordLoaded, ShowCache
from pith_tui.tui.present import (
    error_message,
    error_title,
    failure_toast,
    host_label,
    refresh_toast,
    short_number,
)
from pith_tui.tui.suggester import LookupSuggester
from pith_tui.tui.widgets.aliases_pane import AliasesPane
from pith_tui.tui.widgets.citations_pane import CitationsPane
from pith_tui.tui.widgets.footer import PithFooter
from pith_tui.tui.widgets.lookup_input import LookupInput
from pith_tui.tui.widgets.metadata_pane import EMPTY, MetadataPane
from pith_tui.tui.widgets.suggestion_list import SuggestionList
from pith_tui.tui.widgets.timeline_pane import TimelinePane
from pith_tui.tui.widgets.verification_pane import VerificationPane

# (widget id, title) of each pane, in the order of the keys 1-5 that focus them.
PANES: tuple[tuple[str, str], ...] = (
    ("metadata", "Paper"),
    ("verification", "Verification"),
    ("aliases", "Aliases"),
    ("timeline", "Timeline"),
    ("citations", "Cited by"),
)
TABBED_PANES = ("aliases", "timeline", "citations")  # tabs below the top row when small
GRID_MIN_SIZE = (100, 30)  # columns, rows: from this size on every pane is on screen
LOADING_PANES = tuple(f"#{pane}" for pane, _title in PANES)
# Cached views the resolver may revalidate online: shown at once while it asks.
SHOW_FIRST_SOURCES = frozenset({"cache-stale", "sample"})
LOADING_DELAY = 0.15  # seconds before a running lookup shows the loading indicator
NEEDS_RECORD = frozenset({"refresh", "copy_number", "copy_bibtex", "open_page", "raw_json"})


def pane_layout(width: int, height: int) -> tuple[str, str]:
    """(the panes' class, their grid rows) for a screen of this size."""
    if width >= GRID_MIN_SIZE[0] and height >= GRID_MIN_SIZE[1]:
        # Aliases and cited-by are short lists: they get what a typical record needs and
        # the paper, verification and timeline take the rest.
        aliases = max(8, min(12, (height - 9) // 3))
        citations = max(6, min(12, (height - 9) // 5))
        return "-grid", f"1fr {aliases} {citations}"
    return "-tabs", "3fr 2 2fr"


def pane_title(pane: str) -> str:
    """ "3 Aliases": the key that focuses the pane, then its name."""
    for index, (name, title) in enumerate(PANES, start=1):
        if name == pane:
            return f"{index} {title}"
    raise KeyError(pane)


class MainScreen(Screen[None]):
    """One record at a time, with a back/forward trail of the records visited."""

    BINDINGS: ClassVar[list[BindingType]] = bindings_for("record")
    AUTO_FOCUS = "#metadata"

    def __init__(
        self,
        resolver: Resolver,
        *,
        initial_query: str | None = None,
        empty_shows_cache: bool = True,
    ) -> None:
        """`empty_shows_cache`: with nothing to show, open the cache review (not when the
        app opens another screen at start, e.g. a bibliography's references)."""
        super().__init__(id="main")
        self.resolver = resolver
        self.initial_query = initial_query
        self.empty_shows_cache = empty_shows_cache
        self.view: RecordView | None = None
        self.trail: list[str] = []  # Pith ids visited, for back/forward
        self.trail_index = -1
        self._suggester = LookupSuggester(resolver.cache)
        self._loading_timer: Timer | None = None
        self._focus_before_loading: Widget | None = None
        self._grid_rows = ""
        self._submitted_text: str | None = None  # the box's text at Enter, until the answer
        self._error_query: str | None = None  # the box's text when the error line was set

    # --- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        suggestions = SuggestionList(id="suggestions")
        yield LookupInput(self._suggester, suggestions, id="lookup")
        yield Static("", id="lookup-error", markup=False)
        yield suggestions
        layout_class, rows = pane_layout(*self.app.size)  # right from the first frame
        panes = Container(id="panes", classes=layout_class)
        panes.styles.grid_rows = self._grid_rows = rows
        with panes:
            yield MetadataPane(id="metadata")
            yield VerificationPane(id="verification")
            yield Tabs(
                *(Tab(pane_title(pane), id=f"tab-{pane}") for pane in TABBED_PANES),
                id="pane-tabs",
            )
            yield AliasesPane(id="aliases")
            yield TimelinePane(id="timeline", classes="-inactive")
            yield CitationsPane(id="citations", classes="-inactive")
        yield PithFooter()

    def on_mount(self) -> None:
        for pane, _title in PANES:
            self.query_one(f"#{pane}").border_title = pane_title(pane)
        self._update_sub_title()
        self.start()

    def on_resize(self) -> None:
        layout_class, rows = pane_layout(*self.size)
        panes = self.query_one("#panes")
        if not panes.has_class(layout_class):  # a class change restyles every pane: rare
            panes.set_class(layout_class == "-grid", "-grid")
            panes.set_class(layout_class == "-tabs", "-tabs")
        if self._grid_rows != rows:
            self._grid_rows = rows
            panes.styles.grid_rows = rows

    @property
    def grid_layout(self) -> bool:
        """True when every pane is on screen (no tabs)."""
        return self.query_one("#panes").has_class("-grid")

    @on(Tabs.TabActivated, "#pane-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        if event.tab is not None and event.tab.id:
            self._show_tabbed(event.tab.id.removeprefix("tab-"))

    def _show_tabbed(self, pane: str) -> None:
        for name in TABBED_PANES:
            self.query_one(f"#{name}").set_class(name != pane, "-inactive")

    def show_pane(self, pane: str) -> None:
        """Bring `pane` on screen (its tab, when tabs are in use) and focus it."""
        if pane in TABBED_PANES:
            self.query_one("#pane-tabs", Tabs).active = f"tab-{pane}"
            self._show_tabbed(pane)
        widget = self.query_one(f"#{pane}")
        target = next((w for w in (widget, *widget.query("*")) if w.can_focus), widget)
        if widget.loading:
            # A covered pane cannot take the focus: it gets it when the lookup ends, and
            # keys meanwhile go to the screen, not to the box the user left.
            self._focus_before_loading = target
            if self.focused is not None and self.focused is not target:
                self.set_focus(None)
            return
        self.call_after_refresh(target.focus)

    def action_focus_pane(self, pane: str) -> None:
        self.show_pane(pane)

    @on(LookupInput.Left)
    def _left_lookup(self, event: LookupInput.Left) -> None:
        event.stop()
        self.show_pane("metadata")

    def start(self) -> None:
        """Open the initial query, else the latest record of the history or the cache,
        else the cache review screen."""
        if self.initial_query:
            self.query_one(LookupInput).value = self.initial_query
            known = self._cached_at_start(self.initial_query)
            if known is not None:
                self.show(known)  # on the first frame; the lookup below completes it
            self._lookup(self.initial_query, known=known)
            return
        cache = self.resolver.cache
        try:
            recent = next((pid for _q, pid, _at in cache.history(limit=50) if pid), None)
            if recent is None:
                entries = cache.entries(limit=1)
                recent = entries[0].pith_id if entries else None
        except PithError as exc:
            self._fail("", exc)
            recent = None
        if recent is not None:
            try:
                view = self.resolver.load_cached(recent)
            except PithError:
                self.open_id(recent)  # says why, from the worker
            else:
                self.show(view)  # on the first frame
                self.post_message(RecordLoaded(view, recent))
        elif self.empty_shows_cache:
            self.post_message(ShowCache())

    def _cached_at_start(self, text: str) -> RecordView | None:
        """The initial query's cached view, read before the first frame (a few ms of
        verification; the loop has nothing else to do yet); None when it is not cached,
        stale (the network is asked first) or not an identifier."""
        try:
            view = self.resolver.cached_view(parse_query(text))
        except PithError:
            return None
        if view is None or (view.source in SHOW_FIRST_SOURCES and not self.resolver.offline):
            return None
        return view

    # --- lookups -------------------------------------------------------------------------

    def lookup(self, text: str, *, refresh: bool = False, fill: bool = False) -> None:
        """Look `text` up in a worker; `fill` also puts it in the lookup box."""
        if fill:
            self.query_one(LookupInput).value = text
        self._lookup(text, refresh=refresh)

    def open_id(self, pith_id: str, *, goto: int | None = None) -> None:
        """Open a Pith id from the cache (no network unless it is not cached)."""
        self._open_cached(pith_id, goto=goto)

    def _set_loading(self, loading: bool) -> None:
        """Cover the panes a lookup fills with a loading indicator (or uncover them, and give
        the focus back to the widget that had it: a covered widget loses the focus)."""
        if self._loading_timer is not None:
            self._loading_timer.stop()
            self._loading_timer = None
        if loading and self._focus_before_loading is None:
            self._focus_before_loading = self.focused
        for selector in LOADING_PANES:
            self.query_one(selector).loading = loading
        if not loading:
            widget, self._focus_before_loading = self._focus_before_loading, None
            if widget is not None and widget.is_attached and self.focused is not widget:
                widget.focus()

    def _loading_soon(self) -> None:
        """Show the loading indicator if the lookup is still running after a moment: a
        lookup answered from the cache never flickers."""
        if self._loading_timer is None:
            self._loading_timer = self.set_timer(LOADING_DELAY, lambda: self._set_loading(True))

    @work(exclusive=True, group="lookup", exit_on_error=False)
    async def _lookup(
        self, text: str, *, refresh: bool = False, known: RecordView | None = None
    ) -> None:
        try:
            query = parse_query(text)
        except QueryError as exc:
            self.post_message(LookupFailed(text, exc))
            return
        shown_early = False
        cached = known
        if not refresh and cached is None:
            try:
                # Reading and re-verifying the cached copy is blocking work: off the UI
                # loop, once; `resolve` gets the view and does not verify it again.
                cached = await asyncio.to_thread(self.resolver.cached_view, query)
            except PithError:
                cached = None
            stale = cached is not None and cached.source in SHOW_FIRST_SOURCES
            if stale and cached is not None and not self.resolver.offline:
                # Stale: show the cache at once, then ask the network.
                self.post_message(RecordLoaded(cached, text, provisional=True))
                shown_early = True
        if not shown_early and cached is None:
            self._loading_soon()
        try:
            view = await self.resolver.resolve(query, refresh=refresh, known=cached)
        except PithError as exc:
            self.post_message(LookupFailed(text, exc))
            return
        self.post_message(RecordLoaded(view, text, push=not shown_early, refreshed=refresh))

    @work(exclusive=True, group="lookup", exit_on_error=False)
    async def _open_cached(self, pith_id: str, *, goto: int | None = None) -> None:
        try:
            view = await asyncio.to_thread(self.resolver.load_cached, pith_id)
        except NotCachedError:
            self._loading_soon()
            try:
                view = await self.resolver.resolve(pith_id)
            except PithError as exc:
                self.post_message(LookupFailed(pith_id, exc))
                return
        except PithError as exc:
            self.post_message(LookupFailed(pith_id, exc))
            return
        self.post_message(RecordLoaded(view, pith_id, push=goto is None, goto=goto))

    def _binding_state(self) -> tuple[bool, bool, bool]:
        """What `check_action` depends on: a record shown, back possible, forward possible."""
        return (
            self.view is not None,
            self.trail_index > 0,
            self.trail_index < len(self.trail) - 1,
        )

    @on(RecordLoaded)
    def _loaded(self, message: RecordLoaded) -> None:
        message.stop()
        before = self._binding_state()
        self._set_loading(False)
        view = message.view
        if view is not self.view:  # the start-up record is already on screen
            self.show(view, pending=message.provisional)
        box = self.query_one(LookupInput)
        if not box.has_focus:
            box.value = message.query if message.query != view.pith_id else short_number(view)
        if message.goto is not None:
            self.trail_index = message.goto
        elif message.push:
            self._visit(view.pith_id)
        if self._binding_state() != before:
            # Profiled: each refresh recomposes the footer, half of a lookup's cost.
            self.refresh_bindings()
        self._focus_record_after_submit()
        if message.provisional:
            return
        self._error_query = None
        self.query_one("#lookup-error", Static).display = False
        if message.refreshed:  # one toast: what the refresh really did, and the verdict
            toast = refresh_toast(view, offline=self.resolver.offline)
            self.notify(toast.message, title=toast.title, severity=toast.severity, markup=False)  # type: ignore[arg-type]
        elif view.verdict is Verdict.FAILED:
            self.notify(
                failure_toast(view), title="Verification failed", severity="warning", markup=False
            )

    def _focus_record_after_submit(self) -> None:
        """After a lookup typed in the box, move to the record, unless the user has moved
        the focus or typed on since Enter: then the focus and the keys stay theirs."""
        submitted, self._submitted_text = self._submitted_text, None
        box = self.query_one(LookupInput)
        if submitted is not None and box.has_focus and box.value == submitted:
            self.query_one(MetadataPane).focus()

    @on(LookupFailed)
    def _failed(self, message: LookupFailed) -> None:
        message.stop()
        self._fail(message.query, message.error)

    def _fail(self, query: str, error: BaseException) -> None:
        """A toast, and an error line under the lookup box that stays until the box is
        edited; the failed query is put back in the box, selected, so typing replaces it.
        With no record on screen yet, the paper pane says why too."""
        self._set_loading(False)
        self._submitted_text = None
        title, reason = error_title(error), error_message(error)
        self.notify(reason, title=title, severity="error", markup=False)
        box = self.query_one(LookupInput)
        shown_query = clean_text(query, max_chars=200)
        if query and (not box.has_focus or box.value.strip() == query.strip()):
            self._error_query = query
            box.value = query
        else:
            self._error_query = box.value
        error_line = self.query_one("#lookup-error", Static)
        what = f"{shown_query}: " if shown_query else ""
        error_line.update(Content.assemble(("✗ ", "bold $error"), f"{title} — {what}{reason}"))
        error_line.display = True
        if self.view is None:
            self.query_one(MetadataPane).show_message(
                Content.assemble(
                    (f"Could not open {shown_query or 'the record'}", "bold $error"),
                    "\n\n",
                    f"{title}: {reason}",
                    "\n\n",
                    EMPTY,
                )
            )
            box.focus()
        if box.has_focus and box.value == query:
            box.select_all()

    @on(Input.Changed, "#lookup")
    def _edited(self, event: Input.Changed) -> None:
        if self._error_query is not None and event.value != self._error_query:
            self._error_query = None
            self.query_one("#lookup-error", Static).display = False

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self._set_loading(False)
            error = event.worker.error
            self.notify(
                error_message(error) if error is not None else "a background task failed",
                title="Unexpected error",
                severity="error",
                markup=False,
            )

    def show(self, view: RecordView, *, pending: bool = False) -> None:
        """Put a view on every pane."""
        self.view = view
        self.query_one(MetadataPane).show(view, self.resolver.now(), pending=pending)
        self.query_one(VerificationPane).show(view)
        self.query_one(AliasesPane).show(view)
        self.query_one(TimelinePane).show(view)
        self.query_one(CitationsPane).show(view)
        self._update_sub_title()

    def _visit(self, pith_id: str) -> None:
        if 0 <= self.trail_index < len(self.trail) and self.trail[self.trail_index] == pith_id:
            return
        del self.trail[self.trail_index + 1 :]
        self.trail.append(pith_id)
        self.trail_index = len(self.trail) - 1

    def _update_sub_title(self) -> None:
        self.app.sub_title = host_label(self.resolver.base_url, self.resolver.offline)

    # --- the lookup box ------------------------------------------------------------------

    @on(Input.Submitted, "#lookup")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        box = self.query_one(LookupInput)
        text = event.value.strip()
        if not text:
            return
        target = box.chosen_target()
        box.suggestions.hide()
        if target is not None:
            text = target
            box.value = target
        try:
            parse_query(text)
        except QueryError as exc:
            self._fail(text, exc)
            return
        self._submitted_text = box.value
        self.lookup(text)

    @on(OptionList.OptionSelected, "#suggestions")
    async def _suggestion_clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        box = self.query_one(LookupInput)
        box.suggestions.highlighted = event.option_index
        box.focus()
        await box.action_submit()

    # --- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in NEEDS_RECORD and self.view is None:
            return None
        if action == "back" and self.trail_index <= 0:
            return None
        if action == "forward" and self.trail_index >= len(self.trail) - 1:
            return None
        return True

    def action_lookup(self) -> None:
        self.query_one(LookupInput).focus()

    def action_back(self) -> None:
        if self.trail_index > 0:
            index = self.trail_index - 1
            self.open_id(self.trail[index], goto=index)

    def action_forward(self) -> None:
        if self.trail_index < len(self.trail) - 1:
            index = self.trail_index + 1
            self.open_id(self.trail[index], goto=index)

    def action_refresh(self) -> None:
        if self.view is None:
            return
        self.lookup(self.view.pith_id, refresh=True)

    def action_copy_number(self) -> None:
        if self.view is None:
            return
        number = clean_text(self.view.pith_number)
        self.app.copy_to_clipboard(number)
        self.notify(f"Copied {number}", title="Copied", markup=False)

    def action_copy_bibtex(self) -> None:
        if self.view is None:
            return
        from pith_tui.core.cite import bibtex_entry

        self.app.copy_to_clipboard(bibtex_entry(self.view))
        self.notify(
            f"Copied a BibTeX entry for {clean_text(self.view.pith_number)}",
            title="Copied",
            markup=False,
        )

    def action_open_page(self) -> None:
        if self.view is None:
            return
        try:
            url = page_url(self.resolver.base_url, self.view.pith_id)
        except ValueError as exc:
            self.notify(str(exc), title="Open page", severity="error", markup=False)
            return
        self.app.open_url(url)
        self.notify(f"Opening {url}", title="Open page", markup=False)

    def action_raw_json(self) -> None:
        if self.view is None:
            return
        from pith_tui.tui.screens.raw_json_screen import RawJsonScreen

        self.app.push_screen(RawJsonScreen(self.view))
