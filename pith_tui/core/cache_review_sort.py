"""The sort of the cache review (column and direction), remembered across openings and
restarts in `cache-review.json` in the user config dir (`keys.user_config_dir()`).

A missing, unreadable, oversized or malformed file gives the default sort (newest first):
a preference is never a reason not to open the list. Saving writes a temporary file and
renames it over the old one, so a crash leaves the old sort or the new, never half a file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from pith_tui.core.cache.listing import SORT_COLUMNS
from pith_tui.core.errors import RecordFormatError
from pith_tui.core.files import read_document
from pith_tui.core.keys import user_config_dir

SORT_FILE_NAME = "cache-review.json"
MAX_SORT_FILE_BYTES = 4096


@dataclass(frozen=True)
class CacheReviewSort:
    """A sort column (a `SORT_COLUMNS` name) and its direction."""

    column: str = "fetched_at"
    descending: bool = True


def sort_file(config_dir: Path | None = None) -> Path:
    return (config_dir or user_config_dir()) / SORT_FILE_NAME


def load_sort(config_dir: Path | None = None) -> CacheReviewSort:
    """The remembered sort, or the default one when there is none usable."""
    try:
        data = json.loads(read_document(sort_file(config_dir), MAX_SORT_FILE_BYTES))
    except (OSError, RecordFormatError, ValueError):
        return CacheReviewSort()
    if not isinstance(data, dict):
        return CacheReviewSort()
    column, descending = data.get("sort"), data.get("descending")
    if column not in SORT_COLUMNS or not isinstance(descending, bool):
        return CacheReviewSort()
    return CacheReviewSort(str(column), descending)


def save_sort(sort: CacheReviewSort, config_dir: Path | None = None) -> None:
    """Remember `sort`. `OSError` when the config dir cannot be written (the caller says so;
    the sort on screen stands)."""
    if sort.column not in SORT_COLUMNS:
        raise ValueError(f"cannot sort by {sort.column!r}")
    path = sort_file(config_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(
            json.dumps({"sort": sort.column, "descending": sort.descending}) + "\n",
            encoding="utf-8",
        )
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
