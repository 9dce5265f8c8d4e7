"""The paging state of the cache list, tested directly (no Textual, no pilot)."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest

from pith_tui.core.cache import CacheEntry
from pith_tui.core.cache.paging import ListQuery, Paging

WHEN = datetime(2026, 6, 1, tzinfo=timezone.utc)


def entry(row: int, verdict: str = "verified") -> CacheEntry:
    return CacheEntry(
        pith_id=f"ID{row:06d}",
        pith_number=f"pith:2026:ID{row:06d}",
        arxiv_id=None,
        title=f"Title {row}",
        authors="",
        verdict=verdict,
        source="network",
        fetched_at=WHEN,
        has_bundle=False,
        changed_upstream=False,
    )


def rows(first: int, count: int, verdict: str = "verified") -> list[CacheEntry]:
    return [entry(first + i, verdict) for i in range(count)]


def load_all(paging: Paging, total: int) -> list[int]:
    """Run a loader to its end the way the widget's worker does; the pages it read."""
    read: list[int] = []
    assert paging.start_loader()
    while (request := paging.next_request()) is not None:
        read.append(request.page)
        count = max(0, min(request.limit, total - request.offset))
        assert paging.page_loaded(request, rows(request.offset, count))
    return read


def test_first_rows_are_kept_and_rows_map_to_their_entries() -> None:
    paging = Paging(page_size=10, max_pages=3)
    paging.reset(ListQuery("x"), 25, rows(0, 20))
    assert paging.row_count == 25
    assert paging.loaded_pages == [0, 1]
    assert paging.entry_at(0) == entry(0)
    assert paging.entry_at(19) == entry(19)
    assert paging.lookup(20) == (None, False)  # its page is not loaded: to fetch
    assert paging.lookup(25) == (None, True)  # outside the list: nothing to fetch
    assert paging.lookup(-1) == (None, True)


def test_first_rows_not_on_a_page_boundary_or_a_short_middle_page_are_not_kept() -> None:
    paging = Paging(page_size=10, max_pages=3)
    paging.reset(ListQuery(), 100, rows(5, 10), first_row=5)
    assert paging.loaded_pages == []
    paging.reset(ListQuery(), 100, rows(0, 15))  # page 1 short but not the last: dropped
    assert paging.loaded_pages == [0]
    paging.reset(ListQuery(), 15, rows(0, 15))  # page 1 is the last page: kept
    assert paging.loaded_pages == [0, 1]


@pytest.mark.parametrize(
    ("count", "row", "clamped"),
    [(0, 5, 0), (0, -3, 0), (10, -1, 0), (10, 9, 9), (10, 10, 9), (10, 10_000, 9)],
)
def test_the_cursor_is_clamped_into_the_list(count: int, row: int, clamped: int) -> None:
    paging = Paging(page_size=4)
    paging.reset(ListQuery(), count)
    assert paging.clamp(row) == clamped


def test_pages_on_screen_are_fetched_first_and_far_ones_not_at_all() -> None:
    paging = Paging(page_size=10, max_pages=8)
    paging.reset(ListQuery(), 1000)
    paging.set_viewport(top=50, visible_rows=20)  # rows 50..70: pages 5, 6, 7
    for row in (0, 85, 71, 55, 62, 500):  # 0 and 500 scrolled far away meanwhile
        paging.want(row)
    assert load_all(paging, 1000) == [5, 6, 7, 8]  # on screen in order, then the near one
    assert paging.loaded_pages == [5, 6, 7, 8]
    assert not paging.start_loader()  # nothing left wanted


def test_want_says_when_a_loader_must_be_started() -> None:
    paging = Paging(page_size=10)
    paging.reset(ListQuery(), 100)
    assert paging.want(0)  # no loader runs
    assert not paging.want(1000)  # outside the list
    assert paging.start_loader()
    assert not paging.want(10)  # the running loader will take it
    assert not paging.start_loader()  # only one loader
    assert paging.loader_stopped()  # stopped early (cancelled): pages still wanted
    assert paging.start_loader()


