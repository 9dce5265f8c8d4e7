"""Verification: what holds and what does not, recomputed from first principles.

`verify(document, trust)` runs every check that applies and never stops at the first
failure. A check passes only for what this client recomputed itself with a pinned key;
when a check cannot run it is `not_checked`, with the reason, never `pass`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from pith_tui.core.errors import RecordFormatError
from pith_tui.core.ids import (
    arxiv_id_problem,
    format_pith_number,
    format_short_number,
    pith_id_from_sha256_hex,
)
from pith_tui.core.keys import PinnedKey, TrustStore
from pith_tui.core.merge import (
    KNOWN_EVENT_TYPES,
    EventLinks,
    differences,
    event_links,
    merge,
    state_sha256,
)
from pith_tui.core.model import Alias, Bundle, Document, Event, Receipt
from pith_tui.core.provenance import (
    Coverage,
    Disagreement,
    FieldName,
    same_value,
    shown,
    signed_values,
    stated_values,
)
from pith_tui.core.vocab import DocKind, Verdict

ARXIV_KIND = "arxiv"
ARXIV_ALIAS_KINDS = ("arxiv", "arxiv_version", "doi")
RECEIPT_MESSAGE = "canonical_sha256_bytes"
EVENT_MESSAGE = "open_graph_event_sha256_bytes"
BUNDLE_MESSAGE = "bundle_sha256_bytes"
_HEX64 = re.compile(r"[0-9a-f]{64}")


class Status(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    NOT_CHECKED = "not_checked"

    @property
    def symbol(self) -> str:
        return {"pass": "✓", "fail": "✗", "warn": "!", "not_checked": "–"}[self.value]


class CheckId(str, Enum):
    """Every check pith-tui runs; each owns its title and the word on its badge chip."""

    CANONICAL_HASH = "canonical_hash"
    PITH_NUMBER = "pith_number"
    RECEIPT_SIGNATURE = "receipt_signature"
    SIGNING_KEY = "signing_key"
    ALIASES = "aliases"
    TITLE_HASH = "title_hash"
    EVENT_IDS = "event_ids"
    EVENT_SIGNATURES = "event_signatures"
    EVENT_SUBJECTS = "event_subjects"
    PAPER_FIELDS = "paper_fields"
    EVENT_LINKS = "event_links"
    BUNDLE_SIGNATURE = "bundle_signature"
    STATE_HASH = "state_hash"
    STATE_MERGE = "state_merge"
    DOCUMENTS_AGREE = "documents_agree"

    @property
    def label(self) -> str:
        """The check's name in words: "Receipt signature" (`str.title` is taken)."""
        return _CHECK_WORDS[self][0]

    @property
    def chip(self) -> str:
        """One short word for a badge chip: `hash`, `receipt`, `events`, …"""
        return _CHECK_WORDS[self][1]


_CHECK_WORDS: Mapping[CheckId, tuple[str, str]] = {
    CheckId.CANONICAL_HASH: ("Canonical hash", "hash"),
    CheckId.PITH_NUMBER: ("Pith Number", "number"),
    CheckId.RECEIPT_SIGNATURE: ("Receipt signature", "receipt"),
    CheckId.SIGNING_KEY: ("Signing key", "key"),
    CheckId.ALIASES: ("Aliases", "aliases"),
    CheckId.TITLE_HASH: ("Title hash", "title"),
    CheckId.EVENT_IDS: ("Event ids", "event ids"),
    CheckId.EVENT_SIGNATURES: ("Event signatures", "events"),
    CheckId.EVENT_SUBJECTS: ("Event subjects", "subjects"),
    CheckId.PAPER_FIELDS: ("Paper fields", "fields"),
    CheckId.EVENT_LINKS: ("Event links", "links"),
    CheckId.BUNDLE_SIGNATURE: ("Bundle signature", "bundle"),
    CheckId.STATE_HASH: ("State hash", "state hash"),
    CheckId.STATE_MERGE: ("State merge", "state"),
    CheckId.DOCUMENTS_AGREE: ("Record and bundle", "agree"),
}
CHECK_TITLES: Mapping[str, str] = {check.value: check.label for check in CheckId}
# Checks of a paper's documents together (a record and its bundle), not of one document.
VIEW_CHECKS = frozenset({CheckId.DOCUMENTS_AGREE})
DOCUMENT_KINDS = frozenset({DocKind.RECORD.value, DocKind.BUNDLE.value})


