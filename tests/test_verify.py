"""verify(): every check on real and generated documents, one tamper per check, and no crash."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pith_tui.core.canonical import canonical_bytes, canonical_sha256
from pith_tui.core.errors import RecordFormatError
from pith_tui.core.keys import TrustStore
from pith_tui.core.merge import state_sha256
from pith_tui.core.model import parse_document
from pith_tui.core.verify import (
    CHECK_TITLES,
    Report,
    Status,
    Verdict,
    expected_aliases,
    title_canon_sha256,
    verify,
)
from tests.conftest import REAL_RECORDS
from tests.signing import (
    EXTRA_EVENT_TYPES,
    make_bundle,
    make_event,
    make_record,
    resign_bundle,
    restate_bundle,
    sign_event,
)
from tests.signing import test_trust as trust_with_test_key

NOW = datetime(2026, 6, 10, tzinfo=timezone.utc)
PITH = TrustStore.shipped()
RECORD_IDS = [
    "canonical_hash",
    "pith_number",
    "receipt_signature",
    "signing_key",
    "aliases",
    "title_hash",
    "paper_fields",
]
BUNDLE_IDS = [
    *RECORD_IDS,
    "event_ids",
    "event_signatures",
    "event_subjects",
    "event_links",
    "bundle_signature",
    "state_hash",
    "state_merge",
]
RECORD_NAMES = ["2106.06530", "1611.01838", "1704.04289"]
Tamper = Callable[[dict[str, Any]], dict[str, Any]]


def _real(name: str) -> dict[str, Any]:
    return json.loads(REAL_RECORDS[name].read_bytes())


def _verify(obj: dict[str, Any], trust: TrustStore = PITH) -> Report:
    return verify(parse_document(obj), trust, now=NOW)


def _not_passing(report: Report) -> dict[str, tuple[str, str]]:
    return {c.id: (c.status.value, c.detail) for c in report.checks if c.status is not Status.PASS}


def _assert_only_failure(report: Report, check_id: str, ids: list[str]) -> None:
    """All checks reported, in order; exactly `check_id` fails, every other one passes."""
    assert [c.id for c in report.checks] == ids
    assert list(_not_passing(report)) == [check_id], _not_passing(report)
    assert report.check(check_id).status is Status.FAIL
    assert report.check(check_id).detail
    assert report.verdict is Verdict.FAILED


def _flip_b64(text: str, byte: int = 10) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[byte] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def _other_hex(text: str) -> str:
    return ("1" if text[0] != "1" else "2") + text[1:]


def _rehash_event(event: dict[str, Any]) -> None:
    body = {k: v for k, v in event.items() if k not in ("signature", "content_sha256", "event_id")}
    event["content_sha256"] = canonical_sha256(body)
    event["event_id"] = "sha256:" + event["content_sha256"]


# --- real documents -------------------------------------------------------------------------


@pytest.mark.parametrize("name", RECORD_NAMES)
def test_real_number_records_verify(name: str) -> None:
    report = _verify(_real(name))
    assert report.kind == "record"
    assert [c.id for c in report.checks] == RECORD_IDS
    assert _not_passing(report) == {}
    assert report.verdict is Verdict.VERIFIED
    assert report.events == ()
    assert report.computed_state is None


def test_real_bundle_verifies_and_the_merge_reproduces_the_served_state() -> None:
    raw = _real("bundle")
    report = _verify(raw)
    assert report.kind == "bundle"
    assert report.pith_number == "pith:2018:TJ77MKGIYVJE4LNYFYW7EA7KKL"
    assert [c.id for c in report.checks] == BUNDLE_IDS
    assert _not_passing(report) == {}
    assert report.verdict is Verdict.VERIFIED
    assert [(e.event_type, e.status) for e in report.events] == [
        ("record_created", Status.PASS),
        ("graph_snapshot", Status.PASS),
    ]
    assert report.computed_state == raw["state"]
    assert report.computed_state["state_sha256"] == raw["state"]["state_sha256"]


@pytest.mark.parametrize("name", sorted(REAL_RECORDS))
def test_real_documents_are_not_verified_without_the_pinned_key(name: str) -> None:
    report = verify(parse_document(_real(name)), TrustStore([]), now=NOW)
    assert report.check("receipt_signature").status is Status.NOT_CHECKED
    assert report.check("signing_key").status is Status.FAIL
    assert report.verdict is not Verdict.VERIFIED


def test_report_helpers() -> None:
    raw = _real("2106.06530")
    raw["paper"]["title"] = "Something Else"
    report = _verify(raw)
    assert report.failures_first[0].id == "title_hash"
    assert report.check("nope") is None
    data = report.to_json()
    assert data["verdict"] == "failed" and data["kind"] == "record"
    assert [c["id"] for c in data["checks"]] == RECORD_IDS
    assert json.loads(json.dumps(data)) == data
    assert all(c.title == CHECK_TITLES[c.id] for c in report.checks)
    assert {s.symbol for s in Status} == {"✓", "✗", "!", "–"}


def test_title_and_alias_rules() -> None:
    assert (
        title_canon_sha256("  Deep   Learning\tTheory ")
        == hashlib.sha256(b"deep learning theory").hexdigest()
    )
    assert expected_aliases("cs/0512068", 3, "A" * 26) == {
        "arxiv": "cs/0512068",
        "arxiv_version": "cs/0512068v3",
        "doi": "10.48550/arxiv.cs/0512068",
        "pith_short_8": "A" * 8,
        "pith_short_12": "A" * 12,
        "pith_short_16": "A" * 16,
    }


# --- one tamper per check on real records (Pith's signatures untouched) ---------------------


def _set_top(key: str, value: Callable[[Any], Any]) -> Tamper:
    def tamper(doc: dict[str, Any]) -> dict[str, Any]:
        doc[key] = value(doc[key])
        return doc

    return tamper


def _set_receipt(key: str, value: Callable[[Any], Any]) -> Tamper:
    def tamper(doc: dict[str, Any]) -> dict[str, Any]:
        doc["receipt"][key] = value(doc["receipt"][key])
        return doc

    return tamper


def _set_alias(kind: str, value: str) -> Tamper:
    def tamper(doc: dict[str, Any]) -> dict[str, Any]:
        alias = next(a for a in doc["aliases"] if a["alias_kind"] == kind)
        alias["alias_value"] = value
        return doc

    return tamper


def _change_year(number: str) -> str:
    _, year, pith_id = number.split(":")
    return f"pith:{int(year) - 1}:{pith_id}"


def _source_version(doc: dict[str, Any]) -> dict[str, Any]:
    doc["source"]["version"] += 1
    return doc


def _title(doc: dict[str, Any]) -> dict[str, Any]:
    doc["paper"]["title"] += " (and more)"
    return doc


RECORD_TAMPERS: list[tuple[str, str, Tamper]] = [
    ("canonical_hash", "top-level canonical_sha256", _set_top("canonical_sha256", _other_hex)),
    ("canonical_hash", "receipt canonical_sha256", _set_receipt("canonical_sha256", _other_hex)),
    ("pith_number", "year of pith_number", _set_top("pith_number", _change_year)),
    ("pith_number", "id of pith_number", _set_top("pith_number", lambda n: n[:-1] + "A")),
    ("pith_number", "short_pith_number", _set_top("short_pith_number", lambda n: n[:-1] + "Q")),
    ("receipt_signature", "signature bit", _set_receipt("signature_b64", _flip_b64)),
    (
        "receipt_signature",
        "last signature bit",
        _set_receipt("signature_b64", lambda s: _flip_b64(s, 63)),
    ),
    (
        "receipt_signature",
        "signed_message",
        _set_receipt("signed_message", lambda _: "canonical_sha256_hex"),
    ),
    ("receipt_signature", "not base64", _set_receipt("signature_b64", lambda s: "!" + s[1:])),
    ("signing_key", "fingerprint hint", _set_receipt("public_key_fingerprint", lambda _: "0" * 32)),
    ("aliases", "arxiv alias", _set_alias("arxiv", "2101.00001")),
    ("aliases", "doi alias", _set_alias("doi", "10.48550/arXiv.2101.00001")),
    ("aliases", "pith_short_8 alias", _set_alias("pith_short_8", "AAAAAAAA")),
    ("aliases", "arxiv_version alias", _set_alias("arxiv_version", "2101.00001v9")),
    ("paper_fields", "top-level source", _source_version),
    ("title_hash", "paper.title", _title),
]


@pytest.mark.parametrize("name", RECORD_NAMES)
@pytest.mark.parametrize(
    ("check_id", "tamper"),
    [(c, t) for c, _, t in RECORD_TAMPERS],
    ids=[f"{c}:{n}" for c, n, _ in RECORD_TAMPERS],
)
def test_tampered_real_record_fails_exactly_the_intended_check(
    name: str, check_id: str, tamper: Tamper
) -> None:
    report = _verify(tamper(_real(name)))
    _assert_only_failure(report, check_id, RECORD_IDS)


def test_editing_the_signed_record_breaks_hash_number_and_receipt() -> None:
    doc = _real("2106.06530")
    doc["canonical_record"]["metadata"]["primary_cat"] = "cs.CR"
    report = _verify(doc)
    assert {"canonical_hash", "pith_number", "receipt_signature"} <= set(_not_passing(report))
    assert [c.id for c in report.checks] == RECORD_IDS
    assert report.verdict is Verdict.FAILED


def test_an_unpinned_receipt_key_id_is_not_checked_and_fails_signing_key() -> None:
    doc = _real("1704.04289")
    doc["receipt"]["key_id"] = "pith-v2-2027-01"
    report = _verify(doc)
    assert report.check("receipt_signature").status is Status.NOT_CHECKED
    assert "not pinned" in report.check("receipt_signature").detail
    assert report.check("signing_key").status is Status.FAIL
    assert report.verdict is Verdict.FAILED


@pytest.mark.parametrize(
    "submitted_at", ["0999-01-01T00:00:00Z", "²⁰¹⁸-12-03", "18-12-03", "", None, 2018]
)
def test_a_bad_submitted_at_fails_pith_number_without_raising(submitted_at: Any) -> None:
    doc = _real("2106.06530")
    doc["canonical_record"]["metadata"]["submitted_at"] = submitted_at
    report = _verify(doc)
    assert [c.id for c in report.checks] == RECORD_IDS
    assert report.check("pith_number").status is Status.FAIL
    assert "submitted_at" in report.check("pith_number").detail


# --- tampers on the real bundle (only the bundle signature is involved) ---------------------


def _bundle_field(doc: dict[str, Any]) -> dict[str, Any]:
    doc["built_at"] = "2030-01-01T00:00:00Z"
    return doc


def _bundle_extra_field(doc: dict[str, Any]) -> dict[str, Any]:
    doc["mirror_hints"] = [{"base_url": "https://evil.example"}]
    return doc


def _bundle_sig(key: str, value: Callable[[Any], Any]) -> Tamper:
    def tamper(doc: dict[str, Any]) -> dict[str, Any]:
        doc["bundle_signature"][key] = value(doc["bundle_signature"][key])
        return doc

    return tamper


REAL_BUNDLE_TAMPERS: list[tuple[str, str, Tamper]] = [
    ("bundle_signature", "built_at", _bundle_field),
    ("bundle_signature", "mirror_hints", _bundle_extra_field),
    ("bundle_signature", "signature bit", _bundle_sig("signature_b64", _flip_b64)),
    ("bundle_signature", "stated bundle_sha256", _bundle_sig("bundle_sha256", _other_hex)),
    (
        "bundle_signature",
        "signed_message",
        _bundle_sig("signed_message", lambda _: "bundle_sha256_hex"),
    ),
    (
        "signing_key",
        "bundle fingerprint hint",
        _bundle_sig("public_key_fingerprint", lambda _: "f" * 32),
    ),
]


@pytest.mark.parametrize(
    ("check_id", "tamper"),
    [(c, t) for c, _, t in REAL_BUNDLE_TAMPERS],
    ids=[f"{c}:{n}" for c, n, _ in REAL_BUNDLE_TAMPERS],
)
def test_tampered_real_bundle_fails_exactly_the_intended_check(
    check_id: str, tamper: Tamper
) -> None:
    _assert_only_failure(_verify(tamper(_real("bundle"))), check_id, BUNDLE_IDS)


def test_a_tampered_event_in_the_real_bundle_is_invalid_and_not_applied() -> None:
    doc = _real("bundle")
    doc["events"][1]["payload"]["graph_snapshot"]["claims"]["count"] = 7
    report = _verify(doc)
    assert [c.id for c in report.checks] == BUNDLE_IDS
    failing = set(_not_passing(report))
    assert {"event_ids", "bundle_signature", "state_merge"} == failing
    assert report.events[1].status is Status.FAIL
    assert report.events[0].status is Status.PASS
    event_id = doc["events"][1]["event_id"]
    assert [e["event_id"] for e in report.computed_state["invalid_events"]] == [event_id]
    assert report.computed_state["applied_event_ids"] == [doc["events"][0]["event_id"]]
    assert report.computed_state["current"]["graph_snapshots"] == []
    assert report.verdict is Verdict.FAILED


# --- tampers that need re-signing: generated bundles with the test key ----------------------

EXTRA = ("author_attestation", "correction")


def _generated() -> dict[str, Any]:
    # a JSON round trip, so no two places in the bundle share one object
    return json.loads(json.dumps(make_bundle(extra_events=EXTRA)))


def _payload_not_resigned(bundle: dict[str, Any]) -> dict[str, Any]:
    bundle["events"][2]["payload"]["note"] = "tampered"
    return restate_bundle(bundle, valid=[True, True, False, True])


def _snapshot_payload_not_resigned(bundle: dict[str, Any]) -> dict[str, Any]:
    bundle["events"][1]["payload"]["graph_snapshot"]["paper"]["authors_text"] = "Mallory"
    return restate_bundle(bundle, valid=[True, False, True, True])


def _event_id_edited(bundle: dict[str, Any]) -> dict[str, Any]:
    bundle["events"][3]["event_id"] = "sha256:" + "0" * 64
    return restate_bundle(bundle, valid=[True, True, True, False])


def _duplicate_event(bundle: dict[str, Any]) -> dict[str, Any]:
    bundle["events"].append(copy.deepcopy(bundle["events"][2]))
    return restate_bundle(bundle, valid=[True, True, True, True, False])


def _rehashed_not_resigned(bundle: dict[str, Any]) -> dict[str, Any]:
    bundle["events"][2]["payload"]["note"] = "tampered"
    _rehash_event(bundle["events"][2])
    return restate_bundle(bundle, valid=[True, True, False, True])


def _event_signature_flipped(bundle: dict[str, Any]) -> dict[str, Any]:
    signature = bundle["events"][3]["signature"]
    signature["signature_b64"] = _flip_b64(signature["signature_b64"], 40)
    return restate_bundle(bundle, valid=[True, True, True, False])


def _event_signed_message(bundle: dict[str, Any]) -> dict[str, Any]:
    bundle["events"][3]["signature"]["signed_message"] = "open_graph_event_sha256_hex"
    return restate_bundle(bundle, valid=[True, True, True, False])


def _subject_resigned(bundle: dict[str, Any]) -> dict[str, Any]:
    event = bundle["events"][2]
    event["subject_pith_number"] = "pith:2024:" + "A" * 26
    bundle["events"][2] = sign_event(event)
    return restate_bundle(bundle, valid=[True, True, False, True])


def _record_created_other_record_resigned(bundle: dict[str, Any]) -> dict[str, Any]:
    event = bundle["events"][0]
    event["payload"]["canonical_record"]["metadata"]["primary_cat"] = "cs.CR"
    bundle["events"][0] = sign_event(event)
    return restate_bundle(bundle, valid=[False, True, True, True])


def _record_created_other_hash_resigned(bundle: dict[str, Any]) -> dict[str, Any]:
    event = bundle["events"][0]
    event["payload"]["canonical_sha256"] = _other_hex(event["payload"]["canonical_sha256"])
    bundle["events"][0] = sign_event(event)
    return restate_bundle(bundle, valid=[False, True, True, True])


def _bundle_edited_after_signing(bundle: dict[str, Any]) -> dict[str, Any]:
    bundle["links"] = {"self": "https://evil.example/pith"}
    return bundle


def _bundle_signature_removed(bundle: dict[str, Any]) -> dict[str, Any]:
    del bundle["bundle_signature"]
    return bundle


def _state_sha_edited(bundle: dict[str, Any]) -> dict[str, Any]:
    bundle["state"]["state_sha256"] = _other_hex(bundle["state"]["state_sha256"])
    return resign_bundle(bundle)


def _state_invalid_reason_edited(bundle: dict[str, Any]) -> dict[str, Any]:
    bundle = _payload_not_resigned(bundle)
    bundle["state"]["invalid_events"][0]["reason"] = "edited"
    return resign_bundle(bundle)


def _state_edited_rehashed(bundle: dict[str, Any]) -> dict[str, Any]:
    bundle["state"]["current"]["corrections"] = []
    bundle["state"]["state_sha256"] = state_sha256(bundle["state"])
    return resign_bundle(bundle)


def _state_count_rehashed(bundle: dict[str, Any]) -> dict[str, Any]:
    bundle["state"]["valid_event_count"] += 1
    bundle["state"]["state_sha256"] = state_sha256(bundle["state"])
    return resign_bundle(bundle)


def _state_applied_invalid(bundle: dict[str, Any]) -> dict[str, Any]:
    """The server applied an event the client finds invalid."""
    bundle["events"][2]["payload"]["note"] = "tampered"
    return restate_bundle(bundle)


def _reordered(bundle: dict[str, Any]) -> dict[str, Any]:
    bundle["events"][2], bundle["events"][3] = bundle["events"][3], bundle["events"][2]
    return resign_bundle(bundle)  # the served state still lists the original order


def _receipt_in_record_created_flipped(bundle: dict[str, Any]) -> dict[str, Any]:
    bundle["events"][0]["payload"]["receipt"]["signature_b64"] = _flip_b64(
        bundle["events"][0]["payload"]["receipt"]["signature_b64"]
    )
    bundle["events"][0] = sign_event(bundle["events"][0])
    return restate_bundle(bundle)


GENERATED_TAMPERS: list[tuple[str, str, Tamper]] = [
    ("event_ids", "payload not re-signed", _payload_not_resigned),
    ("event_ids", "snapshot payload not re-signed", _snapshot_payload_not_resigned),
    ("event_ids", "event_id edited", _event_id_edited),
    ("event_ids", "duplicate event", _duplicate_event),
    ("event_signatures", "re-hashed not re-signed", _rehashed_not_resigned),
    ("event_signatures", "signature bit", _event_signature_flipped),
    ("event_signatures", "signed_message", _event_signed_message),
    ("event_subjects", "subject re-signed", _subject_resigned),
    ("event_subjects", "record_created other record", _record_created_other_record_resigned),
    ("event_subjects", "record_created other hash", _record_created_other_hash_resigned),
    ("bundle_signature", "edited after signing", _bundle_edited_after_signing),
    ("bundle_signature", "signature removed", _bundle_signature_removed),
    ("state_hash", "state_sha256 edited", _state_sha_edited),
    ("state_merge", "state edited and rehashed", _state_edited_rehashed),
    ("state_merge", "count edited and rehashed", _state_count_rehashed),
    ("state_merge", "reordered pair", _reordered),
    ("receipt_signature", "record_created receipt re-signed", _receipt_in_record_created_flipped),
]


def test_the_generated_bundle_verifies_before_tampering() -> None:
    report = _verify(_generated(), trust_with_test_key())
    assert [c.id for c in report.checks] == BUNDLE_IDS
    assert _not_passing(report) == {}
    assert report.verdict is Verdict.VERIFIED


@pytest.mark.parametrize(
    ("check_id", "tamper"),
    [(c, t) for c, _, t in GENERATED_TAMPERS],
    ids=[f"{c}:{n}" for c, n, _ in GENERATED_TAMPERS],
)
def test_tampered_generated_bundle_fails_exactly_the_intended_check(
    check_id: str, tamper: Tamper
) -> None:
    report = _verify(tamper(_generated()), trust_with_test_key())
    _assert_only_failure(report, check_id, BUNDLE_IDS)


def test_a_served_state_that_applied_an_invalid_event_fails_the_merge() -> None:
    report = _verify(_state_applied_invalid(_generated()), trust_with_test_key())
    assert set(_not_passing(report)) == {"event_ids", "state_merge"}
    assert "applied_event_ids" in report.check("state_merge").detail


def test_an_unhashed_edit_of_an_invalid_event_entry_fails_only_the_state_hash() -> None:
    # invalid_events are compared by id (their served shape is unknown): only the hash sees this
    report = _verify(_state_invalid_reason_edited(_generated()), trust_with_test_key())
    assert set(_not_passing(report)) == {"event_ids", "state_hash"}


def test_state_content_edited_without_rehash_fails_hash_and_merge() -> None:
    bundle = _generated()
    bundle["state"]["current"]["corrections"] = []
    report = _verify(resign_bundle(bundle), trust_with_test_key())
    assert set(_not_passing(report)) == {"state_hash", "state_merge"}
    assert "current.corrections" in report.check("state_merge").detail


def test_a_tampered_event_is_marked_in_the_timeline() -> None:
    report = _verify(_payload_not_resigned(_generated()), trust_with_test_key())
    assert [e.status for e in report.events] == [Status.PASS, Status.PASS, Status.FAIL, Status.PASS]
    assert "content hash" in report.events[2].detail
    assert "event 3" in report.check("event_ids").detail


def test_a_duplicate_event_is_reported_as_such() -> None:
    report = _verify(_duplicate_event(_generated()), trust_with_test_key())
    assert "duplicates an earlier event" in report.check("event_ids").detail
    assert report.events[4].status is Status.FAIL
    assert report.computed_state["event_count"] == 5
    assert report.computed_state["invalid_event_count"] == 1


def test_a_reorder_is_reported_by_the_applied_event_ids() -> None:
    report = _verify(_reordered(_generated()), trust_with_test_key())
    assert "applied_event_ids" in report.check("state_merge").detail


def test_a_subject_mismatch_names_the_subject() -> None:
    report = _verify(_subject_resigned(_generated()), trust_with_test_key())
    assert "pith:2024:" + "A" * 26 in report.check("event_subjects").detail


def test_an_unknown_event_type_makes_the_merge_not_checked_and_the_verdict_incomplete() -> None:
    bundle = _generated()
    bundle["events"].append(
        make_event(
            "peer_review", bundle["pith_number"], {"score": 4}, created_at="2026-05-20T00:00:00Z"
        )
    )
    report = _verify(restate_bundle(bundle), trust_with_test_key())
    assert [c.id for c in report.checks] == BUNDLE_IDS
    assert _not_passing(report) == {
        "state_merge": ("not_checked", report.check("state_merge").detail)
    }
    assert "'peer_review'" in report.check("state_merge").detail
    assert "unknown" in report.check("state_merge").detail
    assert report.events[-1].status is Status.WARN
    assert report.verdict is Verdict.INCOMPLETE


def test_served_equivocations_make_the_merge_not_checked() -> None:
    bundle = _generated()
    bundle["state"]["equivocation_count"] = 1
    bundle["state"]["equivocations"] = [{"event_ids": ["a", "b"]}]
    bundle["state"]["state_sha256"] = state_sha256(bundle["state"])
    report = _verify(resign_bundle(bundle), trust_with_test_key())
    assert report.check("state_merge").status is Status.NOT_CHECKED
    assert "equivocation" in report.check("state_merge").detail
    assert report.verdict is Verdict.INCOMPLETE


def test_a_bundle_without_state_is_incomplete() -> None:
    bundle = _generated()
    del bundle["state"]
    report = _verify(resign_bundle(bundle), trust_with_test_key())
    assert report.check("state_hash").status is Status.NOT_CHECKED
    assert report.check("state_merge").status is Status.NOT_CHECKED
    assert report.verdict is Verdict.INCOMPLETE
    assert report.computed_state is not None


def test_an_event_signed_with_an_unpinned_key_id_is_not_checked() -> None:
    bundle = _generated()
    bundle["events"][3] = sign_event(bundle["events"][3], key_id="unpinned-key")
    report = _verify(restate_bundle(bundle, valid=[True, True, True, False]), trust_with_test_key())
    assert report.check("event_signatures").status is Status.NOT_CHECKED
    assert report.check("signing_key").status is Status.FAIL
    assert report.events[3].status is Status.NOT_CHECKED
    assert report.verdict is Verdict.FAILED


def test_every_event_type_verifies() -> None:
    report = _verify(make_bundle(extra_events=EXTRA_EVENT_TYPES), trust_with_test_key())
    assert _not_passing(report) == {}
    assert report.verdict is Verdict.VERIFIED
    assert len(report.events) == 2 + len(EXTRA_EVENT_TYPES)


def test_a_record_carrying_events_checks_them() -> None:
    record = make_record()
    event = make_event("graph_snapshot", record["pith_number"], {"graph_snapshot": {}})
    record["events"] = [event]
    report = _verify(record, trust_with_test_key())
    assert [c.id for c in report.checks] == [
        *RECORD_IDS,
        "event_ids",
        "event_signatures",
        "event_subjects",
    ]
    assert report.verdict is Verdict.VERIFIED
    event["payload"]["graph_snapshot"] = {"x": 1}
    report = _verify(record, trust_with_test_key())
    assert list(_not_passing(report)) == ["event_ids"]


# --- verification never raises ---------------------------------------------------------------

_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["", "0" * 64, "pith-v1-2026-05", "2018-12-03T03:39:08Z", "0999-01-01"])
)
_json = st.recursive(
    _leaves,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into the document (containers too), except the root."""
    found: list[tuple[Any, ...]] = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += _paths(child, (*prefix, index))
    return found


