"""Where each value pith-tui shows comes from, and which signature stands behind it.

A Pith document mixes signed data with the server's own text. In a number record only
`canonical_record` is signed (by the receipt); `paper`, `graph_snapshot`, `aliases`,
`verification_status` and `inbound_citations` are the server's text. In a bundle the bundle
signature covers everything but `bundle_signature`, and each event's payload is also covered
by the event's own signature. The title is bound to the signed `title_canon_sha256`; the Pith
Number and the aliases are derived from the signed record.

`display_fields` gives every value the app and the CLI show — title, authors, dates, ids,
aliases, citations, Pith's claims — from the strongest source at hand, with its provenance,
what covers it, and any statement that contradicts it. Provenance is only as strong as the
check behind it: `Coverage` (filled in by `verify`) says which signatures of a document
verified, and a value read from a document whose signature did not verify is `unsigned`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from typing import Any

from pith_tui.core.model import Bundle, Document, NumberRecord

JsonPath = tuple[str | int, ...]
FieldValue = str | int | None | tuple[str, ...] | tuple[Mapping[str, Any], ...] | Mapping[str, Any]


class Provenance(str, Enum):
    """Where a shown value comes from, strongest first."""

    SIGNED = "signed"  # read from data a verified signature covers (receipt, bundle signature)
    HASH_BOUND = "hash-bound"  # checked against signed data: a hash, or derived from it
    EVENT_SIGNED = "event-signed"  # from the payload of a bundle event whose signature verified
    UNSIGNED = "unsigned"  # the server's text, covered by no signature the client checked

    @property
    def words(self) -> str:
        """How the UI says it next to a value."""
        return _PROVENANCE_WORDS[self]

    @property
    def strength(self) -> int:
        return _STRENGTH[self]


_PROVENANCE_WORDS = {
    Provenance.SIGNED: "signed",
    Provenance.HASH_BOUND: "checked against the signed record",
    Provenance.EVENT_SIGNED: "from a signed event",
    Provenance.UNSIGNED: "not signed",
}
_STRENGTH = {
    Provenance.SIGNED: 3,
    Provenance.HASH_BOUND: 2,
    Provenance.EVENT_SIGNED: 1,
    Provenance.UNSIGNED: 0,
}


class AliasCheck(str, Enum):
    """What the client established about one alias."""

    DERIVED = "derived from the signed record"
    WRONG = "not what the signed record gives"
    UNCHECKED = "not checked: no known derivation"
    UNSIGNED = "not signed: the record's signature did not verify"

    @property
    def symbol(self) -> str:
        return _ALIAS_SYMBOLS[self]


_ALIAS_SYMBOLS = {
    AliasCheck.DERIVED: "✓",
    AliasCheck.WRONG: "✗",
    AliasCheck.UNCHECKED: "–",
    AliasCheck.UNSIGNED: "–",
}


class FieldName(str, Enum):
    """Every value about a paper that pith-tui displays."""

    TITLE = "title"
    AUTHORS = "authors"
    ABSTRACT = "abstract"
    HEADLINE = "headline"
    ARXIV_ID = "arxiv_id"
    VERSION = "version"
    SOURCE_KIND = "source_kind"
    PRIMARY_CAT = "primary_cat"
    CROSS_CATS = "cross_cats"
    SUBMITTED_AT = "submitted_at"
    LICENSE = "license"
    PITH_NUMBER = "pith_number"
    SHORT_PITH_NUMBER = "short_pith_number"
    HASH = "hash"
    ALIASES = "aliases"
    CITATIONS = "citations"
    SERVER_CLAIMS = "server_claims"

    @property
    def label(self) -> str:
        return _FIELD_LABELS[self]


_FIELD_LABELS = {
    FieldName.TITLE: "title",
    FieldName.AUTHORS: "authors",
    FieldName.ABSTRACT: "abstract",
    FieldName.HEADLINE: "headline",
    FieldName.ARXIV_ID: "arXiv id",
    FieldName.VERSION: "version",
    FieldName.SOURCE_KIND: "source kind",
    FieldName.PRIMARY_CAT: "primary category",
    FieldName.CROSS_CATS: "cross-lists",
    FieldName.SUBMITTED_AT: "submitted date",
    FieldName.LICENSE: "licence",
    FieldName.PITH_NUMBER: "Pith Number",
    FieldName.SHORT_PITH_NUMBER: "short number",
    FieldName.HASH: "canonical hash",
    FieldName.ALIASES: "aliases",
    FieldName.CITATIONS: "cited by",
    FieldName.SERVER_CLAIMS: "Pith's claims",
}

# Where the signed canonical record states a field: (part, key) inside `canonical_record`.
SIGNED_KEYS: Mapping[FieldName, tuple[str, str]] = {
    FieldName.ARXIV_ID: ("source", "id"),
    FieldName.VERSION: ("source", "version"),
    FieldName.SOURCE_KIND: ("source", "kind"),
    FieldName.PRIMARY_CAT: ("metadata", "primary_cat"),
    FieldName.CROSS_CATS: ("metadata", "cross_cats_sorted"),
    FieldName.SUBMITTED_AT: ("metadata", "submitted_at"),
    FieldName.LICENSE: ("metadata", "license"),
}
# The keys of the unsigned objects that restate paper fields.
PAPER_KEYS: Mapping[FieldName, str] = {
    FieldName.TITLE: "title",
    FieldName.AUTHORS: "authors_text",
    FieldName.ABSTRACT: "abstract_excerpt",
    FieldName.HEADLINE: "headline",
    FieldName.PRIMARY_CAT: "primary_cat",
    FieldName.CROSS_CATS: "cross_cats",
    FieldName.SUBMITTED_AT: "submitted_at",
    FieldName.LICENSE: "license",
}
SOURCE_KEYS: Mapping[FieldName, str] = {
    FieldName.ARXIV_ID: "id",
    FieldName.VERSION: "version",
    FieldName.SOURCE_KIND: "kind",
}
RECORD_CREATED_KEYS: Mapping[FieldName, str] = {
    FieldName.ARXIV_ID: "source_id",
    FieldName.VERSION: "source_version",
    FieldName.SOURCE_KIND: "source_kind",
}
# Fields nothing in the signed record states: the best source is a signed event.
TEXT_FIELDS = (FieldName.AUTHORS, FieldName.ABSTRACT, FieldName.HEADLINE)


def short_event_id(event_id: str) -> str:
    """`sha256:8f694065…`: enough of an event id to name it in a sentence."""
    return event_id[:15] + "…" if len(event_id) > 16 else event_id


def shown(value: Any, max_chars: int = 80) -> str:
    """A stated value as one short line of text (for details and the pane; sanitize to show)."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        text = ", ".join(value)
    elif value is None:
        text = "(none)"
    else:
        text = repr(value)
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


