"""Target 4 (app): the cache review screen over 100,000 cached records.

    python benchmarks/bench_cache_screen.py [--records 100000]

Runs `PithApp` under Textual's `run_test` (headless, 120x40) on the big dataset of
bench_big_cache.py (read only: nothing here writes to it), in its own process so that its
peak RSS is the app's. Timed with `call_after_refresh` callbacks, i.e. to the composited frame:

- open: `app.action_cache()` -> the first frame of `CacheScreen` with its rows (the counts
  of failed records etc. arrive later from a worker: reported separately);
- filter keystrokes (>= 100: `bench_big_cache.filter_phrases`, verdict words included),
  typed one letter at a time, each left to settle and followed by `TYPING_GAP`, in the
  screen as it is ("now") and in a baseline of the same screen that counts exactly before
  showing the page ("before", the way it listed until the capped count), interleaved phrase
  by phrase: the key -> the letter painted (echo; its baseline: the same letters typed into
  a screen holding only an `Input`), the screen's 0.1 s debounce firing -> the filtered
  list settled (the page shown, its frame composited, nothing pending: "work"), the key ->
  settled (debounce included), and for counts capped at "10,000+" the debounce -> the
  exact count shown;
- scrolling the list: `pagedown` x 40 from the top (each -> the frame; a page not yet
  loaded is drawn as a placeholder and filled by a worker: "rows filled" waits for it),
  then `end` (the last page, the deepest OFFSET);
- peak RSS (`resource.getrusage`, ru_maxrss) of the whole process; with `--tracemalloc`
  also the Python heap peak while the screen is open (tracemalloc slows every figure down,
  so the timings of such a run are not the ones to quote).

Targets (issue #6, #13 target 4): open < 1 s; each filter keystroke p99 < 100 ms over
>= 100 keystrokes, echo p99 < 30 ms, exact counts after the page; scrolling without
stalls; peak memory < 250 MB.
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

        keystrokes = await filter_keystrokes(app, pilot, cache)
        screen = app.screen
        table = screen.query_one(CacheTable)
        box = screen.query_one("#cache-filter")
        print(
            f"filter keystrokes: {keystrokes['count']} typed letter by letter in the screen, "
            "now and before interleaved phrase by phrase (each letter left to settle)"
        )
        for label, key in (
            ("key -> letter painted (echo)", "echo"),
            ("debounce fired -> list settled", "work"),
            ("key -> list settled (incl. 0.1 s debounce)", "settled"),
        ):
            print(f"  {label}, now:    {c.summary_ms(keystrokes['now'][key])}")
            print(f"  {label}, before: {c.summary_ms(keystrokes['before'][key])}")
        print(
            f"  key -> letter painted, a screen with only an Input (echo baseline): "
            f"{c.summary_ms(keystrokes['bare_echo'])}"
        )
        print(
            f"  p99 work now / before: "
            f"{c.percentile(keystrokes['now']['work'], 99) / c.percentile(keystrokes['before']['work'], 99):.2f}; "
            f"slowest five now: {keystrokes['slowest']}"
        )
        print(
            f"  capped counts ('10,000+'): {len(keystrokes['now']['exact'])} keystrokes; "
            f"debounce fired -> exact count shown: {c.summary_ms(keystrokes['now']['exact'] or [0.0])}"
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


TYPING_GAP = 0.05
"""Idle time before each key (after the previous one settled), in the screen and in the
bare-Input baseline alike: a key sent in the very frame the list settled waits for
Textual's next frame slot (up to 1/60 s and more on a busy machine), which is frame pacing,
not work; a typist's keys are at least this far apart."""


def before_screen_class():  # type: ignore[no-untyped-def]
    """The baseline: the screen as it listed before (the exact count first, then the page)."""
    from textual import work
    from textual.worker import get_current_worker

    from pith_tui.core.cache import Count
    from pith_tui.tui.screens.cache_screen import CacheScreen
    from pith_tui.tui.widgets.cache_table import CacheTable

    class ExactCountFirst(CacheScreen):
        @work(thread=True, exclusive=True, group="cache-list", exit_on_error=False)
        def _run_list_query(self, generation, query, cursor_row):  # type: ignore[no-untyped-def]
            worker = get_current_worker()
            count = self.cache.count(query.filter_text)
            rows = self.cache.entries(
                filter_text=query.filter_text,
                sort=query.sort,
                descending=query.descending,
                limit=CacheTable.PAGE_SIZE,
            )
            if not worker.is_cancelled:
                self._from_thread(self._list_ready, generation, query, Count(count), rows, 0, 0)

    return ExactCountFirst


