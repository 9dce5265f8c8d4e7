"""Fuzz the verifier with damaged and mutated signed documents.

    python tests/fuzz/fuzz_verify.py -max_total_time=600

The first byte chooses the mode. Raw (even): the rest is a document's bytes (the seeds are
real and test-signed documents, which the engine mutates). Structured (odd): the rest drives
up to four JSON-level mutations (delete, replace, insert, tweak) of one of the signed base
documents. Contract: `verify_bytes` raises only `RecordFormatError`; `verify` on a model
built straight from the mutated objects never raises; and nothing is "verified" unless every
signed or checked part is what was signed (`corpus.signed_changes` is empty for the base
document it came from).
"""

from __future__ import annotations

import json
import random
import sys
from typing import Any

from _harness import atheris, main

if atheris is not None:
    with atheris.instrument_imports():
        from pith_tui.core import canonical, keys, merge, model, verify
else:  # pragma: no cover
    from pith_tui.core import canonical, keys, merge, model, verify

from pith_tui.core.errors import RecordFormatError
from pith_tui.core.resolver import verify_bytes
from tests.adversarial.corpus import (
    REAL_BUNDLE,
    REAL_RECORDS,
    base_bundle,
    base_record,
    json_paths,
    mutate,
    real_doc,
    signed_changes,
)
from tests.signing import dumps, test_trust

TRUST = test_trust()
BASES = [
    base_record(),
    base_bundle(),
    real_doc(REAL_RECORDS["2106.06530"]),
    real_doc(REAL_BUNDLE),
    real_doc(REAL_RECORDS["1611.01838"]),
]
BY_NUMBER = {doc["pith_number"]: doc for doc in BASES}
OPS = ("delete", "replace", "insert", "tweak")
assert canonical and keys and merge  # instrumented above, used through verify


class Provider:
    """Choices read from the input bytes (so the engine's mutations steer the mutations)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def byte(self) -> int:
        if self.at >= len(self.data):
            return 0
        self.at += 1
        return self.data[self.at - 1]

    def int(self, below: int) -> int:
        value = self.byte() << 8 | self.byte()
        return value % below if below else 0

    def value(self) -> Any:
        kind = self.int(9)
        if kind == 0:
            return None
        if kind == 1:
            return bool(self.byte() & 1)
        if kind == 2:
            return self.int(1 << 16) - (1 << 15)
        if kind == 3:
            return 2**53 + self.int(1000)
        if kind == 4:
            return self.int(1000) / 7
        if kind == 5:
            size = self.int(24)
            raw = self.data[self.at : self.at + size]
            self.at += size
            return raw.decode("utf-8", "replace")
        if kind == 6:
            return [self.value() for _ in range(self.int(3))]
        if kind == 7:
            return {str(self.int(50)): self.value() for _ in range(self.int(3))}
        return random.Random(self.int(1 << 16)).choice(
            [doc["pith_number"] for doc in BASES] + [BASES[0]["canonical_sha256"], "pith:AAAAAAAA"]
        )


def check(data: bytes) -> None:
    if not data:
        return
    if data[0] % 2 == 0:
        raw = data[1:]
        try:
            item = verify_bytes(raw, TRUST)
        except RecordFormatError:
            return
        if item.report.verdict is verify.Verdict.VERIFIED:
            mutated = json.loads(raw)
            original = BY_NUMBER.get(mutated.get("pith_number"))
            if original is None:
                raise AssertionError("verified a document that none of the signers made")
            problems = signed_changes(original, mutated)
            if problems:
                raise AssertionError(f"verified although {problems}")
        return
    provider = Provider(data[1:])
    original = BASES[provider.int(len(BASES))]
    doc = json.loads(json.dumps(original))
    rng = random.Random(provider.int(1 << 16))
    for _ in range(1 + provider.int(4)):
        paths = json_paths(doc)
        if not paths:
            break
        mutate(doc, paths[provider.int(len(paths))], OPS[provider.int(4)], provider.value(), rng)
    try:
        document = model.parse_document(doc)
    except RecordFormatError:
        pass
    else:
        verify.verify(document, TRUST)
    try:
        item = verify_bytes(dumps(doc), TRUST)
    except RecordFormatError:
        return
    if item.report.verdict is verify.Verdict.VERIFIED:
        problems = signed_changes(original, doc)
        if problems:
            raise AssertionError(f"verified although {problems}")


def seeds() -> list[bytes]:
    raw = [b"\x00" + dumps(doc) for doc in BASES]
    structured = [bytes([1, *random.Random(n).randbytes(40)]) for n in range(20)]
    return raw + structured


if __name__ == "__main__":
    main("fuzz_verify", check, seeds())
    sys.exit(0)