@dataclass(frozen=True)
class Disagreement:
    """A value stated somewhere that differs from the value it was compared with."""

    field: FieldName
    where: str  # in words: "the paper block", "graph_snapshot event sha256:8f694065…"
    path: JsonPath  # the JSON path of the stated value in its document
    stated: str  # what it says (one short line, unsanitized)
    against: str  # the value it was compared with
    against_where: str  # "the signed record", "the bundle's graph_snapshot event …"

    @property
    def sentence(self) -> str:
        return (
            f"{self.field.value}: {self.where} says {self.stated!r}, "
            f"{self.against_where} says {self.against!r}"
        )


@dataclass(frozen=True)
class Coverage:
    """What one document's own checks established, as provenance needs it: which signatures
    verified and where the server's text contradicts the signed record. Filled in by
    `verify` from its checks; the default is a document nothing verified in."""

    record_signed: bool = False  # receipt signature and canonical hash passed
    receipt_key: str = ""
    title_hash: bool | None = None  # the shown title matches the signed hash (None: no check)
    number_derived: bool = False  # the Pith Number and short number derive from the hash
    # per alias: derived from the signed source and id (True), not (False), no known rule (None)
    alias_derived: tuple[bool | None, ...] = ()
    bundle_signed: bool = False
    bundle_key: str = ""
    state_reproduced: bool = False  # the client's merge reproduced the served state
    valid_events: frozenset[str] = frozenset()  # ids of events whose hash and signature verified
    disagreements: tuple[Disagreement, ...] = ()  # unsigned text vs the signed record

    @property
    def aliases_derived(self) -> bool:
        return self.record_signed and all(d is True for d in self.alias_derived)

    def alias_checks(self, count: int) -> tuple[AliasCheck, ...]:
        """What was established about each of a document's `count` aliases."""
        if not self.record_signed:
            return tuple(AliasCheck.UNSIGNED for _ in range(count))
        derived = (*self.alias_derived, *([None] * (count - len(self.alias_derived))))
        return tuple(
            AliasCheck.UNCHECKED if d is None else AliasCheck.DERIVED if d else AliasCheck.WRONG
            for d in derived[:count]
        )

    def bundle_words(self) -> tuple[str, ...]:
        """("the bundle signature (key …)",) when it verified, else ()."""
        if not self.bundle_signed:
            return ()
        return (f"the bundle signature{_key_words(self.bundle_key)}",)

    def receipt_words(self, kind: str) -> tuple[str, ...]:
        """What signs the canonical record of a `kind` document, when its receipt verified:
        the receipt, and in a bundle also the bundle signature."""
        if not self.record_signed:
            return ()
        if kind == "bundle":
            receipt = (
                f"the receipt in the bundle's record_created event{_key_words(self.receipt_key)}"
            )
            return (receipt, *self.bundle_words())
        return (f"the record's receipt signature{_key_words(self.receipt_key)}",)


