"""The footer keeps no watchers of keys it has thrown away (Textualize/textual#6666)."""

from __future__ import annotations

from pathlib import Path

from pith_tui.tui.app import PithApp
from pith_tui.tui.widgets.footer import PithFooter
from tests.tui_support import make_resolver, settle


def _watcher_count(footer: PithFooter) -> int:
    return sum(len(entries) for entries in getattr(footer, "__watchers", {}).values())


async def test_lookups_do_not_grow_the_footers_watchers(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, offline=True), initial_query="2106.06530")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(PithFooter)
        for query in ("1812.00542", "1611.01838", "1704.04289", "2106.06530") * 3:
            await pilot.press("slash")
            app.screen.query_one("LookupInput").value = query
            await pilot.press("enter")
            await settle(pilot)
        keys = len(footer.children)
        # One watcher per key on screen (and none for the ~12 footers' worth rebuilt before).
        assert 0 < _watcher_count(footer) <= keys + 2
