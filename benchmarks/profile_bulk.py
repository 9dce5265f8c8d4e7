"""Where one bundle's re-verification goes: CPU time per stage, and a cProfile listing.

    python benchmarks/profile_bulk.py [--count 2000] [--profile]

Runs the steps of `bulk.verify_cached` one by one over `--count` bundles of the
bench_bulk_verify.py dataset, timing each with `time.process_time` (CPU time of this
process, so other load on the machine matters less than for wall-clock figures):
the two SQLite reads, the strict JSON parse, the model, and `verify` itself, whose Ed25519
checks and canonical serialisations are also timed on their own (counted by wrapping
`PinnedKey.verify` and `json.dumps`). `--profile` adds the top of a cProfile run.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import time
from datetime import datetime, timezone

import _common as c
import bench_bulk_verify

from pith_tui.core.cache import Cache
from pith_tui.core.canonical import strict_loads
from pith_tui.core.keys import PinnedKey
from pith_tui.core.model import parse_document
from pith_tui.core.reverify import verify_cached
from pith_tui.core.verify import verify


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    calls = {"ed25519": 0, "canonical": 0}
    verify_key, dumps = PinnedKey.verify, json.dumps

    def timed_verify(self, message, signature):  # type: ignore[no-untyped-def]
        started = clock()
        try:
            return verify_key(self, message, signature)
        finally:
            spent["ed25519"] += clock() - started
            calls["ed25519"] += 1

    def timed_dumps(obj, **kwargs):  # type: ignore[no-untyped-def]
        started = clock()
        try:
            return dumps(obj, **kwargs)
        finally:
            if kwargs.get("sort_keys"):
                spent["canonical"] += clock() - started
                calls["canonical"] += 1

    stages = dict.fromkeys(
        ("SQLite reads (record, bundle)", "strict JSON parse", "model", "verify"), 0.0
    )
    PinnedKey.verify = timed_verify  # type: ignore[method-assign]
    json.dumps = timed_dumps  # type: ignore[assignment]
    try:
        for pith_id in ids:
            t0 = clock()
            cache.get(pith_id, "record")
            stored = cache.get(pith_id, "bundle")
            t1 = clock()
            value = strict_loads(stored.raw)  # type: ignore[union-attr]
            t2 = clock()
            document = parse_document(value)
            t3 = clock()
            verify(document, trust, now=now)
            t4 = clock()
            for name, seconds in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                stages[name] += seconds
    finally:
        PinnedKey.verify = verify_key  # type: ignore[method-assign]
        json.dumps = dumps
    n = len(ids)
    total = sum(stages.values())
    print(f"CPU time per bundle over {n} bundles: {total / n * 1e6:.0f} us")
    for name, seconds in stages.items():
        print(f"  {name:32s} {seconds / n * 1e6:7.0f} us  {seconds / total:4.0%}")
    other = stages["verify"] - spent["ed25519"] - spent["canonical"]
    print(
        f"    of verify: Ed25519 x{calls['ed25519'] / n:.0f}        {spent['ed25519'] / n * 1e6:7.0f} us"
    )
    print(
        f"    of verify: canonical JSON x{calls['canonical'] / n:.0f}  {spent['canonical'] / n * 1e6:7.0f} us"
    )
    print(f"    of verify: the rest (checks, merge)  {other / n * 1e6:7.0f} us")
    print(
        f"Ed25519 share of the whole: {spent['ed25519'] / total:.0%} "
        f"(that share is the bound on 'fraction of the Ed25519 limit' for one core)"
    )
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for pith_id in ids:
            verify_cached(cache, trust, pith_id, now)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    cache.close()


if __name__ == "__main__":
    main()
