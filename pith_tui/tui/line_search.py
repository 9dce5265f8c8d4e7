"""Searching lines of text: every match, which one is current, next and previous from a
position. Plain Python (no widgets), so the raw JSON view only draws what this decides."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

Position = tuple[int, int]  # (line, column)


@dataclass(frozen=True)
class Match:
    line: int
    start: int  # column of the first character
    end: int  # column after the last character

    @property
    def position(self) -> Position:
        return (self.line, self.start)


class LineSearch:
    """Case-insensitive matches of one needle in a list of lines (a match never spans two
    lines), and the current match."""

    def __init__(self) -> None:
        self.needle = ""
        self.matches: list[Match] = []
        self.current = -1  # index into `matches`, -1 when none is selected
        self._by_line: dict[int, list[int]] = {}

    def find(self, lines: Sequence[str], needle: str) -> None:
        """Find every match of `needle`; no match is current yet."""
        self.needle = needle
        self.current = -1
        self.matches = []
        if needle:
            pattern = re.compile(re.escape(needle), re.IGNORECASE)
            for number, line in enumerate(lines):
                self.matches += [Match(number, m.start(), m.end()) for m in pattern.finditer(line)]
        self._by_line = {}
        for index, match in enumerate(self.matches):
            self._by_line.setdefault(match.line, []).append(index)

    def on_line(self, line: int) -> list[tuple[Match, bool]]:
        """The matches on one line, each with whether it is the current one."""
        return [(self.matches[i], i == self.current) for i in self._by_line.get(line, ())]

    @property
    def current_match(self) -> Match | None:
        return self.matches[self.current] if 0 <= self.current < len(self.matches) else None

    def select(self, index: int) -> Match | None:
        if not self.matches:
            self.current = -1
            return None
        self.current = index % len(self.matches)
        return self.matches[self.current]

    def first_from(self, line: int) -> Match | None:
        """Select the first match on or after `line` (wrapping to the first one)."""
        index = next((i for i, m in enumerate(self.matches) if m.line >= line), 0)
        return self.select(index)

    def next_from(self, line: int) -> Match | None:
        """Select the match after the current one if the cursor is on its line, else the
        first on or after the cursor's line; wraps around."""
        current = self.current_match
        if current is not None and current.line == line:
            return self.select(self.current + 1)
        return self.first_from(line)

    def previous_from(self, line: int) -> Match | None:
        """Select the match before the current one if the cursor is on its line, else the
        last one on or before the cursor's line; wraps around."""
        current = self.current_match
        if current is not None and current.line == line:
            return self.select(self.current - 1)
        before = [i for i, m in enumerate(self.matches) if m.line <= line]
        return self.select(before[-1] if before else len(self.matches) - 1)

    @property
    def status(self) -> str:
        """ "match 2 of 5", "no match for 'x'", or "" with nothing to search for."""
        if not self.needle:
            return ""
        if not self.matches:
            return f"no match for {self.needle!r}"
        if self.current < 0:
            return f"{len(self.matches)} matches"
        return f"match {self.current + 1} of {len(self.matches)}"
