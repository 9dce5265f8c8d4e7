"""verify --bib, cache fetch and cite against a real mirror on 127.0.0.1, with .bib files
written here: every place an arXiv id can stand, LaTeX titles, a wrong title, an id Pith
does not have, entries without ids, a forged record, offline runs after the server stops,
and hostile .bib input. Nothing reaches beyond 127.0.0.1."""

from __future__ import annotations

import asyncio
import copy
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest

from pith_tui.cli import main
from pith_tui.core import client
from pith_tui.core.arxiv_refs import find_arxiv_id
from pith_tui.core.bibcheck import EntryVerdict, Planned, check_planned, plan
from pith_tui.core.bibtex import MAX_BIB_BYTES, NotBibtexError, parse_bibliography
from pith_tui.core.cite import escape_latex
from pith_tui.core.errors import NotFoundError
from pith_tui.core.ids import parse_query
from pith_tui.core.latex_text import LatexTextError, latex_to_text, title_readings
from pith_tui.core.verify import title_canon_sha256
from tests.conftest import REAL_RECORDS
from tests.mirror_server import MirrorServer
from tests.signing import dumps, make_record

LABEL_NOISE_TITLE = "Label Noise SGD Provably Prefers Flat Global Minimizers"
ENTROPY_TITLE = "Entropy-SGD: Biasing Gradient Descent Into Wide Valleys"
BAYES_TITLE = "Stochastic Gradient Descent as Approximate Bayesian Inference"
LATEX_ID, LATEX_TITLE = "2403.00042", "Schrödinger Bridges for $\\ell_1$ Flows -- a Study"
OLD_ID, OLD_TITLE = "hep-th/9901001", "Old Style Strings & Branes"
FORGED_ID = "2403.00099"
MISSING_ID = "2401.00001"


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    assert "Traceback" not in err.getvalue() + out.getvalue()
    return code, out.getvalue(), err.getvalue()


def run_bib(bib: Path, *extra: str | Path) -> tuple[int, dict[str, dict[str, Any]], str]:
    code, out, err = run("verify", "--bib", bib, "--json", *extra)
    return code, {item["key"]: item for item in json.loads(out)}, err


@pytest.fixture(autouse=True)
def _short_retry_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client, "BACKOFF_FIRST_WAIT", 0.01)


def _serve(directory: Path, key: str, record: dict[str, Any]) -> None:
    path = directory / "pith" / f"{key}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(dumps(record))


@pytest.fixture
def mirror_dir(tmp_path: Path, config_with_test_key: Path) -> Path:
    """A static mirror: three real records, two signed with the (pinned) test key, one forged."""
    directory = tmp_path / "mirror"
    for arxiv_id in ("2106.06530", "1611.01838", "1704.04289"):
        record = json.loads(REAL_RECORDS[arxiv_id].read_text())
        _serve(directory, arxiv_id, record)
        _serve(directory, record["pith_number"].rsplit(":", 1)[-1], record)
    for arxiv_id, title in ((LATEX_ID, LATEX_TITLE), (OLD_ID, OLD_TITLE)):
        record = make_record(arxiv_id, title=title)
        _serve(directory, arxiv_id, record)
        _serve(directory, record["pith_number"].rsplit(":", 1)[-1], record)
    forged = make_record(FORGED_ID, title="A Forged Paper")
    forged = copy.deepcopy(forged)
    forged["canonical_record"]["metadata"]["title_canon_sha256"] = title_canon_sha256("Other")
    _serve(directory, FORGED_ID, forged)
    return directory


