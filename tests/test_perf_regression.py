"""Performance regressions, asserted as RELATIVE costs (counts of work), never wall-clock time.

- each signature is checked once: Ed25519 verifications == a bundle's events + 2, and
  re-verifying the cache checks each once and writes its verdicts once per chunk;
- the fast paths found by profiling stay in place: a clean document is not walked twice by
  the strict parser, and a bundle whose served state hashes like the client's merge is not
  compared field by field;
- a page of the cache listing is bounded work (SQLite VM steps do not grow with the cache),
  walks an index when unfiltered, and a filter that matches nothing costs about one scan;
- a lookup from the cache issues no network request and no statement that scans a table.

The timed figures live in benchmarks/ (scripts that print, never tests).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from pith_tui.core import canonical, merge, reverify
from pith_tui.core.cache import Cache, Count, PutItem, StoredDocument
from pith_tui.core.cache import listing as cache_listing
from pith_tui.core.cache import search as cache_search
from pith_tui.core.ids import format_pith_number, index_keys, pith_id_from_sha256_hex
from pith_tui.core.indexing import index_fields
from pith_tui.core.keys import PinnedKey
from pith_tui.core.model import load_document
from pith_tui.core.resolver import Resolver
from pith_tui.core.verify import Verdict, verify
from tests.signing import EXTRA_EVENT_TYPES, dumps, make_bundle, make_record
from tests.signing import test_trust as signing_trust

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


# --- verification ---------------------------------------------------------------------------


def _bundle_with(events: int) -> bytes:
    extra = tuple(EXTRA_EVENT_TYPES[i % len(EXTRA_EVENT_TYPES)] for i in range(events - 2))
    return dumps(make_bundle("2403.00002", extra_events=extra))


@pytest.fixture
def signature_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts Ed25519 verifications (one entry per check)."""
    checks: list[int] = []
    verify_key = PinnedKey.verify

    def counting_verify(self: PinnedKey, message: bytes, signature_b64: str) -> bool:
        checks.append(1)
        return verify_key(self, message, signature_b64)

    monkeypatch.setattr(PinnedKey, "verify", counting_verify)
    return checks


def test_each_signature_is_checked_once(signature_checks: list[int]) -> None:
    trust = signing_trust()
    for events in (2, 20, 200):
        document = load_document(_bundle_with(events))
        signature_checks.clear()
        report = verify(document, trust, now=T0)
        assert report.verdict is Verdict.VERIFIED, report.to_json()
        assert len(document.events) == events
        # the receipt, one per event, the bundle signature: nothing verified twice
        assert len(signature_checks) == events + 2


def test_reverifying_the_cache_checks_each_signature_once_and_writes_once_per_chunk(
    tmp_path: Path, signature_checks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reverify, "CHUNK", 4)
    cache = Cache.open(tmp_path / "cache")
    items = []
    for index in range(12):
        raw = dumps(make_bundle(f"2407.{index:05d}"))
        document = load_document(raw)
        pith_id = document.pith_number.rsplit(":", 1)[-1]
        stored = StoredDocument(
            pith_id, "bundle", raw, document.canonical_sha256, None, None, None, T0, "network"
        )
        items.append(PutItem(stored, **index_fields(document, pith_id)))  # type: ignore[arg-type]
    cache.put_many(items)
    statements: list[str] = []
    cache._db.connection.set_trace_callback(statements.append)
    summary = reverify.reverify_cache(cache, signing_trust(), now=T0, workers=1)
    cache._db.connection.set_trace_callback(None)
    assert summary.verified == 12
    assert len(signature_checks) == 12 * 4  # receipt, 2 events, bundle signature: once each
    transactions = [s for s in statements if s.startswith("BEGIN")]
    assert len(transactions) == 3  # one verdict write per chunk of 4, not one per record
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 1 + 3  # the id list, then one read per chunk (`Cache.get_many`)
    cache.close()


