"""Truthful, never-lost state: one toast saying what a refresh really did, an error line
that stays until the next edit, a failed start-up query explained in the pane, and keys and
focus kept while a slow lookup runs (a gated mock transport, no sleeps)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from pith_tui.cli import main as cli_main
from pith_tui.cli.browse_cmd import browse_parser, chosen_theme
from pith_tui.core.keys import PinnedKey
from pith_tui.core.settings import save_theme, saved_theme
from pith_tui.tui.app import PithApp
from pith_tui.tui.widgets.hanging_list import HangingList
from pith_tui.tui.widgets.lookup_input import LookupInput
from tests.tui_support import (
    LABEL_NOISE,
    LABEL_NOISE_ID,
    LARGE_BATCH,
    SHARP_MINIMA,
    FakePith,
    make_resolver,
    notifications,
    screen_text,
    settle,
    type_text,
    wait_until,
)

SIZE = (120, 40)


class RefusingPith(FakePith):
    """Serves documents until `refuse` is set; then every connection is refused."""

    def __init__(self) -> None:
        super().__init__()
        self.refuse = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self.refuse:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        return super().handler(request)


class GatedPith(FakePith):
    """Holds every answer until the test opens the gate: a lookup as slow as the test wants."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.waiting = 0

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        self.waiting += 1
        await self.gate.wait()
        return self.handler(request)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.async_handler)


def box_of(app: PithApp) -> LookupInput:
    return app.main_screen.query_one(LookupInput)


def error_line(app: PithApp) -> str:
    widget = app.main_screen.query_one("#lookup-error")
    return str(widget.render()) if widget.display else ""


async def test_refresh_with_a_refused_connection_says_it_was_not_refreshed(
    tmp_path: Path,
) -> None:
    pith = RefusingPith()
    app = PithApp(make_resolver(tmp_path, pith=pith, samples=False), initial_query=LABEL_NOISE)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert app.main_screen.view.source == "network"
        app.clear_notifications()
        pith.refuse = True
        await pilot.press("r")
        await settle(pilot)
        toasts = notifications(app)
        assert len(toasts) == 1, toasts
        severity, title, message = toasts[0]
        assert (severity, title) == ("warning", "Not refreshed")
        assert "was not fetched again (cannot reach pith.science" in message
        assert "connection was refused" in message
        assert "Re-verified the cached copy instead: ✓ VERIFIED" in message
        assert "fetched again and re-verified" not in message


async def test_refresh_offline_says_so_once(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, offline=True), initial_query=LABEL_NOISE)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        app.clear_notifications()
        await pilot.press("r")
        await settle(pilot)
        toasts = notifications(app)
        assert len(toasts) == 1, toasts
        severity, title, message = toasts[0]
        assert (severity, title) == ("warning", "Offline: not refreshed")
        assert "was not fetched again (offline)" in message
        assert "Re-verified the cached copy instead: ✓ VERIFIED" in message


async def test_a_refresh_that_reached_the_network_says_refreshed(tmp_path: Path) -> None:
    pith = FakePith()
    app = PithApp(make_resolver(tmp_path, pith=pith, samples=False), initial_query=LABEL_NOISE)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        app.clear_notifications()
        before = pith.total_hits
        await pilot.press("r")
        await settle(pilot)
        assert pith.total_hits > before
        assert [(s, t) for s, t, _m in notifications(app)] == [("information", "Refreshed")]
        assert "fetched again and re-verified: ✓ VERIFIED" in notifications(app)[0][2]


async def test_an_error_line_stays_until_the_next_edit(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, pith=FakePith()), initial_query=LABEL_NOISE)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "2401.99999")
        await pilot.press("enter")
        await settle(pilot)
        assert "Not found" in error_line(app) and "2401.99999" in error_line(app)
        app.clear_notifications()  # the toast fades; the line stays
        await pilot.pause()
        assert "Not found" in error_line(app)
        box = box_of(app)
        assert box.has_focus and box.value == "2401.99999"
        assert box.selected_text == "2401.99999"  # typing replaces it
        await type_text(pilot, "2106")
        assert box.value == "2106"
        await wait_until(pilot, lambda: error_line(app) == "")
        assert app.main_screen.view.pith_id == LABEL_NOISE_ID  # the record stayed


async def test_a_failed_start_up_query_says_why_in_the_pane(tmp_path: Path) -> None:
    app = PithApp(
        make_resolver(tmp_path, pith=FakePith(), samples=False), initial_query="2401.99999"
    )
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        body = app.main_screen.query_one("#metadata-body", HangingList).plain
        assert "Could not open 2401.99999" in body and "Not found" in body
        assert "Not found" in error_line(app)
        assert box_of(app).has_focus


