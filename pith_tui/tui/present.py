"""How a `RecordView` reads on screen: labels, verdicts, badges and claims as `Content`.

Every piece of record text goes through `clean_text`/`clean_multiline` here and is put into
`Content` objects as plain text with a style, never into a markup string, so a title such as
`[link=…]x[/link] :white_check_mark:` shows literally. Styles name theme variables
(`$success`, `$error`, `$warning`), so they follow the theme; every state is also spelled out
in words and symbols, so nothing depends on colour (NO_COLOR).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from textual.content import Content

from pith_tui.core.errors import (
    CacheError,
    FetchError,
    FetchTimeoutError,
    MismatchError,
    NotCachedError,
    NotFoundError,
    NotPithDocumentError,
    OfflineError,
    PithError,
    QueryError,
    RecordFormatError,
    RedirectRefusedError,
    ServerError,
    TooLargeError,
    TrustStoreError,
)
from pith_tui.core.model import Event
from pith_tui.core.provenance import DisplayField, FieldName, Provenance, shown
from pith_tui.core.sanitize import clean_multiline, clean_text
from pith_tui.core.timefmt import relative_time
from pith_tui.core.verify import Check, Report, Status
from pith_tui.core.view import RecordView
from pith_tui.core.vocab import Verdict
from pith_tui.tui.badges import (
    STATUS_STYLES,
    VERDICT_LABELS,
    badge,
    verdict_status,
)

LABEL_STYLE = "$text-muted"
CLAIMS_HEADING = "Pith's own claims (not checked by pith-tui)"

# Most specific first: the first class an error is an instance of gives the toast title.
ERROR_TITLES: tuple[tuple[type[BaseException], str], ...] = (
    (QueryError, "Not an identifier"),
    (NotFoundError, "Not found"),
    (NotCachedError, "Offline"),
    (OfflineError, "Offline"),
    (FetchTimeoutError, "Timeout"),
    (ServerError, "Server error"),
    (TooLargeError, "Too large"),
    (NotPithDocumentError, "Not a Pith document"),
    (RecordFormatError, "Not a Pith document"),
    (RedirectRefusedError, "Redirect refused"),
    (MismatchError, "Wrong record"),
    (CacheError, "Cache"),
    (TrustStoreError, "Pinned keys"),
    (FetchError, "Fetch failed"),
    (PithError, "Error"),
)

# Bounds applied before layout: a field of a million invisible characters is shown cut
# (with "…"), not wrapped into hundreds of thousands of lines.
FIELD_MAX_CHARS = 1_000
JSON_MAX_CHARS = 20_000


def error_title(error: BaseException) -> str:
    """The toast title for an error class ("Not found", "Offline", "Timeout", …)."""
    for kind, title in ERROR_TITLES:
        if isinstance(error, kind):
            return title
    return "Unexpected error"


def error_message(error: BaseException) -> str:
    """A plain one-line reason; `PithError`s already are one, anything else is named."""
    text = clean_text(str(error), max_chars=400)
    if isinstance(error, PithError):
        return text or error_title(error)
    name = type(error).__name__
    return f"{name}: {text}" if text else name


def source_label(view: RecordView, now: datetime, *, pending: bool = False) -> str:
    """Where the view came from, with its age: "cache, fetched 3 h ago", "offline cache, …"."""
    age = f"fetched {relative_time(view.fetched_at, now)}" if view.fetched_at is not None else ""
    if view.source == "network":
        text = "network"
    elif view.source == "cache":
        text = f"cache, {age}" if age else "cache"
    elif view.source == "cache-stale":
        text = f"cache, {age} (stale)" if age else "cache (stale)"
    elif view.source == "offline":
        text = f"offline cache, {age}" if age else "offline cache"
    elif view.source == "sample":
        text = "bundled sample"
    elif view.source == "file":
        text = "file"
    else:
        text = clean_text(view.source)
    if pending:
        text += " · asking the network for a newer version…"
    return text


def host_label(base_url: str, offline: bool) -> str:
    """The header's sub-title: the service's host, or "offline"."""
    if offline:
        return "offline"
    parts = urlsplit(base_url)
    return clean_text(parts.netloc or base_url)


def first_failure(view: RecordView) -> Check | None:
    for _label, report in view.reports:
        for check in report.failures_first:
            if check.status is Status.FAIL:
                return check
    return None


def failure_toast(view: RecordView) -> str:
    """ "pith:XXXX FAILED verification: <first failing check>"."""
    check = first_failure(view)
    short = short_number(view)
    if check is None:
        return f"{short} FAILED verification: it has no verifiable document"
    return f"{short} FAILED verification: {check.title}: {clean_text(check.detail, max_chars=300)}"


REFRESH_FAILED_PREFIX = "could not refresh: "  # the resolver's note when the network failed


@dataclass(frozen=True)
class Toast:
    title: str
    message: str
    severity: str = "information"  # Textual's: information / warning / error


def refresh_toast(view: RecordView, *, offline: bool) -> Toast:
    """The one toast after `r`, saying what really happened: fetched again, or not (offline,
    or the network failed) and the cached copy re-verified instead; then the verdict, and
    the first failing check when it failed."""
    verdict = VERDICT_LABELS[view.verdict]
    short = short_number(view)
    if view.source == "network":
        title, severity = "Refreshed", "information"
        message = f"{short} fetched again and re-verified: {verdict}"
    else:
        severity = "warning"
        if offline:
            title, reason = "Offline: not refreshed", "offline"
        else:
            title = "Not refreshed"
            failure = next(
                (n for n in view.notes if n.startswith(REFRESH_FAILED_PREFIX)),
                REFRESH_FAILED_PREFIX,
            )
            reason = clean_text(
                failure.removeprefix(REFRESH_FAILED_PREFIX).removesuffix("; showing the cache")
                or "the network did not answer",
                max_chars=200,
            )
        message = (
            f"{short} was not fetched again ({reason}). "
            f"Re-verified the cached copy instead: {verdict}"
        )
    if view.verdict is Verdict.FAILED:
        severity = "warning"
        check = first_failure(view)
        if check is not None:
            message += f" ({check.title}: {clean_text(check.detail, max_chars=200)})"
    return Toast(title, message, severity)


def short_number(view: RecordView) -> str:
    """`pith:XXXXXXXX` from the Pith id (recomputed from the hash when it verified)."""
    return "pith:" + clean_text(view.pith_id[:8])


def verdict_summary(view: RecordView) -> str:
    """ "record ✓ verified · bundle ✓ verified — 18 checks, 0 failed"."""
    parts = [f"{label} {report.verdict.value}" for label, report in view.reports]
    checks = [check for _label, report in view.reports for check in report.checks]
    failed = sum(check.status is Status.FAIL for check in checks)
    unchecked = sum(check.status is Status.NOT_CHECKED for check in checks)
    counts = f"{len(checks)} checks, {failed} failed"
    if unchecked:
        counts += f", {unchecked} not checked"
    return f"{' · '.join(parts) or 'no document'} — {counts}"


def verdict_content(view: RecordView | None) -> Content:
    """The banner: the verdict in words on the first line, a summary on the second."""
    if view is None:
        return Content.assemble(("– NO RECORD", "bold"), "\n", "Press / to look a paper up.")
    return Content.assemble((VERDICT_LABELS[view.verdict], "bold"), "\n", verdict_summary(view))


METADATA_FIELDS = {
    "arxiv": "arXiv",
    "submitted": "Submitted",
    "licence": "Licence",
    "number": "Pith №",
    "short": "Short",
    "hash": "Hash",
    "signed": "Signed by",
    "source": "Source",
    "notes": "Notes",
    "headline": "Headline",
}
PROVENANCE_STYLE = "$text-muted"
CONTRADICTION_STYLE = "bold $error"
DIFFERENCE_STYLE = "$warning"
CHECKED_STYLE = "$success"


def iso_time(text: str) -> str:
    """`2026-05-17 23:59:21` from an ISO time (other text is shown as it is, cleaned)."""
    text = clean_text(text, max_chars=40)
    if len(text) >= 19 and text[4] == "-" and text[10] == "T":
        return f"{text[:10]} {text[11:19]}"
    return text


def provenance_tag(item: DisplayField) -> str:
    """The words after a value that says where it comes from: "not signed", "from the
    graph_snapshot event sha256:8f694065…"; "" for a signed value (the legend covers it)."""
    if item.provenance is Provenance.UNSIGNED:
        return Provenance.UNSIGNED.words
    if item.provenance is Provenance.EVENT_SIGNED and item.covered_by:
        return "from " + clean_text(item.covered_by[0], max_chars=80)
    return ""


