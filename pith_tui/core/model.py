"""Typed, immutable models of Pith documents, built from strictly parsed JSON.

Only the fields pith-tui reads are typed; every model keeps the parsed object in `raw`
so nothing signed is lost (unknown fields included) and hashes are always recomputed
from exactly what arrived. A missing or ill-typed required field is a
`RecordFormatError` naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NoReturn, TypeVar

from pith_tui.core.canonical import REFERENCE, CanonicalForm, parse_json
from pith_tui.core.errors import RecordFormatError

T = TypeVar("T")

RECORD_TYPE = "pith_number_record"
BUNDLE_TYPE = "pith_open_graph_bundle"

_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    dict: "an object",
    list: "an array",
    bool: "true/false",
}


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    for kind, name in _TYPE_NAMES.items():
        if type(value) is kind:
            return name
    return type(value).__name__


_MISSING: Any = object()


def _field(obj: Mapping[str, Any], key: str, kind: type[T], where: str) -> T:
    """A required field of an exact JSON type (bool is not an int here)."""
    # Profiled (bulk verification reads ~75 fields per bundle): the happy path builds no
    # strings; the path and the message are made only for an error.
    value = obj.get(key, _MISSING)
    if type(value) is kind:
        return value
    _wrong_field(key, kind, value, where)


def _wrong_field(key: str, kind: type[Any], value: Any, where: str) -> NoReturn:
    path = f"{where}.{key}"
    if value is _MISSING:
        raise RecordFormatError(f"the required field {key!r} is missing", path)
    raise RecordFormatError(
        f"the field {key!r} should be {_TYPE_NAMES.get(kind, kind.__name__)}, "
        f"not {_describe(value)}",
        path,
    )


def _optional(obj: Mapping[str, Any], key: str, kind: type[T], where: str) -> T | None:
    """An optional field: absent or null gives None; present with another type is an error."""
    value = obj.get(key)
    if value is None or type(value) is kind:
        return value
    _wrong_field(key, kind, value, where)


def _text(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if type(value) is str:
        return value
    if value is None:
        return ""
    _wrong_field(key, str, value, where)


def _strings(obj: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    """An optional array of strings; absent or null gives ()."""
    items = _optional(obj, key, list, where) or []
    for index, item in enumerate(items):
        if type(item) is not str:
            raise RecordFormatError(
                f"'{key}' should hold strings, not {_describe(item)}", f"{where}.{key}[{index}]"
            )
    return tuple(items)


@dataclass(frozen=True)
class Source:
    kind: str
    id: str
    version: int | None

    @classmethod
    def parse(cls, obj: Any, where: str) -> Source:
        if not isinstance(obj, dict):
            raise RecordFormatError(f"'source' should be an object, not {_describe(obj)}", where)
        return cls(
            kind=_field(obj, "kind", str, where),
            id=_field(obj, "id", str, where),
            version=_optional(obj, "version", int, where),
        )


@dataclass(frozen=True)
class Receipt:
    key_id: str
    algorithm: str
    signature_b64: str
    signed_message: str
    canonical_sha256: str
    public_key_fingerprint: str
    signed_at: str
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def parse(cls, obj: Any, where: str) -> Receipt:
        if not isinstance(obj, dict):
            raise RecordFormatError(f"the receipt should be an object, not {_describe(obj)}", where)
        return cls(
            key_id=_field(obj, "key_id", str, where),
            algorithm=_field(obj, "algorithm", str, where),
            signature_b64=_field(obj, "signature_b64", str, where),
            signed_message=_field(obj, "signed_message", str, where),
            canonical_sha256=_field(obj, "canonical_sha256", str, where),
            public_key_fingerprint=_text(obj, "public_key_fingerprint", where),
            signed_at=_text(obj, "signed_at", where),
            raw=obj,
        )


@dataclass(frozen=True)
class Alias:
    kind: str
    value: str
    created_at: str

    @classmethod
    def parse_list(cls, items: Any, where: str) -> tuple[Alias, ...]:
        if not isinstance(items, list):
            raise RecordFormatError(
                f"the alias list should be an array, not {_describe(items)}", where
            )
        aliases = []
        for index, item in enumerate(items):
            at = f"{where}[{index}]"
            if not isinstance(item, dict):
                raise RecordFormatError(f"an alias should be an object, not {_describe(item)}", at)
            aliases.append(
                cls(
                    kind=_field(item, "alias_kind", str, at),
                    value=_field(item, "alias_value", str, at),
                    created_at=_text(item, "created_at", at),
                )
            )
        return tuple(aliases)


@dataclass(frozen=True)
class PaperInfo:
    """What the service says about the paper. Only the title is tied to a signed hash."""

    title: str = ""
    authors_text: str = ""
    abstract_excerpt: str = ""
    headline: str = ""
    primary_cat: str = ""
    cross_cats: tuple[str, ...] = ()
    submitted_at: str = ""
    license: str = ""

    @classmethod
    def parse(cls, obj: Any, where: str) -> PaperInfo:
        if obj is None:
            return cls()
        if not isinstance(obj, dict):
            raise RecordFormatError(f"'paper' should be an object, not {_describe(obj)}", where)
        cats = obj.get("cross_cats") or []
        if not isinstance(cats, list) or not all(isinstance(c, str) for c in cats):
            raise RecordFormatError(
                "'cross_cats' should be an array of strings", f"{where}.cross_cats"
            )
        return cls(
            title=_text(obj, "title", where),
            authors_text=_text(obj, "authors_text", where),
            abstract_excerpt=_text(obj, "abstract_excerpt", where),
            headline=_text(obj, "headline", where),
            primary_cat=_text(obj, "primary_cat", where),
            cross_cats=tuple(cats),
            submitted_at=_text(obj, "submitted_at", where),
            license=_text(obj, "license", where),
        )


@dataclass(frozen=True)
class Citation:
    citing_arxiv_id: str
    citing_title: str
    ref_index: int | None
    is_internal_anchor: bool

    @classmethod
    def parse_list(cls, obj: Any, where: str) -> tuple[int, tuple[Citation, ...]]:
        """(count, sample) from `inbound_citations`; absent gives (0, ())."""
        if obj is None:
            return 0, ()
        if not isinstance(obj, dict):
            raise RecordFormatError(
                f"'inbound_citations' should be an object, not {_describe(obj)}", where
            )
        count = _optional(obj, "count", int, where) or 0
        sample = obj.get("sample") or []
        if not isinstance(sample, list):
            raise RecordFormatError("'sample' should be an array", f"{where}.sample")
        citations = []
        for index, item in enumerate(sample):
            at = f"{where}.sample[{index}]"
            if not isinstance(item, dict):
                raise RecordFormatError(
                    f"a citation should be an object, not {_describe(item)}", at
                )
            citations.append(
                cls(
                    citing_arxiv_id=_text(item, "citing_arxiv_id", at),
                    citing_title=_text(item, "citing_title", at),
                    ref_index=_optional(item, "ref_index", int, at),
                    is_internal_anchor=bool(_optional(item, "is_internal_anchor", bool, at)),
                )
            )
        return count, tuple(citations)


@dataclass(frozen=True)
class Signer:
    signer_id: str
    signer_type: str
    key_id: str
    public_key_fingerprint: str


@dataclass(frozen=True)
class Event:
    event_type: str
    subject_pith_number: str
    target: str
    payload: Mapping[str, Any]
    signer: Signer
    created_at: str
    signature_key_id: str
    signature_b64: str
    signed_message: str
    content_sha256: str
    event_id: str
    raw: Mapping[str, Any] = field(repr=False, compare=False)
    supersedes: tuple[str, ...] = ()  # ids of the events this one replaces
    prev_event: str | None = None  # the id of the event this one follows

    @classmethod
    def parse(cls, obj: Any, where: str) -> Event:
        if not isinstance(obj, dict):
            raise RecordFormatError(f"an event should be an object, not {_describe(obj)}", where)
        signer = _field(obj, "signer", dict, where)
        signature = _field(obj, "signature", dict, where)
        payload = _field(obj, "payload", dict, where)
        return cls(
            event_type=_field(obj, "event_type", str, where),
            subject_pith_number=_field(obj, "subject_pith_number", str, where),
            target=_text(obj, "target", where),
            payload=payload,
            signer=Signer(
                signer_id=_text(signer, "signer_id", f"{where}.signer"),
                signer_type=_text(signer, "signer_type", f"{where}.signer"),
                key_id=_text(signer, "key_id", f"{where}.signer"),
                public_key_fingerprint=_text(signer, "public_key_fingerprint", f"{where}.signer"),
            ),
            created_at=_text(obj, "created_at", where),
            signature_key_id=_field(signature, "key_id", str, f"{where}.signature"),
            signature_b64=_field(signature, "signature_b64", str, f"{where}.signature"),
            signed_message=_field(signature, "signed_message", str, f"{where}.signature"),
            content_sha256=_field(obj, "content_sha256", str, where),
            event_id=_field(obj, "event_id", str, where),
            raw=obj,
            supersedes=_strings(obj, "supersedes", where),
            prev_event=_optional(obj, "prev_event", str, where),
        )

    @classmethod
    def parse_list(cls, items: Any, where: str) -> tuple[Event, ...]:
        if not isinstance(items, list):
            raise RecordFormatError(f"'events' should be an array, not {_describe(items)}", where)
        return tuple(cls.parse(item, f"{where}[{i}]") for i, item in enumerate(items))


def _canonical_record(obj: Mapping[str, Any], where: str) -> dict[str, Any]:
    record = _field(obj, "canonical_record", dict, where)
    at = f"{where}.canonical_record"
    Source.parse(_field(record, "source", dict, at), f"{at}.source")
    _field(record, "metadata", dict, at)
    return record


@dataclass(frozen=True)
class NumberRecord:
    """A number record as served at `/pith/<ID>.json`."""

    pith_number: str
    short_pith_number: str
    canonical_record: Mapping[str, Any]
    canonical_sha256: str
    receipt: Receipt
    source: Source
    paper: PaperInfo
    aliases: tuple[Alias, ...]
    events: tuple[Event, ...]
    verification_status: Mapping[str, Any]
    citation_count: int
    citations: tuple[Citation, ...]
    links: Mapping[str, Any]
    created_at: str
    updated_at: str
    raw: Mapping[str, Any] = field(repr=False, compare=False)
    canonical: CanonicalForm = field(default=REFERENCE, repr=False, compare=False)

    kind = "record"

    @classmethod
    def parse(cls, obj: Mapping[str, Any], canonical: CanonicalForm = REFERENCE) -> NumberRecord:
        w = "$"
        status = obj.get("verification_status") or {}
        if not isinstance(status, dict):
            raise RecordFormatError(
                "'verification_status' should be an object", f"{w}.verification_status"
            )
        links = obj.get("links") or {}
        if not isinstance(links, dict):
            raise RecordFormatError("'links' should be an object", f"{w}.links")
        count, citations = Citation.parse_list(
            obj.get("inbound_citations"), f"{w}.inbound_citations"
        )
        record = _canonical_record(obj, w)
        return cls(
            pith_number=_field(obj, "pith_number", str, w),
            short_pith_number=_field(obj, "short_pith_number", str, w),
            canonical_record=record,
            canonical_sha256=_field(obj, "canonical_sha256", str, w),
            receipt=Receipt.parse(_field(obj, "receipt", dict, w), f"{w}.receipt"),
            source=Source.parse(obj.get("source", record["source"]), f"{w}.source"),
            paper=PaperInfo.parse(obj.get("paper"), f"{w}.paper"),
            aliases=Alias.parse_list(obj.get("aliases", []), f"{w}.aliases"),
            events=Event.parse_list(obj.get("events", []), f"{w}.events"),
            verification_status=status,
            citation_count=count,
            citations=citations,
            links=links,
            created_at=_text(obj, "created_at", w),
            updated_at=_text(obj, "updated_at", w),
            raw=obj,
            canonical=canonical,
        )


@dataclass(frozen=True)
class Bundle:
    """An open graph bundle as served at `/pith/<ID>/bundle.json`."""

    pith_number: str
    short_pith_number: str
    canonical_record: Mapping[str, Any]
    canonical_sha256: str
    source: Source
    aliases: tuple[Alias, ...]
    events: tuple[Event, ...]
    state: Mapping[str, Any] | None
    bundle_signature: Mapping[str, Any] | None
    public_keys: tuple[Mapping[str, Any], ...]
    merge_version: str
    built_at: str
    links: Mapping[str, Any]
    raw: Mapping[str, Any] = field(repr=False, compare=False)
    canonical: CanonicalForm = field(default=REFERENCE, repr=False, compare=False)

    kind = "bundle"

    @classmethod
    def parse(cls, obj: Mapping[str, Any], canonical: CanonicalForm = REFERENCE) -> Bundle:
        w = "$"
        record = _canonical_record(obj, w)
        keys = obj.get("public_keys") or []
        if not isinstance(keys, list) or not all(isinstance(k, dict) for k in keys):
            raise RecordFormatError(
                "'public_keys' should be an array of objects", f"{w}.public_keys"
            )
        links = obj.get("links") or {}
        if not isinstance(links, dict):
            raise RecordFormatError("'links' should be an object", f"{w}.links")
        events = Event.parse_list(_field(obj, "events", list, w), f"{w}.events")
        receipt = _receipt_of(events)  # a malformed receipt is a format error now
        bundle = cls(
            pith_number=_field(obj, "pith_number", str, w),
            short_pith_number=_text(obj, "short_pith_number", w),
            canonical_record=record,
            canonical_sha256=_field(obj, "canonical_sha256", str, w),
            source=Source.parse(obj.get("source", record["source"]), f"{w}.source"),
            aliases=Alias.parse_list(obj.get("source_aliases", []), f"{w}.source_aliases"),
            events=events,
            state=_optional(obj, "state", dict, w),
            bundle_signature=_optional(obj, "bundle_signature", dict, w),
            public_keys=tuple(keys),
            merge_version=_text(obj, "merge_version", w),
            built_at=_text(obj, "built_at", w),
            links=links,
            raw=obj,
            canonical=canonical,
        )
        bundle.__dict__["receipt"] = receipt  # parsed once: the cached_property's value
        return bundle

    @property
    def record_created(self) -> Event | None:
        """The first `record_created` event, which carries the receipt."""
        return next((e for e in self.events if e.event_type == "record_created"), None)

    @cached_property
    def receipt(self) -> Receipt | None:
        return _receipt_of(self.events)

    @cached_property
    def paper(self) -> PaperInfo:
        """The paper as told by the newest `graph_snapshot` event, if any."""
        for event in reversed(self.events):
            if event.event_type == "graph_snapshot":
                snapshot = event.payload.get("graph_snapshot")
                if isinstance(snapshot, dict) and isinstance(snapshot.get("paper"), dict):
                    try:
                        return PaperInfo.parse(snapshot["paper"], "graph_snapshot.paper")
                    except RecordFormatError:
                        return PaperInfo()
        return PaperInfo()


def _receipt_of(events: tuple[Event, ...]) -> Receipt | None:
    """The receipt in the first `record_created` event's payload; absent or null gives None."""
    for index, event in enumerate(events):
        if event.event_type == "record_created":
            receipt = event.payload.get("receipt")
            if receipt is None:
                return None
            return Receipt.parse(receipt, f"$.events[{index}].payload.receipt")
    return None


