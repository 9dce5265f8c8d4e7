"""The caching client: any identifier -> a verified `RecordView`, from cache or network.

Every document is verified on every load, wherever it came from (network, cache, file).
A document that fails verification is shown as failed but never stored, so a lying server
cannot replace a good cached record.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TypedDict

import httpx

from pith_tui.core import urls
from pith_tui.core.cache import Cache, StoredDocument
from pith_tui.core.client import FetchResult, PithHttpClient, Timeouts
from pith_tui.core.errors import (
    CacheError,
    FetchError,
    MismatchError,
    NotCachedError,
    NotFoundError,
    NotPithDocumentError,
    RecordFormatError,
)
from pith_tui.core.ids import (
    Query,
    format_short_number,
    parse_query,
)
from pith_tui.core.keys import TrustStore
from pith_tui.core.model import Bundle, Document, NumberRecord
from pith_tui.core.samples import sample_documents
from pith_tui.core.stored import Verified, load_stored, verify_bytes
from pith_tui.core.verify import expected_aliases
from pith_tui.core.view import RecordView
from pith_tui.core.vocab import Verdict

DEFAULT_TTL = timedelta(hours=24)


class IndexFields(TypedDict):
    """The keyword arguments of `Cache.put` that describe a document for the listing."""

    pith_number: str
    aliases: list[tuple[str, str]]
    title: str
    authors: str
    arxiv_id: str


def index_fields(doc: Document, pith_id: str) -> IndexFields:
    """What the cache indexes for a document: aliases, title, authors, arXiv id."""
    source = doc.source
    # Only aliases the verifier checked: an alias of another kind is unchecked text, which
    # could name another paper's arXiv id and take its lookups over.
    derived = expected_aliases(source.id, source.version, pith_id)
    aliases = [(a.kind, a.value) for a in doc.aliases if derived.get(a.kind) == a.value]
    aliases.append(("arxiv", source.id))
    if source.version is not None:
        aliases.append(("arxiv_version", f"{source.id}v{source.version}"))
    aliases.append(("doi", f"10.48550/arxiv.{source.id}"))
    aliases.append(("pith_number", doc.pith_number))
    return {
        "pith_number": doc.pith_number,
        "aliases": aliases,
        "title": doc.paper.title,
        "authors": doc.paper.authors_text,
        "arxiv_id": source.id,
    }


class Resolver:
    """Resolves queries through the cache and, unless offline, the network."""

    def __init__(
        self,
        cache: Cache,
        trust: TrustStore,
        *,
        base_url: str,
        offline: bool = False,
        ttl: timedelta = DEFAULT_TTL,
        transport: httpx.AsyncBaseTransport | None = None,
        timeouts: Timeouts | None = None,
        clock: Callable[[], datetime] | None = None,
        http: PithHttpClient | None = None,
    ) -> None:
        self.cache = cache
        self.trust = trust
        self.base_url = base_url
        self.offline = offline
        self.ttl = ttl
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._http = http
        self._transport = transport
        self._timeouts = timeouts

    # --- plumbing ------------------------------------------------------------------------

    @property
    def http(self) -> PithHttpClient:
        if self._http is None:
            if self._timeouts is not None:
                self._http = PithHttpClient(
                    self.base_url,
                    clock=self._clock,
                    transport=self._transport,
                    timeouts=self._timeouts,
                )
            else:
                self._http = PithHttpClient(
                    self.base_url, clock=self._clock, transport=self._transport
                )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    def now(self) -> datetime:
        return self._clock()

    def verify_bytes(self, raw: bytes) -> Verified:
        return verify_bytes(raw, self.trust, now=self.now())

    def store(
        self,
        item: Verified,
        *,
        source: str,
        url: str | None = None,
        fetch: FetchResult | None = None,
    ) -> bool:
        """Store a verified document; returns changed_upstream. Failed documents are refused."""
        if item.report.verdict is Verdict.FAILED:
            raise CacheError("a document that fails verification is not stored")
        doc = item.document
        if item.report.verdict is not Verdict.VERIFIED:
            # Same canonical hash = same cache row: an incomplete copy would replace it.
            current = self.cache.get(item.pith_id, doc.kind)
            if current is not None and current.raw != item.raw and self._verifies(current.raw):
                raise CacheError(
                    f"this {doc.kind} is {item.report.verdict.value}, and the cached one, "
                    "which verifies, is kept"
                )
        stored = StoredDocument(
            pith_id=item.pith_id,
            kind=doc.kind,
            raw=item.raw,
            canonical_sha256=doc.canonical_sha256,
            url=fetch.url if fetch else url,
            etag=fetch.etag if fetch else None,
            last_modified=fetch.last_modified if fetch else None,
            fetched_at=fetch.fetched_at if fetch else self.now(),
            source=source,
        )
        result = self.cache.put(
            stored, verdict=item.report.verdict.value, **index_fields(doc, item.pith_id)
        )
        return result.changed_upstream

    def _verifies(self, raw: bytes) -> bool:
        try:
            return self.verify_bytes(raw).report.verdict is Verdict.VERIFIED
        except RecordFormatError:
            return False

    # --- samples -------------------------------------------------------------------------

    def ensure_samples(self) -> int:
        """Import the shipped records into an empty cache (source `sample`). Returns how many."""
        if self.cache.count() > 0:
            return 0
        imported = 0
        for _name, raw in sample_documents():
            item = self.verify_bytes(raw)
            if item.report.verdict is not Verdict.FAILED:
                self.store(item, source="sample")
                imported += 1
        return imported

    # --- cache ---------------------------------------------------------------------------

    def find_cached(self, query: Query) -> str | None:
        return self.cache.resolve(query.lookup_key())

    def load_cached(self, pith_id: str, *, source: str | None = None) -> RecordView:
        """Build a view from the cache, re-verifying every document now."""
        try:
            items, stored = load_stored(self.cache, self.trust, pith_id, now=self.now())
        except NotCachedError:
            raise
        except CacheError:
            self._remember_failed(pith_id)
            raise
        newest = max(stored, key=lambda d: d.fetched_at)
        if source is None:
            source = newest.source if newest.source in ("sample", "file") else "cache"
            if source == "cache" and self.now() - newest.fetched_at > self.ttl:
                source = "cache-stale"
            if self.offline and source != "sample":
                source = "offline"
        view = self._make_view(
            pith_id, items, source, newest.fetched_at, changed=self._changed_upstream(pith_id)
        )
        if view.verdict is Verdict.FAILED:
            self._remember_failed(pith_id)
        return view

    def _remember_failed(self, pith_id: str) -> None:
        # For the listing only: a read-only or full disk must not hide the verdict itself,
        # and an id edited on disk into a non-id (ValueError) has no entry to mark.
        with contextlib.suppress(CacheError, ValueError):
            self.cache.set_verdict(pith_id, Verdict.FAILED.value)

    def _changed_upstream(self, pith_id: str) -> bool:
        """Whether the cache flagged this id: another document arrived for its arXiv id.

        A Pith id is content-addressed, so `cache.versions(pith_id, kind)` never holds two
        versions in practice; the change shows as a new id taking over the arXiv id, which
        the cache records on the entry.
        """
        if len(self.cache.versions(pith_id, "record")) > 1:
            return True
        # A primary-key lookup: a filtered listing here scanned every entry (profiled: 40% of
        # a lookup with 2,000 entries, growing with the cache).
        entry = self.cache.entry(pith_id)
        return entry is not None and entry.changed_upstream

    def _make_view(
        self,
        pith_id: str,
        items: dict[str, Verified],
        source: str,
        fetched_at: datetime | None,
        *,
        changed: bool = False,
        notes: tuple[str, ...] = (),
    ) -> RecordView:
        record, bundle = items.get("record"), items.get("bundle")
        extra = list(notes)
        if record is not None and bundle is None:
            extra.append("record only: no open graph bundle is cached or published for it")
        if changed:
            extra.append("changed upstream: the cache holds more than one version of this record")
        return RecordView(
            pith_id=pith_id,
            record=record.document
            if record and isinstance(record.document, NumberRecord)
            else None,
            bundle=bundle.document if bundle and isinstance(bundle.document, Bundle) else None,
            record_report=record.report if record else None,
            bundle_report=bundle.report if bundle else None,
            source=source,
            fetched_at=fetched_at,
            changed_upstream=changed,
            notes=tuple(dict.fromkeys(extra)),
        )

    def cached_view(self, text: str | Query) -> RecordView | None:
        """The view from the cache alone, or None when the query is not cached. No network."""
        query = text if isinstance(text, Query) else parse_query(text)
        pith_id = self.find_cached(query)
        return self.load_cached(pith_id) if pith_id else None

    # --- the lookup ----------------------------------------------------------------------

    async def resolve(self, text: str | Query, *, refresh: bool = False) -> RecordView:
        """Any identifier -> a verified view. Cache first; network when stale, missing or asked."""
        query = text if isinstance(text, Query) else parse_query(text)
        pith_id = self.find_cached(query)
        try:
            view = await self._resolve(query, pith_id, refresh)
        finally:
            self._add_history(query, pith_id)
        if pith_id is None:
            self._add_history(query, view.pith_id)
        return self._with_version_note(query, view)

    def _add_history(self, query: Query, pith_id: str | None) -> None:
        # History is a convenience: a read-only cache must not break lookups.
        with contextlib.suppress(CacheError):
            self.cache.add_history(query.display(), pith_id)

    async def _resolve(self, query: Query, pith_id: str | None, refresh: bool) -> RecordView:
        if pith_id is not None:
            cached = self.load_cached(pith_id)
            self._check_cached_answer(query, cached)
            # Samples are a fallback for offline use: online, they are refreshed like stale data.
            fresh = cached.source in ("cache", "file") and not refresh
            if self.offline or fresh:
                return cached
            try:
                return await self._revalidate(pith_id, query)
            except FetchError as exc:
                # The verified copy stays usable whatever the server says now, 404 included.
                return RecordView(
                    **{
                        **cached.__dict__,
                        "notes": (*cached.notes, f"could not refresh: {exc}; showing the cache"),
                    }
                )
        if self.offline:
            raise NotCachedError(f"offline, and {query.display()} is not in the cache")
        return await self._fetch_new(query)

    def _check_cached_answer(self, query: Query, view: RecordView) -> None:
        """The cache's index can be edited on disk: a hit must be the record asked for."""
        if query.kind == "arxiv":
            wrong = view.arxiv_id.lower() != (query.arxiv_id or query.value).lower()
        else:
            wrong = not view.pith_id.startswith(query.value)
        if wrong:
            raise CacheError(
                f"the cache is damaged: {query.display()} leads to the record of {view.pith_number}"
            )

    async def _revalidate(self, pith_id: str, query: Query) -> RecordView:
        stored = self.cache.get(pith_id, "record")
        kind = "record"
        if stored is None:
            stored, kind = self.cache.get(pith_id, "bundle"), "bundle"
        assert stored is not None
        what = format_short_number(pith_id)
        by_arxiv = query.kind == "arxiv"
        if by_arxiv:
            # What an arXiv id names can change upstream (a new Pith id); what a Pith id
            # names cannot. So an arXiv query is revalidated at its own address.
            key = query.lookup_key()
            same_url = stored.url == urls.record_url(self.base_url, key)
            result = await self.http.fetch_record(
                key,
                what=query.display(),
                etag=stored.etag if same_url else None,
                last_modified=stored.last_modified if same_url else None,
            )
        elif kind == "record":
            result = await self.http.fetch_record(
                pith_id, what=what, etag=stored.etag, last_modified=stored.last_modified
            )
        else:
            result = await self.http.fetch_bundle(
                pith_id, what=what, etag=stored.etag, last_modified=stored.last_modified
            )
        if result.status == 304:
            self.cache.touch(
                pith_id,
                kind,
                fetched_at=result.fetched_at,
                etag=result.etag,
                last_modified=result.last_modified,
            )
            view = self.load_cached(pith_id, source="network")
            return RecordView(**{**view.__dict__, "fetched_at": result.fetched_at})
        if by_arxiv:
            return await self._from_fetched(None, query, result, "record")
        return await self._from_fetched(
            pith_id_hint=pith_id, query=None, first=result, first_kind=kind
        )

    async def _fetch_new(self, query: Query) -> RecordView:
        what = query.display()
        if query.kind == "pith_id":
            record_task = self.http.fetch_record(query.value, what=what)
            bundle_task = self._fetch_bundle_quietly(query.value, what)
            record_or_error, bundle_part = await asyncio.gather(
                record_task, bundle_task, return_exceptions=True
            )
            if (
                isinstance(record_or_error, NotFoundError)
                and isinstance(bundle_part, tuple)
                and bundle_part[0]
            ):
                return await self._from_fetched(
                    query.value, query, bundle_part[0], "bundle", bundle=None
                )
            if isinstance(record_or_error, BaseException):
                raise record_or_error
            if isinstance(bundle_part, BaseException):
                raise bundle_part
            return await self._from_fetched(
                query.value, query, record_or_error, "record", bundle=bundle_part
            )
        result = await self.http.fetch_record(query.lookup_key(), what=what)
        return await self._from_fetched(None, query, result, "record")

    async def _fetch_bundle_quietly(
        self, pith_id: str, what: str
    ) -> tuple[FetchResult | None, str]:
        """The bundle, or (None, why not) — a missing bundle does not fail a lookup."""
        try:
            return await self.http.fetch_bundle(pith_id, what=f"the bundle of {what}"), ""
        except NotFoundError:
            return None, "record only: no open graph bundle is published for it"
        except FetchError as exc:
            return None, f"the bundle could not be fetched: {exc}"

    def _check_answer(self, item: Verified, query: Query | None, pith_id_hint: str | None) -> None:
        doc = item.document
        if pith_id_hint is not None and item.pith_id != pith_id_hint:
            raise MismatchError(
                f"the server answered {format_short_number(pith_id_hint)} with the record of {doc.pith_number}"
            )
        if query is None:
            return
        if query.kind == "arxiv" and doc.source.id.lower() != (query.arxiv_id or "").lower():
            raise MismatchError(
                f"the server answered {query.display()} with the record of arXiv:{doc.source.id}"
            )
        if query.kind in ("pith_id", "short") and not item.pith_id.startswith(query.value):
            raise MismatchError(
                f"the server answered {query.display()} with the record of {doc.pith_number}"
            )

    def _parse_fetched(self, result: FetchResult, expected_kind: str | None) -> Verified:
        """Parse and verify an answer; `expected_kind` None accepts a record or a bundle."""
        try:
            item = self.verify_bytes(result.body)
        except RecordFormatError as exc:
            raise NotPithDocumentError(
                f"the server's answer is not a Pith document: {exc}"
            ) from None
        if expected_kind is not None and item.document.kind != expected_kind:
            raise NotPithDocumentError(
                f"the server sent a {item.document.kind} where a {expected_kind} was expected"
            )
        return item

    async def _from_fetched(
        self,
        pith_id_hint: str | None,
        query: Query | None,
        first: FetchResult,
        first_kind: str,
        bundle: tuple[FetchResult | None, str] | None = None,
    ) -> RecordView:
        # A static mirror may serve a bundle at the record path when it has no record.
        item = self._parse_fetched(first, None if first_kind == "record" else first_kind)
        first_kind = item.document.kind
        self._check_answer(item, query, pith_id_hint)
        items = {first_kind: item}
        notes: list[str] = []
        fetches = {first_kind: first}
        if first_kind == "record":
            if bundle is None:
                bundle = await self._fetch_bundle_quietly(item.pith_id, item.document.pith_number)
            bundle_result, why = bundle
            if bundle_result is not None:
                try:
                    bundle_item = self._parse_fetched(bundle_result, "bundle")
                    self._check_answer(bundle_item, None, item.pith_id)
                    items["bundle"] = bundle_item
                    fetches["bundle"] = bundle_result
                except FetchError as exc:
                    notes.append(f"the bundle was not used: {exc}")
            elif why and not why.startswith("record only"):
                notes.append(why)
        changed = False
        for kind, verified in items.items():
            if verified.report.verdict is Verdict.FAILED:
                notes.append(f"the {kind} failed verification, so it was not stored in the cache")
                continue
            try:
                changed = self.store(verified, source="network", fetch=fetches[kind]) or changed
            except CacheError as exc:
                notes.append(f"not cached: {exc}")
        pith_id = item.pith_id
        return self._make_view(
            pith_id,
            items,
            "network",
            first.fetched_at,
            changed=changed or self._changed_upstream(pith_id),
            notes=tuple(notes),
        )

    def _with_version_note(self, query: Query, view: RecordView) -> RecordView:
        if (
            query.kind == "arxiv"
            and query.version is not None
            and view.arxiv_version not in (None, query.version)
        ):
            note = f"you asked for v{query.version}; Pith's record is for v{view.arxiv_version}"
            return RecordView(**{**view.__dict__, "notes": (*view.notes, note)})
        return view

    # --- files ---------------------------------------------------------------------------

    def view_from_file(self, path: Path) -> RecordView:
        """Verify a document from a file (not stored). `RecordFormatError`/`OSError` on bad input."""
        item = self.verify_bytes(path.read_bytes())
        return self._make_view(item.pith_id, {item.document.kind: item}, "file", None)
