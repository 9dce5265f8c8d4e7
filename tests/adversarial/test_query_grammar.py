"""One grammar decides what a query means (issue #10 §3).

- A full Pith Number whose year is not the record's year is not that record: a clear error
  or not found, through the library, the CLI (human and --json), cached or fetched from a
  real loopback mirror - never exit 0.
- An arXiv id or DOI is answered only by a record whose signed source is an arXiv paper:
  a mirror that answers one with a signed record of another source kind is refused, and
  such a record, imported, is found by its Pith id only.
- No signed string becomes a path component (cache export) or a key that shadows another
  record: odd signed source ids and alias lists that name other records change nothing
  about how the other records are found or where files go.
- A target that is both an existing file and a valid query is refused as ambiguous.
"""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from pith_tui.core import client, urls
from pith_tui.core.cache import Cache
from pith_tui.core.errors import MismatchError, NotCachedError, NotFoundError, QueryError
from pith_tui.core.ids import parse_query
from pith_tui.core.resolver import Resolver, verify_bytes
from pith_tui.core.verify import Verdict
from tests.adversarial.conftest import Robustness
from tests.adversarial.harness import attempt, attempt_async, one_line_reason, run_cli
from tests.cache_support import lookup
from tests.mirror_server import MirrorServer
from tests.signing import dumps, make_record, resign_record
from tests.signing import test_trust as signing_trust

SAMPLES = {
    "2106.06530": "pith:2021:4K6GSOJWB7QU2RFIL3CD3BQJ62",
    "1611.01838": "pith:2016:OCXKLV426LDXCCJME7JSY36CQW",
    "1704.04289": "pith:2017:UTTGU3KIYM6JKD6ALUV7A7CX74",
    "1812.00542": "pith:2018:TJ77MKGIYVJE4LNYFYW7EA7KKL",
}
GENERATED = make_record("2409.00001", title="A Year To Check")  # submitted 2024


def _wrong_years(number: str) -> list[str]:
    year = int(number.split(":")[1])
    return [str(y) for y in (year - 1, year + 1, year - 10, 1991, 9999) if y != year]


YEAR_CASES = [
    (f"{arxiv}-{year}", number.replace(f":{number.split(':')[1]}:", f":{year}:"))
    for arxiv, number in SAMPLES.items()
    for year in _wrong_years(number)
]


@pytest.fixture(autouse=True)
def _short_retry_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client, "BACKOFF_FIRST_WAIT", 0.01)


@pytest.mark.parametrize(("case_id", "wrong"), YEAR_CASES, ids=[c for c, _ in YEAR_CASES])
def test_a_cached_record_is_not_found_by_a_pith_number_of_another_year(
    case_id: str, wrong: str, robustness: Robustness, cache_dir: Path
) -> None:
    problems = []
    for via, argv in (
        ("cli", ["verify", "--offline", wrong]),
        ("cli-json", ["verify", "--offline", "--json", wrong]),
    ):
        outcome = robustness.case("query-grammar", f"year-{case_id}", via=via, expected="exit 3")
        run = run_cli(*argv)
        outcome.crashed = not run.sane
        outcome.got = f"exit {run.code}"
        outcome.false_verified = run.code == 0 or '"verdict": "verified"' in run.out
        if run.code != 3:
            problems.append(f"{via}: exit {run.code}")
        if via == "cli":
            line = run.err.strip()
            if not one_line_reason(line) or "is no record's Pith Number" not in line:
                problems.append(f"{via}: {run.err!r}")
        elif run.json().get("error_kind") != "fetch":
            problems.append(f"{via}: {run.out!r}")
    outcome = robustness.case("query-grammar", f"year-{case_id}", via="library", expected="none")
    with Cache.open(cache_dir) as cache:
        resolver = Resolver(cache, signing_trust(), base_url="http://127.0.0.1:9", offline=True)
        found = attempt(lambda: resolver.cached_view(wrong))
        outcome.crashed = found.crashed
        outcome.got = "none" if found.value is None and found.error is None else "found"
        outcome.false_verified = found.value is not None
        if outcome.got != "none":
            problems.append(f"library: {found.value or found.message}")
        if lookup(cache, wrong) is not None:
            problems.append("the cache found it")
    assert not problems, problems


