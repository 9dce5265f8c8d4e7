"""May a document that just arrived replace the one cached? One pure decision for every path.

The resolver (fetch, refresh, revalidation) and `cache import` both ask `judge` before
storing, and `judge_paper` before an arXiv id moves to another Pith id, so the cache never
silently loses what it knew:

- a newer document replaces the cached one; an older or poorer one does not: a bundle that
  lacks an event the cached one has (a strict subset, or one dropped correction), whose
  signed `built_at` is earlier, or whose state applies fewer events, is a rollback, and so
  is a record that drops an event or whose `updated_at` is earlier; an incomplete copy
  never replaces one that verifies;
- a copy with the same signed hash but other unsigned text (authors, abstract, server
  claims, citations...) replaces it, but the earlier copy is kept and the change is said
  (a copy whose only change is its own dates simply replaces it);
- an arXiv id moves to another Pith id only for a version of the paper no older than the
  cached one (the signed `source.version`): serving version 1 again once version 2 is
  known is a rollback too.

Nothing here reads the cache or the network: the callers pass both copies in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from pith_tui.core.model import Document, Event
from pith_tui.core.vocab import DocKind, Verdict


class Relation(str, Enum):
    """How an arriving document relates to the cached one."""

    NEW = "new"  # nothing of this kind is cached
    SAME = "same"  # the same document: the cached copy is refreshed in place
    NEWER = "newer"  # it replaces the cached one
    TEXT_CHANGED = "text-changed"  # same signed content, other text: replaces, old one kept
    ROLLBACK = "rollback"  # older than the cached one: refused
    POORER = "poorer"  # verifies less well than the cached one: refused

    @property
    def refused(self) -> bool:
        return self in (Relation.ROLLBACK, Relation.POORER)


@dataclass(frozen=True)
class Copy:
    """A document and the verdict it got just now."""

    document: Document
    verdict: Verdict


@dataclass(frozen=True)
class Judgement:
    relation: Relation
    why: str = ""  # for a refusal: what makes it older or poorer, e.g. "an older bundle ..."
    changes: tuple[str, ...] = ()  # for TEXT_CHANGED: what differs, in words

    @property
    def refused(self) -> bool:
        return self.relation.refused

    def refusal(self, who: str) -> str:
        """The sentence for the user: `who` sent it ("the server", "this file")."""
        return f"{who} sent {self.why}: kept the cached one"


def judge(cached: Copy | None, incoming: Copy) -> Judgement:
    """Whether `incoming` may replace `cached` (the same Pith id and kind; None: none cached)."""
    if cached is None:
        return Judgement(Relation.NEW)
    new, old = incoming.document, cached.document
    if new.raw == old.raw:
        return Judgement(Relation.SAME)
    if cached.verdict is Verdict.FAILED:
        return Judgement(Relation.NEWER)  # the cached copy no longer verifies: repair it
    kind = new.kind
    if _rank(incoming.verdict) < _rank(cached.verdict):
        return Judgement(
            Relation.POORER,
            f"a {kind} that is {incoming.verdict.value} where the cached one is "
            f"{cached.verdict.value}",
        )
    dropped = _missing_events(old.events, new.events)
    if dropped:
        return Judgement(
            Relation.ROLLBACK,
            f"an older {kind} than the one cached (it lacks {_count(len(dropped), 'event')} "
            f"the cached one has: {_event_words(dropped)})",
        )
    when_new, when_old, label = _built(new), _built(old), _time_label(new)
    if when_new is not None and when_old is not None and when_new < when_old:
        return Judgement(
            Relation.ROLLBACK,
            f"an older {kind} than the one cached ({label} {_day(when_new)}, the cached one "
            f"{_day(when_old)})",
        )
    lost = _missing_ids(_applied(old), _applied(new))
    if lost:
        return Judgement(
            Relation.ROLLBACK,
            f"an older {kind} than the one cached (its state leaves out "
            f"{_count(len(lost), 'event')} the cached state applies)",
        )
    if kind == DocKind.BUNDLE.value and (
        len(new.events) > len(old.events)
        or (when_new is not None and when_old is not None and when_new > when_old)
    ):
        return Judgement(Relation.NEWER)
    changes = what_changed(old.raw, new.raw)
    if not changes:
        return Judgement(Relation.SAME)
    if set(changes) <= _BOOKKEEPING:
        return Judgement(Relation.NEWER)  # only its own dates moved on: nothing to keep
    return Judgement(Relation.TEXT_CHANGED, changes=changes)


def judge_paper(holder: Copy, incoming: Copy) -> Judgement:
    """Whether `incoming`, a record of another Pith id for the same arXiv paper, may take the
    arXiv id over from `holder` (the record it names now). Only a version no older may."""
    if holder.verdict is Verdict.FAILED:
        return Judgement(Relation.NEWER)
    have = _signed_version(holder.document)
    got = _signed_version(incoming.document)
    if have is not None and got is not None and got < have:
        arxiv_id = holder.document.source.id
        return Judgement(
            Relation.ROLLBACK,
            f"version {got} of arXiv:{arxiv_id}, older than the cached version {have} "
            f"({holder.document.pith_number})",
        )
    return Judgement(Relation.NEWER)


# Labels for what changed, for the fields of a record and of a bundle that a person knows.
_FIELD_WORDS = {
    "paper.title": "title",
    "paper.authors_text": "authors",
    "paper.abstract_excerpt": "abstract",
    "paper.headline": "headline",
    "paper.primary_cat": "categories",
    "paper.cross_cats": "categories",
    "paper.submitted_at": "submission date",
    "paper.license": "licence",
    "verification_status": "server claims",
    "inbound_citations": "citations",
    "aliases": "aliases",
    "source_aliases": "aliases",
    "events": "events",
    "links": "links",
    "created_at": "dates",
    "updated_at": "dates",
    "graph_snapshot": "graph snapshot",
    "receipt": "receipt",
    "state": "state",
    "built_at": "build time",
    "bundle_signature": "bundle signature",
    "public_keys": "public keys",
    "mirror_hints": "mirror hints",
    "timestamp_proofs": "timestamp proofs",
}
_BOOKKEEPING = frozenset({"dates"})
_MAX_OTHER_FIELDS = 4


def what_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, ...]:
    """The fields that differ between two copies, in words ("authors", "server claims"...),
    known fields first; empty when the two are equal."""
    paths: list[str] = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if key == "paper" and isinstance(before, Mapping) and isinstance(after, Mapping):
            paths += [
                f"paper.{sub}"
                for sub in sorted(set(before) | set(after))
                if before.get(sub) != after.get(sub)
            ]
        else:
            paths.append(key)
    order = list(_FIELD_WORDS)
    known = [
        _FIELD_WORDS[path] for path in sorted(paths, key=_rank_of(order)) if path in _FIELD_WORDS
    ]
    other = [path for path in paths if path not in _FIELD_WORDS]
    words = list(dict.fromkeys(known))
    words += [f"the field {path[:40]!r}" for path in other[:_MAX_OTHER_FIELDS]]
    if len(other) > _MAX_OTHER_FIELDS:
        words.append(f"{len(other) - _MAX_OTHER_FIELDS} more field(s)")
    return tuple(words)


def _rank_of(order: list[str]) -> Callable[[str], int]:
    return lambda path: order.index(path) if path in order else len(order)


def _rank(verdict: Verdict) -> int:
    return {Verdict.FAILED: 0, Verdict.INCOMPLETE: 1, Verdict.VERIFIED: 2}[verdict]


def _missing_events(old: Sequence[Event], new: Sequence[Event]) -> list[Event]:
    have = {event.event_id for event in new}
    return [event for event in old if event.event_id not in have]


def _missing_ids(old: Iterable[str], new: Iterable[str]) -> list[str]:
    have = set(new)
    return [item for item in old if item not in have]


def _applied(document: Document) -> list[str]:
    """The event ids the served state says it applied (a bundle's signed `state`)."""
    state = getattr(document, "state", None)
    applied = state.get("applied_event_ids") if isinstance(state, Mapping) else None
    if not isinstance(applied, list):
        return []
    return [item for item in applied if isinstance(item, str)]


def _built(document: Document) -> datetime | None:
    """When this copy was made: a bundle's signed `built_at`, a record's `updated_at`."""
    text = getattr(document, "built_at", None) or getattr(document, "updated_at", None)
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _time_label(document: Document) -> str:
    return "built" if document.kind == DocKind.BUNDLE.value else "updated"


def _day(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _signed_version(document: Document) -> int | None:
    source = document.canonical_record.get("source")
    version = source.get("version") if isinstance(source, Mapping) else None
    return version if isinstance(version, int) and not isinstance(version, bool) else None


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _event_words(events: Sequence[Event]) -> str:
    kinds = list(dict.fromkeys(event.event_type[:40] for event in events))
    shown = ", ".join(kinds[:4])
    return shown + (f" and {len(kinds) - 4} more" if len(kinds) > 4 else "")
