"""The SQLite cache: storage, lookup, listing, recovery from broken files, concurrency."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pith_tui.core.cache import (
    CACHE_FILE_NAME,
    SCHEMA_VERSION,
    SORT_COLUMNS,
    Cache,
    CacheEntry,
    PutItem,
    PutResult,
    StoredDocument,
    default_cache_dir,
)
from pith_tui.core.cache import history as cache_history
from pith_tui.core.cache import listing as cache_listing
from pith_tui.core.errors import CacheError, PithError, QueryError
from pith_tui.core.ids import IndexKey, index_keys
from tests.cache_support import lookup
from tests.conftest import SAMPLES

RECORD_FILES = ("1611.01838.record.json", "1704.04289.record.json", "2106.06530.record.json")
BUNDLE_FILE = "1812.00542.bundle.json"
T0 = datetime(2026, 5, 18, 12, 0, tzinfo=timezone.utc)


# ----------------------------------------------------------------------------- helpers


class FakeClock:
    """An injectable clock that moves only when told to."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 1.0) -> None:
        self.now += timedelta(seconds=seconds)


def real_item(
    name: str, *, fetched_at: datetime = T0, source: str = "sample", kind: str | None = None
) -> PutItem:
    """A `PutItem` for a real record or bundle from the package samples, keyed as the resolver keys it."""
    raw = (SAMPLES / name).read_bytes()
    data = json.loads(raw)
    pith_number = data["pith_number"]
    pith_id = pith_number.rsplit(":", 1)[1]
    signed = data["canonical_record"]
    aliases = data.get("aliases") or data.get("source_aliases") or []
    paper = data.get("paper") or {}
    doc = StoredDocument(
        pith_id=pith_id,
        kind=kind or ("bundle" if "bundle_type" in data else "record"),
        raw=raw,
        canonical_sha256=data["canonical_sha256"],
        url=f"https://pith.science/pith/{pith_id}.json",
        etag='"fixture"',
        last_modified=None,
        fetched_at=fetched_at,
        source=source,
    )
    return PutItem(
        doc=doc,
        pith_number=pith_number,
        keys=index_keys(
            pith_id,
            int(signed["metadata"]["submitted_at"][:4]),
            signed["source"]["kind"],
            signed["source"]["id"],
        ),
        search_terms=[a["alias_value"] for a in aliases if not a["alias_kind"].startswith("pith")],
        title=paper.get("title", ""),
        authors=paper.get("authors_text", ""),
        arxiv_id=data["source"]["id"],
    )


def put_item(cache: Cache, item: PutItem) -> PutResult:
    return cache.put(
        item.doc,
        pith_number=item.pith_number,
        keys=item.keys,
        search_terms=item.search_terms,
        title=item.title,
        authors=item.authors,
        arxiv_id=item.arxiv_id,
        verdict=item.verdict,
    )


def synthetic_id(seed: str, prefix: str = "") -> str:
    body = base64.b32encode(hashlib.sha256(seed.encode()).digest()).decode()
    return (prefix + body)[:26]


