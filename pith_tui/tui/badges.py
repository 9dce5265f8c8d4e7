"""Verdicts and check badges on screen: their words, symbols and colours, in one place.

Colours come from the theme (`$success`, `$error`, `$warning`), so every theme works. A badge
is text on a filled background; the text is black or white, whichever contrasts more with
that background by the WCAG formula, so it stays readable (>= 4.5:1) in light themes too.
Every state is also spelled in words and symbols, so nothing depends on colour (NO_COLOR).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from textual.color import Color
from textual.content import Content

from pith_tui.core.verify import Check, CheckId, Status
from pith_tui.core.view import RecordView
from pith_tui.core.vocab import Verdict

VERDICT_LABELS = {
    Verdict.VERIFIED: "✓ VERIFIED",
    Verdict.FAILED: "✗ FAILED",
    Verdict.INCOMPLETE: "! INCOMPLETE",
}
VERDICT_CLASSES = {
    Verdict.VERIFIED: "-verified",
    Verdict.FAILED: "-failed",
    Verdict.INCOMPLETE: "-incomplete",
}
VERDICT_STATUS = {
    Verdict.VERIFIED: Status.PASS,
    Verdict.FAILED: Status.FAIL,
    Verdict.INCOMPLETE: Status.WARN,
}
STATUS_WORDS = {
    Status.PASS: "pass",
    Status.FAIL: "FAIL",
    Status.WARN: "warn",
    Status.NOT_CHECKED: "not checked",
}
STATUS_THEME_VARIABLES = {
    Status.PASS: "success",
    Status.FAIL: "error",
    Status.WARN: "warning",
    Status.NOT_CHECKED: "warning",
}
STATUS_STYLES = {status: f"bold ${name}" for status, name in STATUS_THEME_VARIABLES.items()}
# The worst status of a check run on several documents wins its chip.
STATUS_SEVERITY = {Status.PASS: 0, Status.WARN: 1, Status.NOT_CHECKED: 2, Status.FAIL: 3}
MIN_CONTRAST = 4.5  # WCAG AA for normal text
FALLBACK_BACKGROUND = {"success": "#4EBF71", "error": "#BA3C5B", "warning": "#FFA62B"}
BLACK, WHITE = Color(0, 0, 0), Color(255, 255, 255)


def verdict_status(verdict: Verdict) -> Status:
    return VERDICT_STATUS[verdict]


def badge(status: Status) -> Content:
    """`✓ pass`, `✗ FAIL`, `! warn`, `– not checked`, styled by status."""
    return Content.styled(f"{status.symbol} {STATUS_WORDS[status]}", STATUS_STYLES[status])


# --- colours -----------------------------------------------------------------------------


def relative_luminance(color: Color) -> float:
    """WCAG 2 relative luminance of an opaque colour."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = color.rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(first: Color, second: Color) -> float:
    """WCAG 2 contrast ratio, 1.0 to 21.0."""
    high, low = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable_text(background: Color) -> Color:
    """Black or white, whichever contrasts more with `background` (always >= 4.58:1)."""
    if contrast_ratio(background, BLACK) >= contrast_ratio(background, WHITE):
        return BLACK
    return WHITE


def status_colors(variables: Mapping[str, str], status: Status) -> tuple[Color, Color]:
    """(background, text) of a badge in the theme whose CSS variables are `variables`."""
    name = STATUS_THEME_VARIABLES[status]
    try:
        background = Color.parse(variables.get(name) or FALLBACK_BACKGROUND[name])
    except Exception:  # a theme with an unparsable colour: the default, never a crash
        background = Color.parse(FALLBACK_BACKGROUND[name])
    background = background.with_alpha(1.0)
    return background, readable_text(background)


def verdict_colors(variables: Mapping[str, str], verdict: Verdict) -> tuple[Color, Color]:
    return status_colors(variables, verdict_status(verdict))


# --- chips -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chip:
    """One check across the view's documents: its worst status and each document's result."""

    check_id: str
    status: Status
    results: tuple[tuple[str, Check], ...]  # (document label, check)

    @property
    def word(self) -> str:
        try:
            return CheckId(self.check_id).chip
        except ValueError:
            return self.check_id.replace("_", " ")

    @property
    def title(self) -> str:
        return self.results[0][1].title if self.results else self.word

    @property
    def text(self) -> str:
        """ "✓ hash": the symbol and the word (no colour needed to read it)."""
        return f"{self.status.symbol} {self.word}"


def chips_for(view: RecordView) -> tuple[Chip, ...]:
    """One chip per check id, in the order of `CheckId` (unknown ids after), worst first
    never: the strip keeps a fixed order so a chip is always in the same place."""
    found: dict[str, list[tuple[str, Check]]] = {}
    for label, report in view.reports:
        for check in report.checks:
            found.setdefault(check.id, []).append((label, check))
    order = {check.value: index for index, check in enumerate(CheckId)}
    chips = []
    for check_id in sorted(found, key=lambda cid: (order.get(cid, len(order)), cid)):
        results = found[check_id]
        status = max((check.status for _l, check in results), key=STATUS_SEVERITY.__getitem__)
        chips.append(Chip(check_id, status, tuple(results)))
    return tuple(chips)
