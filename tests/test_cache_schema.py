"""The cache schema: version 2, and the migration of a version-1 file that keeps everything.

`tests/data/cache-v1.sqlite3` was written by pith-tui's schema-1 code (commit 84071e1) with:
the four shipped samples (1611.01838 marked failed), a generated record and bundle of
2403.00042, two records of 2403.00077 (the second took the arXiv id over and was flagged
changed upstream), and three history queries.
"""

from __future__ import annotations

import multiprocessing
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from pith_tui.core.cache import CACHE_FILE_NAME, SCHEMA_VERSION, Cache
from pith_tui.core.cache import schema as cache_schema
from pith_tui.core.errors import CacheError
from pith_tui.core.ids import parse_query
from pith_tui.core.resolver import Resolver
from pith_tui.core.verify import Verdict
from tests.cache_support import lookup
from tests.signing import dumps, make_record
from tests.signing import test_trust as signing_trust

V1_FILE = Path(__file__).parent / "data" / "cache-v1.sqlite3"
SAMPLES = {
    "1611.01838": "OCXKLV426LDXCCJME7JSY36CQW",
    "1704.04289": "UTTGU3KIYM6JKD6ALUV7A7CX74",
    "1812.00542": "TJ77MKGIYVJE4LNYFYW7EA7KKL",
    "2106.06530": "4K6GSOJWB7QU2RFIL3CD3BQJ62",
}
MIRRORED = "GDZEFONR7HEPOEB6VOMISEAMDT"  # 2403.00042, record + bundle
FIRST, SECOND = "OLTOAQDGRFQTNSFYG3RKKVY4Z2", "SJAPSEVY6PWFPWIED5H5BDWUUV"  # 2403.00077


def _v1_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "cache"
    folder.mkdir(parents=True)
    shutil.copyfile(V1_FILE, folder / CACHE_FILE_NAME)
    return folder


def _rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def test_the_fixture_is_a_version_1_cache() -> None:
    assert _rows(V1_FILE, "SELECT value FROM meta WHERE key = 'schema_version'") == [("1",)]
    assert SCHEMA_VERSION == 2


def test_a_version_1_cache_is_migrated_in_place_and_loses_nothing(tmp_path: Path) -> None:
    folder = _v1_copy(tmp_path)
    path = folder / CACHE_FILE_NAME
    before_entries = _rows(
        path,
        "SELECT pith_id, pith_number, arxiv_id, title, authors, verdict, source, fetched_at, "
        "has_bundle, changed_upstream FROM entries ORDER BY pith_id",
    )
    before_documents = _rows(
        path,
        "SELECT pith_id, kind, canonical_sha256, raw, url, etag, fetched_at, source "
        "FROM documents ORDER BY pith_id, kind",
    )
    before_history = _rows(path, "SELECT query, pith_id, at FROM history ORDER BY at, rowid")
    assert len(before_entries) == 7 and len(before_documents) == 8

    with Cache.open(folder) as cache:
        assert cache.recovered_from is None  # migrated, not moved aside
        assert not list(folder.glob("*.broken-*"))
        entries = {e.pith_id: e for e in cache.entries()}
        assert [
            (
                e.pith_id,
                e.pith_number,
                e.arxiv_id,
                e.title,
                e.authors,
                e.verdict,
                e.source,
                e.fetched_at.isoformat(timespec="microseconds"),
                int(e.has_bundle),
                int(e.changed_upstream),
            )
            for e in sorted(entries.values(), key=lambda e: e.pith_id)
        ] == before_entries
        assert all(e.text_changed_at is None for e in entries.values())
        for pith_id, kind, digest, raw, url, etag, _at, source in before_documents:
            got = cache.get(pith_id, kind)
            assert got is not None
            assert (got.raw, got.canonical_sha256, got.url, got.etag, got.source) == (
                raw,
                digest,
                url,
                etag,
                source,
            )
        assert [
            (q, p, at.isoformat(timespec="microseconds")) for q, p, at in reversed(cache.history())
        ] == before_history

        # Every lookup form finds what version 1 found, through the new exact keys.
        for arxiv_id, pith_id in SAMPLES.items():
            number = entries[pith_id].pith_number
            for text in (
                arxiv_id,
                f"{arxiv_id}v1",
                f"10.48550/arXiv.{arxiv_id}",
                number,
                pith_id,
                pith_id[:8],
                f"pith:{pith_id[:12]}",
            ):
                assert lookup(cache, text) == pith_id, text
        assert lookup(cache, "2403.00042") == MIRRORED
        assert lookup(cache, "2403.00077") == SECOND  # the arXiv id stays with the latest
        assert lookup(cache, FIRST) == FIRST  # the older one by its own id
        wrong_year = entries[SAMPLES["2106.06530"]].pith_number.replace("2021", "2020")
        assert lookup(cache, wrong_year) is None

        # The documents still verify, and the resolver sees the same flags.
        resolver = Resolver(cache, signing_trust(), base_url="http://127.0.0.1:9", offline=True)
        for pith_id in (*SAMPLES.values(), MIRRORED, FIRST, SECOND):
            view = resolver.load_cached(pith_id)
            assert view.verdict is Verdict.VERIFIED, pith_id
        assert resolver.load_cached(SECOND).changed_upstream
        assert resolver.load_cached(MIRRORED).bundle is not None

    assert _rows(path, "SELECT value FROM meta WHERE key = 'schema_version'") == [("2",)]
    # The old rows stay as they were on disk; what is written now is compressed.
    assert {row[0] for row in _rows(path, "SELECT DISTINCT encoding FROM documents")} == {
        "identity"
    }
    with Cache.open(folder) as cache:  # opening again changes nothing
        assert cache.count() == 7
        resolver = Resolver(cache, signing_trust(), base_url="http://127.0.0.1:9", offline=True)
        item = resolver.verify_bytes(dumps(make_record("2403.00099", title="After the move")))
        assert resolver.store(item, source="file").stored
        assert lookup(cache, "2403.00099") == item.pith_id
    encodings = _rows(path, f"SELECT encoding FROM documents WHERE pith_id = '{item.pith_id}'")
    assert encodings == [("zlib",)]