def _weakest(items: Iterable[DisplayField]) -> DisplayField | None:
    shown = [item for item in items if item.present]
    return min(shown, key=lambda item: item.provenance.strength) if shown else None


def _tagged(value: Content, items: Iterable[DisplayField]) -> Content:
    """A value, then its provenance tag (of the weakest field in it) and one line per
    statement that contradicts it (a red ✗) or that the other document makes (a yellow !)."""
    items = list(items)
    weakest = _weakest(items)
    tag = provenance_tag(weakest) if weakest is not None else ""
    parts: list[Content | tuple[str, str] | str] = [value]
    if tag:
        parts.append((f" · {tag}", PROVENANCE_STYLE))
    for item in items:
        for line in marks(item):
            parts += ["\n", line]
    return Content.assemble(*parts)


def marks(item: DisplayField) -> list[Content]:
    """ "✗ the paper block says '1999-01-01…'" for each contradiction of signed data, and
    "! the record's paper block says 'Mallory Forger'" for each difference between documents."""
    lines = [
        Content.assemble(
            ("✗ ", CONTRADICTION_STYLE),
            (f"{clean_text(d.where, max_chars=80)} says {clean_text(d.stated, max_chars=80)}",
             "$error"),
        )
        for d in item.contradictions
    ]  # fmt: skip
    lines += [
        Content.assemble(
            ("! ", f"bold {DIFFERENCE_STYLE}"),
            (f"{clean_text(d.where, max_chars=80)} says {clean_text(d.stated, max_chars=80)}",
             DIFFERENCE_STYLE),
        )
        for d in item.differences
    ]  # fmt: skip
    return lines


