"""Rollback and silent replacement (issue #10 §1): the cache never loses what it knew.

Every case is a pair of validly signed documents of one paper: the one cached first, and the
one a mirror serves (or a file brings) later. Each is driven through a real loopback mirror
(`tests/mirror_server.py`: a refresh, a stale entry's revalidation, and the CLI human and
--json on a stale cache) and through `cache import`:

- an older or poorer document (a bundle that drops an event or is a strict subset, one built
  earlier, a record that drops an event or was updated earlier, an incomplete copy of a
  verified one, an older version of the paper for its arXiv id) is refused: the cached
  copy stays current, the view shows it, and the user is told in words;
- a copy with the same signed hash but other unsigned text is stored, the earlier copy kept
  in the text history, and the view says "the server's text changed since <time>: ...";
- a newer document (more events, built later) replaces the cached one (the controls).

Accounting: data lost = the cached copy is no longer current (or, for a text change, the
earlier copy is not kept); false verification = the view presents the older document.
"""

from __future__ import annotations

import asyncio
import copy
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from pith_tui.core import client, urls
from pith_tui.core.cache import Cache
from pith_tui.core.resolver import Resolver, verify_bytes
from pith_tui.core.verify import Verdict
from tests.adversarial.conftest import Robustness
from tests.adversarial.harness import attempt_async, run_cli
from tests.mirror_server import MirrorServer
from tests.signing import (
    EXTRA_EVENT_TYPES,
    dumps,
    make_bundle,
    make_event,
    make_record,
    resign_bundle,
    restate_bundle,
)
from tests.signing import test_trust as signing_trust

REFUSED, TEXT, NEWER = "refused", "text-changed", "newer"
NOW = datetime.now(timezone.utc)


@dataclass(frozen=True)
class RollbackCase:
    """`cached` is stored first; then `served` arrives. `query` is what the user looks up."""

    id: str
    cached: dict[str, Any]
    served: dict[str, Any]
    expect: str
    words: tuple[str, ...]  # in the refusal or the text note
    query: str = ""
    extra: tuple[dict[str, Any], ...] = field(default=())  # also on the mirror (a record)

    @property
    def kind(self) -> str:
        return "bundle" if "bundle_type" in self.served else "record"

    @property
    def pith_id(self) -> str:
        return str(self.cached["pith_number"]).rsplit(":", 1)[-1]


def _bundle_without(bundle: dict[str, Any], drop: set[str], built_at: str = "") -> dict[str, Any]:
    older = copy.deepcopy(bundle)
    older["events"] = [e for e in older["events"] if e["event_type"] not in drop]
    if built_at:
        older["built_at"] = built_at
    return restate_bundle(older)


def _rebuilt(bundle: dict[str, Any], built_at: str) -> dict[str, Any]:
    other = copy.deepcopy(bundle)
    other["built_at"] = built_at
    return resign_bundle(other)


