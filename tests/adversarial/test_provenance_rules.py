"""Field provenance and the verdict rule (issues 9 and 10 §2, §3), generated cases through
the library, `pith-tui verify` (human and --json) and `pith-tui cache import`, logged in the
robustness table as "provenance" and "verdict-rule"."""

from __future__ import annotations

from pathlib import Path

import pytest

from pith_tui.core.verify import CHECK_TITLES, VIEW_CHECKS
from tests.adversarial.conftest import Robustness
from tests.adversarial.corpus import FAILED, TAMPERING_CASES, VERIFIED, DocCase
from tests.adversarial.harness import CacheSnapshot, exercise_document_case
from tests.adversarial.rules_corpus import PROVENANCE_CASES, VERDICT_RULE_CASES


@pytest.mark.parametrize("case", PROVENANCE_CASES, ids=[c.id for c in PROVENANCE_CASES])
def test_provenance(
    case: DocCase, robustness: Robustness, tmp_path: Path, snapshot: CacheSnapshot
) -> None:
    # A cache of its own per case: cases that are versions of one bundle, imported into one
    # cache, would meet the rollback rule (a bundle lacking an event the cached one has).
    problems = exercise_document_case(case, robustness, tmp_path, snapshot)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("case", VERDICT_RULE_CASES, ids=[c.id for c in VERDICT_RULE_CASES])
def test_verdict_rule(
    case: DocCase, robustness: Robustness, tmp_path: Path, snapshot: CacheSnapshot
) -> None:
    # A cache of its own per case: cases that are versions of one bundle, imported into one
    # cache, would meet the rollback rule (a bundle lacking an event the cached one has).
    problems = exercise_document_case(case, robustness, tmp_path, snapshot)
    assert not problems, "\n".join(problems)


def test_every_document_check_is_exercised_by_a_generated_case() -> None:
    cases = (*TAMPERING_CASES, *PROVENANCE_CASES, *VERDICT_RULE_CASES)
    caught = {check for case in cases for check in (*case.fails, *case.unchecked)}
    assert set(CHECK_TITLES) - VIEW_CHECKS <= caught, set(CHECK_TITLES) - VIEW_CHECKS - caught


def test_the_cases_vary_the_field_the_document_and_the_outcome() -> None:
    ids = " ".join(case.id for case in PROVENANCE_CASES)
    for part in ("real-2106.06530", "real-1611.01838", "generated-record", "bundle-snapshot"):
        assert part in ids, part
    for cases in (PROVENANCE_CASES, VERDICT_RULE_CASES):
        assert {VERIFIED, FAILED} <= {case.expect for case in cases}
    assert {case.expect for case in VERDICT_RULE_CASES} == {
        "verified",
        "failed",
        "incomplete",
        "rejected",
    }


PANE_WORDS = {"unsigned": "not signed", "event-signed": "from the graph_snapshot event"}
PANE_PLACES = {"authors": "authors", "abstract": "abstract_heading", "headline": "headline"}


async def test_provenance_cases_on_screen(
    robustness: Robustness, tmp_path: Path, config_with_test_key: Path
) -> None:
    """Each provenance case opened in the real app: the banner shows the case's verdict, a
    contradicted field carries a red ✗ line, and each text field says where it comes from."""
    from pith_tui.tui.app import PithApp
    from pith_tui.tui.present import metadata_fields
    from tests.tui_support import make_resolver, settle

    resolver = make_resolver(tmp_path, config_dir=config_with_test_key, samples=False)
    app = PithApp(resolver)
    problems: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for case in PROVENANCE_CASES:
            outcome = robustness.case(case.category, case.id, via="tui", expected=case.expect)
            path = tmp_path / f"{case.id}.json"
            path.write_bytes(case.build())
            view = resolver.view_from_file(path)
            app.main_screen.show(view)
            await pilot.pause()
            shown = app.main_screen.view
            assert shown is view
            outcome.got = view.verdict.value
            outcome.false_verified = case.expect != VERIFIED and outcome.got == VERIFIED
            if outcome.got != case.expect:
                problems.append(f"{case.id}: {outcome.got}, not {case.expect}")
            fields = metadata_fields(view, resolver.now())
            text = "\n".join(content.plain for content in fields.values())
            if "paper_fields" in case.fails and "✗ the " not in text:
                problems.append(f"{case.id}: no red mark for the contradicted field")
            for name, provenance in case.provenance:
                place = PANE_PLACES.get(name)
                words = PANE_WORDS.get(provenance)
                if place and words and words not in fields[place].plain:
                    problems.append(f"{case.id}: {place} does not say {words!r}")
    assert not problems, "\n".join(problems)