BIB = r"""
% every place an arXiv id can stand
@article{eprint, title={Label Noise {SGD} Provably Prefers Flat Global Minimizers},
  eprint={2106.06530}, archivePrefix={arXiv}, primaryClass={cs.LG}}
@misc{eprinttype, title = "{Entropy-SGD}: Biasing Gradient Descent Into Wide Valleys",
  eprint = {1611.01838v2}, eprinttype = {arxiv}}
@misc{arxivfield, title={Stochastic Gradient Descent as Approximate {B}ayesian Inference},
  arxiv={1704.04289}}
@article{doi, title={Label Noise SGD Provably Prefers \emph{Flat} Global Minimizers},
  doi={10.48550/arXiv.2106.06530}}
@misc{url, title={Entropy-{SGD}: Biasing Gradient Descent Into Wide Valleys},
  url={https://arxiv.org/abs/1611.01838v1}}
@misc{pdf, title={Stochastic gradient descent as approximate Bayesian inference},
  howpublished={\url{http://arxiv.org/pdf/1704.04289.pdf}}}
@article{journal, title={Label noise {SGD} provably prefers flat global minimizers},
  journal={arXiv preprint arXiv:2106.06530}, year={2021}}
@misc{latex, title={{Schr{\"o}dinger} Bridges for $\ell_1$ {F}lows -- a {S}tudy},
  eprint={2403.00042}, archivePrefix={arXiv}}
@misc{oldstyle, title={Old Style Strings \& Branes}, eprint={hep-th/9901001}}
@book{noid, title={A Book Without Any Identifier}, publisher={Someone}}
@article{journalonly, title={Some Journal Paper}, journal={Nature}, doi={10.1038/nature14539}}
"""


def test_every_place_an_id_can_stand_verifies_and_titles_match(
    tmp_path: Path, mirror_dir: Path
) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB)
    with MirrorServer(mirror_dir) as server:
        code, items, err = run_bib(bib, "--base-url", server.url)
    checked = [
        "eprint",
        "eprinttype",
        "arxivfield",
        "doi",
        "url",
        "pdf",
        "journal",
        "latex",
        "oldstyle",
    ]
    for key in checked:
        assert items[key]["verdict"] == "verified", (key, items[key])
        assert items[key]["title"] == "match", (key, items[key])
        assert items[key]["pith_number"].startswith("pith:")
        assert any(
            c["id"] == "receipt_signature" and c["status"] == "pass" for c in items[key]["checks"]
        )
    assert items["eprint"]["found_in"] == "eprint"
    assert items["pdf"]["found_in"] == "howpublished"
    assert items["oldstyle"]["query"] == f"arXiv:{OLD_ID}"
    assert items["doi"]["pith_number"] == items["eprint"]["pith_number"]
    for key in ("noid", "journalonly"):
        assert items[key]["verdict"] == "no_identifier"
        assert items[key]["title"] == "not_checked"
    assert code == 0, err


def test_human_output_and_exit_codes_for_mismatch_missing_and_forged(
    tmp_path: Path, mirror_dir: Path
) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(
        "@misc{good, title={Label Noise SGD Provably Prefers Flat Global Minimizers}, eprint={2106.06530}}\n"
        "@misc{wrong, title={Label Noise SGD Prefers Sharp Minimizers}, eprint={2106.06530}}\n"
        f"@misc{{missing, title={{Not Read Yet}}, eprint={{{MISSING_ID}}}}}\n"
        "@book{noid, title={No Id}}\n"
    )
    with MirrorServer(mirror_dir) as server:
        code, out, _ = run("verify", "--bib", bib, "--base-url", server.url)
        lines = out.splitlines()
        assert lines[0].startswith("good: arXiv:2106.06530 (eprint) -> pith:2021:")
        assert lines[0].endswith("verified, title match")
        assert "title mismatch" in lines[1] and repr(LABEL_NOISE_TITLE) in lines[1]
        assert lines[2].startswith(f"missing: arXiv:{MISSING_ID} (eprint): not on Pith")
        assert lines[3] == "noid: no arXiv identifier (not checked)"
        assert lines[-1] == "1 verified, 1 title mismatch, 1 not on Pith, 1 without an arXiv id"
        assert code == 1  # a mismatch fails the bibliography

        # Without the wrong title: nothing failed, but one could not be fetched -> 3.
        bib.write_text(
            bib.read_text().replace(
                "Prefers Sharp Minimizers", "Provably Prefers Flat Global Minimizers"
            )
        )
        code, items, _ = run_bib(bib, "--base-url", server.url)
        assert items["missing"]["verdict"] == "not_found" and code == 3

        # A forged record (its title hash edited after signing) fails; its title is not compared.
        bib.write_text(f"@misc{{forged, title={{A Forged Paper}}, eprint={{{FORGED_ID}}}}}\n")
        code, items, _ = run_bib(bib, "--base-url", server.url)
        assert items["forged"]["verdict"] == "failed"
        assert items["forged"]["title"] == "not_checked"
        assert code == 1


