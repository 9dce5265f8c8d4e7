"""The local cache: raw Pith documents in one SQLite file under the user's cache folder.

One job per module:

- `store`: `Cache`, the facade the rest of pith-tui uses;
- `sqlite`: opening the file, probing it, moving a broken one aside, locks, error words;
- `schema`: the tables, their version and the migration from older versions;
- `documents`: storing documents and their exact lookup keys, reading them back;
- `listing`: the cache listing, its sort orders, its filter and counts;
- `search`: the FTS5 trigram index that makes the filter fast (a scan where SQLite lacks it);
- `history`: the query history.
"""

from __future__ import annotations

from pith_tui.core.cache.documents import (
    KINDS,
    VERDICTS,
    CacheChanged,
    PutItem,
    PutResult,
    ReplacedText,
    StoredDocument,
    raw_digest,
)
from pith_tui.core.cache.history import HISTORY_KEEP
from pith_tui.core.cache.listing import COUNT_CAP, SORT_COLUMNS, CacheEntry, Count
from pith_tui.core.cache.schema import SCHEMA_VERSION
from pith_tui.core.cache.sqlite import BUSY_TIMEOUT_SECONDS, CACHE_FILE_NAME
from pith_tui.core.cache.store import ENV_CACHE_DIR, Cache, default_cache_dir

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "CACHE_FILE_NAME",
    "COUNT_CAP",
    "ENV_CACHE_DIR",
    "HISTORY_KEEP",
    "KINDS",
    "SCHEMA_VERSION",
    "SORT_COLUMNS",
    "VERDICTS",
    "Cache",
    "CacheChanged",
    "CacheEntry",
    "Count",
    "PutItem",
    "PutResult",
    "ReplacedText",
    "StoredDocument",
    "default_cache_dir",
    "raw_digest",
]
