"""Helpers for tests that look things up in a `Cache` the way the resolver does."""

from __future__ import annotations

from pith_tui.core.cache import Cache
from pith_tui.core.ids import parse_query


def lookup(cache: Cache, text: str) -> str | None:
    """The Pith id the cache finds for what a person typed (parsed by `ids.parse_query`)."""
    return cache.resolve(parse_query(text).index_key)
