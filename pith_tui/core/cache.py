"""The local cache: raw Pith documents in one SQLite file under the user's cache folder.

The cache is a dumb store. It keeps the bytes exactly as received and never verifies them:
the resolver re-verifies a document every time it is loaded, so a tampered cache file can
make pith-tui show "failed", never a false "verified".

Layout of `<dir>/cache.sqlite3` (schema version `SCHEMA_VERSION`):

- `entries`: one row per Pith id, denormalised for the cache listing (title, authors, last
  verdict, ...) with a lower-case `search_text` that the listing filter searches, and one
  index per sort column so a page of the listing never reads every row;
- `documents`: one row per distinct (pith id, kind, canonical_sha256), raw bytes as a BLOB;
- `aliases`: lookup key -> pith id (the id, its 8/12/16-char prefixes, arXiv ids with and
  without version, DOI). Pith keys are upper-case and may be shared by several ids (a short
  prefix can collide); arXiv/DOI keys are lower-case and belong to the latest put;
- `history`: past queries, de-duplicated by query text;
- `meta`: `schema_version`.

Concurrency: WAL journal, `BEGIN IMMEDIATE` for every write transaction and a 10 s busy
timeout, so several pith-tui processes can write at once without "database is locked".
Within a process one connection is shared by all threads (`check_same_thread=False`), and
every use of it is serialised by a lock: SQLite allows one writer at a time anyway, and
the listing queries take milliseconds.

A file that is not a SQLite database, is damaged, or has another schema version is never
deleted: it is moved aside to `cache.sqlite3.broken-<UTC time>` (with its -wal/-shm) and a
fresh cache is started; `Cache.recovered_from` / `recovery_message` tell the user.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from pith_tui.core.errors import CacheError

SCHEMA_VERSION = 1
CACHE_FILE_NAME = "cache.sqlite3"
ENV_CACHE_DIR = "PITH_TUI_CACHE_DIR"
BUSY_TIMEOUT_SECONDS = 10.0
HISTORY_KEEP = 1000

KINDS = ("record", "bundle", "state")
_KIND_ORDER = {kind: index for index, kind in enumerate(KINDS)}
VERDICTS = ("verified", "failed", "incomplete", "unknown")
SORT_COLUMNS = ("pith_number", "arxiv_id", "title", "verdict", "source", "fetched_at")

_PITH_ID = re.compile(r"[A-Z2-7]{26}")
_BASE32 = re.compile(r"[A-Z2-7]+")
_PITH_NUMBER = re.compile(r"pith:(?:\d{4}:)?([A-Za-z2-7]+)", re.IGNORECASE)
# arXiv ids, lower-cased: new style 1611.01838, old style cs/0512068 or math.ag/0601001.
_ARXIV = re.compile(r"(\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(v\d+)?")
_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "doi.org/", "doi:")
_SHORT_LENGTHS = (8, 12, 16)
_MIN_PREFIX = 8
_SURROGATE = re.compile("[\ud800-\udfff]")  # SQLite cannot bind such text

# SQLite primary result codes (sqlite_errorcode & 0xFF) that we explain in plain words.
_SQLITE_PERM, _SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY = 3, 5, 6, 8
_SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN = 10, 11, 13, 14
_SQLITE_NOTADB = 26

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entries (
    pith_id TEXT PRIMARY KEY,
    pith_number TEXT NOT NULL,
    arxiv_id TEXT,
    title TEXT NOT NULL DEFAULT '',
    authors TEXT NOT NULL DEFAULT '',
    verdict TEXT NOT NULL DEFAULT 'unknown',
    source TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    has_bundle INTEGER NOT NULL DEFAULT 0,
    changed_upstream INTEGER NOT NULL DEFAULT 0,
    search_text TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS entries_by_pith_number ON entries (pith_number, pith_id);
CREATE INDEX IF NOT EXISTS entries_by_arxiv_id ON entries (arxiv_id, pith_id);
CREATE INDEX IF NOT EXISTS entries_by_title ON entries (title COLLATE NOCASE, pith_id);
CREATE INDEX IF NOT EXISTS entries_by_verdict ON entries (verdict, fetched_at, pith_id);
CREATE INDEX IF NOT EXISTS entries_by_source ON entries (source, fetched_at, pith_id);
CREATE INDEX IF NOT EXISTS entries_by_fetched_at ON entries (fetched_at, pith_id);
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
    UNIQUE (pith_id, kind, canonical_sha256)
);
CREATE TABLE IF NOT EXISTS aliases (
    key TEXT NOT NULL,
    pith_id TEXT NOT NULL REFERENCES entries (pith_id) ON DELETE CASCADE,
    PRIMARY KEY (key, pith_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS aliases_by_pith_id ON aliases (pith_id);
CREATE TABLE IF NOT EXISTS history (
    query TEXT NOT NULL UNIQUE,
    pith_id TEXT,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_by_at ON history (at);
"""
_TABLES = frozenset({"meta", "entries", "documents", "aliases", "history"})

