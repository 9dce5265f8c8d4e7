"""The resolver: cache first, the network when stale or missing, every document verified on
every load. All network traffic goes to an `httpx.MockTransport`; nothing reaches out."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import multiprocessing
import random
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from pith_tui.core import mirror
from pith_tui.core.cache import Cache
from pith_tui.core.client import PithHttpClient
from pith_tui.core.errors import (
    CacheError,
    MismatchError,
    NotCachedError,
    NotFoundError,
    NotPithDocumentError,
)
from pith_tui.core.indexing import index_fields
from pith_tui.core.resolver import Resolver, verify_bytes
from pith_tui.core.session import open_session
from pith_tui.core.verify import Status, Verdict
from tests import signing
from tests.cache_support import lookup
from tests.conftest import PAPER_PAGE, REAL_RECORDS
from tests.signing import dumps, make_bundle, make_record

BASE = "https://pith.test"
T0 = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
ID_2106 = "4K6GSOJWB7QU2RFIL3CD3BQJ62"
ID_1812 = "TJ77MKGIYVJE4LNYFYW7EA7KKL"


def pith_id_of(doc: dict[str, Any]) -> str:
    return doc["pith_number"].rsplit(":", 1)[-1]


def break_signature(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy whose receipt signature is still well-formed base64 but no longer valid."""
    bad = copy.deepcopy(doc)
    raw = bytearray(base64.b64decode(bad["receipt"]["signature_b64"]))
    raw[0] ^= 0x01
    bad["receipt"]["signature_b64"] = base64.b64encode(bytes(raw)).decode()
    return bad


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class FakePith:
    """A scripted Pith server for `httpx.MockTransport`: path -> answer; records requests."""

    def __init__(self) -> None:
        self.routes: dict[str, Callable[[httpx.Request], httpx.Response]] = {}
        self.requests: list[httpx.Request] = []
        self.down = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.down:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        route = self.routes.get(request.url.path)
        if route is None:
            return httpx.Response(404, text="not found")
        return route(request)

    @property
    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]

    def serve(
        self,
        path: str,
        body: bytes,
        *,
        etag: str | None = None,
        content_type: str = "application/json",
    ) -> None:
        def answer(request: httpx.Request) -> httpx.Response:
            if etag and request.headers.get("If-None-Match") == etag:
                return httpx.Response(304, headers={"ETag": etag})
            headers = {"Content-Type": content_type, **({"ETag": etag} if etag else {})}
            return httpx.Response(200, content=body, headers=headers)

        self.routes[path] = answer

    def publish(
        self,
        record: dict[str, Any] | None = None,
        bundle: dict[str, Any] | None = None,
        *,
        etag: str | None = None,
    ) -> str:
        """Serve a record at its id, short ids and arXiv id, and a bundle, as Pith does."""
        doc = record or bundle
        assert doc is not None
        pith_id = pith_id_of(doc)
        if record is not None:
            raw = dumps(record)
            keys = (pith_id, pith_id[:8], pith_id[:12], pith_id[:16], record["source"]["id"])
            for key in keys:
                self.serve(f"/pith/{key}.json", raw, etag=etag)
        if bundle is not None:
            self.serve(f"/pith/{pith_id}/bundle.json", dumps(bundle))
        return pith_id


