"""Generated cases for field provenance (issue 9) and the verdict rule (issues 10 §2, §3).

`PROVENANCE_CASES` ("provenance"): the server's text edited one field at a time, in real
and generated records and bundles, signed again where the signer could (a generated bundle's
snapshot): what the signed record also states must fail `paper_fields` and still be shown
as the signed value; what nothing signs stays verified but reads "unsigned".

`VERDICT_RULE_CASES` ("verdict-rule"): what the verifier cannot check is never verified (an
alias kind with no known derivation, a source that is not arXiv, a link to an absent event,
a possible equivocation), an event's signer block must name the key that verified it, and a
signed arXiv id must be one. Each case says its verdict, the checks that must fail or stay
unchecked, and runs through the library, the CLI (human and --json) and `cache import`.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any

from tests.adversarial.corpus import (
    FAILED,
    INCOMPLETE,
    REAL_BUNDLE,
    REAL_RECORDS,
    REJECTED,
    VERIFIED,
    DocCase,
    base_bundle,
    base_record,
    real_doc,
)
from tests.signing import (
    OTHER_KEY,
    dumps,
    make_bundle,
    make_event,
    make_record,
    restate_bundle,
    sign_event,
)

Doc = dict[str, Any]
Mutation = Callable[[Doc], Doc | None]

SIGNED_PAPER_FIELDS: dict[str, Any] = {
    "submitted_at": "1999-01-01T00:00:00Z",
    "primary_cat": "hep-th",
    "cross_cats": ["quant-ph"],
    "license": "http://creativecommons.org/publicdomain/zero/1.0/",
}
UNSIGNED_PAPER_FIELDS: dict[str, tuple[str, str]] = {
    # paper key: (JSON field name, forged text)
    "authors_text": ("authors", "Mallory Forger"),
    "abstract_excerpt": ("abstract", "An abstract nobody signed."),
    "headline": ("headline", "A headline nobody signed"),
}
JSON_NAME = {"cross_cats": "cross_cats", "submitted_at": "submitted_at", "license": "license"}


def _case(
    category: str,
    case_id: str,
    description: str,
    base: Callable[[], Doc],
    mutate: Mutation,
    expect: str,
    *,
    fails: tuple[str, ...] = (),
    unchecked: tuple[str, ...] = (),
    words: tuple[str, ...] = (),
    provenance: tuple[tuple[str, str], ...] = (),
) -> DocCase:
    def build() -> bytes:
        doc = base()
        result = mutate(doc)
        return dumps(result if isinstance(result, dict) else doc)

    return DocCase(
        category,
        case_id,
        description,
        build,
        expect,
        fails,
        unchecked,
        words,
        provenance=provenance,
    )


def _set(path: tuple[Any, ...], value: Any) -> Mutation:
    def mutate(doc: Doc) -> None:
        node = doc
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = copy.deepcopy(value)

    return mutate


def _real(name: str) -> Callable[[], Doc]:
    return functools.partial(real_doc, REAL_RECORDS[name])


def _real_bundle() -> Doc:
    return real_doc(REAL_BUNDLE)


def _snapshot_index(bundle: Doc) -> int:
    return next(i for i, e in enumerate(bundle["events"]) if e["event_type"] == "graph_snapshot")


def _resign_event(index_of: Callable[[Doc], int], edit: Callable[[Doc], None]) -> Mutation:
    """Edit one event of a generated bundle, then sign it, restate and sign the bundle."""

    def mutate(bundle: Doc) -> Doc:
        index = index_of(bundle)
        event = bundle["events"][index]
        edit(event)
        bundle["events"][index] = sign_event(event)
        return restate_bundle(bundle)

    return mutate


def _snapshot_paper(key: str, value: Any) -> Mutation:
    def edit(event: Doc) -> None:
        event["payload"]["graph_snapshot"]["paper"][key] = copy.deepcopy(value)

    return _resign_event(_snapshot_index, edit)


def _record_created(key: str, value: Any) -> Mutation:
    def edit(event: Doc) -> None:
        event["payload"][key] = value

    return _resign_event(lambda _b: 0, edit)


# --- provenance -------------------------------------------------------------------------------


def _provenance_cases() -> list[DocCase]:
    cases: list[DocCase] = []
    bases: list[tuple[str, Callable[[], Doc]]] = [
        *((f"real-{name}", _real(name)) for name in REAL_RECORDS),
        ("generated-record", base_record),
    ]
    for base_id, base in bases:
        for key, value in SIGNED_PAPER_FIELDS.items():
            cases.append(
                _case(
                    "provenance",
                    f"{base_id}-paper-{key}",
                    f"the paper block's {key} contradicts the signed record",
                    base,
                    _set(("paper", key), value),
                    FAILED,
                    fails=("paper_fields",),
                    provenance=((JSON_NAME.get(key, key), "signed"), ("authors", "unsigned")),
                )
            )
        for key, (name, text) in UNSIGNED_PAPER_FIELDS.items():
            cases.append(
                _case(
                    "provenance",
                    f"{base_id}-paper-{key}",
                    f"the paper block's {key}, which nothing signs, edited",
                    base,
                    _set(("paper", key), text),
                    VERIFIED,
                    provenance=((name, "unsigned"), ("submitted_at", "signed")),
                )
            )
    real = _real("2106.06530")
    for path, value in (
        (("graph_snapshot", "paper", "primary_cat"), "hep-th"),
        (("graph_snapshot", "paper", "submitted_at"), "1999-01-01T00:00:00Z"),
        (("graph_snapshot", "paper", "cross_cats"), ["quant-ph"]),
        (("graph_snapshot", "paper", "license"), "http://example.invalid/licence"),
        (("graph_snapshot", "paper", "title"), "A Title Nobody Signed"),
        (("graph_snapshot", "source", "id"), "2106.06531"),
        (("graph_snapshot", "source", "version"), 1),
        (("source", "id"), "2106.06531"),
        (("source", "version"), 1),
        (("source", "kind"), "ssrn"),
    ):
        cases.append(
            _case(
                "provenance",
                f"real-2106.06530-{'.'.join(path)}",
                f"the server's {'.'.join(path)} contradicts the signed record",
                real,
                _set(path, value),
                FAILED,
                fails=("paper_fields",),
                provenance=(("arxiv_id", "signed"), ("version", "signed")),
            )
        )
    cases.append(
        _case(
            "provenance",
            "real-2106.06530-the-issue-forgery",
            "the forgery of issue 9: dates, categories, licence, authors and abstract at once",
            real,
            lambda d: d["paper"].update(
                submitted_at="1999-01-01T00:00:00Z",
                primary_cat="hep-th",
                cross_cats=["quant-ph"],
                license="http://creativecommons.org/publicdomain/zero/1.0/",
                authors_text="Mallory Forger",
                abstract_excerpt="A new abstract.",
            ),
            FAILED,
            fails=("paper_fields",),
            provenance=(
                ("submitted_at", "signed"),
                ("primary_cat", "signed"),
                ("license", "signed"),
                ("authors", "unsigned"),
                ("abstract", "unsigned"),
            ),
        )
    )
    for key, value in (
        *SIGNED_PAPER_FIELDS.items(),
        ("title", "A Title Nobody Signed"),
    ):
        cases.append(
            _case(
                "provenance",
                f"bundle-snapshot-{key}-resigned",
                f"a re-signed graph_snapshot whose {key} contradicts the signed record",
                base_bundle,
                _snapshot_paper(key, value),
                FAILED,
                fails=("paper_fields",) if key != "title" else ("title_hash",),
                provenance=(("authors", "event-signed"),),
            )
        )
    for key, (name, text) in UNSIGNED_PAPER_FIELDS.items():
        cases.append(
            _case(
                "provenance",
                f"bundle-snapshot-{key}-resigned",
                f"a re-signed graph_snapshot with other {name}: signed by the event",
                base_bundle,
                _snapshot_paper(key, text),
                VERIFIED,
                provenance=((name, "event-signed"), ("arxiv_id", "signed")),
            )
        )
    for key, value in (
        ("source_id", "2403.39999"),
        ("source_version", 9),
        ("source_kind", "ssrn"),
    ):
        cases.append(
            _case(
                "provenance",
                f"bundle-record-created-{key}-resigned",
                f"a re-signed record_created payload whose {key} is not the signed source's",
                base_bundle,
                _record_created(key, value),
                FAILED,
                fails=("paper_fields",),
                provenance=(("arxiv_id", "signed"),),
            )
        )
    cases.append(
        _case(
            "provenance",
            "real-bundle-snapshot-authors-not-resigned",
            "the real bundle's snapshot authors edited: no signature covers them any more",
            _real_bundle,
            lambda d: d["events"][_snapshot_index(d)]["payload"]["graph_snapshot"]["paper"].update(
                authors_text="Mallory Forger"
            ),
            FAILED,
            fails=("event_ids", "bundle_signature"),
            provenance=(("authors", "unsigned"), ("arxiv_id", "signed")),
        )
    )
    cases.append(
        _case(
            "provenance",
            "record-unpinned-receipt",
            "a record signed by a key nobody pinned: nothing in it is signed",
            lambda: make_record("2403.30101", key=OTHER_KEY, key_id="attacker-2026-01"),
            lambda d: None,
            FAILED,
            fails=("signing_key",),
            unchecked=("receipt_signature",),
            provenance=(("arxiv_id", "unsigned"), ("submitted_at", "unsigned")),
        )
    )
    return cases


# --- the verdict rule -----------------------------------------------------------------------

UNKNOWN_ALIAS_KINDS = ("isbn", "ARXIV", "arxiv ", "doi2", "")
NOT_ARXIV_IDS = (
    "2106.6530",
    "1312.12345",
    "0612.0001",
    "2113.00001",
    "2106.06530v2",
    "CS/0512068",
    "math.GT/0309136",
    "nosuch-arch/9901001",
    "cs/0712001",
    "../../../etc/passwd",
    "",
    " 2106.06530",
    "2106.06530\n",
    "２１０６.06530",
)
ARXIV_IDS = ("cs/0512068", "hep-th/9901001", "math/0309136", "0704.0001", "1501.00001")


def _add_alias(kind: str, key: str = "aliases") -> Mutation:
    def mutate(doc: Doc) -> None:
        doc[key].append({"alias_kind": kind, "alias_value": "x", "created_at": ""})

    return mutate


def _add_alias_resigned(kind: str) -> Mutation:
    def mutate(bundle: Doc) -> Doc:
        _add_alias(kind, "source_aliases")(bundle)
        return restate_bundle(bundle)

    return mutate


def _event_index(event_type: str) -> Callable[[Doc], int]:
    return lambda b: next(i for i, e in enumerate(b["events"]) if e["event_type"] == event_type)


def _signer(event_type: str, field: str, value: Any) -> Mutation:
    def edit(event: Doc) -> None:
        if field == "*":
            event["signer"] = copy.deepcopy(value)
        else:
            event["signer"][field] = value

    index_of = _event_index(event_type)

    def mutate(bundle: Doc) -> Doc:
        index = index_of(bundle)
        event = bundle["events"][index]
        edit(event)
        bundle["events"][index] = sign_event(event)
        flags = [i != index for i in range(len(bundle["events"]))]
        return restate_bundle(bundle, valid=flags)

    return mutate


def _record_event_signer(field: str, value: Any) -> Mutation:
    def mutate(doc: Doc) -> None:
        event = make_event("correction", doc["pith_number"], {"note": "x"})
        event["signer"][field] = value
        doc["events"] = [sign_event(event)]

    return mutate


def _links(event_type: str, **links: Any) -> Mutation:
    def edit(event: Doc) -> None:
        event.update(links)

    return _resign_event(_event_index(event_type), edit)


def _link_to(event_type: str, target_type: str, how: str, invalid_target: bool = False) -> Mutation:
    def mutate(bundle: Doc) -> Doc:
        target_index = _event_index(target_type)(bundle)
        target = bundle["events"][target_index]["event_id"]
        index = _event_index(event_type)(bundle)
        event = bundle["events"][index]
        event[how] = [target] if how == "supersedes" else target
        bundle["events"][index] = sign_event(event)
        flags = [True] * len(bundle["events"])
        if invalid_target:
            bundle["events"][target_index]["payload"]["note"] = "edited after signing"
            flags[target_index] = False
        return restate_bundle(bundle, valid=flags)

    return mutate


def _twin(event_type: str, *, same_time: bool, same_payload: bool) -> Mutation:
    def mutate(bundle: Doc) -> Doc:
        original = bundle["events"][_event_index(event_type)(bundle)]
        twin = copy.deepcopy(original)
        if not same_payload:
            twin["payload"] = {"note": "the other story"}
        else:
            twin["target"] = "another-target"
        if not same_time:
            twin["created_at"] = "2026-07-01T00:00:00Z"
        bundle["events"].append(sign_event(twin))
        return restate_bundle(bundle)

    return mutate


def _verdict_rule_cases() -> list[DocCase]:
    cases: list[DocCase] = []
    rule = "verdict-rule"
    for kind in UNKNOWN_ALIAS_KINDS:
        label = kind.strip().replace(" ", "-") or "empty"
        label += "-trailing-space" if kind.endswith(" ") else ""
        for base_id, base in (
            *((f"real-{name}", _real(name)) for name in REAL_RECORDS),
            ("generated-record", base_record),
        ):
            cases.append(
                _case(
                    rule,
                    f"{base_id}-alias-kind-{label}",
                    f"an alias of kind {kind!r}, which no derivation covers",
                    base,
                    _add_alias(kind),
                    INCOMPLETE,
                    unchecked=("aliases",),
                )
            )
        cases.append(
            _case(
                rule,
                f"generated-bundle-alias-kind-{label}",
                f"a signed bundle with an alias of kind {kind!r}",
                base_bundle,
                _add_alias_resigned(kind),
                INCOMPLETE,
                unchecked=("aliases",),
            )
        )
    cases.append(
        _case(
            rule,
            "real-bundle-alias-kind-isbn",
            "an alias added to the real bundle: its signature breaks, the alias is unchecked",
            _real_bundle,
            _add_alias("isbn", "source_aliases"),
            FAILED,
            fails=("bundle_signature",),
            unchecked=("aliases",),
        )
    )
    for kind in ("ssrn", "doi", "ARXIV", ""):
        cases.append(
            _case(
                rule,
                f"source-kind-{kind or 'empty'}",
                f"a record whose signed source kind is {kind!r}, not 'arxiv'",
                functools.partial(make_record, "2403.30201", source_kind=kind),
                lambda d: None,
                INCOMPLETE,
                unchecked=("aliases",),
            )
        )
    for index, arxiv_id in enumerate(NOT_ARXIV_IDS):
        cases.append(
            _case(
                rule,
                f"signed-id-not-arxiv-{index}",
                f"the signed arXiv id {arxiv_id!r} is not an arXiv id",
                functools.partial(make_record, arxiv_id),
                lambda d: None,
                FAILED,
                fails=("aliases",),
            )
        )
    cases.append(
        _case(
            rule,
            "bundle-signed-id-not-arxiv",
            "a signed bundle whose signed arXiv id is a path",
            functools.partial(make_bundle, "../../escaped"),
            lambda d: None,
            FAILED,
            fails=("aliases",),
        )
    )
    for arxiv_id in ARXIV_IDS:
        cases.append(
            _case(
                rule,
                f"signed-id-valid-{arxiv_id.replace('/', '-')}",
                f"a valid signed arXiv id {arxiv_id!r} verifies",
                functools.partial(make_record, arxiv_id),
                lambda d: None,
                VERIFIED,
            )
        )
    for event_type in ("record_created", "graph_snapshot", "correction"):
        for field, value in (
            ("key_id", "pith-other-2026-01"),
            ("public_key_fingerprint", "11" * 16),
            ("signer_id", "mallory.example"),
            ("*", {}),
        ):
            name = "whole-block" if field == "*" else field
            cases.append(
                _case(
                    rule,
                    f"signer-{event_type}-{name}",
                    f"the {event_type} event's signer block names another {name}",
                    base_bundle,
                    _signer(event_type, field, value),
                    FAILED,
                    fails=("event_signatures",),
                )
            )
    cases.append(
        _case(
            rule,
            "signer-record-event-key_id",
            "a record's event whose signer block names another key",
            base_record,
            _record_event_signer("key_id", "pith-other-2026-01"),
            FAILED,
            fails=("event_signatures",),
        )
    )
    absent = "sha256:" + "ab" * 32
    for event_type in ("graph_snapshot", "correction"):
        for how, value in (("supersedes", [absent]), ("prev_event", absent)):
            cases.append(
                _case(
                    rule,
                    f"{event_type}-{how}-absent",
                    f"a {event_type} event whose {how} names an event the bundle lacks",
                    base_bundle,
                    _links(event_type, **{how: value}),
                    INCOMPLETE,
                    unchecked=("event_links",),
                )
            )
    for how in ("supersedes", "prev_event"):
        cases.append(
            _case(
                rule,
                f"correction-{how}-present",
                f"a correction whose {how} names the bundle's snapshot",
                base_bundle,
                _link_to("correction", "graph_snapshot", how),
                VERIFIED,
            )
        )
        cases.append(
            _case(
                rule,
                f"correction-{how}-invalid-target",
                f"a correction whose {how} names an event that does not verify",
                base_bundle,
                _link_to("correction", "timestamp_anchor", how, invalid_target=True),
                FAILED,
                fails=("event_ids",),
                unchecked=("event_links",),
            )
        )
    for event_type in ("graph_snapshot", "correction", "author_attestation"):
        cases.append(
            _case(
                rule,
                f"equivocation-{event_type}",
                f"two {event_type} events by one signer at one time, with other payloads",
                base_bundle,
                _twin(event_type, same_time=True, same_payload=False),
                INCOMPLETE,
                unchecked=("event_links",),
            )
        )
        cases.append(
            _case(
                rule,
                f"no-equivocation-{event_type}-later",
                f"two {event_type} events with other payloads at different times",
                base_bundle,
                _twin(event_type, same_time=False, same_payload=False),
                VERIFIED,
            )
        )
        cases.append(
            _case(
                rule,
                f"no-equivocation-{event_type}-same-payload",
                f"two {event_type} events at one time with the same payload",
                base_bundle,
                _twin(event_type, same_time=True, same_payload=True),
                VERIFIED,
            )
        )
    for how, value, words in (
        ("supersedes", "sha256:x", ("supersedes", "array")),
        ("supersedes", [7], ("supersedes", "strings")),
        ("prev_event", ["sha256:x"], ("prev_event", "string")),
    ):
        cases.append(
            _case(
                rule,
                f"malformed-{how}-{type(value).__name__}",
                f"an event whose {how} is {value!r}: not a Pith document",
                base_bundle,
                _set(("events", 1, how), value),
                REJECTED,
                words=words,
            )
        )
    return cases


PROVENANCE_CASES: list[DocCase] = _provenance_cases()
VERDICT_RULE_CASES: list[DocCase] = _verdict_rule_cases()


def _check_unique() -> None:
    seen: set[tuple[str, str]] = set()
    for case in (*PROVENANCE_CASES, *VERDICT_RULE_CASES):
        key = (case.category, case.id)
        assert key not in seen, key
        seen.add(key)


_check_unique()
