"""Suggestions for the lookup box, from the query history and the cache (no network).

Two kinds:

* an id completion: what you typed is the start of an id form of a known record
  (`2106` -> `2106.06530`, `pith:4k` -> `pith:4K6GSOJW`, `10.48550/arx` -> the DOI); the
  suggestion is that id, which `parse_query` accepts;
* a title/author match: what you typed occurs in a cached record's title or authors
  (`label noise`); the box shows `  → 2106.06530  Label Noise SGD…` after your text, and
  accepting it (→, or Enter) puts the id in the box: `target_for` maps it back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from textual.suggester import Suggester

from pith_tui.core.cache import Cache, CacheEntry
from pith_tui.core.errors import PithError
from pith_tui.core.ids import is_query
from pith_tui.core.sanitize import clean_text

ARROW = "  → "
MIN_TITLE_CHARS = 3


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


class LookupSuggester(Suggester):
    """Completes ids and finds titles from `cache.history()` and `cache.entries()`."""

    def __init__(self, cache: Cache, *, limit: int = 20) -> None:
        # No suggestion cache: the history and the cache change while the app runs.
        super().__init__(use_cache=False, case_sensitive=False)
        self.pith_cache = cache
        self.limit = limit
        self._targets: dict[str, str] = {}

    def target_for(self, suggestion: str) -> str | None:
        """The id a title suggestion stands for (None for an id completion)."""
        return self._targets.get(suggestion)

    async def get_suggestion(self, value: str) -> str | None:
        typed = value.strip()
        if not typed:
            return None
        try:
            completion = self._complete_id(value)
            if completion is not None:
                return completion
            return self._title_match(value)
        except (PithError, ValueError):
            return None  # a broken cache must not break typing

    # --- id completions --------------------------------------------------------------

    def _candidates(self, typed: str) -> Iterator[str]:
        for query, pith_id, _at in self.pith_cache.history(limit=self.limit):
            yield query
            if pith_id:
                yield from id_forms(pith_id, None, None)
        entries = self.pith_cache.entries(filter_text=_filter_word(typed), limit=self.limit)
        for entry in entries:
            yield from id_forms(entry.pith_id, entry.arxiv_id, entry.pith_number)

    def _complete_id(self, value: str) -> str | None:
        folded = value.casefold()
        for candidate in _unique(self._candidates(value)):
            longer = len(candidate) > len(value)
            if longer and candidate.casefold().startswith(folded) and is_query(candidate):
                return candidate
        return None

    # --- title and author matches ----------------------------------------------------

    def _title_match(self, value: str) -> str | None:
        if len(value.strip()) < MIN_TITLE_CHARS:
            return None
        entries = self.pith_cache.entries(filter_text=value, limit=1, sort="fetched_at")
        if not entries:
            return None
        entry = entries[0]
        target = _target(entry)
        if target is None:
            return None
        title = clean_text(entry.title, max_chars=60) or clean_text(entry.pith_number)
        suggestion = f"{value}{ARROW}{target}  {title}"
        if len(self._targets) > 500:
            self._targets.clear()
        self._targets[suggestion] = target
        return suggestion


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


def _unique(items: Iterable[str]) -> Iterator[str]:
    seen: set[str] = set()
    for item in items:
        if item not in seen:
            seen.add(item)
            yield item