def _key_words(key_id: str) -> str:
    return f" (key {key_id})" if key_id else ""


@dataclass(frozen=True)
class DisplayField:
    """One displayed value, where it was read, its provenance, and what contradicts it."""

    name: FieldName
    value: FieldValue
    provenance: Provenance
    covered_by: tuple[str, ...] = ()  # in words: "the receipt signature (key pith-v1-2026-05)"
    source: str = ""  # where the value was read: "canonical_record.metadata.license"
    contradictions: tuple[Disagreement, ...] = ()  # statements that contradict signed data
    differences: tuple[Disagreement, ...] = ()  # the other document says otherwise (a warning)

    @property
    def text(self) -> str:
        """The value as plain text ("" when there is none); sanitize before display."""
        value = self.value
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, int):
            return str(value)
        if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
            return ", ".join(str(v) for v in value)
        return ""

    @property
    def present(self) -> bool:
        """Whether there is a value to show (an empty list or string is none)."""
        if isinstance(self.value, Mapping) and "count" in self.value:
            return bool(self.value.get("count") or self.value.get("sample"))
        return self.value is not None and self.value != "" and self.value != () and self.value != {}

    def to_json(self) -> dict[str, Any]:
        value: Any = self.value
        if isinstance(value, tuple):
            value = [dict(v) if isinstance(v, Mapping) else v for v in value]
        elif isinstance(value, Mapping):
            value = dict(value)
        item: dict[str, Any] = {
            "value": value,
            "provenance": self.provenance.value,
            "covered_by": list(self.covered_by),
            "source": self.source,
        }
        if self.contradictions:
            item["contradictions"] = [_disagreement_json(d) for d in self.contradictions]
        if self.differences:
            item["differences"] = [_disagreement_json(d) for d in self.differences]
        return item


def _disagreement_json(d: Disagreement) -> dict[str, Any]:
    return {
        "where": d.where,
        "stated": d.stated,
        "against": d.against,
        "against_where": d.against_where,
    }


Fields = Mapping[FieldName, DisplayField]


def unsigned_fields(fields: Fields) -> list[FieldName]:
    """The fields shown with a value that no checked signature covers, in display order."""
    return [
        name
        for name, item in fields.items()
        if item.provenance is Provenance.UNSIGNED and item.present
    ]


# --- what the signed record states, and what restates it -----------------------------------