DOCS = {name: _real(name) for name in REAL_RECORDS}
PATHS = {name: _paths(doc) for name, doc in DOCS.items()}
RECEIPT_SIGNED = {"signature_b64", "canonical_sha256", "key_id", "signed_message"}
BUNDLE_SIGNATURE_SIGNED = {"signature_b64", "bundle_sha256", "key_id", "signed_message"}


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def _must_not_verify(kind: str, path: tuple[Any, ...]) -> bool:
    """Whether a real change at `path` touches what the signatures and checks cover."""
    if kind == "bundle":  # the bundle signature covers everything but itself
        return path[0] != "bundle_signature" or (
            len(path) > 1 and path[1] in BUNDLE_SIGNATURE_SIGNED
        )
    if path[0] in ("canonical_record", "canonical_sha256", "pith_number"):
        return True
    if path[0] == "receipt":
        return len(path) == 1 or path[1] in RECEIPT_SIGNED
    return path[0] == "aliases" and len(path) == 3 and path[2] == "alias_value"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(DOCS)), st.data(), _json, st.booleans())
def test_verify_never_raises_on_a_mutated_real_document(
    name: str, data: st.DataObject, value: Any, delete: bool
) -> None:
    doc = copy.deepcopy(DOCS[name])
    path = data.draw(st.sampled_from(PATHS[name]))
    parent = _get(doc, path[:-1])
    old = parent[path[-1]]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
        changed = True
    else:
        parent[path[-1]] = value
        changed = canonical_bytes(old) != canonical_bytes(value)
    try:
        document = parse_document(doc)
    except RecordFormatError:
        return
    report = verify(document, PITH, now=NOW)
    assert isinstance(report, Report)
    assert {c.id for c in report.checks} <= set(CHECK_TITLES)
    assert report.verdict in set(Verdict)
    report.to_json()
    if changed and _must_not_verify("bundle" if name == "bundle" else "record", path):
        assert report.verdict is not Verdict.VERIFIED, (path, value, _not_passing(report))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(RECORD_NAMES)), st.text(min_size=1, max_size=30))
