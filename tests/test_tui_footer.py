"""The footer: one widget re-rendered (never recomposed), the keys that work where the focus
is, and `? Help` kept at 80x24."""

from __future__ import annotations

from pathlib import Path

import pytest

from pith_tui.tui.app import PithApp
from pith_tui.tui.widgets.footer import PithFooter
from pith_tui.tui.widgets.lookup_input import LookupInput
from tests.tui_support import make_resolver, screen_text, settle, wait_until


def shown_keys(app: PithApp) -> list[str]:
    return [item.key for item in app.screen.query_one(PithFooter).keys]


def footer_line(app: PithApp) -> str:
    return screen_text(app).splitlines()[-1]


async def test_lookups_never_recompose_the_footer(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, offline=True), initial_query="2106.06530")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(PithFooter)
        calls = 0
        original = footer.recompose

        async def counting() -> None:
            nonlocal calls
            calls += 1
            await original()

        footer.recompose = counting  # type: ignore[method-assign]
        for query in ("1812.00542", "1611.01838", "2106.06530"):
            await pilot.press("slash")
            app.screen.query_one(LookupInput).value = query
            await pilot.press("enter")
            await settle(pilot)
        assert calls == 0
        assert not footer.children  # one widget, no child per key
        assert "? Help" in footer_line(app)


@pytest.mark.parametrize("size", [(80, 24), (60, 20), (120, 40)])
async def test_help_and_cache_stay_visible(tmp_path: Path, size: tuple[int, int]) -> None:
    app = PithApp(make_resolver(tmp_path, offline=True), initial_query="2106.06530")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        line = footer_line(app)
        assert "?" in line and "Help" in line and "Cache" in line
        assert len(line.rstrip()) <= size[0]


async def test_typing_in_the_lookup_box_hides_the_keys_it_types(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, offline=True), initial_query="2106.06530")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "/" in shown_keys(app) and "?" in shown_keys(app)
        await pilot.press("slash")
        await wait_until(pilot, lambda: "/" not in shown_keys(app))
        keys = shown_keys(app)
        assert "?" not in keys and "r" not in keys and "c" not in keys
        assert "Esc" in keys  # leaving the box works there
        await pilot.press("escape")
        await wait_until(pilot, lambda: "/" in shown_keys(app))
        assert "Look up" in footer_line(app)