async def filter_keystrokes(app, pilot, cache):  # type: ignore[no-untyped-def]
    """Type every phrase of `bench_big_cache.filter_phrases` letter by letter, in the screen
    as it is ("now") and in the baseline ("before"), alternating which goes first."""
    from pith_tui.tui.screens.cache_screen import CacheScreen
    from pith_tui.tui.widgets.cache_table import CacheTable

    fired: list[float] = []
    original_apply = CacheScreen._apply_filter

    def timed_apply(self):  # type: ignore[no-untyped-def]
        fired.append(time.perf_counter())
        return original_apply(self)

    CacheScreen._apply_filter = timed_apply  # type: ignore[method-assign]
    variants = {"now": CacheScreen, "before": before_screen_class()}
    results = {name: {"echo": [], "work": [], "settled": [], "exact": []} for name in variants}
    bare_echo: list[float] = []
    slowest: list[tuple[float, str]] = []
    count = 0
    phrases = bench_big_cache.filter_phrases(cache)
    for index, phrase in enumerate(phrases):
        order = ("now", "before") if index % 2 else ("before", "now")
        for name in order:
            screen = variants[name](app.resolver)
            await app.push_screen(screen)
            table = screen.query_one(CacheTable)
            await c.until(lambda t=table: t.row_count > 0 and t.entry_at(0) is not None)
            box = screen.query_one("#cache-filter")
            box.focus()
            await pilot.pause()
            for end in range(1, len(phrase) + 1):
                text = phrase[:end]
                fired.clear()
                await pilot.pause(TYPING_GAP)
                started = time.perf_counter()
                c.send_key(app, "space" if text[-1] == " " else text[-1])
                await c.until(lambda t=text, b=box: b.value == t)
                echo = await c.next_frame(screen) - started
                await c.until(
                    lambda t=text, s=screen, tb=table: (
                        tb.query_spec.filter_text == t
                        and s.query_spec.filter_text == t
                        and (tb.row_count == 0 or tb.entry_at(tb.cursor_row) is not None)
                    )
                )
                done = await c.next_frame(screen)
                capped = screen.matching.capped
                if capped:
                    await c.until(lambda s=screen: not s.matching.capped)
                    exact_done = await c.next_frame(screen)
                debounce_fired = fired[-1] if fired else started
                results[name]["echo"].append(echo)
                results[name]["work"].append(done - debounce_fired)
                results[name]["settled"].append(done - started)
                if capped:
                    results[name]["exact"].append(exact_done - debounce_fired)
                if name == "now":
                    count += 1
                    slowest.append((done - debounce_fired, f"{text!r} ({screen.matching})"))
            app.pop_screen()
            await pilot.pause()
        bare_echo += await bare_input_echo(app, pilot, phrase)
    CacheScreen._apply_filter = original_apply  # type: ignore[method-assign]
    worst = ", ".join(f"{text} {seconds * 1000:.0f} ms" for seconds, text in sorted(slowest)[-5:])
    return {**results, "count": count, "slowest": worst, "bare_echo": bare_echo}


async def bare_input_echo(app, pilot, phrase: str) -> list[float]:  # type: ignore[no-untyped-def]
    """The echo baseline: the same letters typed into a screen holding only an `Input`."""
    from textual.screen import Screen
    from textual.widgets import Input

    class BareInput(Screen[None]):
        def compose(self):  # type: ignore[no-untyped-def]
            yield Input()

    screen = BareInput()
    await app.push_screen(screen)
    box = screen.query_one(Input)
    box.focus()
    await pilot.pause()
    echoes = []
    for end in range(1, len(phrase) + 1):
        text = phrase[:end]
        started = time.perf_counter()
        c.send_key(app, "space" if text[-1] == " " else text[-1])
        await c.until(lambda t=text: box.value == t)
        echoes.append(await c.next_frame(screen) - started)
        await pilot.pause(TYPING_GAP)
    app.pop_screen()
    await pilot.pause()
    return echoes


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
