"""Target 3: `cache verify` against the Ed25519 signature limit, measured in the same run.

Each generated bundle (record_created + graph_snapshot) carries 4 signatures: the receipt,
2 events and the bundle signature. The limit is how many bundles/s pure Ed25519
verification of as many signatures manages on one core of this machine: PyNaCl's
`VerifyKey.verify` over 32-byte digests, distinct signatures, nothing else. It is measured
before the first run and after every run (the machine may be shared), and each run is
compared with the median of those measurements. Targets: one worker >= 0.60 of the
one-core limit; two workers > 1.0 of it.

    python benchmarks/bench_bulk_verify.py [--count 10000] [--repeat 3] [--no-cli]

Measures, each `--repeat` times, interleaved:
- `reverify_cache(workers=1)` and `(workers=2)` in this process (wall time; for one worker
  also the CPU time of this process, which other load on the machine disturbs less);
- `pith-tui cache verify --workers N` as a subprocess (the command a user runs: includes
  interpreter start-up, imports, spawning the workers).
Prints every sample, the medians, the ratios to the limit, and the load average.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import _common as c
from nacl.signing import VerifyKey

from pith_tui.core.cache import Cache
from pith_tui.core.reverify import ReverifySummary, reverify_cache
from tests.signing import TEST_KEY

SIGNATURES_PER_BUNDLE = 4
TARGETS = {1: 0.60, 2: 1.0}


def build(count: int):  # type: ignore[no-untyped-def]
    def _build(folder: Path) -> None:
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


def in_process(folder: Path, workers: int) -> tuple[float, float, ReverifySummary]:
    """(wall s, CPU s of this process, summary) of one `reverify_cache`."""
    with Cache.open(folder) as cache:
        trust = c.bench_trust()
        now = datetime.now(timezone.utc)
        started, started_cpu = time.perf_counter(), time.process_time()
        summary = reverify_cache(cache, trust, now=now, workers=workers)
        return time.perf_counter() - started, time.process_time() - started_cpu, summary


def cli(folder: Path, workers: int) -> tuple[float, str]:
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
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-cli", action="store_true", help="skip the subprocess runs")
    args = parser.parse_args()

    folder = c.dataset(f"bundles-{args.count}", build(args.count))
    print(c.machine_line())
    print(f"dataset: {args.count:,} bundles x {SIGNATURES_PER_BUNDLE} signatures in {folder}")

    rates = [ed25519_rate()]
    results: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
    loads = [c.load_average()]
    for _ in range(args.repeat):
        for workers in (1, 2):
            seconds, cpu, summary = in_process(folder, workers)
            assert summary.verified == args.count, summary.line()
            results[workers].append((seconds, cpu))
            rates.append(ed25519_rate())
            loads.append(c.load_average())
    wall_limit = c.median([r[0] for r in rates]) / SIGNATURES_PER_BUNDLE
    cpu_limit = c.median([r[1] for r in rates]) / SIGNATURES_PER_BUNDLE
    print(
        f"Ed25519 limit, one core: {len(rates)} measurements "
        f"({', '.join(f'{r[0] / SIGNATURES_PER_BUNDLE:,.0f}' for r in rates)} bundles/s) "
        f"-> median {wall_limit:,.0f} bundles/s wall ({wall_limit * SIGNATURES_PER_BUNDLE:,.0f} "
        f"signatures/s), {cpu_limit:,.0f} bundles/s by CPU time"
    )
    for workers in (1, 2):
        walls = [w for w, _ in results[workers]]
        speeds = [args.count / w for w in walls]
        speed = args.count / c.median(walls)
        ratio = speed / wall_limit
        target = TARGETS[workers]
        met = ratio >= target if workers == 1 else ratio > target
        line = (
            f"reverify_cache(workers={workers}): median {c.median(walls):.2f} s = "
            f"{1e6 / speed:,.0f} us per bundle = {speed:,.0f} bundles/s = {ratio:.2f} of the "
            f"one-core limit (target {'>=' if workers == 1 else '>'} {target:.2f}: "
            f"{'met' if met else 'not met'}); samples "
            f"{', '.join(f'{s:,.0f}' for s in speeds)} bundles/s"
        )
        if workers == 1:
            cpu = c.median([u for _, u in results[1]])
            line += (
                f"; by CPU time {args.count / cpu:,.0f} bundles/s = "
                f"{args.count / cpu / cpu_limit:.2f} of the CPU-time limit"
            )
        print(line)
    speedup = c.median([w for w, _ in results[1]]) / c.median([w for w, _ in results[2]])
    print(f"speed-up workers=2 vs 1: {speedup:.2f}x")
    print(f"load average (1, 5, 15 min) before and after each run: {' | '.join(loads)}")

    if not args.no_cli:
        for workers in (1, 2):
            runs, line = [], ""
            for _ in range(args.repeat):
                seconds, line = cli(folder, workers)
                runs.append(seconds)
            seconds = c.median(runs)
            print(
                f"pith-tui cache verify --workers {workers}: median {seconds:.2f} s wall "
                f"= {args.count / seconds:,.0f} bundles/s = {args.count / seconds / wall_limit:.2f} "
                f"of the limit, start-up included (runs {', '.join(f'{r:.2f}' for r in runs)} s; "
                f"{line})"
            )
        print(f"load average after: {c.load_average()}")


if __name__ == "__main__":
    main()