def test_offline_after_the_server_stops(tmp_path: Path, mirror_dir: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB)
    cache = tmp_path / "shared-cache"
    with MirrorServer(mirror_dir) as server:
        url = server.url
        code, out, err = run("cache", "fetch", bib, "--base-url", url, "--cache-dir", cache)
        assert code == 0, err
        assert out.strip() == "9 fetched and verified, 2 without an arXiv id"
        requests = len(server.paths)
        # Resumable: a second run finds everything fresh in the cache and asks nothing.
        code, out, _ = run("cache", "fetch", bib, "--base-url", url, "--cache-dir", cache)
        assert code == 0 and out.strip() == "9 already cached, 2 without an arXiv id"
        assert len(server.paths) == requests
    # The server is gone: offline, and online with a fresh cache, give the same verdicts.
    for extra in (["--offline"], ["--base-url", url]):
        code, items, err = run_bib(bib, "--cache-dir", cache, *extra)
        assert code == 0, (extra, err)
        assert {item["verdict"] for item in items.values()} == {"verified", "no_identifier"}
        assert items["latex"]["title"] == "match"
    # An entry never fetched cannot be checked offline: exit 3, and said so.
    bib.write_text(f"@misc{{later, eprint={{{MISSING_ID}}}}}\n")
    code, items, _ = run_bib(bib, "--cache-dir", cache, "--offline")
    assert items["later"]["verdict"] == "error" and items["later"]["error_kind"] == "fetch"
    assert "not in the cache" in items["later"]["reason"]
    assert code == 3


def test_cache_fetch_reads_a_list_of_ids_and_reports_bad_lines(
    tmp_path: Path, mirror_dir: Path
) -> None:
    listing = tmp_path / "reading.txt"
    listing.write_text(f"# for the flight\n2106.06530\n\nnot an id\n{MISSING_ID}\n")
    with MirrorServer(mirror_dir) as server:
        code, out, err = run(
            "cache", "fetch", listing, "arXiv:1704.04289", "--base-url", server.url
        )
    assert out.strip() == "2 fetched and verified, 1 not on Pith, 1 error"
    assert "line 4" in err and "not an id" in err
    assert "looked up" in err  # plain progress lines when stderr is not a terminal
    assert code == 1


def test_cite_prints_bibtex_that_verify_bib_reads_back(tmp_path: Path, mirror_dir: Path) -> None:
    with MirrorServer(mirror_dir) as server:
        entries = []
        for query in ("2106.06530", LATEX_ID, OLD_ID):
            code, out, _ = run("cite", query, "--base-url", server.url)
            assert code == 0
            entries.append(out)
        assert "  pith = {pith:2021:4K6GSOJWB7QU2RFIL3CD3BQJ62}" in entries[0]
        assert "  eprint = {2106.06530}" in entries[0]
        assert "  doi = {10.48550/arXiv.2106.06530}" in entries[0]
        assert "% title: checked against the signed record" in entries[0]
        assert "% author: not signed" in entries[0]
        assert r"\& Branes" in entries[2]
        assert "$\\ell_1$" in entries[1]
        bib = tmp_path / "cited.bib"
        bib.write_text("\n".join(entries))
        code, items, _ = run_bib(bib, "--base-url", server.url)
    assert code == 0
    assert {item["title"] for item in items.values()} == {"match"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"not": "bibtex"}', "no BibTeX entry"),
        (b"\x00\x01\x02binary", "NUL bytes"),
        (b"@article{broken, title={never closed", "no readable BibTeX entry"),
        (b"", "no BibTeX entry"),
    ],
)
def test_not_bibtex_is_exit_2_with_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    bib = tmp_path / "x.bib"
    bib.write_bytes(content)
    code, out, err = run("verify", "--bib", bib)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1
    assert out == ""


