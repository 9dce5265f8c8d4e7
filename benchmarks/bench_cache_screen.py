"""Target 4 (app): the cache review screen over 100,000 cached records.

    python benchmarks/bench_cache_screen.py [--records 100000]

Runs `PithApp` under Textual's `run_test` (headless, 120x40) on the big dataset of
bench_big_cache.py (read only: nothing here writes to it), in its own process so that its
peak RSS is the app's. Timed with `call_after_refresh` callbacks, i.e. to the composited frame:

- open: `app.action_cache()` -> the first frame of `CacheScreen` with its rows (the counts
  of failed records etc. arrive later from a worker: reported separately);
- filter keystrokes, typed one letter at a time and each left to settle: the key -> the
  letter painted in the filter box (echo), and the key -> the filtered list painted (this
  includes the screen's own 0.1 s debounce, which is subtracted in "work after debounce");
- scrolling the list: `pagedown` x 40 from the top (each -> the frame; a page not yet
  loaded is drawn as a placeholder and filled by a worker: "rows filled" waits for it),
  then `end` (the last page, the deepest OFFSET);
- peak RSS (`resource.getrusage`, ru_maxrss) of the whole process; with `--tracemalloc`
  also the Python heap peak while the screen is open (tracemalloc slows every figure down,
  so the timings of such a run are not the ones to quote).

Targets (issue #6): open < 1 s; each filter keystroke < 100 ms; scrolling without stalls;
peak memory < 250 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
import tracemalloc

import _common as c
import bench_big_cache

from pith_tui.core.cache import Cache
from pith_tui.core.resolver import Resolver
from pith_tui.tui.app import PithApp

TYPED = ("neural", "tao", "2407.0")


async def run(folder, records: int, trace: bool) -> None:  # type: ignore[no-untyped-def]
    from pith_tui.tui.screens.cache_screen import CacheScreen
    from pith_tui.tui.widgets.cache_table import CacheTable

    cache = Cache.open(folder)
    resolver = Resolver(cache, c.bench_trust(), base_url="http://127.0.0.1:9", offline=True)
    app = PithApp(resolver)
    async with app.run_test(size=(120, 40)) as pilot:
        await c.until(lambda: app.main_screen.view is not None)
        await pilot.pause()
        if trace:
            tracemalloc.start()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        started = time.perf_counter()
        app.action_cache()
        await c.until(lambda: isinstance(app.screen, CacheScreen) and app.screen.is_mounted)
        screen = app.screen
        table = screen.query_one(CacheTable)
        await c.until(lambda: table.row_count == records and table.entry_at(0) is not None)
        opened = await c.next_frame(screen) - started
        await c.until(lambda: screen.failed is not None)
        stats = time.perf_counter() - started
        print(
            f"open the cache screen ({records:,} records): first frame with rows {opened * 1000:.0f} ms; "
            f"failed-count stats ready {stats * 1000:.0f} ms"
        )

        box = screen.query_one("#cache-filter")
        box.focus()
        await pilot.pause()
        echoes, lists, slowest = [], [], (0.0, "")
        for phrase in TYPED:
            box.value = ""  # type: ignore[attr-defined]
            await c.until(lambda: table.query_spec.filter_text == "" and table.row_count == records)
            await pilot.pause(0.3)
            for char in phrase:
                text = box.value + char  # type: ignore[attr-defined]
                started = time.perf_counter()
                c.send_key(app, char)
                await c.until(lambda t=text: box.value == t)  # type: ignore[attr-defined]
                echo = await c.next_frame(screen) - started
                await c.until(lambda t=text: table.query_spec.filter_text == t)
                listed = await c.next_frame(screen) - started
                echoes.append(echo)
                lists.append(listed)
                slowest = max(slowest, (listed, f"{text!r} ({table.row_count:,} matches)"))
                await pilot.pause(0.05)
        debounce = 0.1
        print(f"filter keystroke -> letter painted: {c.summary_ms(echoes)}")
        print(
            f"filter keystroke -> filtered list painted (incl. 0.1 s debounce): {c.summary_ms(lists)}"
        )
        print(
            f"  work after the debounce: {c.summary_ms([x - debounce for x in lists])}; slowest {slowest[1]}"
        )

        box.value = ""  # type: ignore[attr-defined]
        await c.until(lambda: table.query_spec.filter_text == "" and table.row_count == records)
        table.focus()
        await pilot.pause(0.3)
        frames_ms, filled_ms = [], []
        for _ in range(40):
            row = table.cursor_row
            started = time.perf_counter()
            c.send_key(app, "pagedown")
            await c.until(lambda r=row: table.cursor_row != r)
            frames_ms.append(await c.next_frame(screen) - started)
            await c.until(lambda: table.entry_at(table.cursor_row) is not None)
            filled_ms.append(await c.next_frame(screen) - started)
        print(f"pagedown x40 -> frame: {c.summary_ms(frames_ms)}")
        print(f"pagedown x40 -> rows filled (page loaded by the worker): {c.summary_ms(filled_ms)}")
        started = time.perf_counter()
        c.send_key(app, "end")
        await c.until(lambda: table.cursor_row == records - 1)
        first = await c.next_frame(screen) - started
        await c.until(lambda: table.entry_at(table.cursor_row) is not None)
        filled = await c.next_frame(screen) - started
        print(
            f"end (row {records:,}) -> frame {first * 1000:.1f} ms, rows filled {filled * 1000:.1f} ms"
        )
        print(f"rows held in memory by the table: {table.materialised_rows}")

        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"peak RSS of the app process: {rss:.0f} MB (before opening the screen: {rss_before:.0f} MB)"
        )
        if trace:
            _current, peak_heap = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(
                f"Python heap peak while the screen was open (tracemalloc): {peak_heap / 1e6:.1f} MB"
            )
    cache.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--tracemalloc", action="store_true", help="also the Python heap peak")
    args = parser.parse_args()
    folder = c.dataset(f"records-{args.records}", bench_big_cache.build(args.records))
    print(c.machine_line())
    asyncio.run(run(folder, args.records, args.tracemalloc))
    print(f"load average after: {c.load_average()}")


if __name__ == "__main__":
    main()