# ORDER BY for each sort column; each matches an index above, so a page is an index walk.
_ORDER_BY = {
    "pith_number": "pith_number {d}, pith_id {d}",
    "arxiv_id": "arxiv_id {d}, pith_id {d}",
    "title": "title COLLATE NOCASE {d}, pith_id {d}",
    "verdict": "verdict {d}, fetched_at {d}, pith_id {d}",
    "source": "source {d}, fetched_at {d}, pith_id {d}",
    "fetched_at": "fetched_at {d}, pith_id {d}",
}
_ENTRY_COLUMNS = (
    "pith_id, pith_number, arxiv_id, title, authors, verdict, source, fetched_at, "
    "has_bundle, changed_upstream"
)
_DOC_COLUMNS = "pith_id, kind, raw, canonical_sha256, url, etag, last_modified, fetched_at, source"
_LATEST_FIRST = "ORDER BY fetched_at DESC, id DESC"
_UPSERT_ENTRY = (
    "INSERT INTO entries (pith_id, pith_number, arxiv_id, title, authors, verdict, source, "
    "fetched_at, has_bundle, changed_upstream, search_text) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (pith_id) DO UPDATE SET pith_number = excluded.pith_number, "
    "arxiv_id = excluded.arxiv_id, title = excluded.title, authors = excluded.authors, "
    "verdict = excluded.verdict, source = excluded.source, fetched_at = excluded.fetched_at, "
    "has_bundle = excluded.has_bundle, changed_upstream = excluded.changed_upstream, "
    "search_text = excluded.search_text"
)
_INSERT_ALIAS = "INSERT OR IGNORE INTO aliases (key, pith_id) VALUES (?, ?)"
# REPLACE: a same-hash put replaces its row (raw, validators, time) instead of adding one,
# and the new rowid makes it the latest even when two puts share a timestamp.
_INSERT_DOCUMENT = (
    "INSERT OR REPLACE INTO documents (pith_id, kind, canonical_sha256, raw, url, etag, "
    "last_modified, fetched_at, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_IN_CHUNK = 500  # bound parameters per IN (...) query, well under SQLite's limit


def default_cache_dir() -> Path:
    """`$PITH_TUI_CACHE_DIR` if set, else the platform's user cache folder for pith-tui."""
    configured = os.environ.get(ENV_CACHE_DIR, "").strip()
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return platformdirs.user_cache_path("pith-tui")


@dataclass(frozen=True)
class StoredDocument:
    """One document as received; `raw` is kept byte for byte."""

    pith_id: str
    kind: str  # "record" | "bundle" | "state"
    raw: bytes
    canonical_sha256: str
    url: str | None
    etag: str | None
    last_modified: str | None
    fetched_at: datetime  # tz-aware
    source: str  # "network", "sample", "file", "import"


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


@dataclass(frozen=True)
class PutResult:
    """`changed_upstream`: a different document arrived for an id or arXiv id already cached."""

    changed_upstream: bool


@dataclass(frozen=True)
class PutItem:
    """The arguments of one `Cache.put`, for `Cache.put_many`."""

    doc: StoredDocument
    pith_number: str
    aliases: Sequence[tuple[str, str]] = ()
    title: str = ""
    authors: str = ""
    arxiv_id: str | None = None
    verdict: str = "unknown"


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _time_text(moment: datetime) -> str:
    """Fixed-width ISO-8601 UTC, so text order is time order (the indexes rely on it)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"the time {moment!r} has no time zone; pass a tz-aware datetime")
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _parse_time(text: str) -> datetime:
    """A stored time. Text damaged on disk reads as the epoch (very stale), never a crash."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return datetime(1970, 1, 1, tzinfo=timezone.utc)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _normalise_pith_id(pith_id: str) -> str:
    value = pith_id.strip().upper()
    if not _PITH_ID.fullmatch(value):
        raise ValueError(f"{pith_id!r} is not a 26-character Pith id")
    return value


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}; expected one of {', '.join(KINDS)}")
    return kind


def _arxiv_keys(value: str) -> list[str]:
    """Lower-case keys for an arXiv id: as given and, if versioned, without the version."""
    key = value.strip().lower()
    if key.startswith("arxiv:"):
        key = key[len("arxiv:") :].strip()
    if not key:
        return []
    match = _ARXIV.fullmatch(key)
    if match and match.group(2):
        return [key, match.group(1)]
    return [key]


def _unversioned_arxiv(value: str) -> str | None:
    keys = _arxiv_keys(value)
    return keys[-1] if keys else None


def _strip_doi_prefix(key: str) -> str:
    for prefix in _DOI_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix) :].strip()
    return key


def _pith_key(value: str) -> str:
    """Upper-case Pith key without `pith:` / `pith:YYYY:`."""
    value = value.strip()
    match = _PITH_NUMBER.fullmatch(value)
    return (match.group(1) if match else value).upper()


def _alias_keys(
    pith_id: str, aliases: Iterable[tuple[str, str]], arxiv_id: str | None
) -> tuple[set[str], set[str]]:
    """(pith keys, other keys) for one put; pith keys derive from the id, not the aliases."""
    pith_keys = {pith_id, *(pith_id[:n] for n in _SHORT_LENGTHS)}
    other_keys: set[str] = set()
    for kind, value in aliases:
        if not value or not value.strip():
            continue
        kind = (kind or "").strip().lower()
        if kind.startswith("pith"):
            pith_keys.add(_pith_key(value))
        elif kind.startswith("arxiv"):
            other_keys.update(_arxiv_keys(value))
        elif kind == "doi":
            other_keys.add(_strip_doi_prefix(value.strip().lower()))
        else:
            other_keys.update(_arxiv_keys(value))
    if arxiv_id:
        other_keys.update(_arxiv_keys(arxiv_id))
    return pith_keys, other_keys


