"""Tampered documents (issue #5, "Tampering"): never "verified", never a crash, never a loss.

Each case changes one signed thing (or re-signs with a key that is not pinned) and names the
checks that must catch it. Through the library, `pith-tui verify` (human and --json) and
`pith-tui cache import` into a cache that holds the untampered originals.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.adversarial.conftest import Robustness
from tests.adversarial.corpus import TAMPERING_CASES, VERIFIED, DocCase
from tests.adversarial.harness import CacheSnapshot, exercise_document_case


@pytest.mark.parametrize("case", TAMPERING_CASES, ids=[c.id for c in TAMPERING_CASES])
def test_tampered_document(
    case: DocCase, robustness: Robustness, tmp_path: Path, shared_snapshot: CacheSnapshot
) -> None:
    problems = exercise_document_case(case, robustness, tmp_path, shared_snapshot)
    assert not problems, "\n".join(problems)


def test_every_signature_and_hash_check_is_exercised_by_a_tampering_case() -> None:
    """The provenance and verdict-rule checks have their own cases (test_provenance_rules)."""
    from pith_tui.core.verify import CHECK_TITLES, VIEW_CHECKS

    caught = {check for case in TAMPERING_CASES for check in (*case.fails, *case.unchecked)}
    others = VIEW_CHECKS | {"event_links"}
    assert set(CHECK_TITLES) - others <= caught, set(CHECK_TITLES) - others - caught


def test_only_the_documented_rotation_policy_expects_verified() -> None:
    assert {c.id for c in TAMPERING_CASES if c.expect == VERIFIED} == {
        "record-rotated-key",
        "bundle-rotated-key",
    }