@dataclass(frozen=True)
class Check:
    id: str
    status: Status
    detail: str

    @property
    def title(self) -> str:
        return CHECK_TITLES.get(self.id, self.id)


@dataclass(frozen=True)
class EventResult:
    """One event's own result, for the timeline."""

    index: int
    event_id: str
    event_type: str
    status: Status
    detail: str


@dataclass(frozen=True)
class Report:
    kind: str  # "record" | "bundle", or "record+bundle" for the checks of both together
    pith_number: str
    checks: tuple[Check, ...]
    events: tuple[EventResult, ...] = ()
    computed_state: Mapping[str, Any] | None = None
    coverage: Coverage = field(default_factory=Coverage)  # what verified, for provenance

    @property
    def verdict(self) -> Verdict:
        """Failed if a check failed; verified only if nothing was left unchecked and, for a
        document, its receipt signature passed; else incomplete."""
        statuses = {c.id: c.status for c in self.checks}
        if Status.FAIL in statuses.values():
            return Verdict.FAILED
        if Status.NOT_CHECKED in statuses.values():
            return Verdict.INCOMPLETE
        if self.kind in DOCUMENT_KINDS and statuses.get("receipt_signature") is not Status.PASS:
            return Verdict.INCOMPLETE
        return Verdict.VERIFIED

    def check(self, check_id: str) -> Check | None:
        return next((c for c in self.checks if c.id == check_id), None)

    @property
    def failures_first(self) -> tuple[Check, ...]:
        """Checks ordered fail, not checked, warn, pass (stable within each)."""
        order = {Status.FAIL: 0, Status.NOT_CHECKED: 1, Status.WARN: 2, Status.PASS: 3}
        return tuple(sorted(self.checks, key=lambda c: order[c.status]))

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "pith_number": self.pith_number,
            "verdict": self.verdict.value,
            "checks": [
                {"id": c.id, "status": c.status.value, "detail": c.detail} for c in self.checks
            ],
        }


def combined_verdict(verdicts: Iterable[Verdict]) -> Verdict:
    """One verdict for several documents: failed if any failed (or there are none),
    verified only if all are verified, else incomplete."""
    verdicts = list(verdicts)
    if not verdicts or Verdict.FAILED in verdicts:
        return Verdict.FAILED
    if all(v is Verdict.VERIFIED for v in verdicts):
        return Verdict.VERIFIED
    return Verdict.INCOMPLETE


def _digest_bytes(hex_digest: str) -> bytes | None:
    return bytes.fromhex(hex_digest) if _HEX64.fullmatch(hex_digest) else None


def title_canon_sha256(title: str) -> str:
    """sha256 of the title lower-cased, runs of whitespace collapsed (pith-format.md)."""
    # surrogatepass: a lone surrogate (possible in a model built without the strict parser)
    # gives a hash no signed title has, i.e. a failed check, not an exception.
    text = " ".join(title.split()).lower()
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def signed_title_hash(document: Document) -> str | None:
    """The record's `metadata.title_canon_sha256` (signed once the receipt verifies), or None."""
    metadata = document.canonical_record.get("metadata", {})
    signed = metadata.get("title_canon_sha256") if isinstance(metadata, Mapping) else None
    return signed if isinstance(signed, str) else None


def title_matches(title: str, document: Document) -> bool | None:
    """Whether `title` is the one the record's title hash was made from, under the one title
    rule (`title_canon_sha256`); None when the record carries no title hash."""
    signed = signed_title_hash(document)
    return None if signed is None else title_canon_sha256(title) == signed


