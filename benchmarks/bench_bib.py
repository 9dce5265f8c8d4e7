"""Issue 14: `pith-tui verify --bib` on a 500-entry .bib against a loopback mirror.

The mirror is a real HTTP server on 127.0.0.1 in a child process (so its CPU is not the
client's), serving signed records from a folder and sleeping `--latency` ms before each
answer, like a distant server. Each run is the real command in its own process
(`sys.executable`), timed from spawn to exit; its CPU time comes from `getrusage` of the
child. "Waiting on the network" is the share of the wall time the command was not on the
CPU: (wall - cpu) / wall. All runs are in the same invocation, so the baseline
(concurrency 1) and the chosen concurrency see the same machine. Then the cached run
(a second pass: every record fresh in the cache, no request) and the offline run.

    python benchmarks/bench_bib.py [--entries 500] [--latency 20] [--concurrency 1,4,8,16]

Every run must print 500 verified entries with matching titles (checked from --json).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    ROOT,
    arxiv_id,
    authors_for,
    bench_env,
    dumps,
    machine_line,
    make_record,
    title_for,
)

from pith_tui.core.cite import escape_latex

CLI = "from pith_tui.cli import main; raise SystemExit(main())"


class _SlowHandler(SimpleHTTPRequestHandler):
    latency = 0.0

    def do_GET(self) -> None:
        time.sleep(self.latency)
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(directory: str, latency_ms: float) -> None:
    """The mirror (child process): prints its port, serves until killed."""
    handler = functools.partial(_SlowHandler, directory=directory)
    _SlowHandler.latency = latency_ms / 1000
    ThreadingHTTPServer.request_queue_size = 128  # the default 5 drops connects under load
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


def build(folder: Path, entries: int) -> Path:
    """The mirror folder and the .bib: every entry's title is its signed title, as LaTeX."""
    rng = random.Random(14)
    lines = []
    places = ("eprint", "doi", "url", "journal")
    for index in range(entries):
        arxiv = arxiv_id(5, index + 1)
        title = title_for(rng)
        record = make_record(arxiv, title=title, authors=authors_for(rng))
        path = folder / "mirror" / "pith" / f"{arxiv}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(dumps(record))
        place = places[index % len(places)]
        where = {
            "eprint": f"eprint = {{{arxiv}}}, archivePrefix = {{arXiv}}",
            "doi": f"doi = {{10.48550/arXiv.{arxiv}}}",
            "url": f"url = {{https://arxiv.org/abs/{arxiv}}}",
            "journal": f"journal = {{arXiv preprint arXiv:{arxiv}}}",
        }[place]
        lines.append(
            f"@article{{ref{index},\n  title = {{{{{escape_latex(title)}}}}},\n  {where}\n}}\n"
        )
    bib = folder / "refs.bib"
    bib.write_text("\n".join(lines))
    return bib


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float, int, list[dict]]:
    """(wall s, cpu s, exit code, json entries) of one CLI run in a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CLI, *argv], env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    items = json.loads(done.stdout) if done.stdout.strip().startswith("[") else []
    if done.returncode not in (0, 1, 3):
        print(done.stderr, file=sys.stderr)
    return wall, cpu, done.returncode, items


def correct(items: list[dict], entries: int) -> bool:
    return len(items) == entries and all(
        item["verdict"] == "verified" and item["title"] == "match" for item in items
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=500)
    parser.add_argument("--latency", type=float, default=20.0, help="ms per request")
    parser.add_argument("--concurrency", default="1,4,8,16")
    parser.add_argument("--serve", nargs=2, metavar=("DIR", "LATENCY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], float(args.serve[1]))
        return
    print(machine_line())
    with tempfile.TemporaryDirectory(prefix="bench-bib-") as temp:
        folder = Path(temp)
        started = time.perf_counter()
        bib = build(folder, args.entries)
        print(
            f"built {args.entries} signed records and the .bib in {time.perf_counter() - started:.1f} s"
        )
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(folder / "mirror"), str(args.latency)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        try:
            assert server.stdout is not None
            url = f"http://127.0.0.1:{server.stdout.readline().strip()}"
            print(
                f"mirror {url}: {args.latency:.0f} ms before each answer; each entry costs "
                "2 requests (the record, and its bundle, which this mirror does not have)"
            )
            print(f"{'run':<34}{'wall s':>8}{'cpu s':>8}{'waiting':>9}{'ideal s':>9}  correct")
            last_cache = None
            for concurrency in [int(c) for c in args.concurrency.split(",")]:
                cache = folder / f"cache-c{concurrency}"
                env = bench_env(cache)
                wall, cpu, code, items = run(
                    ["verify", "--bib", str(bib), "--json", "--base-url", url,
                     "--concurrency", str(concurrency)],
                    env,
                )  # fmt: skip
                ideal = 2 * args.entries * args.latency / 1000 / concurrency
                waiting = max(0.0, wall - cpu) / wall
                label = f"network, concurrency {concurrency}"
                print(
                    f"{label:<34}{wall:8.2f}{cpu:8.2f}{waiting:9.0%}{ideal:9.2f}  "
                    f"{correct(items, args.entries)} (exit {code})"
                )
                last_cache = cache
            assert last_cache is not None
            for label, extra in (
                ("cached (fresh cache, online)", ["--base-url", url]),
                ("offline (--offline)", ["--offline"]),
            ):
                wall, cpu, code, items = run(
                    ["verify", "--bib", str(bib), "--json", *extra], bench_env(last_cache)
                )
                waiting = max(0.0, wall - cpu) / wall
                print(
                    f"{label:<34}{wall:8.2f}{cpu:8.2f}{waiting:9.0%}{'-':>9}  "
                    f"{correct(items, args.entries)} (exit {code})"
                )
        finally:
            server.kill()
            server.wait()
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
