"""Target 5: Pith's "verify yourself" recipe versus `pith-tui verify`, same 200 records.

    python benchmarks/bench_vs_recipe.py [--records 200] [--repeat 3]

Set-up: 200 signed records, each with its bundle, generated once and put in a cache; the
cache is exported with `pith-tui cache export DIR` and DIR is served by `python -m
http.server` on 127.0.0.1 (no other network). Timed (the one-process `pith-tui verify`:
median of `--repeat` runs; the per-record loops, 200+ processes each, run once):

1. the recipe, per record, in one bash loop:
       curl -s URL | jq -c .canonical_record |
       python3 -c "import sys,hashlib;print(hashlib.sha256(sys.stdin.buffer.read().strip()).hexdigest())"
   and the hash compared with the record's `canonical_sha256` (how many match is reported:
   `jq -c` keeps the served key order, it does not sort keys);
2. the same with `jq -cS` (sorted keys), which is what the canonical form needs;
3. `pith-tui verify ID...` — one process, all 200 targets, a fresh empty cache;
4. `pith-tui verify ID` — one process per record (the recipe's shape: a process per record).

The recipe is also run on the real Pith records the package ships (from the files: no
network), to show whether it reproduces the hash on Pith's own data.
Needs curl and jq (`apt-get install -y curl jq`); without them it says so and stops.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common as c

from pith_tui.core.cache import Cache
from tests.signing import dumps, make_bundle, make_record

HASH_PY = "import sys,hashlib;print(hashlib.sha256(sys.stdin.buffer.read().strip()).hexdigest())"


def build(records: int):  # type: ignore[no-untyped-def]
    def _build(folder: Path) -> None:
        import random

        rng = random.Random(5)
        times = c.times_from(c.FIXED_NOW)
        items = []
        for index in range(records):
            arxiv = c.arxiv_id(9, index)
            title = c.title_for(rng)
            record = make_record(arxiv, title=title, authors=c.authors_for(rng))
            bundle = make_bundle(arxiv, title=title)
            items.append(
                c.put_item(record, dumps(record), fetched_at=next(times), verdict="verified")
            )
            items.append(
                c.put_item(bundle, dumps(bundle), fetched_at=next(times), verdict="verified")
            )
        with Cache.open(folder / "cache") as cache:
            cache.put_many(items)
        mirror = folder / "mirror"
        proc = subprocess.run(
            [c.PYTHON, "-m", "pith_tui", "cache", "export", str(mirror)],
            env=c.bench_env(folder / "cache"),
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise SystemExit(f"cache export failed: {proc.stdout}{proc.stderr}")
        print(proc.stdout.strip().splitlines()[0])

    return _build


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit("the local http.server did not start")


def recipe_script(base: str, ids: list[str], sort_keys: bool) -> str:
    jq = "jq -cS" if sort_keys else "jq -c"
    lines = [
        "for id in " + " ".join(ids) + "; do",
        f"  curl -s {base}/pith/$id.json | {jq} .canonical_record | python3 -c '{HASH_PY}'",
        "done",
    ]
    return "\n".join(lines)


def run_recipe(
    base: str, ids: list[str], want: dict[str, str], sort_keys: bool
) -> tuple[float, int]:
    script = recipe_script(base, ids, sort_keys)
    started = time.perf_counter()
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    got = proc.stdout.split()
    assert len(got) == len(ids), proc.stderr[-500:]
    return seconds, sum(1 for pid, digest in zip(ids, got, strict=True) if want[pid] == digest)


def run_curl(base: str, ids: list[str]) -> tuple[float, int]:
    script = f"for id in {' '.join(ids)}; do curl -s -o /dev/null -w '%{{http_code}}\\n' {base}/pith/$id.json; done"
    started = time.perf_counter()
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    return time.perf_counter() - started, proc.stdout.split().count("200")


def run_pith_tui(base: str, targets: list[str], per_record: bool) -> tuple[float, int]:
    work = Path(tempfile.mkdtemp(prefix="pith-bench-verify-"))
    try:
        env = c.bench_env(work / "cache", PITH_BASE_URL=base)
        started = time.perf_counter()
        verdicts = []
        groups = [[t] for t in targets] if per_record else [targets]
        for group in groups:
            proc = subprocess.run(
                [c.PYTHON, "-m", "pith_tui", "verify", "--json", *group],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            out = json.loads(proc.stdout)
            verdicts.extend(item["verdict"] for item in (out if isinstance(out, list) else [out]))
        seconds = time.perf_counter() - started
        return seconds, verdicts.count("verified")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def fixture_recipe() -> list[str]:
    lines = []
    for path in sorted((c.ROOT / "pith_tui" / "core" / "data" / "samples").glob("*.json")):
        data = json.loads(path.read_bytes())
        if not isinstance(data, dict) or "canonical_record" not in data:
            continue
        for flag in ("-c", "-cS"):
            proc = subprocess.run(
                ["bash", "-c", f"jq {flag} .canonical_record '{path}' | python3 -c '{HASH_PY}'"],
                capture_output=True,
                text=True,
                check=True,
            )
            ok = proc.stdout.strip() == data["canonical_sha256"]
            lines.append(
                f"{path.name} jq {flag}: {'reproduces' if ok else 'does NOT reproduce'} the hash"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    missing = [tool for tool in ("curl", "jq", "python3", "bash") if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"needs {', '.join(missing)}: apt-get install -y curl jq")

    folder = c.dataset(f"mirror-{args.records}", build(args.records))
    print(c.machine_line())
    jq_version = subprocess.run(["jq", "--version"], capture_output=True, text=True).stdout.strip()
    curl_version = subprocess.run(
        ["curl", "--version"], capture_output=True, text=True
    ).stdout.split()[1]
    print(f"tools: {jq_version}, curl {curl_version}, python3 for the recipe's hash one-liner")
    print("the recipe on Pith's real records (package samples):")
    for line in fixture_recipe():
        print(f"  {line}")

    with Cache.open(folder / "cache") as cache:
        ids = cache.all_pith_ids()
        want = {pid: cache.get(pid, "record").canonical_sha256 for pid in ids}  # type: ignore[union-attr]
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            str(port),
            "-d",
            str(folder / "mirror"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(port)
        rows = []
        for label, fn in (
            (
                "recipe (curl | jq -c | python3), per record",
                lambda: run_recipe(base, ids, want, False),
            ),
            ("recipe with jq -cS (sorted keys)", lambda: run_recipe(base, ids, want, True)),
            ("curl alone (the fetch part of the recipe)", lambda: run_curl(base, ids)),
            (
                f"pith-tui verify, one process, {len(ids)} targets",
                lambda: run_pith_tui(base, ids, False),
            ),
            ("pith-tui verify, one process per record", lambda: run_pith_tui(base, ids, True)),
        ):
            runs, good = [], 0
            repeat = args.repeat if label.startswith("pith-tui verify, one process,") else 1
            for _ in range(repeat):
                seconds, good = fn()
                runs.append(seconds)
            seconds = c.median(runs)
            rows.append(
                f"{label}: {seconds:.2f} s for {len(ids)} ({seconds / len(ids) * 1000:.1f} ms each); "
                f"{good}/{len(ids)} {'fetched (200)' if label.startswith('curl') else 'hashes match' if 'recipe' in label else 'verified'}"
            )
        print(f"mirror: {base} serving {folder / 'mirror'} (python -m http.server)")
        for row in rows:
            print(row)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"load average after: {c.load_average()}")


if __name__ == "__main__":
    main()