def expected_aliases(source_id: str, version: int | None, pith_id: str) -> dict[str, str]:
    """The alias values Pith derives from the source and the Pith id."""
    expected = {
        "arxiv": source_id,
        "doi": f"10.48550/arxiv.{source_id}",
        "pith_short_8": pith_id[:8],
        "pith_short_12": pith_id[:12],
        "pith_short_16": pith_id[:16],
    }
    if version is not None:
        expected["arxiv_version"] = f"{source_id}v{version}"
    return expected


class _Verifier:
    """Holds what several checks share, so each hash and signature is computed once."""

    def __init__(self, document: Document, trust: TrustStore, now: datetime) -> None:
        self.doc = document
        self.trust = trust
        self.now = now
        self.checks: list[Check] = []
        self.canonical = document.canonical
        self.digest_hex = self.canonical.sha256(document.canonical_record)
        self.pith_id = pith_id_from_sha256_hex(self.digest_hex)
        self.used_keys: dict[str, str] = {}  # key_id -> where it was used
        self.alias_derived: tuple[bool | None, ...] = ()

    def add(self, check_id: str, status: Status, detail: str) -> None:
        self.checks.append(Check(check_id, status, detail))

    def status(self, check_id: CheckId) -> Status | None:
        return next((c.status for c in self.checks if c.id == check_id.value), None)

    def coverage(self, valid: list[bool], disagreements: tuple[Disagreement, ...]) -> Coverage:
        """What the checks run so far established, for provenance (read from their statuses)."""
        passed = {c.id for c in self.checks if c.status is Status.PASS}
        title = self.status(CheckId.TITLE_HASH)
        receipt = self.doc.receipt
        signature = self.doc.bundle_signature if isinstance(self.doc, Bundle) else None
        return Coverage(
            record_signed={CheckId.CANONICAL_HASH.value, CheckId.RECEIPT_SIGNATURE.value} <= passed,
            receipt_key=receipt.key_id if receipt is not None else "",
            title_hash=None if title in (None, Status.NOT_CHECKED) else title is Status.PASS,
            number_derived=CheckId.PITH_NUMBER.value in passed,
            alias_derived=self.alias_derived,
            bundle_signed=CheckId.BUNDLE_SIGNATURE.value in passed,
            bundle_key=str(signature.get("key_id")) if signature is not None else "",
            state_reproduced=CheckId.STATE_MERGE.value in passed,
            valid_events=frozenset(
                event.event_id for event, ok in zip(self.doc.events, valid, strict=True) if ok
            ),
            disagreements=disagreements,
        )

    # --- checks shared by records and bundles -------------------------------------------

    def canonical_hash(self, receipt: Receipt | None) -> None:
        stated = {"document": self.doc.canonical_sha256}
        if receipt is not None:
            stated["receipt"] = receipt.canonical_sha256
        wrong = [name for name, value in stated.items() if value != self.digest_hex]
        if wrong:
            self.add(
                "canonical_hash",
                Status.FAIL,
                f"the canonical record hashes to {self.digest_hex[:16]}…, but the "
                f"{' and '.join(wrong)} state{'s' if len(wrong) == 1 else ''} "
                f"{stated[wrong[0]][:16]}…",
            )
        else:
            self.add(
                "canonical_hash",
                Status.PASS,
                f"sha256 of the canonical record is {self.digest_hex}",
            )

    def pith_number(self) -> None:
        metadata = self.doc.canonical_record.get("metadata", {})
        submitted = metadata.get("submitted_at") if isinstance(metadata, dict) else None
        year_text = submitted[:4] if isinstance(submitted, str) else ""
        try:  # isdigit() alone admits "²" and "0999", which format_pith_number refuses
            full = format_pith_number(int(year_text, 10), self.pith_id)
        except ValueError:
            full = ""
        if not (year_text.isascii() and year_text.isdigit()) or not full:
            self.add(
                "pith_number",
                Status.FAIL,
                f"the canonical record has no four-digit submitted_at year ({year_text!r})",
            )
            return
        short = format_short_number(self.pith_id)
        problems = []
        if self.doc.pith_number != full:
            problems.append(f"the document says {self.doc.pith_number!r}, the hash gives {full}")
        if self.doc.short_pith_number and self.doc.short_pith_number != short:
            problems.append(f"the short number {self.doc.short_pith_number!r} should be {short}")
        if problems:
            self.add("pith_number", Status.FAIL, "; ".join(problems))
        else:
            self.add("pith_number", Status.PASS, f"{full} (short {short}) is derived from the hash")

    def receipt_signature(self, receipt: Receipt | None) -> None:
        if receipt is None:
            self.add("receipt_signature", Status.FAIL, "there is no receipt to check")
            return
        if receipt.signed_message != RECEIPT_MESSAGE:
            self.add(
                "receipt_signature",
                Status.FAIL,
                f"the receipt says it signs {receipt.signed_message!r}, not {RECEIPT_MESSAGE!r}",
            )
            return
        key = self.trust.get(receipt.key_id)
        self.used_keys.setdefault(receipt.key_id, "the receipt")
        if key is None:
            self.add(
                "receipt_signature",
                Status.NOT_CHECKED,
                f"the receipt is signed with key {receipt.key_id!r}, which is not pinned",
            )
            return
        digest = bytes.fromhex(self.digest_hex)
        if key.verify(digest, receipt.signature_b64):
            self.add(
                "receipt_signature",
                Status.PASS,
                f"Ed25519 signature by pinned key {key.key_id} is valid",
            )
        else:
            self.add(
                "receipt_signature",
                Status.FAIL,
                f"the signature does not verify with pinned key {key.key_id} over the recomputed hash",
            )

    def signing_key(
        self, hints: Iterable[tuple[str, str, str]], carried: Iterable[Mapping[str, Any]]
    ) -> None:
        """`hints`: (where, key_id, stated fingerprint) for every signature in the document."""
        fails: list[str] = []
        warns: list[str] = []
        used: list[str] = []
        for where, key_id, fingerprint in hints:
            key = self.trust.get(key_id)
            if key is None:
                fails.append(f"{where} is signed with key {key_id!r}, which is not pinned")
                continue
            if key_id not in used:
                used.append(key_id)
            if fingerprint and fingerprint != key.fingerprint_hex:
                fails.append(
                    f"{where} names fingerprint {fingerprint}, but pinned {key_id} has {key.fingerprint_hex}"
                )
            if key.expired(self.now):
                warns.append(f"pinned key {key_id} was due to rotate at {key.rotates_at:%Y-%m-%d}")
        for entry in carried:
            problem = self.trust.compare_carried(entry)
            if problem is None:
                continue
            if "not pinned" in problem and entry.get("key_id") not in used:  # may be unhashable
                warns.append(f"the document {problem}")
            else:
                fails.append(f"the document {problem}")
        if fails:
            self.add("signing_key", Status.FAIL, "; ".join(dict.fromkeys(fails)))
        elif warns:
            self.add("signing_key", Status.WARN, "; ".join(dict.fromkeys(warns)))
        elif used:
            self.add(
                "signing_key",
                Status.PASS,
                f"signed with pinned key {', '.join(used)}; fingerprints match",
            )
        else:
            self.add("signing_key", Status.NOT_CHECKED, "the document names no signing key")

    def aliases(self, aliases: tuple[Alias, ...]) -> None:
        """Every alias derives from the signed source and the Pith id; the signed arXiv id
        must itself be one (old or new style, as arXiv writes it)."""
        source = self.doc.canonical_record.get("source", {})
        source_id, kind = source.get("id"), source.get("kind")
        version = source.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            version = None
        expected = expected_aliases(str(source_id), version, self.pith_id)
        wrong: list[str] = []
        unknown: list[str] = []
        id_invalid = False
        if kind != ARXIV_KIND:
            # The alias rules are known for arXiv only: arXiv-derived kinds cannot be checked.
            for arxiv_kind in ARXIV_ALIAS_KINDS:
                expected.pop(arxiv_kind, None)
        else:
            problem = arxiv_id_problem(str(source_id))
            id_invalid = problem is not None
            if problem is not None:
                wrong.append(
                    f"the signed arXiv id {shown(source_id, 60)!r} is not a valid arXiv id "
                    f"({problem})"
                )
        derived: list[bool | None] = []
        for alias in aliases:
            want = expected.get(alias.kind)
            if want is None:
                unknown.append(alias.kind)
            elif alias.value != want:
                wrong.append(f"{alias.kind} is {alias.value!r}, expected {want!r}")
            derived.append(None if want is None else alias.value == want)
        # An invalid signed id makes what derives from it worthless too.
        self.alias_derived = tuple(d if d is None or not id_invalid else False for d in derived)
        if wrong:
            self.add("aliases", Status.FAIL, "; ".join(wrong))
        elif kind != ARXIV_KIND:
            self.add(
                "aliases",
                Status.NOT_CHECKED,
                f"the signed source kind is {shown(kind, 40)!r}, not 'arxiv': pith-tui knows "
                "how Pith derives aliases for arXiv papers only"
                + (
                    f"; {len(aliases) - len(unknown)} short id(s) derived, "
                    f"{len(unknown)} alias(es) not checked"
                    if aliases
                    else ""
                ),
            )
        elif unknown:
            kinds = ", ".join(repr(shown(k, 40)) for k in sorted(set(unknown)))
            self.add(
                "aliases",
                Status.NOT_CHECKED,
                f"{len(aliases) - len(unknown)} derived from the signed record; "
                f"alias kind(s) {kinds} cannot be checked (no known derivation)",
            )
        elif not aliases:
            self.add("aliases", Status.WARN, "the document lists no aliases")
        else:
            self.add(
                "aliases",
                Status.PASS,
                f"all {len(aliases)} match the signed source and the Pith id",
            )

    def paper_fields(self, displayed_title_checked: bool) -> tuple[Disagreement, ...]:
        """The server's text that restates a signed field (dates, categories, licence, source
        id, version and kind, titles beyond the one `title_hash` checks) must say the same."""
        record = self.doc.canonical_record
        signed = signed_values(record)
        metadata = record.get("metadata")
        title_hash = metadata.get("title_canon_sha256") if isinstance(metadata, dict) else None
        found: list[Disagreement] = []
        compared = 0
        for stated in stated_values(self.doc):
            name, value = stated.name, stated.value
            if name is FieldName.TITLE:
                if (stated.statement.displayed and displayed_title_checked) or not isinstance(
                    title_hash, str
                ):
                    continue
                agrees = isinstance(value, str) and title_canon_sha256(value) == title_hash
                signed_text = f"title_canon_sha256 {title_hash[:16]}…"
            elif name in signed:
                agrees = same_value(name, value, signed[name])
                signed_text = shown(signed[name])
            else:
                continue
            compared += 1
            if not agrees:
                found.append(
                    Disagreement(
                        name,
                        f"the {stated.statement.where}",
                        stated.path,
                        shown(value),
                        signed_text,
                        "the signed record",
                    )
                )
        if found:
            self.add(
                "paper_fields",
                Status.FAIL,
                "the server's text contradicts the signed record: "
                + "; ".join(d.sentence for d in found),
            )
        elif compared:
            self.add(
                "paper_fields",
                Status.PASS,
                f"all {compared} values the server's text restates match the signed record",
            )
        else:
            self.add(
                "paper_fields",
                Status.PASS,
                "no text outside the signed record restates its fields",
            )
        return tuple(found)

    def title_hash(self, title: str) -> None:
        if not title:
            return
        signed = signed_title_hash(self.doc)
        if signed is None:
            self.add(
                "title_hash", Status.NOT_CHECKED, "the signed record has no title_canon_sha256"
            )
        elif title_matches(title, self.doc):
            self.add("title_hash", Status.PASS, "the shown title matches the signed title hash")
        else:
            self.add(
                "title_hash", Status.FAIL, "the shown title does not match the signed title hash"
            )

    # --- events --------------------------------------------------------------------------

    def events(
        self, events: tuple[Event, ...], subject: str
    ) -> tuple[list[EventResult], list[bool], list[str]]:
        """Check every event; add event_ids, event_signatures and event_subjects."""
        results: list[EventResult] = []
        valid: list[bool] = []
        reasons: list[str] = []
        id_fails: list[str] = []
        sig_fails: list[str] = []
        sig_unchecked: list[str] = []
        subj_fails: list[str] = []
        seen: set[str] = set()
        for index, event in enumerate(events):
            label = f"event {index + 1} ({event.event_type})"
            problems: list[str] = []
            unchecked = ""
            body = {
                k: v
                for k, v in event.raw.items()
                if k not in ("signature", "content_sha256", "event_id")
            }
            content = self.canonical.digest(body)
            # The signature is over the stated content_sha256 (what the signer hashed); whether
            # that hash matches the content is event_ids' job. Either failing invalidates the
            # event, but each failure is reported once, under its own check.
            signed_digest = _digest_bytes(event.content_sha256) or content
            if content.hex() != event.content_sha256:
                problems.append("its content hash does not match")
                id_fails.append(f"{label}: content_sha256 does not match its content")
            elif event.event_id != f"sha256:{event.content_sha256}":
                problems.append("its event_id does not match its hash")
                id_fails.append(f"{label}: event_id is not sha256:<content_sha256>")
            if event.event_id in seen:
                problems.append("it is a duplicate")
                id_fails.append(f"{label}: duplicates an earlier event")
            seen.add(event.event_id)
            key = self.trust.get(event.signature_key_id)
            self.used_keys.setdefault(event.signature_key_id, label)
            if event.signed_message != EVENT_MESSAGE:
                problems.append("it signs the wrong message")
                sig_fails.append(f"{label}: signs {event.signed_message!r}, not {EVENT_MESSAGE!r}")
            elif key is None:
                unchecked = f"its key {event.signature_key_id!r} is not pinned"
                sig_unchecked.append(f"{label}: key {event.signature_key_id!r} is not pinned")
            elif not key.verify(signed_digest, event.signature_b64):
                problems.append("its signature does not verify")
                sig_fails.append(
                    f"{label}: the signature does not verify with pinned key {key.key_id}"
                )
            else:
                signer_problem = _signer_problem(event, key)
                if signer_problem:
                    problems.append(signer_problem)
                    sig_fails.append(f"{label}: {signer_problem}")
            if event.subject_pith_number != subject:
                problems.append(f"it is about {event.subject_pith_number!r}")
                subj_fails.append(
                    f"{label}: its subject is {event.subject_pith_number!r}, not {subject}"
                )
            if event.event_type == "record_created":
                record_problem = self._record_created_problem(event)
                if record_problem:
                    problems.append(record_problem)
                    subj_fails.append(f"{label}: {record_problem}")
            if problems:
                status, detail = Status.FAIL, "; ".join(problems)
            elif unchecked:
                status, detail = Status.NOT_CHECKED, unchecked
            elif event.event_type not in KNOWN_EVENT_TYPES:
                status, detail = (
                    Status.WARN,
                    "signature valid; this event type is unknown to pith-tui",
                )
            else:
                status, detail = (
                    Status.PASS,
                    f"hash and signature by {event.signature_key_id} valid",
                )
            results.append(EventResult(index, event.event_id, event.event_type, status, detail))
            valid.append(not problems and not unchecked)
            reasons.append(detail)
        count = len(events)
        if id_fails:
            self.add("event_ids", Status.FAIL, "; ".join(id_fails))
        else:
            self.add("event_ids", Status.PASS, f"all {count} event hashes and ids recomputed")
        if sig_fails:
            self.add("event_signatures", Status.FAIL, "; ".join(sig_fails))
        elif sig_unchecked:
            self.add("event_signatures", Status.NOT_CHECKED, "; ".join(sig_unchecked))
        else:
            self.add(
                "event_signatures", Status.PASS, f"all {count} signatures valid with pinned keys"
            )
        if subj_fails:
            self.add("event_subjects", Status.FAIL, "; ".join(subj_fails))
        else:
            self.add("event_subjects", Status.PASS, f"all {count} events are about {subject}")
        return results, valid, reasons

    def event_links(self, links: EventLinks) -> None:
        """Links to events the bundle lacks, and possible equivocations: the merge rule for
        them is unpublished, so the client cannot say what the state should be."""
        problems = [*links.dangling, *links.equivocations]
        if problems:
            self.add(
                "event_links",
                Status.NOT_CHECKED,
                "; ".join(problems) + " (the merge rule for this is unpublished)",
            )
        elif links.linked:
            self.add(
                "event_links",
                Status.PASS,
                f"every supersedes/prev_event link of the {links.linked} linked event(s) "
                "points at a valid event of this bundle; no equivocation",
            )
        else:
            self.add(
                "event_links",
                Status.PASS,
                "no event supersedes or follows another; no two events equivocate",
            )

    def _record_created_problem(self, event: Event) -> str:
        payload = event.payload
        if self.canonical.sha256(payload.get("canonical_record")) != self.digest_hex:
            return "it carries a different canonical record"
        if payload.get("canonical_sha256") != self.digest_hex:
            return "it states a different canonical hash"
        return ""

    def bundle_signature(self, bundle: Bundle) -> None:
        signature = bundle.bundle_signature
        if signature is None:
            self.add("bundle_signature", Status.FAIL, "the bundle has no bundle_signature")
            return
        body = {k: v for k, v in bundle.raw.items() if k != "bundle_signature"}
        digest = self.canonical.digest(body)
        stated, key_id = signature.get("bundle_sha256"), signature.get("key_id")
        self.used_keys.setdefault(str(key_id), "the bundle signature")
        key = self.trust.get(key_id) if isinstance(key_id, str) else None
        if stated != digest.hex():
            self.add(
                "bundle_signature",
                Status.FAIL,
                f"the bundle hashes to {digest.hex()[:16]}…, not the stated {str(stated)[:16]}…",
            )
        elif signature.get("signed_message") != BUNDLE_MESSAGE:
            self.add(
                "bundle_signature",
                Status.FAIL,
                f"it signs {signature.get('signed_message')!r}, not {BUNDLE_MESSAGE!r}",
            )
        elif key is None:
            self.add(
                "bundle_signature",
                Status.NOT_CHECKED,
                f"the bundle is signed with key {key_id!r}, which is not pinned",
            )
        elif not isinstance(signature.get("signature_b64"), str) or not key.verify(
            digest, signature["signature_b64"]
        ):
            self.add(
                "bundle_signature",
                Status.FAIL,
                f"the signature does not verify with pinned key {key.key_id}",
            )
        else:
            self.add(
                "bundle_signature",
                Status.PASS,
                f"Ed25519 signature by pinned key {key.key_id} over the whole bundle is valid",
            )

    def state(
        self, bundle: Bundle, valid: list[bool], reasons: list[str], links: EventLinks
    ) -> Mapping[str, Any]:
        result = merge(bundle, valid, reasons)
        served = bundle.state
        if served is None:
            self.add("state_hash", Status.NOT_CHECKED, "the bundle carries no state")
            self.add("state_merge", Status.NOT_CHECKED, "the bundle carries no state to compare")
            return result.state
        served_sha256 = state_sha256(served, self.canonical)
        if served.get("state_sha256") == served_sha256:
            self.add("state_hash", Status.PASS, "state_sha256 matches the served state")
        else:
            self.add("state_hash", Status.FAIL, "state_sha256 does not match the served state")
        # Profiled: comparing field by field hashes ~50 values per bundle. Equal hashes of the
        # two canonical states (the usual case) mean no field can differ.
        same = served_sha256 == result.state.get("state_sha256")
        diffs = [] if same else differences(result.state, served)
        unknown = list(result.unknown)
        if served.get("equivocations") or served.get("equivocation_count"):
            unknown.append("the served state reports equivocations (the rule is unknown)")
        if diffs and not unknown and links.linked:
            # The client's merge ignores supersedes/prev_event: how they change the state is
            # unpublished, so a difference here is unexplained, not proven wrong.
            unknown.append(
                f"{links.linked} event(s) supersede or follow others, and how that changes "
                "the state is unpublished"
            )
        if diffs and not unknown:
            self.add(
                "state_merge",
                Status.FAIL,
                f"the served state differs from the client's merge in: {', '.join(diffs)}",
            )
        elif unknown:
            self.add(
                "state_merge",
                Status.NOT_CHECKED,
                "cannot reproduce the merge: "
                + "; ".join(unknown)
                + (f" (differs in: {', '.join(diffs)})" if diffs else ""),
            )
        else:
            self.add(
                "state_merge",
                Status.PASS,
                f"the client's merge of {len(bundle.events)} events reproduces the served state",
            )
        return result.state