@pytest.mark.parametrize("year", ["2023", "2025", "2014", "1991"])
def test_a_mirror_answering_a_pith_number_of_another_year_is_refused(
    year: str, robustness: Robustness, tmp_path: Path, pinned: Path
) -> None:
    pith_id = str(GENERATED["pith_number"]).rsplit(":", 1)[-1]
    wrong = f"pith:{year}:{pith_id}"
    mirror = tmp_path / "mirror"
    (mirror / "pith").mkdir(parents=True)
    (mirror / urls.record_path(pith_id)).write_bytes(dumps(GENERATED))
    problems = []
    with MirrorServer(mirror) as server:
        for via, extra in (("cli", []), ("cli-json", ["--json"])):
            outcome = robustness.case(
                "query-grammar", f"mirror-year-{year}", via=via, expected="exit 3"
            )
            run = run_cli(
                "verify",
                *extra,
                "--base-url",
                server.url,
                "--cache-dir",
                str(tmp_path / via),
                wrong,
            )
            outcome.crashed = not run.sane
            outcome.got = f"exit {run.code}"
            outcome.false_verified = run.code == 0
            text = run.err if via == "cli" else json.loads(run.out)["error"]
            if run.code != 3 or f"with the record of pith:2024:{pith_id}" not in text:
                problems.append(f"{via}: exit {run.code}: {text!r}")
            with Cache.open(tmp_path / via) as cache:
                if lookup(cache, pith_id) is not None:
                    problems.append(f"{via}: the record answered for the wrong number was stored")
    assert not problems, problems


def _other_source(kind: str, source_id: str = "2409.00002") -> dict[str, Any]:
    record = make_record(source_id, title="Signed, But Not From arXiv")
    record["canonical_record"]["source"]["kind"] = kind
    return resign_record(record)


SOURCE_KINDS = ["biorxiv", "ARXIV", "arxiv ", "", "doi", "arXiv", "pith"]


@pytest.mark.parametrize("kind", SOURCE_KINDS, ids=[repr(k) for k in SOURCE_KINDS])
def test_an_arxiv_query_is_answered_only_by_a_signed_arxiv_source(
    kind: str, robustness: Robustness, tmp_path: Path, pinned: Path
) -> None:
    record = _other_source(kind)
    pith_id = str(record["pith_number"]).rsplit(":", 1)[-1]
    item = verify_bytes(dumps(record), signing_trust())
    assert item.report.verdict is not Verdict.FAILED, item.report.failures_first[:1]
    mirror = tmp_path / "mirror"
    (mirror / "pith").mkdir(parents=True)
    for key in (pith_id, "2409.00002"):
        (mirror / urls.record_path(key)).write_bytes(dumps(record))
    problems = []
    with MirrorServer(mirror) as server:
        for query in (
            "2409.00002",
            "10.48550/arXiv.2409.00002",
            "https://arxiv.org/abs/2409.00002v1",
        ):
            for via, extra in (("cli", []), ("cli-json", ["--json"])):
                outcome = robustness.case(
                    "query-grammar", f"source-kind-{kind!r}-{query}", via=via, expected="exit 3"
                )
                run = run_cli(
                    "verify",
                    *extra,
                    "--base-url",
                    server.url,
                    "--cache-dir",
                    str(tmp_path / "c"),
                    query,
                )
                outcome.crashed = not run.sane
                outcome.got = f"exit {run.code}"
                outcome.false_verified = run.code == 0
                if run.code != 3 or "not an arXiv paper" not in run.err + run.out:
                    problems.append(f"{query} {via}: exit {run.code}: {run.err or run.out!r}")
    # Imported, it is found by its Pith id, and by no arXiv id or DOI.
    path = tmp_path / "other.json"
    path.write_bytes(dumps(record))
    outcome = robustness.case("query-grammar", f"source-kind-{kind!r}-import", via="cache-import")
    run = run_cli("cache", "--cache-dir", str(tmp_path / "i"), "import", str(path))
    outcome.crashed = not run.sane
    with Cache.open(tmp_path / "i") as cache:
        outcome.got = str(lookup(cache, "2409.00002"))
        if lookup(cache, pith_id) != pith_id:
            problems.append("the imported record is not found by its id")
        for query in ("2409.00002", "10.48550/arXiv.2409.00002"):
            if lookup(cache, query) is not None:
                problems.append(f"{query} finds a record whose signed source is not arXiv")
                outcome.false_verified = True
    assert not problems, problems


