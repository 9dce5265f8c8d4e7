"""Malformed documents (issue #5, "Malformed documents"): refused with a reason, never a crash.

Duplicate keys (escaped twins too), NaN/Infinity, huge and unsafe numbers, deep nesting,
truncation, bad encodings, wrong types for every required field, 10 MB, a gzip bomb.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.adversarial.conftest import Robustness
from tests.adversarial.corpus import MALFORMED_CASES, DocCase
from tests.adversarial.harness import CacheSnapshot, exercise_document_case


@pytest.mark.parametrize("case", MALFORMED_CASES, ids=[c.id for c in MALFORMED_CASES])
def test_malformed_document(
    case: DocCase, robustness: Robustness, tmp_path: Path, shared_snapshot: CacheSnapshot
) -> None:
    problems = exercise_document_case(case, robustness, tmp_path, shared_snapshot)
    assert not problems, "\n".join(problems)
