"""SVG snapshots of the layout (behaviour is tested with the pilot in test_tui_app.py).

Deterministic: the resolver's clock is frozen (`tests.tui_support.Clock`), documents come
from `FakePith` or are stored in the cache up front, no wall-clock time is shown, and
blinking cursors are switched off before the screenshot. Update with
`pytest tests/test_tui_snapshots.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, TextArea

from pith_tui.tui.app import PithApp
from tests.signing import make_bundle, make_record
from tests.tui_support import (
    HOSTILE_TITLE,
    LABEL_NOISE,
    LARGE_BATCH_ID,
    SHARP_MINIMA,
    Clock,
    FakePith,
    cache_real,
    make_resolver,
    settle,
    tamper_label_noise,
    wait_until,
)

Compare = Callable[..., bool]
WIDE = (120, 40)
NARROW = (80, 24)


def run(*steps: Callable[[Pilot[Any]], Awaitable[None]]) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """A `run_before`: wait for the start-up lookup, do `steps`, stop cursors blinking."""

    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for step in steps:
            await step(pilot)
            await settle(pilot)
        for widget in pilot.app.screen.query("Input, TextArea"):
            if isinstance(widget, (Input, TextArea)):
                widget.cursor_blink = False
        await pilot.pause()

    return before


def online(tmp_path: Path, query: str, **app_options: Any) -> PithApp:
    """The app on a fake pith.science, with an empty cache: the record comes from "network"."""
    resolver = make_resolver(tmp_path, pith=FakePith(), samples=False)
    return PithApp(resolver, initial_query=query, **app_options)


def tampered(tmp_path: Path) -> PithApp:
    resolver = make_resolver(tmp_path, samples=False, offline=True)
    cache_real(resolver, LABEL_NOISE)
    tamper_label_noise(resolver)
    return PithApp(resolver, initial_query=LABEL_NOISE)


def show_tab(tab: str, table: str, *keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def step(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        screen.show_pane(tab)  # type: ignore[attr-defined]
        await pilot.pause()
        screen.query_one(table, DataTable).focus()
        await pilot.press(*keys)

    return step


def test_number_record(snap_compare: Compare, tmp_path: Path) -> None:
    assert snap_compare(online(tmp_path, LABEL_NOISE), terminal_size=WIDE, run_before=run())


def test_bundle(snap_compare: Compare, tmp_path: Path) -> None:
    app = online(tmp_path, LARGE_BATCH_ID)
    assert snap_compare(app, terminal_size=WIDE, run_before=run())


def test_failed_verdict(snap_compare: Compare, tmp_path: Path) -> None:
    assert snap_compare(tampered(tmp_path), terminal_size=WIDE, run_before=run())


def test_incomplete_verdict(
    snap_compare: Compare, tmp_path: Path, config_with_test_key: Path
) -> None:
    pith = FakePith(real=False)
    pith_id = pith.add_bundle(make_bundle("2403.00002", extra_events=("mystery_event",)))
    resolver = make_resolver(tmp_path, pith=pith, samples=False, config_dir=config_with_test_key)
    app = PithApp(resolver, initial_query=pith_id)
    assert snap_compare(app, terminal_size=WIDE, run_before=run())


def test_cache_age(snap_compare: Compare, tmp_path: Path) -> None:
    clock = Clock()
    resolver = make_resolver(tmp_path, pith=FakePith(), clock=clock, samples=False)
    cache_real(resolver, SHARP_MINIMA)
    clock.advance(hours=3)
    app = PithApp(resolver, initial_query=SHARP_MINIMA)
    assert snap_compare(app, terminal_size=WIDE, run_before=run())


def test_hostile_title(snap_compare: Compare, tmp_path: Path, config_with_test_key: Path) -> None:
    pith = FakePith(real=False)
    pith.add_record(make_record("2403.00001", title=HOSTILE_TITLE, authors="[b]Mallory[/b] :x:"))
    resolver = make_resolver(tmp_path, pith=pith, samples=False, config_dir=config_with_test_key)
    app = PithApp(resolver, initial_query="2403.00001")
    assert snap_compare(app, terminal_size=WIDE, run_before=run())


def test_narrow_verified(snap_compare: Compare, tmp_path: Path) -> None:
    assert snap_compare(online(tmp_path, LABEL_NOISE), terminal_size=NARROW, run_before=run())


def test_narrow_failed(snap_compare: Compare, tmp_path: Path) -> None:
    assert snap_compare(tampered(tmp_path), terminal_size=NARROW, run_before=run())


def test_aliases_tab(snap_compare: Compare, tmp_path: Path) -> None:
    step = show_tab("aliases", "#aliases-table", "down", "down")
    app = online(tmp_path, LABEL_NOISE)
    assert snap_compare(app, terminal_size=WIDE, run_before=run(step))


def test_timeline_with_payload(snap_compare: Compare, tmp_path: Path) -> None:
    step = show_tab("timeline", "#events-table", "down")
    app = online(tmp_path, LARGE_BATCH_ID)
    assert snap_compare(app, terminal_size=WIDE, run_before=run(step))


def test_timeline_narrow(snap_compare: Compare, tmp_path: Path) -> None:
    step = show_tab("timeline", "#events-table")
    app = online(tmp_path, LARGE_BATCH_ID)
    assert snap_compare(app, terminal_size=NARROW, run_before=run(step))


def test_cited_by_tab(snap_compare: Compare, tmp_path: Path) -> None:
    step = show_tab("citations", "#citations-table")
    app = online(tmp_path, SHARP_MINIMA)
    assert snap_compare(app, terminal_size=WIDE, run_before=run(step))


def test_help_screen(snap_compare: Compare, tmp_path: Path) -> None:
    async def help_(pilot: Pilot[Any]) -> None:
        await pilot.press("question_mark")

    app = online(tmp_path, LABEL_NOISE)
    assert snap_compare(app, terminal_size=(100, 36), run_before=run(help_))


def test_raw_json_search(snap_compare: Compare, tmp_path: Path) -> None:
    async def search(pilot: Pilot[Any]) -> None:
        await pilot.press("j", "slash", *"receipt", "enter")

    app = online(tmp_path, LABEL_NOISE)
    assert snap_compare(app, terminal_size=(100, 30), run_before=run(search))


def test_ansi_dark_theme(snap_compare: Compare, tmp_path: Path) -> None:
    app = online(tmp_path, LABEL_NOISE, theme="ansi-dark")
    assert snap_compare(app, terminal_size=WIDE, run_before=run())


# --- the layout at three sizes, and the states issue 12 added -----------------------------

HUGE = (200, 60)


def test_bundle_200x60(snap_compare: Compare, tmp_path: Path) -> None:
    app = online(tmp_path, LARGE_BATCH_ID)
    assert snap_compare(app, terminal_size=HUGE, run_before=run())


def test_bundle_80x24(snap_compare: Compare, tmp_path: Path) -> None:
    app = online(tmp_path, LARGE_BATCH_ID)
    assert snap_compare(app, terminal_size=NARROW, run_before=run())


def test_failed_200x60(snap_compare: Compare, tmp_path: Path) -> None:
    assert snap_compare(tampered(tmp_path), terminal_size=HUGE, run_before=run())


def test_chip_detail(snap_compare: Compare, tmp_path: Path) -> None:
    async def chips(pilot: Pilot[Any]) -> None:
        await pilot.press("2", "right", "right")

    app = online(tmp_path, LARGE_BATCH_ID)
    assert snap_compare(app, terminal_size=WIDE, run_before=run(chips))


def test_light_theme_badges(snap_compare: Compare, tmp_path: Path) -> None:
    app = PithApp(tampered(tmp_path).resolver, initial_query=LABEL_NOISE, theme="textual-light")
    assert snap_compare(app, terminal_size=WIDE, run_before=run())


def test_lookup_error_line(snap_compare: Compare, tmp_path: Path) -> None:
    async def fail(pilot: Pilot[Any]) -> None:
        await pilot.press("slash", *"2401.99999", "enter")
        await settle(pilot)
        pilot.app.clear_notifications()  # the toast fades; the line under the box stays

    app = PithApp(make_resolver(tmp_path, pith=FakePith()), initial_query=LABEL_NOISE)
    assert snap_compare(app, terminal_size=WIDE, run_before=run(fail))


def test_lookup_suggestions(snap_compare: Compare, tmp_path: Path) -> None:
    async def type_(pilot: Pilot[Any]) -> None:
        await pilot.press("slash", *"pith:")
        await wait_until(pilot, lambda: bool(pilot.app.screen.query_one("#suggestions").display))
        await pilot.press("down")

    app = PithApp(make_resolver(tmp_path, pith=FakePith()), initial_query=LABEL_NOISE)
    assert snap_compare(app, terminal_size=WIDE, run_before=run(type_))