def test_a_migration_that_fails_half_way_leaves_the_version_1_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _v1_copy(tmp_path)
    path = folder / CACHE_FILE_NAME
    original = V1_FILE.read_bytes()
    migrate = cache_schema._migrate_1_to_2

    def full_disk(connection: sqlite3.Connection) -> None:
        migrate(connection)  # all of it done, then the commit's disk is full
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(cache_schema, "_migrate_1_to_2", full_disk)
    with pytest.raises(CacheError, match="disk is full"):
        Cache.open(folder)
    assert not list(folder.glob("*.broken-*"))  # not taken for damage
    assert _rows(path, "SELECT value FROM meta WHERE key = 'schema_version'") == [("1",)]
    assert _rows(path, "SELECT count(*) FROM entries") == [(7,)]
    assert _rows(path, "SELECT count(*) FROM aliases WHERE key = '2106.06530'") == [(1,)]
    monkeypatch.undo()
    with Cache.open(folder) as cache:  # the next start migrates it
        assert cache.count() == 7
        assert lookup(cache, "2106.06530") == SAMPLES["2106.06530"]
    assert len(original) == V1_FILE.stat().st_size  # the fixture itself is untouched


def _open_in_another_process(folder: str, barrier: Any, results: Any) -> None:
    barrier.wait()
    with Cache.open(Path(folder)) as cache:
        results.put((cache.count(), cache.resolve(parse_query("2106.06530").index_key)))


def test_two_processes_opening_a_version_1_cache_at_once(tmp_path: Path) -> None:
    folder = _v1_copy(tmp_path)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Queue()
    processes = [
        context.Process(target=_open_in_another_process, args=(str(folder), barrier, results))
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    got = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(60)
    assert [p.exitcode for p in processes] == [0, 0]
    assert got == [(7, SAMPLES["2106.06530"])] * 2
    assert not list(folder.glob("*.broken-*"))
    path = folder / CACHE_FILE_NAME
    assert _rows(path, "SELECT value FROM meta WHERE key = 'schema_version'") == [("2",)]
    assert _rows(path, "SELECT count(*) FROM aliases") == [(7 * 3 - 1,)]  # FIRST has no arXiv key


def test_an_unknown_older_or_newer_schema_is_moved_aside_not_migrated(tmp_path: Path) -> None:
    for version in ("0", "3"):
        folder = _v1_copy(tmp_path / version)
        db = sqlite3.connect(folder / CACHE_FILE_NAME)
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
        db.commit()
        db.close()
        with Cache.open(folder) as cache:
            assert cache.recovered_from is not None
            assert f"schema version {version}" in (cache.recovery_message or "")
            assert cache.count() == 0
