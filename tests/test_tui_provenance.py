"""Provenance on screen (issue 9), with the pilot: the metadata pane says where each value
comes from and shows a contradicted value as the signed one with a red mark; the raw JSON
view marks what each signature covers, hides what none covers, and searches (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.content import Content
from textual.widgets import Static

from pith_tui.core.verify import Verdict
from pith_tui.tui.app import PithApp
from pith_tui.tui.screens.raw_json_screen import RawJsonScreen
from pith_tui.tui.widgets.hanging_list import HangingList
from pith_tui.tui.widgets.json_view import JsonView
from tests.signing import dumps, make_bundle, make_record, restate_bundle, sign_event
from tests.tui_support import (
    LABEL_NOISE,
    LARGE_BATCH_ID,
    FakePith,
    make_resolver,
    real_record,
    screen_text,
    settle,
    type_text,
    wait_until,
)

SIZE = (120, 40)
SIGNED = real_record("2106.06530")["canonical_record"]["metadata"]


def _rows(app: PithApp) -> dict[str, Content]:
    """The metadata pane's labelled rows, by label."""
    items = app.main_screen.query_one("#metadata-body", HangingList).items
    return {item[0].plain: item[1] for item in items if isinstance(item, tuple)}


def _lines(app: PithApp) -> list[Content]:
    items = app.main_screen.query_one("#metadata-body", HangingList).items
    return [item for item in items if isinstance(item, Content)]


def _styles_of(content: Content, text: str) -> list[str]:
    """The styles of the spans that cover the first occurrence of `text`."""
    start = content.plain.index(text)
    return [str(span.style) for span in content.spans if span.start <= start < span.end]


def _app(tmp_path: Path, *documents: bytes, query: str, config: Path | None = None) -> PithApp:
    pith = FakePith(real=False)
    for raw in documents:
        if b"pith_open_graph_bundle" in raw[:200]:
            pith.add_bundle(raw)
        else:
            pith.add_record(raw)
    resolver = make_resolver(tmp_path, pith=pith, samples=False, config_dir=config)
    return PithApp(resolver, initial_query=query)


def _forged(**paper: Any) -> bytes:
    doc = real_record("2106.06530")
    doc["paper"].update(paper)
    return dumps(doc)


@pytest.mark.parametrize(
    ("key", "value", "label", "shown"),
    [
        ("submitted_at", "1999-01-01T00:00:00Z", "Submitted", SIGNED["submitted_at"][:10]),
        ("primary_cat", "hep-th", "arXiv", "2106.06530 v2 · cs.LG (also cs.IT"),
        ("cross_cats", ["quant-ph"], "arXiv", "(also cs.IT, math.IT, math.OC, stat.ML)"),
        (
            "license",
            "http://creativecommons.org/publicdomain/zero/1.0/",
            "Licence",
            SIGNED["license"],
        ),
    ],
)
async def test_a_forged_signed_field_shows_the_signed_value_with_a_red_mark(
    tmp_path: Path, key: str, value: Any, label: str, shown: str
) -> None:
    app = _app(tmp_path, _forged(**{key: value}), query=LABEL_NOISE)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert app.main_screen.view is not None
        assert app.main_screen.view.verdict is Verdict.FAILED
        body = _rows(app)[label]
        first, *marks = body.plain.split("\n")
        assert shown in first
        stated = ", ".join(value) if isinstance(value, list) else value
        assert stated not in first  # the forged value is never shown as the value
        assert marks == [f"✗ the paper block says {stated}"]
        assert any("$error" in style for style in _styles_of(body, "✗"))
        text = screen_text(app)
        assert "FAILED" in text and "Paper fields" in text


