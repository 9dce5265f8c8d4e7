"""The re-verification service (`core/reverify.py`): typed outcomes, progress, stopping,
the listing it updates, and the same answers from one process or several."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from pith_tui.core import reverify
from pith_tui.core.cache import Cache, PutItem, StoredDocument
from pith_tui.core.errors import CacheError
from pith_tui.core.keys import TrustStore
from pith_tui.core.model import load_document
from pith_tui.core.resolver import index_fields
from pith_tui.core.reverify import RecordOutcome, ReverifySummary, reverify_cache, workers_for
from pith_tui.core.vocab import Verdict
from tests.conftest import REAL_RECORDS
from tests.signing import dumps, make_bundle, make_record
from tests.signing import test_trust as signing_trust

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


def put(cache: Cache, raw: bytes, *, verdict: str = "verified") -> str:
    """Store `raw` as fetched, whatever it verifies to (the cache never verifies)."""
    document = load_document(raw)
    pith_id = document.pith_number.rsplit(":", 1)[-1]
    stored = StoredDocument(
        pith_id, document.kind, raw, document.canonical_sha256, None, None, None, NOW, "network"
    )
    cache.put_many(
        [PutItem(stored, verdict=verdict, **index_fields(document, pith_id))]  # type: ignore[arg-type]
    )
    return pith_id


def tamper(cache: Cache, pith_id: str, kind: str, raw: bytes) -> None:
    """Replace cached bytes in the SQLite file, as someone with disk access could."""
    with sqlite3.connect(cache.path) as connection:
        connection.execute(
            "UPDATE documents SET raw = ? WHERE pith_id = ? AND kind = ?", (raw, pith_id, kind)
        )
    connection.close()


class Mixed:
    """A cache holding records of every outcome, and what each should be."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self.expected: dict[str, Verdict] = {}
        for path in REAL_RECORDS.values():  # 3 real records and a real bundle
            self.expected[put(cache, path.read_bytes())] = Verdict.VERIFIED
        for index in range(6):  # generated, signed with the test key
            record = make_record(f"2405.{index:05d}", title=f"Paper {index}")
            self.expected[put(cache, dumps(record))] = Verdict.VERIFIED
        bundle = make_bundle("2405.10000")
        self.verified_bundle = put(cache, dumps(bundle))
        self.expected[self.verified_bundle] = Verdict.VERIFIED
        # a signed change of title hash: the canonical hash no longer matches
        tampered = make_record("2405.20000", title="Tampered")
        self.tampered = put(cache, dumps(tampered))
        tampered["canonical_record"]["metadata"]["primary_cat"] = "cs.CR"
        tamper(cache, self.tampered, "record", dumps(tampered))
        self.expected[self.tampered] = Verdict.FAILED
        # bytes that are not JSON at all
        self.damaged = put(cache, dumps(make_record("2405.20001")))
        tamper(cache, self.damaged, "record", b"\x00 not json")
        self.expected[self.damaged] = Verdict.FAILED
        # an event type whose merge rule is unknown: nothing fails, something is unchecked
        self.incomplete = put(cache, dumps(make_bundle("2405.20002", extra_events=("mystery",))))
        self.expected[self.incomplete] = Verdict.INCOMPLETE

    def listing(self) -> dict[str, str]:
        return {entry.pith_id: entry.verdict for entry in self.cache.entries()}


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    with Cache.open(tmp_path / "cache") as opened:
        yield opened


@pytest.fixture
def mixed(cache: Cache) -> Mixed:
    return Mixed(cache)


@pytest.fixture
def trust() -> TrustStore:
    return signing_trust()


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(reverify, "CHUNK", 4)
    return 4


def test_outcomes_are_typed_and_the_listing_is_updated(mixed: Mixed, trust: TrustStore) -> None:
    for pith_id in mixed.expected:  # the listing says verified until re-verified
        mixed.cache.set_verdict(pith_id, "verified")
    summary = reverify_cache(mixed.cache, trust, now=NOW, workers=1)
    assert isinstance(summary, ReverifySummary)
    assert (summary.total, summary.verified, summary.failed, summary.incomplete) == (14, 11, 2, 1)
    assert summary.checked == 14 and summary.removed == 0
    assert not summary.stopped and not summary.all_verified and summary.listing_error == ""
    assert all(isinstance(p, RecordOutcome) for p in summary.problems)
    assert all(isinstance(p.verdict, Verdict) for p in summary.problems)
    by_id = {problem.pith_id: problem for problem in summary.problems}
    assert set(by_id) == {mixed.tampered, mixed.damaged, mixed.incomplete}
    assert [p.pith_id for p in summary.problems] == sorted(by_id)  # in Pith id order
    assert by_id[mixed.tampered].verdict is Verdict.FAILED
    assert by_id[mixed.tampered].reason.startswith("record canonical_hash: ")
    assert by_id[mixed.damaged].verdict is Verdict.FAILED
    assert "is damaged" in by_id[mixed.damaged].reason
    assert by_id[mixed.incomplete].verdict is Verdict.INCOMPLETE
    assert by_id[mixed.incomplete].reason.startswith("bundle state_merge: ")
    assert not any(p.unexpected for p in summary.problems)
    assert mixed.listing() == {pith_id: v.value for pith_id, v in mixed.expected.items()}


