"""Field provenance (issue 9): where each displayed value comes from, which signature stands
behind it, and which part of a document a signature covers. Through the library: views
made by the resolver from real and generated documents."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from pith_tui.core.coverage import coverage_of, json_lines, kept_paths, part_map
from pith_tui.core.keys import TrustStore
from pith_tui.core.provenance import FieldName, Provenance, display_fields
from pith_tui.core.resolver import Resolver, verify_bytes
from pith_tui.core.session import open_session
from pith_tui.core.verify import Status, Verdict
from pith_tui.core.view import DOCUMENTS_LABEL, RecordView
from tests.conftest import REAL_RECORDS
from tests.signing import (
    OTHER_KEY,
    dumps,
    make_bundle,
    make_event,
    make_record,
    restate_bundle,
    sign_event,
)
from tests.signing import test_trust as trust_with_test_key

NOW = datetime(2026, 6, 10, tzinfo=timezone.utc)
PITH = TrustStore.shipped()
SIGNED_FIELDS = (
    FieldName.ARXIV_ID,
    FieldName.VERSION,
    FieldName.SOURCE_KIND,
    FieldName.PRIMARY_CAT,
    FieldName.CROSS_CATS,
    FieldName.SUBMITTED_AT,
    FieldName.LICENSE,
    FieldName.HASH,
)


def _real(name: str) -> dict[str, Any]:
    return json.loads(REAL_RECORDS[name].read_bytes())


def _view(*documents: dict[str, Any] | bytes, trust: TrustStore = PITH) -> RecordView:
    """A view of one record and/or one bundle, as the resolver makes it from files."""
    items = {}
    for document in documents:
        raw = document if isinstance(document, bytes) else dumps(document)
        item = verify_bytes(raw, trust, now=NOW)
        items[item.document.kind] = item
    record, bundle = items.get("record"), items.get("bundle")
    return RecordView(
        pith_id=next(iter(items.values())).pith_id,
        record=record.document if record else None,  # type: ignore[arg-type]
        bundle=bundle.document if bundle else None,  # type: ignore[arg-type]
        record_report=record.report if record else None,
        bundle_report=bundle.report if bundle else None,
        source="file",
        fetched_at=None,
    )


# --- a number record --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["2106.06530", "1611.01838", "1704.04289"])
def test_a_real_record_signs_its_metadata_and_nothing_else(name: str) -> None:
    doc = _real(name)
    fields = _view(doc).fields
    metadata, source = doc["canonical_record"]["metadata"], doc["canonical_record"]["source"]
    for field in SIGNED_FIELDS:
        assert fields[field].provenance is Provenance.SIGNED, field
        assert fields[field].covered_by == ("the record's receipt signature (key pith-v1-2026-05)",)
    assert fields[FieldName.SUBMITTED_AT].value == metadata["submitted_at"]
    assert fields[FieldName.CROSS_CATS].value == tuple(metadata["cross_cats_sorted"])
    assert fields[FieldName.ARXIV_ID].value == source["id"]
    assert fields[FieldName.VERSION].value == source["version"]
    assert fields[FieldName.SUBMITTED_AT].source == "record: canonical_record.metadata.submitted_at"
    title = fields[FieldName.TITLE]
    assert title.provenance is Provenance.HASH_BOUND and title.value == doc["paper"]["title"]
    for field in (FieldName.PITH_NUMBER, FieldName.SHORT_PITH_NUMBER, FieldName.ALIASES):
        assert fields[field].provenance is Provenance.HASH_BOUND, field
    for field in (FieldName.AUTHORS, FieldName.ABSTRACT, FieldName.SERVER_CLAIMS):
        assert fields[field].provenance is Provenance.UNSIGNED, field
        assert fields[field].covered_by == ()
    assert fields[FieldName.AUTHORS].value == doc["paper"]["authors_text"]
    assert fields[FieldName.AUTHORS].source == "record: paper.authors_text"
    assert fields[FieldName.CITATIONS].provenance is Provenance.UNSIGNED
    assert not any(item.contradictions or item.differences for item in fields.values())


def test_the_issue_forgery_shows_the_signed_values_and_names_the_unsigned_ones() -> None:
    doc = _real("2106.06530")
    doc["paper"].update(
        submitted_at="1999-01-01T00:00:00Z",
        primary_cat="hep-th",
        cross_cats=["quant-ph"],
        license="http://creativecommons.org/publicdomain/zero/1.0/",
        authors_text="Mallory Forger",
        abstract_excerpt="A new abstract.",
    )
    view = _view(doc)
    fields = view.fields
    assert view.verdict is Verdict.FAILED
    assert fields[FieldName.SUBMITTED_AT].value == "2021-06-11T17:59:07Z"
    assert fields[FieldName.PRIMARY_CAT].value == "cs.LG"
    assert fields[FieldName.LICENSE].value == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    for field, stated in (
        (FieldName.SUBMITTED_AT, "1999-01-01T00:00:00Z"),
        (FieldName.PRIMARY_CAT, "hep-th"),
        (FieldName.CROSS_CATS, "quant-ph"),
        (FieldName.LICENSE, "http://creativecommons.org/publicdomain/zero/1.0/"),
    ):
        (contradiction,) = fields[field].contradictions
        assert contradiction.stated == stated and contradiction.where == "the paper block"
        assert fields[field].provenance is Provenance.SIGNED
    assert fields[FieldName.AUTHORS].value == "Mallory Forger"
    assert view.unsigned == [FieldName.AUTHORS, FieldName.ABSTRACT, FieldName.SERVER_CLAIMS]


def test_a_record_whose_receipt_does_not_verify_signs_nothing() -> None:
    view = _view(_real("2106.06530"), trust=TrustStore([]))
    assert view.verdict is not Verdict.VERIFIED
    for field, item in view.fields.items():
        assert item.provenance is Provenance.UNSIGNED, field
    assert view.fields[FieldName.ARXIV_ID].value == "2106.06530"  # still shown, as unsigned


def test_when_the_record_does_not_verify_a_difference_is_no_contradiction() -> None:
    """The signed record itself edited: the paper block's (genuine) value differs from an
    unverified canonical record; nothing signed is contradicted, so no red mark."""
    doc = _real("2106.06530")
    doc["canonical_record"]["metadata"]["primary_cat"] = "cs.CR"
    item = verify_bytes(dumps(doc), PITH, now=NOW)
    assert item.report.check("paper_fields").status is Status.FAIL  # still inconsistent
    field = _view(doc).fields[FieldName.PRIMARY_CAT]
    assert (field.value, field.provenance, field.contradictions) == (
        "cs.CR",
        Provenance.UNSIGNED,
        (),
    )
    assert [d.stated for d in field.differences] == ["cs.LG", "cs.LG"]
    assert field.differences[0].against_where.startswith("the canonical record, whose signature")
    parts = part_map(item.document, item.report.coverage)
    part = coverage_of(parts, ("paper", "primary_cat"))
    assert part.contradiction == "" and "did not verify" in part.note


def test_a_title_that_does_not_match_its_hash_is_unsigned_and_contradicted() -> None:
    doc = _real("2106.06530")
    doc["paper"]["title"] = "A Title Nobody Signed"
    title = _view(doc).fields[FieldName.TITLE]
    assert title.provenance is Provenance.UNSIGNED
    (contradiction,) = title.contradictions
    assert contradiction.stated == "A Title Nobody Signed"
    assert contradiction.against.startswith("title_canon_sha256 864e0ef86f4653ff")


def test_a_value_only_the_server_states_falls_back_to_its_text() -> None:
    doc = make_record("2403.00001")
    del doc["canonical_record"]["metadata"]["license"]
    doc = _resigned_record(doc)
    field = _view(doc, trust=trust_with_test_key()).fields[FieldName.LICENSE]
    assert field.provenance is Provenance.UNSIGNED
    assert field.source == "record: paper.license"
    assert field.value == doc["paper"]["license"]


def _resigned_record(doc: dict[str, Any]) -> dict[str, Any]:
    """Recompute a generated record's hash, number, receipt and aliases after an edit."""
    from pith_tui.core.canonical import canonical_sha256
    from pith_tui.core.ids import format_pith_number, format_short_number, pith_id_from_sha256_hex
    from tests.signing import aliases, receipt

    digest = canonical_sha256(doc["canonical_record"])
    pith_id = pith_id_from_sha256_hex(digest)
    year = int(doc["canonical_record"]["metadata"]["submitted_at"][:4])
    source = doc["canonical_record"]["source"]
    doc.update(
        canonical_sha256=digest,
        pith_number=format_pith_number(year, pith_id),
        short_pith_number=format_short_number(pith_id),
        receipt=receipt(digest),
        aliases=aliases(source["id"], source["version"], pith_id),
    )
    return doc


