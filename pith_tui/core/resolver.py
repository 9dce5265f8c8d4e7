"""The caching client: any identifier -> a verified `RecordView`, from cache or network.

Every document is verified on every load, wherever it came from (network, cache, file).
A document that fails verification is shown as failed but never stored, so a lying server
cannot replace a good cached record.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from pith_tui.core import urls
from pith_tui.core.cache import Cache, CacheChanged, CacheEntry, StoredDocument, raw_digest
from pith_tui.core.errors import (
    CacheError,
    FetchError,
    MismatchError,
    NotCachedError,
    NotFoundError,
    NotPithDocumentError,
    RecordFormatError,
)
from pith_tui.core.files import read_document
from pith_tui.core.ids import (
    Query,
    format_pith_number,
    format_short_number,
    parse_query,
    signed_arxiv_id,
)
from pith_tui.core.indexing import answers, index_fields, signed_source, signed_year
from pith_tui.core.keys import TrustStore
from pith_tui.core.model import Bundle, NumberRecord
from pith_tui.core.samples import sample_documents
from pith_tui.core.stored import Verified, load_stored, verify_bytes
from pith_tui.core.succession import Copy, Judgement, judge, judge_paper
from pith_tui.core.verify import combined_verdict
from pith_tui.core.view import RecordView
from pith_tui.core.vocab import DocKind, StoredSource, Verdict, ViewSource

if TYPE_CHECKING:  # the network stack is imported when the network is first used
    import httpx

    from pith_tui.core.client import FetchResult, PithHttpClient, Timeouts

DEFAULT_TTL = timedelta(hours=24)
_STORE_ATTEMPTS = 3  # judgements against a cached copy another process keeps changing


@dataclass(frozen=True)
class Stored:
    """What `Resolver.store` did with a document.

    `judgement`: how it relates to the cached copy (`refused`: not stored, `kept` is the
    cached copy that stays). `paper`: set when another record holds the paper's arXiv id
    and this one is an older version: stored under its own Pith id, the arXiv id not moved.
    """

    stored: bool
    judgement: Judgement
    changed_upstream: bool = False
    kept: Verified | None = None
    paper: Judgement | None = None

    @property
    def refused(self) -> bool:
        return self.judgement.refused


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
        """The HTTP client, made (and httpx imported) on first use: a start from the cache
        never pays for the network stack."""
        if self._http is None:
            from pith_tui.core.client import PithHttpClient

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
    ) -> Stored:
        """Store a document that did not fail, unless it would replace a better cached one.

        `succession.judge` decides against the cached copy of the same kind (re-verified
        now): an older or poorer document is refused and the cached one kept; a copy with
        other unsigned text is stored and the one it replaces kept in the text history.
        An arXiv id moves to this record only if `succession.judge_paper` allows it against
        the record that has it now; otherwise this record is stored without it.
        Failed documents raise `CacheError`.
        """
        if item.report.verdict is Verdict.FAILED:
            raise CacheError("a document that fails verification is not stored")
        doc = item.document
        fields = index_fields(doc, item.pith_id)
        paper = self._paper_refusal(item, fields["keys"])
        if paper is not None:
            fields["keys"] = fields["keys"] - {paper[0]}
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
        for _attempt in range(_STORE_ATTEMPTS):
            current = self.cache.get(item.pith_id, doc.kind)
            cached = self._verified(current, item.pith_id)
            judgement = judge(_copy(cached) if cached is not None else None, _copy(item))
            if judgement.refused:
                return Stored(False, judgement, kept=cached)
            try:
                result = self.cache.put(
                    stored,
                    verdict=item.report.verdict.value,
                    text_changed=", ".join(judgement.changes),
                    replaces=raw_digest(current.raw if current is not None else None),
                    **fields,
                )
            except CacheChanged:
                continue  # another process stored this kind meanwhile: judge again
            return Stored(
                True, judgement, result.changed_upstream, paper=paper[1] if paper else None
            )
        raise CacheError(
            f"the cached {doc.kind} kept changing while this one was being stored; try again"
        )

    def _cached_copy(self, pith_id: str, kind: str) -> Verified | None:
        """The cached document of this kind, verified now; None if absent or unreadable."""
        return self._verified(self.cache.get(pith_id, kind), pith_id)

    def _verified(self, stored: StoredDocument | None, pith_id: str) -> Verified | None:
        if stored is None:
            return None
        try:
            cached = self.verify_bytes(stored.raw)
        except RecordFormatError:
            return None  # damaged on disk: the arriving copy repairs it
        return cached if cached.pith_id == pith_id else None

    def _paper_refusal(self, item: Verified, keys: frozenset[str]) -> tuple[str, Judgement] | None:
        """(arXiv key, judgement) when another record holds this paper's arXiv id and `item`
        is an older version of it; None when the key may move (or nobody else holds it)."""
        source = signed_source(item.document)
        arxiv_id = signed_arxiv_id(source.get("kind"), source.get("id"))
        if arxiv_id is None:
            return None
        key = Query("arxiv", arxiv_id).index_key
        if key.value not in keys:
            return None
        holder_id = self.cache.resolve(key)
        if holder_id is None or holder_id == item.pith_id:
            return None
        holder = self._cached_copy(holder_id, DocKind.RECORD.value) or self._cached_copy(
            holder_id, DocKind.BUNDLE.value
        )
        if holder is None:
            return None
        judgement = judge_paper(_copy(holder), _copy(item))
        return (key.value, judgement) if judgement.refused else None

    # --- samples -------------------------------------------------------------------------

    def ensure_samples(self) -> int:
        """Import the shipped records into an empty cache (source `sample`). Returns how many."""
        if self.cache.count() > 0:
            return 0
        imported = 0
        for _name, raw in sample_documents():
            item = self.verify_bytes(raw)
            if item.report.verdict is not Verdict.FAILED:
                self.store(item, source=StoredSource.SAMPLE.value)
                imported += 1
        return imported

    # --- cache ---------------------------------------------------------------------------

    def find_cached(self, query: Query) -> str | None:
        return self.cache.resolve(query.index_key)

    def load_cached(self, pith_id: str, *, source: str | None = None) -> RecordView:
        """Build a view from the cache, re-verifying every document now."""
        try:
            items, stored = load_stored(self.cache, self.trust, pith_id, now=self.now())
        except NotCachedError:
            raise
        except CacheError:
            self._record_verdict(pith_id, Verdict.FAILED)  # damaged on disk
            raise
        newest = max(stored, key=lambda d: d.fetched_at)
        if source is None:
            source = newest.source if newest.source in ("sample", "file") else "cache"
            if source == "cache" and self.now() - newest.fetched_at > self.ttl:
                source = "cache-stale"
            if self.offline and source != "sample":
                source = "offline"
        return self._make_view(pith_id, items, source, newest.fetched_at)

    def _record_verdict(self, pith_id: str, verdict: Verdict, listed: str | None = None) -> None:
        """Write the verdict of the latest verification of the cached documents of `pith_id`
        to the cache listing (the cache review's Verdict column); `listed`, the verdict the
        listing has now, saves the write when it is the same.

        For the listing only: a read-only or full disk must not hide the verdict itself,
        and an id edited on disk into a non-id (ValueError) has no entry to mark.
        """
        if verdict.value == listed:
            return
        with contextlib.suppress(CacheError, ValueError):
            self.cache.set_verdict(pith_id, verdict.value)

    def _cache_notes(self, entry: CacheEntry | None, pith_id: str) -> tuple[bool, str]:
        """(changed upstream, the text-change note or "") for a cached id.

        Changed upstream: another document arrived for its arXiv id (a new Pith id took it
        over, which the cache flags on the entry) or, in theory, another version of the same
        id. The note: "the server's text changed since <time>: authors, citations" when a
        copy with the same hash but other unsigned text replaced an earlier one.
        """
        if entry is None:
            return False, ""
        changed = entry.changed_upstream or (
            len(self.cache.versions(pith_id, DocKind.RECORD.value)) > 1
        )
        history = self.cache.text_history(pith_id) if entry.text_changed_at else []
        if not history:
            return changed, ""
        latest = history[0]
        since = latest.fetched_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        kept = "copy is" if len(history) == 1 else f"{len(history)} copies are"
        note = (
            f"the server's text changed since {since}: {latest.changes} "
            f"(the earlier {kept} kept in the cache)"
        )
        return changed, note

    def _make_view(
        self,
        pith_id: str,
        items: dict[str, Verified],
        source: str,
        fetched_at: datetime | None,
        *,
        changed: bool = False,
        notes: tuple[str, ...] = (),
        cached: bool = True,
    ) -> RecordView:
        """The view of `items`; unless it is a file's, the cache's notes are added and, when
        `cached` (every document shown is the one the cache holds), its verdict is recorded
        in the listing: the one place a lookup, a refresh or an open from the cache does."""
        record, bundle = items.get("record"), items.get("bundle")
        extra = list(notes)
        if record is not None and bundle is None:
            extra.append("record only: no open graph bundle is cached or published for it")
        entry: CacheEntry | None = None
        if source != ViewSource.FILE.value:
            # A primary-key lookup: a filtered listing here scanned every entry (profiled:
            # 40% of a lookup with 2,000 entries, growing with the cache).
            entry = self.cache.entry(pith_id)
            flagged, text_note = self._cache_notes(entry, pith_id)
            changed = changed or flagged
            if text_note:
                extra.append(text_note)
        if changed:
            extra.append("changed upstream: the cache holds more than one version of this record")
        if entry is not None and cached:
            verdict = combined_verdict(item.report.verdict for item in items.values())
            self._record_verdict(pith_id, verdict, entry.verdict)
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
        if pith_id is None:
            return None
        view = self.load_cached(pith_id)
        self._check_cached_answer(query, view)
        return view

    # --- the lookup ----------------------------------------------------------------------

    async def resolve(
        self, text: str | Query, *, refresh: bool = False, known: RecordView | None = None
    ) -> RecordView:
        """Any identifier -> a verified view. Cache first; network when stale, missing or asked.

        `known`: the view `cached_view` has just built for this query (off the event loop);
        it is used as the cached copy instead of reading and verifying the cache again."""
        query = text if isinstance(text, Query) else parse_query(text)
        pith_id = self.find_cached(query)
        try:
            self._check_year(query, pith_id)
            view = await self._resolve(query, pith_id, refresh, known)
        finally:
            self._add_history(query, pith_id)
        if pith_id is None:
            self._add_history(query, view.pith_id)
        return self._with_version_note(query, view)

    def _check_year(self, query: Query, pith_id: str | None) -> None:
        """A Pith Number whose year is not its record's names nothing: the id fixes the
        record's content, and the year comes from that content, so no server can have it."""
        if pith_id is not None or query.kind != "pith_id" or query.year is None:
            return
        cached = self.cache.resolve(Query("pith_id", query.value).index_key)
        if cached is None:
            return
        entry = self.cache.entry(cached)
        number = entry.pith_number if entry is not None else ""
        if number and number != format_pith_number(query.year, query.value):
            raise NotFoundError(
                f"{query.display()} is no record's Pith Number: pith:{query.value[:8]} is "
                f"{number}, and the year of a Pith Number is the year of its record"
            )

    def _add_history(self, query: Query, pith_id: str | None) -> None:
        # History is a convenience: a read-only cache must not break lookups.
        with contextlib.suppress(CacheError):
            self.cache.add_history(query.display(), pith_id)

    async def _resolve(
        self, query: Query, pith_id: str | None, refresh: bool, known: RecordView | None = None
    ) -> RecordView:
        if pith_id is not None:
            if known is not None and known.pith_id == pith_id:
                cached = known  # verified a moment ago by cached_view
            else:
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
                return replace(
                    cached, notes=(*cached.notes, f"could not refresh: {exc}; showing the cache")
                )
        if self.offline:
            raise NotCachedError(f"offline, and {query.display()} is not in the cache")
        return await self._fetch_new(query)

    def _check_cached_answer(self, query: Query, view: RecordView) -> None:
        """The cache's index can be edited on disk: a hit must be the record asked for."""
        if not answers(query, view.document, view.pith_id):
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
            self._touch(pith_id, kind, result)
            notes: list[str] = []
            if kind == DocKind.RECORD.value:
                # The record stands, but its bundle gains events (a correction...) on its own.
                bundle = await self._fetch_bundle_quietly(
                    pith_id, what, self.cache.get(pith_id, DocKind.BUNDLE.value)
                )
                fresh = self._bundle_from(pith_id, bundle, notes)
                if fresh is not None:
                    self._store_fetched({DocKind.BUNDLE.value: fresh}, notes)
            view = self.load_cached(pith_id, source="network")
            return replace(
                view,
                fetched_at=result.fetched_at,
                notes=tuple(dict.fromkeys((*view.notes, *notes))),
            )
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
        self, pith_id: str, what: str, cached: StoredDocument | None = None
    ) -> tuple[FetchResult | None, str]:
        """The bundle (a 304 when `cached` is still current), or (None, why not) — a missing
        bundle does not fail a lookup."""
        try:
            result = await self.http.fetch_bundle(
                pith_id,
                what=f"the bundle of {what}",
                etag=cached.etag if cached else None,
                last_modified=cached.last_modified if cached else None,
            )
            return result, ""
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
        if query is None or answers(query, doc, item.pith_id):
            return
        if query.kind == "arxiv":
            source = signed_source(doc)
            if signed_arxiv_id(source.get("kind"), source.get("id")) is None:
                raise MismatchError(
                    f"the server answered {query.display()} with a record whose signed source "
                    f"is not an arXiv paper ({doc.pith_number})"
                )
            raise MismatchError(
                f"the server answered {query.display()} with the record of arXiv:{doc.source.id}"
            )
        year = signed_year(doc)
        signed_number = format_pith_number(year, item.pith_id) if year else doc.pith_number
        raise MismatchError(
            f"the server answered {query.display()} with the record of {signed_number}"
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
        items = {first_kind: (item, first)}
        notes: list[str] = []
        if first_kind == DocKind.RECORD.value:
            if bundle is None:
                bundle = await self._fetch_bundle_quietly(
                    item.pith_id,
                    item.document.pith_number,
                    self.cache.get(item.pith_id, DocKind.BUNDLE.value),
                )
            fresh = self._bundle_from(item.pith_id, bundle, notes)
            if fresh is not None:
                items[DocKind.BUNDLE.value] = fresh
        shown, changed, older_paper = self._store_fetched(items, notes)
        if older_paper is not None:
            holder = (
                self.find_cached(query) if query is not None and query.kind == "arxiv" else None
            )
            if holder is not None and holder != item.pith_id:
                # Asked by arXiv id: it still leads to the newer record, which is shown.
                notes.append(f"the server served {older_paper.why}: kept the cached one")
                view = self.load_cached(holder)
                return replace(view, notes=tuple(dict.fromkeys((*view.notes, *notes))))
            notes.append(
                f"this is {older_paper.why}: its arXiv id still leads to the later version"
            )
        if first_kind == DocKind.RECORD.value and DocKind.BUNDLE.value not in shown:
            # Not fetched anew (304, or not served now): the view shows the cached one.
            with contextlib.suppress(CacheError):
                kept = self._cached_copy(item.pith_id, DocKind.BUNDLE.value)
                if kept is not None:
                    shown[DocKind.BUNDLE.value] = kept
                    if bundle is not None and bundle[0] is None:
                        notes.append("the server sent no bundle now: showing the cached one")
        # A fetched document that failed was not stored: the cache's own copy stands, and
        # so does its verdict in the listing.
        not_stored = any(
            shown.get(kind) is verified and verified.report.verdict is Verdict.FAILED
            for kind, (verified, _fetched) in items.items()
        )
        return self._make_view(
            item.pith_id,
            shown,
            "network",
            first.fetched_at,
            changed=changed,
            notes=tuple(notes),
            cached=not not_stored,
        )

    def _bundle_from(
        self, pith_id: str, bundle: tuple[FetchResult | None, str], notes: list[str]
    ) -> tuple[Verified, FetchResult] | None:
        """The fetched bundle of `pith_id`, parsed and checked, to be stored; None when there
        is none to store (not published, not usable, or 304: the cached one is current)."""
        result, why = bundle
        if result is None:
            if why and not why.startswith("record only"):
                notes.append(why)
            return None
        if result.status == 304:
            self._touch(pith_id, DocKind.BUNDLE.value, result)
            return None
        try:
            verified = self._parse_fetched(result, DocKind.BUNDLE.value)
            self._check_answer(verified, None, pith_id)
        except FetchError as exc:
            notes.append(f"the bundle was not used: {exc}")
            return None
        return verified, result

    def _store_fetched(
        self, items: dict[str, tuple[Verified, FetchResult]], notes: list[str]
    ) -> tuple[dict[str, Verified], bool, Judgement | None]:
        """Store what was fetched (unless it failed or `succession` refuses it) and say so in
        `notes`. Returns (what the view shows per kind, changed upstream, the judgement when
        it is an older version of a paper whose arXiv id another cached record holds)."""
        shown: dict[str, Verified] = {}
        changed = False
        older_paper: Judgement | None = None
        for kind, (verified, fetched) in items.items():
            shown[kind] = verified
            if verified.report.verdict is Verdict.FAILED:
                notes.append(f"the {kind} failed verification, so it was not stored in the cache")
                continue
            try:
                outcome = self.store(verified, source=StoredSource.NETWORK.value, fetch=fetched)
            except CacheError as exc:
                notes.append(f"not cached: {exc}")
                continue
            changed = outcome.changed_upstream or changed
            if outcome.refused:
                notes.append(f"the server served {outcome.judgement.why}: kept the cached one")
                if outcome.kept is not None:
                    shown[kind] = outcome.kept  # the view shows what the cache kept
            older_paper = outcome.paper or older_paper
        return shown, changed, older_paper

    def _touch(self, pith_id: str, kind: str, result: FetchResult) -> None:
        """A 304: the cached document is current as of now."""
        self.cache.touch(
            pith_id,
            kind,
            fetched_at=result.fetched_at,
            etag=result.etag,
            last_modified=result.last_modified,
        )

    def _with_version_note(self, query: Query, view: RecordView) -> RecordView:
        if (
            query.kind == "arxiv"
            and query.version is not None
            and view.arxiv_version not in (None, query.version)
        ):
            note = f"you asked for v{query.version}; Pith's record is for v{view.arxiv_version}"
            return replace(view, notes=(*view.notes, note))
        return view

    # --- files ---------------------------------------------------------------------------

    def view_from_file(self, path: Path) -> RecordView:
        """Verify a document from a file (not stored). `RecordFormatError`/`OSError` on bad
        input, a file too large to be a document included (refused before it is read)."""
        item = self.verify_bytes(read_document(path))
        return self._make_view(item.pith_id, {item.document.kind: item}, "file", None)


def _copy(item: Verified) -> Copy:
    return Copy(item.document, item.report.verdict)