def synthetic_item(
    n: int,
    *,
    pith_id: str | None = None,
    arxiv: str | None = None,
    digest: str | None = None,
    fetched_at: datetime | None = None,
    title: str | None = None,
    authors: str | None = None,
    kind: str = "record",
    source: str = "network",
    verdict: str = "unknown",
    keys: frozenset[str] | None = None,
    search_terms: list[str] | None = None,
    raw: bytes | None = None,
) -> PutItem:
    """A made-up record, keyed and searchable as the resolver would index a real one."""
    pith_id = pith_id or synthetic_id(f"synthetic-{n}")
    arxiv = arxiv or f"2301.{n:05d}"
    if keys is None:
        keys = index_keys(pith_id, 2023, "arxiv", arxiv)
    if search_terms is None:
        search_terms = [f"{arxiv}v1", f"10.48550/arxiv.{arxiv}"]
    doc = StoredDocument(
        pith_id=pith_id,
        kind=kind,
        raw=raw if raw is not None else json.dumps({"n": n, "id": pith_id}).encode(),
        canonical_sha256=digest or hashlib.sha256(f"doc-{n}".encode()).hexdigest(),
        url=f"https://pith.science/pith/{pith_id}.json",
        etag=f'"{n}"',
        last_modified=None,
        fetched_at=fetched_at or T0 + timedelta(seconds=n),
        source=source,
    )
    return PutItem(
        doc=doc,
        pith_number=f"pith:2023:{pith_id}",
        keys=keys,
        search_terms=search_terms,
        title=title if title is not None else f"Synthetic paper {n}",
        authors=authors if authors is not None else f"Author {n}",
        arxiv_id=arxiv,
        verdict=verdict,
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def cache(tmp_path: Path, clock: FakeClock) -> Iterator[Cache]:
    with Cache.open(tmp_path / "cache", clock=clock) as opened:
        yield opened


@pytest.fixture
def real_cache(cache: Cache) -> Cache:
    for name in (*RECORD_FILES, BUNDLE_FILE):
        put_item(cache, real_item(name))
    return cache


# --------------------------------------------------------------------- storing, getting


def test_open_creates_folders_and_a_wal_database(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "b" / "c"
    with Cache.open(folder) as cache:
        assert cache.path == folder / CACHE_FILE_NAME
        assert cache.path.is_file()
        assert cache.recovered_from is None
        assert cache.recovery_message is None
    connection = sqlite3.connect(folder / CACHE_FILE_NAME)
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        row = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'")
        assert row.fetchone()[0] == str(SCHEMA_VERSION)
    finally:
        connection.close()


@pytest.mark.parametrize("name", [*RECORD_FILES, BUNDLE_FILE])
def test_put_get_round_trip_is_byte_identical(cache: Cache, name: str) -> None:
    item = real_item(name)
    assert put_item(cache, item) == PutResult(changed_upstream=False)
    got = cache.get(item.doc.pith_id, item.doc.kind)
    assert got == item.doc
    assert got is not None
    assert got.raw == (SAMPLES / name).read_bytes()
    assert got.fetched_at.tzinfo is not None


def test_arbitrary_bytes_are_kept_as_given(cache: Cache) -> None:
    raw = bytes(range(256)) * 3 + b"\x00 \xff no JSON at all \xc3\x28"
    item = synthetic_item(1, raw=raw, kind="state")
    put_item(cache, item)
    got = cache.get(item.doc.pith_id, "state")
    assert got is not None and got.raw == raw
    assert cache.get(item.doc.pith_id, "record") is None


def test_get_unknown_id_and_bad_arguments(cache: Cache) -> None:
    assert cache.get(synthetic_id("nothing"), "record") is None
    with pytest.raises(ValueError, match="kind"):
        cache.get(synthetic_id("nothing"), "paper")
    with pytest.raises(ValueError, match="26-character"):
        cache.get("not-an-id", "record")


def test_naive_times_and_bad_verdicts_are_refused_before_writing(cache: Cache) -> None:
    item = synthetic_item(1, fetched_at=datetime(2026, 1, 1))  # no tzinfo
    with pytest.raises(ValueError, match="time zone"):
        put_item(cache, item)
    with pytest.raises(ValueError, match="verdict"):
        put_item(cache, synthetic_item(2, verdict="great"))
    assert cache.count() == 0


def test_times_are_stored_as_utc(cache: Cache) -> None:
    paris = timezone(timedelta(hours=2))
    item = synthetic_item(1, fetched_at=datetime(2026, 5, 18, 14, 0, tzinfo=paris))
    put_item(cache, item)
    got = cache.get(item.doc.pith_id, "record")
    assert got is not None
    assert got.fetched_at == datetime(2026, 5, 18, 12, 0, tzinfo=timezone.utc)
    assert got.fetched_at.utcoffset() == timedelta(0)


# ------------------------------------------------------------------------------ resolve


def _resolve_cases() -> list[tuple[str, str, str]]:
    cases = []
    for name in (*RECORD_FILES, BUNDLE_FILE):
        data = json.loads((SAMPLES / name).read_bytes())
        pith_id = data["pith_number"].rsplit(":", 1)[1]
        year = data["pith_number"].split(":")[1]
        keys = [
            pith_id,
            pith_id.lower(),
            data["pith_number"],
            f"PITH:{year}:{pith_id.lower()}",
            data["short_pith_number"],
            data["short_pith_number"].lower(),
            pith_id[:12].lower(),
            f"pith:{pith_id[:16]}",
            f"  {pith_id[:8]}  ",
        ]
        for alias in data.get("aliases") or data["source_aliases"]:
            value = alias["alias_value"]
            keys += [value, value.upper(), value.lower()]
            if alias["alias_kind"].startswith("arxiv"):
                keys += [f"arXiv:{value}", f"ARXIV:{value}"]
            if alias["alias_kind"] == "doi":
                keys += [f"doi:{value}", f"https://doi.org/{value.upper()}"]
        keys.append(f"{data['source']['id']}v9")  # a version never seen: still this paper
        cases += [(name, key, pith_id) for key in keys]
    return cases


@pytest.mark.parametrize(("name", "key", "pith_id"), _resolve_cases())
def test_resolve_every_alias_kind_of_the_real_records(
    real_cache: Cache, name: str, key: str, pith_id: str
) -> None:
    assert lookup(real_cache, key) == pith_id


def test_resolve_unknown_keys(real_cache: Cache) -> None:
    # What the grammar refuses never reaches the cache...
    for key in ("", "   ", "9999.99999", "10.48550/arxiv.9999.99999", "pith:", "OCXKLV4"):
        with pytest.raises(QueryError):
            lookup(real_cache, key)
    # ...and what it accepts but nobody cached matches nothing.
    for key in ("pith:AAAAAAAA", "2401.99999", synthetic_id("absent"), "10.48550/arxiv.2401.00001"):
        assert lookup(real_cache, key) is None
    # The cache matches exact keys only: no grammar of its own, no prefix sniffing.
    assert real_cache.resolve(IndexKey("OCXKLV426LDXCCJME7JSY36CQW")) is None
    assert real_cache.resolve(IndexKey("1611.01838")) is None
    assert real_cache.resolve(IndexKey("pith:ocxklv426ldxccjme7jsy36cqw")) is None
    assert real_cache.resolve(IndexKey("pith:OCXKLV426LDXCCJME7JSY36CQW")) is not None
    assert real_cache.resolve(IndexKey("\ud800")) is None  # unbindable text names nothing
    with pytest.raises(ValueError, match="prefix"):
        real_cache.resolve(IndexKey("OCXKLV4", prefix=True))  # shorter than any short id


@pytest.mark.parametrize(
    "key",
    [
        "cs/0512068",
        "CS/0512068",
        "cs/0512068v2",
        "cs/0512068V2",
        "arXiv:cs/0512068",
        "cs/0512068v7",
        "10.48550/arxiv.cs/0512068",
        "10.48550/ARXIV.CS/0512068",
        "math.AG/0601001",
        "math.ag/0601001v1",
        "math/0601001",
    ],
)
def test_resolve_old_style_arxiv_ids_with_a_slash(cache: Cache, key: str) -> None:
    cs = synthetic_item(1, arxiv="cs/0512068")
    math = synthetic_item(2, arxiv="math/0601001")  # as arXiv writes it (the signed form)
    put_item(cache, cs)
    put_item(cache, math)
    expected = math.doc.pith_id if "0601001" in key else cs.doc.pith_id
    assert lookup(cache, key) == expected


def test_short_ids_are_a_prefix_search_on_the_id(cache: Cache) -> None:
    item = synthetic_item(1)
    assert not any(key.startswith(item.doc.pith_id[:8]) for key in item.keys)  # no short keys
    put_item(cache, item)
    pith_id = item.doc.pith_id
    for length in (8, 10, 12, 16, 20, 26):
        assert cache.resolve(IndexKey(pith_id[:length], prefix=True)) == pith_id
    for length in (8, 12, 16, 26):
        assert lookup(cache, pith_id[:length]) == pith_id
        assert lookup(cache, f"pith:{pith_id[:length].lower()}") == pith_id
    # The arXiv id of its signed source is a key too.
    assert lookup(cache, item.arxiv_id or "") == pith_id


def test_ambiguous_short_prefix_is_an_error_naming_the_count(cache: Cache) -> None:
    first = synthetic_item(1, pith_id=synthetic_id("one", prefix="ABCDEFGHIJKL"))
    second = synthetic_item(2, pith_id=synthetic_id("two", prefix="ABCDEFGHIJMN"))
    put_item(cache, first)
    put_item(cache, second)
    with pytest.raises(CacheError, match=r"^pith:ABCDEFGH matches 2 cached records$"):
        lookup(cache, "pith:abcdefgh")
    with pytest.raises(CacheError, match="matches 2 cached records"):
        cache.resolve(IndexKey("ABCDEFGHI", prefix=True))  # a 9-char prefix: the range search
    assert lookup(cache, "ABCDEFGHIJKL") == first.doc.pith_id
    assert cache.resolve(IndexKey("ABCDEFGHIJM", prefix=True)) == second.doc.pith_id
    assert isinstance(CacheError("x"), PithError)


# ---------------------------------------------------------- versions, upstream changes


def test_a_different_hash_for_the_same_id_is_a_new_version(cache: Cache) -> None:
    pith_id = synthetic_id("versioned")
    old = synthetic_item(1, pith_id=pith_id, digest="a" * 64, fetched_at=T0)
    new = synthetic_item(1, pith_id=pith_id, digest="b" * 64, fetched_at=T0 + timedelta(hours=1))
    new = dataclasses.replace(new, doc=dataclasses.replace(new.doc, raw=b'{"new": true}'))
    assert put_item(cache, old).changed_upstream is False
    assert cache.entries()[0].changed_upstream is False
    assert put_item(cache, new).changed_upstream is True

    current = cache.get(pith_id, "record")
    assert current is not None and current.canonical_sha256 == "b" * 64
    assert current.raw == b'{"new": true}'
    assert [v.canonical_sha256 for v in cache.versions(pith_id, "record")] == ["b" * 64, "a" * 64]
    entry = cache.entries()[0]
    assert entry.changed_upstream is True
    assert cache.count() == 1
    # Another kind has its own history: a first bundle is not a change.
    bundle = synthetic_item(1, pith_id=pith_id, digest="c" * 64, kind="bundle")
    assert put_item(cache, bundle).changed_upstream is False
    assert cache.entries()[0].has_bundle is True


def test_the_same_arxiv_id_under_another_pith_id_is_an_upstream_change(cache: Cache) -> None:
    old = real_item("1611.01838.record.json", fetched_at=T0)
    put_item(cache, old)
    new_id = synthetic_id("reissued")
    new = synthetic_item(
        7,
        pith_id=new_id,
        arxiv="1611.01838",
        search_terms=["1611.01838v6"],
        fetched_at=T0 + timedelta(days=1),
    )
    assert put_item(cache, new).changed_upstream is True
    assert lookup(cache, "1611.01838") == new_id
    assert lookup(cache, "arXiv:1611.01838v6") == new_id
    assert lookup(cache, old.doc.pith_id) == old.doc.pith_id  # still there, by its own id
    flags = {e.pith_id: e.changed_upstream for e in cache.entries()}
    assert flags == {new_id: True, old.doc.pith_id: False}
    # Putting the new one again is not another change.
    assert put_item(cache, new).changed_upstream is False


def test_same_hash_again_updates_in_place_without_duplicates(cache: Cache) -> None:
    item = real_item("2106.06530.record.json", fetched_at=T0)
    put_item(cache, item)
    again = StoredDocument(
        **{
            **item.doc.__dict__,
            "etag": '"v2"',
            "url": "https://mirror.example/x.json",
            "fetched_at": T0 + timedelta(hours=5),
            "source": "network",
        }
    )
    result = cache.put(again, pith_number=item.pith_number, keys=item.keys)
    assert result.changed_upstream is False
    versions = cache.versions(item.doc.pith_id, "record")
    assert len(versions) == 1
    assert versions[0] == again
    entry = cache.entries()[0]
    assert entry.fetched_at == T0 + timedelta(hours=5)
    assert entry.source == "network"
    assert entry.title == item.title  # empty title on the second put keeps the first
    assert entry.changed_upstream is False


def test_going_back_to_an_older_version_makes_it_current(cache: Cache) -> None:
    pith_id = synthetic_id("flip")
    put_item(cache, synthetic_item(1, pith_id=pith_id, digest="a" * 64, fetched_at=T0))
    put_item(cache, synthetic_item(1, pith_id=pith_id, digest="b" * 64, fetched_at=T0))
    result = put_item(cache, synthetic_item(1, pith_id=pith_id, digest="a" * 64, fetched_at=T0))
    assert result.changed_upstream is True
    current = cache.get(pith_id, "record")
    assert current is not None and current.canonical_sha256 == "a" * 64
    assert len(cache.versions(pith_id, "record")) == 2


def test_touch_after_a_304(cache: Cache) -> None:
    item = synthetic_item(1, fetched_at=T0)
    item = PutItem(
        StoredDocument(**{**item.doc.__dict__, "last_modified": "Mon, 18 May 2026 12:00:00 GMT"}),
        item.pith_number,
        item.keys,
    )
    put_item(cache, item)
    later = T0 + timedelta(days=2)
    cache.touch(item.doc.pith_id, "record", fetched_at=later, etag='"new-etag"')
    got = cache.get(item.doc.pith_id, "record")
    assert got is not None
    assert got.fetched_at == later
    assert got.etag == '"new-etag"'
    assert got.last_modified == "Mon, 18 May 2026 12:00:00 GMT"  # None keeps it
    assert got.raw == item.doc.raw
    assert cache.entries()[0].fetched_at == later
    cache.touch(synthetic_id("absent"), "record", fetched_at=later)  # nothing to touch: no error


def test_verdicts_for_the_listing(cache: Cache) -> None:
    pith_id = synthetic_id("verdicts")
    put_item(cache, synthetic_item(1, pith_id=pith_id, digest="a" * 64))
    assert cache.entries()[0].verdict == "unknown"
    cache.set_verdict(pith_id, "verified")
    put_item(cache, synthetic_item(1, pith_id=pith_id, digest="a" * 64))
    assert cache.entries()[0].verdict == "verified"  # same document: the verdict still holds
    put_item(cache, synthetic_item(1, pith_id=pith_id, digest="b" * 64))
    assert cache.entries()[0].verdict == "unknown"  # changed upstream: the old verdict is void
    put_item(cache, synthetic_item(1, pith_id=pith_id, digest="b" * 64, verdict="failed"))
    assert cache.entries()[0].verdict == "failed"
    with pytest.raises(ValueError):
        cache.set_verdict(pith_id, "maybe")


# ------------------------------------------------------------------------------ listing


def test_entries_show_the_real_records(real_cache: Cache) -> None:
    entries = {e.arxiv_id: e for e in real_cache.entries()}
    assert set(entries) == {"1611.01838", "1704.04289", "2106.06530", "1812.00542"}
    sgd = entries["1611.01838"]
    assert isinstance(sgd, CacheEntry)
    assert sgd.pith_id == "OCXKLV426LDXCCJME7JSY36CQW"
    assert sgd.pith_number == "pith:2016:OCXKLV426LDXCCJME7JSY36CQW"
    assert sgd.title == "Entropy-SGD: Biasing Gradient Descent Into Wide Valleys"
    assert "Yann LeCun" in sgd.authors
    assert sgd.source == "sample"
    assert sgd.has_bundle is False
    assert entries["1812.00542"].has_bundle is True
    assert real_cache.count() == 4
    assert real_cache.all_pith_ids() == sorted(e.pith_id for e in entries.values())
    assert real_cache.entry("ocxklv426ldxccjme7jsy36cqw") == sgd
    assert real_cache.entry(synthetic_id("absent")) is None


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ("entropy", {"1611.01838"}),  # title
        ("ENTROPY-sgd", {"1611.01838"}),
        ("bayesian  INFERENCE", {"1704.04289"}),
        ("inference bayesian", set()),  # one substring, not a bag of words
        ("mandt", {"1704.04289"}),  # author
        ("tengyu", {"2106.06530"}),
        ("10.48550/ARXIV.2106", {"2106.06530"}),  # DOI alias
        ("1704.04289v2", {"1704.04289"}),  # versioned arXiv alias
        ("ocxklv42", {"1611.01838"}),  # pith id / short
        ("pith:2021", {"2106.06530"}),  # pith number
        ("tj77", {"1812.00542"}),
        ("gradient", {"1611.01838", "1704.04289"}),
        ("", {"1611.01838", "1704.04289", "2106.06530", "1812.00542"}),
        ("no such paper", set()),
        ("%", set()),  # not a wildcard
        ("_", set()),
    ],
)
def test_entries_filter(real_cache: Cache, filter_text: str, expected: set[str]) -> None:
    found = {e.arxiv_id for e in real_cache.entries(filter_text=filter_text)}
    assert found == expected
    assert real_cache.count(filter_text) == len(expected)