# --- a bundle -------------------------------------------------------------------------------


def test_a_real_bundle_takes_authors_and_abstract_from_its_signed_snapshot() -> None:
    bundle = _real("bundle")
    fields = _view(bundle).fields
    snapshot_id = bundle["events"][1]["event_id"]
    authors = fields[FieldName.AUTHORS]
    assert authors.provenance is Provenance.EVENT_SIGNED
    assert authors.value == "Xiaowu Dai, Yuhua Zhu"
    assert authors.covered_by == (
        f"the graph_snapshot event {snapshot_id[:15]}…",
        "the bundle signature (key pith-v1-2026-05)",
    )
    assert authors.source == "bundle: events.1.payload.graph_snapshot.paper.authors_text"
    assert fields[FieldName.ABSTRACT].provenance is Provenance.EVENT_SIGNED
    title = fields[FieldName.TITLE]
    assert title.provenance is Provenance.HASH_BOUND
    assert f"the graph_snapshot event {snapshot_id[:15]}…" in title.covered_by
    for field in SIGNED_FIELDS:
        assert fields[field].provenance is Provenance.SIGNED, field
        assert fields[field].covered_by == (
            "the receipt in the bundle's record_created event (key pith-v1-2026-05)",
            "the bundle signature (key pith-v1-2026-05)",
        )
    assert _view(bundle).unsigned == []


