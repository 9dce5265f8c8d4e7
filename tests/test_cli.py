"""The command line: `verify` and `cache`, run in-process through `main(argv, out=, err=)`,
plus `python -m pith_tui` once as a real subprocess. No test touches the network."""

from __future__ import annotations

import base64
import copy
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pith_tui.cli import main
from pith_tui.core.cache.documents import decode as stored_bytes
from pith_tui.core.session import open_session
from tests.conftest import FIXTURES, PAPER_PAGE, REAL_RECORDS, SAMPLES
from tests.signing import OTHER_KEY, dumps, make_bundle, make_record

ID_2106 = "4K6GSOJWB7QU2RFIL3CD3BQJ62"
ID_1812 = "TJ77MKGIYVJE4LNYFYW7EA7KKL"
REPO = Path(__file__).resolve().parent.parent


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    assert "Traceback" not in err.getvalue()
    assert "Traceback" not in out.getvalue()
    return code, out.getvalue(), err.getvalue()


def one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, text
    return lines[0]


def cache_dir() -> Path:
    return Path(os.environ["PITH_TUI_CACHE_DIR"])


def break_signature(doc: dict[str, Any]) -> dict[str, Any]:
    bad = copy.deepcopy(doc)
    raw = bytearray(base64.b64decode(bad["receipt"]["signature_b64"]))
    raw[-1] ^= 0x80
    bad["receipt"]["signature_b64"] = base64.b64encode(bytes(raw)).decode()
    return bad


def tamper_cached_blob(pith_id: str, kind: str = "record") -> None:
    """Change the stored bytes behind the cache's back (a title no longer signed)."""
    with sqlite3.connect(cache_dir() / "cache.sqlite3") as db:
        raw, encoding = db.execute(
            "SELECT raw, encoding FROM documents WHERE pith_id = ? AND kind = ?", (pith_id, kind)
        ).fetchone()
        doc = json.loads(stored_bytes(raw, encoding))
        doc["paper"]["title"] = "A Title Nobody Signed"
        db.execute(
            "UPDATE documents SET raw = ? WHERE pith_id = ? AND kind = ?",
            (dumps(doc), pith_id, kind),
        )
    db.close()


# ----------------------------------------------------------------------- verify FILE


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("1611.01838.record.json", "record"),
        ("1704.04289.record.json", "record"),
        ("2106.06530.record.json", "record"),
        ("1812.00542.bundle.json", "bundle"),
    ],
)
def test_verify_a_real_record_or_bundle_file(name: str, kind: str) -> None:
    path = SAMPLES / name
    code, out, err = run("verify", path)
    assert code == 0
    assert err == ""
    assert out.startswith(f"{path}: pith:")
    assert f"({kind}, file)" in out
    assert "✗" not in out
    assert out.rstrip().endswith("=> VERIFIED")


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        (PAPER_PAGE, "not a Pith document: this is text, not JSON"),
        (FIXTURES / "pith-mirrors.json", "this is Pith's mirror manifest, not a record or bundle"),
        (FIXTURES / "no-such-file.json", "no such file"),
        (Path("/nonexistent/dir/record.json"), "no such file"),
    ],
    ids=["paper-page", "mirror-manifest", "missing", "missing-dir"],
)
def test_verify_a_file_that_is_not_a_pith_document_exits_2_with_one_line(
    path: Path, reason: str
) -> None:
    code, out, err = run("verify", path)
    assert code == 2
    assert out == ""
    line = one_line(err)
    assert line.startswith(f"{path}: error: ")
    assert reason in line


def test_verify_garbage_query_exits_2() -> None:
    code, out, err = run("verify", "hello world!")
    assert code == 2
    assert out == ""
    assert one_line(err).startswith("hello world!: error: Cannot look up 'hello world!'")


def test_verify_every_fixture_at_once_reports_each_and_exits_with_the_worst() -> None:
    paths = sorted([*SAMPLES.glob("*.json"), *FIXTURES.iterdir()])
    code, out, err = run("verify", *paths)
    assert code == 2
    assert out.count("=> VERIFIED") == 4
    errors = err.splitlines()
    assert [line.split(": error: ")[0] for line in errors] == [
        str(PAPER_PAGE),
        str(FIXTURES / "pith-mirrors.json"),
    ]