def never_called(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no network request was expected, got GET {request.url}")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server() -> FakePith:
    return FakePith()


Build = Callable[..., Resolver]


@pytest.fixture
async def make_resolver(tmp_path: Path, clock: Clock) -> AsyncIterator[Build]:
    """Resolvers on one cache folder, a fake clock, the test key pinned and no retry waits."""
    made: list[Resolver] = []

    def build(handler: Any, *, offline: bool = False, samples: bool = False) -> Resolver:
        cache = Cache.open(tmp_path / "resolver-cache")
        http = PithHttpClient(
            BASE, transport=httpx.MockTransport(handler), max_retries=0, clock=clock
        )
        resolver = Resolver(
            cache, signing.test_trust(), base_url=BASE, offline=offline, clock=clock, http=http
        )
        if samples:
            resolver.ensure_samples()
        made.append(resolver)
        return resolver

    yield build
    for resolver in made:
        await resolver.aclose()
        resolver.cache.close()


# ------------------------------------------------------------------------- cache hits


async def test_a_fresh_cache_hit_is_served_without_any_request(
    make_resolver: Build, server: FakePith, clock: Clock
) -> None:
    record = make_record("2403.00001")
    pith_id = server.publish(record)
    first = await make_resolver(server).resolve("2403.00001")
    assert (first.source, first.verdict) == ("network", Verdict.VERIFIED)

    clock.advance(hours=23, minutes=59)
    offline_handler = make_resolver(never_called)  # same cache folder, no network at all
    for query in (
        "2403.00001",
        "arXiv:2403.00001v1",
        "10.48550/arXiv.2403.00001",
        record["pith_number"],
        pith_id,
        f"pith:{pith_id[:8]}",
        pith_id[:12],
    ):
        view = await offline_handler.resolve(query)
        assert view.pith_id == pith_id, query
        assert view.source == "cache", query
        assert view.verdict is Verdict.VERIFIED, query
        assert view.fetched_at == T0


async def test_a_stale_record_is_revalidated_with_its_etag_and_a_304_keeps_the_cache(
    make_resolver: Build, server: FakePith, clock: Clock
) -> None:
    record = make_record("2403.00001")
    pith_id = server.publish(record, etag='"v1"')
    resolver = make_resolver(server)
    await resolver.resolve("2403.00001")
    stored = resolver.cache.get(pith_id, "record")
    assert stored is not None and stored.etag == '"v1"' and stored.fetched_at == T0

    clock.advance(hours=25)
    server.requests.clear()
    view = await resolver.resolve("2403.00001")

    record_requests = [r for r in server.requests if not r.url.path.endswith("/bundle.json")]
    assert len(record_requests) == 1
    assert record_requests[0].headers.get("If-None-Match") == '"v1"'
    assert view.verdict is Verdict.VERIFIED
    assert view.pith_id == pith_id
    assert view.fetched_at == clock.now
    after = resolver.cache.get(pith_id, "record")
    assert after is not None
    assert after.raw == stored.raw  # served from the cache: nothing was downloaded
    assert after.fetched_at == clock.now  # ...but it counts as fetched now
    assert len(resolver.cache.versions(pith_id, "record")) == 1

    # Fresh again: the next lookup makes no request at all.
    server.requests.clear()
    again = await resolver.resolve("2403.00001")
    assert server.requests == []
    assert again.source == "cache"


async def test_a_miss_fetches_the_record_then_the_bundle_and_merges_them(
    make_resolver: Build, server: FakePith
) -> None:
    record = make_record("2403.00002", title="Both Halves")
    bundle = make_bundle("2403.00002", title="Both Halves", extra_events=("author_attestation",))
    assert pith_id_of(record) == pith_id_of(bundle)
    pith_id = server.publish(record, bundle)
    resolver = make_resolver(server)

    view = await resolver.resolve("2403.00002")

    assert server.paths == ["/pith/2403.00002.json", f"/pith/{pith_id}/bundle.json"]
    assert view.source == "network"
    assert view.record is not None and view.bundle is not None
    assert view.record_report is not None and view.bundle_report is not None
    assert view.record_report.verdict is Verdict.VERIFIED
    assert view.bundle_report.verdict is Verdict.VERIFIED
    assert view.verdict is Verdict.VERIFIED
    assert [label for label, _ in view.document_reports] == ["record", "bundle"]
    assert [label for label, _ in view.reports] == ["record", "bundle", "record and bundle"]
    assert len(view.events) == 3
    assert not any("record only" in note for note in view.notes)
    assert view.paper.title == "Both Halves"
    # Both documents are cached byte for byte, and found again by any alias.
    assert resolver.cache.get(pith_id, "record").raw == dumps(record)  # type: ignore[union-attr]
    assert resolver.cache.get(pith_id, "bundle").raw == dumps(bundle)  # type: ignore[union-attr]
    assert lookup(resolver.cache, "10.48550/arxiv.2403.00002") == pith_id
    entry = resolver.cache.entries()[0]
    assert entry.has_bundle and entry.verdict == "verified" and entry.source == "network"


async def test_a_record_without_a_bundle_is_a_record_only_view_with_a_note(
    make_resolver: Build, server: FakePith
) -> None:
    pith_id = server.publish(make_record("2403.00003"))
    resolver = make_resolver(server)
    view = await resolver.resolve("2403.00003")
    assert server.paths == ["/pith/2403.00003.json", f"/pith/{pith_id}/bundle.json"]
    assert view.bundle is None and view.bundle_report is None
    assert view.verdict is Verdict.VERIFIED
    assert any(note.startswith("record only") for note in view.notes)
    assert resolver.cache.get(pith_id, "bundle") is None
    # The note survives a reload from the cache.
    cached = resolver.cached_view(pith_id)
    assert cached is not None and any(n.startswith("record only") for n in cached.notes)


async def test_a_26_char_id_fetches_record_and_bundle_concurrently(
    make_resolver: Build, server: FakePith
) -> None:
    record = make_record("2403.00004", title="Parallel")
    bundle = make_bundle("2403.00004", title="Parallel")
    pith_id = server.publish(record, bundle)
    in_flight: list[str] = []
    both_arrived = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        in_flight.append(request.url.path)
        if len(in_flight) == 2:
            both_arrived.set()
        try:
            # A sequential client would never send the second request while this one waits.
            await asyncio.wait_for(both_arrived.wait(), 2.0)
        except asyncio.TimeoutError:
            return httpx.Response(500)
        return server(request)

    view = await make_resolver(handler).resolve(pith_id)
    assert sorted(in_flight) == sorted([f"/pith/{pith_id}.json", f"/pith/{pith_id}/bundle.json"])
    assert view.verdict is Verdict.VERIFIED
    assert view.record is not None and view.bundle is not None


async def test_a_26_char_id_with_only_a_bundle_published_gives_a_bundle_view(
    make_resolver: Build, server: FakePith
) -> None:
    bundle = make_bundle("2403.00005")
    pith_id = server.publish(bundle=bundle)
    view = await make_resolver(server).resolve(pith_id)
    assert view.record is None and view.bundle is not None
    assert view.verdict is Verdict.VERIFIED


# --------------------------------------------------------------------- offline, failures


async def test_offline_mode_never_touches_the_network(tmp_path: Path) -> None:
    session = open_session(
        offline=True, cache_dir=tmp_path / "c", transport=httpx.MockTransport(never_called)
    )
    resolver = session.resolver
    try:
        view = await resolver.resolve("2106.06530")
        assert view.verdict is Verdict.VERIFIED
        assert view.source == "sample"
        with pytest.raises(NotCachedError) as caught:
            await resolver.resolve("2403.00009")
        assert str(caught.value) == "offline, and arXiv:2403.00009 is not in the cache"
        with pytest.raises(NotCachedError):
            await resolver.resolve(f"pith:{'A' * 26}", refresh=True)
    finally:
        await resolver.aclose()
        resolver.cache.close()


async def test_offline_serves_a_stale_record_from_the_cache(
    make_resolver: Build, server: FakePith, clock: Clock
) -> None:
    pith_id = server.publish(make_record("2403.00006"))
    await make_resolver(server).resolve("2403.00006")
    clock.advance(days=30)
    view = await make_resolver(never_called, offline=True).resolve("2403.00006", refresh=True)
    assert view.pith_id == pith_id
    assert view.source == "offline"
    assert view.verdict is Verdict.VERIFIED


async def test_a_network_failure_falls_back_to_the_stale_cache_and_says_so(
    make_resolver: Build, server: FakePith, clock: Clock
) -> None:
    pith_id = server.publish(make_record("2403.00007"))
    resolver = make_resolver(server)
    await resolver.resolve("2403.00007")
    clock.advance(hours=48)
    server.down = True
    server.requests.clear()

    view = await resolver.resolve("2403.00007")

    assert server.requests, "a stale record must be revalidated"
    assert view.pith_id == pith_id
    assert view.verdict is Verdict.VERIFIED
    assert view.source == "cache-stale"
    assert view.fetched_at == T0
    assert any("could not refresh" in n and "showing the cache" in n for n in view.notes)


async def test_samples_are_refreshed_when_online_and_kept_when_the_network_fails(
    make_resolver: Build, server: FakePith
) -> None:
    server.down = True
    resolver = make_resolver(server, samples=True)
    view = await resolver.resolve("2106.06530")
    assert view.source == "sample" and view.verdict is Verdict.VERIFIED
    assert any("could not refresh" in n for n in view.notes)

    server.down = False
    server.serve(f"/pith/{ID_2106}.json", REAL_RECORDS["2106.06530"].read_bytes())
    server.serve("/pith/2106.06530.json", REAL_RECORDS["2106.06530"].read_bytes())
    view = await resolver.resolve("2106.06530")
    assert view.source == "network" and view.verdict is Verdict.VERIFIED
    assert not view.changed_upstream


async def test_not_found_says_so_in_plain_words(make_resolver: Build, server: FakePith) -> None:
    resolver = make_resolver(server)
    with pytest.raises(NotFoundError) as caught:
        await resolver.resolve("1711.04623")
    assert str(caught.value) == "Pith has no record for arXiv:1711.04623"
    assert resolver.cache.count() == 0


# -------------------------------------------------------------- changed, tampered, lying


@pytest.mark.parametrize("how", ["refresh", "ttl"])
async def test_a_different_record_for_a_cached_arxiv_id_keeps_both_and_flags_it(
    make_resolver: Build, server: FakePith, clock: Clock, how: str
) -> None:
    v1 = make_record("2403.00001", title="v1 title")
    v2 = make_record("2403.00001", title="other title")
    old_id = server.publish(v1)
    resolver = make_resolver(server)
    first = await resolver.resolve("2403.00001")
    assert first.pith_id == old_id and not first.changed_upstream

    new_id = server.publish(v2)  # the arXiv path now answers with another record
    assert new_id != old_id
    if how == "ttl":
        clock.advance(hours=25)
    view = await resolver.resolve("2403.00001", refresh=how == "refresh")

    assert view.pith_id == new_id
    assert view.verdict is Verdict.VERIFIED
    assert view.changed_upstream
    assert any("changed upstream" in note for note in view.notes)
    # Both versions are kept; the arXiv id now names the new one.
    assert resolver.cache.get(old_id, "record").raw == dumps(v1)  # type: ignore[union-attr]
    assert resolver.cache.get(new_id, "record").raw == dumps(v2)  # type: ignore[union-attr]
    assert set(resolver.cache.all_pith_ids()) == {old_id, new_id}
    assert lookup(resolver.cache, "2403.00001") == new_id
    flagged = {e.pith_id: e.changed_upstream for e in resolver.cache.entries()}
    assert flagged[new_id] is True
    # The flag survives a reload from the cache.
    assert resolver.load_cached(new_id).changed_upstream
    assert resolver.load_cached(old_id).verdict is Verdict.VERIFIED


@pytest.mark.parametrize("tamper", ["signature", "canonical_record", "bundle_state"])
async def test_a_tampered_answer_fails_and_never_replaces_the_good_cached_copy(
    make_resolver: Build, server: FakePith, tamper: str
) -> None:
    record = make_record("2403.00010", title="Good")
    bundle = make_bundle("2403.00010", title="Good")
    pith_id = server.publish(record, bundle)
    resolver = make_resolver(server)
    assert (await resolver.resolve(pith_id)).verdict is Verdict.VERIFIED
    good_record = resolver.cache.get(pith_id, "record")
    good_bundle = resolver.cache.get(pith_id, "bundle")

    if tamper == "signature":
        server.publish(break_signature(record))
        failing = "receipt_signature"
    elif tamper == "canonical_record":
        bad = copy.deepcopy(record)
        bad["canonical_record"]["metadata"]["primary_cat"] = "cs.CR"
        server.publish(bad)
        failing = "canonical_hash"
    else:
        bad_bundle = copy.deepcopy(bundle)
        bad_bundle["state"]["current"]["source_aliases"] = []
        server.publish(bundle=bad_bundle)
        failing = "state_hash"

    view = await resolver.resolve(pith_id, refresh=True)

    assert view.verdict is Verdict.FAILED
    report = view.bundle_report if tamper == "bundle_state" else view.record_report
    assert report is not None
    check = report.check(failing)
    assert check is not None and check.status is Status.FAIL
    assert any("failed verification, so it was not stored" in n for n in view.notes)
    # The cache still holds exactly the good documents.
    assert resolver.cache.get(pith_id, "record").raw == good_record.raw  # type: ignore[union-attr]
    assert resolver.cache.get(pith_id, "bundle").raw == good_bundle.raw  # type: ignore[union-attr]
    assert len(resolver.cache.versions(pith_id, "record")) == 1
    assert len(resolver.cache.versions(pith_id, "bundle")) == 1
    assert resolver.load_cached(pith_id).verdict is Verdict.VERIFIED


async def test_a_tampered_answer_on_a_miss_is_shown_failed_and_not_cached(
    make_resolver: Build, server: FakePith
) -> None:
    server.publish(break_signature(make_record("2403.00011")))
    resolver = make_resolver(server)
    view = await resolver.resolve("2403.00011")
    assert view.verdict is Verdict.FAILED
    assert resolver.cache.count() == 0
    assert lookup(resolver.cache, "2403.00011") is None


async def test_a_lying_server_answering_another_paper_is_a_mismatch(
    make_resolver: Build, server: FakePith
) -> None:
    server.serve("/pith/2403.00001.json", dumps(make_record("2403.00077")))
    resolver = make_resolver(server)
    with pytest.raises(MismatchError) as caught:
        await resolver.resolve("2403.00001")
    assert str(caught.value) == (
        "the server answered arXiv:2403.00001 with the record of arXiv:2403.00077"
    )
    assert resolver.cache.count() == 0


async def test_a_lying_server_answering_another_pith_id_is_a_mismatch(
    make_resolver: Build, server: FakePith
) -> None:
    asked = pith_id_of(make_record("2403.00012"))
    other = make_record("2403.00013")
    server.serve(f"/pith/{asked}.json", dumps(other))
    server.serve(f"/pith/{asked[:8]}.json", dumps(other))
    resolver = make_resolver(server)
    for query in (asked, f"pith:{asked[:8]}"):
        with pytest.raises(MismatchError) as caught:
            await resolver.resolve(query)
        assert "with the record of " + other["pith_number"] in str(caught.value)
    assert resolver.cache.count() == 0


async def test_a_bundle_of_another_record_is_not_merged_into_the_view(
    make_resolver: Build, server: FakePith
) -> None:
    pith_id = server.publish(make_record("2403.00014"))
    server.serve(f"/pith/{pith_id}/bundle.json", dumps(make_bundle("2403.00015")))
    resolver = make_resolver(server)
    view = await resolver.resolve("2403.00014")
    assert view.bundle is None
    assert view.verdict is Verdict.VERIFIED
    assert any("the bundle was not used" in n for n in view.notes)
    assert resolver.cache.get(pith_id, "bundle") is None


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (PAPER_PAGE.read_bytes(), "text/html; charset=utf-8", "HTML page"),
        (b"<!doctype html><html><body>hi</body></html>", "application/json", "HTML page"),
        (b'{"hello": "world"}', "application/json", "not a Pith document"),
        (b'{"a": 1, "a": 2}', "application/json", "repeats the key"),
        (b"not json at all", "text/plain", "not a Pith document"),
    ],
    ids=["html", "html-as-json", "other-json", "duplicate-key", "text"],
)
async def test_an_answer_that_is_not_a_pith_document_is_refused(
    make_resolver: Build, server: FakePith, body: bytes, content_type: str, message: str
) -> None:
    server.serve("/pith/1711.04623.json", body, content_type=content_type)
    resolver = make_resolver(server)
    with pytest.raises(NotPithDocumentError) as caught:
        await resolver.resolve("1711.04623")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert resolver.cache.count() == 0