def test_summary_words_and_json(mixed: Mixed, trust: TrustStore) -> None:
    summary = reverify_cache(mixed.cache, trust, now=NOW, workers=1)
    assert summary.line().startswith(
        "re-verified 14 record(s): 11 verified, 2 failed, 1 incomplete ("
    )
    data = summary.to_json()
    assert json.loads(json.dumps(data)) == data
    assert {k: data[k] for k in ("total", "verified", "failed", "incomplete", "removed")} == {
        "total": 14,
        "verified": 11,
        "failed": 2,
        "incomplete": 1,
        "removed": 0,
    }
    assert data["stopped"] is False and data["workers"] == 1
    assert [p["verdict"] for p in data["problems"]] == [p.verdict.value for p in summary.problems]


def test_an_empty_cache_is_all_verified(cache: Cache, trust: TrustStore) -> None:
    calls: list[tuple[int, int]] = []
    summary = reverify_cache(cache, trust, now=NOW, on_progress=lambda d, t: calls.append((d, t)))
    assert (summary.total, summary.checked, summary.workers) == (0, 0, 1)
    assert summary.all_verified
    assert calls == [(0, 0)]


def test_progress_is_reported_per_chunk_up_to_the_total(
    mixed: Mixed, trust: TrustStore, small_chunks: int
) -> None:
    calls: list[tuple[int, int]] = []
    reverify_cache(mixed.cache, trust, now=NOW, on_progress=lambda d, t: calls.append((d, t)))
    assert calls == [(0, 14), (4, 14), (8, 14), (12, 14), (14, 14)]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_stop_ends_the_run_between_chunks_and_keeps_what_was_found(
    mixed: Mixed, trust: TrustStore, small_chunks: int, workers: int
) -> None:
    for pith_id in mixed.expected:
        mixed.cache.set_verdict(pith_id, "unknown")
    done: list[int] = []
    summary = reverify_cache(
        mixed.cache,
        trust,
        now=NOW,
        workers=workers,
        on_progress=lambda d, t: done.append(d),
        should_stop=lambda: bool(done) and done[-1] >= 8,
    )
    assert summary.stopped and not summary.all_verified and summary.workers == workers
    assert summary.checked == 8 and summary.total == 14
    assert "re-verified 8 of 14 record(s)" in summary.line() and summary.line().endswith("stopped")
    listing = mixed.listing()
    first_eight = sorted(mixed.expected)[:8]
    assert all(listing[p] == mixed.expected[p].value for p in first_eight)
    assert all(listing[p] == "unknown" for p in sorted(mixed.expected)[8:])


def test_stopped_before_it_starts(mixed: Mixed, trust: TrustStore) -> None:
    summary = reverify_cache(mixed.cache, trust, now=NOW, workers=2, should_stop=lambda: True)
    assert summary.stopped and summary.checked == 0


def test_two_processes_give_the_same_outcomes_as_one(
    mixed: Mixed, trust: TrustStore, small_chunks: int
) -> None:
    one = reverify_cache(mixed.cache, trust, now=NOW, workers=1)
    for pith_id in mixed.expected:
        mixed.cache.set_verdict(pith_id, "unknown")
    calls: list[tuple[int, int]] = []
    two = reverify_cache(
        mixed.cache, trust, now=NOW, workers=2, on_progress=lambda d, t: calls.append((d, t))
    )
    assert two.workers == 2
    assert two.problems == one.problems
    assert (two.verified, two.failed, two.incomplete, two.removed) == (
        one.verified,
        one.failed,
        one.incomplete,
        one.removed,
    )
    assert mixed.listing() == {pith_id: v.value for pith_id, v in mixed.expected.items()}
    assert calls == [(0, 14), (4, 14), (8, 14), (12, 14), (14, 14)]  # in order, from this thread


