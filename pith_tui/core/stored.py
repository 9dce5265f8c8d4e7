"""Documents as verified from bytes, and the cache's documents read and verified again.

What the resolver (one record at a time) and bulk re-verification (`reverify`, in worker
processes too, which is why this module imports nothing of the network stack) share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pith_tui.core.cache import Cache, StoredDocument
from pith_tui.core.canonical import canonical_sha256
from pith_tui.core.errors import CacheError, NotCachedError, RecordFormatError
from pith_tui.core.ids import format_short_number, is_pith_id, pith_id_from_sha256_hex
from pith_tui.core.keys import TrustStore
from pith_tui.core.model import Document, load_document
from pith_tui.core.verify import Report, verify


@dataclass(frozen=True)
class Verified:
    """One document, parsed and verified, with the bytes it came from."""

    document: Document
    report: Report
    raw: bytes

    @property
    def pith_id(self) -> str:
        claimed = self.document.pith_number.rsplit(":", 1)[-1]
        if is_pith_id(claimed):
            return claimed
        # A document that fails can claim anything ("..", ""): use the id its hash gives.
        return pith_id_from_sha256_hex(canonical_sha256(self.document.canonical_record))


def verify_bytes(raw: bytes, trust: TrustStore, *, now: datetime | None = None) -> Verified:
    """Parse strictly and verify; `RecordFormatError` when it is not a Pith document."""
    document = load_document(raw)
    return Verified(document, verify(document, trust, now=now), raw)


READ_KINDS = ("record", "bundle")
"""The kinds of cached document a view is built from and re-verification checks."""


def read_stored(cache: Cache, pith_id: str) -> list[StoredDocument]:
    """The cached record and bundle of `pith_id` (those there are), as stored.

    `CacheError` for an id that is not a Pith id (a cache listing edited on disk).
    """
    try:
        return [doc for doc in (cache.get(pith_id, kind) for kind in READ_KINDS) if doc]
    except ValueError:  # an id from a cache listing that was edited on disk
        raise CacheError(f"the cache entry {pith_id[:40]!r} is damaged: not a Pith id") from None


def verify_stored(
    stored: Sequence[StoredDocument],
    trust: TrustStore,
    pith_id: str,
    *,
    now: datetime | None = None,
) -> dict[str, Verified]:
    """The cached documents of `pith_id`, parsed and verified now, by kind.

    `NotCachedError` when there are none; `CacheError` when what is cached is damaged:
    bytes that do not parse, or another record's bytes filed under this id.
    """
    if not stored:
        raise NotCachedError(f"{format_short_number(pith_id)} is not in the cache")
    items: dict[str, Verified] = {}
    for doc in stored:
        try:
            item = verify_bytes(doc.raw, trust, now=now)
            if item.pith_id != pith_id:  # bytes of another record, filed under this id
                raise RecordFormatError("it holds the record of another paper")
        except RecordFormatError as exc:
            raise CacheError(
                f"the cached {doc.kind} of {format_short_number(pith_id)} is damaged: {exc}"
            ) from None
        items[doc.kind] = item
    return items


def load_stored(
    cache: Cache, trust: TrustStore, pith_id: str, *, now: datetime | None = None
) -> tuple[dict[str, Verified], list[StoredDocument]]:
    """Every cached document of `pith_id`, parsed and verified now, with its stored rows
    (`read_stored`, then `verify_stored`, with their errors)."""
    stored = read_stored(cache, pith_id)
    return verify_stored(stored, trust, pith_id, now=now), stored
