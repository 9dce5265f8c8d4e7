"""Where one bundle's re-verification goes: CPU time per stage, against Ed25519, same run.

    python benchmarks/profile_bulk.py [--count 2000] [--profile]

Runs the steps of `reverify.verify_chunk` one by one over `--count` bundles of the
bench_bulk_verify.py dataset, timing each with `time.process_time` (CPU time of this
process, so other load on the machine matters less than for wall-clock figures): the
SQLite read, the strict JSON parse, the model, and `verify` itself, whose Ed25519 checks
and canonical serialisations are timed on their own too (by wrapping `PinnedKey.verify`
and the document's canonical form). Then, in the same run, the cost of the same number
of bare PyNaCl verifications (the limit's own loop), so the shares are comparable.
`--profile` adds the top of a cProfile run of `verify_chunk`.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import pstats
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import _common as c
import bench_bulk_verify
from nacl.signing import VerifyKey

from pith_tui.core import canonical, reverify
from pith_tui.core.cache import Cache
from pith_tui.core.canonical import parse_json
from pith_tui.core.keys import PinnedKey
from pith_tui.core.model import parse_document
from pith_tui.core.reverify import verify_chunk
from pith_tui.core.verify import verify
from tests.signing import TEST_KEY


def bare_ed25519(count: int) -> float:
    """CPU seconds of `count` bare PyNaCl verifications (distinct signatures)."""
    verify_key = VerifyKey(bytes(TEST_KEY.verify_key))
    pairs = []
    for i in range(count):
        digest = hashlib.sha256(i.to_bytes(4, "big")).digest()
        pairs.append((digest, TEST_KEY.sign(digest).signature))
    started = time.process_time()
    for digest, signature in pairs:
        verify_key.verify(digest, signature)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    folder = c.dataset("bundles-10000", bench_bulk_verify.build(10_000))
    print(c.machine_line())
    cache = Cache.open(folder)
    trust = c.bench_trust()
    ids = cache.all_pith_ids()[: args.count]
    now = datetime.now(timezone.utc)
    clock = time.process_time

    spent = {"ed25519": 0.0, "canonical": 0.0}
    calls = {"ed25519": 0, "canonical": 0, "canonical_bytes": 0}
    pinned_verify = PinnedKey.verify
    encoders = {form: form.encode for form in (canonical.FAST, canonical.REFERENCE)}

    def timed_verify(self: PinnedKey, message: bytes, signature: str) -> bool:
        started = clock()
        try:
            return pinned_verify(self, message, signature)
        finally:
            spent["ed25519"] += clock() - started
            calls["ed25519"] += 1

    def timed(encode: Callable[[Any], bytes]) -> Callable[[Any], bytes]:
        def timed_encode(value: Any) -> bytes:
            started = clock()
            try:
                data = encode(value)
                calls["canonical_bytes"] += len(data)
                return data
            finally:
                spent["canonical"] += clock() - started
                calls["canonical"] += 1

        return timed_encode

    stages = dict.fromkeys(("SQLite reads", "strict JSON parse", "model", "verify"), 0.0)
    fast_parsed = 0
    PinnedKey.verify = timed_verify  # type: ignore[method-assign]
    for form, encode in encoders.items():
        object.__setattr__(form, "encode", timed(encode))  # a frozen dataclass: profiling only
    try:
        read = reverify.CHUNK  # read as `reverify.verify_chunk` does: one read per chunk
        chunk: dict[str, list[Any]] = {}
        for index, pith_id in enumerate(ids):
            t0 = clock()
            if index % read == 0:
                chunk = reverify._read_chunk(cache, ids[index : index + read])
            stored = chunk[pith_id]
            t1 = clock()
            parsed = [parse_json(doc.raw) for doc in stored]
            t2 = clock()
            documents = [parse_document(p.value, p.canonical) for p in parsed]
            t3 = clock()
            for document in documents:
                verify(document, trust, now=now)
            t4 = clock()
            fast_parsed += sum(p.canonical is canonical.FAST for p in parsed)
            for name, seconds in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                stages[name] += seconds
    finally:
        PinnedKey.verify = pinned_verify  # type: ignore[method-assign]
        for form, encode in encoders.items():
            object.__setattr__(form, "encode", encode)
    n = len(ids)
    total = sum(stages.values())
    bare = bare_ed25519(calls["ed25519"])
    print(f"CPU time per bundle over {n} bundles ({fast_parsed} parsed by the fast path): ")
    print(f"  {'total':34s} {total / n * 1e6:7.0f} us")
    for name, seconds in stages.items():
        print(f"  {name:34s} {seconds / n * 1e6:7.0f} us  {seconds / total:4.0%}")
    other = stages["verify"] - spent["ed25519"] - spent["canonical"]
    print(
        f"    of verify: Ed25519 x{calls['ed25519'] / n:.0f} (PinnedKey.verify) "
        f"{spent['ed25519'] / n * 1e6:7.0f} us"
    )
    print(
        f"    of verify: canonical JSON x{calls['canonical'] / n:.0f} "
        f"({calls['canonical_bytes'] / n:,.0f} bytes) {spent['canonical'] / n * 1e6:7.0f} us"
    )
    print(f"    of verify: the rest (checks, merge, report) {other / n * 1e6:7.0f} us")
    print(
        f"bare PyNaCl VerifyKey.verify, same count, same run: {bare / n * 1e6:.0f} us per bundle "
        f"= {bare / total:.0%} of the whole: the fraction of the one-core limit this reaches"
    )
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for start in range(0, len(ids), 250):
            verify_chunk(cache, trust, ids[start : start + 250], now)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    cache.close()


if __name__ == "__main__":
    main()
