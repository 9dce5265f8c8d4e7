"""The listing filter with the FTS5 trigram index gives exactly what the scan gives, and the
index stays in step with the entries through every write, or steps aside without FTS5."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pith_tui.core.cache import CACHE_FILE_NAME, Cache, Count, PutItem, StoredDocument
from pith_tui.core.cache import listing as cache_listing
from pith_tui.core.cache import search as cache_search
from pith_tui.core.ids import index_keys, pith_id_from_sha256_hex

T0 = datetime(2026, 6, 1, tzinfo=timezone.utc)
V1_FILE = Path(__file__).parent / "data" / "cache-v1.sqlite3"


def item(n: int, title: str, authors: str = "", minutes: int = 0) -> PutItem:
    digest = hashlib.sha256(f"search {n}".encode()).hexdigest()
    pith_id = pith_id_from_sha256_hex(digest)
    arxiv = f"2407.{n:05d}"
    doc = StoredDocument(
        pith_id, "record", b"{}", digest, None, None, None, T0 + timedelta(minutes=minutes), "file"
    )
    return PutItem(
        doc,
        f"pith:2024:{pith_id}",
        keys=index_keys(pith_id, 2024, "arxiv", arxiv),
        search_terms=(f"{arxiv}v1",),
        title=title,
        authors=authors,
        arxiv_id=arxiv,
        verdict="verified",
    )


@contextmanager
def two_caches(folder: Path) -> Iterator[tuple[Cache, Cache]]:
    """The same cache twice: with the index, and as on a SQLite without FTS5."""
    indexed = Cache.open(folder / "indexed")
    real = cache_search.available
    cache_search.available = lambda connection: False  # type: ignore[assignment]
    try:
        scanning = Cache.open(folder / "scanning")
    finally:
        cache_search.available = real  # type: ignore[assignment]
    try:
        assert indexed.full_text and not scanning.full_text
        yield indexed, scanning
    finally:
        indexed.close()
        scanning.close()


def integrity_check(cache: Cache) -> None:
    """FTS5's own check that the index holds exactly the entries' text (raises if not)."""
    cache._db.connection.execute(
        "INSERT INTO entries_search (entries_search, rank) VALUES ('integrity-check', 1)"
    )


# Text with what case folding and substrings trip over: ß/ss, the long s (an s to FTS5), dotted
# İ, final sigma, combining marks, quotes and FTS5 syntax, GLOB and LIKE wildcards, NUL, runs
# of spaces, astral characters, a lone surrogate.
ALPHABET = st.sampled_from(
    [
        *"abcnrlues ",
        "ß",
        "ſ",
        "İ",
        "ı",
        "Σ",
        "ς",
        "é",
        "e\u0301",
        '"',
        "*",
        "?",
        "[",
        "]",
        "%",
        "_",
        "\x00",
        "-",
        ":",
        "(",
        "\U0001f600",
    ]
)
WORDS = st.lists(ALPHABET, max_size=24).map("".join)


@st.composite
def listing_case(draw: st.DrawFn) -> tuple[list[tuple[str, str]], str]:
    rows = draw(st.lists(st.tuples(WORDS, WORDS), min_size=1, max_size=25))
    pick = draw(st.integers(0, 2))
    if pick == 0:  # a piece of some row, in other case and spacing
        title, authors = draw(st.sampled_from(rows))
        text = title + " " + authors
        start = draw(st.integers(0, max(0, len(text) - 1)))
        end = draw(st.integers(start, len(text)))
        needle = draw(st.sampled_from([str.upper, str.lower, str.title, str]))(text[start:end])
        needle = needle.replace(" ", draw(st.sampled_from([" ", "  ", "\t"])))
    elif pick == 1:
        needle = draw(WORDS)
    else:
        needle = draw(st.sampled_from(["2407.0", "pith:2024", "\ud800abc", '"ab"', "ab*", "a"]))
    return rows, needle


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(case=listing_case(), budget=st.sampled_from([cache_listing.FILTER_STEPS, 0]))
def test_the_index_gives_what_the_scan_gives(
    case: tuple[list[tuple[str, str]], str], budget: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows, needle = case
    # budget 0: every filtered page takes the fallback (the index, or the scan).
    monkeypatch.setattr(cache_listing, "FILTER_STEPS", budget)
    with tempfile.TemporaryDirectory() as folder, two_caches(Path(folder)) as (indexed, scanning):
        items = [item(n, title, authors, n % 7) for n, (title, authors) in enumerate(rows)]
        indexed.put_many(items)
        scanning.put_many(items)
        for sort, descending, limit, offset in (
            ("title", False, 10, 0),
            ("fetched_at", True, 3, 2),
            ("pith_number", False, None, 0),
        ):
            got = indexed.entries(
                filter_text=needle, sort=sort, descending=descending, limit=limit, offset=offset
            )
            want = scanning.entries(
                filter_text=needle, sort=sort, descending=descending, limit=limit, offset=offset
            )
            assert got == want, (sort, needle)
        exact = scanning.count(needle)
        assert indexed.count(needle) == exact

        # ...and the scan is what a substring test in Python says.
        def fold(text: str) -> str:  # U+FFFD for what SQLite cannot bind or GLOB match
            return re.sub("[\x00\ud800-\udfff]", "\ufffd", " ".join(text.lower().split()))

        folded = fold(needle)
        parts = [
            [i.doc.pith_id, i.pith_number, i.arxiv_id, i.title, i.authors, *i.search_terms]
            for i in items
        ]
        by_python = (
            sum(any(folded in fold(part) for part in row if part) for row in parts)
            if folded
            else len(items)
        )
        assert exact == by_python
        for cap in (0, 1, 5, 100):
            capped = indexed.count_capped(needle, cap)
            assert capped == scanning.count_capped(needle, cap)
            assert capped == (Count(cap, capped=True) if exact > cap else Count(exact))
        integrity_check(indexed)


def test_a_capped_count_reads_as_the_screen_shows_it(tmp_path: Path) -> None:
    with Cache.open(tmp_path) as cache:
        cache.put_many(item(n, "neural paper" if n % 2 else "other") for n in range(30))
        assert cache.count_capped("neural", cap=10) == Count(10, capped=True)
        assert str(cache.count_capped("neural", cap=10)) == "10+"
        assert str(cache.count_capped("neural")) == "15"
        assert str(Count(10_000, capped=True)) == "10,000+"
        assert cache.count_capped("") == Count(30)
        assert cache.count_capped("nothing like it") == Count(0)


def test_the_index_follows_every_write(tmp_path: Path) -> None:
    with Cache.open(tmp_path) as cache:
        cache.put_many(item(n, f"first title {n}") for n in range(20))
        one = item(3, "a changed title", "new author")
        cache.put(
            one.doc,
            pith_number=one.pith_number,
            keys=one.keys,
            title=one.title,
            authors=one.authors,
        )
        assert [e.title for e in cache.entries(filter_text="changed title")] == ["a changed title"]
        assert cache.count("first title 3") == 0
        assert cache.remove(item(5, "").doc.pith_id)
        assert cache.count("first title 5") == 0 and cache.count("first title") == 18
        integrity_check(cache)
        assert cache.clear() == 19
        assert cache.count("title") == 0
        integrity_check(cache)
        cache.put_many(item(n, f"after clear {n}") for n in range(3))
        assert cache.count("after clear") == 3
        integrity_check(cache)


def test_without_fts5_the_triggers_step_aside_and_a_later_sqlite_rebuilds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Cache.open(tmp_path) as cache:
        cache.put_many(item(n, f"before {n}") for n in range(5))
        assert cache.full_text
    monkeypatch.setattr(cache_search, "available", lambda connection: False)
    with Cache.open(tmp_path) as cache:  # as a SQLite without FTS5 would open it
        assert not cache.full_text
        db = cache._db.connection
        triggers = db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
        assert triggers == []  # they could not run there, and every write would fail
        cache.put_many(item(n, f"meanwhile {n}") for n in range(5, 9))
        assert cache.count("meanwhile") == 4
    monkeypatch.undo()
    with Cache.open(tmp_path) as cache:  # FTS5 again: rebuilt, nothing written meanwhile missed
        assert cache.full_text
        assert cache.count("meanwhile") == 4 and cache.count("before") == 5
        integrity_check(cache)


def test_a_migrated_version_1_cache_is_indexed(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / CACHE_FILE_NAME).write_bytes(V1_FILE.read_bytes())
    with Cache.open(folder) as cache:
        assert cache.full_text
        assert [e.arxiv_id for e in cache.entries(filter_text="entropy-sgd")] == ["1611.01838"]
        assert cache.count("a mirrored paper") == 1
        integrity_check(cache)


def test_a_vacuum_does_not_put_the_index_out_of_step(tmp_path: Path) -> None:
    with Cache.open(tmp_path) as cache:
        cache.put_many(item(n, f"title {n}") for n in range(50))
        for n in range(0, 50, 3):
            cache.remove(item(n, "").doc.pith_id)
    db = sqlite3.connect(tmp_path / CACHE_FILE_NAME)
    db.execute("VACUUM")  # renumbers rowids, but not an INTEGER PRIMARY KEY
    db.close()
    with Cache.open(tmp_path) as cache:
        assert cache.count("title 4") == len([n for n in (4, 40, 41, 43, 44, 46, 47, 49) if n % 3])
        integrity_check(cache)
