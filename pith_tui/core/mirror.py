"""Static mirrors: export the cache in the Pith URL layout, import documents from files.

An exported directory served by any static web server (`python -m http.server -d DIR`,
nginx, …) is a mirror pith-tui reads with `--base-url`. Alias files (`pith/<arXiv id>.json`,
`pith/<short>.json`) make arXiv-id and short-id lookups work against it. Where the cache
holds only a bundle, the bundle itself stands at the record paths (pith-tui reads both).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pith_tui.core.cache import Cache
from pith_tui.core.errors import CacheError, PithError, RecordFormatError
from pith_tui.core.ids import SHORT_LENGTHS
from pith_tui.core.resolver import Resolver
from pith_tui.core.stored import Verified
from pith_tui.core.vocab import Verdict


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


def _write(path: Path, data: bytes) -> None:
    """Write atomically, so a half-written file never stands in a served mirror."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _safe_path_key(key: str) -> bool:
    """An arXiv id usable under pith/: relative, no empty, "." or ".." part, no NUL or "\\"."""
    parts = key.split("/")
    return (
        bool(key)
        and len(key) <= 200
        and not any(c in key for c in "\x00\\")
        and all(part not in ("", ".", "..") for part in parts)
    )


def export_mirror(resolver: Resolver, directory: Path) -> ExportResult:
    """Write every cached record that still verifies as a static mirror under `directory`."""
    cache: Cache = resolver.cache
    result = ExportResult()
    root = Path(directory)
    try:
        root.mkdir(parents=True, exist_ok=True)
        for pith_id in cache.all_pith_ids():
            try:
                view = resolver.load_cached(pith_id)
            except PithError as exc:
                result.skipped.append(f"pith:{pith_id[:8]}: {exc}")
                continue
            if view.verdict is Verdict.FAILED:
                result.skipped.append(f"pith:{pith_id[:8]}: it fails verification")
                continue
            record = cache.get(pith_id, "record")
            bundle = cache.get(pith_id, "bundle")
            files: dict[str, bytes] = {}
            if bundle is not None:
                files[f"pith/{pith_id}/bundle.json"] = bundle.raw
                if view.bundle is not None and view.bundle.state is not None:
                    files[f"pith/{pith_id}/state.json"] = json.dumps(
                        view.bundle.state, indent=1, ensure_ascii=False
                    ).encode()
            primary = record.raw if record is not None else bundle.raw  # type: ignore[union-attr]
            keys = {pith_id, *(pith_id[:n] for n in SHORT_LENGTHS)}
            if _safe_path_key(view.arxiv_id):  # signed, but still text: "../x" or a NUL
                keys.add(view.arxiv_id)
            else:
                result.skipped.append(
                    f"pith:{pith_id[:8]}: its arXiv id cannot be a file name (no alias file)"
                )
            for key in keys:
                files[f"pith/{key}.json"] = primary
            for relative, data in files.items():
                _write(root / relative, data)
            result.records += 1
            result.files += len(files)
    except OSError as exc:
        raise CacheError(f"cannot write the mirror at {root}: {exc.strerror or exc}") from None
    return result


def import_files(resolver: Resolver, paths: Iterable[Path]) -> list[ImportOutcome]:
    """Verify each file and store it in the cache (source `file`); a failing one is not stored."""
    outcomes = []
    for path in paths:
        name = str(path)
        try:
            item: Verified = resolver.verify_bytes(Path(path).read_bytes())
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
            changed = resolver.store(item, source="file", url=Path(path).resolve().as_uri())
        except CacheError as exc:
            outcomes.append(ImportOutcome(name, False, str(exc), number, verdict.value))
            continue
        note = " (differs from the version already cached: both kept)" if changed else ""
        outcomes.append(
            ImportOutcome(name, True, f"stored, {verdict.value}{note}", number, verdict.value)
        )
    return outcomes
