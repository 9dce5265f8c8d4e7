"""Typed models of Pith documents: required fields, exact types, and nothing lost from `raw`."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from pith_tui.core.errors import RecordFormatError
from pith_tui.core.model import Bundle, NumberRecord, load_document, parse_document
from tests.conftest import FIXTURES, PAPER_PAGE, REAL_RECORDS
from tests.signing import make_bundle, make_record


def _real(name: str) -> dict[str, Any]:
    return json.loads(REAL_RECORDS[name].read_bytes())


def _set(obj: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    node = obj
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return obj


def _delete(obj: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    node = obj
    for step in path[:-1]:
        node = node[step]
    del node[path[-1]]
    return obj


def _format_error(obj: Any) -> RecordFormatError:
    with pytest.raises(RecordFormatError) as caught:
        parse_document(obj)
    return caught.value


# --- real documents -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["2106.06530", "1611.01838", "1704.04289"])
def test_real_number_records_load(name: str) -> None:
    doc = load_document(REAL_RECORDS[name].read_bytes())
    assert isinstance(doc, NumberRecord)
    assert doc.kind == "record"
    raw = _real(name)
    assert doc.pith_number == raw["pith_number"]
    assert doc.receipt.key_id == "pith-v1-2026-05"
    assert doc.receipt.signed_message == "canonical_sha256_bytes"
    assert doc.source.id == raw["canonical_record"]["source"]["id"] == name
    assert doc.paper.title == raw["paper"]["title"]
    assert {a.kind for a in doc.aliases} >= {"arxiv", "doi", "pith_short_8"}
    assert doc.raw == raw


def test_real_bundle_loads() -> None:
    doc = load_document(REAL_RECORDS["bundle"].read_bytes())
    assert isinstance(doc, Bundle)
    assert doc.kind == "bundle"
    assert doc.pith_number == "pith:2018:TJ77MKGIYVJE4LNYFYW7EA7KKL"
    assert doc.short_pith_number == "pith:TJ77MKGI"
    assert [e.event_type for e in doc.events] == ["record_created", "graph_snapshot"]
    assert doc.record_created is doc.events[0]
    assert doc.receipt is not None and doc.receipt.key_id == "pith-v1-2026-05"
    assert doc.paper.title.startswith("Towards Theoretical Understanding of Large Batch")
    assert doc.merge_version == "pith-open-graph-merge-v1"
    assert doc.state is not None and doc.state["state_type"] == "pith_open_graph_state"
    assert len(doc.public_keys) == 1


def test_the_paper_page_is_refused_with_a_clear_message() -> None:
    with pytest.raises(RecordFormatError) as caught:
        load_document(PAPER_PAGE.read_bytes())
    assert "not a Pith document" in str(caught.value)
    assert "not JSON" in str(caught.value)


def test_an_html_page_is_refused_as_html() -> None:
    with pytest.raises(RecordFormatError, match="HTML page"):
        load_document(b"  <!doctype html><html><body>pith.</body></html>")


def test_the_mirror_manifest_is_refused_with_a_clear_message() -> None:
    with pytest.raises(RecordFormatError) as caught:
        load_document((FIXTURES / "pith-mirrors.json").read_bytes())
    assert "mirror manifest" in str(caught.value)
    assert "not a record or bundle" in str(caught.value)


@pytest.mark.parametrize(
    ("obj", "words"),
    [
        ([1, 2], "an array"),
        ("text", "a string"),
        ({"state_type": "pith_open_graph_state"}, "state document"),
        ({"title": "x"}, "not a Pith document"),
        ({"record_type": "something_else"}, "not a Pith document"),
    ],
)
def test_other_json_is_refused_saying_what_it_is(obj: Any, words: str) -> None:
    assert words in str(_format_error(obj))


def test_load_document_is_strict() -> None:
    text = REAL_RECORDS["2106.06530"].read_text("utf-8")
    twin = text.replace('"record_type"', '"pith_number": "pith:2021:X", "record_type"', 1)
    with pytest.raises(RecordFormatError, match="repeats the key 'pith_number'"):
        load_document(twin)


# --- required fields and exact types --------------------------------------------------------


RECORD_CASES = [
    # (path, value or None to delete, expected field path in the error)
    (("receipt",), "a signature", "$.receipt"),
    (("receipt",), None, "$.receipt"),
    (("receipt", "signature_b64"), None, "$.receipt.signature_b64"),
    (("receipt", "signature_b64"), 12, "$.receipt.signature_b64"),
    (("receipt", "key_id"), ["pith-v1-2026-05"], "$.receipt.key_id"),
    (("pith_number",), None, "$.pith_number"),
    (("pith_number",), 2018, "$.pith_number"),
    (("canonical_sha256",), None, "$.canonical_sha256"),
    (("canonical_record",), None, "$.canonical_record"),
    (("canonical_record",), [], "$.canonical_record"),
    (("canonical_record", "source"), None, "$.canonical_record.source"),
    (("canonical_record", "metadata"), "x", "$.canonical_record.metadata"),
    (("canonical_record", "source", "id"), None, "$.canonical_record.source.id"),
    (("canonical_record", "source", "version"), True, "$.canonical_record.source.version"),
    (("canonical_record", "source", "version"), 1.0, "$.canonical_record.source.version"),
    (("source", "version"), "1", "$.source.version"),
    (("aliases",), {"arxiv": "x"}, "$.aliases"),
    (("aliases", 0, "alias_value"), None, "$.aliases[0].alias_value"),
    (("aliases", 0), "arxiv", "$.aliases[0]"),
    (("events",), {}, "$.events"),
    (("paper",), "A title", "$.paper"),
    (("paper", "title"), 7, "$.paper.title"),
    (("paper", "cross_cats"), ["cs.LG", 1], "$.paper.cross_cats"),
    (("inbound_citations", "count"), True, "$.inbound_citations.count"),
    (("inbound_citations", "count"), "3", "$.inbound_citations.count"),
    (("inbound_citations", "sample"), "none", "$.inbound_citations.sample"),
    (("verification_status",), [True], "$.verification_status"),
    (("links",), "https://pith.science", "$.links"),
]


@pytest.mark.parametrize(("path", "value", "where"), RECORD_CASES)
def test_record_missing_or_ill_typed_field_names_the_path(
    path: tuple[Any, ...], value: Any, where: str
) -> None:
    base = _real("2106.06530")
    obj = _delete(base, path) if value is None else _set(base, path, value)
    error = _format_error(obj)
    assert error.where == where, str(error)
    assert f"(at {where})" in str(error)


BUNDLE_CASES = [
    (("events",), None, "$.events"),
    (("events",), {"0": {}}, "$.events"),
    (("events", 0), "event", "$.events[0]"),
    (("events", 1, "payload"), ["x"], "$.events[1].payload"),
    (("events", 1, "signature"), None, "$.events[1].signature"),
    (("events", 1, "signature", "signature_b64"), None, "$.events[1].signature.signature_b64"),
    (("events", 1, "signer"), "pith.science", "$.events[1].signer"),
    (("events", 1, "signer", "key_id"), 5, "$.events[1].signer.key_id"),
    (("events", 1, "content_sha256"), False, "$.events[1].content_sha256"),
    (("events", 1, "supersedes"), "sha256:x", "$.events[1].supersedes"),
    (("events", 1, "supersedes"), [7], "$.events[1].supersedes[0]"),
    (("events", 1, "prev_event"), ["sha256:x"], "$.events[1].prev_event"),
    (("events", 0, "event_id"), None, "$.events[0].event_id"),
    (("events", 0, "payload", "receipt"), "signed", "$.events[0].payload.receipt"),
    (("events", 0, "payload", "receipt", "key_id"), None, "$.events[0].payload.receipt.key_id"),
    (
        ("events", 0, "payload", "receipt", "signature_b64"),
        1,
        "$.events[0].payload.receipt.signature_b64",
    ),
    (("state",), "merged", "$.state"),
    (("bundle_signature",), [], "$.bundle_signature"),
    (("public_keys",), [{"key_id": "k"}, "stVStoiQ"], "$.public_keys"),
    (("source_aliases",), "none", "$.source_aliases"),
    (("pith_number",), None, "$.pith_number"),
]


@pytest.mark.parametrize(("path", "value", "where"), BUNDLE_CASES)
def test_bundle_missing_or_ill_typed_field_names_the_path(
    path: tuple[Any, ...], value: Any, where: str
) -> None:
    base = _real("bundle")
    obj = _delete(base, path) if value is None else _set(base, path, value)
    assert _format_error(obj).where == where


def test_error_messages_say_what_was_expected() -> None:
    error = _format_error(_set(_real("2106.06530"), ("receipt",), "a signature"))
    assert "'receipt' should be an object, not a string" in str(error)
    error = _format_error(_set(_real("bundle"), ("events",), {}))
    assert "'events' should be an array, not an object" in str(error)
    error = _format_error(
        _set(_real("2106.06530"), ("canonical_record", "source", "version"), True)
    )
    assert "should be an integer, not true/false" in str(error)
    error = _format_error(_delete(_real("2106.06530"), ("receipt", "signature_b64")))
    assert "required field 'signature_b64' is missing" in str(error)


def test_optional_fields_may_be_absent_or_null() -> None:
    obj = _real("1611.01838")
    for key in ("paper", "inbound_citations", "links", "verification_status", "created_at"):
        obj.pop(key, None)
    obj["updated_at"] = None
    doc = parse_document(obj)
    assert doc.paper.title == ""
    assert doc.citation_count == 0 and doc.citations == ()
    assert doc.updated_at == ""
    bundle = _real("bundle")
    for key in ("state", "bundle_signature", "short_pith_number", "public_keys"):
        bundle.pop(key)
    parsed = parse_document(bundle)
    assert parsed.state is None and parsed.bundle_signature is None
    assert parsed.public_keys == ()


def test_a_bundle_without_a_receipt_parses_with_receipt_none() -> None:
    bundle = _real("bundle")
    del bundle["events"][0]["payload"]["receipt"]
    assert parse_document(bundle).receipt is None
    bundle["events"] = bundle["events"][1:]
    assert parse_document(bundle).receipt is None


# --- unknown fields are kept --------------------------------------------------------------


def test_unknown_fields_are_kept_in_raw() -> None:
    obj = _real("2106.06530")
    obj["future_field"] = {"nested": [1, 2]}
    obj["receipt"]["countersignature"] = "abc"
    doc = parse_document(obj)
    assert doc.raw["future_field"] == {"nested": [1, 2]}
    assert doc.receipt.raw["countersignature"] == "abc"
    assert doc.raw == obj

    bundle = _real("bundle")
    bundle["timestamp_proofs"] = [{"ots": "proof"}]
    bundle["events"][1]["extension"] = {"x": 1}
    parsed = parse_document(bundle)
    assert parsed.raw["timestamp_proofs"] == [{"ots": "proof"}]
    assert parsed.events[1].raw["extension"] == {"x": 1}
    assert parsed.events[0].raw["supersedes"] == []


def test_generated_documents_parse_as_their_kind() -> None:
    assert isinstance(parse_document(make_record()), NumberRecord)
    bundle = parse_document(make_bundle(extra_events=("correction",)))
    assert isinstance(bundle, Bundle)
    assert [e.event_type for e in bundle.events] == [
        "record_created",
        "graph_snapshot",
        "correction",
    ]
    assert bundle.paper.title == "A Test Bundle"


def test_paper_of_a_bundle_comes_from_the_newest_graph_snapshot() -> None:
    bundle = make_bundle()
    second = copy.deepcopy(bundle["events"][1])
    second["payload"]["graph_snapshot"]["paper"]["title"] = "Newer Title"
    bundle["events"].append(second)
    assert parse_document(bundle).paper.title == "Newer Title"
    second["payload"]["graph_snapshot"]["paper"] = {"title": 5}
    assert parse_document(bundle).paper.title == ""


def test_event_links_parse() -> None:
    bundle = _real("bundle")
    event = bundle["events"][1]
    assert parse_document(bundle).events[1].supersedes == ()
    event["supersedes"] = ["sha256:a", "sha256:b"]
    event["prev_event"] = "sha256:c"
    parsed = parse_document(bundle).events[1]
    assert parsed.supersedes == ("sha256:a", "sha256:b") and parsed.prev_event == "sha256:c"
    del event["supersedes"], event["prev_event"]
    parsed = parse_document(bundle).events[1]
    assert parsed.supersedes == () and parsed.prev_event is None