@pytest.mark.parametrize(
    ("key", "where"),
    [("authors_text", "authors"), ("abstract_excerpt", "abstract"), ("headline", "headline")],
)
async def test_an_unsigned_forgery_stays_verified_and_is_marked_not_signed(
    tmp_path: Path, key: str, where: str
) -> None:
    app = _app(tmp_path, _forged(**{key: "Mallory Forger"}), query=LABEL_NOISE)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert app.main_screen.view is not None
        assert app.main_screen.view.verdict is Verdict.VERIFIED
        lines = _lines(app)
        if where == "authors":
            authors = lines[2]
            assert authors.plain == "Mallory Forger · not signed"
            assert "$text-muted" in _styles_of(authors, "not signed")
        elif where == "abstract":
            heading = next(line for line in lines if line.plain.startswith("Abstract"))
            assert heading.plain == "Abstract (excerpt) · not signed"
            assert lines[-1].plain == "Mallory Forger"
        else:
            assert _rows(app)["Headline"].plain == "Mallory Forger · not signed"
        assert "not signed" in screen_text(app)


async def test_signed_values_carry_no_tag_and_the_legend_says_what_signs_them(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path, dumps(real_record("2106.06530")), query=LABEL_NOISE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rows = _rows(app)
        assert rows["Submitted"].plain == "2021-06-11"
        assert rows["Licence"].plain == SIGNED["license"]
        assert rows["Signed by"].plain == (
            "the record's receipt (key pith-v1-2026-05) · every unmarked value"
        )
        check = _lines(app)[1]
        assert check.plain == "✓ checked against its signed hash"


async def test_a_bundle_names_the_event_its_authors_come_from(tmp_path: Path) -> None:
    bundle = real_record("bundle")
    event_id = bundle["events"][1]["event_id"]
    app = _app(tmp_path, dumps(bundle), query=LARGE_BATCH_ID)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        authors = _lines(app)[2]
        assert authors.plain == (
            f"Xiaowu Dai, Yuhua Zhu · from the graph_snapshot event {event_id[:15]}…"
        )
        assert _rows(app)["Signed by"].plain == (
            "the bundle's receipt + the bundle signature (key pith-v1-2026-05)"
            " · every unmarked value"
        )


async def test_a_record_and_bundle_with_other_authors_warn_naming_both(
    tmp_path: Path, config_with_test_key: Path
) -> None:
    record = make_record("2403.00005", title="Both Halves", authors="Mallory Forger")
    bundle = make_bundle("2403.00005", title="Both Halves")
    app = _app(
        tmp_path, dumps(record), dumps(bundle), query="2403.00005", config=config_with_test_key
    )
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        view = app.main_screen.view
        assert view is not None and view.bundle is not None and view.record is not None
        assert view.verdict is Verdict.VERIFIED
        authors = _lines(app)[2]
        first, mark = authors.plain.split("\n")
        assert first.startswith("Ada Lovelace, Alan Turing · from the graph_snapshot event")
        assert mark == "! the record's paper block says Mallory Forger"
        assert any("$warning" in style for style in _styles_of(authors, "!"))
        checks = app.main_screen.query_one("#checks", HangingList).plain
        assert "Record and bundle" in checks
        assert "'Mallory Forger'" in checks and "'Ada Lovelace, Alan Turing'" in checks


async def test_a_title_that_fails_its_hash_is_marked_on_screen(tmp_path: Path) -> None:
    app = _app(tmp_path, _forged(title="A Title Nobody Signed"), query=LABEL_NOISE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        title, check = _lines(app)[:2]
        assert title.plain == "A Title Nobody Signed"
        assert check.plain == "✗ does not match the signed title hash"
        assert any("$error" in style for style in _styles_of(check, "✗"))


# --- the raw JSON view -------------------------------------------------------------------------


async def _open_raw(pilot: Any, app: PithApp) -> RawJsonScreen:
    await settle(pilot)
    await pilot.press("j")
    await wait_until(pilot, lambda: isinstance(app.screen, RawJsonScreen))
    screen = app.screen
    assert isinstance(screen, RawJsonScreen)
    return screen


def _line_of(screen: RawJsonScreen, needle: str, start: int = 0) -> int:
    return next(i for i, item in enumerate(screen.items) if i >= start and needle in item.line.text)


async def test_the_raw_view_marks_what_covers_each_part(tmp_path: Path) -> None:
    app = _app(tmp_path, _forged(primary_cat="hep-th"), query=LABEL_NOISE)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_raw(pilot, app)
        view = screen.json_view
        marks = {
            '"authors_text"': "○",
            '"canonical_record": {': "✓",
            '"pith_number"': "≡",
            '"primary_cat": "hep-th"': "✗",
            '"verification_status": {': "○",
        }
        for needle, mark in marks.items():
            assert view.lines[_line_of(screen, needle)].mark == mark, needle
        legend = str(screen.query_one("#coverage-legend", Static).content)
        assert "✓ signed" in legend and "○ outside every signature" in legend
        forged = _line_of(screen, '"primary_cat": "hep-th"')
        view.move_cursor(forged)
        await pilot.pause()
        line = str(screen.query_one("#coverage-line", Static).content)
        assert line == (
            "✗ record: paper.primary_cat — contradicts the signed record: "
            "canonical_record says 'cs.LG'"
        )
        await pilot.press("down")
        assert view.cursor == forged + 1
        line = str(screen.query_one("#coverage-line", Static).content)
        assert line.startswith("○ record: paper.authors_text — outside every signature")


async def test_s_hides_what_no_signature_covers_and_shows_it_again(tmp_path: Path) -> None:
    app = _app(tmp_path, _forged(authors_text="Mallory Forger"), query=LABEL_NOISE)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_raw(pilot, app)
        view = screen.json_view
        canonical = _line_of(screen, '"canonical_record": {')
        view.move_cursor(canonical)
        assert "Mallory Forger" in view.text
        await pilot.press("s")
        assert screen.signed_only
        assert "Mallory Forger" not in view.text and "verification_status" not in view.text
        assert '"canonical_record": {' in view.text and '"title": ' in view.text
        assert "only what a signature covers" in view.lines[0].text
        # what stays outside every signature is only the containers that lead to signed parts
        outside = [line.text.strip() for line in view.lines[1:] if line.mark == "○"]
        assert outside and all(text.endswith(("{", "[", "}", "},", "]", "],")) for text in outside)
        assert view.lines[view.cursor].text.strip() == '"canonical_record": {'  # kept its place
        await pilot.press("s")
        assert not screen.signed_only and "Mallory Forger" in view.text


async def test_a_bundle_in_the_raw_view_marks_its_events(tmp_path: Path) -> None:
    app = _app(tmp_path, dumps(real_record("bundle")), query=LARGE_BATCH_ID)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_raw(pilot, app)
        view = screen.json_view
        assert view.lines[_line_of(screen, '"event_type": "graph_snapshot"')].mark == "◆"
        assert view.lines[_line_of(screen, '"built_at"')].mark == "✓"
        assert view.lines[_line_of(screen, '"bundle_signature": {')].mark == "○"
        await pilot.press("s")
        assert '"bundle_signature"' not in view.text and '"built_at"' in view.text


async def test_the_raw_search_highlights_every_match_and_home_end_move(tmp_path: Path) -> None:
    app = _app(tmp_path, dumps(real_record("2106.06530")), query=LABEL_NOISE)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open_raw(pilot, app)
        view = screen.json_view
        await pilot.press("slash")
        await type_text(pilot, "cs.")
        status = screen.query_one("#match-status", Static)
        total = len(view.search.matches)
        assert total > 3 and str(status.content) == f"match 1 of {total}"
        # Every match on screen is drawn highlighted, the current one differently.
        match_bg = view.get_component_rich_style("json-view--match").bgcolor
        current_bg = view.get_component_rich_style("json-view--current-match").bgcolor
        assert match_bg is not None and current_bg is not None and match_bg != current_bg
        top = int(view.scroll_offset.y)
        height = view.scrollable_content_region.height
        visible = [
            m for m in view.search.matches if top <= view._line_rows(m.line)[0] < top + height
        ]
        drawn = [
            segment
            for y in range(height)
            for segment in view.render_line(y)
            if segment.style is not None and segment.style.bgcolor in (match_bg, current_bg)
        ]
        assert len(visible) >= 2 and len(drawn) == len(visible)
        assert all(segment.text.lower() == "cs." for segment in drawn)
        assert sum(s.style.bgcolor == current_bg for s in drawn) == 1  # type: ignore[union-attr]
        # Enter goes to the results; n/N work there.
        await pilot.press("enter")
        assert view.has_focus and str(status.content) == f"match 2 of {total}"
        await pilot.press("N", "N")
        assert str(status.content) == f"match {total} of {total}"
        # End and Home go to the last and first lines, and scroll there.
        await pilot.press("end")
        await pilot.pause()
        assert view.cursor == len(view.lines) - 1
        assert view.scroll_offset.y == view.max_scroll_y > 0
        await pilot.press("home")
        await pilot.pause()
        assert view.cursor == 0 and view.scroll_offset.y == 0
        await pilot.press("pagedown")
        assert view.cursor > 10
        await pilot.press("slash")
        await type_text(pilot, "zzz")
        assert str(status.content) == "no match for 'zzz'"  # the box's text was selected
        await pilot.press("escape")
        assert view.has_focus
        await pilot.press("escape")
        assert app.screen is app.main_screen


async def test_a_long_line_wraps_and_a_match_at_its_end_is_scrolled_into_view(
    tmp_path: Path, config_with_test_key: Path
) -> None:
    title = "word " * 2000 + "NEEDLE"
    app = _app(
        tmp_path,
        dumps(make_record("2403.00009", title=title)),
        query="2403.00009",
        config=config_with_test_key,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open_raw(pilot, app)
        view = screen.json_view
        assert isinstance(view, JsonView)
        await pilot.press("slash")
        await type_text(pilot, "needle")
        match = view.search.current_match
        assert match is not None
        count = view._line_rows(match.line)[1]
        assert count > 50  # wrapped, not cut
        top = int(view.scroll_offset.y)
        rows = [view._rows[r] for r in range(top, top + view.scrollable_content_region.height)]
        assert any(line == match.line and start <= match.start < end for line, start, end in rows)


async def test_the_signed_snapshot_fields_of_a_bundle_survive_resigning(
    tmp_path: Path, config_with_test_key: Path
) -> None:
    bundle = make_bundle("2403.00007", title="A Signed Snapshot")
    event = bundle["events"][1]
    event["payload"]["graph_snapshot"]["paper"]["primary_cat"] = "hep-th"
    bundle["events"][1] = sign_event(event)
    raw = dumps(restate_bundle(bundle))
    pith_id = json.loads(raw)["pith_number"].rsplit(":", 1)[1]
    app = _app(tmp_path, raw, query=pith_id, config=config_with_test_key)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.main_screen.view
        assert view is not None and view.verdict is Verdict.FAILED
        body = _rows(app)["arXiv"]
        assert body.plain.split("\n")[0].startswith("2403.00007 v1 · cs.LG")
        assert "✗ the graph_snapshot event sha256:" in body.plain


async def test_the_aliases_tab_says_which_alias_derives_from_the_signed_record(
    tmp_path: Path,
) -> None:
    from textual.widgets import DataTable

    doc = real_record("2106.06530")
    doc["aliases"].append({"alias_kind": "isbn", "alias_value": "0-000", "created_at": ""})
    app = _app(tmp_path, dumps(doc), query=LABEL_NOISE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.main_screen.query_one("#aliases-table", DataTable)
        checked = [str(table.get_row_at(row)[3]) for row in range(table.row_count)]
        assert checked == [
            *(["✓ derived from the signed record"] * 6),
            "– not checked: no known derivation",
        ]
        assert app.main_screen.view is not None
        assert app.main_screen.view.verdict is Verdict.INCOMPLETE