async def test_keys_typed_during_a_slow_lookup_are_kept(tmp_path: Path) -> None:
    pith = GatedPith()
    app = PithApp(make_resolver(tmp_path, pith=pith, samples=False))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.pop_screen()  # the empty cache opened the cache review
        await pilot.press("slash")
        await type_text(pilot, SHARP_MINIMA)
        await pilot.press("enter")
        await wait_until(pilot, lambda: pith.waiting > 0)
        await type_text(pilot, " x")  # typed while the lookup waits
        pith.gate.set()
        await settle(pilot)
        assert app.main_screen.view.arxiv_id == SHARP_MINIMA
        box = box_of(app)
        assert box.has_focus and box.value == f"{SHARP_MINIMA} x"


async def test_focus_moved_during_a_slow_lookup_stays_put(tmp_path: Path) -> None:
    pith = GatedPith()
    resolver = make_resolver(tmp_path, pith=pith, samples=False)
    app = PithApp(resolver)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.pop_screen()
        await pilot.press("slash")
        await type_text(pilot, SHARP_MINIMA)
        await pilot.press("enter")
        await wait_until(pilot, lambda: pith.waiting > 0)
        await wait_until(pilot, lambda: app.main_screen.query_one("#aliases").loading)
        await pilot.press("escape", "3")  # leave the box, go to the aliases pane
        pith.gate.set()
        await settle(pilot)
        await wait_until(pilot, lambda: app.main_screen.view is not None)
        await wait_until(
            pilot, lambda: app.focused is not None and app.focused.id == "aliases-table"
        )


async def test_a_lookup_from_the_box_moves_to_the_record_when_it_arrives(tmp_path: Path) -> None:
    pith = GatedPith()
    app = PithApp(make_resolver(tmp_path, pith=pith, samples=False))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.pop_screen()
        await pilot.press("slash")
        await type_text(pilot, SHARP_MINIMA)
        await pilot.press("enter")
        await wait_until(pilot, lambda: pith.waiting > 0)
        assert box_of(app).has_focus  # not moved before the record is there
        pith.gate.set()
        await settle(pilot)
        await wait_until(pilot, lambda: app.focused is not None and app.focused.id == "metadata")


# --- the theme ---------------------------------------------------------------------------


def test_an_unknown_theme_is_a_usage_error_listing_the_themes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = cli_main(["--theme", "nosuch", "--offline", LABEL_NOISE])
    assert code == 2
    err = capsys.readouterr().err
    assert "no theme 'nosuch'" in err and "textual-light" in err and "nord" in err


async def test_a_theme_chosen_in_the_app_is_remembered(tmp_path: Path) -> None:
    config = tmp_path / "config"
    resolver = make_resolver(tmp_path, offline=True)
    app = PithApp(resolver, initial_query=LABEL_NOISE, remember_theme=True, config_dir=config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.theme = "nord"
        await wait_until(pilot, lambda: saved_theme(config) == "nord")
    args = browse_parser().parse_args(["--offline"])
    assert chosen_theme(args) == "nord"  # PITH_TUI_CONFIG_DIR is tmp_path/config
    assert chosen_theme(browse_parser().parse_args(["--theme", "dracula"])) == "dracula"


async def test_a_theme_given_by_flag_is_remembered(tmp_path: Path) -> None:
    config = tmp_path / "config"
    resolver = make_resolver(tmp_path, offline=True)
    app = PithApp(
        resolver, initial_query=LABEL_NOISE, theme="gruvbox", remember_theme=True, config_dir=config
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "gruvbox"
        await wait_until(pilot, lambda: saved_theme(config) == "gruvbox")


def test_a_broken_settings_file_is_no_settings(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "settings.json").write_text("{not json")
    assert saved_theme(config) is None
    (config / "settings.json").write_text('{"theme": "nosuch"}')
    assert chosen_theme(browse_parser().parse_args([])) is None  # unknown: the default
    save_theme("nord", config)
    assert json.loads((config / "settings.json").read_text()) == {"theme": "nord"}


async def test_a_lookup_from_the_cache_verifies_each_signature_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cached copy is verified off the event loop and not again on it."""
    checks: list[str] = []
    verify_key = PinnedKey.verify

    def counting(self: PinnedKey, message: bytes, signature_b64: str) -> bool:
        checks.append(signature_b64)
        return verify_key(self, message, signature_b64)

    app = PithApp(make_resolver(tmp_path, offline=True), initial_query=LABEL_NOISE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        monkeypatch.setattr(PinnedKey, "verify", counting)
        app.main_screen.lookup(LARGE_BATCH)
        await settle(pilot)
        assert app.main_screen.view.arxiv_id == LARGE_BATCH
        # The bundle: its receipt, its two events, its bundle signature; each once.
        assert len(checks) == 4 and len(set(checks)) == 4


async def test_a_long_query_scrolls_the_lookup_box_to_the_cursor(tmp_path: Path) -> None:
    """The box repaints on each key without a layout; it still scrolls with the text."""
    app = PithApp(make_resolver(tmp_path, offline=True), initial_query=LABEL_NOISE)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        box = box_of(app)
        box.value = ""
        text = "x" * 90 + "THE-END"
        await type_text(pilot, text)
        assert box.value == text
        await pilot.pause()
        assert box.scroll_x > 0
        assert "THE-END" in screen_text(app).splitlines()[2]
