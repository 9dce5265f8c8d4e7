"""The footer: the keys that work where the focus is, drawn by one widget.

Textual's `Footer` recomposes (a widget per key) on every focus move and binding refresh:
profiled at four recomposes per lookup, and it leaked watchers (Textualize/textual#6666).
This one re-renders a single line instead. It lists the enabled, shown bindings of the
focus chain, drops the single-character ones while a text box has the focus (typing `/` or
`?` there types it), and when the line is too narrow packs the keys closer, then drops keys
from the end of the focused widget's list, so the everywhere keys (`? Help`, `c Cache`)
always stay.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import RenderResult
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input

KEY_STYLE = "bold $accent"
LABEL_STYLE = "$foreground"
PALETTE_HINT = "^p palette"


@dataclass(frozen=True)
class FooterKey:
    key: str  # as displayed: "/", "?", "Enter"
    label: str
    everywhere: bool  # an app-level key (kept when the line is too narrow)


def footer_keys(screen: Screen[object]) -> list[FooterKey]:
    """The keys to show for where the focus is now, focused widget's first."""
    app = screen.app
    typing = isinstance(screen.focused, Input)
    seen: set[str] = set()
    keys: list[FooterKey] = []
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.show or not active.enabled or binding.action in seen:
            continue
        display = app.get_key_display(binding)
        if typing and len(display) == 1 and display.isprintable():
            continue  # typed into the box, not a command there
        seen.add(binding.action)
        keys.append(FooterKey(display, binding.description, active.node is app))
    return keys


def fit(keys: list[FooterKey], width: int) -> tuple[list[FooterKey], bool]:
    """The keys that fit in `width` cells and whether to draw them compact."""

    def size(items: list[FooterKey], compact: bool) -> int:
        gap = 2 if compact else 3
        return sum(len(k.key) + 1 + len(k.label) + gap for k in items)

    if size(keys, False) <= width:
        return keys, False
    kept = list(keys)
    while kept and size(kept, True) > width:
        # Drop the last key that is not an everywhere key (or, failing that, the last).
        index = next(
            (i for i in range(len(kept) - 1, -1, -1) if not kept[i].everywhere), len(kept) - 1
        )
        del kept[index]
    return kept, True


class PithFooter(Widget):
    """One line of "key label" pairs, re-rendered when the bindings or the focus change."""

    DEFAULT_CSS = """
    PithFooter {
        dock: bottom;
        height: 1;
        background: $footer-background;
    }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: Screen[object]) -> None:
        self.refresh()

    def _layout(self) -> tuple[list[FooterKey], bool, bool]:
        """(keys, compact, with the palette hint): the hint goes first when room is short."""
        width = self.size.width or self.app.size.width
        wanted = footer_keys(self.screen)
        keys, compact = fit(wanted, width - 1 - len(PALETTE_HINT) - 2)
        if len(keys) == len(wanted):
            return keys, compact, True
        keys, compact = fit(wanted, width - 1)
        return keys, compact, False

    @property
    def keys(self) -> list[FooterKey]:
        """The keys shown now (for tests)."""
        return self._layout()[0]

    def render(self) -> RenderResult:
        keys, compact, hint = self._layout()
        parts = [
            Content.assemble((item.key, KEY_STYLE), " ", (item.label, LABEL_STYLE)) for item in keys
        ]
        line = Content.assemble(" ", Content("  " if compact else "   ").join(parts))
        if hint:
            pad = max(1, self.size.width - line.cell_length - len(PALETTE_HINT) - 1)
            line = Content.assemble(line, " " * pad, (PALETTE_HINT, "$text-muted"))
        return line
