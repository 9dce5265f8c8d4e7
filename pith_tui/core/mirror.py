"""Static mirrors: export the cache in the Pith URL layout, import documents from files.

An exported directory served by any static web server (`python -m http.server -d DIR`,
nginx, …) is a mirror pith-tui reads with `--base-url`. Alias files (`pith/<arXiv id>.json`,
`pith/<short>.json`) make arXiv-id and short-id lookups work against it. Where the cache
holds only a bundle, the bundle itself stands at the record paths (pith-tui reads both).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pith_tui.core import urls
from pith_tui.core.cache import Cache
from pith_tui.core.errors import CacheError, PithError, RecordFormatError
from pith_tui.core.files import ConfinedWriter, OutsideFolderError, read_document
from pith_tui.core.ids import SHORT_LENGTHS, signed_arxiv_id
from pith_tui.core.indexing import signed_source
from pith_tui.core.resolver import Resolver, Stored
from pith_tui.core.stored import Verified
from pith_tui.core.succession import Relation
from pith_tui.core.vocab import DocKind, StoredSource, Verdict


@dataclass
class ExportResult:
    records: int = 0
    files: int = 0
    skipped: list[str] = field(default_factory=list)  # "pith:XXXX: reason"


@dataclass(frozen=True)
class ImportOutcome:
    path: str
    stored: bool
    message: str
    pith_number: str = ""
    verdict: str = ""


def _mirror_files(
    resolver: Resolver, pith_id: str, shared: set[str], result: ExportResult
) -> dict[str, bytes]:
    """The files of one cached record in the Pith URL layout; {} when it is skipped.

    Every path comes from `urls` with a key derived from what is signed: the Pith id (from
    the hash), its short prefixes (but none in `shared`), and the arXiv id only when
    `ids.signed_arxiv_id` finds a valid one in the signed source - so no signed text
    becomes a path of its own.
    """
    cache: Cache = resolver.cache
    try:
        view = resolver.load_cached(pith_id)
    except PithError as exc:
        result.skipped.append(f"pith:{pith_id[:8]}: {exc}")
        return {}
    if view.verdict is Verdict.FAILED:
        result.skipped.append(f"pith:{pith_id[:8]}: it fails verification")
        return {}
    record = cache.get(pith_id, DocKind.RECORD.value)
    bundle = cache.get(pith_id, DocKind.BUNDLE.value)
    files: dict[str, bytes] = {}
    if bundle is not None:
        files[urls.bundle_path(pith_id)] = bundle.raw
        if view.bundle is not None and view.bundle.state is not None:
            files[urls.state_path(pith_id)] = json.dumps(
                view.bundle.state, indent=1, ensure_ascii=False
            ).encode()
    primary = record or bundle
    if primary is None:
        return {}
    keys = [pith_id, *(pith_id[:n] for n in SHORT_LENGTHS if pith_id[:n] not in shared)]
    source = signed_source(view.document)
    arxiv_id = signed_arxiv_id(source.get("kind"), source.get("id"))
    if arxiv_id is not None:
        keys.append(arxiv_id)
    else:
        result.skipped.append(
            f"pith:{pith_id[:8]}: its signed source is no valid arXiv id (no arXiv alias file)"
        )
    for key in keys:
        files[urls.record_path(key)] = primary.raw
    return files


def _shared_short_ids(pith_ids: list[str]) -> set[str]:
    """The short ids (8/12/16 chars) that more than one of `pith_ids` starts with."""
    counts = Counter(pith_id[:n] for pith_id in pith_ids for n in SHORT_LENGTHS)
    return {short for short, count in counts.items() if count > 1}


def export_mirror(resolver: Resolver, directory: Path) -> ExportResult:
    """Write every cached record that still verifies as a static mirror under `directory`.

    Only inside `directory` (`files.ConfinedWriter`): a symbolic link planted in it is never
    written through. A short id that two cached records share is written for neither (a
    lookup by it would get one of them at random), and said so.
    """
    result = ExportResult()
    root = Path(directory)
    pith_ids = resolver.cache.all_pith_ids()
    shared = _shared_short_ids(pith_ids)
    for short in sorted(shared):
        result.skipped.append(f"pith:{short}: more than one cached record starts so (no file)")
    try:
        with ConfinedWriter(root) as writer:
            for pith_id in pith_ids:
                files = _mirror_files(resolver, pith_id, shared, result)
                for path, data in files.items():
                    writer.write(path, data)
                if files:
                    result.records += 1
                    result.files += len(files)
    except OutsideFolderError as exc:
        raise CacheError(f"cannot write the mirror at {root}: {exc}") from None
    except OSError as exc:
        raise CacheError(f"cannot write the mirror at {root}: {exc.strerror or exc}") from None
    return result


def import_files(resolver: Resolver, paths: Iterable[Path]) -> list[ImportOutcome]:
    """Verify each file and store it in the cache (source `file`); a failing one is not stored,
    and neither is one older or poorer than the copy already cached (`succession`)."""
    outcomes = []
    for path in paths:
        name = str(path)
        try:
            item: Verified = resolver.verify_bytes(read_document(Path(path)))
        except OSError as exc:
            outcomes.append(ImportOutcome(name, False, f"cannot read it: {exc.strerror or exc}"))
            continue
        except RecordFormatError as exc:
            outcomes.append(ImportOutcome(name, False, str(exc)))
            continue
        verdict = item.report.verdict
        number = item.document.pith_number
        if verdict is Verdict.FAILED:
            failing = next(c for c in item.report.failures_first)
            outcomes.append(
                ImportOutcome(
                    name,
                    False,
                    f"fails verification ({failing.id}: {failing.detail}); not stored",
                    number,
                    verdict.value,
                )
            )
            continue
        try:
            outcome = resolver.store(
                item, source=StoredSource.FILE.value, url=Path(path).resolve().as_uri()
            )
        except CacheError as exc:
            outcomes.append(ImportOutcome(name, False, str(exc), number, verdict.value))
            continue
        if outcome.refused:
            message = f"not stored: it is {outcome.judgement.why}; the cached one is kept"
            outcomes.append(ImportOutcome(name, False, message, number, verdict.value))
            continue
        outcomes.append(
            ImportOutcome(name, True, _stored_words(verdict, outcome), number, verdict.value)
        )
    return outcomes


def _stored_words(verdict: Verdict, outcome: Stored) -> str:
    notes = []
    if outcome.judgement.relation is Relation.TEXT_CHANGED:
        notes.append(
            f"its text differs from the cached copy ({', '.join(outcome.judgement.changes)}); "
            "the earlier copy is kept"
        )
    if outcome.paper is not None:
        notes.append(
            f"it is {outcome.paper.why}, so that arXiv id still leads to the cached record"
        )
    elif outcome.changed_upstream:
        notes.append("differs from the version already cached: both kept")
    return f"stored, {verdict.value}" + (f" ({'; '.join(notes)})" if notes else "")