async def test_asking_for_another_version_adds_a_note(make_resolver: Build) -> None:
    resolver = make_resolver(never_called, offline=True, samples=True)
    view = await resolver.resolve("2106.06530v1")
    assert view.pith_id == ID_2106
    assert "you asked for v1; Pith's record is for v2" in view.notes
    same = await resolver.resolve("2106.06530v2")
    assert not any("you asked for" in n for n in same.notes)


# ----------------------------------------------------------------------- samples, cache


async def test_a_fresh_cache_gets_the_four_real_samples_verified(tmp_path: Path) -> None:
    session = open_session(cache_dir=tmp_path / "c", transport=httpx.MockTransport(never_called))
    resolver = session.resolver
    try:
        assert session.notices == []
        entries = resolver.cache.entries(sort="arxiv_id", descending=False)
        assert [e.arxiv_id for e in entries] == [
            "1611.01838",
            "1704.04289",
            "1812.00542",
            "2106.06530",
        ]
        assert {e.source for e in entries} == {"sample"}
        assert {e.verdict for e in entries} == {"verified"}
        for entry in entries:
            assert resolver.load_cached(entry.pith_id).verdict is Verdict.VERIFIED
        assert resolver.ensure_samples() == 0  # not twice
        assert resolver.cache.count() == 4
    finally:
        resolver.cache.close()