def _sorted_cache(cache: Cache) -> list[PutItem]:
    items = [
        synthetic_item(
            n,
            title=title,
            arxiv=arxiv,
            source=source,
            fetched_at=T0 + timedelta(minutes=minutes),
            verdict=verdict,
        )
        for n, (title, arxiv, source, minutes, verdict) in enumerate(
            [
                ("beta paper", "2201.00003", "network", 5, "verified"),
                ("Alpha paper", "2201.00001", "sample", 1, "failed"),
                ("gamma paper", "cs/0101001", "file", 9, "incomplete"),
                ("Delta paper", "2201.00002", "import", 3, "unknown"),
                ("epsilon paper", "1999.00001", "network", 7, "verified"),
            ]
        )
    ]
    cache.put_many(items)
    return items


@pytest.mark.parametrize("sort", SORT_COLUMNS)
@pytest.mark.parametrize("descending", [False, True])
def test_entries_sort_by_each_column(cache: Cache, sort: str, descending: bool) -> None:
    items = _sorted_cache(cache)

    def key(item: PutItem) -> tuple[Any, ...]:
        when = item.doc.fetched_at
        return {
            "pith_number": (item.pith_number, item.doc.pith_id),
            "arxiv_id": (item.arxiv_id, item.doc.pith_id),
            "title": (item.title.lower(), item.doc.pith_id),
            "verdict": (item.verdict, when, item.doc.pith_id),
            "source": (item.doc.source, when, item.doc.pith_id),
            "fetched_at": (when, item.doc.pith_id),
        }[sort]

    expected = [i.doc.pith_id for i in sorted(items, key=key, reverse=descending)]
    got = [e.pith_id for e in cache.entries(sort=sort, descending=descending)]
    assert got == expected


