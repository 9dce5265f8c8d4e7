"""Target 1: start-up, from process start to the first painted frame showing a cached record.

    python benchmarks/bench_startup.py [--runs 10] [--editable]

What a user gets: pith-tui is installed **non-editable** into a temporary folder (the
package folder as a wheel installs it), its bytecode written (`compileall`), and every child runs
with that folder first on `PYTHONPATH` and `PYTHONDONTWRITEBYTECODE` unset, so no start
compiles anything (`--editable` runs the source tree instead, for comparison). Each child
reports where `pith_tui` was imported from and whether the network stack (`httpx`) was
imported by the time the record was painted (a start from the cache never uses it).

Each variant runs `--runs` times in a fresh process (median reported). The parent takes the
wall-clock time just before it spawns the process; the child writes the wall-clock time
from a `call_after_refresh` callback, i.e. once the screen has no pending layout or repaint
after the frame in question was composited, and exits at once (teardown is not timed).

- bare: a Textual `App` that composes one `Static`, painted (the reference);
- pith-tui: `pith_tui.cli.main([])`, exactly what the `pith-tui` command runs, with
  `App.run` forced to `headless=True, size=(120, 40)`; the main screen opens the most recent
  cached record; timed when `MainScreen.show` has filled the panes and they are painted;
- pith-tui QUERY (offline): the same with an arXiv id on the command line and PITH_OFFLINE=1.

Headless mode composites every frame but skips encoding it as terminal escape codes.
The cache is a copy of the 2,000-paper lookup dataset (records and bundles signed with the
test key, pinned through the benchmark's config dir). Also reports `python -X importtime`
for the pith-tui start: import cost per top-level package.

Target: pith-tui <= 1.5x bare, and < 1 s.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import _common as c
import bench_lookup

BARE = r"""
import os, sys, time
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("Hello, Pith")
    def on_mount(self):
        self.screen.call_after_refresh(self.painted)
    def painted(self):
        os.write(1, f"{time.time():.6f}\n".encode())
        os._exit(0)

Bare().run(headless=True, size=(120, 40))
"""

PITH = r"""
import inspect, io, os, sys, time
from pith_tui.tui.app import PithApp
from pith_tui.tui.screens.main_screen import MainScreen

_run = PithApp.run
PithApp.run = lambda self, **kw: _run(self, headless=True, size=(120, 40))
_show = MainScreen.show

def _after(screen, view):
    def painted():
        import pith_tui
        where = "editable" if "site-packages" not in pith_tui.__file__ and "pith-bench-install" not in pith_tui.__file__ else "installed"
        net = "httpx-imported" if "httpx" in sys.modules else "no-httpx"
        os.write(1, f"{time.time():.6f} {view.pith_id} {view.verdict.value} {where} {net}\n".encode())
        os._exit(0)
    screen.call_after_refresh(painted)

if inspect.iscoroutinefunction(_show):
    async def show(self, view, *, pending=False):
        await _show(self, view, pending=pending)
        _after(self, view)
else:
    def show(self, view, *, pending=False):
        _show(self, view, pending=pending)
        _after(self, view)

MainScreen.show = show
class Terminal(io.StringIO):  # the browser starts only on a terminal; headless here
    def isatty(self):
        return True

from pith_tui.cli import main
main(sys.argv[1:], out=Terminal())
os.write(1, b"exited without painting a record\n")
"""


CHILD_CWD = Path(tempfile.gettempdir())  # not the repository: `-c` puts the cwd on sys.path


def run_child(script: str, args: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.time()
    proc = subprocess.run(
        [c.PYTHON, "-c", script, *args],
        cwd=CHILD_CWD,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    fields = proc.stdout.split()
    if not fields or not re.fullmatch(r"\d+\.\d+", fields[0]):
        raise SystemExit(
            f"child failed ({proc.returncode}): {proc.stdout[-400:]} {proc.stderr[-800:]}"
        )
    return float(fields[0]) - started, " ".join(fields[1:])


def import_profile(script: str, env: dict[str, str], args: list[str]) -> dict[str, float]:
    """Seconds of import time per top-level package (pith_tui per sub-package)."""
    proc = subprocess.run(
        [c.PYTHON, "-X", "importtime", "-c", script, *args],
        cwd=CHILD_CWD,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    per_package: dict[str, float] = defaultdict(float)
    for line in proc.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match:
            name = match.group(4)
            top = name.split(".")[0]
            if top == "pith_tui":
                top = ".".join(name.split(".")[:3])
            per_package[top] += int(match.group(1)) / 1e6
    return dict(per_package)


def install_copy(folder: Path) -> Path:
    """pith-tui as installed (non-editable) in `folder`, with its bytecode written.

    The package folder is copied as a wheel would install it (modules and package data:
    styles, pinned keys, samples), without `__pycache__` from the source tree, then
    compiled with `compileall` as pip does at install time. (Building a wheel needs the
    `wheel` package, which this environment may lack; the installed files are the same.)
    """
    target = folder / "site"
    shutil.copytree(
        c.ROOT / "pith_tui",
        target / "pith_tui",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(
        [c.PYTHON, "-m", "compileall", "-q", str(target)], env=env, check=True, timeout=300
    )
    return target


def user_env(base: dict[str, str], site: Path | None) -> dict[str, str]:
    """`base` as a user's start sees it: the installed copy, bytecode written and used."""
    env = dict(base)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if site is not None:
        env["PYTHONPATH"] = str(site)
    return env