def _deep(depth: int) -> bytes:
    return b'{"a": ' * depth + b"1" + b"}" * depth


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            REAL_RECORDS["2106.06530"]
            .read_bytes()
            .replace(b"{", b'{"pith_number": "pith:2021:AAAAAAAAAAAAAAAAAAAAAAAAAA",', 1),
            "repeats the key 'pith_number'",
        ),
        (b'{"record_type": "pith_number_record", "x": NaN}', "NaN"),
        (b'{"record_type": "pith_number_record", "x": -Infinity}', "-Infinity"),
        (b'{"x": 1e400}', "too large"),
        (_deep(200), "nested deeper than 64 levels"),
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper than"),
        (b'{"x": "' + b"a" * (5 * 1024 * 1024) + b'"}', "over the 4,194,304 byte limit"),
        (b"\xef\xbb\xbf{}", "not a Pith document"),
        (b'{"x": "\xff"}', "not valid UTF-8"),
        (b'{"unterminated": ', "not valid JSON"),
    ],
    ids=[
        "duplicate-key",
        "nan",
        "infinity",
        "overflow",
        "deep",
        "very-deep",
        "oversize",
        "bom",
        "utf8",
        "truncated",
    ],
)
def test_verify_refuses_ambiguous_or_absurd_json_with_exit_2(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "doc.json"
    path.write_bytes(content)
    code, out, err = run("verify", path)
    assert code == 2
    assert out == ""
    line = one_line(err)
    assert line.startswith(f"{path}: error: ")
    assert reason in line
    assert len(line) < 400


def test_verify_a_tampered_file_exits_1_and_marks_the_failing_check(tmp_path: Path) -> None:
    record = json.loads(REAL_RECORDS["2106.06530"].read_bytes())
    path = tmp_path / "tampered.json"
    path.write_bytes(dumps(break_signature(record)))
    code, out, err = run("verify", path)
    assert code == 1
    assert err == ""
    failing = [line for line in out.splitlines() if "✗" in line]
    assert len(failing) == 1
    assert failing[0].lstrip().startswith("✗ receipt_signature")
    assert out.rstrip().endswith("=> FAILED")


def test_verify_a_document_by_an_unpinned_key_is_not_verified(tmp_path: Path) -> None:
    path = tmp_path / "unpinned.json"
    path.write_bytes(dumps(make_record("2403.00020", key=OTHER_KEY, key_id="someone-else")))
    code, out, _ = run("verify", path)
    assert code == 1
    assert "=> VERIFIED" not in out


def test_the_test_key_verifies_only_once_pinned(tmp_path: Path, request: Any) -> None:
    path = tmp_path / "signed-by-test-key.json"
    path.write_bytes(dumps(make_record("2403.00021")))
    code, _, _ = run("verify", path)
    assert code == 1  # the test key is not shipped: not trusted
    request.getfixturevalue("config_with_test_key")  # pins it in PITH_TUI_CONFIG_DIR
    code, out, _ = run("verify", path)
    assert code == 0
    assert "=> VERIFIED" in out


def test_verify_json_shape_for_one_target() -> None:
    path = REAL_RECORDS["1611.01838"]
    code, out, _ = run("verify", "--json", path)
    assert code == 0
    data = json.loads(out)
    assert isinstance(data, dict)
    assert {"target", "kind", "pith_number", "verdict", "checks"} <= set(data)
    assert data["target"] == str(path)
    assert data["kind"] == "record"
    assert data["pith_number"] == "pith:2016:OCXKLV426LDXCCJME7JSY36CQW"
    assert data["verdict"] == "verified"
    assert data["checks"]
    for check in data["checks"]:
        assert set(check) >= {"id", "status", "detail"}
        assert check["status"] == "pass"
    assert "receipt_signature" in {c["id"] for c in data["checks"]}


SIGNED_JSON_FIELDS = ("arxiv_id", "version", "primary_cat", "cross_cats", "submitted_at", "license")


def test_verify_json_gives_every_field_with_its_provenance() -> None:
    code, out, _ = run("verify", "--json", REAL_RECORDS["2106.06530"])
    assert code == 0
    fields = json.loads(out)["fields"]
    for name in (*SIGNED_JSON_FIELDS, "title", "authors", "abstract", "pith_number", "hash"):
        assert {"value", "provenance", "covered_by", "source"} <= set(fields[name]), name
    for name in SIGNED_JSON_FIELDS:
        assert fields[name]["provenance"] == "signed", name
        assert fields[name]["covered_by"] == [
            "the record's receipt signature (key pith-v1-2026-05)"
        ]
    assert fields["title"]["provenance"] == "hash-bound"
    assert fields["authors"] == {
        "value": "Alex Damian, Jason D. Lee, Tengyu Ma",
        "provenance": "unsigned",
        "covered_by": [],
        "source": "record: paper.authors_text",
    }
    assert fields["abstract"]["provenance"] == "unsigned"
    assert fields["cross_cats"]["value"] == ["cs.IT", "math.IT", "math.OC", "stat.ML"]
    assert fields["version"]["value"] == 2
    code, out, _ = run("verify", "--json", REAL_RECORDS["bundle"])
    fields = json.loads(out)["fields"]
    assert fields["authors"]["provenance"] == "event-signed"
    assert fields["authors"]["covered_by"][0].startswith("the graph_snapshot event sha256:8f694065")


def test_verify_lists_the_unsigned_fields_in_one_line() -> None:
    _, out, _ = run("verify", REAL_RECORDS["2106.06530"])
    assert "  not signed: authors, abstract, server_claims\n" in out
    _, out, _ = run("verify", REAL_RECORDS["bundle"])
    assert "not signed" not in out


@pytest.mark.parametrize(
    ("key", "value", "json_field"),
    [
        ("submitted_at", "1999-01-01T00:00:00Z", "submitted_at"),
        ("primary_cat", "hep-th", "primary_cat"),
        ("cross_cats", ["quant-ph"], "cross_cats"),
        ("license", "http://creativecommons.org/publicdomain/zero/1.0/", "license"),
    ],
)
def test_verify_fails_a_paper_field_that_contradicts_the_signed_record(
    tmp_path: Path, key: str, value: Any, json_field: str
) -> None:
    doc = json.loads(REAL_RECORDS["2106.06530"].read_bytes())
    signed = doc["canonical_record"]["metadata"]
    signed_value = signed["cross_cats_sorted" if key == "cross_cats" else key]
    doc["paper"][key] = value
    path = tmp_path / "forged.json"
    path.write_bytes(dumps(doc))
    code, out, _ = run("verify", path)
    assert code == 1
    line = next(line for line in out.splitlines() if "paper_fields" in line)
    assert line.lstrip().startswith("✗ paper_fields")
    assert f"{key}: the paper block says" in line
    assert out.rstrip().endswith("=> FAILED")
    code, out, _ = run("verify", "--json", path)
    data = json.loads(out)
    assert code == 1 and data["verdict"] == "failed"
    field = data["fields"][json_field]
    assert field["value"] == signed_value and field["provenance"] == "signed"
    (contradiction,) = field["contradictions"]
    assert contradiction["where"] == "the paper block"
    assert contradiction["against_where"] == "the signed record"


@pytest.mark.parametrize(
    ("key", "json_field"), [("authors_text", "authors"), ("abstract_excerpt", "abstract")]
)
def test_verify_keeps_an_unsigned_forgery_verified_but_says_it_is_not_signed(
    tmp_path: Path, key: str, json_field: str
) -> None:
    doc = json.loads(REAL_RECORDS["2106.06530"].read_bytes())
    doc["paper"][key] = "Mallory Forger"
    path = tmp_path / "forged.json"
    path.write_bytes(dumps(doc))
    code, out, _ = run("verify", path)
    assert code == 0 and "not signed: authors, abstract" in out
    code, out, _ = run("verify", "--json", path)
    field = json.loads(out)["fields"][json_field]
    assert (field["value"], field["provenance"]) == ("Mallory Forger", "unsigned")


def test_verify_warns_when_record_and_bundle_differ_on_authors(
    tmp_path: Path, config_with_test_key: Path
) -> None:
    record = make_record("2403.00005", title="Both Halves", authors="Mallory Forger")
    bundle = make_bundle("2403.00005", title="Both Halves")
    files = [tmp_path / "record.json", tmp_path / "bundle.json"]
    files[0].write_bytes(dumps(record))
    files[1].write_bytes(dumps(bundle))
    assert run("cache", "import", *files)[0] == 0
    code, out, _ = run("verify", "--offline", "2403.00005")
    assert code == 0, out
    assert "  record and bundle:" in out
    line = next(line for line in out.splitlines() if "documents_agree" in line)
    assert line.lstrip().startswith("! documents_agree")
    assert "'Mallory Forger'" in line and "'Ada Lovelace, Alan Turing'" in line
    code, out, _ = run("verify", "--offline", "--json", "2403.00005")
    data = json.loads(out)
    assert data["kind"] == "record+bundle"
    agree = next(c for c in data["checks"] if c["id"] == "documents_agree")
    assert agree["status"] == "warn" and agree["document"] == "record and bundle"
    authors = data["fields"]["authors"]
    assert (authors["value"], authors["provenance"]) == (
        "Ada Lovelace, Alan Turing",
        "event-signed",
    )
    assert authors["differences"][0]["stated"] == "Mallory Forger"


def test_verify_json_gives_an_array_for_several_targets(tmp_path: Path) -> None:
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(
        dumps(break_signature(json.loads(REAL_RECORDS["1704.04289"].read_bytes())))
    )
    targets = [REAL_RECORDS["bundle"], tampered, PAPER_PAGE]
    code, out, _ = run("verify", "--json", *targets)
    assert code == 2
    data = json.loads(out)
    assert isinstance(data, list)
    assert [item["target"] for item in data] == [str(t) for t in targets]
    assert [item["verdict"] for item in data] == ["verified", "failed", "error"]
    assert data[0]["kind"] == "bundle"
    assert {c["id"] for c in data[0]["checks"]} >= {"bundle_signature", "state_merge"}
    statuses = {c["id"]: c["status"] for c in data[1]["checks"]}
    assert statuses["receipt_signature"] == "fail"
    assert data[2]["checks"] == [] and data[2]["pith_number"] is None
    assert "not a Pith document" in data[2]["error"]


def test_verify_a_sample_offline() -> None:
    code, out, err = run("verify", "2106.06530", "--offline")
    assert code == 0, err
    assert "pith:2021:4K6GSOJWB7QU2RFIL3CD3BQJ62 (record, bundled sample)" in out
    assert out.rstrip().endswith("=> VERIFIED")
    code, out, _ = run("verify", "--offline", "2106.06530v1")
    assert code == 0
    assert "note: you asked for v1; Pith's record is for v2" in out


def test_verify_offline_for_something_not_cached_exits_3_with_one_line() -> None:
    code, out, err = run("verify", "--offline", "2403.00009")
    assert code == 3
    assert out == ""
    assert one_line(err) == "2403.00009: error: offline, and arXiv:2403.00009 is not in the cache"


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["verify"], "the following arguments are required"),
        (["cache"], "the following arguments are required"),
        (["verify", "--frobnicate", "x"], "unrecognized arguments"),
        (["verify", "--base-url", "ftp://example.org", "2106.06530"], "must start with http"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv: list[str], needle: str) -> None:
    code, _out, err = run(*argv)
    assert code == 2
    assert needle in one_line(err)