def _display_arxiv_id(arxiv_id: str | None, aliases: Sequence[tuple[str, str]]) -> str | None:
    """The arXiv id for the listing: as given, else the `arxiv` alias, else `arxiv_version`."""
    if arxiv_id and arxiv_id.strip():
        return arxiv_id.strip()
    for wanted in ("arxiv", "arxiv_version"):
        for kind, value in aliases:
            if (kind or "").strip().lower() == wanted and value and value.strip():
                value = value.strip()
                if wanted == "arxiv_version":
                    match = _ARXIV.fullmatch(value.lower())
                    if match and match.group(2):
                        value = value[: len(match.group(1))]
                return value
    return None


def _search_text(parts: Iterable[str | None]) -> str:
    """Lower-case, newline-separated, de-duplicated: a filter term never spans two fields."""
    seen: dict[str, None] = {}
    for part in parts:
        if part:
            seen.setdefault(" ".join(part.lower().split()), None)
    return "\n".join(seen)


def _error_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)  # Python >= 3.11
    if isinstance(code, int):
        return code & 0xFF
    message = str(exc).lower()  # Python 3.10, or an error raised by a wrapper
    for needle, guess in (
        ("disk is full", _SQLITE_FULL),
        ("readonly", _SQLITE_READONLY),
        ("read-only", _SQLITE_READONLY),
        ("unable to open", _SQLITE_CANTOPEN),
        ("is locked", _SQLITE_BUSY),
        ("is busy", _SQLITE_BUSY),
        ("disk i/o", _SQLITE_IOERR),
        ("malformed", _SQLITE_CORRUPT),
        ("unsupported file format", _SQLITE_CORRUPT),
        ("not a database", _SQLITE_NOTADB),
        ("access permission", _SQLITE_PERM),
    ):
        if needle in message:
            return guess
    return None


def _is_damage(exc: sqlite3.Error) -> bool:
    return _error_code(exc) in (_SQLITE_CORRUPT, _SQLITE_NOTADB)


def _reason(exc: BaseException) -> str:
    """Plain words for an SQLite or OS error."""
    if isinstance(exc, sqlite3.Error):
        code = _error_code(exc)
        plain = {
            _SQLITE_FULL: "disk is full",
            _SQLITE_READONLY: "the file or its folder is read-only",
            _SQLITE_PERM: "permission denied",
            _SQLITE_CANTOPEN: "the file cannot be opened or created (is the folder read-only?)",
            _SQLITE_BUSY: f"another program kept it locked for over {BUSY_TIMEOUT_SECONDS:g} s",
            _SQLITE_LOCKED: f"another program kept it locked for over {BUSY_TIMEOUT_SECONDS:g} s",
            _SQLITE_IOERR: "a disk read or write failed",
            _SQLITE_CORRUPT: "the file is damaged",
            _SQLITE_NOTADB: "the file is not a cache database",
        }.get(code or -1)
        return plain or str(exc)
    if isinstance(exc, OSError):
        if isinstance(exc, PermissionError):
            return "permission denied (the folder is read-only)"
        if isinstance(exc, (NotADirectoryError, FileExistsError)):
            return "a file is in the way of the folder"
        if exc.errno == 28:  # ENOSPC
            return "disk is full"
        return exc.strerror or str(exc)
    return str(exc)


class _BrokenFile(Exception):
    """The file is there but unusable as our cache; it must be moved aside."""


class _Busy(Exception):
    """Another process holds a lock while opening; try again shortly."""


