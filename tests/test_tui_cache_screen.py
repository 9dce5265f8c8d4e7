"""The cache review screen (`CacheScreen`), driven with the pilot inside a tiny host app.

Everything is read from a cache in tmp_path (the four bundled real records, or synthetic
rows from `Cache.put_many`); nothing reaches the network. Behaviour is asserted with the
pilot; three SVG snapshots cover the layout.

By hand, with 100,000 synthetic rows (prints the time to the first painted frame):

    python -m tests.test_tui_cache_screen /tmp/pith-100k 100000
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.segment import Segment
from textual.app import App
from textual.widgets import Input

from pith_tui.core.cache import Cache, PutItem, StoredDocument
from pith_tui.core.errors import CacheError
from pith_tui.core.ids import index_keys
from pith_tui.core.resolver import Resolver
from pith_tui.core.timefmt import relative_time
from pith_tui.tui.screens.cache_screen import CacheScreen, DetailPane
from pith_tui.tui.widgets.cache_table import CacheTable, fit
from pith_tui.tui.widgets.confirm import ConfirmDialog
from pith_tui.tui.widgets.export_dialog import ExportDialog
from tests.tui_support import (
    FROZEN_NOW,
    HOSTILE_TITLE,
    LABEL_NOISE_ID,
    LARGE_BATCH_ID,
    SHARP_MINIMA_ID,
    Clock,
    make_resolver,
    notifications,
    settle,
    tamper_label_noise,
)

SIZE = (120, 36)
STOCHASTIC_ID = "UTTGU3KIYM6JKD6ALUV7A7CX74"  # 1704.04289
SAMPLE_IDS = {LABEL_NOISE_ID, LARGE_BATCH_ID, SHARP_MINIMA_ID, STOCHASTIC_ID}
WORDS = [
    "gradient",
    "descent",
    "stochastic",
    "bayesian",
    "inference",
    "flat",
    "minima",
    "entropy",
    "valleys",
    "label",
    "noise",
    "batch",
    "training",
    "theory",
    "deep",
    "networks",
]


class Host(App[None]):
    """Pushes the cache screen on start and records what it dismissed with."""

    def __init__(self, resolver: Resolver) -> None:
        super().__init__()
        self.resolver = resolver
        self.opened: list[str | None] = []

    def on_mount(self) -> None:
        self.push_screen(CacheScreen(self.resolver), self.opened.append)


# --- helpers -------------------------------------------------------------------------------


def synthetic_items(
    count: int, *, start: datetime = FROZEN_NOW - timedelta(days=30)
) -> Iterator[PutItem]:
    """`count` listing rows, one second apart (the last is the newest). The stored bytes are
    not a Pith document, so re-verifying one says failed; the listing does not care."""
    for index in range(count):
        digest = hashlib.sha256(f"synthetic {index}".encode()).digest()
        pith_id = base64.b32encode(digest).decode()[:26]
        arxiv_id = f"{2000 + index // 100000:04d}.{index % 100000:05d}"
        title = f"{WORDS[index % len(WORDS)].title()} {WORDS[index * 7 % len(WORDS)]} {index}"
        stored = StoredDocument(
            pith_id,
            "record",
            b"{}",
            digest.hex(),
            None,
            None,
            None,
            start + timedelta(seconds=index),
            "import",
        )
        yield PutItem(
            stored,
            f"pith:2024:{pith_id}",
            index_keys(pith_id, 2024, "arxiv", arxiv_id),
            (),
            title,
            f"Author {index % 997}",
            arxiv_id,
            "verified",
        )


def fill_synthetic(cache: Cache, count: int) -> None:
    """Fill `cache` with `count` synthetic rows in one transaction (~9,000 rows/s)."""
    cache.put_many(synthetic_items(count))


def samples_resolver(tmp_path: Path, clock: Clock | None = None) -> Resolver:
    return make_resolver(tmp_path, clock=clock or Clock(), offline=True)


def screen_of(app: App[Any]) -> CacheScreen:
    screen = app.screen
    assert isinstance(screen, CacheScreen), f"the current screen is {screen!r}"
    return screen


def table_of(app: App[Any]) -> CacheTable:
    return screen_of(app).query_one(CacheTable)


def listed_ids(app: App[Any]) -> list[str]:
    """Every row's Pith id, in order (small lists only)."""
    table = table_of(app)
    ids = [table.fetch_entry(row) for row in range(table.row_count)]
    return [entry.pith_id for entry in ids if entry is not None]


