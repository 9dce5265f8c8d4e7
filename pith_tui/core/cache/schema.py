"""The cache's tables, their version, the migration from older versions, stored times.

Layout of `<dir>/cache.sqlite3` (schema version `SCHEMA_VERSION`):

- `entries`: one row per Pith id, denormalised for the cache listing (title, authors, last
  verdict, ...) with a lower-case `search_text` that the listing filter searches, and one
  index per sort column so a page of the listing never reads every row;
- `documents`: one row per distinct (pith id, kind, canonical_sha256): the bytes as
  received, zlib-compressed when that is smaller (`encoding`);
- `replaced`: the text history: earlier copies of a document that a copy with the same
  signed hash but other unsigned text (authors, citations, server claims...) replaced;
- `aliases`: exact lookup key (`ids.index_keys`: `pith:<ID>`, `pith:<YYYY>:<ID>`,
  `arxiv:<id>`) -> the one Pith id it names;
- `history`: past queries, de-duplicated by query text;
- `meta`: `schema_version`, and the state of the full-text index (`search`).

Version 1 (pith-tui 0.1) had no `replaced` table, no `encoding` or `text_changed_at`
column, and keys in its own grammar; `ready` migrates it in place (`_migrate_1_to_2`).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

from pith_tui.core.cache.sqlite import BrokenFile
from pith_tui.core.errors import QueryError
from pith_tui.core.ids import index_keys, is_pith_id, parse_query

SCHEMA_VERSION = 2

_ENTRIES_TABLE = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY,
    pith_id TEXT NOT NULL UNIQUE,
    pith_number TEXT NOT NULL,
    arxiv_id TEXT,
    title TEXT NOT NULL DEFAULT '',
    authors TEXT NOT NULL DEFAULT '',
    verdict TEXT NOT NULL DEFAULT 'unknown',
    source TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    has_bundle INTEGER NOT NULL DEFAULT 0,
    changed_upstream INTEGER NOT NULL DEFAULT 0,
    search_text TEXT NOT NULL DEFAULT '',
    text_changed_at TEXT
)
"""
_ENTRIES_INDEXES = """
CREATE INDEX IF NOT EXISTS entries_by_pith_number ON entries (pith_number, pith_id);
CREATE INDEX IF NOT EXISTS entries_by_arxiv_id ON entries (arxiv_id, pith_id);
CREATE INDEX IF NOT EXISTS entries_by_title ON entries (title COLLATE NOCASE, pith_id);
CREATE INDEX IF NOT EXISTS entries_by_verdict ON entries (verdict, fetched_at, pith_id);
CREATE INDEX IF NOT EXISTS entries_by_source ON entries (source, fetched_at, pith_id);
CREATE INDEX IF NOT EXISTS entries_by_fetched_at ON entries (fetched_at, pith_id);
"""
_V1_ENTRY_COLUMNS = (
    "pith_id, pith_number, arxiv_id, title, authors, verdict, source, fetched_at, has_bundle, "
    "changed_upstream, search_text"
)
_DOCUMENTS = """
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    pith_id TEXT NOT NULL REFERENCES entries (pith_id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    canonical_sha256 TEXT NOT NULL,
    raw BLOB NOT NULL,
    url TEXT,
    etag TEXT,
    last_modified TEXT,
    fetched_at TEXT NOT NULL,
    source TEXT NOT NULL,
    encoding TEXT NOT NULL DEFAULT 'identity',
    UNIQUE (pith_id, kind, canonical_sha256)
);
"""
_REPLACED = """
CREATE TABLE IF NOT EXISTS replaced (
    id INTEGER PRIMARY KEY,
    pith_id TEXT NOT NULL REFERENCES entries (pith_id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    canonical_sha256 TEXT NOT NULL,
    raw BLOB NOT NULL,
    encoding TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    source TEXT NOT NULL,
    replaced_at TEXT NOT NULL,
    changes TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS replaced_by_pith_id ON replaced (pith_id, replaced_at);
"""
_ALIASES = """
CREATE TABLE IF NOT EXISTS aliases (
    key TEXT PRIMARY KEY,
    pith_id TEXT NOT NULL REFERENCES entries (pith_id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS aliases_by_pith_id ON aliases (pith_id);
"""
_OTHERS = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history (
    query TEXT NOT NULL UNIQUE,
    pith_id TEXT,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_by_at ON history (at);
"""
_TABLES = {
    1: frozenset({"meta", "entries", "documents", "aliases", "history"}),
    2: frozenset({"meta", "entries", "documents", "aliases", "history", "replaced"}),
}


def time_text(moment: datetime) -> str:
    """Fixed-width ISO-8601 UTC, so text order is time order (the indexes rely on it)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"the time {moment!r} has no time zone; pass a tz-aware datetime")
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def parse_time(text: str) -> datetime:
    """A stored time. Text damaged on disk reads as the epoch (very stale), never a crash."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return datetime(1970, 1, 1, tzinfo=timezone.utc)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _version(connection: sqlite3.Connection) -> str:
    row = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return str(row[0]) if row else "none"


def inspect(connection: sqlite3.Connection) -> bool:
    """Raise `BrokenFile` unless the database is a cache this code can use (this version, or
    one it migrates); True when it has no tables yet."""
    tables = {
        row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    if not tables:
        return True
    if "meta" not in tables:
        raise BrokenFile("it is not a pith-tui cache")
    found = _version(connection)
    if found not in {str(version) for version in _TABLES}:
        raise BrokenFile(f"it has schema version {found}, this pith-tui uses {SCHEMA_VERSION}")
    if not tables >= _TABLES[int(found)]:
        raise BrokenFile("some of its tables are missing")
    connection.execute("SELECT count(*) FROM entries").fetchone()  # reads the entries tree
    return False


def ready(connection: sqlite3.Connection, empty: bool) -> None:
    """Create the tables in an empty file, or migrate an older schema, in one transaction;
    safe when another process does the same at the same moment."""
    if not empty and _version(connection) == str(SCHEMA_VERSION):
        return
    # The migration rebuilds `entries`: with foreign keys on, dropping the old table would
    # delete every document with it. The pragma cannot change inside a transaction.
    connection.execute("PRAGMA foreign_keys = OFF")
    connection.execute("BEGIN IMMEDIATE")
    try:
        found = _version(connection) if not empty or _has_meta(connection) else "none"
        if found == "none":
            _run(
                connection,
                f"{_OTHERS};{_ENTRIES_TABLE};{_ENTRIES_INDEXES};{_DOCUMENTS};{_REPLACED};{_ALIASES}",
            )
            connection.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
            found = _version(connection)
        if found == "1":
            _migrate_1_to_2(connection)
        elif found != str(SCHEMA_VERSION):  # another process made another schema meanwhile
            raise BrokenFile(f"it has schema version {found}, this pith-tui uses {SCHEMA_VERSION}")
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    finally:
        connection.execute("PRAGMA foreign_keys = ON")


def _has_meta(connection: sqlite3.Connection) -> bool:
    return (
        connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        ).fetchone()
        is not None
    )


def _run(connection: sqlite3.Connection, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            connection.execute(statement)


def _migrate_1_to_2(connection: sqlite3.Connection) -> None:
    """Version 1 -> 2 in place, inside the caller's transaction; nothing cached is lost.

    `entries` is rebuilt with an integer key, new columns and the text-history table are
    added; documents stay as they are (stored uncompressed, which `encoding` 'identity'
    says). The lookup keys are derived again by
    `ids.index_keys` from what each entry holds: its Pith id, the year of its Pith Number,
    and its arXiv id - which version 1 took from the record's signed source - kept only
    where version 1 gave that entry the arXiv id's key (the latest of several records of
    one paper). The resolver still checks every cache hit against the signed record.
    """
    # `entries` gets a stable integer key (the full-text index is keyed by it), in the same
    # order; its new column starts empty.
    connection.execute(_ENTRIES_TABLE.replace("IF NOT EXISTS entries (", "entries_v2 ("))
    connection.execute(
        f"INSERT INTO entries_v2 ({_V1_ENTRY_COLUMNS}) SELECT {_V1_ENTRY_COLUMNS} FROM entries "
        "ORDER BY rowid"
    )
    connection.execute("DROP TABLE entries")
    connection.execute("ALTER TABLE entries_v2 RENAME TO entries")
    _run(connection, _ENTRIES_INDEXES)
    connection.execute("ALTER TABLE documents ADD COLUMN encoding TEXT NOT NULL DEFAULT 'identity'")
    _run(connection, _REPLACED)
    rows = connection.execute(
        "SELECT pith_id, pith_number, arxiv_id, EXISTS (SELECT 1 FROM aliases AS a WHERE "
        "a.pith_id = e.pith_id AND a.key = lower(e.arxiv_id)) FROM entries AS e"
    ).fetchall()
    connection.execute("ALTER TABLE aliases RENAME TO aliases_v1")
    connection.execute("DROP INDEX IF EXISTS aliases_by_pith_id")
    _run(connection, _ALIASES)
    keys: dict[str, str] = {}
    for pith_id, pith_number, arxiv_id, holds_arxiv_key in rows:
        if not isinstance(pith_id, str) or not is_pith_id(pith_id):
            continue  # damaged on disk: found by nothing, as before
        year = _year_of_number(pith_number, pith_id)
        source_id = arxiv_id if holds_arxiv_key and isinstance(arxiv_id, str) else ""
        for key in index_keys(pith_id, year, "arxiv", source_id):
            keys[key] = pith_id
    connection.executemany("INSERT INTO aliases (key, pith_id) VALUES (?, ?)", sorted(keys.items()))
    connection.execute("DROP TABLE aliases_v1")
    connection.execute(
        "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),)
    )


def _year_of_number(pith_number: object, pith_id: str) -> int | None:
    if not isinstance(pith_number, str):
        return None
    try:
        query = parse_query(pith_number)
    except QueryError:
        return None
    return query.year if query.kind == "pith_id" and query.value == pith_id else None
