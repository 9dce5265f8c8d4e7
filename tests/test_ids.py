"""Tests for pith_tui.core.ids: every accepted form, every refusal, round trips."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pith_tui.core.errors import PithError, QueryError
from pith_tui.core.ids import (
    MAX_QUERY_CHARS,
    PITH_ID_LENGTH,
    SHORT_LENGTHS,
    IndexKey,
    Query,
    arxiv_id_problem,
    format_pith_number,
    format_short_number,
    index_keys,
    is_pith_id,
    parse_query,
    pith_id_from_sha256_hex,
)
from tests.conftest import SAMPLES

ID = "TJ77MKGIYVJE4LNYFYW7EA7KKL"
ID_2106 = "4K6GSOJWB7QU2RFIL3CD3BQJ62"


def pid(value: str, given_as: str, year: int | None = None) -> Query:
    return Query("pith_id", value, year=year, given_as=given_as)


def short(value: str, given_as: str = "short") -> Query:
    return Query("short", value, given_as=given_as)


def arxiv(value: str, given_as: str, version: int | None = None) -> Query:
    return Query("arxiv", value, version=version, given_as=given_as)


ACCEPTED: list[tuple[str, Query]] = [
    # Full Pith Numbers, with and without "pith:", any case, wrapped or padded.
    (f"pith:2018:{ID}", pid(ID, "pith_number", 2018)),
    (f"PITH:2018:{ID.lower()}", pid(ID, "pith_number", 2018)),
    (f"2018:{ID}", pid(ID, "pith_number", 2018)),
    (f"  pith:2018:{ID}\n", pid(ID, "pith_number", 2018)),
    (f"<pith:2018:{ID}>", pid(ID, "pith_number", 2018)),
    (f'"pith:2018:{ID}"', pid(ID, "pith_number", 2018)),
    (f"'{ID}'", pid(ID, "pith_id")),
    (f"“{ID}”", pid(ID, "pith_id")),
    (f"\u00a0`{ID}`\u3000", pid(ID, "pith_id")),
    (f"pith: 2018:{ID}", pid(ID, "pith_number", 2018)),
    # The bare 26-char id and pith:<id>.
    (ID, pid(ID, "pith_id")),
    (ID.lower(), pid(ID, "pith_id")),
    (f"pith:{ID}", pid(ID, "pith_id")),
    # Short ids of 8, 12 and 16 chars.
    ("pith:TJ77MKGI", short("TJ77MKGI")),
    ("TJ77MKGI", short("TJ77MKGI")),
    ("tj77mkgi", short("TJ77MKGI")),
    ("pith:TJ77MKGIYVJE", short("TJ77MKGIYVJE")),
    ("TJ77MKGIYVJE4LNY", short("TJ77MKGIYVJE4LNY")),
    ("pith:tj77mkgiyvje4lny", short("TJ77MKGIYVJE4LNY")),
    # An 8-letter word is syntactically a short id (documented ambiguity).
    ("notebook", short("NOTEBOOK")),
    ("22334455", short("22334455")),
    # Pith URLs on any host, http or https.
    (f"https://pith.science/pith/{ID}", pid(ID, "pith_url")),
    (f"https://pith.science/pith/{ID}.json", pid(ID, "pith_url")),
    (f"https://pith.science/pith/{ID}/bundle.json", pid(ID, "pith_url")),
    (f"https://pith.science/pith/{ID}/state.json", pid(ID, "pith_url")),
    (f"https://pith.science/pith/{ID}/", pid(ID, "pith_url")),
    (f"https://pith.science/.well-known/pith/{ID}/bundle.json", pid(ID, "pith_url")),
    (f"https://pith.science/api/pith-number/{ID}/graph.json", pid(ID, "pith_url")),
    (f"https://pith.science/api/pith-number/{ID}/events.json", pid(ID, "pith_url")),
    (f"http://mirror.example.org/pith/{ID.lower()}?x=1#top", pid(ID, "pith_url")),
    (f"http://127.0.0.1:8765/pith/{ID}/bundle.json", pid(ID, "pith_url")),
    (f"http://localhost:8000/pith/{ID}.json", pid(ID, "pith_url")),
    (f"HTTPS://PITH.SCIENCE/pith/{ID}", pid(ID, "pith_url")),
    (f"https://user.github.io/pith-mirror/pith/{ID}/bundle.json", pid(ID, "pith_url")),
    (f"pith.science/pith/{ID}", pid(ID, "pith_url")),
    (f"<https://pith.science/pith/{ID}>", pid(ID, "pith_url")),
    ("https://pith.science/paper/TJ77MKGI", short("TJ77MKGI", "pith_url")),
    ("https://pith.science/pith/TJ77MKGI.json", short("TJ77MKGI", "pith_url")),
    ("https://pith.science/pith/2106.06530/integrity.json", arxiv("2106.06530", "pith_url")),
    ("https://pith.science/pith/2106.06530.json", arxiv("2106.06530", "pith_url")),
    (
        "https://pith.science/pith/hep-th/9901001/integrity.json",
        arxiv("hep-th/9901001", "pith_url"),
    ),
    # arXiv ids, new style.
    ("2106.06530", arxiv("2106.06530", "arxiv")),
    ("2106.06530v2", arxiv("2106.06530", "arxiv", 2)),
    ("2106.06530V12", arxiv("2106.06530", "arxiv", 12)),
    ("0704.0001", arxiv("0704.0001", "arxiv")),
    ("1412.7878", arxiv("1412.7878", "arxiv")),
    ("1501.00001", arxiv("1501.00001", "arxiv")),
    ("arXiv:2106.06530", arxiv("2106.06530", "arxiv")),
    ("ARXIV:2106.06530v2", arxiv("2106.06530", "arxiv", 2)),
    ("arXiv: 2106.06530", arxiv("2106.06530", "arxiv")),
    ("https://arxiv.org/abs/2106.06530v2", arxiv("2106.06530", "arxiv_url", 2)),
    ("https://arxiv.org/abs/2106.06530", arxiv("2106.06530", "arxiv_url")),
    ("https://arxiv.org/pdf/2106.06530v2.pdf", arxiv("2106.06530", "arxiv_url", 2)),
    ("https://arxiv.org/pdf/2106.06530v2", arxiv("2106.06530", "arxiv_url", 2)),
    ("http://export.arxiv.org/abs/2106.06530", arxiv("2106.06530", "arxiv_url")),
    ("https://www.arxiv.org/abs/2106.06530?context=cs", arxiv("2106.06530", "arxiv_url")),
    ("arxiv.org/abs/2106.06530v1", arxiv("2106.06530", "arxiv_url", 1)),
    # arXiv ids, old style: archive lower-case, subject class upper-case.
    ("cs/0512068", arxiv("cs/0512068", "arxiv")),
    ("hep-th/9901001v3", arxiv("hep-th/9901001", "arxiv", 3)),
    ("HEP-TH/9901001", arxiv("hep-th/9901001", "arxiv")),
    ("math.GT/0309136", arxiv("math.GT/0309136", "arxiv")),
    ("math.gt/0309136", arxiv("math.GT/0309136", "arxiv")),
    ("arXiv:hep-th/9901001", arxiv("hep-th/9901001", "arxiv")),
    ("https://arxiv.org/abs/hep-th/9901001v3", arxiv("hep-th/9901001", "arxiv_url", 3)),
    ("https://arxiv.org/pdf/hep-th/9901001v3.pdf", arxiv("hep-th/9901001", "arxiv_url", 3)),
    ("https://arxiv.org/abs/math.GT/0309136", arxiv("math.GT/0309136", "arxiv_url")),
    ("q-bio/0309001", arxiv("q-bio/0309001", "arxiv")),
    ("hep-th/9108001", arxiv("hep-th/9108001", "arxiv")),
    # arXiv DOIs.
    ("10.48550/arXiv.2106.06530", arxiv("2106.06530", "doi")),
    ("10.48550/ARXIV.2106.06530", arxiv("2106.06530", "doi")),
    ("10.48550/arxiv.2106.06530", arxiv("2106.06530", "doi")),
    ("doi:10.48550/arXiv.2106.06530", arxiv("2106.06530", "doi")),
    ("DOI: 10.48550/arXiv.2106.06530", arxiv("2106.06530", "doi")),
    ("10.48550/arXiv.hep-th/9901001", arxiv("hep-th/9901001", "doi")),
    ("https://doi.org/10.48550/arXiv.2106.06530", arxiv("2106.06530", "doi_url")),
    ("https://dx.doi.org/10.48550/arXiv.2106.06530", arxiv("2106.06530", "doi_url")),
    ("http://doi.org/10.48550%2FarXiv.2106.06530", arxiv("2106.06530", "doi_url")),
    ("doi.org/10.48550/arXiv.2106.06530", arxiv("2106.06530", "doi_url")),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED, ids=[t for t, _ in ACCEPTED])
def test_accepted_forms(text: str, expected: Query) -> None:
    assert parse_query(text) == expected


REJECTED: list[tuple[str, str]] = [
    ("", "empty"),
    ("   \n\t ", "empty"),
    ("<>", "empty"),
    ("hello", "5 characters"),
    ("foo bar", "spaces"),
    ("TJ77MKGIY", "9 characters"),  # 9 base32 chars
    ("TJ77MKGIYVJE4LNYFYW7EA7KK", "25 characters"),
    (ID + "A", "27 characters"),
    ("TJ77MKG0", "2-7"),  # 0 is not base32
    ("TJ77MKG1YVJE4LNYFYW7EA7KKL", "2-7"),
    ("pith:2018:TJ77MKGI", "full 26-char id"),  # a year goes only with a full id
    ("pith:1990:" + ID, "1990"),
    ("pith:18:" + ID, "not a Pith Number"),
    ("pith:2106.06530", "not a Pith Number"),
    ("pith:", "not a Pith Number"),
    ("10.1103/PhysRevD.59.126002", "only arXiv DOIs"),  # another registrant
    ("doi:10.5281/zenodo.12345", "only arXiv DOIs"),
    ("https://doi.org/10.1103/PhysRevD.59.126002", "only arXiv DOIs"),
    ("10.48550/arXiv.2106.06530v2", "no version"),  # DOIs carry no version
    ("2113.01234", "month 13"),
    ("2100.01234", "month 00"),
    ("cs/0513068", "month 13"),
    ("0612.1234", "April 2007"),  # new style begins in 0704
    ("1501.0001", "4 digits"),  # 5 digits from 1501
    ("1412.12345", "4 digits"),
    ("2106.0653", "4 digits"),
    ("2106.06530v0", "v1"),
    ("2106.06530v", "not a known identifier form"),
    ("2106.06530.1", "not a known identifier form"),
    ("foo/0512068", "not an arXiv archive"),
    ("stat/0512068", "not an arXiv archive"),  # stat began with new-style ids
    ("hep-th/0801001", "9107 to 0703"),
    ("hep-th/9001001", "9107 to 0703"),
    ("math.GTX/0309136", "not a known identifier form"),
    ("arXiv:TJ77MKGI", "not a known identifier form"),
    ("https://example.com/", "not a Pith, arXiv or DOI URL"),
    ("https://arxiv.org/list/cs.LG/recent", "not a Pith, arXiv or DOI URL"),
    ("https://pith.science/paper/", "not a Pith, arXiv or DOI URL"),
    ("ftp://pith.science/pith/" + ID, "not a known identifier form"),
    ("https://user@pith.science/pith/" + ID, "not a known identifier form"),
    ("https://pith.science/pith/TJ77MKGIY", "9 characters"),
    ("https://arxiv.org/abs/2113.01234", "month 13"),
    ("\x1b[31mTJ77MKGI", "control"),
    ("TJ77\x00MKGI", "control"),
    ("TJ77MKGI\u202e", "non-ASCII"),
    ("ТJ77MKGI", "non-ASCII"),  # Cyrillic Т
    ("pıth:TJ77MKGI", "non-ASCII"),  # dotless i upper-cases to I: must not pass
    ("\ud800", "non-ASCII"),
    ("x" * (MAX_QUERY_CHARS + 1), "too long"),
]


@pytest.mark.parametrize(("text", "reason"), REJECTED, ids=[t[:40] for t, _ in REJECTED])
def test_rejected_forms(text: str, reason: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    message = str(caught.value)
    assert reason in message
    assert "Accepted:" in message and "arXiv" in message and "pith:" in message
    assert "\n" not in message  # one line
    assert len(message) < 800  # the input is shown truncated


def test_error_message_shows_input_truncated_and_repr_safe() -> None:
    with pytest.raises(QueryError) as caught:
        parse_query("\x1b]52;c;SGVsbG8=\x07" + "A" * 5000)
    message = str(caught.value)
    assert "\x1b" not in message and "\x07" not in message
    with pytest.raises(QueryError) as caught:
        parse_query("\x1b]52;c;SGVsbG8=\x07")
    message = str(caught.value)
    assert "\\x1b]52" in message and "\x1b" not in message and "\x07" not in message
    with pytest.raises(QueryError) as caught:
        parse_query("B" * 1000 + " x")
    assert "B" * 61 not in str(caught.value) and "…" in str(caught.value)


def test_query_error_is_a_pith_error() -> None:
    with pytest.raises(PithError):
        parse_query("nonsense!")


@pytest.mark.parametrize("value", [None, 42, b"TJ77MKGI", ["TJ77MKGI"]])
def test_non_str_input_is_a_query_error(value: object) -> None:
    with pytest.raises(QueryError):
        parse_query(value)  # type: ignore[arg-type]


def test_huge_input_is_refused_quickly() -> None:
    with pytest.raises(QueryError, match="too long"):
        parse_query("2106.06530" * 100_000)
    with pytest.raises(QueryError, match="too long"):
        parse_query("\x00" * 1_000_000)


# --- Query methods ---------------------------------------------------------------------------

LOOKUP_AND_DISPLAY: list[tuple[str, str, str, str | None]] = [
    (f"pith:2018:{ID}", ID, f"pith:2018:{ID}", None),
    (ID.lower(), ID, f"pith:{ID}", None),
    (f"https://pith.science/pith/{ID}/bundle.json", ID, f"pith:{ID}", None),
    ("tj77mkgi", "TJ77MKGI", "pith:TJ77MKGI", None),
    ("https://pith.science/paper/TJ77MKGI", "TJ77MKGI", "pith:TJ77MKGI", None),
    ("2106.06530v2", "2106.06530", "arXiv:2106.06530v2", "10.48550/arxiv.2106.06530"),
    ("https://arxiv.org/abs/2106.06530", "2106.06530", "arXiv:2106.06530", None),
    (
        "10.48550/ARXIV.2106.06530",
        "2106.06530",
        "doi:10.48550/arXiv.2106.06530",
        "10.48550/arxiv.2106.06530",
    ),
    (
        "https://doi.org/10.48550/arXiv.2106.06530",
        "2106.06530",
        "doi:10.48550/arXiv.2106.06530",
        None,
    ),
    ("cs/0512068", "cs/0512068", "arXiv:cs/0512068", "10.48550/arxiv.cs/0512068"),
    # arXiv's canonical old-style id has no subject class: lookups and DOIs drop it.
    ("math.GT/0309136v2", "math/0309136", "arXiv:math.GT/0309136v2", "10.48550/arxiv.math/0309136"),
]


@pytest.mark.parametrize(("text", "key", "shown", "doi"), LOOKUP_AND_DISPLAY)
def test_lookup_key_display_and_doi(text: str, key: str, shown: str, doi: str | None) -> None:
    query = parse_query(text)
    assert query.lookup_key() == key
    assert query.display() == shown
    if query.kind == "arxiv":
        assert query.doi == (doi or f"10.48550/arxiv.{key}")
        assert query.arxiv_id == key
    else:
        assert query.doi is None
        assert query.arxiv_id is None


def test_lookup_key_has_no_version() -> None:
    query = parse_query("https://arxiv.org/pdf/hep-th/9901001v3.pdf")
    assert query.version == 3
    assert query.lookup_key() == "hep-th/9901001"


def test_query_is_frozen_and_checks_kind() -> None:
    query = parse_query(ID)
    with pytest.raises(AttributeError):
        query.value = "X"  # type: ignore[misc]
    with pytest.raises(ValueError):
        Query("doi", "10.48550/arxiv.2106.06530")


@pytest.mark.parametrize(("text", "expected"), ACCEPTED, ids=[t for t, _ in ACCEPTED])
def test_display_parses_back_to_the_same_query(text: str, expected: Query) -> None:
    query = parse_query(text)
    again = parse_query(query.display())
    assert (again.kind, again.value, again.version, again.year) == (
        query.kind,
        query.value,
        query.version,
        query.year,
    )
    assert again.lookup_key() == query.lookup_key()


# --- Pith ids, numbers and hashes ------------------------------------------------------------


def test_pith_id_from_sha256_hex_known_vectors() -> None:
    digest = "9a7ff628c8c5524e2db82e2df203ea52d204c51ea1107ce7e668f38c798ded81"
    assert pith_id_from_sha256_hex(digest) == "TJ77MKGIYVJE4LNYFYW7EA7KKL"
    assert pith_id_from_sha256_hex(digest.upper()) == "TJ77MKGIYVJE4LNYFYW7EA7KKL"
    digest = "e2bc6939360fe14d44a85ec43d8609f6bf468456709f3f2ee52fa1625102ed2a"
    assert pith_id_from_sha256_hex(digest) == "4K6GSOJWB7QU2RFIL3CD3BQJ62"


@given(st.binary(min_size=32, max_size=32))
def test_pith_id_is_the_first_26_characters_of_base32(digest: bytes) -> None:
    expected = base64.b32encode(digest).decode("ascii")[:26]
    assert pith_id_from_sha256_hex(digest.hex()) == expected
    assert pith_id_from_sha256_hex(digest.hex().upper()) == expected


@pytest.mark.parametrize(
    "name", ["1611.01838.record.json", "1704.04289.record.json", "2106.06530.record.json"]
)
def test_real_records_numbers(name: str) -> None:
    record = json.loads((SAMPLES / name).read_text(encoding="utf-8"))
    pith_id = pith_id_from_sha256_hex(record["canonical_sha256"])
    year = int(record["canonical_record"]["metadata"]["submitted_at"][:4])
    assert format_pith_number(year, pith_id) == record["pith_number"]
    assert format_short_number(pith_id) == record["short_pith_number"]
    assert parse_query(record["pith_number"]) == Query(
        "pith_id", pith_id, year=year, given_as="pith_number"
    )
    aliases = {a["alias_kind"]: a["alias_value"] for a in record["aliases"]}
    arxiv_query = parse_query(aliases["arxiv_version"])
    assert arxiv_query.lookup_key() == aliases["arxiv"]
    assert arxiv_query.doi == aliases["doi"]
    assert parse_query(aliases["doi"]).lookup_key() == aliases["arxiv"]
    for n in SHORT_LENGTHS:
        assert parse_query(aliases[f"pith_short_{n}"]) == Query(
            "short", pith_id[:n], given_as="short"
        )
    assert parse_query(record["links"]["json"]) == Query("pith_id", pith_id, given_as="pith_url")
    assert parse_query(record["links"]["paper"]).value == pith_id[:8]


@pytest.mark.parametrize("bad", ["", "abc", "9a7f" * 15, "9a7f" * 17, "g" * 64, "９" * 64, None])
def test_pith_id_from_sha256_hex_rejects_non_digests(bad: object) -> None:
    with pytest.raises(ValueError):
        pith_id_from_sha256_hex(bad)  # type: ignore[arg-type]


def test_format_pith_number_and_short() -> None:
    assert format_pith_number(2018, ID) == f"pith:2018:{ID}"
    assert format_pith_number(2018, ID.lower()) == f"pith:2018:{ID}"
    assert format_short_number(ID) == "pith:TJ77MKGI"
    assert format_short_number("TJ77MKGIYVJE") == "pith:TJ77MKGI"
    for year, pith_id in [(18, ID), (2018, "TJ77MKGI"), (2018, ID[:-1] + "1"), (True, ID)]:
        with pytest.raises(ValueError):
            format_pith_number(year, pith_id)
    for bad in ["TJ77MKG", "TJ77MKGI0", ID + "A", ""]:
        with pytest.raises(ValueError):
            format_short_number(bad)


def test_is_pith_id() -> None:
    assert is_pith_id(ID)
    assert not is_pith_id(ID.lower())  # normalised ids are upper-case; parse user input
    assert not is_pith_id(ID[:-1])
    assert not is_pith_id(ID + "A")
    assert not is_pith_id(ID[:-1] + "0")
    assert not is_pith_id(ID[:-1] + "\n")
    assert not is_pith_id(None)  # type: ignore[arg-type]


# --- Property tests -------------------------------------------------------------------------

FRAGMENTS = st.sampled_from(
    ["pith:", "2018:", ID, "TJ77MKGI", "arXiv:", "doi:", "10.48550/", "arXiv.", "https://",
     "http://", "pith.science", "arxiv.org", "doi.org", "/pith/", "/abs/", "/pdf/", "/paper/",
     ".json", "/bundle.json", ".pdf", "2106.06530", "v2", "v0", "hep-th/", "math.GT/", "9901001",
     ".", "/", ":", "<", ">", '"', " ", "%2F", "%", "?", "#", "\x00", "\x1b", "\u202e", "\ud800",
     "ı", "Ⅸ", "٣"]
)  # fmt: skip
ANY_CHAR = st.characters(codec=None, categories=None)


@settings(max_examples=400)
@given(st.one_of(st.text(ANY_CHAR), st.lists(FRAGMENTS, max_size=12).map("".join)))
@example("pith:2018:" + ID + "\ud800")
@example("https://[::1]:8000/pith/" + ID)
@example("https://h/" + "/a" * 1000)
def test_parse_query_raises_only_query_error(text: str) -> None:
    try:
        query = parse_query(text)
    except QueryError as error:
        assert "Accepted:" in str(error)
        return
    assert query.kind in ("pith_id", "short", "arxiv")
    assert query.value.isascii() and query.value.isprintable() and " " not in query.value
    assert parse_query(query.display()).lookup_key() == query.lookup_key()


@st.composite
def new_arxiv_ids(draw: st.DrawFn) -> tuple[str, int | None]:
    year = draw(st.integers(2007, 2099))
    month = draw(st.integers(4 if year == 2007 else 1, 12))
    yymm = f"{year % 100:02d}{month:02d}"
    digits = 4 if year < 2015 else 5
    number = draw(st.integers(1, 10**digits - 1))
    return f"{yymm}.{number:0{digits}d}", draw(st.none() | st.integers(1, 999))


@st.composite
def old_arxiv_ids(draw: st.DrawFn) -> tuple[str, int | None]:
    archive = draw(st.sampled_from(["hep-th", "cs", "math", "astro-ph", "cond-mat", "q-bio"]))
    subject = draw(st.sampled_from(["", ".GT", ".AI", ".CO"])) if archive in ("cs", "math") else ""
    year = draw(st.integers(1991, 2007))
    month = draw(st.integers(7 if year == 1991 else 1, 3 if year == 2007 else 12))
    number = draw(st.integers(1, 999))
    ident = f"{archive}{subject}/{year % 100:02d}{month:02d}{number:03d}"
    return ident, draw(st.none() | st.integers(1, 999))


ARXIV_FORMS = st.sampled_from(
    ["{i}{v}", "arXiv:{i}{v}", "https://arxiv.org/abs/{i}{v}", "https://arxiv.org/pdf/{i}{v}.pdf",
     "http://export.arxiv.org/pdf/{i}{v}", "https://pith.science/pith/{i}{v}.json"]
)  # fmt: skip


@given(st.one_of(new_arxiv_ids(), old_arxiv_ids()), ARXIV_FORMS, st.booleans())
def test_generated_arxiv_ids_parse_back(
    ident_version: tuple[str, int | None], form: str, upper: bool
) -> None:
    ident, version = ident_version
    text = form.format(i=ident, v="" if version is None else f"v{version}")
    query = parse_query(text.upper() if upper else text)
    assert (query.kind, query.value, query.version) == ("arxiv", ident, version)
    assert parse_query(query.display()) == Query("arxiv", ident, version, given_as="arxiv")
    doi_query = parse_query(f"https://doi.org/{query.doi}")
    assert doi_query.lookup_key() == query.lookup_key()


@given(st.binary(min_size=32, max_size=32), st.integers(1991, 2099), st.booleans())
def test_generated_pith_ids_parse_back(digest: bytes, year: int, lower: bool) -> None:
    pith_id = pith_id_from_sha256_hex(digest.hex())
    assert pith_id == base64.b32encode(digest).decode()[:26]
    assert is_pith_id(pith_id) and len(pith_id) == PITH_ID_LENGTH
    number = format_pith_number(year, pith_id)
    case = str.lower if lower else str
    assert parse_query(case(number)) == Query("pith_id", pith_id, year=year, given_as="pith_number")
    assert parse_query(case(pith_id)) == Query("pith_id", pith_id, given_as="pith_id")
    for n in SHORT_LENGTHS:
        assert parse_query(case(pith_id[:n])) == Query("short", pith_id[:n], given_as="short")
    assert parse_query(format_short_number(pith_id)).value == pith_id[:8]
    url = f"https://mirror.example/pith/{pith_id}/bundle.json"
    assert parse_query(url) == Query("pith_id", pith_id, given_as="pith_url")


@pytest.mark.parametrize(
    "text", ["2106.06530", "0704.0001", "1412.9999", "1501.00001", "cs/0512068", "hep-th/9901001"]
)
def test_arxiv_ids_as_arxiv_writes_them_have_no_problem(text: str) -> None:
    assert arxiv_id_problem(text) is None


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("2106.06530v2", "carries a version"),
        ("arXiv:2106.06530", "not a known identifier form"),
        ("10.48550/arXiv.2106.06530", "not a known identifier form"),
        ("CS/0512068", "arXiv writes it 'cs/0512068'"),
        ("math.GT/0309136", "arXiv writes it 'math/0309136'"),
        ("2106.6530", "4 digits after the dot until 1412"),
        ("0612.0001", "April 2007"),
        ("cs/0712001", "9107 to 0703"),
        ("2106.06530\n", "characters no arXiv id has"),
        ("２１０６.06530", "characters no arXiv id has"),
        ("", "not a known identifier form"),
        ("../2106.06530", "not a known identifier form"),
    ],
)
def test_signed_ids_are_read_strictly(text: str, why: str) -> None:
    """A query may be loose (`arXiv:` prefixes, versions, URLs); a signed id may not."""
    problem = arxiv_id_problem(text)
    assert problem is not None and why in problem


@pytest.mark.parametrize(
    "text",
    [
        "2106.06530",
        "arXiv:2106.06530v2",
        "10.48550/arXiv.cs/0512068",
        "math.GT/0309136v3",
        "TJ77MKGI",
        "pith:TJ77MKGIYVJE",
        "TJ77MKGIYVJE4LNYFYW7EA7KKL",
        "pith:2018:TJ77MKGIYVJE4LNYFYW7EA7KKL",
    ],
)
def test_every_form_of_a_query_reads_back_as_the_same_query(text: str) -> None:
    query = parse_query(text)
    forms = query.forms()
    assert forms[0] == query.display() and len(set(forms)) == len(forms)
    for form in forms:
        again = parse_query(form)
        assert again.index_key == query.index_key, form
        assert (again.kind, again.value, again.version, again.year) == (
            query.kind,
            query.value,
            query.version,
            query.year,
        )


def test_index_keys_come_only_from_what_is_signed() -> None:
    pith_id = "TJ77MKGIYVJE4LNYFYW7EA7KKL"
    assert index_keys(pith_id, 2018, "arxiv", "1812.00542") == {
        f"pith:{pith_id}",
        f"pith:2018:{pith_id}",
        "arxiv:1812.00542",
    }
    assert index_keys(pith_id, 2018, "arxiv", "math/0309136") >= {"arxiv:math/0309136"}
    for kind, source_id in (
        ("biorxiv", "1812.00542"),
        ("ARXIV", "1812.00542"),
        ("arxiv", "1812.00542v2"),
        ("arxiv", "../1812.00542"),
        ("arxiv", "https://arxiv.org/abs/1812.00542"),
        ("arxiv", pith_id),
        ("arxiv", " 1812.00542"),
        ("arxiv", "math.GT/0309136"),  # arXiv writes it math/0309136: the aliases check fails
        ("arxiv", "CS/0512068"),
    ):
        assert index_keys(pith_id, 2018, kind, source_id) == {
            f"pith:{pith_id}",
            f"pith:2018:{pith_id}",
        }, (kind, source_id)
    assert index_keys(pith_id, None, "arxiv", "x") == {f"pith:{pith_id}"}
    with pytest.raises(ValueError):
        index_keys("not-an-id", 2018, "arxiv", "1812.00542")
    # A query finds what a record is keyed by, and nothing of another year.
    keys = index_keys(pith_id, 2018, "arxiv", "1812.00542")
    for text in ("1812.00542v1", "10.48550/arXiv.1812.00542", "pith:2018:" + pith_id, pith_id):
        assert parse_query(text).index_key.value in keys
    assert parse_query("pith:2019:" + pith_id).index_key.value not in keys
    assert parse_query("TJ77MKGI").index_key == IndexKey("TJ77MKGI", prefix=True)