def is_stated(value: Any, *, empty_is_silent: bool = True) -> bool:
    """A value counts as a statement unless it is absent or null, or (`empty_is_silent`, as
    in the paper block, whose empty strings mean "not known") "" or an empty list."""
    if value is None:
        return False
    return not empty_is_silent or (value != "" and value != [])


def signed_values(canonical_record: Mapping[str, Any]) -> dict[FieldName, Any]:
    """The fields the canonical record states, by name (absent and empty ones left out)."""
    values: dict[FieldName, Any] = {}
    for name, (part, key) in SIGNED_KEYS.items():
        container = canonical_record.get(part)
        value = container.get(key) if isinstance(container, dict) else None
        if is_stated(value):
            values[name] = value
    return values


@dataclass(frozen=True)
class Statement:
    """An object outside the signed record that restates fields of the paper."""

    where: str  # in words, without an article: "paper block", "graph_snapshot event sha256:…"
    path: JsonPath  # of the object in the document
    keys: Mapping[FieldName, str]  # field -> key in the object
    displayed: bool = False  # the document's displayed paper (its title is the title_hash check)
    event_id: str = ""  # the event whose payload holds it, if any

    @property
    def empty_is_silent(self) -> bool:
        """A paper block's "" means "not known"; a source's "" is a (wrong) value."""
        return self.keys is PAPER_KEYS


def statements(document: Document) -> list[Statement]:
    """Every place in `document` outside the signed record that restates paper fields."""
    if isinstance(document, NumberRecord):
        return [
            Statement("paper block", ("paper",), PAPER_KEYS, displayed=True),
            Statement("source block", ("source",), SOURCE_KEYS),
            Statement("graph_snapshot.paper", ("graph_snapshot", "paper"), PAPER_KEYS),
            Statement("graph_snapshot.source", ("graph_snapshot", "source"), SOURCE_KEYS),
        ]
    found = [Statement("source block", ("source",), SOURCE_KEYS)]
    shown_snapshot = displayed_snapshot(document)
    for index, event in enumerate(document.events):
        name = f"{event.event_type} event {short_event_id(event.event_id)}"
        at: JsonPath = ("events", index, "payload")
        if event.event_type == "graph_snapshot":
            found.append(
                Statement(
                    name,
                    (*at, "graph_snapshot", "paper"),
                    PAPER_KEYS,
                    displayed=index == shown_snapshot,
                    event_id=event.event_id,
                )
            )
            found.append(
                Statement(
                    f"{name} (source)",
                    (*at, "graph_snapshot", "source"),
                    SOURCE_KEYS,
                    event_id=event.event_id,
                )
            )
        elif event.event_type == "record_created":
            found.append(Statement(name, at, RECORD_CREATED_KEYS, event_id=event.event_id))
    return found


@dataclass(frozen=True)
class Stated:
    """One value the server's text states about a field of the paper."""

    statement: Statement
    name: FieldName
    key: str
    value: Any

    @property
    def path(self) -> JsonPath:
        return (*self.statement.path, self.key)


def stated_values(document: Document) -> Iterator[Stated]:
    """Every value outside the signed record that restates a field of the paper."""
    for statement in statements(document):
        obj = value_at(document.raw, statement.path)
        if not isinstance(obj, dict):
            continue
        for name, key in statement.keys.items():
            value = obj.get(key)
            if is_stated(value, empty_is_silent=statement.empty_is_silent):
                yield Stated(statement, name, key, value)


def displayed_snapshot(bundle: Bundle) -> int | None:
    """The index of the graph_snapshot event whose paper a bundle shows (the newest)."""
    for index in range(len(bundle.events) - 1, -1, -1):
        event = bundle.events[index]
        if event.event_type == "graph_snapshot":
            snapshot = event.payload.get("graph_snapshot")
            if isinstance(snapshot, dict) and isinstance(snapshot.get("paper"), dict):
                return index
    return None