def test_a_state_that_hashes_like_the_merge_is_not_compared_field_by_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    original = merge.differences

    def counting(*args: Any) -> list[str]:
        calls.append(1)
        return original(*args)

    monkeypatch.setattr("pith_tui.core.verify.differences", counting)
    report = verify(load_document(_bundle_with(20)), signing_trust(), now=T0)
    assert report.verdict is Verdict.VERIFIED
    assert calls == []
    # a served state that differs is still compared field by field, and fails
    doc = json.loads(_bundle_with(2))
    doc["state"]["event_count"] = 3
    tampered = verify(load_document(json.dumps(doc).encode()), signing_trust(), now=T0)
    assert calls == [1]
    assert tampered.check("state_merge").status.value == "fail"  # type: ignore[union-attr]


def test_the_strict_parser_walks_a_clean_document_once(monkeypatch: pytest.MonkeyPatch) -> None:
    walks: list[int] = []
    original = canonical._check_tree

    def counting(value: Any, max_depth: int) -> None:
        walks.append(1)
        original(value, max_depth)

    monkeypatch.setattr(canonical, "_check_tree", counting)
    canonical.strict_loads(_bundle_with(20))
    assert walks == []  # no lone-surrogate escape and within depth: the path-walk is skipped
    with pytest.raises(canonical.RecordFormatError, match="surrogate"):
        canonical.strict_loads(b'{"a": "\\ud800"}')
    assert walks == [1]  # a suspect document gets the full walk, which says where
    canonical.strict_loads('{"a": "\\ud83d\\ude00"}')  # a valid pair: walked, accepted
    assert walks == [1, 1]
    deep = "[" * (canonical.MAX_DEPTH + 1) + "]" * (canonical.MAX_DEPTH + 1)
    with pytest.raises(canonical.RecordFormatError, match="nested deeper"):
        canonical.strict_loads(deep)


# --- the cache listing ----------------------------------------------------------------------


def _synthetic(index: int) -> PutItem:
    """A cheap listing row (the cache never verifies what it stores)."""
    digest = hashlib.sha256(f"perf {index}".encode()).hexdigest()
    pith_id = pith_id_from_sha256_hex(digest)
    arxiv = f"2405.{index:05d}"
    doc = StoredDocument(
        pith_id=pith_id,
        kind="record",
        raw=b"{}",
        canonical_sha256=digest,
        url=None,
        etag=None,
        last_modified=None,
        fetched_at=T0 - timedelta(minutes=index * 7 % 9973),
        source="network",
    )
    return PutItem(
        doc,
        format_pith_number(2024, pith_id),
        keys=index_keys(pith_id, 2024, "arxiv", arxiv),
        search_terms=(f"10.48550/arxiv.{arxiv}",),
        title=f"{'Neural' if index % 3 else 'Quantum'} paper number {index}",
        authors="Ada Lovelace" if index % 5 else "Alan Turing",
        arxiv_id=arxiv,
        verdict="verified",
    )


def _cache_of(tmp_path: Path, rows: int) -> Cache:
    cache = Cache.open(tmp_path / f"cache-{rows}")
    cache.put_many(_synthetic(i) for i in range(rows))
    return cache


def _vm_steps(cache: Cache, call: Callable[[], object]) -> int:
    """SQLite VM instructions (in thousands) that `call` makes the cache's connection run."""
    steps = 0

    def tick() -> int:
        nonlocal steps
        steps += 1
        return 0

    cache._db.connection.set_progress_handler(tick, 1000)
    try:
        call()
    finally:
        cache._db.connection.set_progress_handler(None, 0)
    return steps


def _rows_examined(cache: Cache, call: Callable[[], object]) -> int:
    """How many rows the filter was tested on: SQLite's `glob` (the filter's substring test)
    replaced, on this connection, by a counting twin (it stays: SQLite's own cannot be put
    back). The twin reads the listing's patterns only: `*text*`, wildcards as `[c]`."""
    counter = getattr(cache, "_test_glob_calls", None)
    if counter is None:
        counter = [0]

        def glob(pattern: Any, haystack: Any) -> int | None:
            counter[0] += 1
            if haystack is None or pattern is None:
                return None
            text = re.sub(r"\[(.)\]", r"\1", str(pattern)[1:-1])
            return int(text in str(haystack))

        cache._db.connection.create_function("glob", 2, glob, deterministic=True)
        cache._test_glob_calls = counter  # type: ignore[attr-defined]
    before = counter[0]
    call()
    return counter[0] - before


