"""The typed messages lookup workers post back to the main screen, and screens post up."""

from __future__ import annotations

from textual.message import Message

from pith_tui.core.view import RecordView


class RecordLoaded(Message):
    """A lookup (or a step back/forward) produced a verified view.

    `push`: add the record to the back/forward trail; `goto`: it is the trail's entry at
    this index (back/forward); `provisional`: a stale cached view shown while the network
    is asked, a final `RecordLoaded` follows.
    """

    def __init__(
        self,
        view: RecordView,
        query: str,
        *,
        push: bool = True,
        goto: int | None = None,
        provisional: bool = False,
        refreshed: bool = False,
    ) -> None:
        super().__init__()
        self.view = view
        self.query = query
        self.push = push
        self.goto = goto
        self.provisional = provisional
        self.refreshed = refreshed


class LookupFailed(Message):
    """A lookup ended with a `PithError`; the record on screen stays."""

    def __init__(self, query: str, error: Exception) -> None:
        super().__init__()
        self.query = query
        self.error = error


class OpenRecord(Message):
    """Any screen or pane asks to open a record: the App goes back to the main screen and
    looks `query` up there (`fill`: also put it in the lookup box)."""

    def __init__(self, query: str, *, fill: bool = True) -> None:
        super().__init__()
        self.query = query
        self.fill = fill


class ShowCache(Message):
    """Any screen asks for the cache review; the App opens it."""