def value_at(document: Mapping[str, Any], path: JsonPath) -> Any:
    """The value at a JSON path, or None when the path does not lead anywhere."""
    node: Any = document
    for part in path:
        if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(part, str) and isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def same_value(name: FieldName, stated: Any, signed: Any) -> bool:
    """Whether a restated value says what the signed one says: cross-lists as a set in any
    order, dates as the same instant, everything else exactly."""
    if name is FieldName.CROSS_CATS:
        return (
            isinstance(stated, list)
            and isinstance(signed, list)
            and sorted(map(str, stated)) == sorted(map(str, signed))
            and all(isinstance(v, str) for v in stated)
        )
    if name is FieldName.SUBMITTED_AT and isinstance(stated, str) and isinstance(signed, str):
        if stated == signed:
            return True
        a, b = _instant(stated), _instant(signed)
        return a is not None and a == b
    if isinstance(stated, bool) or isinstance(signed, bool):
        return stated is signed
    return type(stated) is type(signed) and bool(stated == signed)


def _instant(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


# --- the display fields of a view ----------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    value: FieldValue
    provenance: Provenance
    covered_by: tuple[str, ...]
    document: int  # index of the document it came from
    where: str  # in words, without an article: "paper block", "canonical_record"
    path: JsonPath  # of the value in its document

    @property
    def source(self) -> str:
        return ".".join(map(str, self.path))


def _as_value(value: Any) -> FieldValue:
    if isinstance(value, list):
        return tuple(str(v) for v in value) if all(isinstance(v, str) for v in value) else None
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return value
    return None


@dataclass(frozen=True)
class _Source:
    """One document of a paper, with what display_fields reads from it more than once."""

    index: int
    doc: Document
    coverage: Coverage
    signed: Mapping[FieldName, Any]  # what its canonical record states
    paper: Statement | None  # the object its displayed paper comes from

    @classmethod
    def of(cls, index: int, doc: Document, coverage: Coverage) -> _Source:
        paper = next((s for s in statements(doc) if s.displayed), None)
        return cls(index, doc, coverage, signed_values(doc.canonical_record), paper)


def _canonical_candidates(name: FieldName, sources: Sequence[_Source]) -> list[_Candidate]:
    """The field from each document's canonical record, then from what restates it."""
    found: list[_Candidate] = []
    part, key = SIGNED_KEYS[name]
    for source in sources:
        value = source.signed.get(name)
        if value is None:
            continue
        coverage = source.coverage
        found.append(
            _Candidate(
                _as_value(value),
                Provenance.SIGNED if coverage.record_signed else Provenance.UNSIGNED,
                coverage.receipt_words(source.doc.kind),
                source.index,
                "canonical_record",
                ("canonical_record", part, key),
            )
        )
    if found:
        return found
    for source in sources:  # nothing signed states it: the server's text, if any
        for stated in stated_values(source.doc):
            if stated.name is name and _as_value(stated.value) is not None:
                found.append(
                    _statement_candidate(
                        source.coverage, stated.statement, stated.key, stated.value, source.index
                    )
                )
    return found


def _statement_candidate(
    coverage: Coverage, statement: Statement, key: str, value: Any, index: int
) -> _Candidate:
    """A value read from an unsigned object, or from a signed event's payload."""
    provenance: Provenance = Provenance.UNSIGNED
    covered: tuple[str, ...] = ()
    if statement.event_id and statement.event_id in coverage.valid_events:
        provenance = Provenance.EVENT_SIGNED
        covered = (f"the {statement.where}", *coverage.bundle_words())
    elif statement.event_id and coverage.bundle_signed:
        provenance, covered = Provenance.SIGNED, coverage.bundle_words()
    return _Candidate(
        _as_value(value), provenance, covered, index, statement.where, (*statement.path, key)
    )


def _text_candidates(name: FieldName, sources: Sequence[_Source]) -> list[_Candidate]:
    """Title, authors, abstract, headline: each document's displayed paper."""
    found: list[_Candidate] = []
    for source in sources:
        statement, coverage = source.paper, source.coverage
        if statement is None:
            continue
        key = statement.keys[name]
        value = value_at(source.doc.raw, (*statement.path, key))
        if not isinstance(value, str) or not value:
            continue
        candidate = _statement_candidate(coverage, statement, key, value, source.index)
        if name is FieldName.TITLE and coverage.title_hash and coverage.record_signed:
            candidate = replace(
                candidate,
                provenance=Provenance.HASH_BOUND,
                covered_by=("the signed title hash (title_canon_sha256)", *candidate.covered_by),
            )
        found.append(candidate)
    return found


def _best(candidates: Sequence[_Candidate]) -> _Candidate | None:
    """The strongest candidate (the first of equals), its coverage joined with every other
    candidate of the same strength that states the same value."""
    if not candidates:
        return None
    best = max(candidates, key=lambda c: c.provenance.strength)  # max keeps the first
    covered = list(best.covered_by)
    for other in candidates:
        if other is not best and other.provenance is best.provenance and other.value == best.value:
            covered += [w for w in other.covered_by if w not in covered]
    return replace(best, covered_by=tuple(covered))


def _squeeze(text: Any) -> str:
    return " ".join(str(text).split())


def _owner(doc: Document) -> str:
    """ "the record's" / "the bundle's", to say which document a part belongs to."""
    return "the record's" if isinstance(doc, NumberRecord) else "the bundle's"


def _differences(
    name: FieldName,
    chosen: _Candidate,
    candidates: Sequence[_Candidate],
    sources: Sequence[_Source],
) -> tuple[Disagreement, ...]:
    """Where another document states this text differently (record vs bundle)."""
    found = []
    for other in candidates:
        if other.document == chosen.document or _squeeze(other.value) == _squeeze(chosen.value):
            continue
        found.append(
            Disagreement(
                name,
                f"{_owner(sources[other.document].doc)} {other.where}",
                other.path,
                shown(other.value),
                shown(chosen.value),
                f"{_owner(sources[chosen.document].doc)} {chosen.where}",
            )
        )
    return tuple(found)


UNVERIFIED_RECORD = "the canonical record, whose signature did not verify,"


def _title_contradictions(source: _Source) -> list[Disagreement]:
    """The document's shown title, when it does not match the title hash it states."""
    found = []
    doc, statement = source.doc, source.paper
    if source.coverage.title_hash is False and statement is not None:
        metadata = doc.canonical_record.get("metadata")
        signed = metadata.get("title_canon_sha256") if isinstance(metadata, dict) else None
        found.append(
            Disagreement(
                FieldName.TITLE,
                f"{_owner(doc)} {statement.where}",
                (*statement.path, "title"),
                shown(value_at(doc.raw, (*statement.path, "title"))),
                f"title_canon_sha256 {str(signed)[:16]}…",
                "the signed record",
            )
        )
    return found


def _field(
    name: FieldName,
    candidates: Sequence[_Candidate],
    sources: Sequence[_Source],
    contradictions: Sequence[Disagreement] = (),
    unverified: Sequence[Disagreement] = (),
) -> DisplayField:
    chosen = _best(candidates)
    if chosen is None:
        return DisplayField(
            name,
            None,
            Provenance.UNSIGNED,
            contradictions=tuple(contradictions),
            differences=tuple(unverified),
        )
    differences = _differences(name, chosen, candidates, sources) if name in TEXT_FIELDS else ()
    return DisplayField(
        name,
        chosen.value,
        chosen.provenance,
        chosen.covered_by,
        f"{sources[chosen.document].doc.kind}: {chosen.source}",
        tuple(contradictions),
        (*differences, *unverified),
    )


def display_fields(docs: Sequence[tuple[Document, Coverage]]) -> dict[FieldName, DisplayField]:
    """Every displayed field of a paper from its documents (the record first, then the
    bundle) and what each document's checks established."""
    if not docs:
        raise ValueError("a paper has at least one document")
    # A disagreement with a record whose signature verified contradicts signed data; with
    # one whose signature did not, it is only a difference between two unsigned texts.
    sources = [_Source.of(index, doc, coverage) for index, (doc, coverage) in enumerate(docs)]
    contradictions: dict[FieldName, list[Disagreement]] = {name: [] for name in FieldName}
    unverified: dict[FieldName, list[Disagreement]] = {name: [] for name in FieldName}
    for source in sources:
        for item in (*source.coverage.disagreements, *_title_contradictions(source)):
            if source.coverage.record_signed:
                contradictions[item.field].append(item)
            else:
                unverified[item.field].append(replace(item, against_where=UNVERIFIED_RECORD))
    fields: dict[FieldName, DisplayField] = {}
    for name in (FieldName.TITLE, *TEXT_FIELDS):
        candidates = _text_candidates(name, sources)
        fields[name] = _field(name, candidates, sources, contradictions[name], unverified[name])
    for name in SIGNED_KEYS:
        candidates = _canonical_candidates(name, sources)
        fields[name] = _field(name, candidates, sources, contradictions[name], unverified[name])
    first, coverage = docs[0]
    fields.update(_identity_fields(first, coverage))
    record = next((doc for doc, _ in docs if isinstance(doc, NumberRecord)), None)
    fields.update(_server_fields(record))
    return {name: fields[name] for name in FieldName}


def _identity_fields(doc: Document, coverage: Coverage) -> dict[FieldName, DisplayField]:
    """The Pith Number, short number, hash and aliases of the document shown."""
    derived = coverage.record_signed and coverage.number_derived
    number_provenance = Provenance.HASH_BOUND if derived else Provenance.UNSIGNED
    number_words = ("derived from the signed record's hash",) if derived else ()
    aliases = tuple(
        {"alias_kind": a.kind, "alias_value": a.value, "created_at": a.created_at}
        for a in doc.aliases
    )
    alias_words: tuple[str, ...] = ()
    if coverage.aliases_derived and aliases:
        alias_words = ("each derived from the signed source and the Pith id",)
    aliases_key = "source_aliases" if isinstance(doc, Bundle) else "aliases"
    return {
        FieldName.PITH_NUMBER: DisplayField(
            FieldName.PITH_NUMBER,
            doc.pith_number,
            number_provenance,
            number_words,
            f"{doc.kind}: pith_number",
        ),
        FieldName.SHORT_PITH_NUMBER: DisplayField(
            FieldName.SHORT_PITH_NUMBER,
            doc.short_pith_number or None,
            number_provenance,
            number_words,
            f"{doc.kind}: short_pith_number",
        ),
        FieldName.HASH: DisplayField(
            FieldName.HASH,
            doc.canonical_sha256,
            Provenance.SIGNED if coverage.record_signed else Provenance.UNSIGNED,
            coverage.receipt_words(doc.kind),
            f"{doc.kind}: canonical_sha256",
        ),
        FieldName.ALIASES: DisplayField(
            FieldName.ALIASES,
            aliases,
            Provenance.HASH_BOUND if alias_words else Provenance.UNSIGNED,
            alias_words,
            f"{doc.kind}: {aliases_key}",
        ),
    }


def _server_fields(record: NumberRecord | None) -> dict[FieldName, DisplayField]:
    """Citations and Pith's claims: the server's words, in a number record only."""
    citations: dict[str, Any] = {"count": 0, "sample": []}
    claims: Mapping[str, Any] = {}
    where = ("record: inbound_citations", "record: verification_status")
    if record is None:
        where = ("", "")
    else:
        citations = {
            "count": record.citation_count,
            "sample": [
                {
                    "citing_arxiv_id": c.citing_arxiv_id,
                    "citing_title": c.citing_title,
                    "ref_index": c.ref_index,
                    "is_internal_anchor": c.is_internal_anchor,
                }
                for c in record.citations
            ],
        }
        claims = dict(record.verification_status)
    return {
        FieldName.CITATIONS: DisplayField(
            FieldName.CITATIONS, citations, Provenance.UNSIGNED, (), where[0]
        ),
        FieldName.SERVER_CLAIMS: DisplayField(
            FieldName.SERVER_CLAIMS, claims, Provenance.UNSIGNED, (), where[1]
        ),
    }
