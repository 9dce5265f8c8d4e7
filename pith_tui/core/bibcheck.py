"""Check a bibliography against signed records: is each arXiv reference real, and is its
title the one that was signed?

For each entry: find its identifier (`arxiv_refs`), resolve it through the resolver (cache
first, then the network unless offline; each distinct paper once, at most `concurrency`
lookups at a time), verify it (the resolver verifies every document it returns), and
compare the entry's title, read from LaTeX (`latex_text`), with the record's signed title
hash under the title check's own rule (`verify.title_matches`). A title is compared only
when the record verified: a hash in a record whose signature failed proves nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from pith_tui.core.arxiv_refs import find_arxiv_id
from pith_tui.core.bibtex import BibEntry, Bibliography, BibProblem
from pith_tui.core.errors import NotFoundError, PithError
from pith_tui.core.ids import Query
from pith_tui.core.latex_text import LatexTextError, title_readings
from pith_tui.core.provenance import FieldName, Provenance
from pith_tui.core.verify import Check, Status, title_matches
from pith_tui.core.view import RecordView
from pith_tui.core.vocab import Verdict

DEFAULT_CONCURRENCY = 8
"""Lookups in flight at once: enough to hide a mirror's latency, polite to one server."""


class EntryVerdict(str, Enum):
    """The outcome for one entry, as `--json` spells it."""

    VERIFIED = "verified"
    FAILED = "failed"
    INCOMPLETE = "incomplete"
    NOT_FOUND = "not_found"
    NO_IDENTIFIER = "no_identifier"
    ERROR = "error"


class TitleCheck(str, Enum):
    MATCH = "match"
    MISMATCH = "mismatch"
    NOT_CHECKED = "not_checked"


class ErrorKind(str, Enum):
    """Why an `error` entry was not checked: the entry itself, or fetching its record."""

    ENTRY = "entry"
    FETCH = "fetch"


_FROM_VIEW = {
    Verdict.VERIFIED: EntryVerdict.VERIFIED,
    Verdict.FAILED: EntryVerdict.FAILED,
    Verdict.INCOMPLETE: EntryVerdict.INCOMPLETE,
}


@dataclass(frozen=True)
class EntryResult:
    """One entry's check. `reason` is a sentence; `view` is the record (None if none)."""

    key: str
    line: int
    query: str = ""  # the identifier found, as `Query.display()` writes it
    found_in: str = ""  # the field it was found in
    verdict: EntryVerdict = EntryVerdict.NO_IDENTIFIER
    title: TitleCheck = TitleCheck.NOT_CHECKED
    reason: str = ""
    bib_title: str = ""  # the entry's title as text
    signed_title: str = ""  # the record's title, shown only when it matches the signed hash
    error_kind: ErrorKind | None = None
    view: RecordView | None = field(default=None, compare=False, repr=False)

    @property
    def pith_number(self) -> str:
        return self.view.pith_number if self.view is not None else ""

    @property
    def checks(self) -> tuple[Check, ...]:
        if self.view is None:
            return ()
        return tuple(check for _, report in self.view.reports for check in report.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "line": self.line,
            "query": self.query or None,
            "found_in": self.found_in or None,
            "pith_number": self.pith_number or None,
            "verdict": self.verdict.value,
            "title": self.title.value,
            "bib_title": self.bib_title,
            "signed_title": self.signed_title or None,
            "reason": self.reason,
            "error_kind": self.error_kind.value if self.error_kind else None,
            "source": self.view.source if self.view is not None else None,
            "checks": [
                {"id": c.id, "status": c.status.value, "detail": c.detail} for c in self.checks
            ],
        }


@dataclass(frozen=True)
class Planned:
    """An entry before its lookup: what it will be checked as (or its final result)."""

    key: str
    line: int
    query: Query | None
    found_in: str
    bib_title: str
    done: EntryResult | None = None  # set when nothing is to be looked up


def plan(bibliography: Bibliography) -> list[Planned]:
    """Every entry and unreadable block, in file order, with the identifier to look up."""
    items: list[tuple[int, Planned]] = []
    for entry in bibliography.entries:
        items.append((entry.line, _plan_entry(entry)))
    for problem in bibliography.problems:
        items.append((problem.line, _plan_problem(problem)))
    return [planned for _, planned in sorted(items, key=lambda pair: pair[0])]


