"""The command palette's provider: the registry's actions, and "Open <id>" for recent and
cached records. Record text (titles) is shown as `Content`, never parsed as markup."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from pith_tui.core.cache import Cache
from pith_tui.core.errors import PithError
from pith_tui.core.sanitize import clean_text
from pith_tui.tui.commands import palette_commands
from pith_tui.tui.messages import OpenRecord
from pith_tui.tui.screens.main_screen import MainScreen

RECENT_LIMIT = 20


class PithCommands(Provider):
    """Actions from `commands.COMMANDS` plus one "Open …" per recent or cached record."""

    def _items(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app = self.app
        main = next((s for s in app.screen_stack if isinstance(s, MainScreen)), None)
        if main is None:
            return []
        items: list[tuple[str, str, Callable[[], Any]]] = []
        for command in palette_commands():
            if command.scope == "record" and self.screen is not main:
                continue
            target = main if command.scope == "record" else app
            if command.scope == "record" and not main.check_action(command.action, ()):
                continue
            items.append(
                (
                    command.label,
                    f"{command.help} ({command.key_display})",
                    partial(target.run_action, command.action),
                )
            )
        items.extend(self._records(main.resolver.cache))
        return items

    def _open(self, query: str) -> None:
        self.app.post_message(OpenRecord(query, fill=False))

    def _records(self, cache: Cache) -> list[tuple[str, str, Callable[[], Any]]]:
        seen: set[str] = set()
        found: list[tuple[str, str, Callable[[], Any]]] = []
        try:
            history = cache.history(limit=RECENT_LIMIT)
            entries = cache.entries(limit=RECENT_LIMIT)
        except PithError:
            return found
        titles = {entry.pith_id: entry for entry in entries}
        for query, pith_id, _at in history:
            key = pith_id or query
            if key in seen:
                continue
            seen.add(key)
            entry = titles.get(pith_id) if pith_id else None
            name = clean_text(query, max_chars=60)
            if entry is not None and entry.title:
                name += f" — {clean_text(entry.title, max_chars=60)}"
            target = pith_id or query
            found.append((f"Open {name}", "a recent lookup", partial(self._open, target)))
        for entry in entries:
            if entry.pith_id in seen:
                continue
            seen.add(entry.pith_id)
            name = clean_text(entry.arxiv_id or entry.pith_number, max_chars=40)
            if entry.title:
                name += f" — {clean_text(entry.title, max_chars=60)}"
            found.append(
                (
                    f"Open {name}",
                    f"cached record pith:{entry.pith_id[:8]}",
                    partial(self._open, entry.pith_id),
                )
            )
        return found

    async def discover(self) -> Hits:
        for title, help_text, callback in self._items():
            yield DiscoveryHit(Content(title), callback, text=title, help=Content(help_text))  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._items():
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    self._highlight(matcher, title),
                    callback,
                    text=title,
                    help=Content(help_text),  # type: ignore[arg-type]
                )

    @staticmethod
    def _highlight(matcher: Any, title: str) -> Content:
        """Like `Matcher.highlight`, but from plain text: a title is never parsed as markup."""
        content = Content(title)
        try:
            _score, offsets = matcher.fuzzy_search.match(matcher.query, title)
        except Exception:  # a private detail of Textual's matcher changed: no highlight
            return content
        for offset in offsets:
            if 0 <= offset < len(title) and not title[offset].isspace():
                content = content.stylize(matcher.match_style, offset, offset + 1)
        return content
