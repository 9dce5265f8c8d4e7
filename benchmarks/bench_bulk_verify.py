"""Target 3: bulk re-verification of 10,000 signed bundles against PyNaCl's Ed25519 limit.

Each generated bundle (record_created + graph_snapshot) carries 4 signatures: the receipt,
2 events and the bundle signature. The limit is PyNaCl's Ed25519 verify rate measured here,
in the same run: bundles/s limit = signatures/s / 4. Target: >= 60% of it on one core.

    python benchmarks/bench_bulk_verify.py [--count 10000] [--repeat 3]

Measures, each `--repeat` times (median reported):
- the Ed25519 verify rate (PyNaCl `VerifyKey.verify`, 32-byte digests, distinct signatures);
- `bulk.reverify_cache(workers=1)` and `(workers=2)` in this process;
- `pith-tui cache verify --workers N` as a subprocess (the command a user runs; includes
  interpreter start-up and imports).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import time

import _common as c
from nacl.signing import VerifyKey

from pith_tui.core.cache import Cache
from pith_tui.core.resolver import Resolver
from pith_tui.core.reverify import reverify_cache
from tests.signing import TEST_KEY

SIGNATURES_PER_BUNDLE = 4


def build(count: int):  # type: ignore[no-untyped-def]
    def _build(folder):  # type: ignore[no-untyped-def]
        times = c.times_from(c.FIXED_NOW)
        with Cache.open(folder) as cache:
            items = (
                c.put_item(doc, raw, fetched_at=next(times)) for doc, raw in c.bundle_docs(5, count)
            )
            c.fill_cache(cache, items)

    return _build


def ed25519_rate(rounds: int = 5, n: int = 2000) -> tuple[float, float]:
    """Median (wall, CPU-time) signatures/s of PyNaCl Ed25519 verification on this core."""
    verify_key = VerifyKey(bytes(TEST_KEY.verify_key))
    pairs = []
    for i in range(n):
        digest = hashlib.sha256(i.to_bytes(4, "big")).digest()
        pairs.append((digest, TEST_KEY.sign(digest).signature))
    wall, cpu = [], []
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        for digest, signature in pairs:
            verify_key.verify(digest, signature)
        wall.append(n / (time.perf_counter() - started))
        cpu.append(n / (time.process_time() - started_cpu))
    return c.median(wall), c.median(cpu)


def in_process(folder, workers: int) -> tuple[float, float, object]:  # type: ignore[no-untyped-def]
    """(wall s, CPU s of this process, summary) of one `reverify_cache`."""
    with Cache.open(folder) as cache:
        resolver = Resolver(cache, c.bench_trust(), base_url="http://127.0.0.1:9", offline=True)
        started, started_cpu = time.perf_counter(), time.process_time()
        summary = reverify_cache(resolver, workers=workers)
        return time.perf_counter() - started, time.process_time() - started_cpu, summary


def cli(folder, workers: int) -> tuple[float, str]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    proc = subprocess.run(
        [c.PYTHON, "-m", "pith_tui", "cache", "verify", "--workers", str(workers)],
        env=c.bench_env(folder),
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(
            f"cache verify exited {proc.returncode}: {proc.stdout[-500:]}{proc.stderr[-500:]}"
        )
    return seconds, proc.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-cli", action="store_true", help="skip the subprocess runs")
    args = parser.parse_args()

    folder = c.dataset(f"bundles-{args.count}", build(args.count))
    print(c.machine_line())
    print(f"dataset: {args.count} bundles x {SIGNATURES_PER_BUNDLE} signatures in {folder}")

    # The limit is measured before every run (the machine may be shared): the figure for a
    # run is its speed over the median limit; the CPU-time ratio (one process only) is the
    # least sensitive to other load.
    rates = [ed25519_rate()]
    print(
        f"PyNaCl Ed25519 verify: {rates[0][0]:,.0f} signatures/s on one core "
        f"-> limit {rates[0][0] / SIGNATURES_PER_BUNDLE:,.0f} bundles/s"
    )
    results: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
    for _ in range(args.repeat):
        for workers in (1, 2):
            seconds, cpu, summary = in_process(folder, workers)
            assert summary.verified == args.count, summary.line()  # type: ignore[attr-defined]
            results[workers].append((seconds, cpu))
            rates.append(ed25519_rate())
    wall_limit = c.median([r[0] for r in rates]) / SIGNATURES_PER_BUNDLE
    cpu_limit = c.median([r[1] for r in rates]) / SIGNATURES_PER_BUNDLE
    print(
        f"limit (median of {len(rates)} measurements): {wall_limit:,.0f} bundles/s wall, "
        f"{cpu_limit:,.0f} bundles/s CPU time; target >= 60%: {0.6 * wall_limit:,.0f} bundles/s"
    )
    for workers in (1, 2):
        walls = [w for w, _ in results[workers]]
        seconds = c.median(walls)
        speed = args.count / seconds
        line = (
            f"reverify_cache(workers={workers}): median {seconds:.2f} s "
            f"(runs {', '.join(f'{r:.2f}' for r in walls)}) = {speed:,.0f} bundles/s "
            f"= {speed / wall_limit:.0%} of the one-core limit"
        )
        if workers == 1:
            cpu = c.median([u for _, u in results[1]])
            line += f"; by CPU time {args.count / cpu:,.0f} bundles/s = {args.count / cpu / cpu_limit:.0%}"
        print(line)
    speedup = c.median([w for w, _ in results[1]]) / c.median([w for w, _ in results[2]])
    print(f"speed-up workers=2 vs 1: {speedup:.2f}x")
    print(f"load average after: {c.load_average()}")

    if not args.no_cli:
        for workers in (1, 2):
            runs, line = [], ""
            for _ in range(args.repeat):
                seconds, line = cli(folder, workers)
                runs.append(seconds)
            seconds = c.median(runs)
            print(
                f"pith-tui cache verify --workers {workers}: median {seconds:.2f} s wall "
                f"= {args.count / seconds:,.0f} bundles/s ({line})"
            )
        print(f"load average after: {c.load_average()}")


if __name__ == "__main__":
    main()
