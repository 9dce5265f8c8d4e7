"""Builds the pieces a session needs (trust store, cache, resolver) from the user's options."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pith_tui.core.cache import Cache, default_cache_dir
from pith_tui.core.errors import CacheError
from pith_tui.core.keys import TrustStore
from pith_tui.core.resolver import Resolver
from pith_tui.core.urls import resolve_base_url

if TYPE_CHECKING:  # httpx is imported when the network is first used (Resolver.http)
    import httpx


def offline_from_env() -> bool:
    return os.environ.get("PITH_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


@dataclass
class Session:
    resolver: Resolver
    notices: list[str] = field(default_factory=list)  # sentences to show the user once


def open_session(
    *,
    base_url: str | None = None,
    offline: bool = False,
    cache_dir: Path | None = None,
    config_dir: Path | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    samples: bool = True,
    clock: Callable[[], datetime] | None = None,
) -> Session:
    """The trust store, the cache (moved aside and rebuilt if broken) and a resolver.

    Raises `TrustStoreError` for a malformed keys.json and `ValueError` for a bad base URL;
    a cache that cannot be written falls back to a temporary one, with a notice.
    """
    trust = TrustStore.load(config_dir)
    notices: list[str] = []
    folder = cache_dir or default_cache_dir()
    try:
        cache = Cache.open(folder, clock=clock)
    except CacheError as exc:
        temporary = Path(tempfile.mkdtemp(prefix="pith-tui-cache-"))
        cache = Cache.open(temporary, clock=clock)
        notices.append(f"{exc}; using a temporary cache for this session ({temporary})")
    if cache.recovery_message:
        notices.append(cache.recovery_message)
    resolver = Resolver(
        cache,
        trust,
        base_url=resolve_base_url(base_url),
        offline=offline or offline_from_env(),
        transport=transport,
        clock=clock,
    )
    if samples:
        try:
            resolver.ensure_samples()
        except CacheError as exc:
            notices.append(f"the bundled sample records could not be added to the cache: {exc}")
    return Session(resolver, notices)
