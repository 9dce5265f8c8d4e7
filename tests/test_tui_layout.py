"""The main screen's layout: every pane at once from 100x30 on, tabs below that, keys 1-5."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widget import Widget

from pith_tui.tui.app import PithApp
from pith_tui.tui.screens.main_screen import PANES, MainScreen
from tests.tui_support import (
    LARGE_BATCH,
    LARGE_BATCH_TITLE,
    FakePith,
    make_resolver,
    screen_text,
    settle,
    wait_until,
)

PANE_IDS = [pane for pane, _title in PANES]


def on_screen(main: MainScreen, selector: str) -> bool:
    """Displayed, with a non-empty region inside the screen."""
    widget = main.query_one(selector, Widget)
    region = widget.region
    return (
        widget.display
        and bool(region)
        and main.region.contains_region(region)
        and widget in main._compositor.visible_widgets
    )


@pytest.mark.parametrize("size", [(120, 40), (200, 60), (100, 30)])
async def test_every_pane_is_on_screen_when_there_is_room(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    resolver = make_resolver(tmp_path, offline=True)
    app = PithApp(resolver, initial_query=LARGE_BATCH)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        main = app.main_screen
        assert main.grid_layout
        for pane in PANE_IDS:
            assert on_screen(main, f"#{pane}"), pane
        assert not main.query_one("#pane-tabs").display
        text = screen_text(app)
        # The title, the aliases, the bundle's events and the verdict, with no key pressed.
        assert LARGE_BATCH_TITLE[:30] in text
        assert "arxiv_version" in text and "1812.00542v1" in text
        assert "record_created" in text and "graph_snapshot" in text
        assert "✓ VERIFIED" in text


@pytest.mark.parametrize("size", [(80, 24), (60, 20), (99, 40), (120, 29)])
async def test_small_terminals_fall_back_to_tabs_and_keep_the_tab_bar(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    app = PithApp(make_resolver(tmp_path, offline=True), initial_query=LARGE_BATCH)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        main = app.main_screen
        assert not main.grid_layout
        assert on_screen(main, "#pane-tabs")
        assert main.query_one("#pane-tabs").region.height == 2
        assert on_screen(main, "#metadata") and on_screen(main, "#verification")
        shown = [
            pane for pane in ("aliases", "timeline", "citations") if on_screen(main, f"#{pane}")
        ]
        assert shown == ["aliases"]


async def test_number_keys_focus_panes_and_their_tabs(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, offline=True), initial_query=LARGE_BATCH)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        main = app.main_screen
        await pilot.press("4")
        await wait_until(
            pilot, lambda: app.focused is not None and app.focused.id == "events-table"
        )
        assert on_screen(main, "#timeline") and not on_screen(main, "#aliases")
        await pilot.press("5")
        await wait_until(
            pilot, lambda: app.focused is not None and app.focused.id == "citations-table"
        )
        await pilot.press("2")
        await wait_until(pilot, lambda: app.focused is not None and app.focused.id == "chips")
        await pilot.press("1")
        await wait_until(pilot, lambda: app.focused is not None and app.focused.id == "metadata")
        await pilot.press("3")
        await wait_until(
            pilot, lambda: app.focused is not None and app.focused.id == "aliases-table"
        )


async def test_growing_the_terminal_switches_to_the_grid(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, offline=True), initial_query=LARGE_BATCH)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await pilot.resize_terminal(120, 40)
        await wait_until(pilot, lambda: app.main_screen.grid_layout)
        await pilot.pause()
        for pane in PANE_IDS:
            assert on_screen(app.main_screen, f"#{pane}"), pane


async def test_each_pane_title_shows_its_key(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, pith=FakePith()), initial_query=LARGE_BATCH)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        for index, (_pane, title) in enumerate(PANES, start=1):
            assert f"{index} {title}" in text


async def test_the_paper_pane_scrolls_after_a_new_record(tmp_path: Path) -> None:
    """Its virtual size is set without a second layout (metadata_pane.py): it must still
    scroll to the end of a long record, and back."""
    app = PithApp(make_resolver(tmp_path, offline=True), initial_query=LARGE_BATCH)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.main_screen.lookup("2106.06530")
        await settle(pilot)
        pane = app.main_screen.query_one("#metadata")
        body = app.main_screen.query_one("#metadata-body")
        assert body.size.height > pane.size.height  # longer than the pane
        assert pane.virtual_size.height >= body.size.height
        await pilot.press("1", "end")
        await wait_until(pilot, lambda: pane.scroll_y == pane.max_scroll_y > 0)
        await pilot.pause()
        last = body._lines(body.content_region.width)[-1].plain.strip()  # type: ignore[attr-defined]
        assert last and last in screen_text(app)  # the end of the record is on screen
        await pilot.press("home")
        await wait_until(pilot, lambda: pane.scroll_y == 0)
