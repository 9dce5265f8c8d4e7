"""Rows of (label, text) with a hanging indent: wrapped text stays in its column.

One widget renders the whole list (a grid of Statics would mount two widgets per row on
every record change). Every piece is `Content`; nothing is parsed as markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widget import Widget

Row = tuple[Content, Content]
Item = Content | Row  # a Content spans the full width (a heading); a pair is a row


class HangingList(Widget):
    """Headings and (label, text) rows; labels in a column `label_width` cells wide."""

    DEFAULT_CSS = """
    HangingList {
        height: auto;
    }
    """
    # The layout that gives the list its new height already used it; Textual's
    # `virtual_size` is a layout reactive, so setting it afterwards asked for a second
    # full-screen layout on every record shown (traced; ~25 ms later, at the next tick).
    # The list does not scroll itself: a repaint is enough.
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def __init__(
        self,
        items: Sequence[Item] = (),
        *,
        label_width: int = 14,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.items: tuple[Item, ...] = tuple(items)
        self.label_width = label_width
        self._wrapped: tuple[int, list[Content]] | None = None  # (width, lines)

    def update(self, items: Sequence[Item]) -> None:
        self.items = tuple(items)
        self._wrapped = None
        # `refresh(layout=True)` bumps the counter in the box-model cache key only when no
        # layout is pending; if a layout pass ran since (a resize), the old height stayed
        # cached and the list was cut to its previous height. Bump it every time.
        self._layout_updates += 1
        self.refresh(layout=True)

    @property
    def plain(self) -> str:
        """The text of every item, unwrapped (for tests and screen readers)."""
        lines = []
        for item in self.items:
            if isinstance(item, Content):
                lines.append(item.plain)
            else:
                lines.append(f"{item[0].plain} {item[1].plain}")
        return "\n".join(lines)

    def _lines(self, width: int) -> list[Content]:
        """The wrapped lines at `width`, computed once per width and items (the layout asks
        for the height, then the render for the lines)."""
        if self._wrapped is not None and self._wrapped[0] == width:
            return self._wrapped[1]
        lines = self._wrap(width)
        self._wrapped = (width, lines)
        return lines

    def _wrap(self, width: int) -> list[Content]:
        width = max(width, self.label_width + 8)
        body_width = width - self.label_width
        pad = Content(" " * self.label_width)
        lines: list[Content] = []
        for item in self.items:
            if isinstance(item, Content):
                for part in item.split("\n"):
                    lines.extend(part.wrap(width) or [Content("")])
                continue
            label, body = item
            first = True
            for part in body.split("\n"):
                for chunk in part.wrap(body_width) or [Content("")]:
                    head = label.truncate(self.label_width, pad=True) if first else pad
                    lines.append(head + chunk)
                    first = False
        return lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width))

    def render(self) -> Content:
        return Content("\n").join(self._lines(self.content_region.width or self.size.width))
