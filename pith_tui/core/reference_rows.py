"""The references screen's list as plain Python: which entries show, in what order.

Kept out of the widget (the screen only draws), and tested directly. An entry still being
checked is `None` in `results`; it sorts last under any column and matches a filter by its
key and identifier only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pith_tui.core.bibcheck import EntryResult, EntryVerdict, Planned, TitleCheck

SORT_COLUMNS = ("line", "key", "verdict", "title_check", "query")
SORT_LABELS = {
    "line": "file order",
    "key": "key",
    "verdict": "verdict",
    "title_check": "title check",
    "query": "identifier",
}
# Problems first when sorting by verdict or title check: that is what a writer looks for.
_VERDICT_ORDER = {
    EntryVerdict.FAILED: 0,
    EntryVerdict.ERROR: 1,
    EntryVerdict.INCOMPLETE: 2,
    EntryVerdict.NOT_FOUND: 3,
    EntryVerdict.VERIFIED: 4,
    EntryVerdict.NO_IDENTIFIER: 5,
}
_TITLE_ORDER = {TitleCheck.MISMATCH: 0, TitleCheck.NOT_CHECKED: 1, TitleCheck.MATCH: 2}


@dataclass
class ReferenceRows:
    planned: Sequence[Planned]
    results: list[EntryResult | None]
    sort: str = "line"
    descending: bool = False
    filter_text: str = ""

    @classmethod
    def start(cls, planned: Sequence[Planned]) -> ReferenceRows:
        return cls(planned, [item.done for item in planned])

    @property
    def done(self) -> int:
        return sum(1 for result in self.results if result is not None)

    def cycle_sort(self) -> str:
        self.sort = SORT_COLUMNS[(SORT_COLUMNS.index(self.sort) + 1) % len(SORT_COLUMNS)]
        self.descending = False
        return self.sort

    def visible(self) -> list[int]:
        """Indices into `planned`, filtered then sorted."""
        needle = self.filter_text.strip().lower()
        indices = [i for i in range(len(self.planned)) if not needle or needle in self._haystack(i)]
        pending = [i for i in indices if self.results[i] is None]
        ready = [i for i in indices if self.results[i] is not None]
        ready.sort(key=self._key, reverse=self.descending)
        if self.sort == "line":
            return sorted(indices, key=lambda i: self.planned[i].line, reverse=self.descending)
        return ready + pending

    def _key(self, index: int) -> tuple[object, ...]:
        result = self.results[index]
        item = self.planned[index]
        assert result is not None
        if self.sort == "key":
            return (item.key.lower(), item.line)
        if self.sort == "verdict":
            return (_VERDICT_ORDER[result.verdict], item.line)
        if self.sort == "title_check":
            return (_TITLE_ORDER[result.title], item.line)
        if self.sort == "query":
            return (result.query.lower(), item.line)
        return (item.line,)

    def _haystack(self, index: int) -> str:
        item = self.planned[index]
        result = self.results[index]
        parts = [item.key, item.query.display() if item.query else "", item.bib_title]
        if result is not None:
            parts += [result.verdict.value, result.title.value, result.pith_number, result.reason]
            parts.append(result.signed_title)
        return " ".join(parts).lower()