ODD_IDS = [
    "../../../../tmp/pith-escape",
    "2409.00003v2",
    "cs/../../escape",
    "https://arxiv.org/abs/2409.00003",
    "2409.00003\u0000x",
    "..",
    "a/b/c/d",
    "/etc/passwd",
    "C:\\Windows\\x",
    "2409.00003/..",
    "pith/TJ77MKGIYVJE4LNYFYW7EA7KKL",
    "TJ77MKGIYVJE4LNYFYW7EA7KKL",
    "TJ77MKGI",
    "math.GT/0309136",
    "2409.00003 ",
    "2409.00003\n",
    "\u202e2409.00003",
]


@pytest.mark.parametrize("source_id", ODD_IDS, ids=[repr(i)[:40] for i in ODD_IDS])
def test_no_signed_source_id_becomes_a_path_or_takes_another_records_keys(
    source_id: str, robustness: Robustness, tmp_path: Path, cache_dir: Path, pinned: Path
) -> None:
    """Signed odd ids: imported and exported, nothing lands outside the mirror folder, no
    file is named by the odd text, and the samples are found as before."""
    record = make_record("2409.00003", title="Odd Id")
    record["canonical_record"]["source"]["id"] = source_id
    record = resign_record(record)
    pith_id = str(record["pith_number"]).rsplit(":", 1)[-1]
    path = tmp_path / "odd.json"
    path.write_bytes(dumps(record))
    outcome = robustness.case(
        "query-grammar", f"odd-source-id-{source_id!r}"[:60], via="cache-import"
    )
    imported = run_cli("cache", "import", str(path))
    outcome.crashed = not imported.sane
    target = tmp_path / "export"
    exported = run_cli("cache", "export", str(target))
    outcome.crashed = outcome.crashed or not exported.sane
    problems = []
    raw = dumps(record)
    odd_files = sorted(
        str(p.relative_to(target))
        for p in target.rglob("*")
        if p.is_file() and p.read_bytes() == raw
    )
    escaped = [
        p
        for p in (tmp_path / "tmp", Path("/tmp/pith-escape.json"), tmp_path / "escape.json")
        if p.exists()
    ]
    if escaped:
        problems.append(f"written outside the mirror: {escaped}")
    valid = source_id == "math.GT/0309136"
    expected = sorted(
        [urls.record_path(key) for key in (pith_id, pith_id[:8], pith_id[:12], pith_id[:16])]
        + (["pith/math/0309136.json"] if valid else [])
    )
    if imported.code == 0 and odd_files != expected:
        problems.append(f"the odd record's files: {odd_files}, expected {expected}")
    with Cache.open(cache_dir) as cache:
        for arxiv, number in SAMPLES.items():
            sample_id = number.rsplit(":", 1)[-1]
            for query in (arxiv, number, sample_id, sample_id[:8]):
                if lookup(cache, query) != sample_id:
                    problems.append(f"{query} no longer finds the sample")
                    outcome.data_lost = True
        if imported.code == 0 and lookup(cache, pith_id) != pith_id:
            problems.append("the odd record is not found by its own id")
        found = attempt(lambda: lookup(cache, source_id))
        outcome.got = "error" if found.error else str(found.value)
        if found.crashed:
            problems.append(f"looking up the odd text: {found.trace}")
        if found.value == pith_id and not valid:
            problems.append("the odd text leads to the odd record")
    assert not problems, problems