def fresh_copy(source: Path, target: Path) -> None:
    """A pristine copy of the cache (a run adds history, which changes what opens first)."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for name in ("cache.sqlite3", "cache.sqlite3-wal", "cache.sqlite3-shm"):
        if (source / name).exists():
            shutil.copy2(source / name, target / name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--editable", action="store_true", help="run the source tree (not what users get)"
    )
    args = parser.parse_args()

    source = c.dataset("lookup-2000", bench_lookup.build(2000))
    print(c.machine_line())
    work = Path(tempfile.mkdtemp(prefix="pith-bench-startup-"))
    install = Path(tempfile.mkdtemp(prefix="pith-bench-install-"))
    try:
        site = None if args.editable else install_copy(install)
        print(
            f"pith-tui under test: {'the source tree (editable)' if site is None else 'installed non-editable, bytecode written'}"
        )
        env = user_env(c.bench_env(work), site)
        offline = user_env(c.bench_env(work, PITH_OFFLINE="1"), site)
        bare_env = user_env(c.bench_env(work), site)
        query = c.arxiv_id(7, 10)  # has a record and a bundle
        variants = (
            ("bare Textual App, one Static", BARE, [], bare_env),
            ("pith-tui (opens the latest cached record)", PITH, [], env),
            (f"pith-tui {query} (offline)", PITH, [query], offline),
        )
        runs: dict[str, list[float]] = {label: [] for label, *_ in variants}
        details: dict[str, str] = {}
        for attempt in range(args.runs + 1):  # interleaved; the first round warms the OS cache
            for label, script, argv, environment in variants:
                fresh_copy(source, work)
                seconds, details[label] = run_child(script, argv, environment)
                if attempt:
                    runs[label].append(seconds)
        medians = {label: c.median(times) for label, times in runs.items()}
        for label, times in runs.items():
            print(
                f"{label}: median {medians[label] * 1000:.0f} ms "
                f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}, n={len(times)}) "
                f"{details[label]}"
            )
        bare = medians[variants[0][0]]
        for label, *_ in variants[1:]:
            print(f"{label}: {medians[label] / bare:.2f}x bare")

        def median_profile(script: str, runs: int = 5) -> dict[str, float]:
            profiles = []
            for _ in range(runs):
                fresh_copy(source, work)
                profiles.append(import_profile(script, env, []))
            names = {name for profile in profiles for name in profile}
            return {n: c.median([p.get(n, 0.0) for p in profiles]) for n in names}

        mine, theirs = median_profile(PITH), median_profile(BARE)
        print("import time by package (python -X importtime, median of 5 runs each; ms):")
        print(f"  {'package':32s} {'pith-tui':>9s} {'bare':>9s}")
        for name, seconds in sorted(mine.items(), key=lambda kv: -kv[1])[:16]:
            print(f"  {name:32s} {seconds * 1000:9.1f} {theirs.get(name, 0.0) * 1000:9.1f}")
        total, base = sum(mine.values()), sum(theirs.values())
        print(
            f"  {'total':32s} {total * 1000:9.1f} {base * 1000:9.1f}  (pith-tui's own share: "
            f"{(total - base) * 1000:.0f} ms)"
        )
        print(f"load average after: {c.load_average()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(install, ignore_errors=True)


if __name__ == "__main__":
    main()
