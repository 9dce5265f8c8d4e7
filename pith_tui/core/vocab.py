"""The words the store, the verifier, the CLI and the UI share, as types.

Each is a `str` enum, so it is stored, printed and compared as its value (`"record"`),
and one module owns its spelling and its label; the others ask it.
"""

from __future__ import annotations

from enum import Enum


class DocKind(str, Enum):
    """What a stored or parsed document is."""

    RECORD = "record"
    BUNDLE = "bundle"
    STATE = "state"


class Verdict(str, Enum):
    """The one-word outcome of verifying a document or a paper."""

    VERIFIED = "verified"
    FAILED = "failed"
    INCOMPLETE = "incomplete"


class StoredSource(str, Enum):
    """How a document came into the cache."""

    NETWORK = "network"
    SAMPLE = "sample"
    FILE = "file"


class ViewSource(str, Enum):
    """Where the documents of a view came from, as the user is told."""

    NETWORK = "network"
    CACHE = "cache"
    CACHE_STALE = "cache-stale"
    OFFLINE = "offline"
    SAMPLE = "sample"
    FILE = "file"

    @property
    def label(self) -> str:
        return _VIEW_SOURCE_LABELS[self]


_VIEW_SOURCE_LABELS = {
    ViewSource.NETWORK: "network",
    ViewSource.CACHE: "cache",
    ViewSource.CACHE_STALE: "cache (stale)",
    ViewSource.OFFLINE: "offline cache",
    ViewSource.SAMPLE: "bundled sample",
    ViewSource.FILE: "file",
}