Document = NumberRecord | Bundle


def parse_document(obj: Any, canonical: CanonicalForm = REFERENCE) -> Document:
    """A parsed JSON value to a model, or `RecordFormatError` saying what it is instead.

    `canonical` is how the verifier serialises the model's parts: the default is right for
    any value; `load_document` passes the faster form its parser proved right for `obj`.
    """
    if not isinstance(obj, dict):
        raise RecordFormatError(f"not a Pith document: the JSON is {_describe(obj)}, not an object")
    if obj.get("bundle_type") == BUNDLE_TYPE:
        return Bundle.parse(obj, canonical)
    if obj.get("record_type") == RECORD_TYPE:
        return NumberRecord.parse(obj, canonical)
    if obj.get("state_type") == "pith_open_graph_state":
        raise RecordFormatError("this is a Pith state document; pith-tui reads records and bundles")
    if obj.get("manifest_type") == "pith_mirror_manifest":
        raise RecordFormatError("this is Pith's mirror manifest, not a record or bundle")
    raise RecordFormatError(
        "not a Pith document: no record_type 'pith_number_record' or bundle_type "
        "'pith_open_graph_bundle'"
    )


def load_document(data: bytes | str) -> Document:
    """Strictly parse bytes and build the model. A non-JSON body (an HTML page) says so."""
    head = data[:256].lstrip()
    if head[:3] == b"\xef\xbb\xbf" or head[:1] == "\ufeff":
        raise RecordFormatError("not a Pith document: it starts with a byte order mark")
    first = head[:1].decode("latin-1") if isinstance(head, bytes) else head[:1]
    if first == "<":
        raise RecordFormatError("not a Pith document: this is an HTML page, not JSON")
    if first and first not in "{[":
        raise RecordFormatError("not a Pith document: this is text, not JSON")
    parsed = parse_json(data)
    return parse_document(parsed.value, parsed.canonical)