def test_default_sort_is_newest_first_and_bad_sorts_are_refused(cache: Cache) -> None:
    _sorted_cache(cache)
    titles = [e.title for e in cache.entries()]
    assert titles == ["gamma paper", "epsilon paper", "beta paper", "Delta paper", "Alpha paper"]
    with pytest.raises(ValueError, match="sort"):
        cache.entries(sort="raw")


def test_limit_offset_and_count(cache: Cache) -> None:
    cache.put_many(synthetic_item(n, title=f"Paper {n:03d}") for n in range(50))
    everything = [e.pith_id for e in cache.entries(sort="title", descending=False)]
    assert len(everything) == 50
    page = cache.entries(sort="title", descending=False, limit=10, offset=20)
    assert [e.pith_id for e in page] == everything[20:30]
    assert cache.entries(limit=10, offset=45) == cache.entries()[45:]
    assert cache.entries(limit=0) == []
    assert cache.count() == 50
    assert cache.count("paper 01") == 10  # Paper 010 .. Paper 019
    assert len(cache.entries(filter_text="paper 01", limit=4)) == 4


def test_listing_queries_walk_an_index_instead_of_sorting_every_row(cache: Cache) -> None:
    _sorted_cache(cache)
    connection = cache._db.connection
    for sort in SORT_COLUMNS:
        for descending in (False, True):
            for filter_text in ("", "paper"):
                sql, params = cache_listing.entries_query(filter_text, sort, descending, 100, 0)
                plan = " | ".join(
                    row[-1] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", params)
                )
                assert "USING INDEX entries_by_" in plan, (sort, plan)
                assert "TEMP B-TREE" not in plan, (sort, plan)
    plan = " | ".join(
        row[-1]
        for row in connection.execute(
            "EXPLAIN QUERY PLAN SELECT pith_id FROM aliases WHERE key = ?",
            ("arxiv:1611.01838",),
        )
    )
    assert plan.startswith("SEARCH aliases USING PRIMARY KEY"), plan


