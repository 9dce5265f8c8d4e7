"""Fuzz the strict JSON parser, the canonical form and document loading.

    python tests/fuzz/fuzz_strict_json.py -max_total_time=600

Contract: `strict_loads(bytes)` returns a value or raises `RecordFormatError`, nothing else;
what it accepts is plain JSON (`json.loads` reads the same value); the canonical form of an
accepted value parses back to itself and is stable; `load_document` raises only
`RecordFormatError`, and what it loads, `verify` answers without raising.
"""

from __future__ import annotations

import json
import sys

from _harness import ROOT, atheris, main

if atheris is not None:
    with atheris.instrument_imports():
        from pith_tui.core import canonical, model, verify
else:  # pragma: no cover
    from pith_tui.core import canonical, model, verify

from pith_tui.core.errors import RecordFormatError
from tests.signing import test_trust

TRUST = test_trust()


def check(data: bytes) -> None:
    try:
        value = canonical.strict_loads(data)
    except RecordFormatError:
        pass
    else:
        plain = json.loads(data.decode("utf-8"))
        if canonical.canonical_bytes(plain) != canonical.canonical_bytes(value):
            raise AssertionError("strict_loads and json.loads read different values")
        form = canonical.canonical_bytes(value)
        if canonical.canonical_bytes(canonical.strict_loads(form)) != form:
            raise AssertionError("the canonical form is not stable under reparse")
    try:
        document = model.load_document(data)
    except RecordFormatError:
        return
    verify.verify(document, TRUST)


def seeds() -> list[bytes]:
    samples = ROOT / "pith_tui" / "core" / "data" / "samples"
    found = [p.read_bytes() for p in sorted(samples.glob("*.json"))]
    return [
        *found,
        b'{"a": 1, "\\u0061": 2}',
        b'{"x": [1.5e300, -0.0, 12345678901234567890, "\\ud83d\\ude00", null, true]}',
        b"[" * 70 + b"]" * 70,
        b'\xef\xbb\xbf{"bom": 1}',
    ]


if __name__ == "__main__":
    main("fuzz_strict_json", check, seeds())
    sys.exit(0)
