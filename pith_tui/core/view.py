"""`RecordView`: one paper as the app and the CLI show it — documents, reports, provenance.

The display fields (each value with its provenance, see `provenance.py`) and the checks of
the record and bundle together are computed once, when the view is made, so the panes, the
CLI and `--json` all say the same thing. Make changed copies with `dataclasses.replace`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pith_tui.core.model import Alias, Bundle, Citation, Document, Event, NumberRecord, PaperInfo
from pith_tui.core.provenance import (
    PAPER_KEYS,
    TEXT_FIELDS,
    AliasCheck,
    Coverage,
    DisplayField,
    FieldName,
    display_fields,
    unsigned_fields,
)
from pith_tui.core.verify import Check, CheckId, Report, Status, combined_verdict
from pith_tui.core.vocab import Verdict, ViewSource

# Where a view's documents came from, in the words the UI shows.
SOURCE_LABELS = {source.value: source.label for source in ViewSource}


@dataclass(frozen=True)
class RecordView:
    pith_id: str
    record: NumberRecord | None
    bundle: Bundle | None
    record_report: Report | None
    bundle_report: Report | None
    source: str  # one of SOURCE_LABELS
    fetched_at: datetime | None
    changed_upstream: bool = False
    notes: tuple[str, ...] = field(default=())  # plain sentences: "no bundle is published", …
    fields: Mapping[FieldName, DisplayField] = field(init=False, repr=False, compare=False)
    documents_report: Report | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        docs: list[tuple[Document, Coverage]] = []
        for document, report in (
            (self.record, self.record_report),
            (self.bundle, self.bundle_report),
        ):
            if document is not None:
                docs.append((document, report.coverage if report is not None else Coverage()))
        if not docs:
            raise ValueError("a RecordView holds at least one document")
        fields = display_fields(docs)
        object.__setattr__(self, "fields", fields)
        object.__setattr__(self, "documents_report", _documents_report(self, fields))

    @property
    def document_reports(self) -> tuple[tuple[str, Report], ...]:
        """(label, report) for each document present, the record first."""
        pairs = []
        if self.record_report is not None:
            pairs.append(("record", self.record_report))
        if self.bundle_report is not None:
            pairs.append(("bundle", self.bundle_report))
        return tuple(pairs)

    @property
    def reports(self) -> tuple[tuple[str, Report], ...]:
        """Each document's report, then the checks of the record and bundle together."""
        pairs = list(self.document_reports)
        if self.documents_report is not None:
            pairs.append((DOCUMENTS_LABEL, self.documents_report))
        return tuple(pairs)

    @property
    def unsigned(self) -> list[FieldName]:
        """The fields shown with a value that no checked signature covers."""
        return unsigned_fields(self.fields)

    @property
    def verdict(self) -> Verdict:
        return combined_verdict(report.verdict for _, report in self.reports)

    @property
    def document(self) -> NumberRecord | Bundle:
        doc = self.record or self.bundle
        assert doc is not None, "a RecordView holds at least one document"
        return doc

    @property
    def pith_number(self) -> str:
        return self.document.pith_number

    @property
    def short_pith_number(self) -> str:
        return self.document.short_pith_number

    @property
    def canonical_sha256(self) -> str:
        return self.document.canonical_sha256

    @property
    def paper(self) -> PaperInfo:
        """The paper block as a document states it (unchecked); show `fields` instead."""
        if self.record is not None and self.record.paper.title:
            return self.record.paper
        if self.bundle is not None:
            return self.bundle.paper
        return self.document.paper

    @property
    def arxiv_id(self) -> str:
        return self.document.source.id

    @property
    def arxiv_version(self) -> int | None:
        return self.document.source.version

    def _alias_source(self) -> tuple[tuple[Alias, ...], Report | None]:
        if self.record is not None and self.record.aliases:
            return self.record.aliases, self.record_report
        if self.bundle is not None:
            return self.bundle.aliases, self.bundle_report
        return (), None

    @property
    def aliases(self) -> tuple[Alias, ...]:
        return self._alias_source()[0]

    @property
    def alias_checks(self) -> tuple[AliasCheck, ...]:
        """What was established about each of `aliases`, in the same order."""
        aliases, report = self._alias_source()
        coverage = report.coverage if report is not None else Coverage()
        return coverage.alias_checks(len(aliases))

    @property
    def events(self) -> tuple[Event, ...]:
        """The bundle's events if there is a bundle, else the record's (often none)."""
        if self.bundle is not None:
            return self.bundle.events
        return self.record.events if self.record is not None else ()

    @property
    def event_report(self) -> Report | None:
        return self.bundle_report if self.bundle is not None else self.record_report

    @property
    def server_claims(self) -> dict[str, Any]:
        """The service's own `verification_status`: claims, not checked by the client."""
        return dict(self.record.verification_status) if self.record is not None else {}

    @property
    def citations(self) -> tuple[int, tuple[Citation, ...]]:
        if self.record is None:
            return 0, ()
        return self.record.citation_count, self.record.citations


DOCUMENTS_LABEL = "record and bundle"


def _documents_report(view: RecordView, fields: Mapping[FieldName, DisplayField]) -> Report | None:
    """With a record and a bundle at hand: do they tell the same authors and abstract?
    A difference is a warning naming both values (the shown one is the better-signed)."""
    if view.record is None or view.bundle is None:
        return None
    differences = [d for name in TEXT_FIELDS for d in fields[name].differences]
    if differences:
        check = Check(
            CheckId.DOCUMENTS_AGREE.value,
            Status.WARN,
            "the record and the bundle differ: " + "; ".join(d.sentence for d in differences),
        )
    else:
        both = (view.record.paper, view.bundle.paper)
        compared = [
            name.value for name in TEXT_FIELDS if all(getattr(p, PAPER_KEYS[name]) for p in both)
        ]
        check = Check(
            CheckId.DOCUMENTS_AGREE.value,
            Status.PASS,
            f"the record and the bundle agree on {', '.join(compared)}"
            if compared
            else "neither states authors or an abstract to compare",
        )
    return Report("record+bundle", view.pith_number, (check,))