def test_any_other_title_fails_unless_it_canonicalises_the_same(name: str, title: str) -> None:
    doc = copy.deepcopy(DOCS[name])
    same = title_canon_sha256(title) == title_canon_sha256(doc["paper"]["title"])
    doc["paper"]["title"] = title
    report = _verify(doc)
    assert report.check("title_hash").status is (Status.PASS if same else Status.FAIL)


# --- paper_fields: the server's text against the signed record (issue 9) --------------------

SIGNED_PAPER_FORGERIES = {
    "submitted_at": "1999-01-01T00:00:00Z",
    "primary_cat": "hep-th",
    "cross_cats": ["quant-ph"],
    "license": "http://creativecommons.org/publicdomain/zero/1.0/",
}
UNSIGNED_PAPER_FORGERIES = {
    "authors_text": "Mallory Forger",
    "abstract_excerpt": "A new abstract.",
    "headline": "A headline nobody signed",
}


@pytest.mark.parametrize("name", RECORD_NAMES)
@pytest.mark.parametrize("key", sorted(SIGNED_PAPER_FORGERIES))
def test_a_paper_field_that_contradicts_the_signed_record_fails_paper_fields(
    name: str, key: str
) -> None:
    doc = _real(name)
    signed = copy.deepcopy(doc["canonical_record"]["metadata"])
    doc["paper"][key] = SIGNED_PAPER_FORGERIES[key]
    report = _verify(doc)
    _assert_only_failure(report, "paper_fields", RECORD_IDS)
    detail = report.check("paper_fields").detail
    assert f"{key}: the paper block says" in detail
    shown = SIGNED_PAPER_FORGERIES[key]
    assert (", ".join(shown) if isinstance(shown, list) else shown) in detail
    signed_key = "cross_cats_sorted" if key == "cross_cats" else key
    signed_value = signed[signed_key]
    assert (", ".join(signed_value) if isinstance(signed_value, list) else signed_value) in detail
    (disagreement,) = report.coverage.disagreements
    assert disagreement.path == ("paper", key)


