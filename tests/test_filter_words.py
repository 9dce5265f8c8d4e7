"""The filter grammar of the cache listing (`verdict:` words and text), and the listing,
counts and capped counts it gives, with and without the full-text index, against a brute
force over the same entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from pith_tui.core.cache import Cache, Count
from pith_tui.core.cache import listing as cache_listing
from pith_tui.core.cache.filter_words import (
    ListingFilter,
    next_verdict,
    parse_filter,
    with_verdict,
)
from tests.test_cache_search import item, two_caches

VERDICT_OF = ("verified", "failed", "incomplete", "unknown", "verified", "verified")
TITLES = ("Label noise SGD", "Large batch training", "Sharp minima", "Entropy SGD")


@pytest.mark.parametrize(
    ("typed", "parsed"),
    [
        ("", ListingFilter()),
        ("label  noise", ListingFilter("label noise")),
        ("verdict:failed", ListingFilter("", ("failed",))),
        ("Verdict:FAILED label", ListingFilter("label", ("failed",))),
        ("verdict:f", ListingFilter("", ("failed",))),  # any unambiguous start
        ("label verdict:", ListingFilter("label")),  # being typed: asks for nothing
        ("verdict:v verdict:i verdict:v", ListingFilter("", ("verified", "incomplete"))),
    ],
)
def test_parse_filter(typed: str, parsed: ListingFilter) -> None:
    assert parse_filter(typed) == parsed


def test_an_unknown_verdict_is_an_error_that_names_the_verdicts() -> None:
    parsed = parse_filter("sgd verdict:bogus")
    assert parsed.text == "sgd"
    assert parsed.error is not None
    assert "bogus" in parsed.error
    assert all(name in parsed.error for name in ("verified", "failed", "incomplete", "unknown"))


def test_with_verdict_replaces_the_verdict_words_and_keeps_the_rest() -> None:
    assert with_verdict("label verdict:failed noise", "verified") == "label noise verdict:verified"
    assert with_verdict("label verdict:failed", None) == "label"
    assert with_verdict("", "failed") == "verdict:failed"


def test_next_verdict_cycles_through_every_verdict_and_back() -> None:
    seen: list[str | None] = []
    text = ""
    for _ in range(5):
        verdict = next_verdict(parse_filter(text))
        seen.append(verdict)
        text = with_verdict(text, verdict)
    assert seen == ["failed", "incomplete", "verified", "unknown", None]
    assert next_verdict(parse_filter("verdict:f verdict:v")) is None
    assert next_verdict(parse_filter("verdict:nope")) is None


def fill(cache: Cache, count: int) -> dict[str, tuple[str, str]]:
    """`count` entries with every verdict; their (stored search text, verdict) by Pith id."""
    items = [item(n, f"{TITLES[n % 4]} {n}", minutes=n) for n in range(count)]
    cache.put_many(items)
    cache.set_verdicts(
        (put.doc.pith_id, VERDICT_OF[n % len(VERDICT_OF)]) for n, put in enumerate(items)
    )
    rows = cache._db.connection.execute("SELECT pith_id, search_text, verdict FROM entries")
    return {pith_id: (text, verdict) for pith_id, text, verdict in rows}


FILTERS = [
    "verdict:failed",
    "verdict:verified",
    "verdict:unknown verdict:incomplete",
    "sgd verdict:failed",
    "sgd verdict:verified",
    "sharp verdict:v",
    "entropy verdict:failed",  # none: entropy rows are never failed
    "verdict:nope",
    "sgd verdict:nope",
    "ba",  # a needle too short for the index
    "ba verdict:failed",
    "",
]


@pytest.mark.parametrize("budget", [cache_listing.FILTER_STEPS, 1000])
def test_verdict_filters_list_and_count_what_a_brute_force_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: int
) -> None:
    """With a tiny VM-step budget every filtered page takes the sorted-candidates path."""
    monkeypatch.setattr(cache_listing, "FILTER_STEPS", budget)
    with two_caches(tmp_path) as caches:
        for cache in caches:
            expected = fill(cache, 600)
            for typed in FILTERS:
                parsed = parse_filter(typed)
                want = sorted(
                    (
                        pith_id
                        for pith_id, (text, verdict) in expected.items()
                        if cache_listing.needle(typed) in text
                        and (not parsed.verdicts or verdict in parsed.verdicts)
                        and not parsed.error
                    ),
                )
                page = cache.entries(filter_text=typed, sort="pith_number", descending=False)
                assert [e.pith_id for e in page] == want, typed
                assert all(not parsed.verdicts or e.verdict in parsed.verdicts for e in page)
                first = cache.entries(filter_text=typed, sort="title", limit=50)
                assert len(first) == min(50, len(want)), typed
                assert cache.count(typed) == len(want), typed
                capped = cache.count_capped(typed, cap=40)
                assert (capped.value, capped.capped) == (
                    (40, True) if len(want) > 40 else (len(want), False)
                ), typed


def test_an_exact_count_nobody_waits_for_is_given_up(tmp_path: Path) -> None:
    with Cache.open(tmp_path / "c") as cache:
        fill(cache, 3000)
        assert cache.count_unless("ab", lambda: False) == cache.count("ab")
        asked: list[int] = []

        def stop() -> bool:
            asked.append(1)
            return True

        assert cache.count_unless("ab", stop) is None
        assert asked  # asked while the pass ran, and it stopped there
        assert cache.count_unless("sgd verdict:failed", lambda: False) == cache.count(
            "sgd verdict:failed"
        )
        assert cache.entries(limit=1)  # the connection is usable after an interruption


def test_text_and_verdict_filters_take_the_cheaper_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rare verdict: its index walks the few rows it keeps. A common one: the text index
    drives and each candidate's verdict is tested - never the verdict index driving a join
    into the text index (1.3 s for 'neural verdict:verified' on 100,000 entries)."""
    from tests.test_perf_regression import _plan, _statements

    monkeypatch.setattr(cache_listing, "VERDICT_WALK", 150)  # failed (100 rows) is rare here
    with Cache.open(tmp_path / "c") as cache:
        assert cache.full_text
        fill(cache, 600)  # verified 1/2, failed 1/6
        rare = _statements(cache, lambda: cache.count_capped("sgd verdict:failed"))
        common = _statements(cache, lambda: cache.count_capped("sgd verdict:verified"))
        assert "USING INDEX entries_by_verdict" in _plan(cache, rare[-1])
        plan = _plan(cache, common[-1])
        assert "VIRTUAL TABLE" in plan and "entries_by_verdict" not in plan, plan
        for typed in ("sgd verdict:failed", "sgd verdict:verified"):
            want = cache.count(typed)
            assert cache.count_capped(typed) == Count(want)
            assert len(cache.entries(filter_text=typed)) == want
