"""One gate to the terminal (issue 10 §4): toasts, titles and pathological text.

`PithApp.notify` is the one place a toast is made (`Widget.notify` calls it): it sanitizes
and bounds the message and the title and turns markup off whatever the caller asked. These
tests drive it with every `corpus.HOSTILE_TEXTS` entry from the app and from a widget deep
in the screen, put the same text in the header's title and sub-title, and check what is
on screen and what the real driver would write. A record whose title, authors and
abstract are zero-width joiners (a million in the title, what fits the 4 MiB document limit;
signed, so it verifies) must be painted and left at once: the text is cut before layout. Outcomes go to the robustness log, category
"terminal-gate".
"""

from __future__ import annotations

import time
from pathlib import Path

from textual.widget import Widget

from pith_tui.core.vocab import Verdict
from pith_tui.tui.app import TITLE_MAX_CHARS, TOAST_MAX_CHARS, TOAST_TITLE_MAX_CHARS, PithApp
from pith_tui.tui.widgets.hanging_list import HangingList
from tests.adversarial.conftest import Robustness
from tests.adversarial.corpus import HOSTILE_TEXTS, unsafe_chars
from tests.adversarial.test_tui_hostile_text import (
    SIZE,
    bytes_problems,
    rows,
    rows_text,
    style_problems,
    terminal_bytes,
)
from tests.signing import dumps, make_record
from tests.tui_support import cache_document, make_resolver, screen_text, settle, wait_until

ZWJ_COUNT = 1_000_000


def _toast_problems(app: PithApp, text_id: str) -> list[str]:
    problems = []
    for notification in app._notifications:
        if notification.markup:
            problems.append(f"{text_id}: a toast with markup on")
        for part, bound in ((notification.message, TOAST_MAX_CHARS), (notification.title, 80)):
            if unsafe_chars(part, allow=""):
                problems.append(f"{text_id}: raw {unsafe_chars(part, allow='')[:6]} in a toast")
            if len(part) > bound:
                problems.append(f"{text_id}: a toast part of {len(part)} characters")
    return problems


async def test_every_toast_and_title_passes_the_one_gate(
    robustness: Robustness, tmp_path: Path
) -> None:
    resolver = make_resolver(tmp_path)
    app = PithApp(resolver, initial_query="2106.06530")
    problems: list[str] = []
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        deep: Widget = app.main_screen.query_one("#metadata")
        for text_id, text in HOSTILE_TEXTS.items():
            outcome = robustness.case(
                "terminal-gate", f"toast-and-title-{text_id}", via="tui", expected="inert"
            )
            app.clear_notifications()
            # Markup asked for on purpose: the gate must turn it off.
            app.notify(text, title=text, severity="warning", markup=True)
            deep.notify(text * 3, title=text, severity="error", markup=True)
            app.title = text
            app.sub_title = text
            await wait_until(pilot, lambda: len(app.screen.query("Toast")) == 2)
            found = _toast_problems(app, text_id)
            toasts = list(app.screen.query("Toast"))
            strips = [s for toast in toasts for s in rows(app, toast)]
            found += style_problems(strips, "toast")
            header = app.screen.query_one("Header")
            header_strips = rows(app, header)
            found += style_problems(header_strips, "header")
            if len(rows_text(header_strips).strip()) > 2 * TITLE_MAX_CHARS + 10:
                found.append("the header is not bounded")
            screen = screen_text(app)
            if unsafe_chars(screen):
                found.append(f"raw {unsafe_chars(screen)[:6]} on screen")
            found += bytes_problems(terminal_bytes(app), text)
            outcome.got = "inert" if not found else "not inert"
            outcome.passed = not found
            problems += [f"{text_id}: {p}" for p in found]
        assert app.is_running
    assert not problems, "\n".join(problems[:40])
    assert TOAST_TITLE_MAX_CHARS == 80  # the bound _toast_problems checks


async def test_a_million_zero_width_joiners_are_cut_before_layout(
    robustness: Robustness, tmp_path: Path, config_with_test_key: Path
) -> None:
    """A million ZWJs in the title (3 MB of UTF-8), 150,000 in the authors and the abstract:
    shown cut, painted and left at once (the time is logged next to a plain record's; the
    bound asserted is the text's)."""
    resolver = make_resolver(tmp_path, config_dir=config_with_test_key, samples=False)
    doc = make_record("2403.47777", title="\u200d" * ZWJ_COUNT, authors="\u200d" * 150_000)
    doc["paper"]["abstract_excerpt"] = "\u200d" * 150_000
    pathological = cache_document(resolver, dumps(doc))
    plain = cache_document(resolver, dumps(make_record("2403.47778")))
    outcome = robustness.case(
        "terminal-gate", "million-zero-width-joiners", via="tui", expected="verified, bounded"
    )
    app = PithApp(resolver, initial_query=plain)
    timings = {}
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        for name, pith_id in (("plain", plain), ("pathological", pathological), ("plain2", plain)):
            start = time.perf_counter()
            app.main_screen.lookup(pith_id)
            await settle(pilot)
            await wait_until(
                pilot,
                lambda pid=pith_id: (
                    app.main_screen.view is not None and app.main_screen.view.pith_id == pid
                ),
            )
            await pilot.pause()
            timings[name] = time.perf_counter() - start
            if name == "pathological":
                view = app.main_screen.view
                assert view is not None and view.verdict is Verdict.VERIFIED
                metadata = app.main_screen.query_one("#metadata")
                assert "<U+200D>" in rows_text(rows(app, metadata))
                # What the pane lays out is a bounded cut, not a million visible tokens.
                laid_out = sum(len(w.plain) for w in metadata.query(HangingList))
                assert 0 < laid_out < 20_000
                screen = screen_text(app)
                assert not unsafe_chars(screen)
        start = time.perf_counter()
    timings["quit"] = time.perf_counter() - start
    outcome.got = "verified, bounded; " + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items())
