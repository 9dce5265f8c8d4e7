"""`Cache`: the one object the rest of pith-tui uses to store, find and list documents.

The cache is a dumb store. It keeps the bytes exactly as received and never verifies them:
the resolver re-verifies a document every time it is loaded, so a tampered cache file can
make pith-tui show "failed", never a false "verified". It knows no identifier grammar either:
it stores and matches the exact keys `ids.py` derives (`ids.index_keys` for a record,
`Query.index_key` for a query).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

from pith_tui.core.cache import documents, history, listing, schema, search
from pith_tui.core.cache.documents import (
    DOC_COLUMNS,
    LATEST_FIRST,
    PutItem,
    PutResult,
    ReplacedText,
    StoredDocument,
    check_kind,
    check_verdict,
    normalise_pith_id,
)
from pith_tui.core.cache.listing import COUNT_CAP, ENTRY_COLUMNS, CacheEntry, Count
from pith_tui.core.cache.sqlite import Database
from pith_tui.core.errors import CacheError
from pith_tui.core.ids import PITH_ID_LENGTH, SHORT_LENGTHS, IndexKey, is_pith_id

ENV_CACHE_DIR = "PITH_TUI_CACHE_DIR"
_MIN_PREFIX = SHORT_LENGTHS[0]


def default_cache_dir() -> Path:
    """`$PITH_TUI_CACHE_DIR` if set, else the platform's user cache folder for pith-tui."""
    configured = os.environ.get(ENV_CACHE_DIR, "").strip()
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return platformdirs.user_cache_path("pith-tui")


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Cache:
    """The SQLite cache. Open with `Cache.open()`; safe to share between threads."""

    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self._db = database
        self._clock = clock
        self.path = database.path
        self._counts = listing.CountMemo()  # the last filtered page's count, for its count
        with database.reading() as connection:
            self.full_text = search.ensure(connection, search.available(connection))
            """Whether the listing filter uses the FTS5 trigram index (else it scans)."""

    # ----------------------------------------------------------------- opening

    @classmethod
    def open(
        cls, directory: Path | None = None, *, clock: Callable[[], datetime] | None = None
    ) -> Cache:
        """Open (creating if needed) `<directory>/cache.sqlite3`; a broken file is moved aside,
        an older schema is migrated in place.

        Raises `CacheError` when the folder or file cannot be created, opened or written.
        """
        folder = Path(directory) if directory is not None else default_cache_dir()
        clock = clock or _utc_now
        return cls(Database.open(folder, schema.inspect, schema.ready, clock), clock)

    @property
    def recovered_from(self) -> Path | None:
        """Where a broken cache file was moved to when this one was opened, else None."""
        return self._db.recovered_from

    @property
    def recovery_message(self) -> str | None:
        """A sentence for the user when a broken cache file was moved aside, else None."""
        return self._db.recovery_message

    def close(self) -> None:
        """Close the connection; later calls raise `CacheError`."""
        self._db.close()

    def __enter__(self) -> Cache:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -------------------------------------------------------------- documents

    def put(
        self,
        doc: StoredDocument,
        *,
        pith_number: str,
        keys: Iterable[str],
        search_terms: Iterable[str] = (),
        title: str = "",
        authors: str = "",
        arxiv_id: str | None = None,
        verdict: str = "unknown",
        text_changed: str = "",
        replaces: str | None = None,
    ) -> PutResult:
        """Store one document and its lookup keys, in one transaction.

        `changed_upstream` is True when the latest document of this kind had another hash,
        or when one of the keys belonged to another Pith id (which then loses it); the flag
        then stays set on the entry. Title, authors and arXiv id left empty keep what the
        entry has. The default verdict "unknown" keeps the entry's last verdict, unless the
        document changed upstream, which makes the old verdict meaningless. `text_changed`
        (see `PutItem`) keeps the copy this one replaces in the text history; `replaces`
        makes the put conditional on the current document (`CacheChanged` if it moved).
        """
        item = PutItem(
            doc,
            pith_number,
            tuple(keys),
            tuple(search_terms),
            title,
            authors,
            arxiv_id,
            verdict,
            text_changed,
            replaces,
        )
        prepared = documents.prepare(item)
        with self._db.writing() as connection:
            return documents.put_one(connection, prepared)

    def put_many(self, items: Iterable[PutItem]) -> list[PutResult]:
        """Many `put`s in ONE transaction (imports, benchmarks): all are stored, or none."""
        batch = [documents.prepare(item) for item in items]
        with self._db.writing() as connection:
            return documents.put_batch(connection, batch)

    def get(self, pith_id: str, kind: str) -> StoredDocument | None:
        """The current (latest fetched) document of this kind, or None."""
        latest = self._documents(pith_id, kind, limit=1)
        return latest[0] if latest else None

    def get_many(self, pith_ids: Iterable[str]) -> dict[str, list[StoredDocument]]:
        """The current document of each kind for many ids: one query per 500 ids.

        Every id asked for is a key of the result (upper-case), with its current documents
        in kind order (record, bundle, state), or an empty list when nothing is cached.
        Raises ValueError for a string that is not a Pith id, before reading anything.
        """
        wanted = list(dict.fromkeys(normalise_pith_id(pith_id) for pith_id in pith_ids))
        with self._db.reading() as connection:
            return documents.current_documents(connection, wanted)

    def versions(self, pith_id: str, kind: str) -> list[StoredDocument]:
        """Every distinct canonical version kept, newest first."""
        return self._documents(pith_id, kind, limit=-1)

    def _documents(self, pith_id: str, kind: str, *, limit: int) -> list[StoredDocument]:
        pith_id, kind = normalise_pith_id(pith_id), check_kind(kind)
        with self._db.reading() as connection:
            rows = connection.execute(
                f"SELECT {DOC_COLUMNS} FROM documents WHERE pith_id = ? AND kind = ? "
                f"{LATEST_FIRST} LIMIT ?",
                (pith_id, kind, limit),
            ).fetchall()
        return [documents.document(row) for row in rows]

    def text_history(self, pith_id: str) -> list[ReplacedText]:
        """Earlier copies replaced by one with the same hash and other text, latest first."""
        pith_id = normalise_pith_id(pith_id)
        with self._db.reading() as connection:
            return documents.replaced_texts(connection, pith_id)

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
        pith_id, kind = normalise_pith_id(pith_id), check_kind(kind)
        when = schema.time_text(fetched_at)
        with self._db.writing() as connection:
            connection.execute(
                "UPDATE documents SET fetched_at = ?, etag = coalesce(?, etag), "
                "last_modified = coalesce(?, last_modified) WHERE id = (SELECT id FROM "
                f"documents WHERE pith_id = ? AND kind = ? {LATEST_FIRST} LIMIT 1)",
                (when, etag, last_modified, pith_id, kind),
            )
            connection.execute(
                "UPDATE entries SET fetched_at = max(fetched_at, ?) WHERE pith_id = ?",
                (when, pith_id),
            )

    # ------------------------------------------------------------------ lookup

    def resolve(self, key: IndexKey) -> str | None:
        """The Pith id that `key` (from `Query.index_key`) names, or None if nothing cached does.

        An exact key matches only itself. A prefix (a short id, 8 chars or more) is a range
        search on the Pith ids; `CacheError` when it matches several cached records.
        """
        if not key.prefix:
            if not key.value.isascii():
                return None  # no stored key has such text (SQLite could not even bind it)
            with self._db.reading() as connection:
                row = connection.execute(
                    "SELECT pith_id FROM aliases WHERE key = ?", (key.value,)
                ).fetchone()
            return str(row[0]) if row else None
        prefix = key.value.upper()
        if not _MIN_PREFIX <= len(prefix) <= PITH_ID_LENGTH or not is_pith_id(
            prefix.ljust(PITH_ID_LENGTH, "A")
        ):
            raise ValueError(f"{key.value!r} is not a prefix of a Pith id (8 to 26 characters)")
        with self._db.reading() as connection:
            found = [
                row[0]
                for row in connection.execute(
                    "SELECT pith_id FROM entries WHERE pith_id >= ? AND pith_id < ? LIMIT 2",
                    (prefix, prefix + "\x7f"),
                )
            ]
        if len(found) > 1:
            with self._db.reading() as connection:
                total = connection.execute(
                    "SELECT count(*) FROM entries WHERE pith_id >= ? AND pith_id < ?",
                    (prefix, prefix + "\x7f"),
                ).fetchone()[0]
            raise CacheError(f"pith:{prefix} matches {total} cached records")
        return found[0] if found else None

    # ----------------------------------------------------------------- listing

    def set_verdict(self, pith_id: str, verdict: str) -> None:
        """Remember the last verdict, for the listing only."""
        self.set_verdicts([(pith_id, verdict)])

    def set_verdicts(self, items: Iterable[tuple[str, str]]) -> None:
        """Remember many verdicts in one transaction (bulk re-verification)."""
        rows = [(check_verdict(verdict), normalise_pith_id(pith_id)) for pith_id, verdict in items]
        with self._db.writing() as connection:
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
        id or number, the arXiv id or DOI, the title or the authors.
        """
        listing.order_by(sort, descending)  # a bad sort is refused before any read
        with self._db.reading() as connection:
            return listing.page(
                connection,
                filter_text,
                sort,
                descending,
                limit,
                offset,
                full_text=self.full_text,
                memo=self._counts,
            )

    def entry(self, pith_id: str) -> CacheEntry | None:
        """One row of the listing, by Pith id (a primary-key lookup), or None."""
        pith_id = normalise_pith_id(pith_id)
        with self._db.reading() as connection:
            row = connection.execute(
                f"SELECT {ENTRY_COLUMNS} FROM entries WHERE pith_id = ?", (pith_id,)
            ).fetchone()
        return listing.entry(row) if row else None

    def count(self, filter_text: str = "") -> int:
        """How many entries `entries(filter_text=...)` would list without a limit."""
        with self._db.reading() as connection:
            return listing.count(
                connection, filter_text, full_text=self.full_text, memo=self._counts
            )

    def count_unless(self, filter_text: str, should_stop: Callable[[], bool]) -> int | None:
        """`count`, abandoned (None) once `should_stop()` says so - it is asked every few
        thousand SQLite steps - so a count nobody waits for any more (the filter changed)
        frees the cache for the next query at once instead of finishing its pass."""
        stopped = False

        def check() -> int:
            nonlocal stopped
            stopped = should_stop()
            return int(stopped)

        with self._db.reading() as connection:
            connection.set_progress_handler(check, 5000)
            try:
                return listing.count(
                    connection, filter_text, full_text=self.full_text, memo=self._counts
                )
            except sqlite3.OperationalError:
                if stopped:
                    return None
                raise
            finally:
                connection.set_progress_handler(None, 0)

    def count_capped(self, filter_text: str = "", cap: int = COUNT_CAP) -> Count:
        """`count`, at most `cap`: `Count(10000, capped=True)` ("10,000+") when more match.

        Cheap whatever the filter, for every keystroke; `count` fills the figure in after.
        Ask for the page first: a filter few entries match is then counted by the page's
        own query, not by a second pass over every entry.
        """
        with self._db.reading() as connection:
            return listing.count_capped(
                connection, filter_text, cap, full_text=self.full_text, memo=self._counts
            )

    def verdict_counts(self) -> dict[str, int]:
        """How many entries have each last verdict (an index walk, no row is read)."""
        with self._db.reading() as connection:
            rows = connection.execute("SELECT verdict, count(*) FROM entries GROUP BY verdict")
            return {str(verdict): int(count) for verdict, count in rows}

    def all_pith_ids(self) -> list[str]:
        """Every cached Pith id, sorted."""
        with self._db.reading() as connection:
            return [row[0] for row in connection.execute("SELECT pith_id FROM entries ORDER BY 1")]

    def remove(self, pith_id: str) -> bool:
        """Forget one Pith id and all its documents and keys; False if it was not cached."""
        pith_id = normalise_pith_id(pith_id)
        with self._db.writing() as connection:
            cursor = connection.execute("DELETE FROM entries WHERE pith_id = ?", (pith_id,))
            return bool(cursor.rowcount > 0)

    def clear(self) -> int:
        """Forget every cached document (not the query history); returns how many entries."""
        with self._db.writing() as connection:
            removed = int(connection.execute("SELECT count(*) FROM entries").fetchone()[0])
            connection.execute("DELETE FROM aliases")
            connection.execute("DELETE FROM replaced")
            connection.execute("DELETE FROM documents")
            indexed = search.detach(connection)  # a fresh index, not one delete per entry
            connection.execute("DELETE FROM entries")
            if indexed:
                search.attach(connection)
            return removed

    # ----------------------------------------------------------------- history

    def add_history(self, query: str, pith_id: str | None) -> None:
        """Remember a query (at the clock's time); repeating a query moves it to the top."""
        text = query.strip()
        if not text:
            return
        with self._db.writing() as connection:
            history.add(connection, text, pith_id, self._clock())

    def history(self, limit: int = 50) -> list[tuple[str, str | None, datetime]]:
        """(query, pith id, time), most recent first, one per distinct query."""
        with self._db.reading() as connection:
            return history.recent(connection, limit)
