"""The cache review's latest verdicts, verdict filter and toggle, remembered sort and count
words, driven with the pilot. Every wait is for a condition, never a fixed pause."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Input

from pith_tui.core.cache import Count
from pith_tui.core.cache_review_sort import SORT_FILE_NAME
from pith_tui.core.resolver import Resolver
from pith_tui.tui.screens.cache_screen import CacheScreen, match_words
from tests.test_tui_cache_screen import (
    SIZE,
    STOCHASTIC_ID,
    detail_text,
    fill_synthetic,
    listed_ids,
    samples_resolver,
    screen_of,
    summary_text,
    table_of,
    varied_resolver,
    visible_lines,
)
from tests.tui_support import (
    LABEL_NOISE_ID,
    LARGE_BATCH_ID,
    SHARP_MINIMA_ID,
    Clock,
    make_resolver,
    settle,
    wait_until,
)


class Host(App[None]):
    """Pushes the cache screen (with a config dir) on start."""

    def __init__(self, resolver: Resolver, config_dir: Path | None = None) -> None:
        super().__init__()
        self.resolver = resolver
        self.config_dir = config_dir

    def on_mount(self) -> None:
        self.push_screen(CacheScreen(self.resolver, config_dir=self.config_dir))


def rows_by_number(app: App[Any]) -> dict[str, str]:
    return {line.split()[0]: line for line in visible_lines(app)[1:] if line.strip()}


def filter_box(app: App[Any]) -> Input:
    return screen_of(app).query_one("#cache-filter", Input)


def listed(app: App[Any], text: str) -> bool:
    """The list shows `text`'s rows (its query ran and its count is in)."""
    screen = screen_of(app)
    return (
        screen.query_spec.filter_text == text
        and table_of(app).query_spec.filter_text == text
        and not any(w.group == "cache-list" and not w.is_finished for w in app.workers)
    )


async def filter_to(pilot: Any, text: str) -> None:
    """Type `text` into the emptied filter box and wait until its rows are listed."""
    await pilot.press("slash")
    filter_box(pilot.app).value = ""
    await pilot.press(*["space" if char == " " else char for char in text])
    await wait_until(pilot, lambda: listed(pilot.app, text))


# --- the latest verdict ----------------------------------------------------------------------


async def test_a_failed_record_shows_verified_after_a_reverify_without_reopening(
    tmp_path: Path,
) -> None:
    resolver = varied_resolver(tmp_path)  # Sharp minima listed failed, Stochastic incomplete
    app = Host(resolver)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert "✗ failed" in rows_by_number(app)["pith:OCXKLV42"]
        assert "1 failed" in summary_text(app)
        await pilot.press("down", "down")  # highlight it: the detail pane says it too
        await wait_until(pilot, lambda: "OCXKLV42" in detail_text(app))
        assert "last seen ✗ failed" in detail_text(app)

        await pilot.press("v")  # its stored bytes verify
        await wait_until(
            pilot, lambda: "✓ verified" in rows_by_number(app).get("pith:OCXKLV42", "")
        )
        await wait_until(pilot, lambda: "0 failed" in summary_text(app))
        await wait_until(pilot, lambda: "last seen ✓ verified" in detail_text(app))
        assert "! incomplete" not in "".join(rows_by_number(app).values())
        assert isinstance(app.screen, CacheScreen)  # the same screen, not reopened


async def test_a_record_loaded_while_the_review_is_open_shows_its_new_verdict(
    tmp_path: Path,
) -> None:
    """A load anywhere (here: the resolver, as the main screen does) records the verdict;
    the list shows it when it reads its rows again (any new filter, sort or re-verify)."""
    resolver = varied_resolver(tmp_path)
    app = Host(resolver)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "✗ failed" in rows_by_number(app)["pith:OCXKLV42"]
        resolver.load_cached(SHARP_MINIMA_ID)  # verifies
        await pilot.press("S")
        await wait_until(
            pilot, lambda: "✓ verified" in rows_by_number(app).get("pith:OCXKLV42", "")
        )


