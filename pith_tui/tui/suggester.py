"""Suggestions for the lookup box, from the query history and the cache (no network).

`LookupSuggester.matches(typed)` returns a few `Suggestion`s, best first, for the dropdown
under the box:

* id completions: what you typed is the start of an id form of a known record
  (`2106` -> `2106.06530`, `pith:4k` -> `pith:4K6GSOJW`, `10.48550/arx` -> the DOI), one
  per record;
* title and author matches: what you typed occurs in a cached record's title or authors
  (`label noise` -> `2106.06530  Label Noise SGD…`).

Every suggestion's `target` is an id `parse_query` accepts; titles are sanitized. It is
plain blocking code (SQLite reads): the box calls it in a thread, debounced.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pith_tui.core.cache import Cache, CacheEntry
from pith_tui.core.errors import PithError
from pith_tui.core.ids import is_query
from pith_tui.core.sanitize import clean_text

MIN_TITLE_CHARS = 3
SHOWN = 8  # suggestions in the dropdown


@dataclass(frozen=True)
class Suggestion:
    target: str  # what is looked up (and put in the box)
    title: str  # the record's title, sanitized ("" when unknown)
    kind: str  # "id" (a completion of what was typed) or "title" (a title/author match)
    pith_id: str | None = None  # the record, when known: one suggestion per record


def id_forms(pith_id: str | None, arxiv_id: str | None, pith_number: str | None) -> list[str]:
    """The ways a person may type a record's id, most common first."""
    forms: list[str] = []
    if arxiv_id:
        forms += [arxiv_id, f"arXiv:{arxiv_id}", f"10.48550/arXiv.{arxiv_id}"]
    if pith_id:
        forms += [f"pith:{pith_id[:8]}", pith_id[:8], pith_id]
    if pith_number:
        forms.append(pith_number)
    return forms


class LookupSuggester:
    """Completes ids and finds titles from `cache.history()` and `cache.entries()`."""

    def __init__(self, cache: Cache, *, limit: int = 20) -> None:
        self.pith_cache = cache
        self.limit = limit

    def matches(self, value: str, limit: int = SHOWN) -> list[Suggestion]:
        """Up to `limit` suggestions for `value`: id completions, then title matches."""
        typed = value.strip()
        if not typed:
            return []
        try:
            found = list(self._id_completions(typed))
            if len(typed) >= MIN_TITLE_CHARS:
                found += self._title_matches(typed, limit)
        except (PithError, ValueError):
            return []  # a broken cache must not break typing
        unique: dict[str, Suggestion] = {}
        for suggestion in found:
            unique.setdefault(suggestion.pith_id or suggestion.target.casefold(), suggestion)
        return list(unique.values())[:limit]

    # --- id completions --------------------------------------------------------------

    def _candidates(self, typed: str) -> Iterator[tuple[str, str | None, str]]:
        """(id form, Pith id or None, title) of every record the history or cache knows."""
        entries = self.pith_cache.entries(filter_text=_filter_word(typed), limit=self.limit)
        titles = {entry.pith_id: entry.title for entry in entries}
        for query, pith_id, _at in self.pith_cache.history(limit=self.limit):
            title = titles.get(pith_id, "") if pith_id else ""
            yield query, pith_id, title
            if pith_id:
                for form in id_forms(pith_id, None, None):
                    yield form, pith_id, title
        for entry in entries:
            for form in id_forms(entry.pith_id, entry.arxiv_id, entry.pith_number):
                yield form, entry.pith_id, entry.title

    def _id_completions(self, typed: str) -> Iterator[Suggestion]:
        folded = typed.casefold()
        records: set[str] = set()
        for candidate, pith_id, title in self._candidates(typed):
            key = pith_id or candidate
            if key in records or len(candidate) <= len(typed):
                continue
            if candidate.casefold().startswith(folded) and is_query(candidate):
                records.add(key)
                yield Suggestion(candidate, clean_text(title, max_chars=120), "id", pith_id)

    # --- title and author matches ----------------------------------------------------

    def _title_matches(self, typed: str, limit: int) -> list[Suggestion]:
        entries = self.pith_cache.entries(filter_text=typed, limit=limit, sort="fetched_at")
        found = []
        for entry in entries:
            target = _target(entry)
            if target is not None:
                title = clean_text(entry.title, max_chars=120) or clean_text(entry.pith_number)
                found.append(Suggestion(target, title, "title", entry.pith_id))
        return found


def _target(entry: CacheEntry) -> str | None:
    if entry.arxiv_id and is_query(entry.arxiv_id):
        return entry.arxiv_id
    short = f"pith:{entry.pith_id[:8]}"
    return short if is_query(short) else None


def _filter_word(typed: str) -> str:
    """The part of what was typed that the cache's substring filter can match."""
    word = typed.strip().casefold()
    for prefix in ("arxiv:", "doi:", "pith:"):
        if word.startswith(prefix):
            word = word[len(prefix) :]
    if word.startswith("10.48550/arxiv."):
        word = word[len("10.48550/arxiv.") :]
    return word