# ---------------------------------------------------------------------- remove, clear


def test_remove_and_clear(real_cache: Cache) -> None:
    real_cache.add_history("1611.01838", "OCXKLV426LDXCCJME7JSY36CQW")
    assert real_cache.remove("ocxklv426ldxccjme7jsy36cqw") is True
    assert real_cache.remove("OCXKLV426LDXCCJME7JSY36CQW") is False
    assert lookup(real_cache, "1611.01838") is None
    assert lookup(real_cache, "OCXKLV42") is None
    assert real_cache.get("OCXKLV426LDXCCJME7JSY36CQW", "record") is None
    assert real_cache.count() == 3
    assert real_cache.clear() == 3
    assert real_cache.count() == 0
    assert real_cache.entries() == []
    assert lookup(real_cache, "1812.00542") is None
    assert real_cache.clear() == 0
    assert len(real_cache.history()) == 1  # the query history is not the cache
    put_item(real_cache, real_item(BUNDLE_FILE))  # still usable
    assert lookup(real_cache, "TJ77MKGI") == "TJ77MKGIYVJE4LNYFYW7EA7KKL"


# ----------------------------------------------------------------------------- history


def test_history_is_deduplicated_and_most_recent_first(cache: Cache, clock: FakeClock) -> None:
    cache.add_history("1611.01838", "OCXKLV426LDXCCJME7JSY36CQW")
    clock.advance()
    cache.add_history("pith:TJ77MKGI", "TJ77MKGIYVJE4LNYFYW7EA7KKL")
    clock.advance()
    cache.add_history("nonsense", None)
    clock.advance()
    cache.add_history("  1611.01838 ", "OCXKLV426LDXCCJME7JSY36CQW")  # repeated: moves up
    cache.add_history("", None)  # ignored
    history = cache.history()
    assert [q for q, _, _ in history] == ["1611.01838", "nonsense", "pith:TJ77MKGI"]
    assert history[0] == ("1611.01838", "OCXKLV426LDXCCJME7JSY36CQW", T0 + timedelta(seconds=3))
    assert history[1] == ("nonsense", None, T0 + timedelta(seconds=2))
    assert cache.history(limit=1) == history[:1]


def test_history_with_a_stopped_clock_keeps_insertion_order(cache: Cache) -> None:
    for query in ("a", "b", "c", "a"):
        cache.add_history(query, None)
    assert [q for q, _, _ in cache.history()] == ["a", "c", "b"]


def test_history_keeps_only_the_most_recent_queries(
    cache: Cache, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_history, "HISTORY_KEEP", 5)
    for n in range(12):
        cache.add_history(f"query {n}", None)
        clock.advance()
    assert [q for q, _, _ in cache.history()] == [f"query {n}" for n in range(11, 6, -1)]
    assert cache.history(limit=0) == []


# ---------------------------------------------------------------------- broken files


def _assert_recovered(tmp_path: Path, cache: Cache, original: bytes) -> None:
    assert cache.recovered_from is not None
    assert cache.recovered_from.parent == tmp_path
    assert cache.recovered_from.name.startswith("cache.sqlite3.broken-20260518T120000Z")
    assert cache.recovered_from.read_bytes() == original  # kept, byte for byte
    message = cache.recovery_message
    assert message is not None
    assert str(cache.recovered_from) in message and "new, empty cache" in message
    assert cache.count() == 0
    put_item(cache, real_item("1704.04289.record.json"))
    assert lookup(cache, "UTTGU3KI") == "UTTGU3KIYM6JKD6ALUV7A7CX74"


def test_a_file_of_random_bytes_is_moved_aside(tmp_path: Path, clock: FakeClock) -> None:
    garbage = os.urandom(64 * 1024)
    (tmp_path / CACHE_FILE_NAME).write_bytes(garbage)
    with Cache.open(tmp_path, clock=clock) as cache:
        _assert_recovered(tmp_path, cache, garbage)
        assert "not a cache database" in (cache.recovery_message or "")


