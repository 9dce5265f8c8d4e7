"""The error types of pith-tui's core: each carries a message a person can act on.

Every failure the core can meet is one of these; callers (the CLI, the app) catch
`PithError` and show `str(error)`, never a traceback.
"""

from __future__ import annotations


class PithError(Exception):
    """Base class: `str(error)` is a one-line reason in plain words."""


class RecordFormatError(PithError):
    """The bytes are not a well-formed Pith document (bad JSON, duplicate key, wrong field type…)."""

    def __init__(self, message: str, where: str = "") -> None:
        self.where = where
        super().__init__(f"{message} (at {where})" if where else message)


class QueryError(PithError):
    """Text that is not any identifier pith-tui understands."""


class TrustStoreError(PithError):
    """The pinned keys (shipped or user keys.json) cannot be loaded."""


class CacheError(PithError):
    """The local cache cannot be read or written."""


class FetchError(PithError):
    """A record could not be fetched. Subclasses say why."""


class NotFoundError(FetchError):
    """The server has no record for the query (HTTP 404)."""


class OfflineError(FetchError):
    """The server could not be reached, or offline mode forbids trying."""


class FetchTimeoutError(FetchError):
    """The server did not answer in time."""


class ServerError(FetchError):
    """The server answered with an error status (5xx, unexpected 4xx, 429 after retries)."""


class TooLargeError(FetchError):
    """The response is larger than the size cap."""


class NotPithDocumentError(FetchError):
    """The server answered, but not with a Pith document (HTML, wrong content, bad JSON)."""


class RedirectRefusedError(FetchError):
    """The server redirected to another origin, or in a loop; pith-tui does not follow."""


class NotCachedError(FetchError):
    """Offline, and the query is not in the cache."""


class MismatchError(FetchError):
    """The server answered a lookup with the record of another paper."""