@pytest.mark.parametrize("name", RECORD_NAMES)
@pytest.mark.parametrize("key", sorted(UNSIGNED_PAPER_FORGERIES))
def test_a_paper_field_nothing_signs_stays_verified(name: str, key: str) -> None:
    doc = _real(name)
    doc["paper"][key] = UNSIGNED_PAPER_FORGERIES[key]
    report = _verify(doc)
    assert report.verdict is Verdict.VERIFIED
    assert report.check("paper_fields").status is Status.PASS


def test_paper_fields_reads_cross_lists_as_a_set_and_dates_as_instants() -> None:
    doc = _real("2106.06530")
    doc["paper"]["cross_cats"] = list(reversed(doc["paper"]["cross_cats"]))
    doc["paper"]["submitted_at"] = "2021-06-11T17:59:07+00:00"
    assert _verify(doc).verdict is Verdict.VERIFIED
    doc["paper"]["submitted_at"] = "2021-06-11T18:59:07+01:00"  # the same instant
    assert _verify(doc).verdict is Verdict.VERIFIED
    doc["paper"]["submitted_at"] = "2021-06-11T17:59:08Z"
    assert _verify(doc).check("paper_fields").status is Status.FAIL
    doc = _real("2106.06530")
    doc["paper"]["cross_cats"] = [*doc["paper"]["cross_cats"], "cs.CR"]
    assert _verify(doc).check("paper_fields").status is Status.FAIL