def test_the_lru_holds_at_most_max_pages() -> None:
    paging = Paging(page_size=10, max_pages=3)
    paging.reset(ListQuery(), 1000)
    for top in range(0, 600, 100):
        paging.set_viewport(top, 5)
        paging.want(top)
        load_all(paging, 1000)
        assert len(paging.loaded_pages) <= 3
        assert paging.materialised_rows <= 30
    assert paging.loaded_pages == [30, 40, 50]
    paging.lookup(300)  # a read makes a page recent
    paging.set_viewport(600, 5)
    paging.want(600)
    load_all(paging, 1000)
    assert paging.loaded_pages == [30, 50, 60]


def test_a_new_query_makes_pages_in_flight_stale() -> None:
    paging = Paging(page_size=10)
    paging.reset(ListQuery("old"), 100)
    paging.want(0)
    assert paging.start_loader()
    request = paging.next_request()
    assert request is not None and request.query == ListQuery("old")
    paging.reset(ListQuery("new"), 3)  # typed meanwhile
    assert not paging.page_loaded(request, rows(0, 10))
    assert paging.loaded_pages == []
    assert paging.row_count == 3 and paging.query == ListQuery("new")


def test_a_reload_keeps_the_screenful_drawn_until_fresh_pages_arrive() -> None:
    paging = Paging(page_size=10, max_pages=4)
    paging.reset(ListQuery(), 100, rows(0, 40, "failed"))
    paging.set_viewport(top=0, visible_rows=15)  # pages 0 and 1 on screen
    paging.reload()
    assert paging.loaded_pages == []
    assert paging.lookup(3) == (entry(3, "failed"), False)  # stale: drawn, and to fetch
    assert paging.lookup(35) == (None, False)  # off screen: dropped
    assert paging.materialised_rows == 20
    paging.want(3)
    assert paging.start_loader()
    request = paging.next_request()
    assert request is not None
    assert paging.page_loaded(request, rows(0, 10, "verified"))
    assert paging.lookup(3) == (entry(3, "verified"), True)
    assert paging.materialised_rows == 20  # page 0 fresh, page 1 still stale


def test_concurrent_readers_and_a_loader_agree() -> None:
    """The widget's thread loads pages while the UI thread draws rows."""
    paging = Paging(page_size=10, max_pages=4)
    paging.reset(ListQuery(), 10_000)
    errors: list[BaseException] = []

    def draw() -> None:
        try:
            for i in range(2000):
                top = (i * 37) % 9_990
                paging.set_viewport(top, 10)
                found, _fresh = paging.lookup(top)
                if found is not None:
                    assert found == entry(top)
                paging.want(top)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=draw) for _ in range(2)]
    for thread in threads:
        thread.start()
    for _ in range(200):
        if paging.start_loader():
            while (request := paging.next_request()) is not None:
                paging.page_loaded(request, rows(request.offset, request.limit))
    for thread in threads:
        thread.join()
    assert not errors
    assert len(paging.loaded_pages) <= 4


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError):
        Paging(page_size=0)
    with pytest.raises(ValueError):
        Paging(max_pages=0)


def test_an_exact_count_keeps_the_pages_and_drops_those_past_the_end() -> None:
    paging = Paging(page_size=10)
    paging.reset(ListQuery("sgd"), 10_000, rows(0, 30))  # a capped count: "10,000+"
    generation = paging.generation
    paging.set_count(25_000)
    assert (paging.row_count, paging.generation, paging.loaded_pages) == (
        25_000,
        generation,
        [0, 1, 2],
    )
    paging.set_count(12)
    assert paging.loaded_pages == [0, 1]
    assert paging.entry_at(11) == entry(11) and paging.entry_at(12) is None
    paging.set_count(0)
    assert paging.loaded_pages == [] and paging.clamp(3) == 0
