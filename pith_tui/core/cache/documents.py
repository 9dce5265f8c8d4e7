"""Documents and their lookup keys: how a put is stored, and how documents are read back.

The cache keeps the bytes exactly as received (compressed with zlib on disk when that makes
them smaller) and never parses or verifies them. It takes exact lookup keys from the caller
(`ids.index_keys` derives them) and gives each key to one Pith id: the latest put of a key
takes it over, which is how an arXiv id moving to another Pith id shows (`changed_upstream`).
"""

from __future__ import annotations

import hashlib
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pith_tui.core.cache.filter_words import LISTED_VERDICTS
from pith_tui.core.cache.listing import search_text
from pith_tui.core.cache.schema import parse_time, time_text
from pith_tui.core.canonical import MAX_DOCUMENT_BYTES
from pith_tui.core.errors import CacheError
from pith_tui.core.ids import is_pith_id
from pith_tui.core.vocab import DocKind

KINDS = tuple(kind.value for kind in DocKind)
VERDICTS = LISTED_VERDICTS
IN_CHUNK = 500  # bound parameters per IN (...) query, well under SQLite's limit

_KIND_ORDER = {kind: index for index, kind in enumerate(KINDS)}
IDENTITY, ZLIB = "identity", "zlib"

DOC_COLUMNS = (
    "pith_id, kind, raw, encoding, canonical_sha256, url, etag, last_modified, fetched_at, source"
)
LATEST_FIRST = "ORDER BY fetched_at DESC, id DESC"
_UPSERT_ENTRY = (
    "INSERT INTO entries (pith_id, pith_number, arxiv_id, title, authors, verdict, source, "
    "fetched_at, has_bundle, changed_upstream, search_text, text_changed_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (pith_id) DO UPDATE SET pith_number = excluded.pith_number, "
    "arxiv_id = excluded.arxiv_id, title = excluded.title, authors = excluded.authors, "
    "verdict = excluded.verdict, source = excluded.source, fetched_at = excluded.fetched_at, "
    "has_bundle = excluded.has_bundle, changed_upstream = excluded.changed_upstream, "
    "search_text = excluded.search_text, text_changed_at = excluded.text_changed_at"
)
_INSERT_KEY = "INSERT OR IGNORE INTO aliases (key, pith_id) VALUES (?, ?)"
# REPLACE: a same-hash put replaces its row (raw, validators, time) instead of adding one,
# and the new rowid makes it the latest even when two puts share a timestamp.
_INSERT_DOCUMENT = (
    "INSERT OR REPLACE INTO documents (pith_id, kind, canonical_sha256, raw, encoding, url, "
    "etag, last_modified, fetched_at, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True)
class StoredDocument:
    """One document as received; `raw` is kept byte for byte."""

    pith_id: str
    kind: str  # a DocKind value: "record" | "bundle" | "state"
    raw: bytes
    canonical_sha256: str
    url: str | None
    etag: str | None
    last_modified: str | None
    fetched_at: datetime  # tz-aware
    source: str  # a StoredSource value: "network", "sample", "file"


@dataclass(frozen=True)
class PutResult:
    """`changed_upstream`: a different document arrived for an id or a key already cached."""

    changed_upstream: bool


@dataclass(frozen=True)
class PutItem:
    """The arguments of one `Cache.put`, for `Cache.put_many`.

    `keys`: the exact lookup keys (`ids.index_keys`); `search_terms`: more text the listing
    filter matches (the arXiv id with its version, the DOI). `text_changed`: non-empty when
    this copy has the hash of the cached one but other unsigned text; it says what differs
    ("authors, citations"), and the cached copy moves to the text history. `replaces`: the
    `raw_digest` of the current document of this kind that the caller judged this one
    against ("" for none); if another process changed it meanwhile, the put raises
    `CacheChanged` and nothing is written. None: no such check.
    """

    doc: StoredDocument
    pith_number: str
    keys: Sequence[str] = ()
    search_terms: Sequence[str] = ()
    title: str = ""
    authors: str = ""
    arxiv_id: str | None = None
    verdict: str = "unknown"
    text_changed: str = ""
    replaces: str | None = None


class CacheChanged(CacheError):
    """The cached document a put was judged against changed meanwhile (another process)."""


def raw_digest(raw: bytes | None) -> str:
    """What `PutItem.replaces` names a cached document by: sha256 of its bytes ("" for none)."""
    return "" if raw is None else hashlib.sha256(raw).hexdigest()


@dataclass(frozen=True)
class ReplacedText:
    """An earlier copy of a document, replaced by one with the same hash and other text."""

    kind: str
    raw: bytes
    fetched_at: datetime  # when this earlier copy was fetched
    source: str
    replaced_at: datetime  # when the copy with the other text arrived
    changes: str  # what differed, in words


@dataclass(frozen=True)
class Prepared:
    """A `PutItem` checked and normalised before its transaction starts."""

    item: PutItem
    pith_id: str
    fetched_at: str
    keys: frozenset[str]
    blob: bytes
    encoding: str


def normalise_pith_id(pith_id: str) -> str:
    value = pith_id.strip().upper() if isinstance(pith_id, str) else ""
    if not is_pith_id(value):
        raise ValueError(f"{pith_id!r} is not a 26-character Pith id")
    return value


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}; expected one of {', '.join(KINDS)}")
    return kind


