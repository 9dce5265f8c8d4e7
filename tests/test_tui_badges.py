"""The verification pane's badges: the verdict first, one chip per check in words, the
checks that need attention expanded, any chip's detail on demand, readable in every theme."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.segment import Segment
from textual.color import Color
from textual.widgets import Static

from pith_tui.core.verify import CheckId, Status
from pith_tui.core.vocab import Verdict
from pith_tui.tui.app import PithApp
from pith_tui.tui.badges import (
    MIN_CONTRAST,
    VERDICT_LABELS,
    contrast_ratio,
    readable_text,
    status_colors,
    verdict_colors,
)
from pith_tui.tui.widgets.check_chips import CheckChips
from pith_tui.tui.widgets.hanging_list import HangingList
from tests.signing import make_bundle
from tests.tui_support import (
    LABEL_NOISE,
    LARGE_BATCH,
    FakePith,
    make_resolver,
    settle,
    tamper_label_noise,
    wait_until,
)

SIZE = (120, 40)
BUNDLE_CHIPS = [
    "hash", "number", "receipt", "key", "aliases", "title", "event ids", "events",
    "subjects", "fields", "links", "bundle", "state hash", "state",
]  # fmt: skip


def chips_of(app: PithApp) -> CheckChips:
    return app.main_screen.query_one("#chips", CheckChips)


def detail_of(app: PithApp) -> tuple[str, str]:
    main = app.main_screen
    caption = str(main.query_one("#checks-caption", Static).content)
    return caption, main.query_one("#checks", HangingList).plain


async def test_a_verified_bundle_has_one_passing_chip_per_check(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, offline=True), initial_query=LARGE_BATCH)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        chips = chips_of(app)
        assert [chip.word for chip in chips.chips] == BUNDLE_CHIPS
        assert all(chip.status is Status.PASS for chip in chips.chips)
        assert chips.plain.startswith("✓ hash  ✓ number  ✓ receipt  ✓ key")
        caption, rows = detail_of(app)
        assert caption.startswith("All 14 checks passed") and rows == ""
        # The verdict comes first: the banner is above the chips.
        banner = app.main_screen.query_one("#verdict")
        assert banner.region.y < chips.region.y
        assert VERDICT_LABELS[Verdict.VERIFIED] in str(banner.content)


async def test_a_failed_record_expands_its_failing_checks(tmp_path: Path) -> None:
    resolver = make_resolver(tmp_path, pith=FakePith(), offline=True)
    tamper_label_noise(resolver)
    app = PithApp(resolver, initial_query=LABEL_NOISE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        chips = {chip.word: chip.status for chip in chips_of(app).chips}
        assert chips["hash"] is Status.FAIL
        assert chips["key"] is Status.PASS
        assert "✗ hash" in chips_of(app).plain
        caption, rows = detail_of(app)
        assert "need attention" in caption
        assert rows.startswith("✗ FAIL Canonical hash")
        assert "✓ pass" not in rows


async def test_an_incomplete_bundle_shows_the_unchecked_chip(
    tmp_path: Path, config_with_test_key: Path
) -> None:
    pith = FakePith(real=False)
    pith_id = pith.add_bundle(make_bundle("2403.00002", extra_events=("mystery_event",)))
    resolver = make_resolver(tmp_path, pith=pith, config_dir=config_with_test_key)
    app = PithApp(resolver, initial_query=pith_id)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.main_screen.view.verdict is Verdict.INCOMPLETE
        statuses = {chip.status for chip in chips_of(app).chips}
        assert statuses & {Status.NOT_CHECKED, Status.WARN}
        caption, rows = detail_of(app)
        assert "need attention" in caption and rows


async def test_arrows_and_enter_show_any_chips_full_detail(tmp_path: Path) -> None:
    app = PithApp(make_resolver(tmp_path, offline=True), initial_query=LARGE_BATCH)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await wait_until(pilot, lambda: chips_of(app).has_focus)
        await wait_until(pilot, lambda: detail_of(app)[0].startswith("Canonical hash"))
        await pilot.press("right", "right")
        await wait_until(pilot, lambda: detail_of(app)[0].startswith("Receipt signature"))
        assert "Ed25519 signature by pinned key" in detail_of(app)[1]
        await pilot.press("left", "enter")
        await wait_until(pilot, lambda: detail_of(app)[0].startswith("Pith Number"))
        await pilot.press("tab")
        await wait_until(pilot, lambda: detail_of(app)[0].startswith("All 14 checks passed"))


def test_badge_text_is_black_or_white_and_readable_on_any_colour() -> None:
    for value in range(0, 256, 5):
        for colour in (Color(value, value, value), Color(value, 255 - value, 128)):
            assert contrast_ratio(colour, readable_text(colour)) >= MIN_CONTRAST


def segment_pairs(segments: list[Segment]) -> list[tuple[str, Color, Color]]:
    pairs = []
    for segment in segments:
        style = segment.style
        if not segment.text.strip() or style is None or style.bgcolor is None:
            continue
        assert style.color is not None
        pairs.append(
            (
                segment.text,
                Color.from_rich_color(style.color),
                Color.from_rich_color(style.bgcolor),
            )
        )
    return pairs


async def test_badges_are_readable_in_every_built_in_theme(tmp_path: Path) -> None:
    """The chips' and the banner's text, as drawn, is >= 4.5:1 on its background."""
    resolver = make_resolver(tmp_path, pith=FakePith(), offline=True)
    tamper_label_noise(resolver)  # a failing chip and passing ones
    app = PithApp(resolver, initial_query=LABEL_NOISE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        themes = sorted(app.available_themes)
        assert "textual-light" in themes and len(themes) >= 10
        chips = chips_of(app)
        banner = app.main_screen.query_one("#verdict")
        for theme in themes:
            app.theme = theme
            await wait_until(pilot, lambda: app.theme_variables.get("error") is not None)
            variables = app.theme_variables
            expected = verdict_colors(variables, Verdict.FAILED)[0]
            await wait_until(pilot, lambda: banner.styles.background == expected)  # noqa: B023
            await pilot.pause()
            for status in Status:
                background, text = status_colors(variables, status)
                assert contrast_ratio(background, text) >= MIN_CONTRAST, (theme, status)
            drawn = []
            for widget in (chips, banner):
                for y in range(widget.size.height):
                    drawn += segment_pairs(list(widget.render_line(y)))
            words = "".join(text for text, _fg, _bg in drawn)
            assert "✗ hash" in words and "FAILED" in words, theme
            for text, foreground, background in drawn:
                ratio = contrast_ratio(foreground, background)
                assert ratio >= MIN_CONTRAST, (theme, text, round(ratio, 2))


@pytest.mark.parametrize("check", list(CheckId))
def test_every_check_has_a_chip_word(check: CheckId) -> None:
    assert check.chip and len(check.chip) <= 12