def _with(record: dict[str, Any], edit: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    other = copy.deepcopy(record)
    edit(other)
    return other


def _cases() -> list[RollbackCase]:
    full = make_bundle("2408.00001", title="Many Events", extra_events=EXTRA_EVENT_TYPES)
    cases = [
        RollbackCase(
            f"bundle-drops-{name}",
            full,
            _bundle_without(full, {name}, "2026-06-09T00:00:00Z"),
            REFUSED,
            ("older bundle", f"lacks 1 event the cached one has: {name}"),
        )
        for name in EXTRA_EVENT_TYPES
    ]
    cases += [
        RollbackCase(
            "bundle-strict-subset",
            full,
            _bundle_without(full, set(EXTRA_EVENT_TYPES)),
            REFUSED,
            ("older bundle", f"lacks {len(EXTRA_EVENT_TYPES)} events"),
        ),
        RollbackCase(
            "bundle-drops-graph-snapshot",
            full,
            _bundle_without(full, {"graph_snapshot"}),
            REFUSED,
            ("older bundle", "graph_snapshot"),
        ),
    ]
    for label, built in (
        ("1s", "2026-06-05T02:05:10Z"),
        ("1d", "2026-06-04T02:05:11Z"),
        ("1y", "2025-06-05T02:05:11Z"),
    ):
        cases.append(
            RollbackCase(
                f"bundle-built-earlier-{label}",
                full,
                _rebuilt(full, built),
                REFUSED,
                ("older bundle", f"built {built[:10]}"),
            )
        )
    more = copy.deepcopy(full)
    more["events"].append(make_event("correction", full["pith_number"], {"fix": "again"}))
    cases.append(
        RollbackCase(
            "bundle-more-events-but-built-earlier",
            full,
            restate_bundle({**more, "built_at": "2026-01-01T00:00:00Z"}),
            REFUSED,
            ("older bundle", "built 2026-01-01"),
        )
    )
    weird = copy.deepcopy(full)
    weird["events"].append(make_event("weird_new_type", full["pith_number"], {"a": 1}))
    cases.append(
        RollbackCase(
            "bundle-incomplete-over-verified",
            full,
            restate_bundle({**weird, "built_at": "2026-07-01T00:00:00Z"}),
            REFUSED,
            ("bundle that is incomplete where the cached one is verified",),
        )
    )
    cases += [
        RollbackCase(
            "control-bundle-one-more-event",
            full,
            restate_bundle({**more, "built_at": "2026-07-01T00:00:00Z"}),
            NEWER,
            (),
        ),
        RollbackCase(
            "control-bundle-rebuilt-later", full, _rebuilt(full, "2026-07-01T00:00:00Z"), NEWER, ()
        ),
    ]

    record = make_record("2408.00002", title="Stable Words", authors="Ada Lovelace")
    with_event = _with(
        record,
        lambda r: r.update(events=[make_event("correction", r["pith_number"], {"fix": 1})]),
    )
    cases += [
        RollbackCase(
            "record-drops-an-event",
            with_event,
            record,
            REFUSED,
            ("older record", "lacks 1 event the cached one has: correction"),
        ),
        RollbackCase(
            "record-updated-earlier",
            record,
            _with(record, lambda r: r.update(updated_at="2020-01-01T00:00:00Z")),
            REFUSED,
            ("older record", "updated 2020-01-01"),
        ),
        RollbackCase(
            "control-record-updated-later",
            record,
            _with(record, lambda r: r.update(updated_at="2027-01-01T00:00:00Z")),
            NEWER,
            (),
        ),
    ]
    text_edits: list[tuple[str, Callable[[dict[str, Any]], object], str]] = [
        ("authors", lambda r: r["paper"].update(authors_text="Mallory"), "authors"),
        ("abstract", lambda r: r["paper"].update(abstract_excerpt="Other."), "abstract"),
        ("headline", lambda r: r["paper"].update(headline="Breaking"), "headline"),
        # Categories and dates are signed: a paper block that restates them otherwise fails
        # paper_fields, so it is never a mere text change (tests/test_succession.py).
        (
            "claim-attested",
            lambda r: r["verification_status"].update(author_attested=True),
            "server claims",
        ),
        (
            "claim-anchored",
            lambda r: r["verification_status"].update(externally_anchored=True),
            "server claims",
        ),
        (
            "claim-storage",
            lambda r: r["verification_status"].update(storage_verified=True),
            "server claims",
        ),
        ("citation-count", lambda r: r["inbound_citations"].update(count=1000), "citations"),
        (
            "citation-sample",
            lambda r: r["inbound_citations"].update(
                sample=[{"citing_arxiv_id": "2401.00001", "citing_title": "Fake"}]
            ),
            "citations",
        ),
        ("links", lambda r: r.update(links={"pdf": "https://evil.example/x.pdf"}), "links"),
        ("unknown-field", lambda r: r.update(x_note="hello"), "the field 'x_note'"),
    ]
    cases += [
        RollbackCase(f"text-{name}", record, _with(record, edit), TEXT, (word,))
        for name, edit, word in text_edits
    ]

    v2 = make_record("2408.00003", version=2, title="Second Version")
    v1 = make_record("2408.00003", version=1, title="First Version")
    cases.append(
        RollbackCase(
            "paper-older-version",
            v2,
            v1,
            REFUSED,
            ("version 1 of arXiv:2408.00003, older than the cached version 2",),
            query="2408.00003",
        )
    )
    return cases


CASES = _cases()


def _publish(root: Path, doc: dict[str, Any], *, later: bool = False) -> None:
    """Put a document where a static mirror keeps it (a bundle at the record paths too when
    no record is published); `later`: with a modification time the server reports as newer."""
    pith_id = str(doc["pith_number"]).rsplit(":", 1)[-1]
    raw = dumps(doc)
    paths = [urls.record_path(key) for key in (pith_id, doc["source"]["id"])]
    if "bundle_type" in doc:
        paths.append(urls.bundle_path(pith_id))
    for relative in paths:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
        if later:  # Last-Modified has whole seconds: never a 304 for the new bytes
            stamp = path.stat().st_mtime + 10
            os.utime(path, (stamp, stamp))


def _query(case: RollbackCase) -> str:
    return case.query or str(case.cached["pith_number"])


def _check_view(case: RollbackCase, view: Any) -> list[str]:
    """What a view after the served document must show; problems in words."""
    problems = []
    notes = " | ".join(view.notes)
    shown = view.bundle if case.kind == "bundle" else view.record
    if case.expect == REFUSED:
        if case.id == "paper-older-version":
            if view.pith_id != case.pith_id:
                problems.append(f"the view shows {view.pith_number}, not the cached newer version")
        elif shown is None or shown.raw != case.cached:
            problems.append("the view shows the served document, not the cached one")
        if "kept the cached one" not in notes:
            problems.append(f"the user is not told: {notes!r}")
    elif case.expect == TEXT:
        if shown is None or shown.raw != case.served:
            problems.append("the view does not show the server's current text")
        if "the server's text changed since" not in notes:
            problems.append(f"the text change is not said: {notes!r}")
    elif shown is None or shown.raw != case.served:
        problems.append("a newer document did not replace the cached one")
    for word in case.words:
        if word not in notes:
            problems.append(f"the notes lack {word!r}: {notes!r}")
    return problems


def _check_cache(case: RollbackCase, cache: Cache) -> tuple[list[str], bool]:
    """(problems, data lost) for what the cache holds after the served document."""
    current = cache.get(case.pith_id, case.kind)
    problems: list[str] = []
    lost = False
    if case.expect == REFUSED:
        if (
            current is None
            or verify_bytes(current.raw, signing_trust()).document.raw != case.cached
        ):
            problems.append("the cached document was replaced")
            lost = True
    elif case.expect == TEXT:
        kept = [
            verify_bytes(h.raw, signing_trust()).document.raw
            for h in cache.text_history(case.pith_id)
        ]
        if case.cached not in kept:
            problems.append("the earlier text was not kept")
            lost = True
    return problems, lost


@pytest.fixture(autouse=True)
def _short_retry_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client, "BACKOFF_FIRST_WAIT", 0.01)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@pytest.mark.parametrize("path", ["refresh", "revalidate"])
def test_rollback_through_a_loopback_mirror(
    case: RollbackCase, path: str, robustness: Robustness, tmp_path: Path
) -> None:
    outcome = robustness.case("rollback", case.id, via=f"mirror-{path}", expected=case.expect)
    mirror = tmp_path / "mirror"
    _publish(mirror, case.cached)
    now = [NOW]
    problems: list[str] = []

    async def lookups(url: str) -> None:
        resolver = Resolver(
            Cache.open(tmp_path / "cache"), signing_trust(), base_url=url, clock=lambda: now[0]
        )
        try:
            first = await attempt_async(resolver.resolve(_query(case)))
            assert first.error is None and first.value.verdict is Verdict.VERIFIED, first.message
            _publish(mirror, case.served, later=True)
            if path == "revalidate":
                now[0] += timedelta(days=2)  # stale: revalidated by the next lookup
            again = await attempt_async(resolver.resolve(_query(case), refresh=path == "refresh"))
            outcome.crashed = again.crashed
            if again.error is not None:
                problems.append(f"the lookup failed: {again.message or again.trace}")
                outcome.got = "error"
                return
            view = again.value
            outcome.got = "verified" if view.verdict is Verdict.VERIFIED else view.verdict.value
            shown = view.bundle if case.kind == "bundle" else view.record
            outcome.false_verified = (
                case.expect == REFUSED
                and case.id != "paper-older-version"
                and shown is not None
                and shown.raw == case.served
            )
            problems.extend(_check_view(case, view))
            cache_problems, outcome.data_lost = _check_cache(case, resolver.cache)
            problems.extend(cache_problems)
        finally:
            await resolver.aclose()
            resolver.cache.close()

    with MirrorServer(mirror) as server:
        asyncio.run(lookups(server.url))
    assert not problems, problems


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@pytest.mark.parametrize("as_json", [False, True], ids=["cli", "cli-json"])
def test_rollback_through_the_cli_on_a_stale_cache(
    case: RollbackCase, as_json: bool, robustness: Robustness, tmp_path: Path, pinned: Path
) -> None:
    via = "cli-json" if as_json else "cli"
    outcome = robustness.case("rollback", case.id, via=via, expected=case.expect)
    mirror, cache_dir = tmp_path / "mirror", tmp_path / "cache"
    _publish(mirror, case.cached)
    with MirrorServer(mirror) as server:
        first = run_cli(
            "verify",
            "--json",
            "--base-url",
            server.url,
            "--cache-dir",
            str(cache_dir),
            _query(case),
        )
        assert first.sane and first.code == 0, (first.err, first.trace)
        _publish(mirror, case.served, later=True)
        db = sqlite3.connect(cache_dir / "cache.sqlite3")
        db.execute("UPDATE documents SET fetched_at = '2000-01-01T00:00:00.000000+00:00'")
        db.commit()
        db.close()
        run = run_cli(
            "verify",
            *(["--json"] if as_json else []),
            "--base-url",
            server.url,
            "--cache-dir",
            str(cache_dir),
            _query(case),
        )
    outcome.crashed = not run.sane
    problems = []
    if not run.sane:
        problems.append(f"not sane: {run.err} {run.trace}")
    else:
        if as_json:
            data = run.json()
            notes, verdict = " | ".join(data["notes"]), data["verdict"]
        else:
            notes = " | ".join(
                line.strip()[len("note: ") :] for line in run.out.splitlines() if "note: " in line
            )
            verdict = run.out.strip().splitlines()[-1].strip().removeprefix("=> ").lower()
        outcome.got = verdict
        if run.code != 0 or verdict != "verified":
            problems.append(f"exit {run.code}, verdict {verdict}")
        wanted = {
            REFUSED: "kept the cached one",
            TEXT: "the server's text changed since",
            NEWER: "",
        }[case.expect]
        if wanted not in notes:
            problems.append(f"the user is not told ({wanted!r}): {notes!r}")
        if run.unsafe():
            problems.append(f"unsafe characters: {run.unsafe()[:3]}")
    with Cache.open(cache_dir) as cache:
        cache_problems, outcome.data_lost = _check_cache(case, cache)
    problems += cache_problems
    assert not problems, problems


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rollback_through_cache_import(
    case: RollbackCase, robustness: Robustness, tmp_path: Path, pinned: Path
) -> None:
    outcome = robustness.case("rollback", case.id, via="cache-import", expected=case.expect)
    cache_dir = tmp_path / "cache"
    first, later = tmp_path / "first.json", tmp_path / "later.json"
    first.write_bytes(dumps(case.cached))
    later.write_bytes(dumps(case.served))
    assert run_cli("cache", "--cache-dir", str(cache_dir), "import", str(first)).code == 0
    run = run_cli("cache", "--cache-dir", str(cache_dir), "import", str(later))
    outcome.crashed = not run.sane
    problems = [] if run.sane else [f"not sane: {run.err} {run.trace}"]
    line = run.out.strip()
    if case.expect == REFUSED and case.id != "paper-older-version":
        outcome.got = "not stored" if run.code == 1 else "stored"
        if run.code != 1 or "not stored: it is" not in line or "the cached one is kept" not in line:
            problems.append(f"not refused in words: exit {run.code}: {line!r}")
    elif case.expect == REFUSED:  # stored under its own id; the arXiv id stays with v2
        outcome.got = "stored apart" if "still leads to the cached record" in line else line
        if run.code != 0 or "still leads to the cached record" not in line:
            problems.append(f"exit {run.code}: {line!r}")
    elif case.expect == TEXT:
        outcome.got = "text kept" if "the earlier copy is kept" in line else line
        if run.code != 0 or "its text differs from the cached copy" not in line:
            problems.append(f"exit {run.code}: {line!r}")
    else:
        outcome.got = "stored" if run.code == 0 else "not stored"
        if run.code != 0:
            problems.append(f"a newer document was not stored: {line!r}")
    for word in case.words:
        if case.expect != NEWER and word not in line and case.id != "paper-older-version":
            problems.append(f"the message lacks {word!r}: {line!r}")
    with Cache.open(cache_dir) as cache:
        cache_problems, outcome.data_lost = _check_cache(case, cache)
        if case.id == "paper-older-version":
            from tests.cache_support import lookup

            if lookup(cache, "2408.00003") != case.pith_id:
                problems.append("the arXiv id moved to the older version")
                outcome.data_lost = True
    problems += cache_problems
    assert not problems, problems


def test_there_are_enough_rollback_cases() -> None:
    kinds = {(c.kind, c.expect) for c in CASES}
    assert {("bundle", REFUSED), ("record", REFUSED), ("record", TEXT), ("bundle", NEWER)} <= kinds
    assert len(CASES) >= 30
