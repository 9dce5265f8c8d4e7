"""Before/after of each optimisation made for issue #6, side by side in one run.

    python benchmarks/bench_fixes.py

Each "before" is the code path the fix replaced, still reachable (the full path-walk
`canonical._check_tree`, the field-by-field `merge.differences`, a filtered listing as the
old changed-upstream check did, the plain index-walk query for a filtered page), timed
against what runs now. Medians of repeated calls, CPU time (`time.process_time`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import _common as c
import bench_big_cache
import bench_bulk_verify
import bench_lookup

from pith_tui.core import canonical
from pith_tui.core.cache import Cache
from pith_tui.core.cache.listing import entries_query
from pith_tui.core.merge import differences, state_sha256
from pith_tui.core.model import parse_document
from pith_tui.core.verify import verify


def cpu(fn: Callable[[], object], repeat: int = 7, number: int = 1) -> float:
    """Median CPU seconds of one call."""
    runs = []
    for _ in range(repeat):
        started = time.process_time()
        for _ in range(number):
            fn()
        runs.append((time.process_time() - started) / number)
    return c.median(runs)


def main() -> None:
    print(c.machine_line())
    bundles = c.dataset("bundles-10000", bench_bulk_verify.build(10_000))
    with Cache.open(bundles) as cache:
        ids = cache.all_pith_ids()[:200]
        raws = [cache.get(pid, "bundle").raw for pid in ids]  # type: ignore[union-attr]
    trust = c.bench_trust()

    # 1. strict parse: the path-walk only for suspect documents
    values = [canonical.strict_loads(raw) for raw in raws]
    walk = cpu(lambda: [canonical._check_tree(v, 64) for v in values]) / len(values)
    fast = cpu(
        lambda: [
            (canonical._ESCAPED_SURROGATE.search(raw.decode()), canonical._within_depth(v, 64))
            for raw, v in zip(raws, values, strict=True)
        ]
    ) / len(values)
    print(
        f"1. strict_loads checks per bundle: full path-walk {walk * 1e6:.0f} us -> "
        f"escape search + depth walk {fast * 1e6:.0f} us"
    )

    # 2. verify: the state compared by hash, not field by field
    documents = [parse_document(v) for v in values[:100]]
    reports = [verify(d, trust) for d in documents]
    compare = cpu(
        lambda: [
            differences(r.computed_state, d.state) for r, d in zip(reports, documents, strict=True)
        ]
    ) / len(documents)
    by_hash = cpu(lambda: [state_sha256(d.state) for d in documents]) / len(documents)
    whole = cpu(lambda: [verify(d, trust) for d in documents]) / len(documents)
    print(
        f"2. verify, state check per bundle: field-by-field differences() {compare * 1e6:.0f} us "
        f"(~44 canonical serialisations) -> hash comparison {by_hash * 1e6:.0f} us "
        f"(one, whose result the state_hash check needs anyway); verify() now {whole * 1e6:.0f} us"
    )

    # 3. resolver: the changed-upstream flag by primary key, not a filtered listing
    for name, build in (
        ("lookup-2000", bench_lookup.build(2000)),
        ("records-100000", bench_big_cache.build(100_000)),
    ):
        folder = c.dataset(name, build)
        with Cache.open(folder) as cache:
            pids = cache.all_pith_ids()[:: max(1, cache.count() // 20)][:20]
            old = cpu(lambda ps=pids: [cache.entries(filter_text=p, limit=10) for p in ps], 3)
            new = cpu(lambda ps=pids: [cache.entry(p) for p in ps], 3)
            old, new = old / len(pids), new / len(pids)
        print(
            f"3. load_cached's changed-upstream check, {name}: entries(filter_text=id, limit=10) "
            f"{old * 1e3:.2f} ms -> entry(id) {new * 1e3:.3f} ms"
        )

    # 4. cache: a filtered page with a budget for the index walk, then one scan
    big = c.dataset("records-100000", bench_big_cache.build(100_000))
    with Cache.open(big) as cache:
        connection = cache._db.connection
        for text in ("n", "neural", "2407.0", "pith:a"):
            for sort in ("fetched_at", "title"):
                sql, params = entries_query(text, sort, True, 100, 0)
                old = cpu(lambda s=sql, p=params: connection.execute(s, p).fetchall(), 3)
                new = cpu(lambda t=text, s=sort: cache.entries(filter_text=t, sort=s, limit=100), 3)
                print(
                    f"4. first filtered page of 100,000, {text!r} by {sort}: plain index walk "
                    f"{old * 1e3:.1f} ms -> budgeted walk or scan {new * 1e3:.1f} ms"
                )
    print(f"load average after: {c.load_average()}")


if __name__ == "__main__":
    main()
