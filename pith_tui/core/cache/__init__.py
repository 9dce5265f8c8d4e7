"""The local cache: raw Pith documents in one SQLite file under the user's cache folder.

One job per module:

- `store`: `Cache`, the facade the rest of pith-tui uses;
- `sqlite`: opening the file, probing it, moving a broken one aside, locks, error words;
- `schema`: the tables, their version and the migration from older versions;
- `documents`: storing documents and their exact lookup keys, reading them back;
- `listing`: the cache listing, its sort orders and its filter;
- `history`: the query history.
"""

from __future__ import annotations

from pith_tui.core.cache.documents import (
    KINDS,
    VERDICTS,
    PutItem,
    PutResult,
    ReplacedText,
    StoredDocument,
)
from pith_tui.core.cache.history import HISTORY_KEEP
from pith_tui.core.cache.listing import SORT_COLUMNS, CacheEntry
from pith_tui.core.cache.schema import SCHEMA_VERSION
from pith_tui.core.cache.sqlite import BUSY_TIMEOUT_SECONDS, CACHE_FILE_NAME
from pith_tui.core.cache.store import ENV_CACHE_DIR, Cache, default_cache_dir

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "CACHE_FILE_NAME",
    "ENV_CACHE_DIR",
    "HISTORY_KEEP",
    "KINDS",
    "SCHEMA_VERSION",
    "SORT_COLUMNS",
    "VERDICTS",
    "Cache",
    "CacheEntry",
    "PutItem",
    "PutResult",
    "ReplacedText",
    "StoredDocument",
    "default_cache_dir",
]
