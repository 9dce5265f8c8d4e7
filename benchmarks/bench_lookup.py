"""Target 2 (core): query -> verified RecordView from the cache, p50/p99 over mixed identifiers.

    python benchmarks/bench_lookup.py [--lookups 500] [--papers 2000]

The cache holds `--papers` signed records; every other paper also has its signed bundle
(4 more signatures). Each lookup picks a paper and one of 13 identifier forms at random
(fixed seed): arXiv ids with and without version / `arXiv:` / abs URL, DOIs, short ids of
8/12/16 chars, full Pith Numbers, the bare id and the Pith URL. Timed per lookup:

- `Resolver.cached_view(query)`: parse, alias lookup, load and re-verify every document;
- `await Resolver.resolve(query)` with every entry fresh (< 24 h old): the same plus the
  history write. Its HTTP transport raises and counts any request: the count must be 0;
- the same `cached_view` lookups, interleaved in the same run, on a copy of the cache whose
  documents are stored as received (not zlib-compressed): what compression costs a lookup,
  and the size of both files (after VACUUM INTO, so free pages do not count).

Targets: lookup p99 < 5 ms (issue #6), and it stays < 5 ms with compressed documents (issue
#13). Reported: p50/p90/p99/max, for record-only and record+bundle lookups too.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sqlite3
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import _common as c
import httpx

from pith_tui.core.cache import Cache
from pith_tui.core.cache.documents import decode
from pith_tui.core.resolver import Resolver
from pith_tui.core.verify import Verdict
from tests.signing import dumps, make_bundle, make_record

FORMS = (
    lambda a, p: a,
    lambda a, p: f"{a}v1",
    lambda a, p: f"arXiv:{a}",
    lambda a, p: f"arXiv:{a}v1",
    lambda a, p: f"https://arxiv.org/abs/{a}v1",
    lambda a, p: f"10.48550/arXiv.{a}",
    lambda a, p: f"https://doi.org/10.48550/arXiv.{a}",
    lambda a, p: f"pith:{p[:8]}",
    lambda a, p: p[:12],
    lambda a, p: f"pith:{p[:16]}",
    lambda a, p: f"pith:2024:{p}",
    lambda a, p: p,
    lambda a, p: f"https://pith.science/pith/{p}",
)


def build(papers: int):  # type: ignore[no-untyped-def]
    def _build(folder: Path) -> None:
        rng = random.Random(3)
        times = c.times_from(c.FIXED_NOW, 0.5)

        def items():  # type: ignore[no-untyped-def]
            for index in range(papers):
                arxiv = c.arxiv_id(7, index)
                title = c.title_for(rng)
                record = make_record(arxiv, title=title, authors=c.authors_for(rng))
                yield c.put_item(record, dumps(record), fetched_at=next(times), verdict="verified")
                if index % 2 == 0:
                    bundle = make_bundle(arxiv, title=title)
                    yield c.put_item(
                        bundle, dumps(bundle), fetched_at=next(times), verdict="verified"
                    )

        with Cache.open(folder) as cache:
            c.fill_cache(cache, items())

    return _build


class NoNetwork(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        raise httpx.ConnectError("the benchmark allows no network", request=request)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=500)
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="runs; the median run's figures")
    args = parser.parse_args()

    source = c.dataset(f"lookup-{args.papers}", build(args.papers))
    print(c.machine_line())
    work = Path(tempfile.mkdtemp(prefix="pith-bench-lookup-"))
    try:
        for name in ("cache.sqlite3", "cache.sqlite3-wal", "cache.sqlite3-shm"):
            if (source / name).exists():
                shutil.copy2(source / name, work / name)
        plain_dir = work / "plain"
        plain_dir.mkdir()
        for name in ("cache.sqlite3", "cache.sqlite3-wal", "cache.sqlite3-shm"):
            if (work / name).exists():
                shutil.copy2(work / name, plain_dir / name)
        _store_uncompressed(plain_dir)
        for label, folder in (("zlib", work), ("as received", plain_dir)):
            size = _vacuumed_size(folder)
            print(
                f"cache file ({label}): {size / 1e6:.2f} MB = {size / args.papers / 1024:.2f} KiB per paper"
            )
        cache = Cache.open(work)
        plain = Cache.open(plain_dir)
        ids = cache.all_pith_ids()
        arxiv_of = {entry.pith_id: entry.arxiv_id for entry in cache.entries()}
        rng = random.Random(11)
        queries = []
        for _ in range(args.lookups):
            pid = rng.choice(ids)
            queries.append((pid, rng.choice(FORMS)(arxiv_of[pid], pid)))

        transport = NoNetwork()

        def resolver_of(on: Cache) -> Resolver:
            return Resolver(
                on,
                c.bench_trust(),
                base_url="http://127.0.0.1:9",
                transport=transport,
                clock=lambda: c.FIXED_NOW + timedelta(hours=2),
            )

        resolver = resolver_of(cache)
        print(
            f"cache: {len(ids)} papers ({cache.count()} entries), {args.lookups} lookups of "
            f"{len(FORMS)} identifier forms"
        )

        plain_resolver = resolver_of(plain)

        def run_cached(on: Resolver = resolver) -> tuple[list[float], list[float], list[float]]:
            all_, rec, both = [], [], []
            for pid, query in queries:
                started = time.perf_counter()
                view = on.cached_view(query)
                seconds = time.perf_counter() - started
                assert view is not None and view.pith_id == pid, query
                assert view.verdict is Verdict.VERIFIED, (query, view.verdict)
                all_.append(seconds)
                (both if view.bundle is not None else rec).append(seconds)
            return all_, rec, both

        async def run_resolve() -> list[float]:
            times = []
            for pid, query in queries:
                started = time.perf_counter()
                view = await resolver.resolve(query)
                times.append(time.perf_counter() - started)
                assert view.pith_id == pid and view.verdict is Verdict.VERIFIED, query
            return times

        for _pid, query in queries[:20]:  # warm-up: imports, SQLite page cache
            resolver.cached_view(query)

        for _pid, query in queries[:20]:
            plain_resolver.cached_view(query)
        cached_runs, resolve_runs, plain_runs = [], [], []
        for _ in range(args.repeat):
            cached_runs.append(run_cached())
            plain_runs.append(run_cached(plain_resolver))
            resolve_runs.append(asyncio.run(run_resolve()))
        pick = sorted(range(args.repeat), key=lambda i: c.percentile(cached_runs[i][0], 99))
        all_, rec, both = cached_runs[pick[len(pick) // 2]]
        print(f"cached_view, all:            {c.summary_ms(all_)}")
        print(f"cached_view, record only:    {c.summary_ms(rec)}")
        print(f"cached_view, record+bundle:  {c.summary_ms(both)}")
        resolve_runs.sort(key=lambda r: c.percentile(r, 99))
        print(f"resolve (fresh cache), all:  {c.summary_ms(resolve_runs[len(resolve_runs) // 2])}")
        print(
            f"p99 per run: cached_view {', '.join(f'{c.percentile(r[0], 99) * 1000:.2f}' for r in cached_runs)} ms; "
            f"resolve {', '.join(f'{c.percentile(r, 99) * 1000:.2f}' for r in resolve_runs)} ms"
        )
        plain_runs.sort(key=lambda r: c.percentile(r[0], 99))
        print(
            f"cached_view, documents stored as received: {c.summary_ms(plain_runs[len(plain_runs) // 2][0])}"
        )
        print(
            f"p99 per run, stored as received: "
            f"{', '.join(f'{c.percentile(r[0], 99) * 1000:.2f}' for r in plain_runs)} ms"
        )
        print(f"network requests attempted: {transport.requests} (must be 0)")
        print(f"load average after: {c.load_average()}")
        assert transport.requests == 0
        cache.close()
        plain.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _store_uncompressed(folder: Path) -> None:
    """Rewrite every document of the cache in `folder` as received (encoding 'identity')."""
    db = sqlite3.connect(folder / "cache.sqlite3")
    try:
        rows = db.execute("SELECT id, raw, encoding FROM documents").fetchall()
        db.executemany(
            "UPDATE documents SET raw = ?, encoding = 'identity' WHERE id = ?",
            [(decode(raw, encoding), row_id) for row_id, raw, encoding in rows],
        )
        db.commit()
    finally:
        db.close()


def _vacuumed_size(folder: Path) -> int:
    target = folder / "vacuumed.sqlite3"
    db = sqlite3.connect(folder / "cache.sqlite3")
    try:
        db.execute("VACUUM INTO ?", (str(target),))
    finally:
        db.close()
    size = target.stat().st_size
    target.unlink()
    return size


if __name__ == "__main__":
    main()
