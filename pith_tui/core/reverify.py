"""Re-verify the whole cache, on every core when there is enough to do.

The work per record is parse + hash + Ed25519 checks, which is CPU-bound Python and C:
above `PARALLEL_THRESHOLD` records it is split across processes, each with its own
read-only connection to the cache and its own copy of the pinned keys.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from pith_tui.core.cache import Cache
from pith_tui.core.errors import PithError
from pith_tui.core.keys import TrustStore, key_from_json
from pith_tui.core.resolver import Resolver, load_stored
from pith_tui.core.verify import combined_verdict
from pith_tui.core.vocab import Verdict

PARALLEL_THRESHOLD = 2000
CHUNK = 250


@dataclass
class BulkSummary:
    total: int = 0
    verified: int = 0
    failed: int = 0
    incomplete: int = 0
    seconds: float = 0.0
    workers: int = 1
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (pith id, verdict, reason)

    @property
    def all_verified(self) -> bool:
        return self.verified == self.total

    def line(self) -> str:
        return (
            f"re-verified {self.total} record(s): {self.verified} verified, {self.failed} failed, "
            f"{self.incomplete} incomplete ({self.seconds:.2f} s, {self.workers} process(es))"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "verified": self.verified,
            "failed": self.failed,
            "incomplete": self.incomplete,
            "seconds": round(self.seconds, 3),
            "workers": self.workers,
            "problems": [{"pith_id": p, "verdict": v, "reason": r} for p, v, r in self.problems],
        }


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


def verify_cached(
    cache: Cache, trust: TrustStore, pith_id: str, now: datetime
) -> tuple[str, str, str]:
    """(pith id, verdict, reason) for one cached record: every cached document re-verified."""
    try:
        items, _ = load_stored(cache, trust, pith_id, now=now)
    except PithError as exc:  # damaged, or nothing cached for it any more
        return pith_id, Verdict.FAILED.value, str(exc)
    verdict = combined_verdict(item.report.verdict for item in items.values())
    reason = ""
    for kind, item in items.items():
        if item.report.verdict is not Verdict.VERIFIED:
            first = item.report.failures_first[0]
            reason = f"{kind} {first.id}: {first.detail}"
            break
    return pith_id, verdict.value, reason


_worker_state: tuple[Cache, TrustStore] | None = None


def _init_worker(cache_dir: str, keys: list[dict[str, Any]]) -> None:
    global _worker_state
    trust = TrustStore([key_from_json(k, "pinned keys") for k in keys])
    _worker_state = (Cache.open(Path(cache_dir)), trust)


def _verify_chunk(pith_ids: Sequence[str]) -> list[tuple[str, str, str]]:
    assert _worker_state is not None
    cache, trust = _worker_state
    now = datetime.now(timezone.utc)
    return [verify_cached(cache, trust, pith_id, now) for pith_id in pith_ids]


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _progress(out: TextIO | None, done: int, total: int) -> None:
    if out is None or total == 0:
        return
    width = 30
    filled = width * done // total
    out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done == total:
        out.write("\n")
    out.flush()


def reverify_cache(
    resolver: Resolver, *, workers: int = 0, progress: TextIO | None = None
) -> BulkSummary:
    """Re-verify every cached record, record each verdict in the cache, and summarise."""
    started = time.perf_counter()
    cache, trust = resolver.cache, resolver.trust
    pith_ids = cache.all_pith_ids()
    if workers <= 0:
        workers = min(os.cpu_count() or 1, 8) if len(pith_ids) >= PARALLEL_THRESHOLD else 1
    summary = BulkSummary(total=len(pith_ids), workers=workers)
    results: list[tuple[str, str, str]] = []
    if workers == 1:
        now = datetime.now(timezone.utc)
        for index, pith_id in enumerate(pith_ids, 1):
            results.append(verify_cached(cache, trust, pith_id, now))
            if index % CHUNK == 0 or index == len(pith_ids):
                _progress(progress, index, len(pith_ids))
    else:
        # spawn, not fork: the caller (the app) may have threads and an open SQLite handle.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=(str(cache.path.parent), _key_payload(trust)),
        ) as pool:
            for chunk_result in pool.map(_verify_chunk, list(_chunks(pith_ids, CHUNK))):
                results.extend(chunk_result)
                _progress(progress, len(results), len(pith_ids))
    for pith_id, verdict, reason in results:
        if verdict == Verdict.VERIFIED.value:
            summary.verified += 1
        elif verdict == Verdict.FAILED.value:
            summary.failed += 1
        else:
            summary.incomplete += 1
        if reason:
            summary.problems.append((pith_id, verdict, reason))
    cache.set_verdicts([(pith_id, verdict) for pith_id, verdict, _ in results])
    summary.seconds = time.perf_counter() - started
    return summary