def test_a_snapshot_whose_signature_fails_is_not_event_signed() -> None:
    bundle = _real("bundle")
    bundle["events"][1]["payload"]["graph_snapshot"]["paper"]["authors_text"] = "Mallory Forger"
    view = _view(bundle)
    assert view.verdict is Verdict.FAILED
    authors = view.fields[FieldName.AUTHORS]
    assert authors.value == "Mallory Forger"
    assert authors.provenance is Provenance.UNSIGNED  # nor the bundle signature: it broke too


def test_a_snapshot_signed_by_an_unpinned_key_inside_a_signed_bundle_is_bundle_signed() -> None:
    bundle = make_bundle()
    bundle["events"][1] = sign_event(bundle["events"][1], OTHER_KEY, "attacker-2026-01")
    view = _view(restate_bundle(bundle), trust=trust_with_test_key())
    assert view.verdict is not Verdict.VERIFIED
    authors = view.fields[FieldName.AUTHORS]
    assert authors.provenance is Provenance.SIGNED
    assert authors.covered_by == ("the bundle signature (key pith-test-2026-01)",)


# --- a record and its bundle ---------------------------------------------------------------


def _pair(record_authors: str, bundle_authors: str) -> tuple[dict[str, Any], dict[str, Any]]:
    record = make_record("2403.00005", title="Both Halves", authors=record_authors)
    bundle = make_bundle("2403.00005", title="Both Halves")
    event = bundle["events"][1]
    event["payload"]["graph_snapshot"]["paper"]["authors_text"] = bundle_authors
    bundle["events"][1] = sign_event(event)
    return record, restate_bundle(bundle)


def test_a_record_and_bundle_that_differ_on_authors_warn_naming_both() -> None:
    record, bundle = _pair("Mallory Forger", "Ada Lovelace, Alan Turing")
    view = _view(record, bundle, trust=trust_with_test_key())
    authors = view.fields[FieldName.AUTHORS]
    assert authors.value == "Ada Lovelace, Alan Turing"
    assert authors.provenance is Provenance.EVENT_SIGNED
    (difference,) = authors.differences
    assert difference.stated == "Mallory Forger"
    assert difference.where == "the record's paper block"
    assert difference.against_where.startswith("the bundle's graph_snapshot event sha256:")
    assert [label for label, _ in view.reports] == ["record", "bundle", DOCUMENTS_LABEL]
    check = view.documents_report.check("documents_agree")  # type: ignore[union-attr]
    assert check is not None and check.status is Status.WARN
    assert "'Mallory Forger'" in check.detail and "'Ada Lovelace, Alan Turing'" in check.detail
    assert view.verdict is Verdict.VERIFIED  # a warning, not a failure: nothing signed is wrong