class Cache:
    """The SQLite cache. Open with `Cache.open()`; safe to share between threads."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        path: Path,
        clock: Callable[[], datetime],
        recovered_from: Path | None = None,
        recovery_reason: str = "",
    ) -> None:
        self._conn: Any = connection
        self._lock = threading.RLock()
        self._clock = clock
        self.path = path
        self.recovered_from = recovered_from
        self._recovery_reason = recovery_reason

    # ----------------------------------------------------------------- opening

    @classmethod
    def open(
        cls, directory: Path | None = None, *, clock: Callable[[], datetime] | None = None
    ) -> Cache:
        """Open (creating if needed) `<directory>/cache.sqlite3`; a broken file is moved aside.

        Raises `CacheError` when the folder or file cannot be created, opened or written.
        """
        folder = Path(directory) if directory is not None else default_cache_dir()
        path = folder / CACHE_FILE_NAME
        clock = clock or _utc_now
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError(
                f"cannot write the cache at {path}: the folder {folder} cannot be created "
                f"({_reason(exc)})"
            ) from None
        if not os.access(folder, os.W_OK | os.X_OK):
            raise CacheError(f"cannot write the cache at {path}: the folder is read-only")

        recovered_from: Path | None = None
        reason = ""
        moves = 0
        deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
        pause = 0.01
        while True:
            identity = _file_identity(path)
            try:
                _probe(path)
                connection = _connect(path)
            except _Busy as busy:
                # Another process is creating the file or switching it to WAL; SQLite does
                # not always wait for that by itself.
                if time.monotonic() + pause > deadline:
                    raise CacheError(f"cannot open the cache at {path}: {busy}") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.2)
                continue
            except _BrokenFile as broken:
                if _file_identity(path) != identity:
                    continue  # another process replaced the file meanwhile: look again
                moves += 1
                if moves > 2:
                    raise CacheError(
                        f"cannot open the cache at {path}: it is damaged again after being "
                        f"replaced ({broken})"
                    ) from None
                reason = str(broken)
                recovered_from = _move_aside(path, clock())
                continue
            return cls(connection, path, clock, recovered_from, reason)

    @property
    def recovery_message(self) -> str | None:
        """A sentence for the user when a broken cache file was moved aside, else None."""
        if self.recovered_from is None:
            return None
        return (
            f"The cache file {self.path} could not be used ({self._recovery_reason}), so it "
            f"was kept as {self.recovered_from} and a new, empty cache was started."
        )

    def close(self) -> None:
        """Close the connection; later calls raise `CacheError`."""
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.close()
                finally:
                    self._conn = None

    def __enter__(self) -> Cache:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -------------------------------------------------------------- plumbing

    def _connection(self) -> Any:
        if self._conn is None:
            raise CacheError(f"the cache at {self.path} is closed")
        return self._conn

    @contextmanager
    def _reading(self) -> Iterator[Any]:
        with self._lock:
            connection = self._connection()
            try:
                yield connection
            except sqlite3.Error as exc:
                raise CacheError(f"cannot read the cache at {self.path}: {_reason(exc)}") from exc

    @contextmanager
    def _writing(self) -> Iterator[Any]:
        """One `BEGIN IMMEDIATE` transaction; any error rolls everything back."""
        with self._lock:
            connection = self._connection()
            try:
                connection.execute("BEGIN IMMEDIATE")
                yield connection
                connection.execute("COMMIT")
            except BaseException as exc:
                if connection.in_transaction:
                    # SQLite may have rolled back already (e.g. after SQLITE_FULL).
                    with suppress(sqlite3.Error):
                        connection.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise CacheError(
                        f"cannot write the cache at {self.path}: {_reason(exc)}"
                    ) from exc
                raise

    # -------------------------------------------------------------- documents

    def put(
        self,
        doc: StoredDocument,
        *,
        pith_number: str,
        aliases: Iterable[tuple[str, str]],
        title: str = "",
        authors: str = "",
        arxiv_id: str | None = None,
        verdict: str = "unknown",
    ) -> PutResult:
        """Store one document and index its aliases, in one transaction.

        `changed_upstream` is True when the latest document of this kind had another hash,
        or when one of the arXiv ids/DOIs belonged to another Pith id (which then loses it);
        the flag then stays set on the entry. Title, authors and arXiv id left empty keep
        what the entry has. The default verdict "unknown" keeps the entry's last verdict,
        unless the document changed upstream, which makes the old verdict meaningless.
        """
        item = PutItem(doc, pith_number, tuple(aliases), title, authors, arxiv_id, verdict)
        prepared = _prepare(item)
        with self._writing() as connection:
            return _put_one(connection, prepared)

    def put_many(self, items: Iterable[PutItem]) -> list[PutResult]:
        """Many `put`s in ONE transaction (imports, benchmarks): all are stored, or none."""
        batch = [_prepare(item) for item in items]
        with self._writing() as connection:
            return _put_batch(connection, batch)

    def get(self, pith_id: str, kind: str) -> StoredDocument | None:
        """The current (latest fetched) document of this kind, or None."""
        pith_id, kind = _normalise_pith_id(pith_id), _check_kind(kind)
        with self._reading() as connection:
            row = connection.execute(
                f"SELECT {_DOC_COLUMNS} FROM documents WHERE pith_id = ? AND kind = ? "
                f"{_LATEST_FIRST} LIMIT 1",
                (pith_id, kind),
            ).fetchone()
        return _document(row) if row else None

    def get_many(self, pith_ids: Iterable[str]) -> dict[str, list[StoredDocument]]:
        """The current document of each kind for many ids: one query per 500 ids.

        Every id asked for is a key of the result (upper-case), with its current documents
        in kind order (record, bundle, state), or an empty list when nothing is cached.
        Raises ValueError for a string that is not a Pith id, before reading anything.
        """
        wanted = list(dict.fromkeys(_normalise_pith_id(pith_id) for pith_id in pith_ids))
        found: dict[str, list[StoredDocument]] = {pith_id: [] for pith_id in wanted}
        with self._reading() as connection:
            for start in range(0, len(wanted), _IN_CHUNK):
                chunk = wanted[start : start + _IN_CHUNK]
                marks = ", ".join("?" * len(chunk))
                rows = connection.execute(
                    f"SELECT {_DOC_COLUMNS} FROM (SELECT *, row_number() OVER (PARTITION BY "
                    "pith_id, kind ORDER BY fetched_at DESC, id DESC) AS newest FROM documents "
                    f"WHERE pith_id IN ({marks})) WHERE newest = 1",
                    chunk,
                ).fetchall()
                for row in sorted(rows, key=lambda r: (r[0], _KIND_ORDER.get(r[1], len(KINDS)))):
                    found[row[0]].append(_document(row))
        return found

    def versions(self, pith_id: str, kind: str) -> list[StoredDocument]:
        """Every distinct canonical version kept, newest first."""
        pith_id, kind = _normalise_pith_id(pith_id), _check_kind(kind)
        with self._reading() as connection:
            rows = connection.execute(
                f"SELECT {_DOC_COLUMNS} FROM documents WHERE pith_id = ? AND kind = ? "
                f"{_LATEST_FIRST}",
                (pith_id, kind),
            ).fetchall()
        return [_document(row) for row in rows]

    def touch(
        self,
        pith_id: str,
        kind: str,
        *,
        fetched_at: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        """Record a 304 revalidation of the current document; None keeps the old validators."""
        pith_id, kind = _normalise_pith_id(pith_id), _check_kind(kind)
        when = _time_text(fetched_at)
        with self._writing() as connection:
            connection.execute(
                "UPDATE documents SET fetched_at = ?, etag = coalesce(?, etag), "
                "last_modified = coalesce(?, last_modified) WHERE id = (SELECT id FROM "
                f"documents WHERE pith_id = ? AND kind = ? {_LATEST_FIRST} LIMIT 1)",
                (when, etag, last_modified, pith_id, kind),
            )
            connection.execute(
                "UPDATE entries SET fetched_at = max(fetched_at, ?) WHERE pith_id = ?",
                (when, pith_id),
            )

    # ------------------------------------------------------------------ lookup

    def resolve(self, key: str) -> str | None:
        """The Pith id that `key` names, or None if nothing cached matches.

        Accepts the 26-char id, `pith:[YYYY:]ID`, prefixes of 8+ chars (shorts 8/12/16),
        arXiv ids with or without version (`arXiv:` prefix allowed) and DOIs, in any case.
        Raises `CacheError` when a short prefix matches several cached records.
        """
        text = key.strip()
        if not text or _SURROGATE.search(text):
            return None  # a lone surrogate (undecodable argv bytes) names nothing stored
        lower = text.lower()
        pith_form: str | None = None
        other_form: str | None = None
        match = _PITH_NUMBER.fullmatch(text)
        if match:
            pith_form = match.group(1).upper()
        elif lower.startswith("arxiv:"):
            other_form = lower[len("arxiv:") :].strip()
        elif _strip_doi_prefix(lower) != lower:
            other_form = _strip_doi_prefix(lower)
        else:
            other_form = lower
            if _BASE32.fullmatch(text.upper()):
                pith_form = text.upper()
        keys = [k for k in (pith_form, other_form) if k]
        if not keys:
            return None
        with self._reading() as connection:
            found = _lookup(connection, keys)
            if not found and other_form:
                bare = _unversioned_arxiv(other_form)
                if bare and bare != other_form:
                    found = _lookup(connection, [bare])
            if not found and pith_form and _MIN_PREFIX <= len(pith_form) < 26:
                # Prefixes of any length >= 8: a range search on the entries primary key.
                found = [
                    row[0]
                    for row in connection.execute(
                        "SELECT pith_id FROM entries WHERE pith_id >= ? AND pith_id < ?",
                        (pith_form, pith_form + "\x7f"),
                    )
                ]
        if len(found) > 1:
            label = f"pith:{pith_form}" if pith_form else text
            raise CacheError(f"{label} matches {len(found)} cached records")
        return found[0] if found else None

    # ----------------------------------------------------------------- listing

    def set_verdict(self, pith_id: str, verdict: str) -> None:
        """Remember the last verdict, for the listing only."""
        self.set_verdicts([(pith_id, verdict)])

    def set_verdicts(self, items: Iterable[tuple[str, str]]) -> None:
        """Remember many verdicts in one transaction (bulk re-verification)."""
        rows = []
        for pith_id, verdict in items:
            if verdict not in VERDICTS:
                raise ValueError(
                    f"unknown verdict {verdict!r}; expected one of {', '.join(VERDICTS)}"
                )
            rows.append((verdict, _normalise_pith_id(pith_id)))
        with self._writing() as connection:
            connection.executemany("UPDATE entries SET verdict = ? WHERE pith_id = ?", rows)

    def entries(
        self,
        *,
        filter_text: str = "",
        sort: str = "fetched_at",
        descending: bool = True,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[CacheEntry]:
        """One page of the listing: `filter_text` is a case-insensitive substring of the Pith
        id or number, an alias, the title or the authors.
        """
        sql, params = _entries_query(filter_text, sort, descending, limit, offset)
        with self._reading() as connection:
            rows = _filtered_page(
                connection, sql, params, filter_text, sort, descending, limit, offset
            )
            if rows is None:
                rows = connection.execute(sql, params).fetchall()
        return [_entry(row) for row in rows]

    def entry(self, pith_id: str) -> CacheEntry | None:
        """One row of the listing, by Pith id (a primary-key lookup), or None."""
        pith_id = _normalise_pith_id(pith_id)
        with self._reading() as connection:
            row = connection.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE pith_id = ?", (pith_id,)
            ).fetchone()
        return _entry(row) if row else None

    def count(self, filter_text: str = "") -> int:
        """How many entries `entries(filter_text=...)` would list without a limit."""
        where, params = _filter_clause(filter_text)
        with self._reading() as connection:
            return int(
                connection.execute(f"SELECT count(*) FROM entries{where}", params).fetchone()[0]
            )

    def verdict_counts(self) -> dict[str, int]:
        """How many entries have each last verdict (an index walk, no row is read)."""
        with self._reading() as connection:
            rows = connection.execute("SELECT verdict, count(*) FROM entries GROUP BY verdict")
            return {str(verdict): int(count) for verdict, count in rows}

    def all_pith_ids(self) -> list[str]:
        """Every cached Pith id, sorted."""
        with self._reading() as connection:
            return [row[0] for row in connection.execute("SELECT pith_id FROM entries ORDER BY 1")]

    def remove(self, pith_id: str) -> bool:
        """Forget one Pith id and all its documents and aliases; False if it was not cached."""
        pith_id = _normalise_pith_id(pith_id)
        with self._writing() as connection:
            cursor = connection.execute("DELETE FROM entries WHERE pith_id = ?", (pith_id,))
            return bool(cursor.rowcount > 0)

    def clear(self) -> int:
        """Forget every cached document (not the query history); returns how many entries."""
        with self._writing() as connection:
            removed = int(connection.execute("SELECT count(*) FROM entries").fetchone()[0])
            connection.execute("DELETE FROM aliases")
            connection.execute("DELETE FROM documents")
            connection.execute("DELETE FROM entries")
            return removed

    # ----------------------------------------------------------------- history

    def add_history(self, query: str, pith_id: str | None) -> None:
        """Remember a query (at the clock's time); repeating a query moves it to the top."""
        text = query.strip()
        if not text:
            return
        when = _time_text(self._clock())
        with self._writing() as connection:
            # REPLACE gives the row a new rowid, which breaks ties between equal times.
            connection.execute(
                "INSERT OR REPLACE INTO history (query, pith_id, at) VALUES (?, ?, ?)",
                (text, pith_id, when),
            )
            connection.execute(
                "DELETE FROM history WHERE rowid NOT IN (SELECT rowid FROM history "
                "ORDER BY at DESC, rowid DESC LIMIT ?)",
                (HISTORY_KEEP,),
            )

    def history(self, limit: int = 50) -> list[tuple[str, str | None, datetime]]:
        """(query, pith id, time), most recent first, one per distinct query."""
        with self._reading() as connection:
            rows = connection.execute(
                "SELECT query, pith_id, at FROM history ORDER BY at DESC, rowid DESC LIMIT ?",
                (max(0, limit),),
            ).fetchall()
        return [(query, pith_id, _parse_time(at)) for query, pith_id, at in rows]


# ---------------------------------------------------------------------- helpers


def _file_identity(path: Path) -> tuple[int, int, int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def _inspect(connection: sqlite3.Connection) -> bool:
    """Raise `_BrokenFile` unless the database is our cache; True when it has no tables yet."""
    tables = {
        row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    if not tables:
        return True
    if "meta" not in tables:
        raise _BrokenFile("it is not a pith-tui cache")
    row = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    found = row[0] if row else "none"
    if found != str(SCHEMA_VERSION):
        raise _BrokenFile(f"it has schema version {found}, this pith-tui uses {SCHEMA_VERSION}")
    if not tables >= _TABLES:
        raise _BrokenFile("some of its tables are missing")
    connection.execute("SELECT count(*) FROM entries").fetchone()  # reads the entries tree
    return False


def _probe(path: Path) -> None:
    """Check an existing file through a read-only connection.

    A read-write connection to a damaged file could checkpoint its -wal into it or delete
    the -wal on close; the read-only one changes nothing, so the file is moved aside as it
    was. Errors other than damage (locks, permissions) are left to `_connect` to report.
    """
    try:
        if path.stat().st_size == 0:
            return
        connection = sqlite3.connect(
            f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS
        )
    except (OSError, sqlite3.Error):
        return
    try:
        _inspect(connection)
    except sqlite3.Error as exc:
        if _is_damage(exc):
            raise _BrokenFile(_reason(exc)) from None
    finally:
        connection.close()


def _connect(path: Path) -> sqlite3.Connection:
    """Connect, check the schema (creating it in an empty file), set the pragmas.

    Raises `_BrokenFile` for a damaged or foreign file, `CacheError` for everything else
    (permissions, locks, disk): those must never cause the file to be moved aside.
    """
    try:
        connection = sqlite3.connect(
            str(path),
            timeout=BUSY_TIMEOUT_SECONDS,
            isolation_level=None,  # we issue BEGIN IMMEDIATE / COMMIT ourselves
            check_same_thread=False,  # shared between threads, serialised by Cache._lock
        )
    except sqlite3.Error as exc:
        raise CacheError(f"cannot open the cache at {path}: {_reason(exc)}") from None
    try:
        connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        empty = _inspect(connection)
        if connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            connection.execute("PRAGMA journal_mode = WAL")  # fails at once if busy
        # NORMAL is safe with WAL: a power cut can lose the last write, not corrupt the file.
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA cache_size = -32000")  # 32 MB page cache
        connection.execute("PRAGMA temp_store = MEMORY")
        if empty:
            _create_schema(connection)
    except _BrokenFile:
        connection.close()
        raise
    except sqlite3.Error as exc:
        connection.close()
        if _is_damage(exc):
            raise _BrokenFile(_reason(exc)) from None
        if _error_code(exc) in (_SQLITE_BUSY, _SQLITE_LOCKED):
            raise _Busy(_reason(exc)) from None
        raise CacheError(f"cannot open the cache at {path}: {_reason(exc)}") from None
    return connection


def _create_schema(connection: sqlite3.Connection) -> None:
    """Create the tables; safe when another process does the same at the same moment."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                connection.execute(statement)
        connection.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )
        row = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row[0] != str(SCHEMA_VERSION):  # another process created a different schema
            raise _BrokenFile(
                f"it has schema version {row[0]}, this pith-tui uses {SCHEMA_VERSION}"
            )
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise


def _move_aside(path: Path, now: datetime) -> Path:
    """Rename the file and its -wal/-shm to `cache.sqlite3.broken-<UTC time>[-N]`."""
    stamp = now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.broken-{stamp}")
    number = 1
    while any(Path(f"{target}{s}").exists() for s in ("", "-wal", "-shm")):
        target = path.with_name(f"{path.name}.broken-{stamp}-{number}")
        number += 1
    try:
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{path}{suffix}")
            if source.exists():
                os.rename(source, f"{target}{suffix}")
    except OSError as exc:
        raise CacheError(
            f"the cache at {path} is damaged and cannot be moved aside ({_reason(exc)}); "
            "move or delete it by hand"
        ) from None
    return target


@dataclass(frozen=True)
class _Prepared:
    """A `PutItem` checked and normalised before its transaction starts."""

    item: PutItem
    pith_id: str
    fetched_at: str
    arxiv_id: str | None
    pith_keys: frozenset[str]
    other_keys: frozenset[str]


def _prepare(item: PutItem) -> _Prepared:
    """Reject programming errors (bad id, kind, time, verdict) before any write."""
    pith_id = _normalise_pith_id(item.doc.pith_id)
    _check_kind(item.doc.kind)
    if item.verdict not in VERDICTS:
        raise ValueError(f"unknown verdict {item.verdict!r}; expected one of {', '.join(VERDICTS)}")
    aliases = tuple(item.aliases)
    arxiv_id = _display_arxiv_id(item.arxiv_id, aliases)
    pith_keys, other_keys = _alias_keys(pith_id, aliases, arxiv_id)
    return _Prepared(
        item,
        pith_id,
        _time_text(item.doc.fetched_at),
        arxiv_id,
        frozenset(pith_keys),
        frozenset(other_keys),
    )


def _lookup(connection: Any, keys: list[str]) -> list[str]:
    marks = ", ".join("?" * len(keys))
    return [
        row[0]
        for row in connection.execute(
            f"SELECT DISTINCT pith_id FROM aliases WHERE key IN ({marks})", keys
        )
    ]


def _put_one(connection: Any, prepared: _Prepared) -> PutResult:
    """The body of `put`, inside the caller's write transaction."""
    item, doc = prepared.item, prepared.item.doc
    pith_id, fetched_at, arxiv_id = prepared.pith_id, prepared.fetched_at, prepared.arxiv_id
    pith_keys, other_keys = prepared.pith_keys, prepared.other_keys

    row = connection.execute(
        "SELECT pith_number, arxiv_id, title, authors, verdict, source, fetched_at, has_bundle, "
        "changed_upstream FROM entries WHERE pith_id = ?",
        (pith_id,),
    ).fetchone()
    changed = False
    if row is not None:
        latest = connection.execute(
            "SELECT canonical_sha256 FROM documents WHERE pith_id = ? AND kind = ? "
            f"{_LATEST_FIRST} LIMIT 1",
            (pith_id, doc.kind),
        ).fetchone()
        changed = latest is not None and latest[0] != doc.canonical_sha256
    # arXiv ids and DOIs name one paper: if another Pith id holds one, the paper changed
    # upstream, and the latest put takes the keys over.
    taken: list[str] = []
    if other_keys:
        marks = ", ".join("?" * len(other_keys))
        taken = [
            key
            for (key,) in connection.execute(
                f"SELECT key FROM aliases WHERE key IN ({marks}) AND pith_id <> ?",
                (*other_keys, pith_id),
            )
        ]
        if taken:
            changed = True
            connection.executemany(
                "DELETE FROM aliases WHERE key = ? AND pith_id <> ?", [(k, pith_id) for k in taken]
            )

    all_keys = set(pith_keys | other_keys)
    if row is None:
        title, authors, verdict = item.title, item.authors, item.verdict
        entry_source, entry_time = doc.source, fetched_at
        has_bundle, flagged = doc.kind == "bundle", changed
        pith_number = item.pith_number
    else:
        all_keys.update(
            r[0]
            for r in connection.execute("SELECT key FROM aliases WHERE pith_id = ?", (pith_id,))
        )
        pith_number = item.pith_number or row[0]
        arxiv_id = arxiv_id or row[1]
        title, authors = item.title or row[2], item.authors or row[3]
        verdict = item.verdict
        if verdict == "unknown" and not changed:
            verdict = row[4]
        if fetched_at >= row[6]:
            entry_source, entry_time = doc.source, fetched_at
        else:
            entry_source, entry_time = row[5], row[6]
        has_bundle = bool(row[7]) or doc.kind == "bundle"
        flagged = bool(row[8]) or changed
    connection.execute(
        _UPSERT_ENTRY,
        (
            pith_id,
            pith_number,
            arxiv_id,
            title,
            authors,
            verdict,
            entry_source,
            entry_time,
            int(has_bundle),
            int(flagged),
            _search_text_for(pith_id, pith_number, arxiv_id, title, authors, all_keys),
        ),
    )
    connection.executemany(_INSERT_ALIAS, [(k, pith_id) for k in (*pith_keys, *other_keys)])
    connection.execute(_INSERT_DOCUMENT, _document_row(prepared))
    return PutResult(changed_upstream=changed)


def _put_batch(connection: Any, batch: list[_Prepared]) -> list[PutResult]:
    """`put_many`: the same result as `_put_one` for each item in order, faster.

    Items that cannot interact with anything - a Pith id that is neither cached nor repeated
    in the batch, arXiv/DOI keys held by no one else - are inserted with three
    `executemany` calls; they can only yield `PutResult(False)`. The rest go one by one,
    in order. Both sets are disjoint in ids and keys, so the order between them is moot.
    """
    ids = Counter(p.pith_id for p in batch)
    keys = Counter(k for p in batch for k in p.other_keys)
    cached_ids = _existing(connection, "SELECT pith_id FROM entries WHERE pith_id IN", list(ids))
    held_keys = _existing(connection, "SELECT key FROM aliases WHERE key IN", list(keys))
    fresh = [
        ids[p.pith_id] == 1
        and p.pith_id not in cached_ids
        and all(keys[k] == 1 and k not in held_keys for k in p.other_keys)
        for p in batch
    ]
    quick = [p for p, is_fresh in zip(batch, fresh, strict=True) if is_fresh]
    if quick:
        connection.executemany(
            _UPSERT_ENTRY,
            [
                (
                    p.pith_id,
                    p.item.pith_number,
                    p.arxiv_id,
                    p.item.title,
                    p.item.authors,
                    p.item.verdict,
                    p.item.doc.source,
                    p.fetched_at,
                    int(p.item.doc.kind == "bundle"),
                    0,
                    _search_text_for(
                        p.pith_id,
                        p.item.pith_number,
                        p.arxiv_id,
                        p.item.title,
                        p.item.authors,
                        p.pith_keys | p.other_keys,
                    ),
                )
                for p in quick
            ],
        )
        connection.executemany(
            _INSERT_ALIAS,
            [(k, p.pith_id) for p in quick for k in (*p.pith_keys, *p.other_keys)],
        )
        connection.executemany(_INSERT_DOCUMENT, [_document_row(p) for p in quick])
    unchanged = PutResult(changed_upstream=False)
    return [
        unchanged if is_fresh else _put_one(connection, p)
        for p, is_fresh in zip(batch, fresh, strict=True)
    ]


def _existing(connection: Any, select_in: str, values: list[str]) -> set[str]:
    """Which of `values` the `SELECT x FROM t WHERE x IN` query finds, in chunks."""
    found: set[str] = set()
    for start in range(0, len(values), _IN_CHUNK):
        chunk = values[start : start + _IN_CHUNK]
        marks = ", ".join("?" * len(chunk))
        found.update(row[0] for row in connection.execute(f"{select_in} ({marks})", chunk))
    return found


def _search_text_for(
    pith_id: str,
    pith_number: str,
    arxiv_id: str | None,
    title: str,
    authors: str,
    keys: Iterable[str],
) -> str:
    searchable = sorted(k for k in keys if not pith_id.startswith(k))
    return _search_text([pith_id, pith_number, arxiv_id, title, authors, *searchable])


def _document_row(prepared: _Prepared) -> tuple[Any, ...]:
    doc = prepared.item.doc
    return (
        prepared.pith_id,
        doc.kind,
        doc.canonical_sha256,
        bytes(doc.raw),
        doc.url,
        doc.etag,
        doc.last_modified,
        prepared.fetched_at,
        doc.source,
    )


def _filter_clause(filter_text: str) -> tuple[str, list[Any]]:
    """Case-insensitive substring, runs of spaces collapsed as in `search_text`."""
    needle = _SURROGATE.sub("\ufffd", " ".join(filter_text.lower().split()))
    if not needle:
        return "", []
    return " WHERE instr(search_text, ?) > 0", [needle]


def _entries_query(
    filter_text: str, sort: str, descending: bool, limit: int | None, offset: int
) -> tuple[str, list[Any]]:
    if sort not in _ORDER_BY:
        raise ValueError(f"cannot sort by {sort!r}; expected one of {', '.join(SORT_COLUMNS)}")
    where, params = _filter_clause(filter_text)
    order = _ORDER_BY[sort].format(d="DESC" if descending else "ASC")
    sql = f"SELECT {_ENTRY_COLUMNS} FROM entries{where} ORDER BY {order} LIMIT ? OFFSET ?"
    return sql, [*params, -1 if limit is None else max(0, limit), max(0, offset)]


# A filtered page first walks the sort index for at most this many SQLite VM steps (about
# 5 per row passed, so ~4,000 rows); see `_filtered_page`.
_FILTER_STEPS = 20_000


def _filtered_page(
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
    where, where_params = _filter_clause(filter_text)
    if not where or limit is None or limit <= 0:
        return None
    calls = 0

    def over_budget() -> bool:
        nonlocal calls
        calls += 1
        return calls > _FILTER_STEPS // 1000

    connection.set_progress_handler(over_budget, 1000)
    try:
        rows: list[Any] = connection.execute(sql, params).fetchall()
        return rows
    except sqlite3.OperationalError:
        if calls <= _FILTER_STEPS // 1000:
            raise  # not our interruption
    finally:
        connection.set_progress_handler(None, 0)
    order = _ORDER_BY[sort].format(d="DESC" if descending else "ASC")
    unindexed = ", ".join(f"+{term}" for term in order.split(", "))
    rows = connection.execute(
        f"SELECT {_ENTRY_COLUMNS} FROM entries{where} ORDER BY {unindexed} LIMIT ? OFFSET ?",
        [*where_params, limit, max(0, offset)],
    ).fetchall()
    return list(rows)


def _document(row: Sequence[Any]) -> StoredDocument:
    return StoredDocument(
        pith_id=row[0],
        kind=row[1],
        # A BLOB edited on disk into text or a number is damage for the parser to report;
        # bytes(<int>) would allocate that many zero bytes.
        raw=row[2] if isinstance(row[2], bytes) else str(row[2]).encode("utf-8", "replace"),
        canonical_sha256=row[3],
        url=row[4],
        etag=row[5],
        last_modified=row[6],
        fetched_at=_parse_time(row[7]),
        source=row[8],
    )


def _entry(row: Sequence[Any]) -> CacheEntry:
    return CacheEntry(
        pith_id=row[0],
        pith_number=row[1],
        arxiv_id=row[2],
        title=row[3],
        authors=row[4],
        verdict=row[5],
        source=row[6],
        fetched_at=_parse_time(row[7]),
        has_bundle=bool(row[8]),
        changed_upstream=bool(row[9]),
    )
