"""`PithApp`: the terminal browser. The CLI builds a session and calls

PithApp(session.resolver, initial_query=..., theme=..., notices=session.notices).run()
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import App
from textual.binding import BindingType
from textual.content import Content
from textual.notifications import SeverityLevel
from textual.screen import Screen

from pith_tui.core.resolver import Resolver
from pith_tui.core.sanitize import clean_multiline, clean_text
from pith_tui.core.settings import save_theme
from pith_tui.tui.commands import bindings_for
from pith_tui.tui.messages import OpenRecord, ShowCache
from pith_tui.tui.palette import PithCommands
from pith_tui.tui.screens.help_screen import HelpScreen
from pith_tui.tui.screens.main_screen import MainScreen

# Bounds of what one toast or title line may carry, applied before Textual lays it out.
TOAST_MAX_CHARS = 600
TOAST_TITLE_MAX_CHARS = 80
TITLE_MAX_CHARS = 200


class PithApp(App[None]):
    """Look up, browse and re-verify Pith records."""

    CSS_PATH = "app.tcss"
    TITLE = "pith-tui"
    COMMANDS = App.COMMANDS | {PithCommands}
    BINDINGS: ClassVar[list[BindingType]] = bindings_for("app")

    def __init__(
        self,
        resolver: Resolver,
        *,
        initial_query: str | None = None,
        theme: str | None = None,
        notices: Sequence[str] = (),
        bibliography: Path | None = None,
        remember_theme: bool = False,
        config_dir: Path | None = None,
    ) -> None:
        """`remember_theme`: save the theme chosen (flag or palette) in the config dir
        (`config_dir`, else the user's), for the next start."""
        super().__init__()
        self._remember_theme = remember_theme
        self._config_dir = config_dir
        self._theme_given = bool(theme)
        self.resolver = resolver
        self.bibliography = bibliography
        self.initial_query = initial_query
        self.notices = tuple(notices)
        self._theme_error: str | None = None
        if theme:
            if theme in self.available_themes:
                self.theme = theme
            else:
                known = ", ".join(sorted(self.available_themes))
                self._theme_error = (
                    f"There is no theme {clean_text(theme)!r}; choose one of: {known}."
                )
        self._main = MainScreen(
            resolver, initial_query=initial_query, empty_shows_cache=bibliography is None
        )

    @property
    def main_screen(self) -> MainScreen:
        return self._main

    def get_default_screen(self) -> Screen[None]:
        return self._main

    def on_mount(self) -> None:
        if self._remember_theme:
            if self._theme_given:
                self.save_theme()
            self.theme_changed_signal.subscribe(self, lambda _theme: self.save_theme())
        for notice in self.notices:
            self.notify(notice, title="pith-tui", severity="warning")
        if self._theme_error:
            self.notify(self._theme_error, title="Theme", severity="error", markup=False)
        if self.bibliography is not None:
            self.open_bibliography(self.bibliography)

    # --- the one gate to the terminal for toasts and titles -----------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast (`Widget.notify` calls this too) is sanitized and bounded here, and its
        markup is off whatever the caller asked: a toast may quote a record, a server's
        error or a file name."""
        del markup
        super().notify(
            clean_multiline(message, max_chars=TOAST_MAX_CHARS),
            title=clean_text(title, max_chars=TOAST_TITLE_MAX_CHARS),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def format_title(self, title: str, sub_title: str) -> Content:
        """The header line, sanitized and bounded (a sub-title may name a record)."""
        return super().format_title(
            clean_text(title, max_chars=TITLE_MAX_CHARS),
            clean_text(sub_title, max_chars=TITLE_MAX_CHARS),
        )

    def save_theme(self) -> None:
        """Remember the theme in use; a config dir that cannot be written is said once."""
        try:
            save_theme(self.theme, self._config_dir)
        except OSError as exc:
            if self._remember_theme:
                self._remember_theme = False
                self.notify(
                    f"The theme cannot be remembered: {clean_text(str(exc), max_chars=200)}",
                    title="Theme",
                    severity="warning",
                    markup=False,
                )

    # --- actions available everywhere ----------------------------------------------------

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
        else:
            self.push_screen(HelpScreen())

    def action_cache(self) -> None:
        from pith_tui.tui.screens.cache_screen import CacheScreen

        if self.screen_stack and isinstance(self.screen, CacheScreen):
            return
        self.push_screen(CacheScreen(self.resolver), self._cache_closed)

    def action_open_bibliography(self) -> None:
        from pith_tui.tui.widgets.bib_path_dialog import BibPathDialog

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.open_bibliography(path)

        self.push_screen(BibPathDialog(), chosen)

    def open_bibliography(self, path: Path) -> None:
        """Check `path` on the references screen (cache first: it works offline)."""
        from pith_tui.tui.screens.references_screen import ReferencesScreen

        self.push_screen(ReferencesScreen(self.resolver, path))

    def _cache_closed(self, pith_id: str | None) -> None:
        if pith_id:
            self.open_record(pith_id)

    def open_record(self, query: str, *, fill: bool = False) -> None:
        """Back to the main screen, and look `query` up (a Pith id opens from the cache)."""
        while self.screen is not self._main and len(self.screen_stack) > 1:
            self.pop_screen()
        self._main.lookup(query, fill=fill)

    # --- what screens ask for (they post messages; the App routes them) -------------------

    @on(OpenRecord)
    def _open_record(self, message: OpenRecord) -> None:
        message.stop()
        self.open_record(message.query, fill=message.fill)

    @on(ShowCache)
    def _show_cache(self, message: ShowCache) -> None:
        message.stop()
        self.action_cache()