def title_check(item: DisplayField) -> Content:
    """The line under the title: whether it matched the signed title hash; then a red line
    for each other title the server states that does not."""
    others = [d for d in item.contradictions if d.stated != shown(item.value)]
    if item.contradictions and item.provenance is Provenance.UNSIGNED:
        head = Content.styled("✗ does not match the signed title hash", CONTRADICTION_STYLE)
    elif item.provenance is Provenance.HASH_BOUND:
        head = Content.styled("✓ checked against its signed hash", CHECKED_STYLE)
    elif not item.present:
        head = Content("")
    else:
        head = Content.styled(provenance_tag(item) or "signed", PROVENANCE_STYLE)
    lines = [head] if head else []
    lines += marks(replace(item, contradictions=tuple(others), differences=()))
    return Content("\n").join(lines)


def signed_by(view: RecordView) -> Content:
    """The legend: which verified signatures cover the values that carry no tag."""
    parts: list[str] = []
    keys: list[str] = []
    for label, report in view.document_reports:
        coverage = report.coverage
        if coverage.record_signed:
            parts.append("the record's receipt" if label == "record" else "the bundle's receipt")
            keys.append(coverage.receipt_key)
        if coverage.bundle_signed:
            parts.append("the bundle signature")
            keys.append(coverage.bundle_key)
    if not parts:
        return Content.styled("no signature verified: nothing here is signed", CONTRADICTION_STYLE)
    named = ", ".join(clean_text(k, max_chars=40) for k in dict.fromkeys(keys) if k)
    return Content.assemble(
        " + ".join(parts),
        f" (key {named})" if named else "",
        (" · every unmarked value", PROVENANCE_STYLE),
    )


def _date(text: str) -> str:
    text = clean_text(text, max_chars=60)
    return text[:10] if len(text) >= 10 and text[4] == "-" else text


def metadata_fields(
    view: RecordView, now: datetime, *, pending: bool = False
) -> dict[str, Content]:
    """The metadata pane's labelled fields (keys of METADATA_FIELDS), plus "title",
    "title_check", "authors", "abstract_heading" and "abstract". Every value comes from
    `view.fields` with its provenance: unsigned values say "not signed", event-signed ones
    name their event, contradicted ones show the signed value with a red ✗ line. An empty
    Content means the field is hidden."""
    f = view.fields
    title, authors, abstract = f[FieldName.TITLE], f[FieldName.AUTHORS], f[FieldName.ABSTRACT]
    version = f[FieldName.VERSION].text
    kind = f[FieldName.SOURCE_KIND].text
    cats = clean_text(f[FieldName.PRIMARY_CAT].text)
    cross = f[FieldName.CROSS_CATS]
    if isinstance(cross.value, tuple) and cross.value:
        also = ", ".join(clean_text(cat) for cat in cross.text.split(", "))
        cats = f"{cats} (also {also})" if cats else f"(also {also})"
    arxiv = clean_text(f[FieldName.ARXIV_ID].text)
    if kind and kind != "arxiv":  # a source other than arXiv says so, not "arXiv …"
        arxiv = f"{clean_text(kind, max_chars=40)}: {arxiv}"
    arxiv += (f" v{clean_text(version)}" if version else "") + (f" · {cats}" if cats else "")
    arxiv_items = [
        f[name]
        for name in (
            FieldName.ARXIV_ID,
            FieldName.VERSION,
            FieldName.SOURCE_KIND,
            FieldName.PRIMARY_CAT,
            FieldName.CROSS_CATS,
        )
    ]
    notes = "\n".join(f"• {clean_text(note, max_chars=FIELD_MAX_CHARS)}" for note in view.notes)
    headline = f[FieldName.HEADLINE]
    number, short = f[FieldName.PITH_NUMBER], f[FieldName.SHORT_PITH_NUMBER]
    abstract_heading = Content("")
    if abstract.present:
        abstract_heading = _tagged(Content.styled("Abstract (excerpt)", LABEL_STYLE), [abstract])
    return {
        "title": Content(clean_text(title.text, max_chars=FIELD_MAX_CHARS) or "(no title given)"),
        "title_check": title_check(title),
        "authors": _tagged(
            Content(
                clean_text(authors.text, max_chars=FIELD_MAX_CHARS) or "(no authors given)"
            ).stylize("italic"),
            [authors],
        ),
        "arxiv": _tagged(Content(arxiv), arxiv_items),
        "submitted": _tagged(
            Content(_date(f[FieldName.SUBMITTED_AT].text) or "–"), [f[FieldName.SUBMITTED_AT]]
        ),
        "licence": _tagged(
            Content(clean_text(f[FieldName.LICENSE].text, max_chars=FIELD_MAX_CHARS) or "–"),
            [f[FieldName.LICENSE]],
        ),
        "number": _tagged(Content.styled(clean_text(number.text), "bold"), [number]),
        "short": _tagged(Content(clean_text(short.text) or short_number(view)), [short]),
        "hash": _tagged(Content(clean_text(f[FieldName.HASH].text)), [f[FieldName.HASH]]),
        "signed": signed_by(view),
        "source": Content(source_label(view, now, pending=pending)),
        "notes": Content.assemble((notes, "$warning")) if notes else Content(""),
        "headline": _tagged(
            Content(clean_text(headline.text, max_chars=FIELD_MAX_CHARS)), [headline]
        )
        if headline.present
        else Content(""),
        "abstract_heading": abstract_heading,
        "abstract": Content(clean_multiline(abstract.text, max_chars=2000).strip()),
    }