def check_verdict(verdict: str) -> str:
    if verdict not in VERDICTS:
        raise ValueError(f"unknown verdict {verdict!r}; expected one of {', '.join(VERDICTS)}")
    return verdict


def encode(raw: bytes) -> tuple[bytes, str]:
    """(bytes to store, encoding): zlib when it saves space, else the bytes as they are.

    Only documents the parser would accept (up to `MAX_DOCUMENT_BYTES`) are compressed, so
    `decode` can bound what it inflates without ever cutting a document short.
    """
    raw = bytes(raw)
    if 64 <= len(raw) <= MAX_DOCUMENT_BYTES:
        packed = zlib.compress(raw, 6)
        if len(packed) < len(raw):
            return packed, ZLIB
    return raw, IDENTITY


def decode(blob: Any, encoding: Any) -> bytes:
    """The stored bytes back. Damage on disk is for the parser to report, never a crash:
    text or a number where a BLOB was, or zlib data that does not inflate, comes back as
    it is; a zlib bomb is cut at one byte over the largest document the parser accepts."""
    # bytes(<int>) would allocate that many zero bytes.
    data = blob if isinstance(blob, bytes) else str(blob).encode("utf-8", "replace")
    if encoding != ZLIB:
        return data
    inflater = zlib.decompressobj()
    try:
        return inflater.decompress(data, MAX_DOCUMENT_BYTES + 1)
    except zlib.error:
        return data


def prepare(item: PutItem) -> Prepared:
    """Reject programming errors (bad id, kind, time, verdict, key) before any write."""
    pith_id = normalise_pith_id(item.doc.pith_id)
    check_kind(item.doc.kind)
    check_verdict(item.verdict)
    keys = frozenset(item.keys)
    check_keys(keys)
    blob, encoding = encode(item.doc.raw)
    return Prepared(item, pith_id, time_text(item.doc.fetched_at), keys, blob, encoding)