def test_python_dash_m_pith_tui_verify_a_file() -> None:
    path = REAL_RECORDS["bundle"]
    done = subprocess.run(
        [sys.executable, "-m", "pith_tui", "verify", str(path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "=> VERIFIED" in done.stdout
    assert "Traceback" not in done.stderr


def test_a_reader_that_goes_away_is_not_a_traceback() -> None:
    """`pith-tui verify --json ... | head -c 100`: the pipe closes while pith-tui writes."""
    targets = [str(REAL_RECORDS["bundle"])] * 80  # far more than a pipe buffer holds
    process = subprocess.Popen(
        [sys.executable, "-m", "pith_tui", "verify", "--json", *targets],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(100)
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.wait(60)
    assert "Traceback" not in stderr
    assert "BrokenPipeError" not in stderr
    assert process.returncode == 141


# --------------------------------------------------------------------------- cache


def test_cache_path() -> None:
    code, out, _ = run("cache", "path")
    assert code == 0
    assert one_line(out) == str(cache_dir() / "cache.sqlite3")


@pytest.mark.parametrize("where", ["before", "after"])
def test_cache_options_work_before_and_after_the_action(tmp_path: Path, where: str) -> None:
    option = ["--cache-dir", str(tmp_path / "elsewhere")]
    argv = ["cache", *option, "path"] if where == "before" else ["cache", "path", *option]
    code, out, _ = run(*argv)
    assert code == 0
    assert one_line(out) == str(tmp_path / "elsewhere" / "cache.sqlite3")
    code, _, err = run("cache", "list", "--base-url", "ftp://example.org")
    assert code == 2
    assert "must start with http" in one_line(err)


def test_cache_list_shows_the_samples() -> None:
    code, out, err = run("cache", "list")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 4
    assert all(" verified " in line and " sample " in line for line in lines)
    assert any(
        line.startswith("pith:2021:4K6GSOJWB7QU2RFIL3CD3BQJ62  2106.06530") for line in lines
    )
    assert one_line(err).startswith("4 cached record(s) in ")


def test_cache_list_json() -> None:
    code, out, _ = run("cache", "list", "--json")
    assert code == 0
    data = json.loads(out)
    assert len(data) == 4
    by_arxiv = {item["arxiv_id"]: item for item in data}
    assert set(by_arxiv) == {"1611.01838", "1704.04289", "1812.00542", "2106.06530"}
    bundle = by_arxiv["1812.00542"]
    assert bundle["pith_number"] == f"pith:2018:{ID_1812}"
    assert bundle["has_bundle"] is True
    assert by_arxiv["2106.06530"]["has_bundle"] is False
    for item in data:
        assert item["verdict"] == "verified"
        assert item["source"] == "sample"
        assert item["changed_upstream"] is False
        assert item["text_changed_at"] is None
        assert item["title"]
        assert item["fetched_at"]


def test_cache_remove() -> None:
    run("cache", "list")
    code, out, _ = run("cache", "remove", "2106.06530")
    assert code == 0
    assert one_line(out) == "removed pith:4K6GSOJW"
    data = json.loads(run("cache", "list", "--json")[1])
    assert "2106.06530" not in {item["arxiv_id"] for item in data}
    assert len(data) == 3
    code, out, err = run("cache", "remove", "pith:4K6GSOJW")
    assert code == 3
    assert one_line(err) == "pith-tui: pith:4K6GSOJW is not in the cache"
    code, _, err = run("cache", "remove", "not an id!")
    assert code == 2
    one_line(err)


def test_cache_clear() -> None:
    run("cache", "list")
    code, out, _ = run("cache", "clear")
    assert code == 0
    assert one_line(out) == "removed 4 record(s)"
    session = open_session(samples=False)
    try:
        assert session.resolver.cache.count() == 0
    finally:
        session.resolver.cache.close()


def test_cache_verify_passes_on_the_samples() -> None:
    code, out, _ = run("cache", "verify")
    assert code == 0
    assert "re-verified 4 record(s): 4 verified, 0 failed, 0 incomplete" in out
    code, out, _ = run("cache", "verify", "--json")
    assert code == 0
    summary = json.loads(out)
    assert {k: summary[k] for k in ("total", "verified", "failed", "incomplete")} == {
        "total": 4,
        "verified": 4,
        "failed": 0,
        "incomplete": 0,
    }
    assert summary["problems"] == []


def test_cache_verify_finds_a_tampered_blob() -> None:
    run("cache", "list")
    tamper_cached_blob(ID_2106)
    code, out, _ = run("cache", "verify", "--json")
    assert code == 1
    summary = json.loads(out)
    assert (summary["total"], summary["verified"], summary["failed"]) == (4, 3, 1)
    assert [p["pith_id"] for p in summary["problems"]] == [ID_2106]
    assert "title_hash" in summary["problems"][0]["reason"]
    code, out, _ = run("cache", "verify")
    assert code == 1
    assert "1 failed" in out
    listing = {e["arxiv_id"]: e["verdict"] for e in json.loads(run("cache", "list", "--json")[1])}
    assert listing["2106.06530"] == "failed"
    assert listing["1611.01838"] == "verified"


def test_cache_verify_reports_progress_in_plain_lines_when_not_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pith_tui.core import reverify

    monkeypatch.setattr(reverify, "CHUNK", 1)  # four chunks for the four samples
    code, out, err = run("cache", "verify")
    assert code == 0
    assert err.splitlines() == [
        "pith-tui: re-verified 1 of 4 records",
        "pith-tui: re-verified 2 of 4 records",
        "pith-tui: re-verified 3 of 4 records",
    ]
    assert "\r" not in err
    assert "re-verified 4 record(s): 4 verified" in out


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_cache_verify_draws_a_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from pith_tui.core import reverify

    monkeypatch.setattr(reverify, "CHUNK", 2)
    out, err = io.StringIO(), Terminal()
    assert main(["cache", "verify"], out=out, err=err) == 0
    assert err.getvalue() == (
        "\r[..............................] 0/4"
        "\r[###############...............] 2/4"
        "\r[##############################] 4/4\n"
    )


def test_verify_a_tampered_cached_record_offline_fails() -> None:
    run("cache", "list")
    tamper_cached_blob(ID_2106)
    code, out, _ = run("verify", "--offline", "2106.06530")
    assert code == 1
    assert "✗ title_hash" in out
    assert out.rstrip().endswith("=> FAILED")


def _write_generated(tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any], Path, Path]:
    record = make_record("2403.00042", title="A Generated Paper")
    bundle = make_bundle("2403.00042", title="A Generated Paper", extra_events=("correction",))
    record_path, bundle_path = tmp_path / "gen.record.json", tmp_path / "gen.bundle.json"
    record_path.write_bytes(dumps(record))
    bundle_path.write_bytes(dumps(bundle))
    return record, bundle, record_path, bundle_path


def test_cache_export_writes_the_pith_url_layout(
    tmp_path: Path, config_with_test_key: Path
) -> None:
    record, bundle, record_path, bundle_path = _write_generated(tmp_path)
    run("cache", "list")  # the samples
    assert run("cache", "import", record_path, bundle_path)[0] == 0
    target = tmp_path / "mirror"
    code, out, err = run("cache", "export", target)
    assert code == 0, err
    # id + arXiv id + 3 short ids each, and bundle + state for the two with a bundle
    assert out.splitlines()[0] == f"exported 5 record(s) as {5 * 5 + 2 * 2} file(s) to {target}"
    assert len([p for p in target.rglob("*") if p.is_file()]) == 29

    pith_id = record["pith_number"].rsplit(":", 1)[-1]
    root = target / "pith"
    assert (root / f"{pith_id}.json").read_bytes() == dumps(record)
    assert (root / pith_id / "bundle.json").read_bytes() == dumps(bundle)
    state = json.loads((root / pith_id / "state.json").read_bytes())
    assert state == bundle["state"]
    assert (root / "2403.00042.json").read_bytes() == dumps(record)
    for n in (8, 12, 16):
        assert (root / f"{pith_id[:n]}.json").read_bytes() == dumps(record)
    # A sample with only a bundle: the bundle stands at the record paths.
    sample_bundle = REAL_RECORDS["bundle"].read_bytes()
    assert (root / f"{ID_1812}.json").read_bytes() == sample_bundle
    assert (root / "1812.00542.json").read_bytes() == sample_bundle
    assert (root / ID_1812 / "bundle.json").read_bytes() == sample_bundle
    assert (root / "2106.06530.json").read_bytes() == REAL_RECORDS["2106.06530"].read_bytes()
    assert not (root / ID_2106 / "bundle.json").exists()
    assert not any(p.name.startswith(".tmp-") for p in root.rglob("*"))


def test_cache_export_skips_a_record_that_no_longer_verifies(tmp_path: Path) -> None:
    run("cache", "list")
    tamper_cached_blob(ID_2106)
    target = tmp_path / "mirror"
    code, out, err = run("cache", "export", target)
    assert code == 0
    assert "exported 3 record(s)" in out
    assert one_line(err) == "skipped pith:4K6GSOJW: it fails verification"
    assert not (target / "pith" / f"{ID_2106}.json").exists()
    assert not (target / "pith" / "2106.06530.json").exists()


def test_cache_import_stores_good_files_and_refuses_bad_ones(
    tmp_path: Path, config_with_test_key: Path
) -> None:
    record, _bundle, record_path, bundle_path = _write_generated(tmp_path)
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(dumps(break_signature(record)))
    missing = tmp_path / "missing.json"

    code, out, _ = run("cache", "import", record_path, bundle_path, tampered, PAPER_PAGE, missing)

    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 5
    assert lines[0] == f"{record_path}: stored, verified"
    assert lines[1] == f"{bundle_path}: stored, verified"
    assert lines[2].startswith(f"{tampered}: fails verification (receipt_signature: ")
    assert lines[2].endswith("; not stored")
    assert lines[3] == f"{PAPER_PAGE}: not a Pith document: this is text, not JSON"
    assert lines[4].startswith(f"{missing}: cannot read it")
    # The good copy is what the cache holds; the tampered one never replaced it.
    pith_id = record["pith_number"].rsplit(":", 1)[-1]
    session = open_session(samples=False)
    try:
        cache = session.resolver.cache
        assert cache.count() == 1
        assert cache.get(pith_id, "record").raw == dumps(record)  # type: ignore[union-attr]
        assert cache.get(pith_id, "bundle") is not None
        assert len(cache.versions(pith_id, "record")) == 1
    finally:
        cache.close()
    code, out, _ = run("verify", "--offline", "--json", "2403.00042")
    assert code == 0
    data = json.loads(out)
    assert (data["kind"], data["verdict"], data["source"]) == (
        "record+bundle",
        "verified",
        "offline",
    )


def test_cache_import_of_good_files_only_exits_0() -> None:
    code, out, _ = run("cache", "import", REAL_RECORDS["1611.01838"], REAL_RECORDS["bundle"])
    assert code == 0
    assert out.splitlines() == [
        f"{REAL_RECORDS['1611.01838']}: stored, verified",
        f"{REAL_RECORDS['bundle']}: stored, verified",
    ]


# ------------------------------------------------ ambiguity, bounded reads, rollback


@pytest.mark.parametrize(
    ("name", "query_form"),
    [("2106.06530", "arXiv:2106.06530"), ("4K6GSOJW", "pith:4K6GSOJW")],
)
def test_a_target_that_is_both_a_file_and_a_query_is_refused_as_ambiguous(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, query_form: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path(name).write_bytes(REAL_RECORDS["2106.06530"].read_bytes())
    code, out, err = run("verify", "--offline", name)
    assert code == 2 and out == ""
    assert one_line(err) == (
        f"{name}: error: {name} is both a file here and a record to look up: write ./{name} "
        f"for the file, or {query_form} for the record"
    )
    code, out, _ = run("verify", "--offline", "--json", name)
    data = json.loads(out)
    assert code == 2
    assert (data["verdict"], data["error_kind"]) == ("error", "usage")
    assert "./" + name in data["error"]
    # Each way of saying which one works.
    code, out, err = run("verify", "--offline", f"./{name}")
    assert code == 0 and "(record, file)" in out, err
    code, out, err = run("verify", "--offline", query_form)
    assert code == 0 and "(record, bundled sample)" in out, err


def test_a_folder_target_is_refused_in_words(tmp_path: Path) -> None:
    code, _, err = run("verify", f"{tmp_path}{os.sep}")
    assert code == 2
    assert (
        one_line(err)
        == f"{tmp_path}{os.sep}: error: {tmp_path}{os.sep} is a folder, not a document file"
    )


_LIMITED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from pith_tui.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_AS is POSIX")
@pytest.mark.parametrize("command", [["verify"], ["verify", "--json"], ["cache", "import"]])
def test_an_8_gib_file_is_refused_in_one_line_under_a_1_gib_memory_limit(
    tmp_path: Path, command: list[str]
) -> None:
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:
        handle.truncate(8 << 30)  # sparse: no disk is used
    done = subprocess.run(
        [sys.executable, "-c", _LIMITED, *command, str(huge)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        timeout=120,
    )
    reason = (
        "the file is 8,589,934,592 bytes (8.0 GiB), over the 4,194,304 byte limit of a Pith "
        "document; not read"
    )
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    if command == ["verify"]:
        assert done.returncode == 2
        assert one_line(done.stderr) == f"{huge}: error: {reason}"
    elif command == ["verify", "--json"]:
        assert done.returncode == 2
        assert json.loads(done.stdout)["error"] == reason
    else:
        assert done.returncode == 1
        assert one_line(done.stdout) == f"{huge}: {reason}"


def test_cache_import_refuses_an_older_bundle_and_keeps_the_cached_one(
    tmp_path: Path, config_with_test_key: Path
) -> None:
    _record, bundle, _record_path, bundle_path = _write_generated(tmp_path)
    older = copy.deepcopy(bundle)
    older["events"] = [e for e in older["events"] if e["event_type"] != "correction"]
    from tests.signing import restate_bundle

    older_path = tmp_path / "older.bundle.json"
    older_path.write_bytes(dumps(restate_bundle(older)))
    assert run("cache", "import", bundle_path)[0] == 0

    code, out, _ = run("cache", "import", older_path)

    assert code == 1
    assert one_line(out) == (
        f"{older_path}: not stored: it is an older bundle than the one cached (it lacks 1 "
        "event the cached one has: correction); the cached one is kept"
    )
    code, out, _ = run("verify", "--offline", "--json", "2403.00042")
    data = json.loads(out)
    assert code == 0 and data["verdict"] == "verified"
    session = open_session(samples=False)
    try:
        pith_id = bundle["pith_number"].rsplit(":", 1)[-1]
        kept = session.resolver.cache.get(pith_id, "bundle")
        assert kept is not None and kept.raw == dumps(bundle)
    finally:
        session.resolver.cache.close()


def test_cache_import_of_the_same_record_with_other_text_keeps_both_and_says_so(
    tmp_path: Path, config_with_test_key: Path
) -> None:
    record, _bundle, record_path, _bundle_path = _write_generated(tmp_path)
    other = copy.deepcopy(record)
    other["paper"]["authors_text"] = "Someone Else"
    other["verification_status"]["author_attested"] = True
    other_path = tmp_path / "other.record.json"
    other_path.write_bytes(dumps(other))
    assert run("cache", "import", record_path)[0] == 0

    code, out, _ = run("cache", "import", other_path)

    assert code == 0
    assert one_line(out) == (
        f"{other_path}: stored, verified (its text differs from the cached copy (authors, "
        "server claims); the earlier copy is kept)"
    )
    listed = json.loads(run("cache", "list", "--json")[1])
    assert [e["text_changed_at"] is not None for e in listed] == [True]
    code, out, _ = run("verify", "--offline", "--json", "2403.00042")
    notes = json.loads(out)["notes"]
    assert any(
        n.startswith("the server's text changed since ")
        and n.endswith(": authors, server claims (the earlier copy is kept in the cache)")
        for n in notes
    ), notes


def test_cache_export_never_writes_through_a_planted_link(tmp_path: Path) -> None:
    run("cache", "list")  # the samples
    outside = tmp_path / "outside"
    outside.mkdir()
    target = tmp_path / "mirror"
    target.mkdir()
    (target / "pith").symlink_to(outside, target_is_directory=True)
    code, out, err = run("cache", "export", target)
    assert code == 3 and out == ""
    assert one_line(err) == (
        f"pith-tui: cannot write the mirror at {target}: {target / 'pith'} is a symbolic "
        "link; refusing to write through it"
    )
    assert list(outside.iterdir()) == []
    # A planted file link is replaced by the mirror's file; what it pointed at is untouched.
    (target / "pith").unlink()
    (target / "pith").mkdir()
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    (target / "pith" / f"{ID_2106}.json").symlink_to(victim)
    code, out, err = run("cache", "export", target)
    assert code == 0, err
    assert victim.read_bytes() == b"precious"
    written = target / "pith" / f"{ID_2106}.json"
    assert not written.is_symlink()
    assert written.read_bytes() == REAL_RECORDS["2106.06530"].read_bytes()