def report_heading(label: str, report: Report) -> Content:
    """ "Record  ✓ verified" above one document's checks."""
    return Content.assemble(
        (label.capitalize(), "bold underline"),
        "  ",
        (VERDICT_LABELS[report.verdict].lower(), STATUS_STYLES[verdict_status(report.verdict)]),
    )


def check_row(check: Check, document: str = "") -> tuple[Content, Content]:
    """(badge, title and detail) of one check; `document` names it when there are two."""
    title = f"{check.title} ({document})" if document else check.title
    return (
        badge(check.status),
        Content.assemble(
            (title, "bold"), "\n", (clean_text(check.detail, max_chars=600), LABEL_STYLE)
        ),
    )


def check_rows(report: Report) -> list[tuple[Content, Content]]:
    """(badge, title and detail) per check, failing checks first."""
    return [check_row(check) for check in report.failures_first]


def claim_value(value: Any) -> str:
    """A server claim in neutral words: yes / no / a number / short JSON."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None:
        return "–"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return clean_text(value, max_chars=80)
    return clean_text(json.dumps(value, ensure_ascii=False, default=str), max_chars=80)


def claim_rows(claims: Mapping[str, Any]) -> list[tuple[Content, Content]]:
    """(name, "claims: no") per item of the service's `verification_status`: neutral text,
    no badge symbols and no status colours, so a claim can never pass for a check."""
    return [
        (
            Content(clean_text(str(key).replace("_", " "), max_chars=40)),
            Content.assemble(("claims: ", LABEL_STYLE), claim_value(value)),
        )
        for key, value in claims.items()
    ]


def no_claims_text(has_record: bool) -> str:
    if has_record:
        return "The record lists no claims."
    return "Only a number record carries them; this view has a bundle only."


def pretty_json(value: Any) -> str:
    """Indented JSON, then sanitized: bidi and C1 characters inside strings become visible."""
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return clean_multiline(text, max_chars=JSON_MAX_CHARS)


def event_time(event: Event) -> str:
    return iso_time(event.created_at)


def event_detail_items(view: RecordView, index: int) -> list[Content | tuple[Content, Content]]:
    """The timeline's side panel: one event's own check, who signed it, and its payload as
    pretty JSON (sanitized)."""
    events = view.events
    if not 0 <= index < len(events):
        return []
    event = events[index]
    report = view.event_report
    result = report.events[index] if report is not None and index < len(report.events) else None
    signer = event.signer
    who = clean_text(signer.signer_id) or "?"
    if signer.signer_type:
        who += f" ({clean_text(signer.signer_type)})"
    check: Content = Content("not checked")
    if result is not None:
        check = Content.assemble(
            badge(result.status), " — ", clean_text(result.detail, max_chars=300)
        )

    def label(text: str) -> Content:
        return Content.styled(text, LABEL_STYLE)

    return [
        Content.assemble(
            (f"Event {index + 1} of {len(events)} · ", "bold"),
            (clean_text(event.event_type), "bold"),
        ),
        (label("Check"), check),
        (label("Created"), Content(event_time(event) or "–")),
        (label("Target"), Content(clean_text(event.target) or "–")),
        (label("Signer"), Content(who)),
        (label("Key"), Content(clean_text(event.signature_key_id))),
        (label("Event id"), Content(clean_text(event.event_id))),
        label("Payload"),
        Content(pretty_json(event.payload)),
    ]