def test_an_empty_paper_value_says_nothing_but_an_empty_source_value_is_wrong() -> None:
    doc = _real("2106.06530")
    doc["paper"]["license"] = ""
    doc["paper"]["cross_cats"] = []
    assert _verify(doc).verdict is Verdict.VERIFIED
    doc = _real("2106.06530")
    doc["source"]["kind"] = ""
    report = _verify(doc)
    assert report.check("paper_fields").status is Status.FAIL
    assert "source_kind: the source block says ''" in report.check("paper_fields").detail


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        (("graph_snapshot", "paper", "primary_cat"), "hep-th", "graph_snapshot.paper says"),
        (("graph_snapshot", "paper", "title"), "Another Title", "title: the graph_snapshot.paper"),
        (("graph_snapshot", "source", "id"), "2106.06531", "graph_snapshot.source says"),
        (("graph_snapshot", "source", "version"), 3, "version: the graph_snapshot.source"),
        (("source", "id"), "2106.06531", "arxiv_id: the source block says"),
    ],
)
def test_the_record_snapshot_and_source_are_held_to_the_signed_record(
    path: tuple[str, ...], value: Any, words: str
) -> None:
    doc = _real("2106.06530")
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    report = _verify(doc)
    assert report.check("paper_fields").status is Status.FAIL
    assert words in report.check("paper_fields").detail
    assert report.verdict is Verdict.FAILED


