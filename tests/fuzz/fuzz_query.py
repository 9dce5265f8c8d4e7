"""Fuzz what a person may type or paste: the identifier parser, addresses, cache lookups,
and the sanitizer that shows such text back.

    python tests/fuzz/fuzz_query.py -max_total_time=600

Contract: `parse_query` raises only `QueryError`; an accepted query gives a usable address
(`record_url`, `bundle_url` raise nothing) and parses back from `display()`; `Cache.resolve`
and the listing filter raise only `CacheError` for any text; `clean_text` output has no terminal-unsafe character
and is idempotent.
"""

from __future__ import annotations

import contextlib
import re
import sys
import tempfile
from pathlib import Path

from _harness import atheris, main

if atheris is not None:
    with atheris.instrument_imports():
        from pith_tui.core import cache, ids, sanitize, urls
else:  # pragma: no cover
    from pith_tui.core import cache, ids, sanitize, urls

from pith_tui.core.errors import CacheError, QueryError
from pith_tui.core.keys import TrustStore
from pith_tui.core.resolver import Resolver

BASE = "https://pith.science"
_UNSAFE = re.compile(
    "[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi, _ in sanitize.UNSAFE_RANGES) + "]"
)
CACHE = cache.Cache.open(Path(tempfile.mkdtemp(prefix="pith-fuzz-query-")))
Resolver(CACHE, TrustStore.shipped(), base_url=BASE, offline=True).ensure_samples()


def check(data: bytes) -> None:
    text = data.decode("utf-8", "surrogateescape")
    shown = sanitize.clean_text(text, max_chars=200)
    if _UNSAFE.search(shown) or sanitize.clean_text(shown) != shown:
        raise AssertionError("clean_text left an unsafe character or is not idempotent")
    with contextlib.suppress(CacheError):
        CACHE.resolve(text)
    with contextlib.suppress(CacheError):  # the cache screen's filter box
        CACHE.entries(filter_text=text, limit=5)
    try:
        query = ids.parse_query(text)
    except QueryError:
        return
    key = query.lookup_key()
    urls.record_url(BASE, key)
    if query.kind == "pith_id":
        urls.bundle_url(BASE, query.value)
    again = ids.parse_query(query.display())
    if (again.kind, again.value, again.version, again.year) != (
        query.kind,
        query.value,
        query.version,
        query.year,
    ):
        raise AssertionError(f"{query.display()!r} does not parse back to the same query")
    with contextlib.suppress(CacheError):
        CACHE.resolve(key)


def seeds() -> list[bytes]:
    forms = [
        "pith:2018:TJ77MKGIYVJE4LNYFYW7EA7KKL", "TJ77MKGIYVJE4LNYFYW7EA7KKL", "pith:TJ77MKGI",
        "tj77mkgiyvje", "https://pith.science/pith/TJ77MKGIYVJE4LNYFYW7EA7KKL/bundle.json",
        "mirror.example/base/paper/TJ77MKGI", "2106.06530v2", "arXiv:0704.0001",
        "hep-th/9901001v3", "math.GT/0309136", "https://arxiv.org/abs/2106.06530",
        "10.48550/arXiv.2106.06530", "doi:10.48550/arxiv.cs/0512068",
        "https://doi.org/10.48550/arXiv.1611.01838", "<\u201c2106.06530\u201d>", "pith:  TJ77MKGI",
    ]  # fmt: skip
    return [form.encode() for form in forms]


if __name__ == "__main__":
    main("fuzz_query", check, seeds())
    sys.exit(0)
