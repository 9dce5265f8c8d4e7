"""Targets 4 and 5 (core): a cache of 100,000 records — the queries the cache screen is built on.

    python benchmarks/bench_big_cache.py [--records 100000] [--repeat 5]

The dataset: `--records` signed number records (random titles/authors from a fixed seed,
fetched over a year, verdicts 96% verified / 2% incomplete / 1% failed / 1% unknown),
generated once under $PITH_BENCH_DIR and reused. Measured (median of `--repeat`):

- the cache file's size per record (main file + WAL after a checkpoint), with the stored
  documents' bytes before and after zlib;
- `Cache.open` + `count()` + the first page (`entries(limit=100)`) in a fresh process:
  what the cache screen does before its first frame;
- the first page for every sort column, both directions (each must be an index walk);
- each filter keystroke, typing phrases one letter at a time (>= 100 keystrokes: words,
  arXiv ids, Pith ids of the cache, authors, a phrase nothing matches, verdict: words),
  in the same run
  and interleaved: what a keystroke costs now - the first page `entries(filter, limit=100)`
  then `count_capped(filter)` ("10,000+"), with the FTS5 trigram index - against the scan
  this replaced (`count(filter)` + first page, the index not used), and the exact count
  that fills "10,000+" in after the page (with the index, on its own connection, so it
  reuses nothing of the page's);
- scrolling: a page at offsets 0 … the end (OFFSET walks the index, so deep pages cost more);
- peak RSS of this process (the app's own figure is in bench_cache_screen.py).

Targets (issue #13): each filter keystroke p99 < 100 ms over >= 100 keystrokes.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path

import _common as c

from pith_tui.core.cache import SORT_COLUMNS, Cache

VERDICT_WEIGHTS = (("verified", 96), ("incomplete", 2), ("failed", 1), ("unknown", 1))
SOURCES = ("network", "network", "network", "import", "file")
TYPED = (
    "neural",
    "tao",
    "2407.0",
    "pith:a",
    "quantum field",
    "10.48550/arxiv.2401",
    "zebra crossing",
)
VERDICT_TYPED = ("verdict:failed", "neural verdict:inc", "quantum verdict:verified")
CHUNK = 2000


def _make_chunk(start: int, count: int) -> list[tuple[dict, bytes, int]]:
    """Documents start..start+count, in a worker process (signing is the slow part)."""
    from tests.signing import dumps, make_record

    out = []
    for index in range(start, start + count):
        rng = random.Random(index)
        doc = make_record(
            c.arxiv_id(1 + index // 90_000, index % 90_000),
            title=c.title_for(rng),
            authors=c.authors_for(rng),
        )
        out.append((doc, dumps(doc), index))
    return out


def build(records: int):  # type: ignore[no-untyped-def]
    def _build(folder: Path) -> None:
        verdicts = [v for v, weight in VERDICT_WEIGHTS for _ in range(weight)]
        year = 365 * 24 * 3600
        with Cache.open(folder) as cache, ProcessPoolExecutor(max_workers=2) as pool:
            starts = range(0, records, CHUNK)
            chunks = pool.map(_make_chunk, starts, [min(CHUNK, records - s) for s in starts])
            for chunk in chunks:
                items = []
                for doc, raw, index in chunk:
                    rng = random.Random(-index - 1)
                    item = c.put_item(
                        doc,
                        raw,
                        fetched_at=c.FIXED_NOW - timedelta(seconds=rng.randrange(year)),
                        verdict=rng.choice(verdicts),
                        source=rng.choice(SOURCES),
                    )
                    items.append(item)
                cache.put_many(items)
            cache._db.connection.execute(
                "PRAGMA wal_checkpoint(TRUNCATE)"
            )  # benchmark only: a settled file

    return _build


def filter_phrases(cache: Cache) -> list[str]:
    """What is typed into the filter, letter by letter (>= 100 keystrokes): words, arXiv ids,
    Pith ids of the cache, authors, a phrase nothing matches, verdict words."""
    rng = random.Random(5)
    phrases = [*TYPED]
    phrases += [pid[:10].lower() for pid in rng.sample(cache.all_pith_ids(), 4)]
    phrases += [e.authors.split(",")[0].strip().lower() for e in cache.entries(limit=2)]
    return [*phrases, *VERDICT_TYPED]


def timed(fn, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    runs, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - started)
    return c.median(runs), result


OPEN_SCRIPT = """
import sys, time
t0 = time.perf_counter()
from pith_tui.core.cache import Cache
t1 = time.perf_counter()
cache = Cache.open(sys.argv[1])
n = cache.count()
rows = cache.entries(sort="fetched_at", descending=True, limit=100)
t2 = time.perf_counter()
print(f"{t1 - t0:.6f} {t2 - t1:.6f} {n} {len(rows)}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    folder = c.dataset(f"records-{args.records}", build(args.records))
    print(c.machine_line())
    size = c.dir_size(folder)
    print(
        f"dataset: {args.records:,} records in {folder}: cache file {size / 1e6:.1f} MB "
        f"= {size / args.records / 1024:.2f} KiB per record"
    )
    with Cache.open(folder) as sizes:
        stored = sizes._db.connection.execute(
            "SELECT sum(length(raw)), count(*), sum(encoding = 'zlib') FROM documents"
        ).fetchone()
        sample = sizes.get_many(sizes.all_pith_ids()[:2000])
        ratio = sum(len(d.raw) for docs in sample.values() for d in docs) / max(
            1, sum(len(zlib.compress(d.raw, 6)) for docs in sample.values() for d in docs)
        )
    print(
        f"documents: {stored[0] / stored[1] / 1024:.2f} KiB stored per document "
        f"({stored[2]:,} of {stored[1]:,} zlib-compressed; {ratio:.2f}x smaller than as "
        "received, measured on 2,000)"
    )

    opens = []
    for _ in range(args.repeat):
        out = subprocess.run(
            [c.PYTHON, "-c", OPEN_SCRIPT, str(folder)],
            capture_output=True,
            text=True,
            check=True,
            env=c.bench_env(folder),
        ).stdout.split()
        opens.append((float(out[0]), float(out[1])))
        assert int(out[2]) == args.records and int(out[3]) == 100
    print(
        f"fresh process: import cache module {c.median([o[0] for o in opens]) * 1000:.1f} ms; "
        f"Cache.open + count() + first page {c.median([o[1] for o in opens]) * 1000:.1f} ms "
        f"(median of {args.repeat})"
    )

    cache = Cache.open(folder)
    seconds, _ = timed(cache.count, args.repeat)
    print(f"count(): {seconds * 1000:.2f} ms")
    worst = (0.0, "")
    for sort in SORT_COLUMNS:
        for descending in (False, True):
            seconds, rows = timed(
                lambda s=sort, d=descending: cache.entries(sort=s, descending=d, limit=100),
                args.repeat,
            )
            assert len(rows) == 100  # type: ignore[arg-type]
            worst = max(worst, (seconds, f"{sort} {'desc' if descending else 'asc'}"))
    print(
        f"first page, every sort column and direction: worst {worst[0] * 1000:.2f} ms ({worst[1]})"
    )

    # The same file, read the way it was before the index: a second connection told not to
    # use it (the file and its index are left as they are).
    scan = Cache.open(folder)
    scan.full_text = False
    exact_counter = Cache.open(folder)
    keystrokes = [
        phrase[:end] for phrase in filter_phrases(cache) for end in range(1, len(phrase) + 1)
    ]
    now_cost: list[float] = []
    before_cost: list[float] = []
    exact_cost: list[float] = []
    now_cpu: list[float] = []
    before_cpu: list[float] = []
    slowest = (0.0, "")
    for index, text in enumerate(keystrokes):
        runs: dict[str, list[float]] = {"now": [], "before": [], "exact": []}
        cpu: dict[str, list[float]] = {"now": [], "before": []}
        for _ in range(args.repeat):
            order = ("now", "before") if index % 2 else ("before", "now")  # interleaved A/B
            for which in order:
                started, started_cpu = time.perf_counter(), time.process_time()
                if which == "now":  # the page first: a rare filter's scan counts it too
                    rows = cache.entries(filter_text=text, limit=100)
                    shown = cache.count_capped(text)
                else:
                    total = scan.count(text)
                    old_rows = scan.entries(filter_text=text, limit=100)
                runs[which].append(time.perf_counter() - started)
                cpu[which].append(time.process_time() - started_cpu)
            started = time.perf_counter()
            exact = exact_counter.count(text)  # its own connection: no page's figure to reuse
            runs["exact"].append(time.perf_counter() - started)
        assert rows == old_rows and exact == total, text  # the same answers either way
        assert str(shown) == (f"{total:,}" if total <= 10_000 else "10,000+"), (text, shown)
        now_cost.append(c.median(runs["now"]))
        before_cost.append(c.median(runs["before"]))
        exact_cost.append(c.median(runs["exact"]))
        now_cpu.append(c.median(cpu["now"]))
        before_cpu.append(c.median(cpu["before"]))
        slowest = max(slowest, (now_cost[-1], f"{text!r}: {shown} matches"))
    print(f"filter keystrokes: {len(keystrokes)} (median of {args.repeat} per keystroke)")
    print(
        f"  now (capped count + first page, FTS5): {c.summary_ms(now_cost)}; slowest {slowest[1]}"
    )
    print(f"  before (exact count + first page, scan): {c.summary_ms(before_cost)}")
    print(f"  exact count after the page (FTS5):     {c.summary_ms(exact_cost)}")
    ratio = c.percentile(now_cost, 99) / c.percentile(before_cost, 99)
    print(f"  p99 now / before: {ratio:.2f}")
    print(f"  CPU time, now:    {c.summary_ms(now_cpu)}")
    print(f"  CPU time, before: {c.summary_ms(before_cpu)}")
    scan.close()
    exact_counter.close()

    for sort in ("title", "fetched_at"):
        pages = []
        for offset in (0, args.records // 4, args.records // 2, args.records - 100):
            seconds, rows = timed(
                lambda o=offset, s=sort: cache.entries(sort=s, limit=100, offset=o), args.repeat
            )
            pages.append(f"{offset:,}: {seconds * 1000:.2f} ms")
        print(f"page of 100 by {sort} at offset " + ", ".join(pages))
    seconds, _ = timed(
        lambda: cache.entries(filter_text="neural", limit=100, offset=5000), args.repeat
    )
    print(f"filtered ('neural') page at offset 5,000: {seconds * 1000:.2f} ms")

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {rss:.0f} MB")
    print(f"load average after: {c.load_average()}")
    cache.close()


if __name__ == "__main__":
    main()
