"""The cache listing: its rows, sorted by any column and filtered by a substring.

Each sort column has an index (see `schema`), so a page of the listing is an index walk and
never reads every row. The filter is a case-insensitive substring of an entry's
`search_text` (its Pith id and number, arXiv id and DOI, title and authors, lower-cased,
one per line, runs of spaces collapsed), so a filter term never spans two fields.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pith_tui.core.cache.schema import parse_time

SORT_COLUMNS = ("pith_number", "arxiv_id", "title", "verdict", "source", "fetched_at")

# ORDER BY for each sort column; each matches an index, so a page is an index walk.
_ORDER_BY = {
    "pith_number": "pith_number {d}, pith_id {d}",
    "arxiv_id": "arxiv_id {d}, pith_id {d}",
    "title": "title COLLATE NOCASE {d}, pith_id {d}",
    "verdict": "verdict {d}, fetched_at {d}, pith_id {d}",
    "source": "source {d}, fetched_at {d}, pith_id {d}",
    "fetched_at": "fetched_at {d}, pith_id {d}",
}
ENTRY_COLUMNS = (
    "pith_id, pith_number, arxiv_id, title, authors, verdict, source, fetched_at, "
    "has_bundle, changed_upstream, text_changed_at"
)
_SURROGATE = re.compile("[\ud800-\udfff]")  # SQLite cannot bind such text

# A filtered page first walks the sort index for at most this many SQLite VM steps (about
# 5 per row passed, so ~4,000 rows); see `filtered_page`.
FILTER_STEPS = 20_000


@dataclass(frozen=True)
class CacheEntry:
    """One row of the cache listing (one per Pith id)."""

    pith_id: str
    pith_number: str
    arxiv_id: str | None
    title: str
    authors: str
    verdict: str  # last verdict seen, for the listing only; never trusted
    source: str
    fetched_at: datetime
    has_bundle: bool
    changed_upstream: bool
    text_changed_at: datetime | None = None  # when the server's unsigned text last changed


def search_text(parts: Iterable[str | None]) -> str:
    """Lower-case, newline-separated, de-duplicated: a filter term never spans two fields."""
    seen: dict[str, None] = {}
    for part in parts:
        if part:
            seen.setdefault(" ".join(part.lower().split()), None)
    return "\n".join(seen)


def needle(filter_text: str) -> str:
    """The filter as `search_text` spells it: lower-case, runs of spaces collapsed."""
    return _SURROGATE.sub("\ufffd", " ".join(filter_text.lower().split()))


def filter_clause(filter_text: str) -> tuple[str, list[Any]]:
    """Case-insensitive substring, runs of spaces collapsed as in `search_text`."""
    text = needle(filter_text)
    if not text:
        return "", []
    return " WHERE instr(search_text, ?) > 0", [text]


def order_by(sort: str, descending: bool) -> str:
    if sort not in _ORDER_BY:
        raise ValueError(f"cannot sort by {sort!r}; expected one of {', '.join(SORT_COLUMNS)}")
    return _ORDER_BY[sort].format(d="DESC" if descending else "ASC")


def entries_query(
    filter_text: str, sort: str, descending: bool, limit: int | None, offset: int
) -> tuple[str, list[Any]]:
    where, params = filter_clause(filter_text)
    order = order_by(sort, descending)
    sql = f"SELECT {ENTRY_COLUMNS} FROM entries{where} ORDER BY {order} LIMIT ? OFFSET ?"
    return sql, [*params, -1 if limit is None else max(0, limit), max(0, offset)]


def page(
    connection: Any,
    filter_text: str,
    sort: str,
    descending: bool,
    limit: int | None,
    offset: int,
) -> list[CacheEntry]:
    """One page of the listing (see `Cache.entries`)."""
    sql, params = entries_query(filter_text, sort, descending, limit, offset)
    rows = filtered_page(connection, sql, params, filter_text, sort, descending, limit, offset)
    if rows is None:
        rows = connection.execute(sql, params).fetchall()
    return [entry(row) for row in rows]


def filtered_page(
    connection: Any,
    sql: str,
    params: list[Any],
    filter_text: str,
    sort: str,
    descending: bool,
    limit: int | None,
    offset: int,
) -> list[Any] | None:
    """The rows of a filtered page, or None when the plain query (`sql`) should just run.

    Profiled with 100,000 entries: the plain query walks the sort index and reads each row
    it passes until the page is full. That is quick when many rows match, but when few or
    none do (an id being typed) it reads every row, in index order: random access, 0.3-0.5 s.
    So it runs with a budget of VM steps; past it, the matches of one sequential scan are
    sorted instead (`+column` keeps SQLite off the index). The same rows in the same order
    either way: every order ends with the unique pith_id.
    """
    where, where_params = filter_clause(filter_text)
    if not where or limit is None or limit <= 0:
        return None
    calls = 0

    def over_budget() -> bool:
        nonlocal calls
        calls += 1
        return calls > FILTER_STEPS // 1000

    connection.set_progress_handler(over_budget, 1000)
    try:
        rows: list[Any] = connection.execute(sql, params).fetchall()
        return rows
    except sqlite3.OperationalError:
        if calls <= FILTER_STEPS // 1000:
            raise  # not our interruption
    finally:
        connection.set_progress_handler(None, 0)
    unindexed = ", ".join(f"+{term}" for term in order_by(sort, descending).split(", "))
    rows = connection.execute(
        f"SELECT {ENTRY_COLUMNS} FROM entries{where} ORDER BY {unindexed} LIMIT ? OFFSET ?",
        [*where_params, limit, max(0, offset)],
    ).fetchall()
    return list(rows)


def count(connection: Any, filter_text: str) -> int:
    """How many entries `page` would list without a limit."""
    where, params = filter_clause(filter_text)
    return int(connection.execute(f"SELECT count(*) FROM entries{where}", params).fetchone()[0])


def entry(row: Sequence[Any]) -> CacheEntry:
    return CacheEntry(
        pith_id=row[0],
        pith_number=row[1],
        arxiv_id=row[2],
        title=row[3],
        authors=row[4],
        verdict=row[5],
        source=row[6],
        fetched_at=parse_time(row[7]),
        has_bundle=bool(row[8]),
        changed_upstream=bool(row[9]),
        text_changed_at=parse_time(row[10]) if row[10] else None,
    )