def test_a_truncated_database_is_moved_aside(tmp_path: Path, clock: FakeClock) -> None:
    with Cache.open(tmp_path, clock=clock) as cache:
        cache.put_many(synthetic_item(n, raw=os.urandom(2000)) for n in range(300))
    path = tmp_path / CACHE_FILE_NAME
    size = path.stat().st_size
    assert size > 500_000
    with path.open("r+b") as handle:
        handle.truncate(size // 2)
    truncated = path.read_bytes()
    with Cache.open(tmp_path, clock=clock) as cache:
        _assert_recovered(tmp_path, cache, truncated)
        assert "damaged" in (cache.recovery_message or "")


def test_another_schema_version_is_moved_aside(tmp_path: Path, clock: FakeClock) -> None:
    with Cache.open(tmp_path, clock=clock) as cache:
        put_item(cache, real_item("1611.01838.record.json"))
    connection = sqlite3.connect(tmp_path / CACHE_FILE_NAME)
    connection.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    connection.commit()
    connection.close()
    original = (tmp_path / CACHE_FILE_NAME).read_bytes()
    with Cache.open(tmp_path, clock=clock) as cache:
        _assert_recovered(tmp_path, cache, original)
        assert "schema version 99" in (cache.recovery_message or "")
        broken = cache.recovered_from
    old = sqlite3.connect(broken)  # the user's data is still readable in the moved file
    try:
        assert old.execute("SELECT count(*) FROM entries").fetchone()[0] == 1
    finally:
        old.close()


def test_a_foreign_sqlite_database_is_moved_aside(tmp_path: Path, clock: FakeClock) -> None:
    connection = sqlite3.connect(tmp_path / CACHE_FILE_NAME)
    connection.execute("CREATE TABLE photos (name TEXT)")
    connection.commit()
    connection.close()
    original = (tmp_path / CACHE_FILE_NAME).read_bytes()
    with Cache.open(tmp_path, clock=clock) as cache:
        _assert_recovered(tmp_path, cache, original)
        assert "not a pith-tui cache" in (cache.recovery_message or "")


def test_wal_and_shm_files_move_with_the_broken_file(tmp_path: Path, clock: FakeClock) -> None:
    garbage = b"SQLite format 3\x00" + os.urandom(4096)
    (tmp_path / CACHE_FILE_NAME).write_bytes(garbage)
    (tmp_path / f"{CACHE_FILE_NAME}-wal").write_bytes(b"old wal")
    (tmp_path / f"{CACHE_FILE_NAME}-shm").write_bytes(b"old shm")
    existing = tmp_path / f"{CACHE_FILE_NAME}.broken-20260518T120000Z"
    existing.write_bytes(b"an earlier broken file")
    with Cache.open(tmp_path, clock=clock) as cache:
        moved = cache.recovered_from
        assert moved is not None and moved != existing
        assert moved.read_bytes() == garbage
        assert Path(f"{moved}-wal").read_bytes() == b"old wal"
        assert Path(f"{moved}-shm").is_file()  # an index SQLite rebuilds from the -wal
        assert existing.read_bytes() == b"an earlier broken file"
        assert cache.count() == 0


def test_an_empty_file_becomes_a_cache(tmp_path: Path) -> None:
    (tmp_path / CACHE_FILE_NAME).write_bytes(b"")
    with Cache.open(tmp_path) as cache:
        assert cache.recovered_from is None
        put_item(cache, real_item(BUNDLE_FILE))
        assert cache.count() == 1


def test_reopening_keeps_the_data(tmp_path: Path) -> None:
    with Cache.open(tmp_path) as cache:
        put_item(cache, real_item(BUNDLE_FILE))
    with Cache.open(tmp_path) as cache:
        assert cache.recovered_from is None
        assert lookup(cache, "10.48550/arxiv.1812.00542") == "TJ77MKGIYVJE4LNYFYW7EA7KKL"


# --------------------------------------------------------------- unwritable, disk full


def test_a_cache_folder_under_a_regular_file_is_a_cache_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"user data")
    with pytest.raises(CacheError, match=r"^cannot write the cache at .*not-a-folder"):
        Cache.open(blocker / "pith-tui")
    with pytest.raises(CacheError, match="cannot write the cache"):
        Cache.open(blocker)
    assert blocker.read_bytes() == b"user data"


def test_a_read_only_database_refuses_writes_and_keeps_its_data(cache: Cache) -> None:
    put_item(cache, real_item("1611.01838.record.json"))
    cache._db.connection.execute("PRAGMA query_only = ON")  # SQLite itself answers SQLITE_READONLY
    with pytest.raises(CacheError, match=r"^cannot write the cache at .*: .*read-only"):
        put_item(cache, real_item("2106.06530.record.json"))
    with pytest.raises(CacheError, match="read-only"):
        cache.remove("OCXKLV426LDXCCJME7JSY36CQW")
    assert cache.count() == 1
    assert lookup(cache, "1611.01838") == "OCXKLV426LDXCCJME7JSY36CQW"
    cache._db.connection.execute("PRAGMA query_only = OFF")
    put_item(cache, real_item("2106.06530.record.json"))
    assert cache.count() == 2


def test_disk_full_rolls_the_whole_write_back(cache: Cache) -> None:
    put_item(cache, real_item("1611.01838.record.json"))
    connection = cache._db.connection
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.execute(f"PRAGMA max_page_count = {pages + 2}")  # SQLite answers SQLITE_FULL
    batch = [synthetic_item(n, raw=os.urandom(3000)) for n in range(50)]
    with pytest.raises(CacheError, match=r"^cannot write the cache at .*: disk is full$"):
        cache.put_many(batch)
    assert not connection.in_transaction
    assert cache.count() == 1  # nothing of the batch, the old entry intact
    assert cache.all_pith_ids() == ["OCXKLV426LDXCCJME7JSY36CQW"]
    got = cache.get("OCXKLV426LDXCCJME7JSY36CQW", "record")
    assert got is not None and got.raw == (SAMPLES / "1611.01838.record.json").read_bytes()
    connection.execute("PRAGMA max_page_count = 4294967294")
    cache.put_many(batch)  # room again: the cache keeps working
    assert cache.count() == 51