def test_an_alias_list_naming_other_records_shadows_nothing(
    robustness: Robustness, tmp_path: Path, cache_dir: Path, pinned: Path
) -> None:
    """A record lists (unsigned) aliases of other kinds and values that name the samples: it
    may verify, but no lookup of a sample finds it."""
    record = make_record("2409.00004", title="Shadow")
    for number in SAMPLES.values():
        sample_id = number.rsplit(":", 1)[-1]
        for kind, value in (
            ("pith_id", sample_id),
            ("pith_number", number),
            ("pith_short", sample_id[:8]),
            ("arxiv_other", "2106.06530"),
            ("doi_other", "10.48550/arxiv.1812.00542"),
        ):
            record["aliases"].append({"alias_kind": kind, "alias_value": value, "created_at": ""})
    path = tmp_path / "shadow.json"
    path.write_bytes(dumps(record))
    outcome = robustness.case("query-grammar", "alias-list-shadowing", via="cache-import")
    run = run_cli("cache", "import", str(path))
    outcome.crashed = not run.sane
    outcome.got = run.out.strip()
    problems = []
    with Cache.open(cache_dir) as cache:
        for arxiv, number in SAMPLES.items():
            sample_id = number.rsplit(":", 1)[-1]
            for query in (arxiv, number, sample_id, sample_id[:8], f"10.48550/arXiv.{arxiv}"):
                if lookup(cache, query) != sample_id:
                    problems.append(f"{query} is shadowed")
                    outcome.data_lost = True
    assert not problems, problems


AMBIGUOUS = [
    "2106.06530",
    "TJ77MKGI",
    "4K6GSOJWB7QU2RFIL3CD3BQJ62",
    "pith:TJ77MKGI",
    "arXiv:1611.01838",
]


@pytest.mark.parametrize("name", AMBIGUOUS)
def test_a_file_named_like_a_query_is_refused_as_ambiguous(
    name: str,
    robustness: Robustness,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cache_dir: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    Path(name).write_bytes(b'{"not": "a pith document"}')
    query = parse_query(name)
    problems = []
    for via, extra in (("cli", []), ("cli-json", ["--json"])):
        outcome = robustness.case("query-grammar", f"ambiguous-{name}", via=via, expected="exit 2")
        run = run_cli("verify", "--offline", *extra, name)
        outcome.crashed = not run.sane
        outcome.got = f"exit {run.code}"
        outcome.false_verified = run.code == 0
        text = run.err.strip() if via == "cli" else run.json()["error"]
        other = next(f for f in query.forms() if f != name)
        if run.code != 2 or f"./{name}" not in text or f"or {other} for the record" not in text:
            problems.append(f"{via}: exit {run.code}: {text!r}")
        if via == "cli" and not one_line_reason(text):
            problems.append(f"{via}: not one line: {text!r}")
    # Said either way, each works: the file is not a document (2), the query is a sample (0).
    assert run_cli("verify", "--offline", f"./{name}").code == 2
    assert run_cli("verify", "--offline", next(f for f in query.forms() if f != name)).code == 0
    assert not problems, problems


def test_the_library_refuses_a_wrong_year_before_any_request(
    robustness: Robustness, tmp_path: Path
) -> None:
    outcome = robustness.case("query-grammar", "library-wrong-year-online", via="resolver")

    async def run() -> Any:
        resolver = Resolver(
            Cache.open(tmp_path / "c"), signing_trust(), base_url="http://127.0.0.1:9"
        )
        try:
            resolver.ensure_samples()
            return await attempt_async(resolver.resolve("pith:2020:4K6GSOJWB7QU2RFIL3CD3BQJ62"))
        finally:
            await resolver.aclose()
            resolver.cache.close()

    result = asyncio.run(run())
    outcome.crashed = result.crashed
    outcome.got = type(result.error).__name__
    assert isinstance(result.error, NotFoundError)
    assert not isinstance(result.error, (MismatchError, NotCachedError, QueryError))
    assert "pith:2021:4K6GSOJWB7QU2RFIL3CD3BQJ62" in result.message


def test_every_wrong_year_form_is_a_query() -> None:
    for _, wrong in YEAR_CASES:
        query = parse_query(wrong)
        assert query.kind == "pith_id" and query.year is not None
    assert len(YEAR_CASES) >= 16
    assert copy.deepcopy(GENERATED)["pith_number"].startswith("pith:2024:")
