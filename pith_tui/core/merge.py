"""The client's own merge of a bundle's events (`pith-open-graph-merge-v1`).

There is no published spec. This reproduces the served `state` of real bundles for the
event types seen so far (see pith-format.md); what it cannot know — unknown event types,
the rule that makes an equivocation — it reports in `MergeResult.unknown`, never guesses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pith_tui.core.canonical import REFERENCE, CanonicalForm, canonical_sha256
from pith_tui.core.model import Bundle, Event

MERGE_VERSION = "pith-open-graph-merge-v1"

# event_type -> the list in `state.current` it is merged into.
EVENT_LISTS: Mapping[str, str] = {
    "graph_snapshot": "graph_snapshots",
    "author_attestation": "author_attestations",
    "timestamp_anchor": "timestamp_anchors",
    "storage_attestation": "storage_attestations",
    "citation_signature": "citation_signatures",
    "replication_record": "replication_records",
    "correction": "corrections",
    "mirror_hint": "mirror_hints",
}
KNOWN_EVENT_TYPES = frozenset(EVENT_LISTS) | {"record_created"}


@dataclass(frozen=True)
class MergeResult:
    state: dict[str, Any]
    unknown: tuple[str, ...]  # what the merge could not decide, in words


def _entry(event: Event) -> dict[str, Any]:
    raw = event.raw
    return {
        "event_id": event.event_id,
        "target": raw.get("target"),
        "created_at": raw.get("created_at"),
        "signer": raw.get("signer"),
        "payload": raw.get("payload"),
    }


def state_sha256(state: Mapping[str, Any], canonical: CanonicalForm = REFERENCE) -> str:
    """`state_sha256` as Pith computes it: the hash of the state without that field."""
    return canonical.sha256({k: v for k, v in state.items() if k != "state_sha256"})


def merge(bundle: Bundle, valid: Sequence[bool], reasons: Sequence[str]) -> MergeResult:
    """Merge the events of `bundle`; `valid[i]`/`reasons[i]` say whether event i checked out."""
    current: dict[str, Any] = {name: [] for name in EVENT_LISTS.values()}
    current["canonical_record"] = None
    current["record_created"] = None
    current["source_aliases"] = bundle.raw.get("source_aliases", [])
    applied: list[str] = []
    invalid: list[dict[str, Any]] = []
    unknown: list[str] = []
    for event, ok, reason in zip(bundle.events, valid, reasons, strict=True):
        if not ok:
            invalid.append({"event_id": event.event_id, "reason": reason})
            continue
        applied.append(event.event_id)
        if event.event_type == "record_created":
            if current["record_created"] is None:
                current["record_created"] = _entry(event)
                current["canonical_record"] = event.payload.get("canonical_record")
            else:
                unknown.append("a second record_created event (its merge rule is unknown)")
        elif event.event_type in EVENT_LISTS:
            current[EVENT_LISTS[event.event_type]].append(_entry(event))
        else:
            unknown.append(f"event type {event.event_type!r} (its merge rule is unknown)")
    state: dict[str, Any] = {
        "state_type": "pith_open_graph_state",
        "state_version": "1.0",
        "pith_number": bundle.pith_number,
        "merge_version": MERGE_VERSION,
        "event_count": len(bundle.events),
        "valid_event_count": len(applied),
        "invalid_event_count": len(invalid),
        "equivocation_count": 0,
        "current": current,
        "equivocations": [],
        "invalid_events": invalid,
        "applied_event_ids": applied,
    }
    # The state is made of the bundle's values, so the bundle's canonical form is right for it.
    state["state_sha256"] = state_sha256(state, bundle.canonical)
    return MergeResult(state, tuple(unknown))


@dataclass(frozen=True)
class EventLinks:
    """How the valid events of a bundle refer to each other, in words."""

    linked: int  # valid events with a `supersedes` or `prev_event` link
    dangling: tuple[str, ...]  # links to events that are not valid events of the bundle
    equivocations: tuple[str, ...]  # same type, signer and time, different payloads


def _short(event_id: str) -> str:
    return event_id[:15] + "…" if len(event_id) > 16 else event_id


def event_links(events: Sequence[Event], valid: Sequence[bool]) -> EventLinks:
    """Check the links between the valid events and look for possible equivocations.

    A link to an event absent from the bundle (or present but invalid) cannot be followed,
    and two events of one type by one signer at the same `created_at` with different
    payloads may be an equivocation. The merge rule for both is unpublished: they are
    reported, never resolved.
    """
    present: dict[str, bool] = {}  # event id -> whether some copy of it is valid
    for event, ok in zip(events, valid, strict=True):
        present[event.event_id] = present.get(event.event_id, False) or ok
    linked = 0
    dangling: list[str] = []
    groups: dict[tuple[str, str, str, str], list[Event]] = {}
    for index, (event, ok) in enumerate(zip(events, valid, strict=True)):
        if not ok:
            continue
        targets = [("supersedes", target) for target in event.supersedes]
        if event.prev_event is not None:
            targets.append(("prev_event", event.prev_event))
        linked += bool(targets)
        for how, target in targets:
            state = present.get(target)
            if state is None:
                dangling.append(
                    f"event {index + 1} ({event.event_type}) {how} {_short(target)!r}, "
                    "which is not in the bundle"
                )
            elif not state:
                dangling.append(
                    f"event {index + 1} ({event.event_type}) {how} {_short(target)}, "
                    "which is invalid"
                )
        key = (event.event_type, event.signer.signer_id, event.signer.key_id, event.created_at)
        groups.setdefault(key, []).append(event)
    equivocations = []
    for (event_type, signer_id, _key_id, created_at), group in groups.items():
        # Hashed only where two events share a slot: most groups hold one event.
        payloads = {canonical_sha256(event.payload) for event in group} if len(group) > 1 else ()
        if len(payloads) > 1:
            names = ", ".join(_short(event.event_id) for event in group)
            equivocations.append(
                f"possible equivocation: {len(group)} {event_type} events by {signer_id!r} "
                f"at {created_at} with different payloads ({names})"
            )
    return EventLinks(linked, tuple(dangling), tuple(equivocations))


def differences(computed: Mapping[str, Any], served: Mapping[str, Any]) -> list[str]:
    """Top-level and `current` fields where the served state differs from the client's merge.

    `invalid_events` are compared by event id only: the served shape of an invalid-event
    entry has not been seen yet.
    """
    diffs: list[str] = []
    for key in sorted(set(computed) | set(served)):
        if key in ("state_sha256", "current"):
            continue
        mine, theirs = computed.get(key), served.get(key)
        if key == "invalid_events" and isinstance(theirs, list):
            mine = sorted(str(e.get("event_id")) for e in mine or [])
            theirs = sorted(str(e.get("event_id") if isinstance(e, dict) else e) for e in theirs)
        if canonical_sha256(mine) != canonical_sha256(theirs):
            diffs.append(key)
    mine_current: Mapping[str, Any] = computed.get("current") or {}
    served_current = served.get("current")
    theirs_current: Mapping[str, Any] = served_current if isinstance(served_current, dict) else {}
    for key in sorted(set(mine_current) | set(theirs_current)):
        if canonical_sha256(mine_current.get(key)) != canonical_sha256(theirs_current.get(key)):
            diffs.append(f"current.{key}")
    return diffs