@pytest.mark.parametrize("damage", ["title", "signature", "bad-json"])
def test_a_cache_file_tampered_on_disk_never_loads_as_verified(tmp_path: Path, damage: str) -> None:
    folder = tmp_path / "c"
    session = open_session(
        offline=True, cache_dir=folder, transport=httpx.MockTransport(never_called)
    )
    resolver = session.resolver
    raw = resolver.cache.get(ID_2106, "record").raw  # type: ignore[union-attr]
    if damage == "title":
        tampered = raw.replace(b"Label Noise SGD", b"Label Noise GD!")
    elif damage == "signature":
        tampered = dumps(break_signature(json.loads(raw)))
    else:
        tampered = raw[: len(raw) // 2]
    assert tampered != raw
    with sqlite3.connect(folder / "cache.sqlite3") as db:
        changed = db.execute(
            "UPDATE documents SET raw = ? WHERE pith_id = ? AND kind = 'record'",
            (tampered, ID_2106),
        ).rowcount
    db.close()
    assert changed == 1

    try:
        if damage == "bad-json":
            with pytest.raises(CacheError, match="damaged"):
                resolver.load_cached(ID_2106)
            with pytest.raises(CacheError):
                asyncio.run(resolver.resolve("2106.06530"))
        else:
            view = resolver.load_cached(ID_2106)
            assert view.verdict is Verdict.FAILED
            again = asyncio.run(resolver.resolve("2106.06530"))
            assert again.verdict is Verdict.FAILED
        verdicts = {e.pith_id: e.verdict for e in resolver.cache.entries()}
        assert verdicts[ID_2106] == "failed"
        assert verdicts[ID_1812] == "verified"
    finally:
        resolver.cache.close()


def test_a_garbage_cache_file_is_moved_aside_and_samples_still_work(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    garbage = random.Random(7).randbytes(16384)
    (folder / "cache.sqlite3").write_bytes(garbage)

    session = open_session(
        offline=True, cache_dir=folder, transport=httpx.MockTransport(never_called)
    )
    resolver = session.resolver
    try:
        assert len(session.notices) == 1
        notice = session.notices[0]
        assert "could not be used" in notice and "a new, empty cache was started" in notice
        moved = list(folder.glob("cache.sqlite3.broken-*"))
        assert len(moved) == 1
        assert moved[0].read_bytes() == garbage
        assert str(moved[0]) in notice
        view = asyncio.run(resolver.resolve("pith:4K6GSOJW"))
        assert view.verdict is Verdict.VERIFIED and view.pith_id == ID_2106
        assert resolver.cache.count() == 4
    finally:
        resolver.cache.close()


# --------------------------------------------------------------------- files and helpers


def test_verify_bytes_and_index_fields_on_a_real_bundle() -> None:
    item = verify_bytes(REAL_RECORDS["bundle"].read_bytes(), signing.test_trust())
    assert item.pith_id == ID_1812
    assert item.report.verdict is Verdict.VERIFIED
    fields = index_fields(item.document, item.pith_id)
    assert fields["pith_number"] == f"pith:2018:{ID_1812}"
    assert fields["arxiv_id"] == "1812.00542"
    assert fields["keys"] == {
        f"pith:{ID_1812}",
        f"pith:2018:{ID_1812}",
        "arxiv:1812.00542",
    }
    assert fields["search_terms"] == ["1812.00542v1", "10.48550/arxiv.1812.00542"]
    assert fields["title"]


def test_view_from_file_does_not_store(make_resolver_sync: Resolver) -> None:
    resolver = make_resolver_sync
    view = resolver.view_from_file(REAL_RECORDS["1611.01838"])
    assert view.source == "file" and view.verdict is Verdict.VERIFIED
    assert resolver.cache.count() == 0


@pytest.fixture
def make_resolver_sync(tmp_path: Path) -> Iterator[Resolver]:
    with Cache.open(tmp_path / "sync") as cache:
        yield Resolver(cache, signing.test_trust(), base_url=BASE, offline=True)


# ------------------------------------------------------------- two processes, one cache


def _import_worker(
    cache_dir: str, config_dir: str, files: list[str], start: Any, results: Any
) -> None:
    session = open_session(
        offline=True, cache_dir=Path(cache_dir), config_dir=Path(config_dir), samples=False
    )
    start.wait(30)
    outcomes = mirror.import_files(session.resolver, [Path(f) for f in files])
    results.put([(o.stored, o.message) for o in outcomes])
    session.resolver.cache.close()


def test_two_processes_importing_into_one_cache_lose_nothing(
    tmp_path: Path, config_with_test_key: Path
) -> None:
    cache_dir = tmp_path / "shared-cache"
    Cache.open(cache_dir).close()  # both workers open an existing cache
    batches: list[list[str]] = []
    expected: set[str] = set()
    for worker in range(2):
        folder = tmp_path / f"files-{worker}"
        folder.mkdir()
        names = []
        for index in range(50):
            record = make_record(f"2404.{worker}{index:04d}", title=f"Paper {worker}-{index}")
            expected.add(pith_id_of(record))
            path = folder / f"{index}.json"
            path.write_bytes(dumps(record))
            names.append(str(path))
        batches.append(names)

    context = multiprocessing.get_context("spawn")
    start = context.Event()
    results = context.Queue()
    workers = [
        context.Process(
            target=_import_worker,
            args=(str(cache_dir), str(config_with_test_key), names, start, results),
        )
        for names in batches
    ]
    for process in workers:
        process.start()
    start.set()
    outcomes = [results.get(timeout=60) for _ in workers]
    for process in workers:
        process.join(30)
        assert process.exitcode == 0

    flat = [item for batch in outcomes for item in batch]
    assert len(flat) == 100
    assert all(stored for stored, _ in flat), [m for s, m in flat if not s][:3]
    assert not any("locked" in message for _, message in flat)
    with Cache.open(cache_dir) as cache:
        assert set(cache.all_pith_ids()) == expected
        assert cache.count() == 100
        assert all(cache.get(pith_id, "record") is not None for pith_id in expected)


# ------------------------------------------------- no rollback, no silent replacement


def _without(bundle: dict[str, Any], event_type: str, built_at: str) -> dict[str, Any]:
    older = copy.deepcopy(bundle)
    older["events"] = [e for e in older["events"] if e["event_type"] != event_type]
    older["built_at"] = built_at
    return signing.restate_bundle(older)


@pytest.mark.parametrize("how", ["refresh", "ttl"])
async def test_a_mirror_serving_an_older_bundle_is_refused_and_the_cache_kept(
    make_resolver: Build, server: FakePith, clock: Clock, how: str
) -> None:
    record = make_record("2403.00020", title="Corrected")
    bundle = make_bundle("2403.00020", title="Corrected", extra_events=("correction",))
    pith_id = server.publish(record, bundle)
    resolver = make_resolver(server)
    assert (await resolver.resolve(pith_id)).verdict is Verdict.VERIFIED
    cached = resolver.cache.get(pith_id, "bundle")
    assert cached is not None

    older = _without(bundle, "correction", "2026-06-09T00:00:00Z")
    server.publish(bundle=older)  # verifies on its own: only the comparison catches it
    assert verify_bytes(dumps(older), signing.test_trust()).report.verdict is Verdict.VERIFIED
    if how == "ttl":
        clock.advance(hours=25)
    view = await resolver.resolve(pith_id, refresh=how == "refresh")

    assert view.verdict is Verdict.VERIFIED
    assert [e.event_type for e in view.events] == ["record_created", "graph_snapshot", "correction"]
    assert (
        "the server served an older bundle than the one cached (it lacks 1 event the cached "
        "one has: correction): kept the cached one"
    ) in view.notes
    after = resolver.cache.get(pith_id, "bundle")
    assert after is not None and after.raw == cached.raw
    assert len(resolver.cache.versions(pith_id, "bundle")) == 1
    # A later look from the cache still shows the correction.
    assert [e.event_type for e in resolver.load_cached(pith_id).events][-1] == "correction"


async def test_the_servers_text_changing_under_the_same_hash_is_kept_and_said(
    make_resolver: Build, server: FakePith, clock: Clock
) -> None:
    record = make_record("2403.00021", title="Stable Title", authors="Ada Lovelace")
    pith_id = server.publish(record)
    resolver = make_resolver(server)
    await resolver.resolve(pith_id)
    first = resolver.cache.get(pith_id, "record")
    assert first is not None

    clock.advance(hours=2)
    changed = copy.deepcopy(record)
    changed["paper"]["authors_text"] = "Mallory Mallory"
    changed["inbound_citations"] = {"count": 7, "sample": []}
    server.publish(changed)
    view = await resolver.resolve(pith_id, refresh=True)

    note = (
        "the server's text changed since 2026-06-01 12:00 UTC: authors, citations "
        "(the earlier copy is kept in the cache)"
    )
    assert view.verdict is Verdict.VERIFIED
    assert view.paper.authors_text == "Mallory Mallory"
    assert note in view.notes
    history = resolver.cache.text_history(pith_id)
    assert [(h.kind, h.raw, h.changes) for h in history] == [
        ("record", first.raw, "authors, citations")
    ]
    assert history[0].fetched_at == T0 and history[0].replaced_at == clock.now
    entry = resolver.cache.entry(pith_id)
    assert entry is not None and entry.text_changed_at == clock.now
    assert note in resolver.load_cached(pith_id).notes  # it stays said
    # The same text again is no further change.
    await resolver.resolve(pith_id, refresh=True)
    assert len(resolver.cache.text_history(pith_id)) == 1


async def test_an_older_version_of_the_paper_does_not_take_its_arxiv_id_back(
    make_resolver: Build, server: FakePith, clock: Clock
) -> None:
    v2 = make_record("2403.00022", version=2, title="Second")
    v1 = make_record("2403.00022", version=1, title="First")
    v2_id = server.publish(v2)
    resolver = make_resolver(server)
    assert (await resolver.resolve("2403.00022")).pith_id == v2_id

    v1_id = server.publish(v1)  # the arXiv path now serves version 1 again
    view = await resolver.resolve("2403.00022", refresh=True)

    assert view.pith_id == v2_id and view.verdict is Verdict.VERIFIED
    assert (
        f"the server served version 1 of arXiv:2403.00022, older than the cached version 2 "
        f"({v2['pith_number']}): kept the cached one"
    ) in view.notes
    assert lookup(resolver.cache, "2403.00022") == v2_id
    assert lookup(resolver.cache, v1_id) == v1_id  # kept too, by its own id
    assert not resolver.cache.entry(v2_id).changed_upstream  # type: ignore[union-attr]
    # Asked for by its own id, the older version is what is shown, and said to be older.
    resolver.cache.remove(v1_id)
    view = await resolver.resolve(v1_id)
    assert view.pith_id == v1_id and view.verdict is Verdict.VERIFIED
    assert (
        f"this is version 1 of arXiv:2403.00022, older than the cached version 2 "
        f"({v2['pith_number']}): its arXiv id still leads to the later version"
    ) in view.notes
    assert lookup(resolver.cache, "2403.00022") == v2_id


async def test_a_pith_number_with_another_year_is_not_that_record(
    make_resolver: Build, server: FakePith
) -> None:
    record = make_record("2403.00023")  # submitted 2024
    pith_id = server.publish(record)
    wrong = f"pith:2023:{pith_id}"
    resolver = make_resolver(server)
    with pytest.raises(MismatchError) as caught:  # not cached: the server's answer is checked
        await resolver.resolve(wrong)
    assert str(caught.value) == (
        f"the server answered {wrong} with the record of pith:2024:{pith_id}"
    )
    assert resolver.cache.count() == 0

    await resolver.resolve(record["pith_number"])
    server.requests.clear()
    with pytest.raises(NotFoundError) as caught:  # cached: refused without asking anyone
        await resolver.resolve(wrong)
    assert str(caught.value) == (
        f"{wrong} is no record's Pith Number: pith:{pith_id[:8]} is pith:2024:{pith_id}, "
        "and the year of a Pith Number is the year of its record"
    )
    assert server.requests == []
    assert resolver.cached_view(wrong) is None


async def test_an_arxiv_query_is_answered_only_by_a_signed_arxiv_source(
    make_resolver: Build, server: FakePith
) -> None:
    other = copy.deepcopy(make_record("2403.00024", title="Not From arXiv"))
    other["canonical_record"]["source"]["kind"] = "biorxiv"
    other = signing.resign_record(other)
    item = verify_bytes(dumps(other), signing.test_trust())
    assert item.report.verdict is not Verdict.FAILED  # signed: it is what it says it is
    server.serve("/pith/2403.00024.json", dumps(other))
    pith_id = pith_id_of(other)
    server.serve(f"/pith/{pith_id}.json", dumps(other))
    resolver = make_resolver(server)
    for query in ("2403.00024", "10.48550/arXiv.2403.00024"):
        with pytest.raises(MismatchError, match="signed source is not an arXiv paper"):
            await resolver.resolve(query)
    # Fetched by its own id it is cached, but no arXiv id or DOI finds it.
    assert (await resolver.resolve(pith_id)).pith_id == pith_id
    assert lookup(resolver.cache, pith_id) == pith_id
    assert lookup(resolver.cache, "2403.00024") is None
    assert resolver.cached_view("10.48550/arXiv.2403.00024") is None


_IMPORTS_AFTER = """
import sys
from pathlib import Path
from pith_tui.core.session import open_session
session = open_session(cache_dir=Path(sys.argv[1]), offline=False)
view = session.resolver.cached_view("2106.06530")
assert view is not None and view.verdict.value == "verified", view
if sys.argv[2] == "network":
    session.resolver.http  # the first use of the network
print(" ".join(sorted(m for m in sys.modules if m == "httpx" or m == "pith_tui.core.client")))
"""


@pytest.mark.parametrize(
    ("then", "loaded"), [("cache", ""), ("network", "httpx pith_tui.core.client")]
)
def test_a_start_from_the_cache_imports_no_network_stack(
    tmp_path: Path, then: str, loaded: str
) -> None:
    """Building a session and showing a cached record imports neither httpx nor the client;
    the first use of the network does."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _IMPORTS_AFTER, str(tmp_path / "c"), then],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == loaded


async def test_a_newer_bundle_stored_by_another_process_meanwhile_is_not_rolled_back(
    make_resolver: Build, server: FakePith, tmp_path: Path
) -> None:
    """Judged against the cached bundle, stored after another process put a newer one: the
    put is refused by the cache, judged again, and now it is the older one."""
    base = make_bundle("2403.00025", extra_events=("correction",))
    pith_id = server.publish(bundle=base)
    resolver = make_resolver(server)
    await resolver.resolve(pith_id)

    def grown(*types: str) -> dict[str, Any]:
        bigger = copy.deepcopy(base)
        for index, event_type in enumerate(types):
            bigger["events"].append(
                signing.make_event(event_type, base["pith_number"], {"n": index})
            )
        bigger["built_at"] = f"2026-06-0{5 + len(types)}T00:00:00Z"
        return signing.restate_bundle(bigger)

    ours, theirs = grown("storage_attestation"), grown("storage_attestation", "mirror_hint")
    other_process = Resolver(
        Cache.open(resolver.cache.path.parent), signing.test_trust(), base_url=BASE, offline=True
    )
    real_put = resolver.cache.put
    raced: list[bool] = []

    def put_after_the_other_process(*args: Any, **kwargs: Any) -> Any:
        if not raced:
            raced.append(True)
            assert other_process.store(
                other_process.verify_bytes(dumps(theirs)), source="file"
            ).stored
        return real_put(*args, **kwargs)

    resolver.cache.put = put_after_the_other_process  # type: ignore[method-assign]
    outcome = resolver.store(resolver.verify_bytes(dumps(ours)), source="network")
    other_process.cache.close()

    assert raced and not outcome.stored and outcome.judgement.relation.value == "rollback"
    assert "lacks 1 event the cached one has: mirror_hint" in outcome.judgement.why
    kept = resolver.cache.get(pith_id, "bundle")
    assert kept is not None and kept.raw == dumps(theirs)
