"""Re-verify the whole cache: the one service behind `pith-tui cache verify` and the cache
review screen's "re-verify all".

Every cached record and bundle is parsed and verified again from its stored bytes, with
the pinned keys, and each record's verdict is written back to the cache listing, chunk by
chunk (so a run that is stopped keeps what it found). The work is CPU-bound (parse, hash,
Ed25519): from `PARALLEL_THRESHOLD` records it is split over processes, each with its own
connection to the cache and its own copy of the pinned keys.

    summary = reverify_cache(cache, trust, now=now, on_progress=..., should_stop=...)

`on_progress(done, total)` is called from the calling thread after each chunk of `CHUNK`
records; `should_stop()` is asked before each chunk is taken, and a true answer ends the
run early with `summary.stopped` (the chunks already checked keep their verdicts).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pith_tui.core.cache import Cache, StoredDocument
from pith_tui.core.errors import NotCachedError, PithError
from pith_tui.core.ids import is_pith_id
from pith_tui.core.keys import TrustStore, key_from_json
from pith_tui.core.stored import READ_KINDS, read_stored, verify_stored
from pith_tui.core.verify import combined_verdict
from pith_tui.core.vocab import Verdict

PARALLEL_THRESHOLD = 2000
"""From this many records, re-verification uses several processes (starting one costs
~0.3 s: below this the work is not worth it)."""
CHUNK = 250
"""Records per batch: one read, one verdict write, one unit of work for a process."""
MAX_WORKERS = 8

ProgressCallback = Callable[[int, int], None]
StopCallback = Callable[[], bool]


@dataclass(frozen=True)
class RecordOutcome:
    """What re-verifying one cached record found."""

    pith_id: str
    verdict: Verdict
    reason: str = ""
    """Why it is not verified (the first failing or unchecked check, or why its cached bytes
    could not be read); empty when verified."""
    unexpected: bool = False
    """The reason is an error pith-tui did not expect (a bug, not the record's fault)."""


@dataclass(frozen=True)
class ChunkResult:
    """One chunk's outcomes, in id order, and how many of its records were removed from the
    cache before they could be checked."""

    outcomes: list[RecordOutcome]
    removed: int = 0


@dataclass(frozen=True)
class ReverifySummary:
    """The outcome of one run over the cache."""

    total: int
    """Records in the cache when the run started."""
    verified: int
    failed: int
    incomplete: int
    removed: int
    """Records removed from the cache during the run (not checked)."""
    problems: tuple[RecordOutcome, ...]
    """Every checked record that is not verified, in Pith id order."""
    seconds: float
    workers: int
    stopped: bool
    """The run was stopped (`should_stop`) before every record was checked."""
    listing_error: str = ""
    """Why the verdicts could not be written to the cache listing (e.g. a read-only disk);
    empty when they were. The verdicts above stand either way."""

    @property
    def checked(self) -> int:
        return self.verified + self.failed + self.incomplete

    @property
    def unexpected(self) -> tuple[RecordOutcome, ...]:
        return tuple(outcome for outcome in self.problems if outcome.unexpected)

    @property
    def all_verified(self) -> bool:
        return not self.stopped and self.verified == self.checked

    def line(self) -> str:
        done = f"{self.checked} of {self.total}" if self.stopped else str(self.checked)
        return (
            f"re-verified {done} record(s): {self.verified} verified, {self.failed} failed, "
            f"{self.incomplete} incomplete ({self.seconds:.2f} s, {self.workers} process(es))"
            + (", stopped" if self.stopped else "")
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "verified": self.verified,
            "failed": self.failed,
            "incomplete": self.incomplete,
            "removed": self.removed,
            "stopped": self.stopped,
            "seconds": round(self.seconds, 3),
            "workers": self.workers,
            "listing_error": self.listing_error,
            "problems": [
                {"pith_id": p.pith_id, "verdict": p.verdict.value, "reason": p.reason}
                for p in self.problems
            ],
        }


# --- one chunk: read, verify, say what was found ------------------------------------------------


def _read_chunk(cache: Cache, pith_ids: Sequence[str]) -> dict[str, list[StoredDocument]]:
    """The cached record and bundle of each id (ids that are not Pith ids are left out),
    in one read for the chunk (`Cache.get_many`), not two per id."""
    wanted = [pith_id for pith_id in pith_ids if is_pith_id(pith_id)]
    found = cache.get_many(wanted)
    return {
        pith_id: [doc for doc in found[pith_id.upper()] if doc.kind in READ_KINDS]
        for pith_id in wanted
    }


def _outcome(
    cache: Cache,
    trust: TrustStore,
    pith_id: str,
    stored: list[StoredDocument] | None,
    now: datetime,
) -> RecordOutcome | None:
    """What re-verifying one record finds; None when it was removed from the cache."""
    if stored is None:
        return RecordOutcome(
            pith_id, Verdict.FAILED, f"the cache entry {pith_id[:40]!r} is damaged: not a Pith id"
        )
    try:
        items = verify_stored(stored, trust, pith_id, now=now)
    except NotCachedError:
        if cache.entry(pith_id) is None:
            return None
        return RecordOutcome(
            pith_id, Verdict.FAILED, "the cache lists it, but holds no document for it"
        )
    except PithError as exc:  # damaged: bytes that do not parse, another record's bytes
        return RecordOutcome(pith_id, Verdict.FAILED, str(exc))
    verdict = combined_verdict(item.report.verdict for item in items.values())
    for kind, item in items.items():
        if item.report.verdict is not Verdict.VERIFIED:
            first = item.report.failures_first[0]
            return RecordOutcome(pith_id, verdict, f"{kind} {first.id}: {first.detail}")
    return RecordOutcome(pith_id, verdict)


def verify_chunk(
    cache: Cache, trust: TrustStore, pith_ids: Sequence[str], now: datetime
) -> ChunkResult:
    """Re-verify `pith_ids` from their cached bytes."""
    try:
        stored: dict[str, list[StoredDocument]] | None = _read_chunk(cache, pith_ids)
    except PithError:
        stored = None  # the batch read failed: read (and report) them one by one
    outcomes: list[RecordOutcome] = []
    removed = 0
    for pith_id in pith_ids:
        try:
            documents = stored.get(pith_id) if stored is not None else _read_one(cache, pith_id)
            outcome = _outcome(cache, trust, pith_id, documents, now)
        except PithError as exc:  # its own read failed
            outcome = RecordOutcome(pith_id, Verdict.FAILED, str(exc))
        except Exception as exc:  # one unreadable record must not stop the other 99,999
            outcome = RecordOutcome(
                pith_id, Verdict.FAILED, f"unexpected error: {exc!r}", unexpected=True
            )
        if outcome is None:
            removed += 1
        else:
            outcomes.append(outcome)
    return ChunkResult(outcomes, removed)


def _read_one(cache: Cache, pith_id: str) -> list[StoredDocument] | None:
    return read_stored(cache, pith_id) if is_pith_id(pith_id) else None


# --- several processes ----------------------------------------------------------------------------


def _key_payload(trust: TrustStore) -> list[dict[str, Any]]:
    return [
        {
            "key_id": key.key_id,
            "algorithm": "ed25519",
            "public_key_b64": key.public_key_b64,
            "rotates_at": key.rotates_at.isoformat() if key.rotates_at else None,
        }
        for key in trust
    ]


_worker_state: tuple[Cache, TrustStore] | None = None


def _init_worker(cache_dir: str, keys: list[dict[str, Any]], quiet: bool) -> None:
    global _worker_state
    # Ctrl+C reaches every process of the terminal's group: the parent alone handles it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if quiet:  # under a full-screen app: nothing a process might print may reach its screen
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
    trust = TrustStore([key_from_json(k, "pinned keys") for k in keys])
    _worker_state = (Cache.open(Path(cache_dir)), trust)


def _verify_chunk_in_worker(pith_ids: Sequence[str], now: datetime) -> ChunkResult:
    assert _worker_state is not None, "the worker was not initialised"
    cache, trust = _worker_state
    return verify_chunk(cache, trust, pith_ids, now)


def _stderr_has_a_file() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.fileno() >= 0
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        return False


@contextmanager
def _stderr_for_spawning() -> Iterator[None]:
    """A real file as `sys.stderr` while processes are started.

    multiprocessing passes `sys.stderr.fileno()` to the resource tracker process it starts
    with the first process; Textual replaces `sys.stderr` with an object whose `fileno()` is
    -1, and the start fails ("bad value(s) in fds_to_keep"). The tracker is started once,
    here, with the null device standing in.
    """
    if _stderr_has_a_file():
        yield
        return
    saved = sys.stderr
    with open(os.devnull, "w") as devnull:
        sys.stderr = devnull
        try:
            yield
        finally:
            sys.stderr = saved


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _in_process(
    cache: Cache,
    trust: TrustStore,
    chunks: Sequence[Sequence[str]],
    now: datetime,
    record: Callable[[ChunkResult], None],
    should_stop: StopCallback,
) -> bool:
    """Verify `chunks` here; False when stopped."""
    for chunk in chunks:
        if should_stop():
            return False
        record(verify_chunk(cache, trust, chunk, now))
    return True


def _in_pool(
    cache: Cache,
    trust: TrustStore,
    chunks: Sequence[Sequence[str]],
    now: datetime,
    workers: int,
    record: Callable[[ChunkResult], None],
    should_stop: StopCallback,
) -> bool:
    """Verify `chunks` in `workers` processes, results taken in order; False when stopped."""
    # Imported here: the app imports this module at start-up, and most runs use one process.
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    from multiprocessing import resource_tracker

    quiet = not _stderr_has_a_file()
    with _stderr_for_spawning():
        resource_tracker.ensure_running()
    # spawn, not fork: the caller (the app) has threads and an open SQLite connection.
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(str(cache.path.parent), _key_payload(trust), quiet),
    )
    pending: deque[tuple[Sequence[str], Future[ChunkResult]]] = deque()
    queue = iter(chunks)
    try:
        for chunk in queue:  # keep every process busy, and the next chunk ready
            pending.append((chunk, pool.submit(_verify_chunk_in_worker, chunk, now)))
            if len(pending) >= 2 * workers:
                break
        while pending:
            if should_stop():
                return False
            chunk, future = pending.popleft()
            try:
                result = future.result()
            except BrokenProcessPool:  # a process died (killed, out of memory): go on here
                rest = [chunk, *(c for c, _ in pending), *queue]
                pending.clear()
                return _in_process(cache, trust, rest, now, record, should_stop)
            record(result)
            next_chunk = next(queue, None)
            if next_chunk is not None:
                pending.append((next_chunk, pool.submit(_verify_chunk_in_worker, next_chunk, now)))
        return True
    finally:
        # Stopped or interrupted: drop the queued chunks; the running ones end by themselves.
        pool.shutdown(wait=not pending, cancel_futures=True)


