"""The full-text index behind the listing filter: SQLite FTS5 with the trigram tokenizer.

The filter is a substring of an entry's `search_text`. Without an index every keystroke
reads every row (100,000 rows: p99 about 200 ms). The trigram index finds the rows that
hold every three-letter piece of a filter of three letters or more; the listing then keeps
only those whose text really contains it, so results are exactly the scan's (the index
folds case more widely than Python: `ſ` is an `s` to it).

The index is an external-content FTS5 table over `entries` (keyed by `entries.id`, which
VACUUM never renumbers), kept in step by triggers. Whether this SQLite has FTS5 and the
trigram tokenizer is checked when the cache is opened:

- it has: the index is created (or rebuilt, if the state in `meta` says it is not current)
  and used;
- it has not: the triggers are dropped (they could not run, and every write would fail),
  `meta` forgets the index state, and the listing scans as before. The next SQLite that
  has FTS5 rebuilds the index from `entries`, so nothing written meanwhile is missed.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from pith_tui.core.cache.sqlite import is_damage

INDEX = "entries_search"
STATE_KEY = "search_index"
STATE = "fts5-trigram-1"
MIN_NEEDLE = 3  # the trigram tokenizer matches nothing shorter

_TRIGGERS = {
    "entries_search_insert": (
        "CREATE TRIGGER entries_search_insert AFTER INSERT ON entries BEGIN "
        "INSERT INTO entries_search (rowid, search_text) VALUES (new.id, new.search_text); END"
    ),
    "entries_search_delete": (
        "CREATE TRIGGER entries_search_delete AFTER DELETE ON entries BEGIN "
        "INSERT INTO entries_search (entries_search, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); END"
    ),
    "entries_search_update": (
        "CREATE TRIGGER entries_search_update AFTER UPDATE OF search_text ON entries "
        "WHEN old.search_text IS NOT new.search_text BEGIN "
        "INSERT INTO entries_search (entries_search, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); "
        "INSERT INTO entries_search (rowid, search_text) VALUES (new.id, new.search_text); END"
    ),
}
_CREATE = (
    f"CREATE VIRTUAL TABLE {INDEX} USING fts5(search_text, content='entries', "
    "content_rowid='id', tokenize='trigram')"
)


def available(connection: Any) -> bool:
    """Whether this SQLite can make an FTS5 trigram index (tried in the connection's temp
    schema, which writes nothing to the cache file)."""
    try:
        connection.execute(
            "CREATE VIRTUAL TABLE temp.pith_fts5_probe USING fts5(x, tokenize='trigram')"
        )
        connection.execute("DROP TABLE temp.pith_fts5_probe")
    except sqlite3.Error:
        return False
    return True


def ensure(connection: Any, can_index: bool) -> bool:
    """Make the index current (or, without FTS5, harmless); True when the listing may use it.

    A failure here (a read-only file, a full disk) is not fatal: the listing scans instead.
    """
    try:
        if can_index:
            if _state(connection) == STATE and _exists(connection, INDEX):
                return True
            _transaction(connection, _build)
            return True
        if _triggers(connection) or _state(connection) is not None:
            _transaction(connection, _forget)
        return False
    except sqlite3.Error as exc:
        if is_damage(exc):
            raise
        return False


def detach(connection: Any) -> bool:
    """Drop the index and its triggers inside the caller's transaction, before `Cache.clear`
    deletes every entry (no delete per row); True when `attach` must build it again."""
    if _state(connection) != STATE:
        return False
    _drop(connection)
    return True


def attach(connection: Any) -> None:
    """A fresh index of `entries` with its triggers, after `detach`."""
    _create(connection, rebuild=True)


def match(needle: str) -> str:
    """The FTS5 query for a substring: one quoted phrase (quotes inside doubled)."""
    return '"' + needle.replace('"', '""') + '"'


def _state(connection: Any) -> str | None:
    row = connection.execute("SELECT value FROM meta WHERE key = ?", (STATE_KEY,)).fetchone()
    return str(row[0]) if row else None


def _exists(connection: Any, name: str) -> bool:
    row = connection.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    return row is not None


def _triggers(connection: Any) -> list[str]:
    rows = connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'entries_search_%'"
    ).fetchall()
    return [str(row[0]) for row in rows]


def _transaction(connection: Any, body: Any) -> None:
    connection.execute("BEGIN IMMEDIATE")
    try:
        body(connection)
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise


def _build(connection: Any) -> None:
    if _state(connection) == STATE and _exists(connection, INDEX):
        return  # another process built it meanwhile
    _drop(connection)
    _create(connection, rebuild=True)


def _drop(connection: Any) -> None:
    for name in _triggers(connection):
        connection.execute(f"DROP TRIGGER {name}")
    if _exists(connection, INDEX):
        connection.execute(f"DROP TABLE {INDEX}")


def _create(connection: Any, *, rebuild: bool) -> None:
    connection.execute(_CREATE)
    if rebuild:
        connection.execute(f"INSERT INTO {INDEX} ({INDEX}) VALUES ('rebuild')")
    for statement in _TRIGGERS.values():
        connection.execute(statement)
    connection.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (STATE_KEY, STATE))


def _forget(connection: Any) -> None:
    for name in _triggers(connection):
        connection.execute(f"DROP TRIGGER {name}")
    connection.execute("DELETE FROM meta WHERE key = ?", (STATE_KEY,))