def _plan_entry(entry: BibEntry) -> Planned:
    bib_title = entry.get("title")
    found = find_arxiv_id(entry.fields)
    field_name = found.found.field if found.found else ""
    shown = found.found.text if found.found else ""
    if found.problem:
        done = EntryResult(
            entry.key,
            entry.line,
            query=shown,
            found_in=field_name,
            verdict=EntryVerdict.ERROR,
            reason=found.problem,
            bib_title=_text_or_raw(bib_title),
            error_kind=ErrorKind.ENTRY,
        )
        return Planned(entry.key, entry.line, None, field_name, bib_title, done)
    if found.query is None:
        done = EntryResult(
            entry.key,
            entry.line,
            reason="no arXiv identifier in the entry",
            bib_title=_text_or_raw(bib_title),
        )
        return Planned(entry.key, entry.line, None, "", bib_title, done)
    return Planned(entry.key, entry.line, found.query, field_name, bib_title)


def _plan_problem(problem: BibProblem) -> Planned:
    done = EntryResult(
        problem.key,
        problem.line,
        verdict=EntryVerdict.ERROR,
        reason=f"line {problem.line}: {problem.reason}",
        error_kind=ErrorKind.ENTRY,
    )
    return Planned(problem.key, problem.line, None, "", "", done)


Lookup = Callable[[Query], Awaitable[RecordView]]
OnResult = Callable[[int, EntryResult], None]


async def check_planned(
    planned: Sequence[Planned],
    lookup: Lookup,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_result: OnResult | None = None,
) -> list[EntryResult]:
    """Results in `planned` order; `on_result(index, result)` as each one is known.

    `lookup` is `Resolver.resolve` (or a test double). Each distinct paper is looked up
    once, whatever number of entries cite it.
    """
    semaphore = asyncio.Semaphore(max(1, concurrency))
    lookups: dict[str, asyncio.Task[RecordView]] = {}
    results: list[EntryResult | None] = [item.done for item in planned]

    async def limited(query: Query) -> RecordView:
        async with semaphore:
            return await lookup(query)

    async def one(index: int, item: Planned) -> None:
        assert item.query is not None
        key = item.query.lookup_key()
        if key not in lookups:
            lookups[key] = asyncio.ensure_future(limited(item.query))
        try:
            view = await lookups[key]
            result = judge(item, view)
        except NotFoundError as exc:
            result = _failed(item, EntryVerdict.NOT_FOUND, str(exc), None)
        except (PithError, ValueError, OSError) as exc:  # one entry's trouble, not the run's
            result = _failed(item, EntryVerdict.ERROR, str(exc), ErrorKind.FETCH)
        results[index] = result
        if on_result is not None:
            on_result(index, result)

    if on_result is not None:
        for index, item in enumerate(planned):
            if item.done is not None:
                on_result(index, item.done)
    await asyncio.gather(
        *(one(index, item) for index, item in enumerate(planned) if item.done is None)
    )
    return [result for result in results if result is not None]


def _failed(
    item: Planned, verdict: EntryVerdict, reason: str, kind: ErrorKind | None
) -> EntryResult:
    assert item.query is not None
    return EntryResult(
        item.key,
        item.line,
        query=item.query.display(),
        found_in=item.found_in,
        verdict=verdict,
        reason=reason,
        bib_title=_text_or_raw(item.bib_title),
        error_kind=kind,
    )


def judge(item: Planned, view: RecordView) -> EntryResult:
    """The result of an entry whose record is `view` (verified by the resolver)."""
    assert item.query is not None
    verdict = _FROM_VIEW[view.verdict]
    title, why, signed_title = compare_title(item.bib_title, view)
    if verdict is EntryVerdict.VERIFIED:
        reason = why
    else:
        failing = [c for _, r in view.reports for c in r.checks if c.status is not Status.PASS]
        reason = "; ".join(f"{c.title}: {c.detail}" for c in failing[:3]) or verdict.value
    return EntryResult(
        item.key,
        item.line,
        query=item.query.display(),
        found_in=item.found_in,
        verdict=verdict,
        title=title,
        reason=reason,
        bib_title=_text_or_raw(item.bib_title),
        signed_title=signed_title,
        view=view,
    )