def test_a_huge_bib_is_refused_before_it_is_read(tmp_path: Path) -> None:
    bib = tmp_path / "huge.bib"
    with open(bib, "wb") as handle:
        handle.truncate(MAX_BIB_BYTES + 1)  # sparse: its size, not its content, refuses it
    start = time.monotonic()
    code, _, err = run("verify", "--bib", bib)
    assert code == 2 and "over the" in err and "bibliography" in err
    assert time.monotonic() - start < 5


def test_too_many_blocks_are_refused_before_parsing() -> None:
    start = time.monotonic()
    with pytest.raises(NotBibtexError, match="more than 100,000 entries"):
        parse_bibliography("@misc{a,}\n" * 700_000)
    assert time.monotonic() - start < 5


def test_hostile_entries_are_inert_or_clear_errors(tmp_path: Path) -> None:
    deep = "{" * 1500 + "x" + "}" * 1500  # within the length bound: the depth bound acts
    bib = tmp_path / "hostile.bib"
    bib.write_text(
        f"@misc{{deep, title={deep}, eprint={{2106.06530}}}}\n"
        "@misc{evil\x1b[31m, title={Label Noise SGD\x1b]0;pwned\x07}, eprint={2106.06530}}\n"
        "@misc{unclosed, title={a\n"
        "@misc{twoids, eprint={2106.06530}, url={https://arxiv.org/abs/1611.01838}}\n"
        "@misc{badid, eprint={2106.999999}, archivePrefix={arXiv}}\n",
        encoding="utf-8",
    )
    start = time.monotonic()
    code, out, err = run("verify", "--bib", bib, "--offline")  # the samples are cached
    assert time.monotonic() - start < 30
    assert "\x1b" not in out and "\x07" not in out
    lines = {line.split(":", 1)[0]: line for line in out.splitlines()}
    assert lines["deep"].endswith(
        "title not_checked: the entry's title is braces nested more than 32 deep"
    )
    assert "<U+001B>" in out  # the control character is shown, not obeyed
    assert "more than one arXiv paper" in out
    assert "badid: 2106.999999 (eprint): error:" in out
    assert code == 1, err
    code, out, _ = run("verify", "--bib", bib, "--offline", "--json")
    assert "\x1b" not in out


# --- the pieces on their own ----------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"eprint": "2106.06530", "archiveprefix": "arXiv"}, "2106.06530"),
        ({"eprint": "2106.06530v2", "eprinttype": "arxiv"}, "2106.06530"),
        ({"eprint": "hep-th/9901001"}, "hep-th/9901001"),
        ({"arxiv": "arXiv:1611.01838"}, "1611.01838"),
        ({"doi": "https://doi.org/10.48550/ARXIV.1704.04289"}, "1704.04289"),
        ({"url": r"\url{https://export.arxiv.org/pdf/1812.00542v1.pdf}"}, "1812.00542"),
        ({"howpublished": "arXiv:math/0309136"}, "math/0309136"),
        ({"journal": "arXiv preprint arXiv:2106.06530"}, "2106.06530"),
        ({"journal": "ArXiv e-prints", "eprint": "1611.01838"}, "1611.01838"),
        ({"note": "arXiv preprint hep-th/9901001"}, "hep-th/9901001"),
        ({"pith": "pith:2021:4K6GSOJWB7QU2RFIL3CD3BQJ62"}, "4K6GSOJWB7QU2RFIL3CD3BQJ62"),
    ],
)
def test_find_arxiv_id(fields: dict[str, str], expected: str) -> None:
    found = find_arxiv_id(fields)
    assert found.problem == ""
    assert found.query is not None
    assert (found.query.arxiv_id or found.query.value) == expected


@pytest.mark.parametrize(
    "fields",
    [
        {"eprint": "2020/123", "archiveprefix": "IACR"},
        {"doi": "10.1103/PhysRevLett.1.1"},
        {"journal": "ArXiv e-prints"},
        {"url": "https://example.org/paper.pdf"},
        {},
    ],
)
def test_no_arxiv_id(fields: dict[str, str]) -> None:
    assert find_arxiv_id(fields).found is None


