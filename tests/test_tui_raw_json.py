"""The raw JSON view's search from the results: every match highlighted on screen, n/N from
the list, and End/Home scroll to the last and first line."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from pith_tui.tui.app import PithApp
from pith_tui.tui.screens.raw_json_screen import RawJsonScreen
from tests.tui_support import LABEL_NOISE, LARGE_BATCH, make_resolver, settle, type_text, wait_until

SIZE = (120, 40)


def highlighted_on_screen(screen: RawJsonScreen, needle: str) -> tuple[int, int]:
    """(segments showing `needle` in a match style, of which in the current-match style)."""
    view = screen.json_view
    match = view.get_component_rich_style("json-view--match")
    current = view.get_component_rich_style("json-view--current-match")
    found = currents = 0
    for y in range(view.size.height):
        for segment in view.render_line(y):
            if segment.text.lower() != needle or segment.style is None:
                continue
            if segment.style.bgcolor == current.bgcolor:
                currents += 1
                found += 1
            elif segment.style.bgcolor == match.bgcolor:
                found += 1
    return found, currents


async def test_every_match_is_highlighted_and_n_works_from_the_results(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, offline=True), initial_query=LARGE_BATCH)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j")
        screen = app.screen
        assert isinstance(screen, RawJsonScreen)
        await pilot.press("slash")
        await type_text(pilot, "event_type")
        status = screen.query_one("#match-status", Static)
        await wait_until(pilot, lambda: str(status.content).startswith("match 1 of "))
        total = int(str(status.content).split(" of ")[1])
        assert total >= 2
        await pilot.press("enter")  # to the results
        view = screen.json_view
        assert view.has_focus
        await pilot.press("home")
        assert view.cursor == 0 and view.scroll_y == 0
        await pilot.press("n")
        await pilot.pause()
        first = view.search.current_match
        assert first is not None
        shown, current = highlighted_on_screen(screen, "event_type")
        assert current == 1 and shown >= 1
        await pilot.press("n")
        assert view.search.current_match != first
        await pilot.press("N")
        assert view.search.current_match == first
        # End scrolls to the last line, Home back to the first.
        await pilot.press("end")
        await pilot.pause()
        assert view.cursor == len(view.lines) - 1
        assert view.scroll_y > 0 and view.scroll_y == view.max_scroll_y
        await pilot.press("home")
        await pilot.pause()
        assert view.cursor == 0 and view.scroll_y == 0


async def test_all_matches_in_view_are_highlighted_not_only_the_current(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, offline=True), initial_query=LABEL_NOISE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j")
        screen = app.screen
        assert isinstance(screen, RawJsonScreen)
        await pilot.press("slash")
        await type_text(pilot, "pith_short")
        status = screen.query_one("#match-status", Static)
        await wait_until(pilot, lambda: str(status.content) == "match 1 of 3")
        await pilot.press("enter")
        await pilot.pause()
        shown, current = highlighted_on_screen(screen, "pith_short")
        assert current == 1
        assert shown == 3  # the three aliases are near each other: all three on screen
