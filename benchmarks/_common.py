"""Shared helpers for the benchmark scripts: the machine, statistics, generated data.

Generated data is signed with the fixed-seed test key from `tests/signing.py`. That key is
pinned ONLY here, in the benchmark: through a `keys.json` in a benchmark config dir (for
subprocesses, via `PITH_TUI_CONFIG_DIR`) or by building the `TrustStore` directly.

Datasets are generated once under `$PITH_BENCH_DIR` (default `/tmp/pith-bench`) and reused;
a dataset directory holds a `DONE` marker written last, so a half-built one is rebuilt.
"""

from __future__ import annotations

import json
import os
import platform
import random
import shutil
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pith_tui.core.cache import SCHEMA_VERSION, Cache, PutItem, StoredDocument  # noqa: E402
from pith_tui.core.indexing import index_fields  # noqa: E402
from pith_tui.core.keys import TrustStore, key_from_json  # noqa: E402
from pith_tui.core.model import parse_document  # noqa: E402
from tests.signing import (  # noqa: E402
    TEST_KEY,
    TEST_KEY_ID,
    dumps,
    key_json,
    make_bundle,
    make_record,
)

BENCH_DIR = Path(os.environ.get("PITH_BENCH_DIR", "/tmp/pith-bench"))
PYTHON = sys.executable
FIXED_NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)

_WORDS = (
    "neural",
    "quantum",
    "graph",
    "learning",
    "sparse",
    "dense",
    "robust",
    "optimal",
    "stochastic",
    "bayesian",
    "adversarial",
    "convex",
    "spectral",
    "manifold",
    "kernel",
    "tensor",
    "causal",
    "federated",
    "diffusion",
    "transformer",
    "attention",
    "gradient",
    "entropy",
    "lattice",
    "topological",
    "symmetry",
    "invariant",
    "boundary",
    "flow",
    "dynamics",
    "estimation",
    "inference",
    "sampling",
    "theory",
    "networks",
    "models",
    "representations",
    "equations",
    "operators",
    "fields",
    "particles",
    "galaxies",
    "proteins",
    "markets",
)
_NAMES = (
    "Ada Lovelace",
    "Alan Turing",
    "Emmy Noether",
    "Grace Hopper",
    "Kurt Gödel",
    "Sofia Kovalevskaya",
    "John von Neumann",
    "Srinivasa Ramanujan",
    "Hedy Lamarr",
    "Claude Shannon",
    "Marie Curie",
    "Paul Erdős",
    "Barbara Liskov",
    "Donald Knuth",
    "Maryam Mirzakhani",
    "Terence Tao",
)


# --- the machine and statistics -------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def machine_line() -> str:
    return (
        f"machine: {os.cpu_count()} cores ({cpu_model()}), Python {platform.python_version()}, "
        f"load average {load_average()}"
    )


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of `values`."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(values: Sequence[float]) -> str:
    """'p50 … ms, p99 … ms, max … ms (n=…)' for values in seconds."""
    ms = [v * 1000 for v in values]
    return (
        f"p50 {percentile(ms, 50):.3f} ms, p90 {percentile(ms, 90):.3f} ms, "
        f"p99 {percentile(ms, 99):.3f} ms, max {max(ms):.3f} ms (n={len(ms)})"
    )


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


# --- the test key, pinned only here ----------------------------------------------------------


def bench_trust() -> TrustStore:
    """The shipped keys plus the fixed-seed test key."""
    return TrustStore(
        [*TrustStore.shipped(), key_from_json(key_json(TEST_KEY, TEST_KEY_ID), "benchmark")]
    )


def bench_config_dir() -> Path:
    """A config dir whose keys.json pins the test key (for subprocesses)."""
    folder = BENCH_DIR / "config"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "keys.json"
    path.write_text(json.dumps([key_json(TEST_KEY, TEST_KEY_ID)]))
    return folder


def bench_env(cache_dir: Path, **extra: str) -> dict[str, str]:
    """An environment for a pith-tui subprocess: this cache, the test key, no network."""
    env = dict(os.environ)
    env.update(
        {
            "PITH_TUI_CACHE_DIR": str(cache_dir),
            "PITH_TUI_CONFIG_DIR": str(bench_config_dir()),
            "PITH_BASE_URL": "http://127.0.0.1:9",  # the discard port: nothing reaches out
            "PYTHONPATH": str(ROOT),
        }
    )
    env.pop("PITH_OFFLINE", None)
    env.update(extra)
    return env