def test_a_record_and_bundle_that_agree_pass_documents_agree() -> None:
    record, bundle = _pair("Ada Lovelace, Alan Turing", "Ada Lovelace, Alan Turing")
    view = _view(record, bundle, trust=trust_with_test_key())
    check = view.documents_report.check("documents_agree")  # type: ignore[union-attr]
    assert check is not None and check.status is Status.PASS
    assert check.detail == "the record and the bundle agree on authors, abstract"
    authors = view.fields[FieldName.AUTHORS]
    assert authors.differences == ()
    assert authors.provenance is Provenance.EVENT_SIGNED  # the bundle's, never the weaker one
    arxiv = view.fields[FieldName.ARXIV_ID]
    assert arxiv.covered_by == (
        "the record's receipt signature (key pith-test-2026-01)",
        "the receipt in the bundle's record_created event (key pith-test-2026-01)",
        "the bundle signature (key pith-test-2026-01)",
    )


def test_a_view_of_one_document_has_no_documents_report() -> None:
    view = _view(_real("2106.06530"))
    assert view.documents_report is None
    assert [label for label, _ in view.reports] == ["record"]


def test_fields_are_computed_once_and_survive_replace() -> None:
    from dataclasses import replace

    view = _view(_real("2106.06530"))
    again = replace(view, notes=("a note",))
    assert again.fields == view.fields and again.notes == ("a note",)
    with pytest.raises(ValueError, match="at least one document"):
        display_fields([])