def _signer_problem(event: Event, key: PinnedKey) -> str:
    """How an event's signed `signer` block fails to name the key that verified it ("" if not)."""
    signer = event.signer
    wrong = []
    if signer.key_id != key.key_id:
        wrong.append(f"key {shown(signer.key_id, 40)!r}")
    if signer.public_key_fingerprint != key.fingerprint_hex:
        wrong.append(f"fingerprint {shown(signer.public_key_fingerprint, 40)!r}")
    if key.signer_id and signer.signer_id != key.signer_id:
        wrong.append(f"signer {shown(signer.signer_id, 40)!r}")
    if not wrong:
        return ""
    owner = f" of {key.signer_id}" if key.signer_id else ""
    return (
        f"its signer block names {', '.join(wrong)}, but pinned key {key.key_id}{owner} "
        "verified its signature"
    )


def verify(document: Document, trust: TrustStore, *, now: datetime | None = None) -> Report:
    """Every applicable check on `document`, against the pinned keys in `trust`."""
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:  # a naive time cannot be compared with a key's rotates_at
        now = now.replace(tzinfo=timezone.utc)
    try:
        return _verify(document, trust, now)
    except RecordFormatError as exc:  # a value with no canonical form, found mid-check
        return Report(
            document.kind, document.pith_number, (Check("canonical_hash", Status.FAIL, str(exc)),)
        )


