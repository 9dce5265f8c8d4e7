"""`RecordView`: one paper as the app and the CLI show it — documents, reports, provenance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pith_tui.core.model import Alias, Bundle, Citation, Event, NumberRecord, PaperInfo
from pith_tui.core.verify import Report, combined_verdict
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

    @property
    def reports(self) -> tuple[tuple[str, Report], ...]:
        """(label, report) for each document present, the record first."""
        pairs = []
        if self.record_report is not None:
            pairs.append(("record", self.record_report))
        if self.bundle_report is not None:
            pairs.append(("bundle", self.bundle_report))
        return tuple(pairs)

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

    @property
    def aliases(self) -> tuple[Alias, ...]:
        if self.record is not None and self.record.aliases:
            return self.record.aliases
        return self.bundle.aliases if self.bundle is not None else ()

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
