"""The one decision every path takes before storing: newer, older, poorer, or other text."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pith_tui.core.model import parse_document
from pith_tui.core.succession import Copy, Relation, judge, judge_paper, what_changed
from pith_tui.core.verify import Status, verify
from pith_tui.core.vocab import Verdict
from tests.signing import make_bundle, make_event, make_record, resign_bundle, restate_bundle
from tests.signing import test_trust as signing_trust


def copy_of(doc: dict[str, Any], verdict: Verdict | None = None) -> Copy:
    """The document as the resolver hands it over: parsed, with the verdict it gets now."""
    model = parse_document(copy.deepcopy(doc))
    return Copy(model, verdict or verify(model, signing_trust()).verdict)


def with_events(bundle: dict[str, Any], events: list[dict[str, Any]], built_at: str) -> dict:
    changed = copy.deepcopy(bundle)
    changed["events"] = events
    changed["built_at"] = built_at
    return restate_bundle(changed)


@pytest.fixture(scope="module")
def bundle() -> dict[str, Any]:
    """A bundle with a correction and an author attestation, built 2026-06-05."""
    return make_bundle("2405.00001", extra_events=("correction", "author_attestation"))


def test_nothing_cached_is_new_and_the_same_document_is_the_same(bundle: dict) -> None:
    assert judge(None, copy_of(bundle)).relation is Relation.NEW
    assert judge(copy_of(bundle), copy_of(bundle)).relation is Relation.SAME
    reordered = dict(reversed(list(bundle.items())))  # served in another key order
    assert judge(copy_of(bundle), copy_of(reordered)).relation is Relation.SAME


def test_a_bundle_with_one_more_event_is_newer(bundle: dict) -> None:
    extra = make_event("storage_attestation", bundle["pith_number"], {"n": 1})
    newer = with_events(bundle, [*bundle["events"], extra], "2026-06-06T00:00:00Z")
    verdict = copy_of(newer).verdict
    assert verdict is Verdict.INCOMPLETE or verdict is Verdict.VERIFIED
    judgement = judge(copy_of(bundle), copy_of(newer, Verdict.VERIFIED))
    assert judgement.relation is Relation.NEWER and not judgement.refused


@pytest.mark.parametrize("dropped", ["correction", "author_attestation", "both"])
def test_a_bundle_that_drops_an_event_is_a_rollback(bundle: dict, dropped: str) -> None:
    keep = [
        e
        for e in bundle["events"]
        if dropped not in (e["event_type"], "both")
        or e["event_type"] in ("record_created", "graph_snapshot")
    ]
    older = with_events(bundle, keep, "2026-06-07T00:00:00Z")  # even if it says it is later
    assert copy_of(older).verdict is Verdict.VERIFIED
    judgement = judge(copy_of(bundle), copy_of(older))
    assert judgement.relation is Relation.ROLLBACK and judgement.refused
    count = 2 if dropped == "both" else 1
    assert judgement.why.startswith(f"an older bundle than the one cached (it lacks {count} event")
    for name in ("correction", "author_attestation"):
        assert (name in judgement.why) == (dropped in (name, "both"))


def test_a_bundle_built_earlier_with_the_same_events_is_a_rollback(bundle: dict) -> None:
    earlier = copy.deepcopy(bundle)
    earlier["built_at"] = "2026-06-01T00:00:00Z"
    earlier = resign_bundle(earlier)
    judgement = judge(copy_of(bundle), copy_of(earlier))
    assert judgement.relation is Relation.ROLLBACK
    assert judgement.why == (
        "an older bundle than the one cached (built 2026-06-01 00:00 UTC, the cached one "
        "2026-06-05 02:05 UTC)"
    )
    # ...and the other way round it is newer.
    assert judge(copy_of(earlier), copy_of(bundle)).relation is Relation.NEWER


def test_a_state_that_applies_fewer_events_is_a_rollback(bundle: dict) -> None:
    fewer = copy.deepcopy(bundle)
    fewer["state"]["applied_event_ids"] = fewer["state"]["applied_event_ids"][:-1]
    # Judged as if it verified: the rule holds even where the state check could not run.
    judgement = judge(copy_of(bundle), copy_of(fewer, Verdict.VERIFIED))
    assert judgement.relation is Relation.ROLLBACK
    assert "its state leaves out 1 event the cached state applies" in judgement.why


def test_a_bundle_with_the_same_events_and_time_but_other_content_is_a_text_change(
    bundle: dict,
) -> None:
    other = copy.deepcopy(bundle)
    other["mirror_hints"] = [{"url": "https://mirror.example/"}]
    judgement = judge(copy_of(bundle), copy_of(resign_bundle(other)))
    assert judgement.relation is Relation.TEXT_CHANGED
    assert judgement.changes == ("bundle signature", "mirror hints")


@pytest.fixture(scope="module")
def record() -> dict[str, Any]:
    return make_record("2405.00002", title="Same Hash, Other Words")


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda r: r["paper"].update(authors_text="Mallory"), ("authors",)),
        (lambda r: r["paper"].update(abstract_excerpt="Something else."), ("abstract",)),
        (lambda r: r["verification_status"].update(author_attested=True), ("server claims",)),
        (lambda r: r["inbound_citations"].update(count=99), ("citations",)),
        (
            lambda r: (r["paper"].update(authors_text="M"), r.update(links={"x": "y"})),
            ("authors", "links"),
        ),
        (lambda r: r.update(x_extra=1), ("the field 'x_extra'",)),
    ],
    ids=["authors", "abstract", "claims", "citations", "two", "unknown-field"],
)
def test_the_same_hash_with_other_unsigned_text_is_a_text_change(
    record: dict, edit: Any, words: tuple[str, ...]
) -> None:
    other = copy.deepcopy(record)
    edit(other)
    assert other["canonical_sha256"] == record["canonical_sha256"]
    incoming = copy_of(other)
    assert incoming.verdict is Verdict.VERIFIED  # none of it is signed
    judgement = judge(copy_of(record), incoming)
    assert judgement.relation is Relation.TEXT_CHANGED and not judgement.refused
    assert judgement.changes == words


@pytest.mark.parametrize(
    "edit",
    [
        lambda r: r["paper"].update(submitted_at="1999-01-01T00:00:00Z"),
        lambda r: r["paper"].update(cross_cats=["cs.CR"]),
        lambda r: r["paper"].update(primary_cat="hep-th"),
    ],
    ids=["date", "cross-lists", "primary"],
)
def test_the_same_hash_with_unsigned_text_contradicting_the_signed_record_fails(
    record: dict, edit: Any
) -> None:
    """Dates and categories are signed: the paper block restating them otherwise is not a
    text change to keep as history, it fails paper_fields (so it is never stored)."""
    other = copy.deepcopy(record)
    edit(other)
    report = verify(parse_document(other), signing_trust())
    assert report.verdict is Verdict.FAILED
    assert report.check("paper_fields") is not None
    assert report.check("paper_fields").status is Status.FAIL  # type: ignore[union-attr]


def test_a_record_whose_only_change_is_a_later_update_time_just_replaces(record: dict) -> None:
    later = copy.deepcopy(record)
    later["updated_at"] = "2026-07-01T00:00:00Z"
    assert judge(copy_of(record), copy_of(later)).relation is Relation.NEWER
    earlier = copy.deepcopy(record)
    earlier["updated_at"] = "2026-01-01T00:00:00Z"
    judgement = judge(copy_of(record), copy_of(earlier))
    assert judgement.relation is Relation.ROLLBACK
    assert judgement.why.startswith("an older record than the one cached (updated 2026-01-01")


def test_a_record_that_drops_an_event_is_a_rollback(record: dict) -> None:
    with_event = copy.deepcopy(record)
    with_event["events"] = [make_event("correction", record["pith_number"], {"fix": "typo"})]
    assert copy_of(with_event).verdict is not Verdict.FAILED
    judgement = judge(copy_of(with_event, Verdict.VERIFIED), copy_of(record))
    assert judgement.relation is Relation.ROLLBACK
    assert "lacks 1 event the cached one has: correction" in judgement.why
    # Gaining it is a change of its text (events are listed), not a rollback.
    gained = judge(copy_of(record), copy_of(with_event, Verdict.VERIFIED))
    assert gained.relation is Relation.TEXT_CHANGED and "events" in gained.changes


def test_a_poorer_verdict_never_replaces_and_a_failed_cached_copy_is_repaired(
    record: dict,
) -> None:
    other = copy.deepcopy(record)
    other["paper"]["authors_text"] = "Someone"
    judgement = judge(copy_of(record), copy_of(other, Verdict.INCOMPLETE))
    assert judgement.relation is Relation.POORER and judgement.refused
    assert judgement.why == "a record that is incomplete where the cached one is verified"
    repaired = judge(copy_of(record, Verdict.FAILED), copy_of(other))
    assert repaired.relation is Relation.NEWER


def test_an_arxiv_id_moves_only_to_a_version_no_older() -> None:
    v1 = copy_of(make_record("2405.00003", version=1, title="V"))
    v2 = copy_of(make_record("2405.00003", version=2, title="V"))
    v2_again = copy_of(make_record("2405.00003", version=2, title="V reissued"))
    assert judge_paper(v1, v2).relation is Relation.NEWER
    assert judge_paper(v2, v2_again).relation is Relation.NEWER  # same version: changed upstream
    back = judge_paper(v2, v1)
    assert back.relation is Relation.ROLLBACK and back.refused
    assert back.why == (
        f"version 1 of arXiv:2405.00003, older than the cached version 2 "
        f"({v2.document.pith_number})"
    )
    broken = Copy(v2.document, Verdict.FAILED)
    assert judge_paper(broken, v1).relation is Relation.NEWER


def test_what_changed_names_known_fields_first_and_bounds_the_rest() -> None:
    old: dict[str, Any] = {"paper": {"title": "a"}, "a": 1}
    new: dict[str, Any] = {"paper": {"title": "b"}, **{f"k{i}": i for i in range(9)}}
    assert what_changed(old, new) == (
        "title",
        "the field 'a'",
        "the field 'k0'",
        "the field 'k1'",
        "the field 'k2'",
        "6 more field(s)",
    )
    assert what_changed(old, copy.deepcopy(old)) == ()