async def test_the_resolver_gives_the_fields_of_a_fetched_record_and_bundle(
    tmp_path: Path, config_with_test_key: Path
) -> None:
    record, bundle = _pair("Mallory Forger", "Ada Lovelace, Alan Turing")
    pith_id = verify_bytes(dumps(record), trust_with_test_key()).pith_id
    served = {
        "/pith/2403.00005.json": dumps(record),
        f"/pith/{pith_id}/bundle.json": dumps(bundle),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        body = served.get(request.url.path)
        return httpx.Response(200, content=body) if body else httpx.Response(404)

    session = open_session(
        base_url="https://pith.science",
        offline=False,
        cache_dir=tmp_path / "cache",
        config_dir=config_with_test_key,
        transport=httpx.MockTransport(handler),
        samples=False,
    )
    resolver: Resolver = session.resolver
    try:
        view = await resolver.resolve("2403.00005")
        again = resolver.cached_view("2403.00005")
    finally:
        await resolver.aclose()
    for shown in (view, again):
        assert shown is not None
        assert shown.fields[FieldName.AUTHORS].value == "Ada Lovelace, Alan Turing"
        assert shown.documents_report is not None
        assert shown.documents_report.checks[0].status is Status.WARN


# --- what each part of a document is covered by -------------------------------------------


def test_json_lines_write_what_json_dumps_writes() -> None:
    for name in REAL_RECORDS:
        doc = _real(name)
        text = "\n".join(line.text for line in json_lines(doc))
        assert text == json.dumps(doc, indent=2, ensure_ascii=False)
    odd = {"a": [], "b": {}, "c": [1, {"d": None}], "é": "\u202e"}
    assert "\n".join(x.text for x in json_lines(odd)) == json.dumps(
        odd, indent=2, ensure_ascii=False
    )


def test_the_parts_of_a_number_record() -> None:
    doc = _real("2106.06530")
    doc["paper"]["primary_cat"] = "hep-th"
    item = verify_bytes(dumps(doc), PITH, now=NOW)
    parts = part_map(item.document, item.report.coverage)

    def kind(*path: Any) -> Provenance:
        return coverage_of(parts, path).provenance

    assert kind() is Provenance.UNSIGNED
    assert kind("canonical_record", "metadata", "license") is Provenance.SIGNED
    assert kind("canonical_sha256") is Provenance.SIGNED
    assert kind("pith_number") is Provenance.HASH_BOUND
    assert kind("paper", "title") is Provenance.HASH_BOUND
    assert kind("paper", "license") is Provenance.HASH_BOUND
    assert kind("paper", "authors_text") is Provenance.UNSIGNED
    assert kind("aliases", 0, "alias_value") is Provenance.HASH_BOUND
    assert kind("aliases", 0, "created_at") is Provenance.UNSIGNED
    assert kind("receipt", "signed_at") is Provenance.UNSIGNED
    assert kind("verification_status", "author_attested") is Provenance.UNSIGNED
    assert kind("inbound_citations") is Provenance.UNSIGNED
    forged = coverage_of(parts, ("paper", "primary_cat"))
    assert forged.contradiction == "canonical_record says 'cs.LG'"
    assert "contradicts the signed record" in forged.words
    assert "Pith's own claims" in coverage_of(parts, ("verification_status",)).words
    keep = kept_paths(doc, parts)
    assert ("paper", "title") in keep and ("paper",) in keep
    assert ("paper", "authors_text") not in keep and ("verification_status",) not in keep
    shown = "\n".join(line.text for line in json_lines(doc, keep))
    assert "canonical_record" in shown and "Mallory" not in shown
    assert "authors_text" not in shown and '"title": ' in shown
    json.loads(shown)  # still a JSON document


def test_the_parts_of_a_bundle() -> None:
    doc = _real("bundle")
    item = verify_bytes(dumps(doc), PITH, now=NOW)
    parts = part_map(item.document, item.report.coverage)
    root = coverage_of(parts, ("built_at",))
    assert root.provenance is Provenance.SIGNED
    assert root.covered_by == ("the bundle signature (key pith-v1-2026-05)",)
    event = coverage_of(parts, ("events", 1, "payload", "graph_snapshot", "paper", "authors_text"))
    assert event.provenance is Provenance.EVENT_SIGNED
    assert event.covered_by[0].startswith("its own signature (event sha256:8f694065")
    assert coverage_of(parts, ("events", 1, "signature")).note == (
        "not covered by the event's own signature"
    )
    assert coverage_of(parts, ("bundle_signature",)).provenance is Provenance.UNSIGNED
    assert coverage_of(parts, ("state",)).provenance is Provenance.HASH_BOUND
    keep = kept_paths(doc, parts)
    assert ("bundle_signature",) not in keep and ("events", 1) in keep


def test_a_bundle_whose_signature_fails_is_covered_only_by_its_valid_events() -> None:
    doc = _real("bundle")
    doc["built_at"] = "2030-01-01T00:00:00Z"
    item = verify_bytes(dumps(doc), PITH, now=NOW)
    parts = part_map(item.document, item.report.coverage)
    assert coverage_of(parts, ("built_at",)).provenance is Provenance.UNSIGNED
    assert coverage_of(parts, ("events", 0, "target")).provenance is Provenance.EVENT_SIGNED
    assert coverage_of(parts, ("canonical_record",)).provenance is Provenance.SIGNED


def test_an_added_unknown_event_is_marked_by_its_own_signature() -> None:
    bundle = make_bundle()
    bundle["events"].append(make_event("retraction_notice", bundle["pith_number"], {"x": 1}))
    item = verify_bytes(dumps(restate_bundle(bundle)), trust_with_test_key(), now=NOW)
    parts = part_map(item.document, item.report.coverage)
    assert coverage_of(parts, ("events", 2, "payload")).provenance is Provenance.EVENT_SIGNED


def test_each_alias_says_whether_it_derives_from_the_signed_record() -> None:
    from pith_tui.core.provenance import AliasCheck

    doc = _real("2106.06530")
    assert _view(doc).alias_checks == (AliasCheck.DERIVED,) * 6
    doc["aliases"].append({"alias_kind": "isbn", "alias_value": "x", "created_at": ""})
    doc["aliases"][0]["alias_value"] = "2106.06531"
    checks = _view(doc).alias_checks
    assert checks == (AliasCheck.WRONG, *([AliasCheck.DERIVED] * 5), AliasCheck.UNCHECKED)
    assert _view(_real("2106.06530"), trust=TrustStore([])).alias_checks == (
        (AliasCheck.UNSIGNED,) * 6
    )
    bundle_view = _view(_real("bundle"))
    assert bundle_view.alias_checks == (AliasCheck.DERIVED,) * 6
    # an invalid signed id: nothing derived from it counts
    record = make_record("2106.6530")
    checks = _view(record, trust=trust_with_test_key()).alias_checks
    assert AliasCheck.DERIVED not in checks