def _resign_snapshot(bundle: dict[str, Any], edit: Callable[[dict[str, Any]], None]) -> dict:
    event = bundle["events"][1]
    edit(event["payload"]["graph_snapshot"])
    bundle["events"][1] = sign_event(event)
    return restate_bundle(bundle)


@pytest.mark.parametrize(
    ("edit", "fails"),
    [
        (lambda s: s["paper"].update(primary_cat="hep-th"), True),
        (lambda s: s["paper"].update(submitted_at="1999-01-01T00:00:00Z"), True),
        (lambda s: s.update(source={"id": "2403.99999", "kind": "arxiv", "version": 1}), True),
        (lambda s: s["paper"].update(authors_text="Mallory Forger"), False),
        (lambda s: s["paper"].update(abstract_excerpt="Another abstract."), False),
    ],
    ids=["primary_cat", "submitted_at", "source id", "authors", "abstract"],
)
def test_a_signed_snapshot_that_contradicts_the_signed_record_fails(
    edit: Callable[[dict[str, Any]], None], fails: bool
) -> None:
    bundle = _resign_snapshot(make_bundle(), edit)
    report = verify(parse_document(bundle), trust_with_test_key(), now=NOW)
    if fails:
        _assert_only_failure(report, "paper_fields", BUNDLE_IDS)
        assert "graph_snapshot event sha256:" in report.check("paper_fields").detail
    else:
        assert report.verdict is Verdict.VERIFIED, _not_passing(report)


