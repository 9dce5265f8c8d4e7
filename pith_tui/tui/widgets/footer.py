"""Textual's Footer, without its leak.

`Footer.compose` binds every key it builds with `data_bind(compact=...)`; the binding is
kept on the footer and pruned only when `compact` changes (Textualize/textual#6666). A
footer recomposes on every focus move and binding refresh, so over a day of lookups the old
keys piled up: measured 65 -> 232 MB over 300 lookups, with garbage-collection pauses of
about a second. After each recompose this drops the watchers of keys no longer mounted.
"""

from __future__ import annotations

from textual.widgets import Footer

_WATCHERS = "__watchers"  # where textual.reactive keeps watchers on the watched object


class PithFooter(Footer):
    async def recompose(self) -> None:
        await super().recompose()
        watchers = getattr(self, _WATCHERS, None)
        if not watchers:
            return
        for name, entries in watchers.items():
            watchers[name] = [
                (node, callback)
                for node, callback in entries
                if node is self or getattr(node, "is_attached", True)
            ]
