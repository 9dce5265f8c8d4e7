"""What the three fuzz targets share: seeds, finding bookkeeping and `results.json`.

A *finding* is an input that makes a target break its contract (an exception other than
the ones it documents, or a broken invariant such as a false "verified"). Findings do not
stop the run: each distinct one (exception type + where it was raised) is counted, its first
input saved under `$PITH_FUZZ_FINDINGS` (default /tmp/pith-fuzz-findings/<target>/), and the
run goes on until `-max_total_time`. Every second the harness rewrites this run's entry in
`tests/fuzz/results.json` ({target: {"runs": [...]}}: seconds run, executions, distinct
findings), so the numbers are there even though libFuzzer ends the process with exit() (no
Python atexit); earlier runs of a target are kept, so a fixed finding stays on record.

Without atheris installed, the same targets run under a small random-mutation loop, so the
commands in README.md work either way (results.json says which engine ran).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESULTS = HERE / "results.json"
sys.path.insert(0, str(ROOT))

try:
    import atheris
except ImportError:  # pragma: no cover - the fallback engine
    atheris = None


class Findings:
    """Distinct contract breaks of one target, with the first input of each saved."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.kinds: dict[str, str] = {}
        default = Path(tempfile.gettempdir()) / "pith-fuzz-findings" / target
        self.folder = Path(os.environ.get("PITH_FUZZ_FINDINGS", default))

    def record(self, data: bytes, problem: BaseException | str) -> None:
        if isinstance(problem, BaseException):
            frames = traceback.extract_tb(problem.__traceback__)
            ours = [f for f in frames if "pith_tui" in f.filename] or frames
            where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"
            key = f"{type(problem).__name__} at {where}"
            detail = "".join(traceback.format_exception(problem))[-2000:]
        else:
            key, detail = problem, problem
        if key in self.kinds:
            return
        self.kinds[key] = detail
        self.folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(data).hexdigest()[:16]
        (self.folder / f"{name}.input").write_bytes(data)
        (self.folder / f"{name}.txt").write_text(f"{key}\n\n{detail}\n")
        print(f"\n[{self.target}] FINDING {key} -> {self.folder / name}.input", file=sys.stderr)


class Run:
    """Counts executions and writes this target's line of results.json every second."""

    def __init__(self, target: str, findings: Findings, engine: str) -> None:
        self.target = target
        self.findings = findings
        self.engine = engine
        self.started = time.monotonic()
        self.started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.executions = 0
        self._last_write = 0.0
        self.requested = _requested_seconds(sys.argv)

    def tick(self) -> None:
        self.executions += 1
        now = time.monotonic()
        if now - self._last_write >= 1.0:
            self._last_write = now
            self.write()

    def write(self) -> None:
        try:
            results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        except ValueError:
            results = {}
        entry = results.get(self.target)
        runs = entry.get("runs", [entry]) if isinstance(entry, dict) else []
        runs = [r for r in runs if r.get("started_at") != self.started_at]
        runs.append(
            {
                "engine": self.engine,
                "started_at": self.started_at,
                "seconds": round(time.monotonic() - self.started, 1),
                "requested_seconds": self.requested,
                "executions": self.executions,
                "findings": len(self.findings.kinds),
                "finding_kinds": sorted(self.findings.kinds),
                "updated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            }
        )
        results[self.target] = {"runs": runs}
        fd, temporary = tempfile.mkstemp(dir=HERE, prefix=".results-")
        with os.fdopen(fd, "w") as handle:
            json.dump(results, handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.replace(temporary, RESULTS)


def _requested_seconds(argv: list[str]) -> float | None:
    for arg in argv:
        if arg.startswith("-max_total_time="):
            return float(arg.split("=", 1)[1])
    return None


def seed_corpus(target: str, seeds: list[bytes]) -> str:
    """A corpus folder holding `seeds` (libFuzzer adds what it finds there)."""
    folder = Path(tempfile.gettempdir()) / "pith-fuzz-corpus" / target
    folder.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        (folder / hashlib.sha256(seed).hexdigest()[:16]).write_bytes(seed)
    return str(folder)


def main(target: str, check: Callable[[bytes], None], seeds: list[bytes]) -> None:
    """Run `check` on fuzzed inputs; any exception it lets out is a finding."""
    findings = Findings(target)
    run = Run(target, findings, "atheris" if atheris is not None else "random-mutation")

    def one_input(data: bytes) -> None:
        run.tick()
        try:
            check(data)
        except Exception as exc:  # every escape is a finding
            findings.record(data, exc)

    args = list(sys.argv)
    if not any(not a.startswith("-") for a in args[1:]):
        args.append(seed_corpus(target, seeds))
    if atheris is not None:
        atheris.Setup(args, one_input)
        run.write()
        atheris.Fuzz()
    else:  # pragma: no cover
        _fallback(one_input, seeds, run)


def _fallback(one_input: Callable[[bytes], None], seeds: list[bytes], run: Run) -> None:
    """Random byte mutations of the seeds until -max_total_time (default 60 s)."""
    limit = run.requested or 60.0
    rng = random.Random(0)
    pool = list(seeds) or [b""]
    while time.monotonic() - run.started < limit:
        data = bytearray(rng.choice(pool))
        for _ in range(rng.randint(1, 8)):
            op = rng.random()
            at = rng.randint(0, len(data))
            if op < 0.4 and data:
                data[min(at, len(data) - 1)] = rng.randrange(256)
            elif op < 0.7:
                data[at:at] = bytes([rng.randrange(256)])
            elif data:
                del data[min(at, len(data) - 1)]
        one_input(bytes(data))
    run.write()
