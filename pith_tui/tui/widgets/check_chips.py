"""The strip of check badges: one chip per check (`✓ hash ✓ number ✓ receipt …`).

One widget draws the whole strip (laid out into lines here, so a chip never breaks across
two lines); ←/→ move between chips when it has the focus, and each move (or Enter) posts
`CheckChips.Chosen` so the pane shows that check's full detail.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.style import Style
from textual.widget import Widget

from pith_tui.tui.badges import Chip, status_colors
from pith_tui.tui.commands import bindings_for

GAP = 1  # columns between chips


class CheckChips(Widget, can_focus=True):
    """The chips of one view; `cursor` is the chip ←/→ and Enter act on."""

    DEFAULT_CSS = """
    CheckChips {
        height: auto;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = bindings_for("chips")

    class Chosen(Message):
        """The user moved to or pressed Enter on a chip."""

        def __init__(self, chips: CheckChips, chip: Chip) -> None:
            super().__init__()
            self.chips = chips
            self.chip = chip

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.chips: tuple[Chip, ...] = ()
        self.cursor = 0

    def update(self, chips: tuple[Chip, ...]) -> None:
        self.chips = chips
        self.cursor = 0
        self._layout_updates += 1  # see HangingList.update
        self.refresh(layout=True)

    @property
    def plain(self) -> str:
        return "  ".join(chip.text for chip in self.chips)

    def _cells(self, chip: Chip) -> str:
        return f" {chip.text} "

    def _lines(self, width: int) -> list[list[int]]:
        """Chip indexes per line, greedily filled to `width`."""
        lines: list[list[int]] = [[]]
        used = 0
        for index, chip in enumerate(self.chips):
            cells = len(self._cells(chip))
            if lines[-1] and used + GAP + cells > width:
                lines.append([])
                used = 0
            used += (GAP if lines[-1] else 0) + cells
            lines[-1].append(index)
        return lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width)) if self.chips else 1

    def render(self) -> Content:
        if not self.chips:
            return Content("")
        variables = self.app.theme_variables
        rows = []
        for line in self._lines(self.content_region.width or self.size.width):
            parts: list[Content] = []
            for index in line:
                chip = self.chips[index]
                background, text = status_colors(variables, chip.status)
                chosen = self.has_focus and index == self.cursor
                cells = f"›{chip.text}‹" if chosen else self._cells(chip)
                style = Style(background=background, foreground=text, bold=True, underline=chosen)
                if parts:
                    parts.append(Content(" " * GAP))
                parts.append(Content.styled(cells, style))
            rows.append(Content("").join(parts))
        return Content("\n").join(rows)

    def _choose(self) -> None:
        if self.chips:
            self.refresh()
            self.post_message(self.Chosen(self, self.chips[self.cursor]))

    def on_focus(self) -> None:
        self._choose()

    def on_blur(self) -> None:
        self.refresh()

    def action_previous_chip(self) -> None:
        if self.chips:
            self.cursor = (self.cursor - 1) % len(self.chips)
            self._choose()

    def action_next_chip(self) -> None:
        if self.chips:
            self.cursor = (self.cursor + 1) % len(self.chips)
            self._choose()

    def action_choose(self) -> None:
        self._choose()