def visible_lines(app: App[Any]) -> list[str]:
    """The table as drawn: the header, then one line per visible row."""
    table = table_of(app)
    return [table.render_line(y).text for y in range(table.scrollable_content_region.height)]


def summary_text(app: App[Any]) -> str:
    return str(screen_of(app).query_one("#cache-summary").render())


def detail_text(app: App[Any]) -> str:
    return screen_of(app).query_one(DetailPane).content.plain


async def type_filter(pilot: Any, text: str) -> None:
    """Focus the filter with `/`, replace its text, and wait for the debounced query."""
    await pilot.press("slash")
    box = screen_of(pilot.app).query_one("#cache-filter", Input)
    box.value = ""
    await pilot.press(*["space" if char == " " else char for char in text])
    await pilot.pause(0.2)  # the 100 ms debounce
    await settle(pilot)


async def wait_until(pilot: Any, predicate: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.02)


def set_fetched(resolver: Resolver, pith_id: str, when: datetime) -> None:
    kind = "record" if resolver.cache.get(pith_id, "record") else "bundle"
    resolver.cache.touch(pith_id, kind, fetched_at=when)


def varied_resolver(tmp_path: Path) -> Resolver:
    """The samples fetched at different times, with every verdict state, for snapshots."""
    clock = Clock(FROZEN_NOW - timedelta(days=400))
    resolver = make_resolver(tmp_path, clock=clock, offline=True)
    clock.now = FROZEN_NOW
    set_fetched(resolver, LABEL_NOISE_ID, FROZEN_NOW - timedelta(minutes=20))
    set_fetched(resolver, LARGE_BATCH_ID, FROZEN_NOW - timedelta(hours=3))
    set_fetched(resolver, SHARP_MINIMA_ID, FROZEN_NOW - timedelta(days=2))
    resolver.cache.set_verdict(SHARP_MINIMA_ID, "failed")
    resolver.cache.set_verdict(STOCHASTIC_ID, "incomplete")
    return resolver


# --- listing -------------------------------------------------------------------------------