class _FailingConnection:
    """Wraps a connection; the Nth write statement fails as a full disk would."""

    def __init__(self, real: sqlite3.Connection, fail_at: int, message: str) -> None:
        self._real = real
        self._left = fail_at
        self._message = message

    def _tick(self, sql: str) -> None:
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            self._left -= 1
            if self._left <= 0:
                raise sqlite3.OperationalError(self._message)

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self._tick(sql)
        return self._real.execute(sql, *args)

    def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self._tick(sql)
        return self._real.executemany(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.mark.parametrize(
    ("message", "words"),
    [
        ("database or disk is full", "disk is full"),
        ("attempt to write a readonly database", "the file or its folder is read-only"),
        ("disk I/O error", "a disk read or write failed"),
    ],
)
@pytest.mark.parametrize("fail_at", [1, 2, 3, 4, 30])
def test_a_failure_in_the_middle_of_a_batch_leaves_nothing_behind(
    cache: Cache, message: str, words: str, fail_at: int
) -> None:
    put_item(cache, real_item("1704.04289.record.json"))
    cache.put_many(synthetic_item(n) for n in range(50))
    cache.add_history("1704.04289", "UTTGU3KIYM6JKD6ALUV7A7CX74")
    before = sorted(cache.all_pith_ids())
    # 50 new records (the bulk path: statements 1-3), then 25 new versions (one by one).
    batch = [synthetic_item(n) for n in range(50, 100)]
    batch += [synthetic_item(n, digest="e" * 64) for n in range(25, 50)]
    real = cache._db.connection
    cache._db.connection = _FailingConnection(real, fail_at=fail_at, message=message)
    try:
        with pytest.raises(CacheError, match=f"^cannot write the cache at .*: {words}$"):
            cache.put_many(batch)
        with pytest.raises(CacheError, match=words):
            put_item(cache, synthetic_item(1000))
    finally:
        cache._db.connection = real
    assert not real.in_transaction
    assert sorted(cache.all_pith_ids()) == before
    assert lookup(cache, "2301.00060") is None
    assert [v.canonical_sha256 for v in cache.versions(synthetic_id("synthetic-30"), "record")] == [
        hashlib.sha256(b"doc-30").hexdigest()
    ]
    assert cache.entries(filter_text="2301.00030")[0].changed_upstream is False
    assert cache.history()[0][0] == "1704.04289"
    assert cache.put_many(batch) == [PutResult(False)] * 50 + [PutResult(True)] * 25
    assert cache.count() == 101


def test_a_closed_cache_says_so(tmp_path: Path) -> None:
    cache = Cache.open(tmp_path)
    cache.close()
    cache.close()  # twice is fine
    with pytest.raises(CacheError, match="closed"):
        cache.count()
    with pytest.raises(CacheError, match="closed"):
        put_item(cache, real_item(BUNDLE_FILE))


# ------------------------------------------------------------------ bulk, concurrency


def test_put_many_of_1000_entries_is_one_transaction(cache: Cache) -> None:
    statements: list[str] = []
    cache._db.connection.set_trace_callback(statements.append)
    try:
        results = cache.put_many(synthetic_item(n) for n in range(1000))
    finally:
        cache._db.connection.set_trace_callback(None)
    assert results == [PutResult(False)] * 1000
    assert sum(s.startswith("BEGIN") for s in statements) == 1
    assert sum(s.startswith("COMMIT") for s in statements) == 1
    assert cache.count() == 1000
    assert lookup(cache, "2301.00999v1") == synthetic_id("synthetic-999")
    assert lookup(cache, synthetic_id("synthetic-500")[:8]) == synthetic_id("synthetic-500")
    assert cache.count("synthetic paper 99") == 11  # 99 and 990..999
    # The same semantics as put: a second batch with new hashes reports the changes.
    changed = cache.put_many(synthetic_item(n, digest="f" * 64) for n in range(3))
    assert changed == [PutResult(True)] * 3


def test_put_many_sees_its_own_earlier_items(cache: Cache) -> None:
    pith_id = synthetic_id("twice")
    results = cache.put_many(
        [
            synthetic_item(1, pith_id=pith_id, digest="a" * 64, fetched_at=T0),
            synthetic_item(1, pith_id=pith_id, digest="b" * 64, fetched_at=T0 + timedelta(1)),
        ]
    )
    assert results == [PutResult(False), PutResult(True)]
    assert len(cache.versions(pith_id, "record")) == 2


_POOL_IDS = [synthetic_id(f"pool-{n}", prefix="POOLPOOL" if n < 2 else "") for n in range(4)]
_item_parts = st.tuples(
    st.integers(0, 3),  # pith id
    st.sampled_from(["2401.00001", "2401.00002", "cs/0101001"]),
    st.sampled_from(["a" * 64, "b" * 64, "c" * 64]),
    st.sampled_from(["record", "bundle"]),
    st.integers(0, 3),  # minutes
    st.sampled_from(["unknown", "verified", "failed"]),
    st.sampled_from(["", "A title"]),
)


def _pool_item(parts: tuple[int, str, str, str, int, str, str]) -> PutItem:
    index, arxiv, digest, kind, minutes, verdict, title = parts
    return synthetic_item(
        index,
        pith_id=_POOL_IDS[index],
        arxiv=arxiv,
        digest=digest,
        kind=kind,
        fetched_at=T0 + timedelta(minutes=minutes),
        verdict=verdict,
        title=title,
        raw=f"{index} {digest} {minutes}".encode(),
    )


def _dump(cache: Cache) -> dict[str, Any]:
    connection = cache._db.connection
    return {
        # all but `id`, the integer key, which follows the order of insertion
        "entries": connection.execute(
            "SELECT pith_id, pith_number, arxiv_id, title, authors, verdict, source, fetched_at, "
            "has_bundle, changed_upstream, search_text, text_changed_at FROM entries "
            "ORDER BY pith_id"
        ).fetchall(),
        "aliases": connection.execute("SELECT * FROM aliases ORDER BY 1, 2").fetchall(),
        "documents": connection.execute(
            "SELECT pith_id, kind, canonical_sha256, raw, url, etag, fetched_at, source "
            "FROM documents ORDER BY 1, 2, 3"
        ).fetchall(),
        "current": [cache.get(i, k) for i in _POOL_IDS for k in ("record", "bundle")],
    }


@settings(max_examples=60, deadline=None)
@given(
    before=st.lists(_item_parts, max_size=4),
    batch=st.lists(_item_parts, min_size=1, max_size=8),
)
def test_put_many_does_exactly_what_put_does_one_by_one(
    before: list[tuple[Any, ...]], batch: list[tuple[Any, ...]]
) -> None:
    with (
        tempfile.TemporaryDirectory() as folder,
        Cache.open(Path(folder) / "one") as one,
        Cache.open(Path(folder) / "many") as many,
    ):
        for parts in before:
            put_item(one, _pool_item(parts))
            put_item(many, _pool_item(parts))
        singly = [put_item(one, _pool_item(parts)) for parts in batch]
        assert many.put_many(_pool_item(parts) for parts in batch) == singly
        assert _dump(many) == _dump(one)


def _write_records_in_another_process(
    directory: str, worker: int, count: int, barrier: Any
) -> None:
    """Runs in a spawned process: open the cache and put `count` records one by one."""
    barrier.wait()
    with Cache.open(Path(directory)) as cache:
        for n in range(count):
            item = synthetic_item(worker * 10_000 + n)
            put_item(cache, item)
            if n % 50 == 0:
                cache.add_history(f"query {worker} {n}", item.doc.pith_id)
                cache.entries(limit=20)


def test_two_processes_writing_at_once(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    processes = [
        context.Process(
            target=_write_records_in_another_process, args=(str(tmp_path), worker, 200, barrier)
        )
        for worker in (1, 2)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0, 0]
    with Cache.open(tmp_path) as cache:
        assert cache.recovered_from is None
        assert cache.count() == 400
        expected = {synthetic_id(f"synthetic-{w * 10_000 + n}") for w in (1, 2) for n in range(200)}
        assert set(cache.all_pith_ids()) == expected
        assert len(cache.history(limit=100)) == 8


def _open_and_put_in_another_process(directory: str, worker: int, barrier: Any) -> None:
    barrier.wait()
    with Cache.open(Path(directory)) as cache:
        put_item(cache, synthetic_item(worker))


def test_several_processes_creating_the_cache_at_once(tmp_path: Path) -> None:
    # Creating the file and switching it to WAL races; SQLite does not always wait by itself.
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(4)
    processes = [
        context.Process(target=_open_and_put_in_another_process, args=(str(tmp_path), n, barrier))
        for n in range(4)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0, 0, 0, 0]
    with Cache.open(tmp_path) as cache:
        assert cache.count() == 4
        assert cache.recovered_from is None


def test_threads_share_one_cache(cache: Cache) -> None:
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for n in range(100):
                item = synthetic_item(worker * 1000 + n)
                put_item(cache, item)
                assert lookup(cache, item.doc.pith_id[:12]) == item.doc.pith_id
                cache.entries(filter_text="synthetic", limit=10)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert cache.count() == 400


# ------------------------------------------------------------------------- location


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import platformdirs

    monkeypatch.setenv("PITH_TUI_CACHE_DIR", str(tmp_path / "custom"))
    assert default_cache_dir() == tmp_path / "custom"
    monkeypatch.delenv("PITH_TUI_CACHE_DIR")
    assert default_cache_dir() == platformdirs.user_cache_path("pith-tui")
    monkeypatch.setenv("PITH_TUI_CACHE_DIR", str(tmp_path / "env"))
    with Cache.open() as cache:
        assert cache.path == tmp_path / "env" / CACHE_FILE_NAME


def test_the_cache_does_not_import_textual() -> None:
    code = "import sys, pith_tui.core.cache; sys.exit('textual' in sys.modules)"
    root = Path(__file__).resolve().parent.parent
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0


def test_verdict_counts_count_each_last_verdict(tmp_path: Path) -> None:
    cache = Cache.open(tmp_path / "vc")
    assert cache.verdict_counts() == {}
    items = [synthetic_item(i) for i in range(10)]
    cache.put_many(items)
    cache.set_verdicts([(item.doc.pith_id, "failed") for item in items[:3]])
    cache.set_verdicts([(item.doc.pith_id, "incomplete") for item in items[3:5]])
    counts = cache.verdict_counts()
    assert counts["failed"] == 3 and counts["incomplete"] == 2
    assert sum(counts.values()) == 10


# ------------------------------------------------------------------------- get_many


def test_get_many_returns_the_current_documents_of_every_id(cache: Cache) -> None:
    pith_id = synthetic_id("many-versions")
    put_item(cache, synthetic_item(1, pith_id=pith_id, digest="a" * 64, fetched_at=T0))
    newer = T0 + timedelta(hours=1)
    put_item(cache, synthetic_item(1, pith_id=pith_id, digest="b" * 64, fetched_at=newer))
    put_item(cache, synthetic_item(1, pith_id=pith_id, digest="c" * 64, kind="bundle"))
    put_item(cache, synthetic_item(1, pith_id=pith_id, digest="d" * 64, kind="state"))
    other = synthetic_item(2)
    put_item(cache, other)
    absent = synthetic_id("absent")

    got = cache.get_many([pith_id.lower(), other.doc.pith_id, absent, pith_id])

    assert list(got) == [pith_id, other.doc.pith_id, absent]
    assert [(d.kind, d.canonical_sha256) for d in got[pith_id]] == [
        ("record", "b" * 64),
        ("bundle", "c" * 64),
        ("state", "d" * 64),
    ]
    assert got[pith_id] == [cache.get(pith_id, k) for k in ("record", "bundle", "state")]
    assert got[other.doc.pith_id] == [other.doc]
    assert got[absent] == []
    assert cache.get_many([]) == {}
    with pytest.raises(ValueError, match="26-character"):
        cache.get_many([pith_id, "not-an-id"])


def test_get_many_reads_500_ids_per_query(cache: Cache) -> None:
    items = [synthetic_item(n) for n in range(1203)]
    cache.put_many(items)
    statements: list[str] = []
    cache._db.connection.set_trace_callback(statements.append)
    try:
        got = cache.get_many(item.doc.pith_id for item in items)
    finally:
        cache._db.connection.set_trace_callback(None)
    assert sum(s.lstrip().upper().startswith("SELECT") for s in statements) == 3
    assert all(got[item.doc.pith_id] == [item.doc] for item in items)


def test_a_put_judged_against_a_document_that_changed_meanwhile_writes_nothing(
    cache: Cache,
) -> None:
    from pith_tui.core.cache import CacheChanged, raw_digest

    first = synthetic_item(1, raw=b'{"first": 1}')
    assert put_item(cache, dataclasses.replace(first, replaces="")) == PutResult(False)
    second = synthetic_item(1, raw=b'{"second": 2}', fetched_at=T0 + timedelta(hours=1))
    with pytest.raises(CacheChanged, match="changed while this one was checked"):
        cache.put_many([dataclasses.replace(second, replaces=raw_digest(b"something else"))])
    with pytest.raises(CacheChanged):
        cache.put_many([dataclasses.replace(second, replaces="")])  # one is there now
    got = cache.get(first.doc.pith_id, "record")
    assert got is not None and got.raw == b'{"first": 1}'
    cache.put_many([dataclasses.replace(second, replaces=raw_digest(b'{"first": 1}'))])
    got = cache.get(first.doc.pith_id, "record")
    assert got is not None and got.raw == b'{"second": 2}'
