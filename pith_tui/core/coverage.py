"""Which signature covers each part of a document, for the raw JSON view.

A number record's only signed part is `canonical_record` (by the receipt); `canonical_sha256`
is what the receipt signs, the Pith Number and the aliases derive from it, and the paper
fields the signed record also states were checked against it. Everything else is the
server's text. In a bundle the bundle signature covers everything but `bundle_signature`,
and each event is also covered by its own signature (except the signature block itself and
the hash and id computed from it).

`part_map` classifies the parts that differ from their parent; `coverage_of` finds the
classification of any path (its nearest classified ancestor). `json_lines` pretty-prints a
document as `json.dumps(indent=2)` does, each line tagged with the path it belongs to, and
can leave out what no signature covers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pith_tui.core.model import Bundle, Document
from pith_tui.core.provenance import (
    Coverage,
    FieldName,
    JsonPath,
    Provenance,
    short_event_id,
    signed_values,
    stated_values,
)


@dataclass(frozen=True)
class PartCoverage:
    """How one part of a document is covered, in words."""

    provenance: Provenance
    covered_by: tuple[str, ...] = ()  # the signatures (or the check) that stand behind it
    note: str = ""  # what it is: "the server's text", "the receipt signature itself"
    contradiction: str = ""  # how it contradicts the signed record, if it does

    @property
    def words(self) -> str:
        """One line: "covered by the bundle signature (key …)", "outside every signature"."""
        if self.contradiction:
            text = f"contradicts the signed record: {self.contradiction}"
        elif self.provenance is Provenance.UNSIGNED:
            text = "outside every signature"
        elif self.provenance is Provenance.HASH_BOUND:
            text = "checked against the signed record: " + "; ".join(self.covered_by)
        else:
            text = "covered by " + "; ".join(self.covered_by)
        return f"{text} ({self.note})" if self.note else text


PartMap = Mapping[JsonPath, PartCoverage]
OUTSIDE = PartCoverage(Provenance.UNSIGNED, note="the server's text")


def coverage_of(parts: PartMap, path: JsonPath) -> PartCoverage:
    """The coverage of `path`: that of its nearest classified ancestor (or itself)."""
    for length in range(len(path), -1, -1):
        found = parts.get(path[:length])
        if found is not None:
            return found
    return OUTSIDE


class _PartMap:
    """Builds a `PartMap`: what covers the whole document (`outer`), and the parts that
    differ from it."""

    def __init__(self, document: Document, coverage: Coverage) -> None:
        self.document = document
        self.coverage = coverage
        self.parts: dict[JsonPath, PartCoverage] = {}
        self.outer: tuple[str, ...] = ()
        if isinstance(document, Bundle):
            self.outer = coverage.bundle_words()

    def inside(self, note: str = "") -> PartCoverage:
        """A part covered by nothing but what covers the whole document."""
        if self.outer:
            return PartCoverage(Provenance.SIGNED, self.outer, note)
        return PartCoverage(Provenance.UNSIGNED, note=note or "the server's text")

    def bound(self, words: str, note: str = "") -> PartCoverage:
        return PartCoverage(Provenance.HASH_BOUND, (words, *self.outer), note)

    def build(self) -> dict[JsonPath, PartCoverage]:
        doc, coverage, parts = self.document, self.coverage, self.parts
        if isinstance(doc, Bundle):
            parts[()] = self.inside(
                "everything but bundle_signature"
                if self.outer
                else "the bundle signature did not verify"
            )
            parts[("bundle_signature",)] = PartCoverage(
                Provenance.UNSIGNED, note="the bundle signature itself"
            )
        else:
            parts[()] = OUTSIDE
            parts[("receipt",)] = PartCoverage(
                Provenance.UNSIGNED, note="the receipt: a signature and facts about it"
            )
            parts[("verification_status",)] = PartCoverage(
                Provenance.UNSIGNED, note="Pith's own claims, not checked"
            )
        signed = coverage.record_signed
        if signed:
            receipt = coverage.receipt_words(doc.kind)
            parts[("canonical_record",)] = PartCoverage(Provenance.SIGNED, receipt)
            parts[("canonical_sha256",)] = PartCoverage(
                Provenance.SIGNED, receipt, "the hash the receipt signs"
            )
            if not isinstance(doc, Bundle):
                parts[("receipt", "canonical_sha256")] = self.bound("equal to the recomputed hash")
        else:
            parts[("canonical_record",)] = self.inside("the receipt signature did not verify")
        if signed and coverage.number_derived:
            for name in ("pith_number", "short_pith_number"):
                parts[(name,)] = self.bound("derived from the signed hash")
        aliases_key = "source_aliases" if isinstance(doc, Bundle) else "aliases"
        for index, derived in enumerate(coverage.alias_derived):
            if signed and derived is True:
                parts[(aliases_key, index)] = self.bound(
                    "derived from the signed source and Pith id"
                )
                parts[(aliases_key, index, "created_at")] = self.inside()
            elif derived is None:
                parts[(aliases_key, index)] = self.inside("no known derivation: not checked")
            else:
                parts[(aliases_key, index)] = self.inside("not derived from the signed record")
        if isinstance(doc, Bundle) and coverage.state_reproduced:
            parts[("state",)] = self.bound("reproduced by the client's merge of the valid events")
        self.events()
        self.statements()
        return parts

    def events(self) -> None:
        """Each valid event is also covered by its own signature, except the parts the
        signature is made from (its signature block, content hash and id)."""
        for index, event in enumerate(self.document.events):
            at: JsonPath = ("events", index)
            if event.event_id not in self.coverage.valid_events:
                self.parts[at] = self.inside("its own signature did not verify")
                continue
            words = f"its own signature (event {short_event_id(event.event_id)})"
            self.parts[at] = PartCoverage(Provenance.EVENT_SIGNED, (words, *self.outer))
            outside_event = self.inside("not covered by the event's own signature")
            for key in ("signature", "content_sha256", "event_id"):
                part: JsonPath = (*at, key)
                self.parts[part] = outside_event

    def statements(self) -> None:
        """The paper fields and sources the server's text restates: checked or contradicted."""
        doc, coverage, parts = self.document, self.coverage, self.parts
        signed = signed_values(doc.canonical_record)
        contradicted = {d.path: d for d in coverage.disagreements}
        for stated in stated_values(doc):
            statement, name, path = stated.statement, stated.name, stated.path
            found = contradicted.get(path)
            title = name is FieldName.TITLE
            if title and statement.displayed and coverage.title_hash is False:
                found_words = "it does not match the signed title hash"
            elif found is not None:
                found_words = f"canonical_record says {found.against!r}"
            else:
                found_words = ""
            if found_words and not coverage.record_signed:
                # Two unsigned texts differ: worth saying, but no signed data is contradicted.
                parts[path] = PartCoverage(
                    Provenance.UNSIGNED,
                    note=f"differs from the canonical record, whose signature did not "
                    f"verify: {found_words}",
                )
            elif found_words:
                around = coverage_of(parts, path)
                parts[path] = PartCoverage(
                    around.provenance, around.covered_by, contradiction=found_words
                )
            elif coverage.record_signed and title:
                if coverage.title_hash or not statement.displayed:
                    parts[path] = self.bound("matches the signed title hash")
            elif coverage.record_signed and name in signed:
                parts[path] = self.bound("equal to the signed record's value")