def test_processes_that_cannot_start_leave_the_work_to_this_one(
    mixed: Mixed, trust: TrustStore, small_chunks: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a key the processes cannot load: each fails to start, the pool breaks
    monkeypatch.setattr(reverify, "_key_payload", lambda trust: [{"key_id": "broken"}])
    summary = reverify_cache(mixed.cache, trust, now=NOW, workers=2)
    assert not summary.stopped and summary.checked == 14
    assert (summary.verified, summary.failed, summary.incomplete) == (11, 2, 1)


def test_a_record_removed_during_the_run_is_counted_apart(
    mixed: Mixed, trust: TrustStore, small_chunks: int
) -> None:
    last = sorted(mixed.expected)[-1]

    def remove_once(done: int, total: int) -> None:
        if done == 4:
            assert mixed.cache.remove(last)

    summary = reverify_cache(mixed.cache, trust, now=NOW, workers=1, on_progress=remove_once)
    assert summary.removed == 1 and summary.checked == 13 and not summary.stopped
    assert last not in {p.pith_id for p in summary.problems}


def test_an_entry_without_documents_fails(mixed: Mixed, trust: TrustStore) -> None:
    with sqlite3.connect(mixed.cache.path) as connection:
        connection.execute("DELETE FROM documents WHERE pith_id = ?", (mixed.verified_bundle,))
    connection.close()
    summary = reverify_cache(mixed.cache, trust, now=NOW)
    problem = next(p for p in summary.problems if p.pith_id == mixed.verified_bundle)
    assert problem.verdict is Verdict.FAILED and "holds no document" in problem.reason


def test_an_id_edited_on_disk_fails_and_the_rest_goes_on(mixed: Mixed, trust: TrustStore) -> None:
    with sqlite3.connect(mixed.cache.path) as connection:
        connection.execute("PRAGMA foreign_keys = OFF")
        connection.execute(
            "UPDATE entries SET pith_id = 'not-an-id' WHERE pith_id = ?", (mixed.verified_bundle,)
        )
    connection.close()
    summary = reverify_cache(mixed.cache, trust, now=NOW)
    problem = next(p for p in summary.problems if p.pith_id == "not-an-id")
    assert problem.verdict is Verdict.FAILED and "not a Pith id" in problem.reason
    assert summary.checked == 14 and summary.verified == 10


def test_an_unexpected_error_fails_one_record_only(
    mixed: Mixed, trust: TrustStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    verify_stored = reverify.verify_stored

    def broken(stored: Any, trust: TrustStore, pith_id: str, **kwargs: Any) -> Any:
        if pith_id == mixed.verified_bundle:
            raise RuntimeError("a bug")
        return verify_stored(stored, trust, pith_id, **kwargs)

    monkeypatch.setattr(reverify, "verify_stored", broken)
    summary = reverify_cache(mixed.cache, trust, now=NOW, workers=1)
    assert summary.checked == 14 and summary.verified == 10
    (unexpected,) = summary.unexpected
    assert unexpected.pith_id == mixed.verified_bundle and unexpected.verdict is Verdict.FAILED
    assert "RuntimeError('a bug')" in unexpected.reason


def test_a_listing_that_cannot_be_written_does_not_hide_the_verdicts(
    mixed: Mixed, trust: TrustStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_only(items: Any) -> None:
        raise CacheError("cannot write the cache: read-only")

    monkeypatch.setattr(mixed.cache, "set_verdicts", read_only)
    summary = reverify_cache(mixed.cache, trust, now=NOW, workers=1)
    assert summary.listing_error == "cannot write the cache: read-only"
    assert (summary.verified, summary.failed, summary.incomplete) == (11, 2, 1)


def test_documents_are_verified_at_the_time_given(
    mixed: Mixed, trust: TrustStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`now` (the time pinned keys are judged at, e.g. rotation) reaches every verification."""
    seen: set[datetime | None] = set()
    verify_stored = reverify.verify_stored

    def spy(stored: Any, trust: TrustStore, pith_id: str, *, now: datetime | None = None) -> Any:
        seen.add(now)
        return verify_stored(stored, trust, pith_id, now=now)

    monkeypatch.setattr(reverify, "verify_stored", spy)
    when = datetime(2031, 1, 2, 3, 4, tzinfo=timezone.utc)
    reverify_cache(mixed.cache, trust, now=when, workers=1)
    assert seen == {when}


def test_workers_are_chosen_by_the_size_of_the_work() -> None:
    assert workers_for(10) == 1
    assert workers_for(reverify.PARALLEL_THRESHOLD - 1) == 1
    assert workers_for(reverify.PARALLEL_THRESHOLD) >= 1
    assert workers_for(10, 4) == 1  # never more processes than chunks
    assert workers_for(10 * reverify.CHUNK, 4) == 4
    assert workers_for(0, 3) == 1