def compare_title(bib_title: str, view: RecordView) -> tuple[TitleCheck, str, str]:
    """(title check, why in words, the signed title or "") for an entry's raw .bib title."""
    if view.verdict is not Verdict.VERIFIED:
        return (
            TitleCheck.NOT_CHECKED,
            "the record did not verify: its title hash proves nothing",
            "",
        )
    signed_title = _signed_title(view)
    if not bib_title.strip():
        return TitleCheck.NOT_CHECKED, "the entry has no title", signed_title
    try:
        readings = title_readings(bib_title)
    except LatexTextError as exc:
        return TitleCheck.NOT_CHECKED, f"the entry's title is {exc}", signed_title
    outcomes = {title_matches(reading, view.document) for reading in readings}
    if outcomes == {None}:
        return TitleCheck.NOT_CHECKED, "the signed record has no title hash", signed_title
    if True in outcomes:
        return TitleCheck.MATCH, "title matches the signed title hash", signed_title
    shown = f": signed title {signed_title!r}" if signed_title else ""
    return TitleCheck.MISMATCH, f"title does not match the signed title hash{shown}", signed_title


def _signed_title(view: RecordView) -> str:
    """The record's title when it is bound to the signed hash, else ""."""
    item = view.fields.get(FieldName.TITLE)
    if item is None or item.provenance not in (Provenance.SIGNED, Provenance.HASH_BOUND):
        return ""
    return item.text


def _text_or_raw(bib_title: str) -> str:
    try:
        readings = title_readings(bib_title)
    except LatexTextError:
        return bib_title
    return readings[0] if readings else ""


@dataclass(frozen=True)
class BibSummary:
    """Counts over the results, the summary line, and the exit code of `verify --bib`."""

    results: Sequence[EntryResult]

    def count(self, verdict: EntryVerdict) -> int:
        return sum(1 for r in self.results if r.verdict is verdict)

    @property
    def mismatches(self) -> int:
        return sum(1 for r in self.results if r.title is TitleCheck.MISMATCH)

    @property
    def fetch_errors(self) -> int:
        return sum(1 for r in self.results if r.error_kind is ErrorKind.FETCH)

    @property
    def entry_errors(self) -> int:
        return sum(1 for r in self.results if r.error_kind is ErrorKind.ENTRY)

    def line(self) -> str:
        """ "41 verified, 1 title mismatch, 2 not on Pith, 6 without an arXiv id"."""
        verified_ok = sum(
            1
            for r in self.results
            if r.verdict is EntryVerdict.VERIFIED and r.title is not TitleCheck.MISMATCH
        )
        parts = [f"{verified_ok} verified"]
        optional = (
            (self.mismatches, "title mismatch", "title mismatches"),
            (self.count(EntryVerdict.FAILED), "failed", "failed"),
            (self.count(EntryVerdict.INCOMPLETE), "incomplete", "incomplete"),
            (self.count(EntryVerdict.NOT_FOUND), "not on Pith", "not on Pith"),
            (self.fetch_errors, "could not be fetched", "could not be fetched"),
            (self.entry_errors, "unreadable entry", "unreadable entries"),
            (self.count(EntryVerdict.NO_IDENTIFIER), "without an arXiv id", "without an arXiv id"),
        )
        for number, one, many in optional:
            if number:
                parts.append(f"{number} {one if number == 1 else many}")
        return ", ".join(parts)

    @property
    def exit_code(self) -> int:
        """0 all verified and matched; 1 any failed, mismatched or unreadable; 3 none of
        those but some could not be fetched, are not on Pith, or are incomplete."""
        if self.mismatches or self.count(EntryVerdict.FAILED) or self.entry_errors:
            return 1
        if (
            self.fetch_errors
            or self.count(EntryVerdict.NOT_FOUND)
            or self.count(EntryVerdict.INCOMPLETE)
        ):
            return 3
        return 0
