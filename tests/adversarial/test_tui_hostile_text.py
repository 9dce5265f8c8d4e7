"""Hostile text in signed documents, shown by the real TUI (issue #5, "Hostile text").

Every `corpus.HOSTILE_TEXTS` entry is put in the title, the authors, an alias (kind, value and
created time) and an event (payload, target and signer type of a bundle's correction event) of
a document signed with the test key, pinned through the config dir, so it VERIFIES: the point
is verified-but-hostile text. (An alias of an unknown kind cannot be checked, so that document
is INCOMPLETE, `corpus.HOSTILE_EXPECT`; its text must be just as inert.) One `PithApp` per field (`run_test(size=(120, 40),
notifications=True)`) looks every document of that field up in turn, and for each one:

* the record verifies; the verdict banner reads exactly what the report says (its widget and
  its rows on screen); the badge column of the checks holds only pith-tui's own badges and
  report headings (a check's detail may quote record text, e.g. an unknown alias kind, but
  only in the detail column); and the screen has exactly one verdict mark besides those inside
  literal record text;
* the screen text (the compositor's strips) has no character of `unsafe_chars()` (ESC, C0/C1,
  DEL, bidi, zero-width...), and it shows the sanitizer's visible form (`<U+001B>`...) of the
  data, markup (`[link=https://example.invalid]`, `:white_check_mark:`) included, literally;
* no rendered segment of the metadata pane, the timeline's event detail or the aliases table
  carries a link or an `@click` meta, no segment anywhere links to example.invalid, and no
  emoji made from a shortcode (✅ ✔ 🔒) is on screen;
* the bytes: Textual's headless driver writes nothing (its `write` is a no-op; we wrap it
  anyway and assert on whatever it was given), so we render what the real driver would write:
  `compositor.render_update(full=True).render_segments(console)` with a real
  `rich.console.Console(force_terminal=True, color_system="truecolor")`, as `App._display`
  does. In those bytes every ESC starts a CSI sequence (no OSC 52/8/0/2, DCS or ST at all), no
  C1, BEL, BS, CR, bidi or invisible character appears, and none of the data's own non-SGR CSI
  sequences (`ESC[2J`, `ESC[1A`...) does.

A document that FAILS (hostile title, signed; its DOI alias tampered after signing to the
hostile text, which the failing check quotes) must give a warning toast with no unsafe
character, markup shown literally and no link. The command palette lists a cached hostile
title literally, without a link. Outcomes go to the robustness log (category "hostile-text",
via "tui"), like the rest of the adversarial suite.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import DataTable

from pith_tui.core.sanitize import clean_multiline, clean_text
from pith_tui.core.verify import Status, Verdict
from pith_tui.tui.app import PithApp
from pith_tui.tui.badges import VERDICT_LABELS, badge
from pith_tui.tui.present import JSON_MAX_CHARS, report_heading, verdict_content
from pith_tui.tui.widgets.hanging_list import HangingList
from tests.adversarial.conftest import Robustness
from tests.adversarial.corpus import (
    HOSTILE_EXPECT,
    HOSTILE_TEXTS,
    MARKUP_TEXT_IDS,
    hostile_document,
    unsafe_chars,
)
from tests.signing import dumps, make_record
from tests.tui_support import (
    FakePith,
    cache_document,
    make_resolver,
    notifications,
    screen_text,
    settle,
    type_text,
    wait_until,
)

SIZE = (120, 40)
TUI_FIELDS = ("title", "authors", "alias", "payload")
SHORTCODE_EMOJI = ("✅", "✔", "🔒")
_CSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
_DATA_CSI = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]")


# --- reading the screen -------------------------------------------------------------------


def squash(text: str) -> str:
    """`text` without any whitespace: wrapping and cell padding do not matter."""
    return "".join(text.split())


def rows(app: PithApp, widget: Widget, within: Widget | None = None) -> list[Strip]:
    """The strips of the screen where `widget` is visible (clipped to `within`'s content)."""
    strips = app.screen._compositor.render_strips()
    region = widget.region
    if within is not None:
        region = region.intersection(within.content_region)
    return [strip.crop(region.x, region.right) for strip in strips[region.y : region.bottom]]


def rows_text(strips: list[Strip]) -> str:
    return "\n".join(strip.text for strip in strips)


def style_problems(strips: list[Strip], where: str) -> list[str]:
    """Links and click actions in rendered segments (record text must carry neither)."""
    problems = []
    for strip in strips:
        for segment in strip:
            style = segment.style
            if style is None:
                continue
            if style.link:
                problems.append(f"{where}: a link to {style.link!r} on {segment.text!r}")
            meta = style.meta
            if meta and "@click" in meta:
                problems.append(f"{where}: an action {meta!r} on {segment.text!r}")
    return problems


def screen_links(app: PithApp) -> list[str]:
    found = []
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            style = segment.style
            if style is not None and style.link and "example.invalid" in style.link:
                found.append(style.link)
            meta = style.meta if style is not None else None
            if meta and "quit" in str(meta.get("@click", "")):
                found.append(str(meta))
    return found


def terminal_bytes(app: PithApp) -> str:
    """What the real driver would write for a full repaint (see the module docstring)."""
    console = Console(
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        width=SIZE[0],
        height=SIZE[1],
        legacy_windows=False,
    )
    update = app.screen._compositor.render_update(full=True)
    return update.render_segments(console)


def bytes_problems(data: str, text: str) -> list[str]:
    problems = []
    stray = re.findall(r"\x1b(?!\[).{0,6}", data, flags=re.S)
    if stray:
        problems.append(f"bytes: ESC that starts no CSI (OSC/DCS/ST): {stray[:3]!r}")
    leftover = unsafe_chars(_CSI.sub("", data))  # Textual itself ends rows with "\n"
    if leftover:
        problems.append(f"bytes: raw unsafe characters: {leftover[:6]}")
    for sequence in set(_DATA_CSI.findall(text)):
        if not sequence.endswith("m") and sequence in data:
            problems.append(f"bytes: the data's own control sequence {sequence!r} is written")
    return problems


class WriteSpy:
    """Wraps the driver's `write` (a no-op in headless mode) to see what reaches it."""

    def __init__(self, app: PithApp) -> None:
        self.data: list[str] = []
        driver = app._driver
        assert driver is not None
        original = driver.write

        def write(data: str) -> None:
            self.data.append(data)
            original(data)

        driver.write = write  # type: ignore[method-assign]

    @property
    def text(self) -> str:
        return "".join(self.data)


# --- what each field shows, and where -----------------------------------------------------


def expected_probes(field: str, text: str) -> dict[str, str]:
    """Region name -> a whitespace-free piece of what must be visible there, literally."""
    single = squash(clean_text(text))
    if field in ("title", "authors"):
        return {"metadata": single[:400]}
    if field == "alias":
        return {"aliases": squash(clean_text(text, max_chars=200))[:30]}
    # payload: the bundle's title, the event's target (detail, top) and its payload (bottom).
    tail = squash(clean_multiline(json.dumps(text, ensure_ascii=False)))[-30:]
    if 3 * len(clean_text(text)) > JSON_MAX_CHARS:  # the payload holds the text 3 times
        tail = "…"  # too long to lay out whole: shown cut, with the mark (issue 10 §4)
    return {"metadata": single[:400], "event-detail": single[:12], "payload-tail": tail}


async def show_field(pilot: Any, app: PithApp, field: str) -> dict[str, list[Strip]]:
    """Bring the field's widgets on screen; region name -> its visible strips."""
    main = app.main_screen
    metadata = main.query_one("#metadata")
    shown = {"metadata": rows(app, main.query_one("#metadata-body"), metadata)}
    if field == "alias":
        main.show_pane("aliases")
        await pilot.pause()
        table = main.query_one("#aliases-table", DataTable)
        table.move_cursor(row=table.row_count - 1, animate=False)  # the hostile alias is last
        # The pane is half the screen wide: scroll the Value column to the left, as → would.
        table.scroll_to(x=table.ordered_columns[0].get_render_width(table), animate=False)
        await pilot.pause()
        shown["aliases"] = rows(app, table)
    elif field == "payload":
        main.show_pane("timeline")
        await pilot.pause()
        view = main.view
        index = next(i for i, e in enumerate(view.events) if e.event_type == "correction")
        table = main.query_one("#events-table", DataTable)
        table.move_cursor(row=index, animate=False)
        await pilot.pause()
        scroll = main.query_one("#event-detail-scroll")
        detail = main.query_one("#event-detail")
        shown["events"] = rows(app, table)
        shown["event-detail"] = rows(app, detail, scroll)
        scroll.scroll_end(animate=False)
        await pilot.pause()
        shown["payload-tail"] = rows(app, detail, scroll)
    return shown


def expected_verdict(field: str) -> Verdict:
    return Verdict(HOSTILE_EXPECT.get(field, (Verdict.VERIFIED.value,))[0])


def check_screen(
    app: PithApp, field: str, text_id: str, shown: dict[str, list[Strip]]
) -> list[str]:
    text = HOSTILE_TEXTS[text_id]
    main = app.main_screen
    problems: list[str] = []
    view = main.view
    expected = expected_verdict(field)
    if view is None or view.verdict is not expected:
        problems.append(f"verdict: {view.verdict if view else None}, not {expected.value}")
        return problems

    screen = screen_text(app)
    if unsafe_chars(screen):
        problems.append(f"screen: raw unsafe characters {unsafe_chars(screen)[:6]}")
    for name, probe in expected_probes(field, text).items():
        if probe not in squash(rows_text(shown[name])):
            problems.append(f"{name}: {probe[:60]!r} is not shown literally")
    for name in ("metadata", "aliases", "event-detail", "payload-tail"):
        if name in shown:
            problems += style_problems(shown[name], name)
    if screen_links(app):
        problems.append(f"screen: links or actions from record text: {screen_links(app)[:3]}")
    for emoji in SHORTCODE_EMOJI:
        if emoji in screen:
            problems.append(f"screen: {emoji!r} is on screen (a shortcode was interpreted)")
    if text_id == "markup-link" and "[link=https://example.invalid]" not in screen:
        problems.append("screen: '[link=https://example.invalid]' is not shown literally")
    if text_id == "emoji-shortcodes" and ":white_check_mark:" not in screen:
        problems.append("screen: ':white_check_mark:' is not shown literally")

    problems += badge_problems(app)
    problems += bytes_problems(terminal_bytes(app), text)
    return problems


def badge_problems(app: PithApp) -> list[str]:
    """No fake badge: the banner reads exactly the report's verdict and summary, and the
    badge column of the checks holds only pith-tui's own badges and report headings (record
    text quoted by a check's detail stays in the detail column)."""
    main = app.main_screen
    view = main.view
    assert view is not None
    problems = []
    banner = main.query_one("#verdict")
    if str(banner.content) != verdict_content(view).plain:
        problems.append(f"banner: {str(banner.content)!r}")
    lines = [line.strip() for line in rows_text(rows(app, banner)).splitlines() if line.strip()]
    if lines != verdict_content(view).plain.split("\n"):
        problems.append(f"banner on screen: {lines!r}")
    checks = main.query_one("#checks", HangingList)
    genuine = {badge(status).plain for status in Status} | {""}
    genuine |= {
        report_heading(label, r).plain[: checks.label_width].strip() for label, r in view.reports
    }
    scroll = main.query_one("#checks-scroll")
    for strip in rows(app, checks, scroll):
        label = strip.crop(0, checks.label_width).text.strip()
        if label not in genuine:
            problems.append(f"checks: {label!r} in the badge column")
    screen = screen_text(app)
    marks = screen.count(VERDICT_LABELS[view.verdict])
    literal = sum(
        screen.count(t) for t in HOSTILE_TEXTS.values() if VERDICT_LABELS[view.verdict] in t
    )
    if marks - literal != 1:
        problems.append(
            f"screen: {marks} {VERDICT_LABELS[view.verdict]!r} marks, {literal} literal"
        )
    return problems


def build(field: str, text_id: str) -> tuple[bytes, bool]:
    """(the signed document, is it a bundle)."""
    doc = hostile_document(text_id, field)
    return dumps(doc), doc.get("bundle_type") == "pith_open_graph_bundle"


# --- the tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("field", TUI_FIELDS)
async def test_hostile_text_is_shown_inertly_by_the_tui(
    field: str, robustness: Robustness, tmp_path: Path, config_with_test_key: Path
) -> None:
    pith = FakePith(real=False)
    ids = {}
    for text_id in HOSTILE_TEXTS:
        raw, is_bundle = build(field, text_id)
        ids[text_id] = pith.add_bundle(raw) if is_bundle else pith.add_record(raw)
    resolver = make_resolver(tmp_path, pith=pith, config_dir=config_with_test_key, samples=False)
    app = PithApp(resolver, initial_query=ids["fake-verdict"])
    problems: list[str] = []
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        spy = WriteSpy(app)
        await settle(pilot)
        for text_id, pith_id in ids.items():
            outcome = robustness.case(
                "hostile-text",
                f"{field}-{text_id}",
                via="tui",
                expected=expected_verdict(field).value,
            )
            app.clear_notifications()
            app.main_screen.lookup(pith_id)
            await settle(pilot)
            view = app.main_screen.view
            if view is None or view.pith_id != pith_id:
                outcome.got = "not shown"
                problems.append(f"{text_id}: the record was not opened")
                continue
            shown = await show_field(pilot, app, field)
            found = check_screen(app, field, text_id, shown)
            outcome.got = view.verdict.value if not found else f"{view.verdict.value}, not inert"
            problems += [f"{text_id}: {p}" for p in found]
            if any(sev in ("warning", "error") for sev, _t, _m in notifications(app)):
                problems.append(f"{text_id}: toasts {notifications(app)}")
        problems += bytes_problems(spy.text, "".join(HOSTILE_TEXTS.values()))
        assert app.is_running
    assert not problems, "\n".join(problems[:40])


async def test_a_failure_toast_quoting_hostile_text_is_inert(
    robustness: Robustness, tmp_path: Path, config_with_test_key: Path
) -> None:
    """Signed hostile title, DOI alias tampered to the hostile text: FAILED, and the warning
    toast (which quotes the alias) shows it literally and inertly."""
    pith = FakePith(real=False)
    ids = {}
    for text_id, text in HOSTILE_TEXTS.items():
        doc = hostile_document(text_id, "title")
        for alias in doc["aliases"]:
            if alias["alias_kind"] == "doi":
                alias["alias_value"] = text  # after signing
        ids[text_id] = pith.add_record(dumps(doc))
    resolver = make_resolver(tmp_path, pith=pith, config_dir=config_with_test_key, samples=False)
    app = PithApp(resolver, initial_query=ids["fake-verdict"])
    problems: list[str] = []
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        for text_id, pith_id in ids.items():
            text = HOSTILE_TEXTS[text_id]
            outcome = robustness.case(
                "hostile-text", f"tui-failure-toast-{text_id}", via="tui", expected="failed"
            )
            app.clear_notifications()
            await pilot.pause()
            app.main_screen.lookup(pith_id)
            await settle(pilot)
            view = app.main_screen.view
            got = view.verdict.value if view is not None and view.pith_id == pith_id else "none"
            outcome.got, outcome.false_verified = got, got == "verified"
            if got != "failed":
                problems.append(f"{text_id}: verdict {got}, not failed")
                continue
            warnings = [m for sev, _t, m in notifications(app) if sev == "warning"]
            if len(warnings) != 1 or "FAILED verification: Aliases" not in warnings[0]:
                problems.append(f"{text_id}: warning toasts {warnings!r}")
                continue
            message = warnings[0]
            if unsafe_chars(message, allow=""):
                problems.append(f"{text_id}: toast has raw {unsafe_chars(message, allow='')[:6]}")
            quoted = squash(clean_text(repr(text)))[:24]
            if quoted not in squash(message):
                problems.append(f"{text_id}: the toast does not quote {quoted!r} literally")
            await pilot.pause()
            toasts = list(app.screen.query("Toast"))
            if not toasts:
                problems.append(f"{text_id}: no toast on screen")
            strips = [s for toast in toasts for s in rows(app, toast)]
            shown = squash(rows_text(strips))
            if text_id in MARKUP_TEXT_IDS and quoted[:20] not in shown:
                problems.append(f"{text_id}: the toast on screen lacks {quoted[:20]!r}")
            problems += [f"{text_id}: {p}" for p in style_problems(strips, "toast")]
            screen = screen_text(app)
            if unsafe_chars(screen):
                problems.append(f"{text_id}: screen has raw {unsafe_chars(screen)[:6]}")
            if any(emoji in screen for emoji in SHORTCODE_EMOJI):
                problems.append(f"{text_id}: a shortcode became an emoji")
            problems += [f"{text_id}: {p}" for p in badge_problems(app)]
            problems += [f"{text_id}: {p}" for p in bytes_problems(terminal_bytes(app), text)]
    assert not problems, "\n".join(problems[:40])


async def test_the_palette_shows_a_hostile_cached_title_literally(
    robustness: Robustness, tmp_path: Path, config_with_test_key: Path
) -> None:
    resolver = make_resolver(tmp_path, config_dir=config_with_test_key, samples=False)
    text = HOSTILE_TEXTS["markup-link"]
    pith_id = cache_document(resolver, dumps(make_record("2403.49999", title=text)))
    outcome = robustness.case(
        "hostile-text", "tui-palette-markup-link", via="tui", expected="inert"
    )
    app = PithApp(resolver, initial_query=pith_id)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert app.main_screen.view is not None and app.main_screen.view.pith_id == pith_id
        await pilot.press("ctrl+p")
        await type_text(pilot, "invalid")
        await wait_until(pilot, lambda: text in screen_text(app))
        strips = app.screen._compositor.render_strips()
        problems = style_problems(strips, "palette")
        problems += bytes_problems(terminal_bytes(app), text)
        outcome.got = "inert" if not problems else "not inert"
        await pilot.press("escape")
        assert app.is_running
    assert not problems, "\n".join(problems)