# --- generated documents ---------------------------------------------------------------------


def arxiv_id(series: int, index: int) -> str:
    """A unique new-style arXiv id: series picks the month (2401, 2402, …)."""
    return f"{2400 + series:04d}.{index:05d}"


def title_for(rng: random.Random) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(4, 9))).capitalize()


def authors_for(rng: random.Random) -> str:
    return ", ".join(rng.sample(_NAMES, rng.randint(1, 4)))


def put_item(
    doc: dict, raw: bytes, *, fetched_at: datetime, verdict: str = "unknown", source: str = "import"
) -> PutItem:
    model = parse_document(doc)
    pith_id = model.pith_number.rsplit(":", 1)[-1]
    fields = index_fields(model, pith_id)
    stored = StoredDocument(
        pith_id=pith_id,
        kind=model.kind,
        raw=raw,
        canonical_sha256=model.canonical_sha256,
        url=None,
        etag=None,
        last_modified=None,
        fetched_at=fetched_at,
        source=source,
    )
    return PutItem(stored, verdict=verdict, **fields)  # type: ignore[arg-type]


def _batches(items: Iterator[PutItem], size: int) -> Iterator[list[PutItem]]:
    batch: list[PutItem] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def fill_cache(cache: Cache, items: Iterator[PutItem], *, batch: int = 2000) -> int:
    stored = 0
    for chunk in _batches(items, batch):
        cache.put_many(chunk)
        stored += len(chunk)
    return stored


def dataset(name: str, build) -> Path:  # type: ignore[no-untyped-def]
    """`BENCH_DIR/name-schema<N>`, built by `build(folder)` unless a finished copy is there.

    The cache's schema version is in the folder name: a dataset written by another version
    is never reused (opening it would migrate, or move aside, a file others may be using).
    """
    folder = BENCH_DIR / f"{name}-schema{SCHEMA_VERSION}"
    if (folder / "DONE").is_file():
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    build(folder)
    (folder / "DONE").write_text(f"built in {time.perf_counter() - started:.1f} s\n")
    print(f"[built dataset {name} in {time.perf_counter() - started:.1f} s: {folder}]", flush=True)
    return folder


def bundle_docs(series: int, count: int, seed: int = 1) -> Iterator[tuple[dict, bytes]]:
    """`count` signed bundles (record_created + graph_snapshot: 4 signatures each)."""
    rng = random.Random(seed)
    for index in range(count):
        doc = make_bundle(arxiv_id(series, index), title=title_for(rng))
        yield doc, dumps(doc)


def record_docs(series: int, count: int, seed: int = 2) -> Iterator[tuple[dict, bytes]]:
    """`count` signed number records (one receipt signature each)."""
    rng = random.Random(seed)
    for index in range(count):
        doc = make_record(arxiv_id(series, index), title=title_for(rng), authors=authors_for(rng))
        yield doc, dumps(doc)


def times_from(start: datetime, step_seconds: float = 1.0) -> Iterator[datetime]:
    moment = start
    while True:
        yield moment
        moment += timedelta(seconds=step_seconds)


def dir_size(folder: Path, pattern: str = "cache.sqlite3*") -> int:
    return sum(p.stat().st_size for p in folder.glob(pattern) if p.is_file())


# --- driving a Textual app without the pilot's idle waits -----------------------------------


def send_key(app, key: str) -> None:  # type: ignore[no-untyped-def]
    """Send one key to `app` as its driver would, and return at once.

    `Pilot.press` waits for the app to go idle (sleeps included) before it returns, so a
    timer around it measures the pilot. The benchmarks time from this call to an effect.
    """
    import unicodedata

    from textual import events
    from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    event = events.Key(key, char)
    event.set_sender(app)
    app._driver.send_message(event)


async def until(condition, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    """Yield to the event loop until `condition()` holds (polled every millisecond, not in
    a busy loop: a spinning poll would take a core from the app's worker threads)."""
    import asyncio

    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app did not get there in time")
        await asyncio.sleep(0.001)


async def next_frame(screen) -> float:  # type: ignore[no-untyped-def]
    """perf_counter() once `screen` has composited everything pending (call_after_refresh)."""
    import asyncio

    done = asyncio.Event()
    stamp: list[float] = []

    def mark() -> None:
        stamp.append(time.perf_counter())
        done.set()

    screen.call_after_refresh(mark)
    await asyncio.wait_for(done.wait(), 60)
    return stamp[0]