async def test_lists_the_samples_with_verdicts_and_counts(tmp_path: Path) -> None:
    app = Host(samples_resolver(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = table_of(app)
        assert table.row_count == 4
        assert set(listed_ids(app)) == SAMPLE_IDS
        lines = visible_lines(app)
        assert lines[0].split()[:3] == ["Pith", "Number", "arXiv"]
        rows = [line for line in lines[1:] if line.strip()]
        assert len(rows) == 4
        assert all("✓ verified" in row for row in rows)
        assert any("pith:4K6GSOJW" in row and "2106.06530" in row for row in rows)
        assert any("Label Noise SGD Provably Prefers Flat Global Minimizers" in row for row in rows)
        summary = summary_text(app)
        assert "4 records" in summary
        assert "0 failed" in summary
        assert "offline" in summary
        # The detail line shows the highlighted record's full Pith Number and authors.
        first = table.fetch_entry(0)
        assert first is not None
        assert first.pith_number in detail_text(app)
        assert first.authors.split(",")[0] in detail_text(app)


async def test_verdict_states_and_failed_count(tmp_path: Path) -> None:
    app = Host(varied_resolver(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rows = {line.split()[0]: line for line in visible_lines(app)[1:] if line.strip()}
        assert "✗ failed" in rows["pith:OCXKLV42"]
        assert "! incomplete" in rows["pith:UTTGU3KI"]
        assert "✓ verified" in rows["pith:4K6GSOJW"]
        assert "20 min ago" in rows["pith:4K6GSOJW"]
        assert "3 h ago" in rows["pith:TJ77MKGI"]
        assert "2 d ago" in rows["pith:OCXKLV42"]
        assert "13 mo ago" in rows["pith:UTTGU3KI"]
        assert "1 failed" in summary_text(app)
        # Colour backs the words: the failed cell is drawn in a different colour.
        table = table_of(app)
        y = [line[:13] for line in visible_lines(app)].index("pith:OCXKLV42")
        segments: list[Segment] = list(table.render_line(y))
        failed = next(s for s in segments if "✗ failed" in s.text)
        title = next(s for s in segments if "Entropy-SGD" in s.text)
        assert failed.style is not None and title.style is not None
        assert failed.style.color != title.style.color


async def test_hostile_title_shows_literally(tmp_path: Path) -> None:
    resolver = make_resolver(tmp_path, clock=Clock(), offline=True, samples=False)
    hostile = HOSTILE_TITLE + " \x1b[31mred\x1b]52;c;SGVsbG8=\x07 \u202eevil"
    item = next(synthetic_items(1))
    resolver.cache.put_many([PutItem(**{**item.__dict__, "title": hostile})])
    app = Host(resolver)
    async with app.run_test(size=(200, 20)) as pilot:
        await settle(pilot)
        line = visible_lines(app)[1]
        assert "[link=https://x]click[/link] :white_check_mark: [@click=app.quit]q[/]" in line
        assert "<U+001B>[31mred<U+001B>]52;c;SGVsbG8=<U+0007>" in line
        assert "<U+202E>evil" in line
        assert "\x1b" not in line and "\u202e" not in line
        for segment in table_of(app).render_line(1):
            assert segment.style is None or (segment.style.link is None and not segment.style.meta)
        detail = screen_of(app).query_one(DetailPane).content
        assert "[link=https://x]click[/link]" in detail.plain
        assert "<U+001B>" in detail.plain and "\x1b" not in detail.plain
        assert all("link" not in str(span.style) for span in detail.spans)


async def test_empty_cache(tmp_path: Path) -> None:
    app = Host(make_resolver(tmp_path, clock=Clock(), offline=True, samples=False))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "The cache is empty" in visible_lines(app)[1]
        assert "0 records" in summary_text(app)
        screen = screen_of(app)
        for action in ("open", "delete", "reverify"):
            assert screen.check_action(action, ()) is None  # shown disabled in the footer
        await pilot.press("enter", "d", "v")
        await settle(pilot)
        assert app.screen is screen


async def test_a_subclass_in_another_module_still_finds_the_stylesheet(tmp_path: Path) -> None:
    """Textual resolves a relative CSS_PATH against the subclass's file; ours is absolute."""

    class Custom(CacheScreen):
        pass

    app = App[None]()
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(Custom(samples_resolver(tmp_path)))
        await settle(pilot)
        header = table_of(app).get_component_rich_style("cache-table--header")
        assert header.bold  # a rule from cache_screen.tcss applies


# --- filter --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("entropy", {SHARP_MINIMA_ID}),  # a title word
        ("GRADIENT descent", {STOCHASTIC_ID, SHARP_MINIMA_ID, LARGE_BATCH_ID}),  # all words
        ("1704.04289", {STOCHASTIC_ID}),  # an arXiv id
        ("4K6GSOJW", {LABEL_NOISE_ID}),  # a short id
        ("tj77mkgiyvje", {LARGE_BATCH_ID}),  # a longer prefix, any case
        ("lecun", {SHARP_MINIMA_ID}),  # an author
        ("no such paper", set()),
    ],
)
async def test_filter_narrows_rows(tmp_path: Path, text: str, expected: set[str]) -> None:
    app = Host(samples_resolver(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_filter(pilot, text)
        assert set(listed_ids(app)) == expected
        assert table_of(app).row_count == len(expected)
        words = {0: "no match", 1: "1 match"}.get(len(expected), f"{len(expected)} matches")
        assert f"{words} for “{text}”" in summary_text(app)
        if not expected:
            assert "No cached record matches the filter." in visible_lines(app)[1]
        await pilot.press("escape")  # back to the list, filter kept
        assert table_of(app).has_focus
        assert set(listed_ids(app)) == expected


async def test_filter_enter_opens_the_first_match(tmp_path: Path) -> None:
    app = Host(samples_resolver(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"1611.01838", "enter")  # before the debounce fires
        await settle(pilot)
        assert app.opened == [SHARP_MINIMA_ID]


# --- sort ----------------------------------------------------------------------------------


async def test_sort_keys_cycle_and_reverse(tmp_path: Path) -> None:
    app = Host(varied_resolver(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        newest_first = [LABEL_NOISE_ID, LARGE_BATCH_ID, SHARP_MINIMA_ID, STOCHASTIC_ID]
        assert listed_ids(app) == newest_first
        assert "Fetched ▼" in visible_lines(app)[0]

        await pilot.press("S")  # reverse: oldest first
        await settle(pilot)
        assert listed_ids(app) == newest_first[::-1]
        assert "oldest first" in summary_text(app)

        await pilot.press("s")  # next column after Fetched: Pith Number, A→Z
        await settle(pilot)
        numbers = [e.pith_number for e in map(table_of(app).fetch_entry, range(4)) if e]
        assert numbers == sorted(numbers)  # "pith:2016:…" < "pith:2017:…": by year, then id
        assert listed_ids(app) == [SHARP_MINIMA_ID, STOCHASTIC_ID, LARGE_BATCH_ID, LABEL_NOISE_ID]
        assert "Pith Number ▲" in visible_lines(app)[0]

        await pilot.press("s", "s")  # arXiv id, then title
        await settle(pilot)
        titles = [
            entry.title.lower() for entry in map(table_of(app).fetch_entry, range(4)) if entry
        ]
        assert titles == sorted(titles)

        await pilot.press("s")  # verdict A→Z: failed, incomplete, verified, verified
        await settle(pilot)
        assert listed_ids(app)[:2] == [SHARP_MINIMA_ID, STOCHASTIC_ID]


async def test_clicking_a_header_sorts_by_it(tmp_path: Path) -> None:
    app = Host(samples_resolver(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = table_of(app)
        header = visible_lines(app)[0]
        x = header.index("arXiv") + table.styles.padding.left
        await pilot.click(CacheTable, offset=(x, 0))
        await settle(pilot)
        arxiv_ids = [e.arxiv_id for e in map(table.fetch_entry, range(4)) if e]
        assert arxiv_ids == sorted(arxiv_ids)  # type: ignore[type-var]
        await pilot.click(CacheTable, offset=(x, 0))  # again: reversed
        await settle(pilot)
        arxiv_ids = [e.arxiv_id for e in map(table.fetch_entry, range(4)) if e]
        assert arxiv_ids == sorted(arxiv_ids, reverse=True)  # type: ignore[type-var]


# --- open / back ---------------------------------------------------------------------------


async def test_enter_dismisses_with_the_highlighted_pith_id(tmp_path: Path) -> None:
    app = Host(varied_resolver(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert app.opened == [SHARP_MINIMA_ID]
        assert not isinstance(app.screen, CacheScreen)


async def test_clicking_the_highlighted_row_opens_it(tmp_path: Path) -> None:
    app = Host(varied_resolver(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.click(CacheTable, offset=(5, 2))  # the second row: highlight
        assert table_of(app).cursor_row == 1
        await pilot.click(CacheTable, offset=(5, 2))  # again: open
        await settle(pilot)
        assert app.opened == [LARGE_BATCH_ID]


@pytest.mark.parametrize("key", ["escape", "q"])
async def test_escape_and_q_dismiss_with_none(tmp_path: Path, key: str) -> None:
    app = Host(samples_resolver(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        assert app.opened == [None]


# --- delete --------------------------------------------------------------------------------


async def test_delete_after_confirm_removes_the_record(tmp_path: Path) -> None:
    resolver = varied_resolver(tmp_path)
    app = Host(resolver)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("down", "d")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        question = dialog.query_one("#confirm-question").render()
        assert "pith:TJ77MKGI" in str(question)
        assert dialog.focused is not None and dialog.focused.id == "confirm-no"  # safe default
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, CacheScreen)
        assert resolver.cache.get(LARGE_BATCH_ID, "bundle") is None
        assert LARGE_BATCH_ID not in resolver.cache.all_pith_ids()
        assert LARGE_BATCH_ID not in listed_ids(app)
        assert table_of(app).row_count == 3
        assert "3 records" in summary_text(app)
        assert any("Deleted pith:TJ77MKGI" in message for _, _, message in notifications(app))


@pytest.mark.parametrize("answer", ["n", "escape", "click-cancel"])
async def test_delete_cancelled_keeps_the_record(tmp_path: Path, answer: str) -> None:
    resolver = varied_resolver(tmp_path)
    app = Host(resolver)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        if answer == "click-cancel":
            await pilot.click("#confirm-no")
        else:
            await pilot.press(answer)
        await settle(pilot)
        assert isinstance(app.screen, CacheScreen)
        assert LABEL_NOISE_ID in resolver.cache.all_pith_ids()
        assert table_of(app).row_count == 4


# --- re-verify -----------------------------------------------------------------------------


async def test_reverify_all_marks_tampered_and_damaged_records_failed(tmp_path: Path) -> None:
    resolver = samples_resolver(tmp_path)
    tamper_label_noise(resolver)  # signed bytes changed: verification fails
    with sqlite3.connect(resolver.cache.path) as connection:  # not even JSON: CacheError
        connection.execute(
            "UPDATE documents SET raw = ? WHERE pith_id = ?", (b"\x00 not json", SHARP_MINIMA_ID)
        )
    connection.close()
    for pith_id in SAMPLE_IDS:  # the listing still says verified until re-verified
        assert resolver.cache.entries(filter_text=pith_id)[0].verdict == "verified"

    app = Host(resolver)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        await settle(pilot)
        verdicts = {e.pith_id: e.verdict for e in resolver.cache.entries()}
        assert verdicts == {
            LABEL_NOISE_ID: "failed",
            SHARP_MINIMA_ID: "failed",
            LARGE_BATCH_ID: "verified",
            STOCHASTIC_ID: "verified",
        }
        assert (
            "warning",
            "Re-verification",
            "Re-verified 4: 2 verified, 2 failed, 0 incomplete",
        ) in notifications(app)
        rows = {line.split()[0]: line for line in visible_lines(app)[1:] if line.strip()}
        assert "✗ failed" in rows["pith:4K6GSOJW"]
        assert "✗ failed" in rows["pith:OCXKLV42"]
        assert "✓ verified" in rows["pith:TJ77MKGI"]
        assert "2 failed" in summary_text(app)
        assert not screen_of(app).query_one("#cache-progress").has_class("-running")


def hold_reverify(resolver: Resolver, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Make re-verification wait at its start (listing the cached ids, in the screen's worker
    thread) until the returned event is set, so a test can act while it runs; a blocked
    thread also lets the pilot see an idle app."""
    gate = threading.Event()
    all_pith_ids = resolver.cache.all_pith_ids

    def held() -> list[str]:
        gate.wait(10)
        return all_pith_ids()

    monkeypatch.setattr(resolver.cache, "all_pith_ids", held)
    return gate


async def test_reverify_shows_progress_and_keeps_the_ui_responsive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolver = make_resolver(tmp_path, clock=Clock(), offline=True, samples=False)
    fill_synthetic(resolver.cache, 300)
    gate = hold_reverify(resolver, monkeypatch)
    app = Host(resolver)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await pilot.pause()
        screen = screen_of(app)
        assert screen.query_one("#cache-progress").has_class("-running")
        assert screen.check_action("reverify", ()) is None  # shown disabled while running
        # The UI works while it runs. (The cursor is checked before typing a filter, whose
        # debounced query may list afresh from row 0 on a slow machine.)
        await pilot.press("down", "down")
        await wait_until(pilot, lambda: table_of(app).cursor_row == 2)
        await pilot.press("slash", "x")
        await wait_until(pilot, lambda: screen.query_one("#cache-filter", Input).value == "x")
        gate.set()
        await settle(pilot)
        await settle(pilot)
        assert (
            "warning",
            "Re-verification",
            "Re-verified 300: 0 verified, 300 failed, 0 incomplete",
        ) in notifications(app)
        assert screen.query_one("#cache-progress-bar").percentage == 1.0
        assert resolver.cache.verdict_counts().get("failed", 0) == 300


async def test_reverify_stops_when_the_screen_closes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolver = make_resolver(tmp_path, clock=Clock(), offline=True, samples=False)
    fill_synthetic(resolver.cache, 3000)
    gate = hold_reverify(resolver, monkeypatch)
    app = Host(resolver)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("v", "escape")
        gate.set()
        await settle(pilot)
        assert app.opened == [None]

        def stopped() -> bool:
            messages = [message for _, _, message in notifications(app)]
            return any(m.startswith("Re-verification stopped after") for m in messages)

        await wait_until(pilot, stopped)  # a cancelled thread worker ends at its next check
        assert resolver.cache.verdict_counts().get("failed", 0) < 3000


# --- export --------------------------------------------------------------------------------


async def export_via_dialog(pilot: Any, directory: Path) -> None:
    await pilot.press("e")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, ExportDialog)
    box = dialog.query_one("#export-path", Input)
    assert box.value.endswith("pith-mirror")  # a suggestion in the current directory
    box.value = str(directory)
    await pilot.press("enter")
    await settle(pilot)
    await settle(pilot)


async def test_export_writes_a_static_mirror(tmp_path: Path) -> None:
    app = Host(samples_resolver(tmp_path))
    target = tmp_path / "mirror"
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await export_via_dialog(pilot, target)
        assert isinstance(app.screen, CacheScreen)
        for pith_id in SAMPLE_IDS:
            assert (target / "pith" / f"{pith_id}.json").is_file()
            assert (target / "pith" / f"{pith_id[:8]}.json").is_file()
        assert (target / "pith" / "2106.06530.json").is_file()
        assert (target / "pith" / LARGE_BATCH_ID / "bundle.json").is_file()
        toasts = [(severity, message) for severity, title, message in notifications(app)]
        assert any(
            severity == "information" and message.startswith("Exported 4 records (")
            for severity, message in toasts
        ), toasts


class FakeResult:
    def __init__(self, records: int, files: int, skipped: list[str]) -> None:
        self.records, self.files, self.skipped = records, files, skipped


async def test_export_dialog_flow_with_a_fake_exporter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Any, ...]] = []
    fake = types.ModuleType("pith_tui.core.mirror")

    def export_mirror(resolver: Any, directory: Path) -> FakeResult:
        calls.append((resolver, directory))
        return FakeResult(2, 9, ["pith:AAAAAAAA: it fails [bold]verification[/]"])

    fake.export_mirror = export_mirror  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pith_tui.core.mirror", fake)
    resolver = samples_resolver(tmp_path)
    app = Host(resolver)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await export_via_dialog(pilot, tmp_path / "out")
        assert len(calls) == 1 and calls[0][0] is resolver
        assert calls[0][1] == tmp_path / "out"
        assert (
            "warning",
            "Export",
            f"Exported 2 records (9 files) to {tmp_path / 'out'}\n"
            "Skipped 1: pith:AAAAAAAA: it fails [bold]verification[/]",
        ) in notifications(app)


async def test_export_error_is_a_toast(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("pith_tui.core.mirror")

    def export_mirror(resolver: Any, directory: Path) -> Any:
        raise CacheError(f"cannot write the mirror at {directory}: disk is full")

    fake.export_mirror = export_mirror  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pith_tui.core.mirror", fake)
    app = Host(samples_resolver(tmp_path))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await export_via_dialog(pilot, tmp_path / "full")
        assert (
            "error",
            "Export failed",
            f"The mirror was not exported: cannot write the mirror at {tmp_path / 'full'}: "
            "disk is full",
        ) in notifications(app)
        assert screen_of(app).check_action("export", ()) is True  # usable again


async def test_export_dialog_cancel_and_validation(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    app = Host(samples_resolver(tmp_path))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        box = dialog.query_one("#export-path", Input)
        box.value = "   "
        await pilot.press("enter")
        assert app.screen is dialog
        assert "Type a directory path." in str(dialog.query_one("#export-error").render())
        box.value = str(tmp_path / "a-file")
        await pilot.press("enter")
        assert app.screen is dialog
        assert "is a file" in str(dialog.query_one("#export-error").render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CacheScreen)
        assert notifications(app) == []


# --- paging --------------------------------------------------------------------------------


async def test_paging_shows_the_last_row_and_never_holds_every_row(tmp_path: Path) -> None:
    resolver = make_resolver(tmp_path, clock=Clock(), offline=True, samples=False)
    fill_synthetic(resolver.cache, 3000)
    oldest = resolver.cache.entries(sort="fetched_at", descending=False, limit=1)[0]
    app = Host(resolver)
    bound = 2 * CacheTable.MAX_PAGES * CacheTable.PAGE_SIZE
    assert bound < 3000
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = table_of(app)
        assert table.row_count == 3000
        assert "3,000 records" in summary_text(app)
        assert table.virtual_size.height == 3001  # the header line + every row, virtually
        assert table.materialised_rows <= CacheTable.PAGE_SIZE

        peak = 0
        for _ in range(8):  # page down with the keys
            await pilot.press("pagedown")
            await settle(pilot)
            peak = max(peak, table.materialised_rows)
            assert "…" not in "".join(visible_lines(app)[1:])  # every visible row is loaded
        for top in range(0, 3000, 190):  # and jump about, as the scrollbar does
            table.scroll_to(y=top, animate=False)
            await settle(pilot)
            peak = max(peak, table.materialised_rows)
            lines = visible_lines(app)[1:]
            assert "…" not in "".join(lines)
            assert lines[0].startswith("pith:")
        assert len(table.loaded_pages) == CacheTable.MAX_PAGES  # older pages were let go
        assert peak <= bound

        await pilot.press("end")
        await settle(pilot)
        assert table.cursor_row == 2999
        last_line = [line for line in visible_lines(app) if line.strip()][-1]
        assert f"pith:{oldest.pith_id[:8]}" in last_line
        assert oldest.title in last_line
        assert oldest.pith_number in detail_text(app)
        assert table.materialised_rows <= bound
        assert (3000 - 1) // CacheTable.PAGE_SIZE in table.loaded_pages

        table.scroll_home(animate=False)  # the mouse wheel / scrollbar path
        await settle(pilot)
        await settle(pilot)
        assert table.loaded_pages[0] == 0
        assert table.materialised_rows <= bound

        await pilot.press("enter")
        await settle(pilot)
        assert app.opened == [oldest.pith_id]


async def test_filter_over_many_rows_and_cursor_page(tmp_path: Path) -> None:
    resolver = make_resolver(tmp_path, clock=Clock(), offline=True, samples=False)
    fill_synthetic(resolver.cache, 3000)
    app = Host(resolver)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_filter(pilot, "entropy")
        expected = resolver.cache.count("entropy")
        assert 0 < expected < 3000
        assert table_of(app).row_count == expected
        assert f"{expected:,} matches for “entropy”" in summary_text(app)
        await pilot.press("escape", "end")
        await settle(pilot)
        last = resolver.cache.entries(filter_text="entropy", offset=expected - 1, limit=1)[0]
        assert last.pith_number in detail_text(app)


# --- units ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=-30), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(minutes=5), "5 min ago"),
        (timedelta(hours=3, minutes=59), "3 h ago"),
        (timedelta(hours=47), "47 h ago"),
        (timedelta(days=3), "3 d ago"),
        (timedelta(days=90), "3 mo ago"),
        (timedelta(days=800), "2 y ago"),
    ],
)
def test_relative_time(delta: timedelta, text: str) -> None:
    assert relative_time(FROZEN_NOW - delta, FROZEN_NOW) == text


def test_fit_cuts_and_pads_by_cells() -> None:
    assert fit("abc", 5) == "abc  "
    assert fit("abcdef", 4) == "abc…"
    assert fit("日本語の題名", 7) == "日本語…"  # wide characters count two cells
    assert fit("x", 0) == ""


# --- snapshots -----------------------------------------------------------------------------


def test_snapshot_cache_screen(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)

    assert snap_compare(
        Host(varied_resolver(tmp_path)), terminal_size=(110, 24), run_before=run_before
    )


def test_snapshot_filtered_narrow(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await type_filter(pilot, "sgd")
        await pilot.press("escape", "down")
        await settle(pilot)

    assert snap_compare(
        Host(varied_resolver(tmp_path)), terminal_size=(72, 20), run_before=run_before
    )


def test_snapshot_delete_confirm(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)

    assert snap_compare(
        Host(varied_resolver(tmp_path)), terminal_size=(110, 24), run_before=run_before
    )


# --- by hand -------------------------------------------------------------------------------


def _main(argv: list[str]) -> int:
    """Fill a cache with N synthetic rows (if empty), open the screen in this terminal, and
    print on exit: the time to the table's first frame, and for each filter typed, the time
    from the last keystroke to the filtered rows (debounce included) and the query time."""
    from pith_tui.core.session import open_session

    folder, count = Path(argv[0]), int(argv[1]) if len(argv) > 1 else 100_000
    cache = Cache.open(folder)
    if cache.count() == 0:
        started = time.perf_counter()
        fill_synthetic(cache, count)
        print(f"filled {count:,} rows in {time.perf_counter() - started:.1f} s")
    cache.close()
    resolver = open_session(cache_dir=folder, offline=True, samples=False).resolver
    marks: dict[str, float] = {}
    filters: list[tuple[str, float, float, float]] = []  # text, last key, asked, shown
    original = CacheTable.render_lines

    def timed_render_lines(self: CacheTable, crop: Any) -> Any:
        marks.setdefault("first_frame", time.perf_counter())
        return original(self, crop)

    CacheTable.render_lines = timed_render_lines  # type: ignore[method-assign]

    class TimedScreen(CacheScreen):
        def on_input_changed(self) -> None:
            marks["key"] = time.perf_counter()

        def _request_list(self, *, cursor_row: int = 0, stats: bool = False) -> None:
            marks["asked"] = time.perf_counter()
            super()._request_list(cursor_row=cursor_row, stats=stats)

        def _list_ready(self, generation: int, query: Any, *args: Any) -> None:
            super()._list_ready(generation, query, *args)
            if generation == self._list_generation and "key" in marks:
                now = time.perf_counter()
                filters.append((query.filter_text, marks["key"], marks["asked"], now))

    class ByHand(App[None]):  # not a Host: Textual runs every on_mount in the MRO
        def on_mount(self) -> None:
            marks["push"] = time.perf_counter()
            self.push_screen(TimedScreen(resolver), lambda _result: self.exit())

    ByHand().run()
    if "first_frame" in marks:
        print(
            f"push_screen -> first frame of the table: {1000 * (marks['first_frame'] - marks['push']):.0f} ms"
        )
    for text, key, asked, shown in filters:
        print(
            f"filter {text!r}: rows shown {1000 * (shown - key):.0f} ms after the last key "
            f"(query {1000 * (shown - asked):.0f} ms)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