# --- the service ------------------------------------------------------------------------------


def _never() -> bool:
    return False


def workers_for(records: int, workers: int = 0) -> int:
    """The processes to use: `workers` if given (> 0), else one per core from
    `PARALLEL_THRESHOLD` records, never more than there are chunks."""
    if workers <= 0:
        workers = min(os.cpu_count() or 1, MAX_WORKERS) if records >= PARALLEL_THRESHOLD else 1
    return max(1, min(workers, -(-records // CHUNK)))


def reverify_cache(
    cache: Cache,
    trust: TrustStore,
    *,
    now: datetime | None = None,
    workers: int = 0,
    on_progress: ProgressCallback | None = None,
    should_stop: StopCallback | None = None,
) -> ReverifySummary:
    """Re-verify every cached record, write each verdict to the cache listing, summarise.

    `now` is the time keys are judged at (rotation); `workers` 0 chooses (`workers_for`).
    """
    started = time.perf_counter()
    now = now or datetime.now(timezone.utc)
    should_stop = should_stop or _never
    pith_ids = cache.all_pith_ids()
    total = len(pith_ids)
    workers = workers_for(total, workers)
    chunks = list(_chunks(pith_ids, CHUNK))
    outcomes: list[RecordOutcome] = []
    removed = 0
    listing_error = ""

    def record(chunk: ChunkResult) -> None:
        nonlocal removed, listing_error
        outcomes.extend(chunk.outcomes)
        removed += chunk.removed
        if not listing_error:
            try:
                cache.set_verdicts(
                    (outcome.pith_id, outcome.verdict.value)
                    for outcome in chunk.outcomes
                    if is_pith_id(outcome.pith_id)  # a damaged id has no row to update
                )
            except PithError as exc:  # the listing only: the verdicts themselves stand
                listing_error = str(exc)
        if on_progress is not None:
            on_progress(len(outcomes) + removed, total)

    if on_progress is not None:
        on_progress(0, total)
    if should_stop():
        finished = False  # before any process is started for nothing
    elif workers == 1:
        finished = _in_process(cache, trust, chunks, now, record, should_stop)
    else:
        finished = _in_pool(cache, trust, chunks, now, workers, record, should_stop)
    counts = dict.fromkeys(Verdict, 0)
    for outcome in outcomes:
        counts[outcome.verdict] += 1
    return ReverifySummary(
        total=total,
        verified=counts[Verdict.VERIFIED],
        failed=counts[Verdict.FAILED],
        incomplete=counts[Verdict.INCOMPLETE],
        removed=removed,
        problems=tuple(o for o in outcomes if o.verdict is not Verdict.VERIFIED),
        seconds=time.perf_counter() - started,
        workers=workers,
        stopped=not finished,
        listing_error=listing_error,
    )