def put_one(connection: Any, prepared: Prepared) -> PutResult:
    """The body of `Cache.put`, inside the caller's write transaction."""
    item, doc = prepared.item, prepared.item.doc
    pith_id, fetched_at = prepared.pith_id, prepared.fetched_at
    if item.replaces is not None:
        current = connection.execute(
            f"SELECT raw, encoding FROM documents WHERE pith_id = ? AND kind = ? {LATEST_FIRST} "
            "LIMIT 1",
            (pith_id, doc.kind),
        ).fetchone()
        if raw_digest(decode(*current) if current else None) != item.replaces:
            raise CacheChanged(
                f"the cached {doc.kind} of pith:{pith_id[:8]} changed while this one was checked"
            )

    row = connection.execute(
        "SELECT pith_number, arxiv_id, title, authors, verdict, source, fetched_at, has_bundle, "
        "changed_upstream, text_changed_at FROM entries WHERE pith_id = ?",
        (pith_id,),
    ).fetchone()
    changed = False
    if row is not None:
        latest = connection.execute(
            "SELECT canonical_sha256 FROM documents WHERE pith_id = ? AND kind = ? "
            f"{LATEST_FIRST} LIMIT 1",
            (pith_id, doc.kind),
        ).fetchone()
        changed = latest is not None and latest[0] != doc.canonical_sha256
    # A key names one record: if another Pith id holds one (an arXiv id), the paper changed
    # upstream, and the latest put takes the key over.
    taken = _held_by_others(connection, prepared.keys, pith_id)
    if taken:
        changed = True
        connection.executemany("DELETE FROM aliases WHERE key = ?", [(k,) for k in taken])
    text_changed_at = row[9] if row is not None else None
    if item.text_changed and _keep_replaced_text(connection, prepared):
        text_changed_at = fetched_at

    if row is None:
        title, authors, verdict, arxiv_id = item.title, item.authors, item.verdict, item.arxiv_id
        entry_source, entry_time = doc.source, fetched_at
        has_bundle, flagged = doc.kind == DocKind.BUNDLE.value, changed
        pith_number = item.pith_number
    else:
        pith_number = item.pith_number or row[0]
        arxiv_id = item.arxiv_id or row[1]
        title, authors = item.title or row[2], item.authors or row[3]
        verdict = item.verdict
        if verdict == "unknown" and not changed:
            verdict = row[4]
        if fetched_at >= row[6]:
            entry_source, entry_time = doc.source, fetched_at
        else:
            entry_source, entry_time = row[5], row[6]
        has_bundle = bool(row[7]) or doc.kind == DocKind.BUNDLE.value
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
            search_text([pith_id, pith_number, arxiv_id, title, authors, *item.search_terms]),
            text_changed_at,
        ),
    )
    connection.executemany(_INSERT_KEY, [(k, pith_id) for k in prepared.keys])
    connection.execute(_INSERT_DOCUMENT, _document_row(prepared))
    return PutResult(changed_upstream=changed)


def _held_by_others(connection: Any, keys: frozenset[str], pith_id: str) -> list[str]:
    if not keys:
        return []
    marks = ", ".join("?" * len(keys))
    return [
        key
        for (key,) in connection.execute(
            f"SELECT key FROM aliases WHERE key IN ({marks}) AND pith_id <> ?", (*keys, pith_id)
        )
    ]


def _keep_replaced_text(connection: Any, prepared: Prepared) -> bool:
    """Copy the current document with this hash into the text history; False if none."""
    doc = prepared.item.doc
    cursor = connection.execute(
        "INSERT INTO replaced (pith_id, kind, canonical_sha256, raw, encoding, fetched_at, "
        "source, replaced_at, changes) SELECT pith_id, kind, canonical_sha256, raw, encoding, "
        "fetched_at, source, ?, ? FROM documents WHERE pith_id = ? AND kind = ? AND "
        "canonical_sha256 = ?",
        (
            prepared.fetched_at,
            prepared.item.text_changed,
            prepared.pith_id,
            doc.kind,
            doc.canonical_sha256,
        ),
    )
    return bool(cursor.rowcount > 0)


