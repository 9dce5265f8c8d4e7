"""Target 2 (app): query typed in the lookup box -> the record's panes settled, p50/p99.

    python benchmarks/bench_app_lookup.py [--lookups 300]

Runs `PithApp` under Textual's `run_test` (headless, 120x40) on a copy of the 2,000-paper
lookup cache (every entry fresh; the HTTP transport raises and counts requests: must be 0).
For each lookup (mixed identifier forms, as in bench_lookup.py) the query is pasted into
the lookup box and the app left idle, then the timer starts and Enter is sent (straight to
the driver, as a terminal would). Two stops per lookup:

- painted: a `call_after_refresh` callback scheduled when `MainScreen.show` has filled
  every pane, i.e. once that frame has been composited;
- **settled** (the target): the first frame after which the app is idle: the lookup worker
  finished, no message queued on the app, the screen or any widget, no widget waiting for a
  layout or a repaint. Work pushed into later frames (table rebuilds, footer refreshes,
  more layouts) is counted.

Each lookup opens a different record than the one shown. Full-screen layouts per lookup are
counted (`Screen._refresh_layout`). Same-run baseline: the core alone (`cached_view`, the
parse and verification a lookup needs) on the same queries. Then `--typed` lookups are typed
a key every 80 ms, each key timed to its echo painted in the box (suggestions are looked up
in a thread after a pause in typing), and Enter timed as above. `--big` runs the same on the
100,000-record cache (offline).

Target: p99 < 50 ms (Enter -> panes settled); key -> echo p99 < 30 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import random
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import _common as c
import bench_lookup

from pith_tui.core.cache import Cache
from pith_tui.core.resolver import Resolver
from pith_tui.tui.app import PithApp
from pith_tui.tui.screens.main_screen import MainScreen

_painted: dict[str, object] = {}


_layouts = [0]


def install_layout_counter() -> None:
    from textual.screen import Screen

    original = Screen._refresh_layout

    def counting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        _layouts[0] += 1
        return original(self, *args, **kwargs)

    Screen._refresh_layout = counting  # type: ignore[method-assign]


def busy(app, screen) -> str | None:  # type: ignore[no-untyped-def]
    """What the app still has to do, or None when it is idle."""
    if any(not w.is_finished for w in app.workers if w.group == "lookup"):
        return "lookup worker"
    if screen._dirty_widgets or screen._layout_widgets:
        return "layout"
    for node in (app, screen, *screen.walk_children(with_self=False)):
        if not node._message_queue.empty():
            return "messages"
        if getattr(node, "_layout_required", False) or getattr(node, "_repaint_required", False):
            return "layout"
    return None


async def settled(app, screen) -> float:  # type: ignore[no-untyped-def]
    """perf_counter() at the first composited frame after which the app is idle."""
    while True:
        stamp = await c.next_frame(screen)
        if busy(app, screen) is None:
            return stamp


def install_hook() -> None:
    """Wrap `MainScreen.show` (sync or async, as the app defines it) to time the paint."""
    original = MainScreen.show

    def after(screen, view) -> None:  # type: ignore[no-untyped-def]
        def painted() -> None:
            _painted["at"] = time.perf_counter()
            _painted["pith_id"] = view.pith_id
            event = _painted.get("event")
            if isinstance(event, asyncio.Event):
                event.set()

        screen.call_after_refresh(painted)

    if inspect.iscoroutinefunction(original):

        async def show(self, view, *, pending=False):  # type: ignore[no-untyped-def]
            await original(self, view, pending=pending)
            after(self, view)

    else:

        def show(self, view, *, pending=False):  # type: ignore[no-untyped-def]
            original(self, view, pending=pending)
            after(self, view)

    MainScreen.show = show  # type: ignore[method-assign]


async def run(cache_dir: Path, lookups: int, typed: int, offline: bool) -> dict[str, object]:
    """Timings (seconds) of each kind, layouts per lookup, network requests."""
    cache = Cache.open(cache_dir)
    transport = bench_lookup.NoNetwork()
    resolver = Resolver(
        cache,
        c.bench_trust(),
        base_url="http://127.0.0.1:9",
        transport=transport,
        offline=offline,
        clock=lambda: c.FIXED_NOW + timedelta(hours=2),
    )
    ids = cache.all_pith_ids()
    arxiv_of = {entry.pith_id: entry.arxiv_id for entry in cache.entries()}
    rng = random.Random(13)
    app = PithApp(resolver)
    event = asyncio.Event()
    _painted["event"] = event
    pasted: list[float] = []
    pasted_painted: list[float] = []
    layouts: list[int] = []
    echoes: list[float] = []
    typed_enter: list[float] = []
    core: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await asyncio.wait_for(event.wait(), 60)  # the start-up record
        screen = app.main_screen
        box = screen.query_one("#lookup")
        shown = _painted["pith_id"]

        async def enter(pid: str, query: str) -> tuple[float, float]:
            """(Enter -> painted, Enter -> settled)."""
            event.clear()
            started = time.perf_counter()
            c.send_key(app, "enter")
            await asyncio.wait_for(event.wait(), 60)
            if _painted["pith_id"] != pid:
                raise SystemExit(f"{query!r} opened {_painted['pith_id']}, not {pid}")
            done = await settled(app, screen)
            return float(_painted["at"]) - started, done - started  # type: ignore[arg-type]

        for index in range(lookups + typed + 10):
            pid = rng.choice([p for p in rng.sample(ids, 3) if p != shown])
            query = rng.choice(bench_lookup.FORMS)(arxiv_of[pid], pid)
            box.focus()
            box.value = ""  # type: ignore[attr-defined]
            await pilot.pause()
            if index < lookups + 10:  # pasted: the whole query at once, then Enter
                box.value = query  # type: ignore[attr-defined]
                await pilot.pause()
                await pilot.pause()
                await settled(app, screen)
                before = _layouts[0]
                painted, done = await enter(pid, query)
                if index >= 10:  # the first 10 are a warm-up
                    pasted.append(done)
                    pasted_painted.append(painted)
                    layouts.append(_layouts[0] - before)
                    began = time.perf_counter()
                    resolver.cached_view(query)  # the same-run baseline: the core alone
                    core.append(time.perf_counter() - began)
            else:  # typed: a key every 80 ms (a fast typist), each echo timed
                for end in range(1, len(query) + 1):
                    started = time.perf_counter()
                    c.send_key(app, query[end - 1])
                    await c.until(lambda e=end, q=query: box.value == q[:e])  # type: ignore[attr-defined]
                    echoes.append(await c.next_frame(screen) - started)
                    await asyncio.sleep(max(0.0, 0.08 - (time.perf_counter() - started)))
                await pilot.pause()
                typed_enter.append((await enter(pid, query))[1])
            shown = pid
    cache.close()
    return {
        "settled": pasted,
        "painted": pasted_painted,
        "layouts": layouts,
        "core": core,
        "echoes": echoes,
        "typed": typed_enter,
        "requests": transport.requests,
    }


async def bare_echoes(keys: int) -> list[float]:
    """The same-run baseline for key -> echo: a bare Textual app with one `Input`, the
    same keys sent the same way, 80 ms apart."""
    from textual.app import App, ComposeResult
    from textual.widgets import Input

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Input()

    app = Bare()
    times: list[float] = []
    text = ("2406.00123 pith:ABCDEFGH " * (keys // 25 + 1))[:keys]
    async with app.run_test(size=(120, 40)) as pilot:
        box = app.query_one(Input)
        box.focus()
        await pilot.pause()
        for index, char in enumerate(text):
            started = time.perf_counter()
            c.send_key(app, char)
            await c.until(lambda e=index: box.value == text[: e + 1])
            times.append(await c.next_frame(app.screen) - started)
            await asyncio.sleep(max(0.0, 0.08 - (time.perf_counter() - started)))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=300, help="pasted lookups")
    parser.add_argument("--typed", type=int, default=30, help="lookups typed key by key")
    parser.add_argument(
        "--big", action="store_true", help="use the 100,000-record cache (offline; a copy)"
    )
    args = parser.parse_args()
    if args.big:
        import bench_big_cache

        source = c.dataset("records-100000", bench_big_cache.build(100_000))
    else:
        source = c.dataset("lookup-2000", bench_lookup.build(2000))
    print(c.machine_line())
    work = Path(tempfile.mkdtemp(prefix="pith-bench-app-"))
    try:
        for name in ("cache.sqlite3", "cache.sqlite3-wal", "cache.sqlite3-shm"):
            if (source / name).exists():
                shutil.copy2(source / name, work / name)
        install_hook()
        install_layout_counter()
        result = asyncio.run(run(work, args.lookups, args.typed, offline=args.big))
        layouts = result["layouts"]
        assert isinstance(layouts, list)
        print(f"cache: {source.name}{' (offline)' if args.big else ''}")
        print(f"pasted query, Enter -> panes SETTLED: {c.summary_ms(result['settled'])}")  # type: ignore[arg-type]
        print(
            f"pasted query, Enter -> panes painted (first frame): {c.summary_ms(result['painted'])}"
        )  # type: ignore[arg-type]
        print(f"same run, core alone (cached_view: parse + verify): {c.summary_ms(result['core'])}")  # type: ignore[arg-type]
        print(
            f"full-screen layouts per lookup: mean {sum(layouts) / max(1, len(layouts)):.1f}, "
            f"max {max(layouts, default=0)}"
        )
        print(
            f"typed query, each key -> letter painted (keys 80 ms apart): {c.summary_ms(result['echoes'])}"
        )  # type: ignore[arg-type]
        print(f"typed query, Enter -> panes settled: {c.summary_ms(result['typed'])}")  # type: ignore[arg-type]
        bare = asyncio.run(bare_echoes(200))
        print(
            f"same run, bare Textual app with one Input, key -> letter painted: {c.summary_ms(bare)}"
        )
        print(f"network requests attempted: {result['requests']} (must be 0)")
        print(f"load average after: {c.load_average()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