@pytest.fixture(params=["index", "scan"])
def caches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[tuple[Cache, Cache]]:
    """A 300- and a 3,000-row cache, with the full-text index, or as on a SQLite without FTS5."""
    if request.param == "scan":
        monkeypatch.setattr(cache_search, "available", lambda connection: False)
    small, large = _cache_of(tmp_path, 300), _cache_of(tmp_path, 3000)
    assert large.full_text is (request.param == "index")
    yield small, large
    small.close()
    large.close()


def _statements(cache: Cache, call: Callable[[], object]) -> list[str]:
    seen: list[str] = []
    cache._db.connection.set_trace_callback(seen.append)
    try:
        call()
    finally:
        cache._db.connection.set_trace_callback(None)
    return [s for s in seen if s.lstrip().upper().startswith("SELECT")]


def _plan(cache: Cache, statement: str) -> str:
    rows = cache._db.connection.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall()
    return " | ".join(row[-1] for row in rows)


def test_a_listing_page_walks_an_index(caches: tuple[Cache, Cache]) -> None:
    _small, large = caches
    for sort in ("fetched_at", "title", "verdict", "pith_number", "arxiv_id", "source"):
        statements = _statements(large, lambda s=sort: large.entries(sort=s, limit=100))
        assert len(statements) == 1
        plan = _plan(large, statements[0])
        assert "USING INDEX entries_by_" in plan and "TEMP B-TREE" not in plan, (sort, plan)


def test_a_listing_page_is_bounded_work(caches: tuple[Cache, Cache]) -> None:
    small, large = caches
    for kwargs in ({}, {"sort": "title", "descending": False}):
        steps_small = _vm_steps(small, lambda k=kwargs: small.entries(limit=100, **k))
        steps_large = _vm_steps(large, lambda k=kwargs: large.entries(limit=100, **k))
        assert steps_large <= steps_small * 1.5 + 2, (kwargs, steps_small, steps_large)
    # four rows in five match "lovelace": the page is found in the first rows of the index
    for sort in ("fetched_at", "title"):
        rows_small = _rows_examined(
            small, lambda s=sort: small.entries(filter_text="lovelace", sort=s, limit=100)
        )
        rows_large = _rows_examined(
            large, lambda s=sort: large.entries(filter_text="lovelace", sort=s, limit=100)
        )
        assert rows_large <= rows_small * 1.5 + 10 and rows_large < 300, (
            sort,
            rows_small,
            rows_large,
        )
    # whereas counting a filter reads every row (the check above would catch a page that
    # did), or with the index only its candidates - the 600 rows that hold "turing" - unless
    # they are most rows ("lovelace": 2,400), which one sequential pass reads faster
    expected = 600 if large.full_text else 3000
    assert _rows_examined(large, lambda: large.count("turing")) == expected
    assert _rows_examined(large, lambda: large.count("lovelace")) == 3000
    assert (large.count("turing"), large.count("lovelace")) == (600, 2400)
    # a capped count stops after cap + 1 matches, either way
    assert _rows_examined(large, lambda: large.count_capped("lovelace", cap=100)) <= 130
    assert str(large.count_capped("lovelace", cap=100)) == "100+"
    assert str(large.count_capped("lovelace", cap=5000)) == "2,400"