def test_a_record_created_payload_that_names_another_source_fails_paper_fields() -> None:
    bundle = make_bundle()
    event = bundle["events"][0]
    event["payload"]["source_id"] = "2403.99999"
    bundle["events"][0] = sign_event(event)
    report = verify(parse_document(restate_bundle(bundle)), trust_with_test_key(), now=NOW)
    _assert_only_failure(report, "paper_fields", BUNDLE_IDS)
    assert "record_created event" in report.check("paper_fields").detail


# --- the verdict rule (issue 10 §2) and signed ids (issue 10 §3) ---------------------------


def test_an_alias_of_an_unknown_kind_makes_the_verdict_incomplete() -> None:
    doc = _real("2106.06530")
    doc["aliases"].append({"alias_kind": "isbn", "alias_value": "x", "created_at": ""})
    report = _verify(doc)
    assert report.check("aliases").status is Status.NOT_CHECKED
    assert "'isbn'" in report.check("aliases").detail
    assert report.verdict is Verdict.INCOMPLETE
    assert report.coverage.alias_derived == (*([True] * 6), None)


@pytest.mark.parametrize(
    ("arxiv_id", "why"),
    [
        ("2106.6530", "4 digits after the dot until 1412, 5 from 1501"),
        ("1312.12345", "4 digits after the dot until 1412"),
        ("0612.0001", "begin in April 2007"),
        ("2113.00001", "month 13"),
        ("2106.06530v2", "carries a version"),
        ("CS/0512068", "arXiv writes it 'cs/0512068'"),
        ("math.GT/0309136", "arXiv writes it 'math/0309136'"),
        ("nosuch-arch/9901001", "not an arXiv archive"),
        ("../../etc/passwd", "not a known identifier form"),
        ("", "not a known identifier form"),
        (" 2106.06530", "not a known identifier form"),
        ("2106.06530\u202e", "characters no arXiv id has"),
    ],
)
def test_a_signed_arxiv_id_that_is_not_one_fails_aliases(arxiv_id: str, why: str) -> None:
    report = verify(parse_document(make_record(arxiv_id)), trust_with_test_key(), now=NOW)
    assert report.check("aliases").status is Status.FAIL
    assert "is not a valid arXiv id" in report.check("aliases").detail
    assert why in report.check("aliases").detail
    assert report.verdict is Verdict.FAILED


@pytest.mark.parametrize("arxiv_id", ["cs/0512068", "hep-th/9901001", "math/0309136", "0704.0001"])
def test_valid_old_and_new_style_signed_ids_verify(arxiv_id: str) -> None:
    report = verify(parse_document(make_record(arxiv_id)), trust_with_test_key(), now=NOW)
    assert report.verdict is Verdict.VERIFIED, _not_passing(report)


