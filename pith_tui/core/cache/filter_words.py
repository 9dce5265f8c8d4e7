"""What the words of a cache listing filter mean: the one grammar for them.

    parse_filter("verdict:failed label noise")
    -> ListingFilter(text="label noise", verdicts=("failed",))

A word `verdict:<name>` keeps the entries whose last verdict is `<name>` (`verified`,
`failed`, `incomplete` or `unknown`, or any unambiguous start of one: `verdict:f`), several
such words keep any of them; every other word is part of the substring searched in the
entry's text (ids, title, authors), as before. `verdict:` alone (being typed) asks for
nothing; an unknown name is an error the listing shows, and it matches no entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from pith_tui.core.vocab import Verdict

LISTED_VERDICTS = (*(verdict.value for verdict in Verdict), "unknown")
"""The verdicts an entry of the listing can have ("unknown": never verified here)."""

VERDICT_WORD = "verdict:"
"""The prefix of a verdict word."""

VERDICT_CYCLE: tuple[str | None, ...] = (None, "failed", "incomplete", "verified", "unknown")
"""The order a toggle key steps through the verdict filters (None: every verdict)."""


@dataclass(frozen=True)
class ListingFilter:
    """A parsed filter: a substring of the entry's text and the verdicts it may have."""

    text: str = ""
    verdicts: tuple[str, ...] = ()  # empty: any verdict
    error: str | None = None  # an unknown verdict name: nothing matches

    @property
    def verdict(self) -> str | None:
        """The one verdict asked for, or None (any, or several)."""
        return self.verdicts[0] if len(self.verdicts) == 1 else None

    @property
    def key(self) -> str:
        """The same for two filters that list the same entries (for memos)."""
        return f"{self.text}\n{','.join(self.verdicts)}\n{self.error or ''}"


def _verdict_named(name: str) -> str | None:
    name = name.lower()
    found = [verdict for verdict in LISTED_VERDICTS if verdict.startswith(name)]
    return found[0] if len(found) == 1 or name in found else None


def parse_filter(filter_text: str) -> ListingFilter:
    """The meaning of a filter as typed (see the module's docstring)."""
    words: list[str] = []
    verdicts: list[str] = []
    unknown: list[str] = []
    for word in filter_text.split():
        if not word.lower().startswith(VERDICT_WORD):
            words.append(word)
            continue
        name = word[len(VERDICT_WORD) :]
        if not name:
            continue  # being typed
        verdict = _verdict_named(name)
        if verdict is None:
            unknown.append(name)
        elif verdict not in verdicts:
            verdicts.append(verdict)
    error = None
    if unknown:
        error = f"no verdict “{unknown[0][:40]}”: verdict: takes {', '.join(LISTED_VERDICTS)}"
    return ListingFilter(" ".join(words), tuple(sorted(verdicts, key=LISTED_VERDICTS.index)), error)


def with_verdict(filter_text: str, verdict: str | None) -> str:
    """`filter_text` with its verdict words replaced by `verdict:<verdict>` (none for None),
    the other words kept as typed."""
    words = [w for w in filter_text.split() if not w.lower().startswith(VERDICT_WORD)]
    if verdict is not None:
        words.append(VERDICT_WORD + verdict)
    return " ".join(words)


def next_verdict(current: ListingFilter) -> str | None:
    """The verdict filter after `current`'s in `VERDICT_CYCLE` (several: back to none)."""
    if len(current.verdicts) > 1 or current.error:
        return None
    index = VERDICT_CYCLE.index(current.verdict)
    return VERDICT_CYCLE[(index + 1) % len(VERDICT_CYCLE)]
