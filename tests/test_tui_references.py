"""The references screen: a .bib fills in as its entries resolve, sorts and filters, Enter
opens the record in the main screen, and it works offline from the cache."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, ProgressBar

from pith_tui.core.bibcheck import EntryVerdict, TitleCheck
from pith_tui.core.reference_rows import ReferenceRows
from pith_tui.tui.app import PithApp
from pith_tui.tui.screens.main_screen import MainScreen
from pith_tui.tui.screens.references_screen import ReferencesScreen
from tests.tui_support import (
    LABEL_NOISE_ID,
    LABEL_NOISE_TITLE,
    FakePith,
    make_resolver,
    notifications,
    screen_text,
    settle,
    wait_until,
)

BIB = """
@article{noise, title={Label Noise {SGD} Provably Prefers Flat Global Minimizers},
  eprint={2106.06530}, archivePrefix={arXiv}}
@misc{wrong, title={A Different Title}, journal={arXiv preprint arXiv:1611.01838}}
@misc{absent, title={Not Yet Read}, eprint={2401.00001}}
@book{noid\x1b[31m, title={[link=https://x]click[/link] A Book}}
"""


def _write(tmp_path: Path) -> Path:
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB)
    return bib


def _results(screen: ReferencesScreen) -> dict[str, tuple[EntryVerdict, TitleCheck]]:
    assert screen.rows is not None
    return {
        item.key: (result.verdict, result.title)
        for item, result in zip(screen.rows.planned, screen.rows.results, strict=True)
        if result is not None
    }


async def test_fills_in_sorts_filters_and_enter_opens_the_record(tmp_path: Path) -> None:
    pith = FakePith()
    resolver = make_resolver(tmp_path, pith=pith, samples=False)
    app = PithApp(resolver, bibliography=_write(tmp_path))
    async with app.run_test(size=(150, 40), notifications=True) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ReferencesScreen))
        screen = app.screen
        assert isinstance(screen, ReferencesScreen)
        await wait_until(
            pilot, lambda: screen.rows is not None and screen.rows.done == 4, timeout=30
        )
        assert _results(screen) == {
            "noise": (EntryVerdict.VERIFIED, TitleCheck.MATCH),
            "wrong": (EntryVerdict.VERIFIED, TitleCheck.MISMATCH),
            "absent": (EntryVerdict.NOT_FOUND, TitleCheck.NOT_CHECKED),
            "noid\x1b[31m": (EntryVerdict.NO_IDENTIFIER, TitleCheck.NOT_CHECKED),
        }
        progress = screen.query_one(ProgressBar)
        assert progress.progress == progress.total == 4
        await wait_until(pilot, lambda: "✗ mismatch" in screen_text(app))
        text = screen_text(app)
        assert "✓ verified" in text and "✗ mismatch" in text and "not on Pith" in text
        assert "\x1b" not in text and "[link=https://x]click[/link]" in text  # inert

        # Sort by verdict, then filter down to the mismatch.
        table = screen.query_one("#references-table", DataTable)
        await pilot.press("s", "s")
        assert screen.rows is not None and screen.rows.sort == "verdict"
        first = table.coordinate_to_cell_key(table.cursor_coordinate)[0].value
        assert screen.rows.planned[int(str(first))].key == "absent"  # problems first
        await pilot.click("#references-table", offset=(2, 0))  # the Key header
        assert screen.rows.sort == "key"
        await pilot.press("slash", *"mismatch", "enter")
        await wait_until(pilot, lambda: table.row_count == 1)

        # Enter opens the record in the main screen (through the OpenRecord message).
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        await settle(pilot)
        main = app.main_screen
        await wait_until(pilot, lambda: main.view is not None)
        assert main.view is not None and main.view.arxiv_id == "1611.01838"


async def test_offline_from_the_cache_after_a_fetch(tmp_path: Path) -> None:
    pith = FakePith()
    online = make_resolver(tmp_path, pith=pith, samples=False)
    await online.resolve("2106.06530")
    await online.resolve("1611.01838")
    await online.aclose()
    online.cache.close()
    offline = make_resolver(tmp_path, pith=FakePith(real=False), offline=True, samples=False)
    before = pith.total_hits
    app = PithApp(offline, bibliography=_write(tmp_path))
    async with app.run_test(size=(150, 40), notifications=True) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ReferencesScreen))
        screen = app.screen
        assert isinstance(screen, ReferencesScreen)
        await wait_until(
            pilot, lambda: screen.rows is not None and screen.rows.done == 4, timeout=30
        )
        results = _results(screen)
        assert results["noise"] == (EntryVerdict.VERIFIED, TitleCheck.MATCH)
        assert results["wrong"] == (EntryVerdict.VERIFIED, TitleCheck.MISMATCH)
        assert results["absent"][0] is EntryVerdict.ERROR  # offline, not cached: said so
        assert pith.total_hits == before


async def test_a_file_that_is_not_bibtex_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "notes.bib"
    bad.write_text("just some notes")
    app = PithApp(make_resolver(tmp_path, samples=False), bibliography=bad)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await wait_until(pilot, lambda: bool(notifications(app)))
        (severity, title, message) = notifications(app)[0]
        assert severity == "error" and title == "Bibliography" and "no BibTeX entry" in message


async def test_b_copies_bibtex_of_the_open_record(tmp_path: Path) -> None:
    resolver = make_resolver(tmp_path, pith=FakePith(), samples=False)
    copied: list[str] = []
    app = PithApp(resolver, initial_query="2106.06530")
    app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
    async with app.run_test(size=(150, 40), notifications=True) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: app.main_screen.view is not None)
        app.main_screen.focus()  # away from the lookup box, where b is a letter
        app.set_focus(None)
        await pilot.press("b")
        await wait_until(pilot, lambda: bool(copied))
    assert f"title = {{{{{LABEL_NOISE_TITLE}}}}}" in copied[0]
    assert f"pith = {{pith:2021:{LABEL_NOISE_ID}}}" in copied[0]


def test_rows_sort_and_filter_as_plain_python() -> None:
    from pith_tui.core.bibcheck import plan
    from pith_tui.core.bibtex import parse_bibliography

    planned = plan(parse_bibliography("@misc{b, eprint={2106.06530}}\n@misc{a, title={x}}\n"))
    rows = ReferenceRows.start(planned)
    assert rows.done == 1  # the entry without an id is final at once
    assert rows.visible() == [0, 1]
    rows.cycle_sort()
    assert rows.sort == "key"
    assert rows.visible() == [1, 0]  # pending entries sort last
    rows.filter_text = "2106"
    assert rows.visible() == [0]


async def test_palette_open_a_bibliography_asks_for_the_file(tmp_path: Path) -> None:
    from tests.tui_support import type_text

    bib = _write(tmp_path)
    app = PithApp(make_resolver(tmp_path, pith=FakePith(), samples=False))
    async with app.run_test(size=(150, 40), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await type_text(pilot, "open a bibliography")
        await wait_until(pilot, lambda: "Open a bibliography" in screen_text(app))
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: (
                app.screen.query("#bib-path").results() is not None
                and bool(list(app.screen.query("#bib-path")))
            ),
        )
        await type_text(pilot, str(bib))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ReferencesScreen))
        screen = app.screen
        assert isinstance(screen, ReferencesScreen)
        await wait_until(
            pilot, lambda: screen.rows is not None and screen.rows.done == 4, timeout=30
        )
        await pilot.press("escape")  # back to where it was opened from
        await wait_until(pilot, lambda: not isinstance(app.screen, ReferencesScreen))