def test_a_signed_source_other_than_arxiv_leaves_the_arxiv_aliases_unchecked() -> None:
    doc = make_record("2403.00001", source_kind="ssrn")
    report = verify(parse_document(doc), trust_with_test_key(), now=NOW)
    check = report.check("aliases")
    assert check.status is Status.NOT_CHECKED
    assert "the signed source kind is 'ssrn', not 'arxiv'" in check.detail
    assert report.verdict is Verdict.INCOMPLETE
    # the short ids are still derived, and a wrong one still fails
    doc["aliases"][-1]["alias_value"] = "AAAAAAAA"
    report = verify(parse_document(doc), trust_with_test_key(), now=NOW)
    assert report.check("aliases").status is Status.FAIL


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("key_id", "pith-other-2026-01", "names key 'pith-other-2026-01'"),
        ("public_key_fingerprint", "11" * 16, "fingerprint '1111"),
        ("signer_id", "mallory.example", "signer 'mallory.example'"),
    ],
)
def test_an_event_whose_signer_block_names_another_key_is_invalid(
    field: str, value: str, words: str
) -> None:
    bundle = make_bundle(extra_events=("correction",))
    event = bundle["events"][2]
    event["signer"][field] = value
    bundle["events"][2] = sign_event(event)
    bundle = restate_bundle(bundle, valid=[True, True, False])
    report = verify(parse_document(bundle), trust_with_test_key(), now=NOW)
    check = report.check("event_signatures")
    assert check.status is Status.FAIL
    assert words in check.detail and "but pinned key pith-test-2026-01" in check.detail
    assert report.events[2].status is Status.FAIL
    assert report.verdict is Verdict.FAILED
    assert event["event_id"] not in report.coverage.valid_events


def test_a_pin_without_a_signer_id_checks_key_and_fingerprint_only() -> None:
    from pith_tui.core.keys import key_from_json
    from tests.signing import TEST_KEY, TEST_KEY_ID, key_json

    trust = TrustStore([key_from_json(key_json(TEST_KEY, TEST_KEY_ID, signer_id=None), "t")])
    bundle = make_bundle()
    event = bundle["events"][1]
    event["signer"]["signer_id"] = "anyone"
    bundle["events"][1] = sign_event(event)
    report = verify(parse_document(restate_bundle(bundle)), trust, now=NOW)
    assert report.verdict is Verdict.VERIFIED, _not_passing(report)


def _link(bundle: dict[str, Any], index: int, **links: Any) -> dict[str, Any]:
    event = bundle["events"][index]
    event.update(links)
    bundle["events"][index] = sign_event(event)
    return restate_bundle(bundle)


@pytest.mark.parametrize(
    ("links", "words"),
    [
        ({"supersedes": ["sha256:" + "ab" * 32]}, "supersedes 'sha256:abababab…', which is not"),
        ({"prev_event": "sha256:" + "cd" * 32}, "prev_event 'sha256:cdcdcdcd…', which is not"),
    ],
)
def test_a_link_to_an_event_the_bundle_lacks_makes_it_incomplete(
    links: dict[str, Any], words: str
) -> None:
    bundle = _link(make_bundle(extra_events=("correction",)), 2, **links)
    report = verify(parse_document(bundle), trust_with_test_key(), now=NOW)
    check = report.check("event_links")
    assert check.status is Status.NOT_CHECKED
    assert words in check.detail and "event 3 (correction)" in check.detail
    assert report.check("state_merge").status is Status.PASS
    assert report.verdict is Verdict.INCOMPLETE


def test_a_link_to_a_present_event_verifies() -> None:
    bundle = make_bundle(extra_events=("correction",))
    target = bundle["events"][1]["event_id"]
    bundle = _link(bundle, 2, supersedes=[target], prev_event=target)
    report = verify(parse_document(bundle), trust_with_test_key(), now=NOW)
    assert report.check("event_links").status is Status.PASS
    assert report.verdict is Verdict.VERIFIED, _not_passing(report)


def test_a_served_state_that_differs_where_events_link_is_not_checked_not_failed() -> None:
    bundle = make_bundle(extra_events=("correction",))
    target = bundle["events"][1]["event_id"]
    bundle = _link(bundle, 2, supersedes=[target])
    # a server that applied the supersedes link: the superseded snapshot dropped
    bundle["state"]["current"]["graph_snapshots"] = []
    bundle["state"]["state_sha256"] = state_sha256(bundle["state"])
    report = verify(parse_document(resign_bundle(bundle)), trust_with_test_key(), now=NOW)
    check = report.check("state_merge")
    assert check.status is Status.NOT_CHECKED
    assert "supersede or follow others" in check.detail
    assert report.verdict is Verdict.INCOMPLETE


def test_two_events_of_one_type_signer_and_time_with_other_payloads_equivocate() -> None:
    bundle = make_bundle()
    twin = make_event(
        "graph_snapshot",
        bundle["pith_number"],
        {"graph_snapshot": {"paper": {"title": "A Test Bundle", "authors_text": "Someone Else"}}},
    )
    bundle["events"].append(twin)
    report = verify(parse_document(restate_bundle(bundle)), trust_with_test_key(), now=NOW)
    check = report.check("event_links")
    assert check.status is Status.NOT_CHECKED
    assert "possible equivocation: 2 graph_snapshot events by 'pith.science'" in check.detail
    assert twin["event_id"][:15] in check.detail
    assert report.verdict is Verdict.INCOMPLETE


def test_the_same_payload_twice_at_one_time_is_no_equivocation() -> None:
    bundle = make_bundle()
    again = copy.deepcopy(bundle["events"][1])
    again["target"] = "graph-copy"
    bundle["events"].append(sign_event(again))
    report = verify(parse_document(restate_bundle(bundle)), trust_with_test_key(), now=NOW)
    assert report.check("event_links").status is Status.PASS
    assert report.verdict is Verdict.VERIFIED, _not_passing(report)


def test_a_view_level_report_needs_no_receipt() -> None:
    from pith_tui.core.verify import Check

    assert Report("record+bundle", "x", (Check("documents_agree", Status.WARN, "d"),)).verdict is (
        Verdict.VERIFIED
    )
    assert Report("record", "x", (Check("aliases", Status.PASS, "d"),)).verdict is (
        Verdict.INCOMPLETE
    )