def test_a_filter_matching_nothing_reads_the_table_once_in_order(
    caches: tuple[Cache, Cache], monkeypatch: pytest.MonkeyPatch
) -> None:
    _small, large = caches
    # The index walk gets a budget of VM steps; made small here so that 3,000 rows exceed it.
    monkeypatch.setattr(cache_listing, "FILTER_STEPS", 2000)
    for sort in ("fetched_at", "title"):
        examined = _rows_examined(
            large, lambda s=sort: large.entries(filter_text="no such words", sort=s, limit=100)
        )
        statements = _statements(
            large, lambda s=sort: large.entries(filter_text="no such words", sort=s, limit=100)
        )
        plan = _plan(large, statements[-1])
        if large.full_text:  # the budgeted walk, then the index: no candidate, no row read
            assert examined <= 600, (sort, examined)
            assert "VIRTUAL TABLE" in plan and "SCAN entries " not in f"{plan} ", (sort, plan)
        else:  # the budgeted walk, then one scan
            assert examined <= 3000 + 600, (sort, examined)
            assert "SCAN entries" in plan and "USING INDEX" not in plan, (sort, plan)
        assert large.entries(filter_text="no such words", sort=sort, limit=100) == []
    # the fallback gives the rows the index walk gives, in the same order
    monkeypatch.setattr(cache_listing, "FILTER_STEPS", 1000)
    everything = large.entries(sort="title", descending=True)
    want = [e for e in everything if "quantum" in e.title.lower()][5:105]
    got = large.entries(filter_text="quantum", sort="title", descending=True, limit=100, offset=5)
    assert got == want


# --- lookups from the cache -----------------------------------------------------------------


class _NoNetwork(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        raise httpx.ConnectError("no network in this test", request=request)


def test_a_lookup_from_the_cache_needs_no_network_and_no_table_scan(tmp_path: Path) -> None:
    import asyncio

    cache = _cache_of(tmp_path, 500)
    record = make_record("2406.00001", title="A paper to find")
    raw = dumps(record)
    document = load_document(raw)
    pith_id = document.pith_number.rsplit(":", 1)[-1]
    cache.put(
        StoredDocument(
            pith_id, "record", raw, document.canonical_sha256, None, None, None, T0, "network"
        ),
        verdict="verified",
        **index_fields(document, pith_id),  # type: ignore[arg-type]
    )
    transport = _NoNetwork()
    resolver = Resolver(
        cache,
        signing_trust(),
        base_url="http://127.0.0.1:9",
        transport=transport,
        clock=lambda: T0 + timedelta(hours=1),  # fresh: no revalidation is due
    )
    for query in (
        "2406.00001",
        "arXiv:2406.00001v1",
        "10.48550/arXiv.2406.00001",
        f"pith:{pith_id[:8]}",
        pith_id[:12],
        document.pith_number,
    ):
        statements = _statements(cache, lambda q=query: resolver.cached_view(q))
        for statement in statements:
            plan = _plan(cache, statement)
            assert "SCAN entries" not in plan and "SCAN aliases" not in plan, (
                query,
                statement,
                plan,
            )
        view = asyncio.run(resolver.resolve(query))
        assert view.pith_id == pith_id and view.verdict is Verdict.VERIFIED
    assert transport.requests == 0
    cache.close()


def test_a_rare_short_filter_reads_every_row_once_for_its_page_and_its_count(
    caches: tuple[Cache, Cache], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two letters the index cannot search, in a few Pith ids: the page falls back to one
    pass over every row, which counts the matches on the way; the capped and exact counts
    that follow take that figure. A write in between makes them count again."""
    _small, large = caches
    monkeypatch.setattr(cache_listing, "FILTER_STEPS", 2000)
    ids = large.all_pith_ids()
    with Cache.open(large.path.parent) as fresh:  # no page asked for here: it counts itself
        needle = min(
            (pid[i : i + 2].lower() for pid in ids[:50] for i in range(24)), key=fresh.count
        )
        expected = fresh.count(needle)
    assert 0 < expected < 100, (needle, expected)
    page = _rows_examined(large, lambda: large.entries(filter_text=needle, limit=50))
    counts = _rows_examined(large, lambda: (large.count_capped(needle), large.count(needle)))
    assert page <= 3000 + 600 and counts == 0, (needle, page, counts)
    assert large.count_capped(needle) == Count(expected) and large.count(needle) == expected
    large.put_many([_synthetic(5000)])  # a write: the figure may be stale now
    assert _rows_examined(large, lambda: large.count_capped(needle)) >= 3000
    assert large.count_capped(needle).value >= expected
