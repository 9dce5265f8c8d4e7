"""The client's merge (`pith-open-graph-merge-v1`) against served states."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pith_tui.core.canonical import canonical_sha256
from pith_tui.core.merge import (
    EVENT_LISTS,
    KNOWN_EVENT_TYPES,
    MERGE_VERSION,
    differences,
    event_links,
    merge,
    state_sha256,
)
from pith_tui.core.model import Bundle, parse_document
from pith_tui.core.verify import Status, Verdict, verify
from tests.conftest import REAL_RECORDS
from tests.signing import (
    EXTRA_EVENT_TYPES,
    make_bundle,
    make_event,
    resign_bundle,
    restate_bundle,
)
from tests.signing import test_trust as trust_with_test_key

NOW = datetime(2026, 6, 10, tzinfo=timezone.utc)


def _real_bundle() -> dict[str, Any]:
    return json.loads(REAL_RECORDS["bundle"].read_bytes())


def _bundle(obj: dict[str, Any]) -> Bundle:
    model = parse_document(obj)
    assert isinstance(model, Bundle)
    return model


def _all_valid(model: Bundle) -> tuple[list[bool], list[str]]:
    return [True] * len(model.events), [""] * len(model.events)


# --- the real bundle --------------------------------------------------------------------------


def test_merge_reproduces_the_served_state_of_the_real_bundle_exactly() -> None:
    raw = _real_bundle()
    model = _bundle(raw)
    result = merge(model, *_all_valid(model))
    assert result.unknown == ()
    assert result.state == raw["state"]  # every field, state_sha256 included
    assert json.dumps(result.state, sort_keys=True) == json.dumps(raw["state"], sort_keys=True)
    assert differences(result.state, raw["state"]) == []


def test_the_real_served_state_hash_is_recomputed() -> None:
    state = _real_bundle()["state"]
    assert state_sha256(state) == state["state_sha256"]
    assert state_sha256({**state, "event_count": 3}) != state["state_sha256"]


def test_verify_returns_the_merged_state() -> None:
    raw = _real_bundle()
    report = verify(_bundle(raw), trust_with_test_key(), now=NOW)
    assert report.computed_state == raw["state"]


def test_the_merged_state_has_the_documented_shape() -> None:
    raw = _real_bundle()
    model = _bundle(raw)
    state = merge(model, *_all_valid(model)).state
    events = raw["events"]
    assert state["merge_version"] == MERGE_VERSION == raw["merge_version"]
    assert state["applied_event_ids"] == [e["event_id"] for e in events]
    assert (state["event_count"], state["valid_event_count"], state["invalid_event_count"]) == (
        2,
        2,
        0,
    )
    assert state["equivocations"] == [] and state["equivocation_count"] == 0
    current = state["current"]
    assert current["canonical_record"] == raw["canonical_record"]
    assert current["source_aliases"] == raw["source_aliases"]
    assert current["record_created"] == {
        "event_id": events[0]["event_id"],
        "target": events[0]["target"],
        "created_at": events[0]["created_at"],
        "signer": events[0]["signer"],
        "payload": events[0]["payload"],
    }
    assert [e["event_id"] for e in current["graph_snapshots"]] == [events[1]["event_id"]]
    for name in set(EVENT_LISTS.values()) - {"graph_snapshots"}:
        assert current[name] == []


# --- generated bundles with every event type ------------------------------------------------


def test_generated_bundle_with_every_event_type_verifies_and_merges() -> None:
    raw = make_bundle(extra_events=EXTRA_EVENT_TYPES)
    model = _bundle(raw)
    assert {e.event_type for e in model.events} == KNOWN_EVENT_TYPES
    report = verify(model, trust_with_test_key(), now=NOW)
    assert all(c.status is Status.PASS for c in report.checks), report.checks
    assert report.verdict is Verdict.VERIFIED
    assert report.computed_state == raw["state"]
    current = report.computed_state["current"]
    for event in raw["events"][2:]:
        entries = current[EVENT_LISTS[event["event_type"]]]
        assert [e["event_id"] for e in entries] == [event["event_id"]]
        assert entries[0]["payload"] == event["payload"]
    assert report.computed_state["valid_event_count"] == len(raw["events"])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(EXTRA_EVENT_TYPES), max_size=6))
def test_any_mix_of_known_event_types_verifies_and_merges(types: list[str]) -> None:
    raw = make_bundle(extra_events=tuple(types))
    report = verify(_bundle(raw), trust_with_test_key(), now=NOW)
    assert report.verdict is Verdict.VERIFIED
    assert report.computed_state == raw["state"]
    for event_type in EXTRA_EVENT_TYPES:
        entries = report.computed_state["current"][EVENT_LISTS[event_type]]
        assert len(entries) == types.count(event_type)


def test_events_of_one_type_keep_bundle_order() -> None:
    raw = make_bundle()
    for second in range(3):
        raw["events"].append(
            make_event(
                "correction",
                raw["pith_number"],
                {"n": second},
                created_at=f"2026-05-2{second}T00:00:00Z",
            )
        )
    raw = restate_bundle(raw)
    state = verify(_bundle(raw), trust_with_test_key(), now=NOW).computed_state
    assert [e["payload"]["n"] for e in state["current"]["corrections"]] == [0, 1, 2]


def test_an_invalid_event_lands_in_invalid_events_and_is_not_applied() -> None:
    raw = json.loads(json.dumps(make_bundle(extra_events=("author_attestation", "mirror_hint"))))
    raw["events"][2]["payload"]["note"] = "tampered"  # not re-signed
    tampered_id = raw["events"][2]["event_id"]
    raw = restate_bundle(raw, valid=[True, True, False, True])
    report = verify(_bundle(raw), trust_with_test_key(), now=NOW)
    state = report.computed_state
    assert [e["event_id"] for e in state["invalid_events"]] == [tampered_id]
    assert state["invalid_events"][0]["reason"]
    assert tampered_id not in state["applied_event_ids"]
    assert state["current"]["author_attestations"] == []
    assert len(state["current"]["mirror_hints"]) == 1
    assert (state["valid_event_count"], state["invalid_event_count"], state["event_count"]) == (
        3,
        1,
        4,
    )
    # the served state computed with valid=[..., False, ...] matches the client's merge
    assert differences(state, raw["state"]) == []
    assert report.check("state_merge").status is Status.PASS
    assert report.check("event_ids").status is Status.FAIL
    served = {k: v for k, v in raw["state"].items() if k != "invalid_events"}
    mine = {k: v for k, v in state.items() if k not in ("invalid_events", "state_sha256")}
    assert mine == {k: v for k, v in served.items() if k != "state_sha256"}


def test_an_unknown_event_type_is_applied_but_reported_as_unknown() -> None:
    raw = make_bundle()
    raw["events"].append(make_event("peer_review", raw["pith_number"], {"score": 5}))
    model = _bundle(restate_bundle(raw))
    result = merge(model, *_all_valid(model))
    assert any("'peer_review'" in reason for reason in result.unknown)
    assert model.events[-1].event_id in result.state["applied_event_ids"]
    report = verify(model, trust_with_test_key(), now=NOW)
    assert report.check("state_merge").status is Status.NOT_CHECKED
    assert report.verdict is Verdict.INCOMPLETE


def test_a_second_record_created_is_reported_as_unknown() -> None:
    raw = make_bundle()
    raw["events"].append(copy.deepcopy(raw["events"][0]) | {"created_at": "2026-06-01T00:00:00Z"})
    model = _bundle(raw)
    result = merge(model, *_all_valid(model))
    assert any("second record_created" in reason for reason in result.unknown)
    assert result.state["current"]["record_created"]["event_id"] == raw["events"][0]["event_id"]


def test_a_bundle_without_record_created_merges_to_none() -> None:
    raw = make_bundle()
    raw["events"] = raw["events"][1:]
    model = _bundle(raw)
    state = merge(model, *_all_valid(model)).state
    assert state["current"]["record_created"] is None
    assert state["current"]["canonical_record"] is None


# --- differences() ----------------------------------------------------------------------------


def test_differences_name_the_fields_that_differ() -> None:
    served = _real_bundle()["state"]
    changed = copy.deepcopy(served)
    changed["valid_event_count"] = 1
    changed["current"]["graph_snapshots"] = []
    changed["extra"] = True
    assert differences(served, changed) == ["extra", "valid_event_count", "current.graph_snapshots"]


def test_differences_ignore_the_state_hash_and_invalid_event_shape() -> None:
    served = _real_bundle()["state"]
    mine = copy.deepcopy(served)
    mine["state_sha256"] = "0" * 64
    mine["invalid_events"] = [{"event_id": "sha256:aa", "reason": "mine"}]
    theirs = copy.deepcopy(served)
    theirs["invalid_events"] = ["sha256:aa"]
    assert differences(mine, theirs) == []
    theirs["invalid_events"] = [{"event_id": "sha256:bb"}]
    assert differences(mine, theirs) == ["invalid_events"]


def test_differences_see_the_order_of_applied_event_ids() -> None:
    served = _real_bundle()["state"]
    swapped = copy.deepcopy(served)
    swapped["applied_event_ids"].reverse()
    assert differences(served, swapped) == ["applied_event_ids"]


@pytest.mark.parametrize(
    "value", [5, 1.5, True, "sha256:aa", None, {"event_id": "x"}, [[1]], [None, 3]]
)
def test_differences_survive_any_served_invalid_events(value: Any) -> None:
    served = _real_bundle()["state"]
    mine = copy.deepcopy(served)
    theirs = {**served, "invalid_events": value}
    assert differences(mine, theirs) == ["invalid_events"]


@pytest.mark.parametrize("current", [None, 5, "x", []])
def test_differences_survive_a_served_current_that_is_not_an_object(current: Any) -> None:
    served = _real_bundle()["state"]
    diffs = differences(served, {**served, "current": current})
    assert "current.graph_snapshots" in diffs


def test_a_served_state_with_garbage_is_a_failed_merge_not_a_crash() -> None:
    raw = make_bundle()
    raw["state"]["invalid_events"] = 7
    raw["state"]["current"] = "nothing"
    raw["state"]["state_sha256"] = state_sha256(raw["state"])
    report = verify(_bundle(resign_bundle(raw)), trust_with_test_key(), now=NOW)
    assert report.check("state_hash").status is Status.PASS
    assert report.check("state_merge").status is Status.FAIL
    assert "invalid_events" in report.check("state_merge").detail


def test_state_sha256_excludes_only_itself() -> None:
    state = {"a": 1, "state_sha256": "x"}
    assert state_sha256(state) == canonical_sha256({"a": 1})


def _events(*edits: dict[str, Any]) -> Bundle:
    bundle = make_bundle(extra_events=("correction", "correction"))
    for index, edit in enumerate(edits):
        bundle["events"][index].update(edit)
    return Bundle.parse(bundle)


def test_event_links_of_the_real_bundle_are_clean() -> None:
    bundle = Bundle.parse(_real_bundle())
    links = event_links(bundle.events, [True, True])
    assert (links.linked, links.dangling, links.equivocations) == (0, (), ())


def test_event_links_name_missing_and_invalid_targets() -> None:
    bundle = _events({}, {}, {"supersedes": ["sha256:gone"]}, {"prev_event": "x"})
    target = bundle.events[1].event_id
    links = event_links(bundle.events, [True, False, True, True])
    assert links.linked == 2
    assert links.dangling == (
        "event 3 (correction) supersedes 'sha256:gone', which is not in the bundle",
        "event 4 (correction) prev_event 'x', which is not in the bundle",
    )
    bundle = _events({}, {}, {"prev_event": target})
    links = event_links(bundle.events, [True, False, True, True])
    assert links.dangling == (f"event 3 (correction) prev_event {target[:15]}…, which is invalid",)
    # links of invalid events are not followed
    assert event_links(bundle.events, [True, False, False, True]).linked == 0


def test_equivocation_needs_one_type_signer_and_time_and_two_payloads() -> None:
    bundle = make_bundle(extra_events=("correction", "correction"))
    same_time = bundle["events"][2]["created_at"]
    bundle["events"][3]["created_at"] = same_time
    parsed = Bundle.parse(bundle)
    links = event_links(parsed.events, [True] * 4)
    assert len(links.equivocations) == 1
    assert "2 correction events by 'pith.science' at " + same_time in links.equivocations[0]
    assert event_links(parsed.events, [True, True, True, False]).equivocations == ()
    bundle["events"][3]["payload"] = bundle["events"][2]["payload"]
    assert event_links(Bundle.parse(bundle).events, [True] * 4).equivocations == ()


def test_a_link_to_an_event_with_an_invalid_duplicate_follows_the_valid_copy() -> None:
    bundle = make_bundle(extra_events=("correction",))
    target = bundle["events"][1]["event_id"]
    bundle["events"][2]["prev_event"] = target
    bundle["events"].append(copy.deepcopy(bundle["events"][1]))  # a duplicate: invalid
    links = event_links(Bundle.parse(bundle).events, [True, True, True, False])
    assert links.dangling == () and links.linked == 1
