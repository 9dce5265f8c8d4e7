# ruff: noqa: F811 - the fixtures of test_resolver, imported, are parameters here
"""The cache listing's verdict is that of the latest verification of the cached documents:
written when a record is loaded from the cache, fetched (200 or 304), imported or re-verified,
and left alone when a fetched copy failed and was not stored."""

from __future__ import annotations

import sqlite3

from pith_tui.core.resolver import Resolver
from pith_tui.core.reverify import reverify_cache
from pith_tui.core.verify import Verdict
from tests import signing
from tests.signing import make_bundle, make_record
from tests.test_resolver import (  # noqa: F401 - its fixtures
    Build,
    Clock,
    FakePith,
    break_signature,
    clock,
    make_resolver,
    server,
)


def listed(resolver: Resolver, pith_id: str) -> str:
    entry = resolver.cache.entry(pith_id)
    assert entry is not None
    return entry.verdict


def write_raw(resolver: Resolver, pith_id: str, kind: str, raw: bytes) -> None:
    """Change the stored bytes on disk, as a damaged disk or an attacker would."""
    with sqlite3.connect(resolver.cache.path) as connection:
        connection.execute(
            "UPDATE documents SET raw = ? WHERE pith_id = ? AND kind = ?", (raw, pith_id, kind)
        )
    connection.close()


async def test_loading_from_the_cache_records_failed_then_verified(
    make_resolver: Build, server: FakePith
) -> None:
    pith_id = server.publish(make_record("2403.00101"), make_bundle("2403.00101"))
    resolver = make_resolver(server)
    assert (await resolver.resolve(pith_id)).verdict is Verdict.VERIFIED
    assert listed(resolver, pith_id) == "verified"
    good = resolver.cache.get(pith_id, "record")
    assert good is not None

    write_raw(resolver, pith_id, "record", good.raw.replace(b"2403.00101", b"2403.00199"))
    assert resolver.load_cached(pith_id).verdict is Verdict.FAILED
    assert listed(resolver, pith_id) == "failed"

    write_raw(resolver, pith_id, "record", good.raw)  # repaired
    assert resolver.load_cached(pith_id).verdict is Verdict.VERIFIED
    assert listed(resolver, pith_id) == "verified"  # not "failed" for ever


async def test_a_revalidation_304_records_the_verdict(
    make_resolver: Build, server: FakePith, clock: Clock
) -> None:
    pith_id = server.publish(make_record("2403.00102"), etag='"v1"')
    resolver = make_resolver(server)
    await resolver.resolve(pith_id)
    resolver.cache.set_verdict(pith_id, "failed")  # an earlier verification failed
    clock.advance(hours=25)
    server.requests.clear()
    view = await resolver.resolve(pith_id)
    assert any(r.headers.get("If-None-Match") == '"v1"' for r in server.requests)
    assert (view.source, view.verdict) == ("network", Verdict.VERIFIED)
    assert listed(resolver, pith_id) == "verified"


async def test_a_failed_answer_that_was_not_stored_leaves_the_cached_copy_verdict(
    make_resolver: Build, server: FakePith
) -> None:
    record = make_record("2403.00103")
    pith_id = server.publish(record)
    resolver = make_resolver(server)
    await resolver.resolve(pith_id)
    server.publish(break_signature(record))
    view = await resolver.resolve(pith_id, refresh=True)
    assert view.verdict is Verdict.FAILED
    assert listed(resolver, pith_id) == "verified"  # the cache holds the good copy still


async def test_a_record_and_bundle_are_listed_with_their_combined_verdict(
    make_resolver: Build, server: FakePith
) -> None:
    """The bundle of an unpinned key is incomplete while the record verifies: the listing
    says what the view says, not the verdict of the last document stored."""
    pith_id = server.publish(make_record("2403.00104"), make_bundle("2403.00104"))
    resolver = make_resolver(server)
    view = await resolver.resolve(pith_id)
    assert listed(resolver, pith_id) == view.verdict.value


async def test_reverify_records_the_new_verdict_both_ways(
    make_resolver: Build, server: FakePith
) -> None:
    pith_id = server.publish(make_record("2403.00105"))
    resolver = make_resolver(server)
    await resolver.resolve(pith_id)
    good = resolver.cache.get(pith_id, "record")
    assert good is not None

    write_raw(resolver, pith_id, "record", good.raw.replace(b"2403.00105", b"2403.00195"))
    reverify_cache(resolver.cache, signing.test_trust(), now=resolver.now(), workers=1)
    assert listed(resolver, pith_id) == "failed"

    write_raw(resolver, pith_id, "record", good.raw)
    reverify_cache(resolver.cache, signing.test_trust(), now=resolver.now(), workers=1)
    assert listed(resolver, pith_id) == "verified"