def part_map(document: Document, coverage: Coverage) -> dict[JsonPath, PartCoverage]:
    """The coverage of every part of `document` that differs from its parent's."""
    return _PartMap(document, coverage).build()


# --- the document as lines -----------------------------------------------------------------


@dataclass(frozen=True)
class JsonLine:
    """One line of pretty JSON (unsanitized) and the path of the value it belongs to."""

    text: str
    path: JsonPath


def kept_paths(value: Any, parts: PartMap, path: JsonPath = ()) -> set[JsonPath]:
    """The paths a signed-only view keeps: parts some signature or check covers, and the
    containers that lead to them."""
    kept: set[JsonPath] = set()
    children: list[tuple[str | int, Any]] = []
    if isinstance(value, dict):
        children = list(value.items())
    elif isinstance(value, list):
        children = list(enumerate(value))
    for key, child in children:
        kept |= kept_paths(child, parts, (*path, key))
    if kept or coverage_of(parts, path).provenance is not Provenance.UNSIGNED:
        kept.add(path)
    return kept


def json_lines(value: Any, keep: set[JsonPath] | None = None) -> list[JsonLine]:
    """`value` as `json.dumps(value, indent=2, ensure_ascii=False)` writes it, line by line,
    each tagged with its path; with `keep`, only the paths in it (see `kept_paths`)."""
    lines: list[JsonLine] = []
    _emit(value, (), 0, "", "", keep, lines)
    return lines


def _emit(
    value: Any,
    path: JsonPath,
    depth: int,
    prefix: str,
    comma: str,
    keep: set[JsonPath] | None,
    out: list[JsonLine],
) -> None:
    pad = "  " * depth
    children: list[tuple[str | int, Any]] | None = None
    if isinstance(value, dict) and value:
        children = list(value.items())
    elif isinstance(value, list) and value:
        children = list(enumerate(value))
    if keep is not None and children is not None:
        children = [(key, child) for key, child in children if (*path, key) in keep]
    if not children:
        empty = value if children is None else type(value)()
        out.append(JsonLine(pad + prefix + json.dumps(empty, ensure_ascii=False) + comma, path))
        return
    is_dict = isinstance(value, dict)
    out.append(JsonLine(pad + prefix + ("{" if is_dict else "["), path))
    last = len(children) - 1
    for position, (key, child) in enumerate(children):
        label = json.dumps(key, ensure_ascii=False) + ": " if is_dict else ""
        _emit(child, (*path, key), depth + 1, label, "," if position < last else "", keep, out)
    out.append(JsonLine(pad + ("}" if is_dict else "]") + comma, path))