def test_latex_readings() -> None:
    assert latex_to_text(r"Label Noise {SGD} \emph{Provably}") == "Label Noise SGD Provably"
    assert latex_to_text(r"Schr{\"o}dinger \& $\ell_1$") == "Schrödinger & $\\ell_1$"
    assert "Schrödinger" in title_readings("Schro\u0308dinger")  # decomposed -> composed
    readings = title_readings(r"A -- B ``q''")
    assert "A – B “q”" in readings and "A -- B ``q''" in readings
    with pytest.raises(LatexTextError):
        latex_to_text("{" * 100 + "}" * 100)
    with pytest.raises(LatexTextError):
        latex_to_text("x" * 10_000)


@pytest.mark.parametrize(
    "title",
    ["100% of {braces} & #tags_under ^ ~ \\ back", "Bounds $O(n^{2})$ and $5", LATEX_TITLE],
)
def test_escaped_titles_read_back_to_the_same_text(title: str) -> None:
    assert " ".join(title.split()) in title_readings("{" + escape_latex(title) + "}")


def test_bib_problems_are_listed_not_fatal() -> None:
    bib = parse_bibliography(
        "@misc{a, title={x}, title={y}}\n@misc{b, eprint={2106.06530}}\n@misc{b, title={z}}\n"
    )
    assert [e.key for e in bib.entries] == ["b"]
    planned = plan(bib)
    assert [p.line for p in planned] == [1, 2, 3]
    assert planned[0].done is not None and "more than once" in planned[0].done.reason
    with pytest.raises(NotBibtexError):
        parse_bibliography("just text")


async def test_lookups_are_bounded_and_each_paper_looked_up_once() -> None:
    ids = [f"2403.{n:05d}" for n in range(1, 31)]
    planned = [Planned(f"k{i}", i, parse_query(ids[i % 30]), "eprint", "") for i in range(60)]
    in_flight = peak = 0
    asked: list[str] = []

    async def lookup(query: Any) -> Any:
        nonlocal in_flight, peak
        asked.append(query.lookup_key())
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        in_flight -= 1
        raise NotFoundError("not here")

    seen: list[int] = []
    results = await check_planned(
        planned, lookup, concurrency=4, on_result=lambda i, _r: seen.append(i)
    )
    assert peak == 4
    assert sorted(asked) == sorted(ids)
    assert sorted(seen) == list(range(60))
    assert all(r.verdict is EntryVerdict.NOT_FOUND for r in results)
    assert [r.key for r in results] == [f"k{i}" for i in range(60)]


def test_cache_fetch_waits_as_retry_after_asks_then_succeeds(
    tmp_path: Path, config_with_test_key: Path
) -> None:
    from tests.fault_server import FaultServer, Respond, Sequence

    record = make_record(LATEX_ID, title=LATEX_TITLE)
    busy = Respond(b"busy", 429, "text/plain", {"Retry-After": "1"})
    with FaultServer({f"/pith/{LATEX_ID}.json": Sequence(busy, Respond(dumps(record)))}) as server:
        start = time.monotonic()
        code, out, err = run("cache", "fetch", LATEX_ID, "--base-url", server.url)
        waited = time.monotonic() - start
        asked = [p for p in server.paths if p == f"/pith/{LATEX_ID}.json"]
    assert code == 0, err
    assert out.strip() == "1 fetched and verified"
    assert len(asked) == 2  # one refusal, one answer: no hammering
    assert waited >= 1.0  # the second request came after the Retry-After wait


def test_browsing_a_missing_bib_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run(tmp_path / "missing.bib")
    assert code == 2 and "no such file" in err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_cache_fetch_draws_a_progress_bar_on_a_terminal(tmp_path: Path, mirror_dir: Path) -> None:
    out, err = io.StringIO(), _Terminal()
    with MirrorServer(mirror_dir) as server:
        code = main(
            ["cache", "fetch", "2106.06530", "1611.01838", "--base-url", server.url],
            out=out,
            err=err,
        )
    assert code == 0
    assert "\r[###############...............] 1/2" in err.getvalue()
    assert err.getvalue().endswith("] 2/2\n")
    assert out.getvalue().strip() == "2 fetched and verified"