# --- verdict filter and toggle -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "words"),
    [
        ("verdict:failed", {SHARP_MINIMA_ID}, "1 match"),
        ("verdict:verified", {LABEL_NOISE_ID, LARGE_BATCH_ID}, "2 matches"),
        ("gradient verdict:verified", {LARGE_BATCH_ID}, "1 match"),  # with text
        ("verdict:inc", {STOCHASTIC_ID}, "1 match"),  # an unambiguous start
        ("verdict:unknown", set(), "no match"),
    ],
)
async def test_typed_verdict_words_filter_the_list(
    tmp_path: Path, text: str, expected: set[str], words: str
) -> None:
    app = Host(varied_resolver(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await filter_to(pilot, text)
        assert set(listed_ids(app)) == expected
        assert f"{words} for “{text}”" in summary_text(app)


async def test_an_unknown_verdict_says_which_there_are(tmp_path: Path) -> None:
    app = Host(varied_resolver(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await filter_to(pilot, "verdict:bogus")
        assert listed_ids(app) == []
        summary = summary_text(app)
        assert "no verdict “bogus”" in summary
        assert "verified, failed, incomplete, unknown" in summary


async def test_the_toggle_key_cycles_the_verdict_filters_and_keeps_the_text(
    tmp_path: Path,
) -> None:
    app = Host(varied_resolver(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        steps = [
            ("verdict:failed", {SHARP_MINIMA_ID}),
            ("verdict:incomplete", {STOCHASTIC_ID}),
            ("verdict:verified", {LABEL_NOISE_ID, LARGE_BATCH_ID}),
            ("verdict:unknown", set()),
            ("", {LABEL_NOISE_ID, LARGE_BATCH_ID, SHARP_MINIMA_ID, STOCHASTIC_ID}),
        ]
        for text, expected in steps:
            await pilot.press("f")
            assert filter_box(app).value == text
            await wait_until(pilot, lambda text=text: listed(app, text))  # type: ignore[misc]
            assert set(listed_ids(app)) == expected, text

        await filter_to(pilot, "gradient")  # three papers, one of each verdict but unknown
        await pilot.press("escape", "f")  # from the list
        assert filter_box(app).value == "gradient verdict:failed"
        await wait_until(pilot, lambda: listed(app, "gradient verdict:failed"))
        assert listed_ids(app) == [SHARP_MINIMA_ID]
        assert "1 match for “gradient verdict:failed”" in summary_text(app)


# --- the remembered sort -----------------------------------------------------------------------


async def test_the_sort_is_remembered_across_restarts(tmp_path: Path) -> None:
    config = tmp_path / "review-config"
    resolver = samples_resolver(tmp_path)
    async with Host(resolver, config).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s", "S")  # Pith Number, then Z→A
        await wait_until(pilot, lambda: "Pith Number ▼" in visible_lines(pilot.app)[0])
        first_run = listed_ids(pilot.app)
    assert (config / SORT_FILE_NAME).is_file()

    async with Host(resolver, config).run_test(size=SIZE) as pilot:  # a new app, same config
        await settle(pilot)
        assert "Pith Number ▼" in visible_lines(pilot.app)[0]
        assert "sorted by Pith Number, Z→A" in summary_text(pilot.app)
        assert listed_ids(pilot.app) == first_run
        numbers = [table_of(pilot.app).fetch_entry(row) for row in range(4)]
        assert [e.pith_number for e in numbers if e] == sorted(
            (e.pith_number for e in numbers if e), reverse=True
        )


@pytest.mark.parametrize(
    "content", [b"{not json", b'{"sort": "rm -rf", "descending": true}', b"[]", b"x" * 10_000]
)
async def test_a_bad_sort_file_opens_with_the_default_sort(tmp_path: Path, content: bytes) -> None:
    config = tmp_path / "review-config"
    config.mkdir()
    (config / SORT_FILE_NAME).write_bytes(content)
    async with Host(samples_resolver(tmp_path), config).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Fetched ▼" in visible_lines(pilot.app)[0]
        assert table_of(pilot.app).row_count == 4


async def test_a_sort_that_cannot_be_saved_is_said_once_and_still_applies(
    tmp_path: Path,
) -> None:
    config = tmp_path / "a-file-not-a-folder"
    config.write_text("")
    app = Host(samples_resolver(tmp_path), config)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("s", "s")
        await wait_until(pilot, lambda: "arXiv ▲" in visible_lines(app)[0])
        warnings = [n for n in app._notifications if "sort is not remembered" in n.message]
        assert len(warnings) == 1


# --- count words -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "words"),
    [
        (Count(0), "no match"),
        (Count(1), "1 match"),
        (Count(2), "2 matches"),
        (Count(2778), "2,778 matches"),
        (Count(10_000, capped=True), "10,000+ matches"),
        (Count(1, capped=True), "1+ matches"),
    ],
)
def test_match_words(count: Count, words: str) -> None:
    assert match_words(count) == words


async def test_a_capped_count_shows_until_the_exact_one_arrives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolver = make_resolver(tmp_path, clock=Clock(), offline=True, samples=False)
    fill_synthetic(resolver.cache, 10_050)  # every row's authors say "Author n"
    app = Host(resolver)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        gate = threading.Event()
        exact_count = resolver.cache.count_unless

        def held_count(filter_text: str, should_stop: Callable[[], bool]) -> int | None:
            gate.wait(10)
            return exact_count(filter_text, should_stop)

        monkeypatch.setattr(resolver.cache, "count_unless", held_count)
        await pilot.press("slash", *"author")
        await wait_until(pilot, lambda: "10,000+ matches for “author”" in summary_text(app))
        table = table_of(app)
        assert table.row_count == 10_000
        assert table.entry_at(0) is not None  # the page is on screen before the exact count
        gate.set()
        await wait_until(pilot, lambda: "10,050 matches for “author”" in summary_text(app))
        assert table.row_count == 10_050
        await pilot.press("escape", "end")
        await wait_until(pilot, lambda: table.cursor_row == 10_049)


async def test_the_scrollbar_follows_the_row_count(tmp_path: Path) -> None:
    """The table resizes its scrollbar itself (no screen re-layout per keystroke): it must
    still appear, disappear and size its thumb for the rows listed."""
    resolver = make_resolver(tmp_path, clock=Clock(), offline=True, samples=False)
    fill_synthetic(resolver.cache, 3000)
    app = Host(resolver)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = table_of(app)
        assert table.show_vertical_scrollbar
        assert table.vertical_scrollbar.window_virtual_size == 3001
        for text, rows in (("entropy", resolver.cache.count("entropy")), ("entropy 12", None)):
            await filter_to(pilot, text)
            rows = resolver.cache.count(text) if rows is None else rows
            await wait_until(pilot, lambda r=rows: table.row_count == r)  # type: ignore[misc]
            if rows + 1 > table.container_size.height:
                assert table.show_vertical_scrollbar
                assert table.vertical_scrollbar.window_virtual_size == rows + 1
            else:
                assert not table.show_vertical_scrollbar
        await filter_to(pilot, "")
        await wait_until(pilot, lambda: table.row_count == 3000)
        await wait_until(pilot, lambda: table.show_vertical_scrollbar)
        assert table.vertical_scrollbar.window_virtual_size == 3001
