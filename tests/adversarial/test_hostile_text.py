"""Hostile text in documents that VERIFY (issue #5, "Hostile text").

The documents are signed with the test key, so they verify: the point is that verified text
still reaches the terminal inertly. Markup (`[link=…]`, `[@click=…]`, `:emoji:`) must show
literally, and ESC, C0/C1 controls, bidi and invisible characters must never reach a terminal
raw: not in `pith-tui verify` (human), not in `--json` (escaped, decoding to the same data),
not in `pith-tui cache list`. The TUI suite reuses `corpus.HOSTILE_TEXTS` / `HOSTILE_CASES`.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pith_tui.core.sanitize import clean_multiline, clean_text
from pith_tui.core.verify import Status
from tests.adversarial.conftest import Robustness
from tests.adversarial.corpus import (
    FAILED,
    HOSTILE_CASES,
    HOSTILE_EXPECT,
    HOSTILE_FIELDS,
    HOSTILE_TEXTS,
    MARKUP_TEXT_IDS,
    VERIFIED,
    DocCase,
    hostile_document,
    unsafe_chars,
)
from tests.adversarial.harness import (
    cli_verdict,
    library_verdict,
    pin_test_key,
    run_cli,
    verdict_line_problems,
)
from tests.signing import test_trust as make_trust

TRUST = make_trust()


def _json_details(data: dict) -> list[tuple[str, str, str]]:
    return [(c["id"], c["status"], c["detail"]) for c in data["checks"]]


@pytest.mark.parametrize("case", HOSTILE_CASES, ids=[c.id for c in HOSTILE_CASES])
def test_hostile_text_in_a_signed_document(
    case: DocCase, robustness: Robustness, tmp_path: Path, pinned: Path
) -> None:
    problems: list[str] = []
    raw = case.build()
    text = HOSTILE_TEXTS[case.text_id]

    got, result = library_verdict(raw, TRUST)
    lib = robustness.case(case.category, case.id, via="library", expected=case.expect)
    lib.got, lib.crashed = got, got == "crash"
    lib.false_verified = got == VERIFIED and case.expect != VERIFIED
    if got != case.expect:
        problems.append(
            f"library: expected {case.expect}, got {got}: {result.message}{result.trace}"
        )
    if result.value is not None:
        statuses = {c.id: c.status for c in result.value.report.checks}
        for check_id, status in [
            *((c, Status.FAIL) for c in case.fails),
            *((c, Status.NOT_CHECKED) for c in case.unchecked),
        ]:
            if statuses.get(check_id) is not status:
                problems.append(f"library: {check_id} is {statuses.get(check_id)}, not {status}")

    path = tmp_path / "hostile.json"
    path.write_bytes(raw)
    cache = tmp_path / "cache"
    human = run_cli("verify", "--cache-dir", cache, path)
    as_json = run_cli("verify", "--cache-dir", cache, "--json", path)
    for via, run in (("cli", human), ("cli-json", as_json)):
        outcome = robustness.case(case.category, case.id, via=via, expected=case.expect)
        outcome.got = cli_verdict(run, as_json=via == "cli-json")
        outcome.crashed = not run.sane
        outcome.false_verified = case.expect != VERIFIED and (
            run.code == 0 or outcome.got == VERIFIED
        )
        if not run.sane:
            problems.append(f"{via}: not sane (exit {run.code}) {run.err[-400:]} {run.trace}")
            continue
        if run.code != case.exit_code or outcome.got != case.expect:
            problems.append(f"{via}: expected {case.expect}, got {outcome.got} (exit {run.code})")
        if run.unsafe():
            problems.append(
                f"{via}: raw terminal-unsafe characters in the output: {run.unsafe()[:6]}"
            )

    if human.sane:
        if case.field == "title":
            shown = clean_text(text, max_chars=100)
            if f"  title: {shown}\n" not in human.out:
                problems.append(f"cli: the title is not shown literally as {shown[:60]!r}")
            if len(max(human.out.splitlines(), key=len)) > 400:
                problems.append("cli: a 100,000-char title is not cut short")
        problems += verdict_line_problems(human.out, case.expect)
    if as_json.sane and result.value is not None:
        data = as_json.json()
        expected_checks = [(c.id, c.status.value, c.detail) for c in result.value.report.checks]
        if _json_details(data) != expected_checks:
            problems.append("cli-json: the checks do not decode to the library's exact details")
    if result.value is not None and case.expect == VERIFIED:
        failing = [c.id for c in result.value.report.checks if c.status is Status.FAIL]
        if failing:
            problems.append(f"library: checks failed on a signed document: {failing}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("field", HOSTILE_FIELDS)
def test_hostile_text_cached_and_listed_inertly(
    field: str, robustness: Robustness, tmp_path: Path, pinned: Path
) -> None:
    """Every hostile text of one field imported into a cache, then `cache list` (human, --json).
    Documents that fail (a signed arXiv id that is no arXiv id) are refused, never listed."""
    from tests.signing import dumps

    stored = HOSTILE_EXPECT.get(field, (VERIFIED,))[0] != FAILED

    files, titles = [], {}
    for text_id in HOSTILE_TEXTS:
        doc = hostile_document(text_id, field)
        path = tmp_path / f"{text_id}.json"
        path.write_bytes(dumps(doc))
        files.append(path)
        title = doc.get("paper", {}).get("title") if "paper" in doc else None
        if field == "payload":
            title = HOSTILE_TEXTS[text_id]
        titles[doc["pith_number"]] = title
    cache = tmp_path / "cache"
    imported = run_cli("cache", "--cache-dir", cache, "import", *files)
    listing = run_cli("cache", "--cache-dir", cache, "list")
    listing_json = run_cli("cache", "--cache-dir", cache, "list", "--json")

    problems = []
    for via, run in (
        ("cache-import", imported),
        ("cache-list", listing),
        ("cache-list-json", listing_json),
    ):
        outcome = robustness.case(
            "hostile-text", f"{field}-cache-listing", via=via, expected="inert"
        )
        outcome.crashed = not run.sane
        outcome.got = "unsafe" if run.unsafe() else "inert"
        if not run.sane:
            problems.append(f"{via}: not sane (exit {run.code}) {run.err[-400:]} {run.trace}")
        elif run.unsafe():
            problems.append(f"{via}: raw terminal-unsafe characters: {run.unsafe()[:6]}")
    if imported.sane and (imported.code == 0) != stored:
        problems.append(
            f"cache import: exit {imported.code} (stored: {stored}): {imported.out[-600:]}"
        )
    if listing_json.sane:
        entries = listing_json.json()
        ours = [entry for entry in entries if entry["pith_number"] in titles]
        want_entries = len(HOSTILE_TEXTS) if stored else 0
        if len(ours) != want_entries or (stored and len(entries) != want_entries):
            problems.append(f"cache list --json: {len(entries)} entries, not {want_entries}")
        for entry in entries:
            want = titles.get(entry["pith_number"])
            if want is not None and field in ("title", "payload") and entry["title"] != want:
                problems.append(
                    f"cache list --json: the title of {entry['pith_number']} is not lossless"
                )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("text_id", list(HOSTILE_TEXTS))
def test_the_sanitizer_makes_hostile_text_inert(text_id: str, robustness: Robustness) -> None:
    text = HOSTILE_TEXTS[text_id]
    outcome = robustness.case(
        "hostile-text", f"sanitize-{text_id}", via="sanitize", expected="inert"
    )
    started = time.perf_counter()
    one_line = clean_text(text)
    multi = clean_multiline(text)
    short = clean_text(text, max_chars=80)
    elapsed = time.perf_counter() - started
    problems = []
    if unsafe_chars(one_line, allow=""):
        problems.append(f"single line keeps {unsafe_chars(one_line, allow='')[:5]}")
    if unsafe_chars(multi, allow="\n\t"):
        problems.append(f"multi-line keeps {unsafe_chars(multi, allow=chr(10) + chr(9))[:5]}")
    if "\n" in one_line or len(short) > 80:
        problems.append("single-line output has a line break, or max_chars is not honoured")
    if clean_text(one_line) != one_line or clean_multiline(multi) != multi:
        problems.append("not idempotent")
    if text_id in MARKUP_TEXT_IDS and one_line != text:
        problems.append("markup is not kept literally (the UI must show it, not interpret it)")
    if elapsed > 0.5:
        problems.append(f"took {elapsed:.2f} s")
    outcome.got = "inert" if not problems else "; ".join(problems)
    assert not problems, problems


def test_the_corpus_is_what_the_issue_asks_for() -> None:
    assert len(HOSTILE_CASES) == len(HOSTILE_TEXTS) * len(HOSTILE_FIELDS)
    joined = "".join(HOSTILE_TEXTS.values())
    for needle in (
        "[link=",
        "[@click=",
        "[b]",
        ":white_check_mark:",
        "\x1b[",
        "\x1b]52;",
        "\x1b]8;",
        "\x9b",
        "\u202e",
        "\u200b",
    ):
        assert needle in joined, needle
    assert max(map(len, HOSTILE_TEXTS.values())) >= 100_000
    for text_id, text in HOSTILE_TEXTS.items():
        if text_id not in (*MARKUP_TEXT_IDS, "fake-verdict", "long-title"):
            assert unsafe_chars(text, allow=""), text_id


def test_hostile_documents_are_reusable_by_a_tui_test(pinned: Path) -> None:
    """`case.build()` gives bytes the resolver reads back; the TUI suite loads them the same way."""
    pin_test_key(pinned)
    for case in HOSTILE_CASES[:: len(HOSTILE_TEXTS)]:
        got, _ = library_verdict(case.build(), TRUST)
        assert got == case.expect, case.id
