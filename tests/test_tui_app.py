"""The terminal browser, driven with Textual's pilot: lookups, navigation, keys, errors,
tampering, hostile text and layout. Every network answer comes from `FakePith`."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.content import Content
from textual.widgets import DataTable, Static

from pith_tui.core.verify import Verdict
from pith_tui.tui.app import PithApp
from pith_tui.tui.commands import COMMANDS, SCOPES, bindings_for
from pith_tui.tui.screens import cache_screen
from pith_tui.tui.screens.help_screen import HelpScreen
from pith_tui.tui.screens.main_screen import MainScreen
from pith_tui.tui.screens.raw_json_screen import RawJsonScreen
from pith_tui.tui.suggester import LookupSuggester
from pith_tui.tui.widgets.check_chips import CheckChips
from pith_tui.tui.widgets.hanging_list import HangingList
from pith_tui.tui.widgets.lookup_input import LookupInput
from tests.signing import make_bundle, make_record
from tests.tui_support import (
    BASE_URL,
    HOSTILE_TITLE,
    LABEL_NOISE,
    LABEL_NOISE_ID,
    LABEL_NOISE_NUMBER,
    LABEL_NOISE_TITLE,
    LARGE_BATCH_ID,
    LARGE_BATCH_TITLE,
    SHARP_MINIMA,
    Clock,
    FakePith,
    make_resolver,
    notifications,
    pith_id_of,
    screen_text,
    settle,
    tamper_label_noise,
    type_text,
    wait_until,
)

SIZE = (120, 40)


def main_of(app: PithApp) -> MainScreen:
    return app.main_screen


def metadata_text(app: PithApp) -> str:
    return main_of(app).query_one("#metadata-body", HangingList).plain


def verification_text(app: PithApp) -> str:
    main = main_of(app)
    parts = [str(main.query_one("#verdict", Static).content)]
    parts.append(main.query_one("#chips", CheckChips).plain)
    parts.append(str(main.query_one("#checks-caption", Static).content))
    parts += [w.plain for w in main.query("#verification HangingList").results(HangingList)]
    return "\n".join(parts)


def toast_titles(app: PithApp, severity: str | None = None) -> list[str]:
    return [title for sev, title, _msg in notifications(app) if severity in (None, sev)]


async def look_up(pilot: Any, text: str) -> None:
    """Focus the lookup box with `/`, fill it in, press Enter and wait for the worker.
    (Typing key by key is tested on its own; here it would only slow the tests down.)"""
    await pilot.press("slash")
    box = pilot.app.main_screen.query_one(LookupInput)
    assert box.has_focus
    box.value = text
    await pilot.press("enter")
    await settle(pilot)


# --- lookups -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [LABEL_NOISE, "pith:4K6GSOJW", "10.48550/arXiv.2106.06530", LABEL_NOISE_NUMBER],
    ids=["arxiv", "short", "doi", "number"],
)
async def test_lookup_by_any_identifier_shows_the_record(tmp_path: Path, query: str) -> None:
    app = PithApp(make_resolver(tmp_path, pith=FakePith()))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await look_up(pilot, query)
        main = main_of(app)
        assert main.view is not None and main.view.pith_id == LABEL_NOISE_ID
        assert LABEL_NOISE_TITLE in metadata_text(app)
        assert LABEL_NOISE_NUMBER in metadata_text(app)
        assert "✓ VERIFIED" in screen_text(app)
        assert not toast_titles(app, "error")


async def test_initial_query_opens_the_bundle(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, pith=FakePith()), initial_query=f"pith:{LARGE_BATCH_ID}")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert main_of(app).view.pith_id == LARGE_BATCH_ID
        text = verification_text(app)
        assert "✓ bundle" in text and "✓ state" in text and "All 14 checks passed" in text
        assert LARGE_BATCH_TITLE in metadata_text(app)


async def test_launch_opens_the_latest_history_record(tmp_path: Path) -> None:
    resolver = make_resolver(tmp_path, pith=FakePith())
    resolver.cache.add_history("arXiv:1611.01838", "OCXKLV426LDXCCJME7JSY36CQW")
    app = PithApp(resolver)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert main_of(app).view.arxiv_id == SHARP_MINIMA


async def test_launch_without_history_opens_the_latest_cache_entry(tmp_path: Path) -> None:
    resolver = make_resolver(tmp_path, pith=FakePith())
    latest = resolver.cache.entries(limit=1)[0]
    app = PithApp(resolver)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert main_of(app).view.pith_id == latest.pith_id


async def test_launch_with_an_empty_cache_opens_the_cache_screen(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, samples=False))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, cache_screen.CacheScreen)


async def test_back_and_forward(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, pith=FakePith()), initial_query=LABEL_NOISE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await look_up(pilot, SHARP_MINIMA)
        await look_up(pilot, f"pith:{LARGE_BATCH_ID}")
        main = main_of(app)
        assert main.view.pith_id == LARGE_BATCH_ID
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert main.view.arxiv_id == SHARP_MINIMA
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert main.view.pith_id == LABEL_NOISE_ID
        assert main.check_action("back", ()) is None  # nothing further back
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert main.view.arxiv_id == SHARP_MINIMA
        # A new lookup after going back drops the forward part of the trail.
        await look_up(pilot, LABEL_NOISE)
        assert main.trail == [LABEL_NOISE_ID, "OCXKLV426LDXCCJME7JSY36CQW", LABEL_NOISE_ID]
        assert main.check_action("forward", ()) is None


async def test_refresh_fetches_again_and_reverifies(tmp_path: Path) -> None:
    pith = FakePith()
    app = PithApp(make_resolver(tmp_path, pith=pith, samples=False), initial_query=LABEL_NOISE)
    record_path = f"/pith/{LABEL_NOISE}.json"
    by_id = f"/pith/{LABEL_NOISE_ID}.json"
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert pith.hits[record_path] == 1
        assert "network" in metadata_text(app)
        await pilot.press("r")
        await settle(pilot)
        assert pith.hits[by_id] == 1
        assert "Refreshed" in toast_titles(app)
        assert main_of(app).view.verdict is Verdict.VERIFIED


async def test_copy_puts_the_pith_number_on_the_clipboard(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, pith=FakePith()), initial_query=LABEL_NOISE)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("y")
        assert app.clipboard == LABEL_NOISE_NUMBER
        assert "Copied" in toast_titles(app)


async def test_open_page_opens_the_record_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = PithApp(make_resolver(tmp_path, pith=FakePith()), initial_query=LABEL_NOISE)
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, **_: opened.append(url))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        assert opened == [f"{BASE_URL}/pith/{LABEL_NOISE_ID}"]


async def test_actions_need_a_record(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, pith=FakePith()), initial_query="2403.99999")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        main = main_of(app)
        assert main.view is None
        for action in ("refresh", "copy_number", "open_page", "raw_json", "back", "forward"):
            assert main.check_action(action, ()) is None
        assert app.clipboard == ""


# --- offline -----------------------------------------------------------------------------


async def test_offline_cached_record_opens_and_uncached_says_offline(tmp_path: Path) -> None:
    pith = FakePith()
    clock = Clock()
    resolver = make_resolver(tmp_path, pith=pith, clock=clock, samples=False)
    app = PithApp(resolver, initial_query=LABEL_NOISE)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        hits = pith.total_hits
        resolver.offline = True
        clock.advance(hours=30)
        await look_up(pilot, SHARP_MINIMA)
        assert ("error", "Offline") in [(s, t) for s, t, _m in notifications(app)]
        assert main_of(app).view.pith_id == LABEL_NOISE_ID  # the record stays
        await look_up(pilot, LABEL_NOISE)
        assert LABEL_NOISE_TITLE in metadata_text(app)
        assert "offline cache, fetched 30 h ago" in metadata_text(app)
        assert screen_text(app).splitlines()[0].strip().endswith("offline")  # the header
        assert pith.total_hits == hits


async def test_switching_offline_at_run_time_shows_in_the_header(tmp_path: Path) -> None:
    resolver = make_resolver(tmp_path, pith=FakePith())
    app = PithApp(resolver, initial_query=LABEL_NOISE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.sub_title == "pith.science"
        resolver.offline = True
        await look_up(pilot, SHARP_MINIMA)
        assert app.sub_title == "offline"


# --- errors ------------------------------------------------------------------------------


async def test_not_found_and_garbage_input_toast_and_keep_the_record(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, pith=FakePith()), initial_query=LABEL_NOISE)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await look_up(pilot, "2403.00001")
        await look_up(pilot, "hello world")
        errors = [(t, m) for s, t, m in notifications(app) if s == "error"]
        assert [t for t, _m in errors] == ["Not found", "Not an identifier"]
        assert "2403.00001" in errors[0][1]
        assert main_of(app).view.pith_id == LABEL_NOISE_ID
        assert LABEL_NOISE_TITLE in metadata_text(app)
        assert all(
            not w.loading
            for w in main_of(app).query("#metadata, #verification, #aliases, #timeline, #citations")
        )


@pytest.mark.parametrize(("status", "title"), [(500, "Server error"), (200, "Not a Pith document")])
async def test_server_failures_have_plain_titles(tmp_path: Path, status: int, title: str) -> None:
    pith = FakePith()
    if status == 200:
        pith.documents["/pith/2403.00001.json"] = b'{"hello": "world"}'
    else:
        pith.fail_with = status
    app = PithApp(make_resolver(tmp_path, pith=pith), initial_query="2403.00001")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert title in toast_titles(app, "error")


async def test_an_unexpected_worker_error_is_one_toast(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolver = make_resolver(tmp_path, pith=FakePith())

    async def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the resolver broke")

    monkeypatch.setattr(resolver, "resolve", broken)
    app = PithApp(resolver, initial_query="2403.00001")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        errors = [(t, m) for s, t, m in notifications(app) if s == "error"]
        assert errors == [("Unexpected error", "RuntimeError: the resolver broke")]
        assert all(
            not w.loading
            for w in main_of(app).query("#metadata, #verification, #aliases, #timeline, #citations")
        )
        assert app.is_running


# --- verification shown ------------------------------------------------------------------


async def test_a_tampered_cached_record_shows_failed(tmp_path: Path) -> None:
    resolver = make_resolver(tmp_path, pith=FakePith(), offline=True)
    tamper_label_noise(resolver)
    app = PithApp(resolver, initial_query=LABEL_NOISE)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        main = main_of(app)
        assert main.view.verdict is Verdict.FAILED
        assert "✗ FAILED" in screen_text(app)
        assert main.query_one("#verdict").has_class("-failed")
        rows = [
            item for item in main.query_one("#checks", HangingList).items if isinstance(item, tuple)
        ]
        assert rows[0][0].plain.startswith("✗")  # failing checks first, expanded
        assert not any(row[0].plain.startswith("✓") for row in rows)  # passes stay chips
        assert "✗ hash" in main.query_one("#chips", CheckChips).plain
        warnings = [(t, m) for s, t, m in notifications(app) if s == "warning"]
        assert warnings and "pith:4K6GSOJW FAILED verification: Canonical hash" in warnings[0][1]


async def test_an_incomplete_bundle_says_so(tmp_path: Path, config_with_test_key: Path) -> None:
    pith = FakePith(real=False)
    bundle = make_bundle("2403.00002", extra_events=("mystery_event",))
    pith_id = pith.add_bundle(bundle)
    resolver = make_resolver(tmp_path, pith=pith, config_dir=config_with_test_key)
    app = PithApp(resolver, initial_query=pith_id)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert main_of(app).view.verdict is Verdict.INCOMPLETE
        assert "! INCOMPLETE" in screen_text(app)
        assert not toast_titles(app, "warning")


async def test_server_claims_are_neutral_and_apart_from_the_checks(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, pith=FakePith()), initial_query=LABEL_NOISE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        rows = [
            item for item in main.query_one("#claims", HangingList).items if isinstance(item, tuple)
        ]
        names = [name.plain for name, _value in rows]
        claims = [value.plain for _name, value in rows]
        assert "author attested" in names and "externally anchored" in names
        assert all(value.startswith("claims: ") for value in claims)
        assert not any(symbol in value for value in claims for symbol in "✓✗!")
        heading = main.query_one("#claims-heading", Static)
        assert "not checked by pith-tui" in str(heading.content)


async def test_a_hostile_title_shows_literally_and_never_as_a_badge(
    tmp_path: Path, config_with_test_key: Path
) -> None:
    pith = FakePith(real=False)
    pith.add_record(make_record("2403.00001", title=HOSTILE_TITLE, authors="[b]Mallory[/b] :x:"))
    resolver = make_resolver(tmp_path, pith=pith, config_dir=config_with_test_key)
    app = PithApp(resolver, initial_query="2403.00001")
    async with app.run_test(size=(180, 40), notifications=True) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert HOSTILE_TITLE in text
        assert "[b]Mallory[/b] :x:" in text
        assert "✅" not in text and "❌" not in text
        title = main_of(app).query_one("#metadata-body", HangingList).items[0]
        assert isinstance(title, Content) and title.plain == HOSTILE_TITLE
        assert [span.style for span in title.spans] == ["bold"]  # no link, no click action
        assert "click" not in verification_text(app)
        assert main_of(app).view.verdict is Verdict.VERIFIED
        # The palette shows the cached title literally too.
        await pilot.press("ctrl+p")
        await type_text(pilot, "open 2403")
        await wait_until(pilot, lambda: HOSTILE_TITLE[:40] in screen_text(app))
        await pilot.press("escape")
        assert app.is_running


async def test_controls_in_record_text_are_made_visible(
    tmp_path: Path, config_with_test_key: Path
) -> None:
    pith = FakePith(real=False)
    pith.add_record(make_record("2403.00001", title="Safe\x1b]52;c;SGVsbG8=\x07 \u202eevil"))
    resolver = make_resolver(tmp_path, pith=pith, config_dir=config_with_test_key)
    app = PithApp(resolver, initial_query="2403.00001")
    async with app.run_test(size=(180, 40)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "Safe<U+001B>]52;c;SGVsbG8=<U+0007> <U+202E>evil" in text
        assert "\x1b" not in text and "\u202e" not in text


# --- keys --------------------------------------------------------------------------------


async def test_printable_keys_type_into_the_lookup_box(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, pith=FakePith()), initial_query=LABEL_NOISE)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        box = main_of(app).query_one(LookupInput)
        assert box.has_focus
        box.value = ""
        await type_text(pilot, "[]ryjco?/gn")
        assert box.value == "[]ryjco?/gn"
        assert app.screen is main_of(app)
        assert app.clipboard == ""
        assert not notifications(app)
        await pilot.press("escape")
        assert not box.has_focus
        await pilot.press("y")
        assert app.clipboard == LABEL_NOISE_NUMBER


async def test_tab_moves_between_panes(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, pith=FakePith()), initial_query=LABEL_NOISE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        seen = []
        for _ in range(4):
            await pilot.press("tab")
            seen.append(app.focused.id if app.focused else None)
        assert "checks-scroll" in seen


async def test_help_lists_every_binding(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, pith=FakePith()), initial_query=LABEL_NOISE)
    async with app.run_test(size=(120, 80)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        items = app.screen.query_one("#help-keys", HangingList).items
        rows = {
            (label.plain.split()[0], body.plain)
            for label, body in (i for i in items if isinstance(i, tuple))
        }
        headings = {item.plain for item in items if isinstance(item, Content)}
        for command in COMMANDS:
            assert (command.key_display.split()[0], command.help) in rows, command
        assert set(SCOPES.values()) <= headings
        text = screen_text(app)
        for command in COMMANDS[:8]:
            assert command.label in text and command.key_display in text
        await pilot.press("escape")
        assert app.screen is main_of(app)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        assert app.screen is main_of(app)


def test_every_binding_comes_from_the_registry() -> None:
    """The footer, the help screen and the palette cannot disagree: one registry."""
    from pith_tui.tui.widgets.aliases_pane import AliasesPane

    registry = {(c.keys, c.action) for c in COMMANDS}
    for owner in (PithApp, MainScreen, HelpScreen, RawJsonScreen, LookupInput, AliasesPane):
        own = [b for b in owner.BINDINGS if b.action not in ("quit",)]  # type: ignore[union-attr]
        assert own, owner
        for binding in own:
            assert (binding.key, binding.action) in registry, (owner, binding)
            assert binding.description, binding
    assert bindings_for("record")


async def test_command_palette_offers_actions_and_recent_records(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, pith=FakePith()), initial_query=LABEL_NOISE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await type_text(pilot, "open 1611")
        await wait_until(pilot, lambda: "Entropy-SGD" in screen_text(app))
        await pilot.press("enter")
        await settle(pilot)
        assert main_of(app).view.arxiv_id == SHARP_MINIMA
        await pilot.press("ctrl+p")
        await type_text(pilot, "copy")
        await wait_until(pilot, lambda: "Copy the Pith Number" in screen_text(app))
        await pilot.press("enter")
        await settle(pilot)
        assert app.clipboard.startswith("pith:2016:")


async def test_cache_key_opens_the_cache_screen_and_its_choice(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, pith=FakePith()), initial_query=LABEL_NOISE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, cache_screen.CacheScreen)
        app.screen.dismiss("OCXKLV426LDXCCJME7JSY36CQW")
        await settle(pilot)
        assert app.screen is main_of(app)
        assert main_of(app).view.arxiv_id == SHARP_MINIMA


# --- tabs --------------------------------------------------------------------------------


async def test_aliases_enter_copies_and_g_looks_up(tmp_path: Path) -> None:
    pith = FakePith()
    app = PithApp(make_resolver(tmp_path, pith=pith), initial_query=LABEL_NOISE)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        table = main_of(app).query_one("#aliases-table", DataTable)
        table.focus()
        await pilot.press("down", "down")  # arxiv, arxiv_version, doi
        await pilot.press("enter")
        assert app.clipboard == "10.48550/arxiv.2106.06530"
        await pilot.press("g")
        await settle(pilot)
        assert main_of(app).query_one(LookupInput).value == "10.48550/arxiv.2106.06530"
        assert main_of(app).view.pith_id == LABEL_NOISE_ID
        await pilot.press("down", "g")  # pith_short_12: copy only
        assert "Aliases" in toast_titles(app)


async def test_timeline_shows_each_event_and_its_payload(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, pith=FakePith()), initial_query=f"pith:{LARGE_BATCH_ID}")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        main.show_pane("timeline")
        await pilot.pause()
        table = main.query_one("#events-table", DataTable)
        assert table.row_count == 2
        assert str(table.get_row_at(0)[2]) == "record_created"
        assert str(table.get_row_at(0)[5]) == "✓ pass"
        table.focus()
        await pilot.press("down")
        detail = main.query_one("#event-detail", HangingList).plain
        assert detail.startswith("Event 2 of 2 · graph_snapshot")
        assert '"graph_snapshot": {' in detail
        assert "✓ pass — hash and signature by pith-v1-2026-05 valid" in detail


async def test_cited_by_enter_looks_the_citing_paper_up(
    tmp_path: Path, config_with_test_key: Path
) -> None:
    pith = FakePith()
    pith.add_record(make_record("2010.01412", title="The Citing Paper"))
    resolver = make_resolver(tmp_path, pith=pith, config_dir=config_with_test_key)
    app = PithApp(resolver, initial_query=SHARP_MINIMA)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        main.show_pane("citations")
        await pilot.pause()
        summary = str(main.query_one("#citations-summary", Static).content)
        assert summary.startswith("4 papers cite this one")
        table = main.query_one("#citations-table", DataTable)
        assert str(table.get_row_at(0)[0]) == "2010.01412"
        table.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "The Citing Paper" in metadata_text(app)


async def test_raw_json_view_searches(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, pith=FakePith()), initial_query=LABEL_NOISE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j")
        screen = app.screen
        assert isinstance(screen, RawJsonScreen)
        assert json.dumps(LABEL_NOISE_TITLE) in screen.text
        await pilot.press("slash")
        await type_text(pilot, "pith_short")
        status = screen.query_one("#match-status", Static)
        assert str(status.content) == "match 1 of 3"
        # Enter jumps to the next match and goes to the results, where n and N work.
        await pilot.press("enter")
        assert str(status.content) == "match 2 of 3"
        view = screen.json_view
        assert view.has_focus
        await pilot.press("n")
        assert str(status.content) == "match 3 of 3"
        await pilot.press("n")
        assert str(status.content) == "match 1 of 3"
        await pilot.press("N")
        assert str(status.content) == "match 3 of 3"
        match = view.search.current_match
        assert match is not None and view.cursor == match.line
        assert view.lines[match.line].text[match.start : match.end].lower() == "pith_short"
        await pilot.press("escape")
        assert app.screen is main_of(app)


# --- staleness ---------------------------------------------------------------------------


async def test_cache_age_is_shown(tmp_path: Path) -> None:
    clock = Clock()
    pith = FakePith()
    resolver = make_resolver(tmp_path, pith=pith, clock=clock, samples=False)
    app = PithApp(resolver, initial_query=LABEL_NOISE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "network" in metadata_text(app)
        clock.advance(hours=3)
        await look_up(pilot, SHARP_MINIMA)
        await look_up(pilot, LABEL_NOISE)
        assert "cache, fetched 3 h ago" in metadata_text(app)


async def test_a_stale_record_shows_at_once_then_revalidates(tmp_path: Path) -> None:
    clock = Clock()
    pith = FakePith()
    resolver = make_resolver(tmp_path, pith=pith, clock=clock, samples=False)
    gate = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        await gate.wait()
        return pith.handler(request)

    app = PithApp(resolver, initial_query=LABEL_NOISE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        clock.advance(days=2)
        resolver._http = None  # the next request uses a new client on the slow transport
        resolver._transport = httpx.MockTransport(slow)
        main_of(app).lookup(LABEL_NOISE)
        # The network has not answered: the stale copy is on screen already.
        await wait_until(pilot, lambda: main_of(app).view.source == "cache-stale")
        assert "cache, fetched 2 d ago (stale)" in metadata_text(app)
        assert "asking the network" in metadata_text(app)
        gate.set()
        await settle(pilot)
        assert "asking the network" not in metadata_text(app)
        assert main_of(app).view.source == "network"


# --- suggestions -------------------------------------------------------------------------


async def test_suggester_completes_ids_and_finds_titles(tmp_path: Path) -> None:
    resolver = make_resolver(tmp_path)
    suggester = LookupSuggester(resolver.cache)

    def first(typed: str) -> str | None:
        found = suggester.matches(typed)
        return found[0].target if found else None

    assert first("2106") == "2106.06530"
    assert suggester.matches("2106")[0].title == LABEL_NOISE_TITLE
    assert first("pith:4k6g") == "pith:4K6GSOJW"
    assert first("10.48550/arxiv.1611") == "10.48550/arXiv.1611.01838"
    titles = suggester.matches("label noise")
    assert [(s.target, s.kind) for s in titles] == [("2106.06530", "title")]
    assert suggester.matches("zzzz nothing") == []
    resolver.cache.add_history("hep-th/9901001", None)
    assert first("hep-th/99") == "hep-th/9901001"
    several = suggester.matches("pith:")  # every cached record has a short id
    assert len({s.target for s in several}) >= 4


async def test_the_dropdown_lists_matches_and_enter_opens_the_chosen_one(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, pith=FakePith()), initial_query=SHARP_MINIMA)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        box = main_of(app).query_one(LookupInput)
        box.value = ""
        await type_text(pilot, "pith:")
        await wait_until(pilot, lambda: len(box.suggestions.suggestions) >= 4)
        assert box.suggestions.display
        targets = [s.target for s in box.suggestions.suggestions]
        await pilot.press("down", "down")
        assert box.suggestions.chosen is not None
        assert box.suggestions.chosen.target == targets[1]
        assert box.has_focus and box.value == "pith:"  # the box keeps the focus
        await pilot.press("enter")
        await settle(pilot)
        assert main_of(app).view.pith_id.startswith(targets[1].removeprefix("pith:"))
        assert not box.suggestions.display


async def test_enter_on_a_title_match_opens_that_record(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, pith=FakePith()), initial_query=SHARP_MINIMA)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        box = main_of(app).query_one(LookupInput)
        box.value = ""
        await type_text(pilot, "label noise")
        await wait_until(pilot, lambda: bool(box.suggestions.suggestions))
        assert LABEL_NOISE_TITLE in screen_text(app)  # id and title in the dropdown
        await pilot.press("enter")  # not an id: the first match
        await settle(pilot)
        assert main_of(app).view.pith_id == LABEL_NOISE_ID
        assert box.value == LABEL_NOISE


async def test_suggestions_are_looked_up_off_the_event_loop_and_esc_closes_them(
    tmp_path: Path,
) -> None:
    app = PithApp(make_resolver(tmp_path, pith=FakePith()), initial_query=SHARP_MINIMA)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        box = main_of(app).query_one(LookupInput)
        threads: list[str] = []
        original = box._lookup_suggester.matches

        def spy(value: str, limit: int = 8) -> Any:
            threads.append(threading.current_thread().name)
            return original(value, limit)

        box._lookup_suggester.matches = spy  # type: ignore[method-assign]
        await pilot.press("slash")
        box.value = ""
        await type_text(pilot, "2106")
        await wait_until(pilot, lambda: box.suggestions.display)
        assert threads and threading.main_thread().name not in threads
        await pilot.press("escape")
        assert not box.suggestions.display and box.has_focus
        await pilot.press("escape")
        assert not box.has_focus


# --- start-up options --------------------------------------------------------------------


async def test_notices_and_a_bad_theme_are_toasts(tmp_path: Path) -> None:
    app = PithApp(
        make_resolver(tmp_path, pith=FakePith()),
        initial_query=LABEL_NOISE,
        theme="no-such-theme",
        notices=["the cache file was broken and moved aside"],
    )
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        shown = notifications(app)
        assert ("warning", "pith-tui", "the cache file was broken and moved aside") in shown
        assert "Theme" in toast_titles(app, "error")
        assert app.theme == "textual-dark"


async def test_a_named_theme_is_used(tmp_path: Path) -> None:
    app = PithApp(
        make_resolver(tmp_path, pith=FakePith()), initial_query=LABEL_NOISE, theme="ansi-dark"
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "ansi-dark"


# --- layout ------------------------------------------------------------------------------


@pytest.mark.parametrize("tampered", [False, True], ids=["verified", "failed"])
async def test_80x24_shows_the_verdict_and_title(tmp_path: Path, tampered: bool) -> None:
    resolver = make_resolver(tmp_path, pith=FakePith(), offline=True)
    if tampered:
        tamper_label_noise(resolver)
    app = PithApp(resolver, initial_query=LABEL_NOISE)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert ("✗ FAILED" if tampered else "✓ VERIFIED") in text
        assert "Label Noise SGD" in text
        assert "Aliases" in text and "Timeline" in text and "Cited by" in text


async def test_no_color_keeps_the_verdict_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    resolver = make_resolver(tmp_path, pith=FakePith(), offline=True)
    tamper_label_noise(resolver)
    app = PithApp(resolver, initial_query=LABEL_NOISE)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.no_color
        assert "✗ FAILED" in screen_text(app)


def test_the_core_does_not_import_textual() -> None:
    """The core runs with textual made unimportable (the TUI is the only user of it)."""
    code = (
        "import sys; sys.modules['textual'] = None\n"
        "import pkgutil, importlib, pith_tui.core as core\n"
        "for m in pkgutil.iter_modules(core.__path__):\n"
        "    importlib.import_module('pith_tui.core.' + m.name)\n"
        "import pith_tui.cli\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_pith_ids_of_made_documents_match() -> None:
    record = make_record("2403.00001")
    assert record["pith_number"].endswith(pith_id_of(record))
