"""Every URL of the Pith service, in one place.

If the service moves an endpoint, the fix is one line here. Functions take an already
resolved base URL (see `resolve_base_url`) and percent-encode what they put in a path.
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote, urlsplit

DEFAULT_BASE_URL = "https://pith.science"
BASE_URL_ENV = "PITH_BASE_URL"

# Whitespace, C0/C1 controls and DEL: never valid inside an address.
_CONTROL_OR_SPACE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")


def resolve_base_url(cli_value: str | None = None) -> str:
    """The base URL to use: the command-line value, else $PITH_BASE_URL, else the default.

    The result has an http(s) scheme, a host, no query or fragment and no trailing slash.
    A bad value raises ValueError with a message a person can act on.
    """
    if cli_value is not None:
        return _validate_base_url(cli_value, source="")
    env_value = os.environ.get(BASE_URL_ENV, "").strip()
    if env_value:
        return _validate_base_url(env_value, source=f" (from {BASE_URL_ENV})")
    return DEFAULT_BASE_URL


def _validate_base_url(value: str, *, source: str) -> str:
    text = value.strip()
    shown = repr(text) if len(text) <= 80 else repr(text[:77] + "...")
    if not text:
        raise ValueError(f"the Pith base URL{source} is empty")
    if _CONTROL_OR_SPACE.search(text):
        raise ValueError(f"the Pith base URL {shown}{source} contains spaces or control characters")
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        raise ValueError(f"the Pith base URL {shown}{source} is not a valid address") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"the Pith base URL {shown}{source} must start with http:// or https://")
    if not parts.hostname:
        raise ValueError(f"the Pith base URL {shown}{source} has no host name")
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            f"the Pith base URL {shown}{source} must not contain a user name or password"
        )
    if parts.query or "?" in text:
        raise ValueError(f"the Pith base URL {shown}{source} must not contain a query (?...)")
    if parts.fragment or "#" in text:
        raise ValueError(f"the Pith base URL {shown}{source} must not contain a fragment (#...)")
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path}".rstrip("/")


def _segment(value: str, what: str) -> str:
    """One path segment, percent-encoded; "/" is encoded too."""
    if not value or value in (".", ".."):
        raise ValueError(f"{what} {value!r} cannot be used in an address")
    return quote(value, safe="")


def _record_key_path(key: str) -> str:
    """A record key as a path: old-style arXiv ids (cs/0512068) keep their slash unescaped."""
    segments = key.split("/")
    if any(s in ("", ".", "..") for s in segments):
        raise ValueError(f"the record key {key!r} cannot be used in an address")
    return "/".join(quote(s, safe="") for s in segments)


def _base(base: str) -> str:
    return base.rstrip("/")


def record_path(key: str) -> str:
    """`pith/<key>.json`: where a static mirror keeps the record a key looks up."""
    return f"pith/{_record_key_path(key)}.json"


def bundle_path(pith_id: str) -> str:
    """`pith/<ID>/bundle.json`: where a static mirror keeps the bundle."""
    return f"pith/{_segment(pith_id, 'the Pith id')}/bundle.json"


def state_path(pith_id: str) -> str:
    """`pith/<ID>/state.json`: where a static mirror keeps the current state."""
    return f"pith/{_segment(pith_id, 'the Pith id')}/state.json"


def record_url(base: str, key: str) -> str:
    """The record JSON: `key` is a 26-char Pith id, a short id or an arXiv id."""
    return f"{_base(base)}/{record_path(key)}"


def bundle_url(base: str, pith_id: str) -> str:
    """The record's bundle JSON (record, receipt and proofs)."""
    return f"{_base(base)}/{bundle_path(pith_id)}"


def page_url(base: str, pith_id: str) -> str:
    """The record's HTML page, for "open in browser"."""
    return f"{_base(base)}/pith/{_segment(pith_id, 'the Pith id')}"


def paper_url(base: str, short8: str) -> str:
    """The paper's HTML page, by the 8-char short id."""
    return f"{_base(base)}/paper/{_segment(short8, 'the short id')}"