def put_batch(connection: Any, batch: list[Prepared]) -> list[PutResult]:
    """`put_many`: the same result as `put_one` for each item in order, faster.

    Items that cannot interact with anything - a Pith id that is neither cached nor repeated
    in the batch, keys held by no one else and not repeated - are inserted with three
    `executemany` calls; they can only yield `PutResult(False)`. The rest go one by one,
    in order. Both sets are disjoint in ids and keys, so the order between them is moot.
    """
    ids = Counter(p.pith_id for p in batch)
    keys = Counter(k for p in batch for k in p.keys)
    cached_ids = existing(connection, "SELECT pith_id FROM entries WHERE pith_id IN", list(ids))
    held_keys = existing(connection, "SELECT key FROM aliases WHERE key IN", list(keys))
    fresh = [
        ids[p.pith_id] == 1
        and p.pith_id not in cached_ids
        and all(keys[k] == 1 and k not in held_keys for k in p.keys)
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
                    p.item.arxiv_id,
                    p.item.title,
                    p.item.authors,
                    p.item.verdict,
                    p.item.doc.source,
                    p.fetched_at,
                    int(p.item.doc.kind == DocKind.BUNDLE.value),
                    0,
                    search_text(
                        [
                            p.pith_id,
                            p.item.pith_number,
                            p.item.arxiv_id,
                            p.item.title,
                            p.item.authors,
                            *p.item.search_terms,
                        ]
                    ),
                    None,
                )
                for p in quick
            ],
        )
        connection.executemany(_INSERT_KEY, [(k, p.pith_id) for p in quick for k in p.keys])
        connection.executemany(_INSERT_DOCUMENT, [_document_row(p) for p in quick])
    unchanged = PutResult(changed_upstream=False)
    return [
        unchanged if is_fresh else put_one(connection, p)
        for p, is_fresh in zip(batch, fresh, strict=True)
    ]


def existing(connection: Any, select_in: str, values: list[str]) -> set[str]:
    """Which of `values` the `SELECT x FROM t WHERE x IN` query finds, in chunks."""
    found: set[str] = set()
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start : start + IN_CHUNK]
        marks = ", ".join("?" * len(chunk))
        found.update(row[0] for row in connection.execute(f"{select_in} ({marks})", chunk))
    return found


def _document_row(prepared: Prepared) -> tuple[Any, ...]:
    doc = prepared.item.doc
    return (
        prepared.pith_id,
        doc.kind,
        doc.canonical_sha256,
        prepared.blob,
        prepared.encoding,
        doc.url,
        doc.etag,
        doc.last_modified,
        prepared.fetched_at,
        doc.source,
    )


def document(row: Sequence[Any]) -> StoredDocument:
    """A `documents` row (`DOC_COLUMNS`) as a `StoredDocument`, its bytes decoded."""
    return StoredDocument(
        pith_id=row[0],
        kind=row[1],
        raw=decode(row[2], row[3]),
        canonical_sha256=row[4],
        url=row[5],
        etag=row[6],
        last_modified=row[7],
        fetched_at=parse_time(row[8]),
        source=row[9],
    )


def current_documents(connection: Any, pith_ids: list[str]) -> dict[str, list[StoredDocument]]:
    """The latest document of each kind for each id (in kind order), one query per 500 ids."""
    found: dict[str, list[StoredDocument]] = {pith_id: [] for pith_id in pith_ids}
    for start in range(0, len(pith_ids), IN_CHUNK):
        chunk = pith_ids[start : start + IN_CHUNK]
        marks = ", ".join("?" * len(chunk))
        rows = connection.execute(
            f"SELECT {DOC_COLUMNS} FROM (SELECT *, row_number() OVER (PARTITION BY "
            "pith_id, kind ORDER BY fetched_at DESC, id DESC) AS newest FROM documents "
            f"WHERE pith_id IN ({marks})) WHERE newest = 1",
            chunk,
        ).fetchall()
        for row in sorted(rows, key=lambda r: (r[0], _KIND_ORDER.get(r[1], len(KINDS)))):
            found[row[0]].append(document(row))
    return found


def replaced_texts(connection: Any, pith_id: str) -> list[ReplacedText]:
    """The text history of one Pith id, the latest replacement first."""
    rows = connection.execute(
        "SELECT kind, raw, encoding, fetched_at, source, replaced_at, changes FROM replaced "
        "WHERE pith_id = ? ORDER BY replaced_at DESC, id DESC",
        (pith_id,),
    ).fetchall()
    return [
        ReplacedText(
            kind=row[0],
            raw=decode(row[1], row[2]),
            fetched_at=parse_time(row[3]),
            source=row[4],
            replaced_at=parse_time(row[5]),
            changes=row[6],
        )
        for row in rows
    ]


def check_keys(keys: Iterable[str]) -> None:
    for key in keys:
        if not isinstance(key, str) or not key or not key.isascii():
            raise ValueError(f"a lookup key must be non-empty ASCII text, not {key!r}")