def _verify(document: Document, trust: TrustStore, now: datetime) -> Report:
    v = _Verifier(document, trust, now)
    receipt = document.receipt
    v.canonical_hash(receipt)
    v.pith_number()
    v.receipt_signature(receipt)
    hints: list[tuple[str, str, str]] = []
    if receipt is not None:
        hints.append(("the receipt", receipt.key_id, receipt.public_key_fingerprint))
    for index, event in enumerate(document.events):
        fingerprint = (
            event.raw.get("signature", {}).get("public_key_fingerprint")
            or event.signer.public_key_fingerprint
        )
        hints.append((f"event {index + 1}", event.signature_key_id, str(fingerprint or "")))
    carried: tuple[Mapping[str, Any], ...] = ()
    if isinstance(document, Bundle):
        carried = document.public_keys
        if document.bundle_signature is not None:
            hints.append(
                (
                    "the bundle signature",
                    str(document.bundle_signature.get("key_id")),
                    str(document.bundle_signature.get("public_key_fingerprint") or ""),
                )
            )
    v.signing_key(hints, carried)
    v.aliases(document.aliases)
    title = document.paper.title
    v.title_hash(title)
    disagreements = v.paper_fields(displayed_title_checked=bool(title))
    results: list[EventResult] = []
    valid: list[bool] = []
    computed_state = None
    if isinstance(document, Bundle):
        results, valid, reasons = v.events(document.events, document.pith_number)
        links = event_links(document.events, valid)
        v.event_links(links)
        v.bundle_signature(document)
        computed_state = v.state(document, valid, reasons, links)
    elif document.events:
        results, valid, _ = v.events(document.events, document.pith_number)
    return Report(
        document.kind,
        document.pith_number,
        tuple(v.checks),
        tuple(results),
        computed_state,
        v.coverage(valid, disagreements),
    )
