"""Parse any identifier a person may type or paste into one `Query`.

Accepted (case-insensitive; surrounding whitespace, <>, quotes and brackets ignored):

* Pith Numbers `pith:2018:TJ77MKGIYVJE4LNYFYW7EA7KKL` (also without `pith:`), the bare
  26-char Pith id or `pith:<26-char id>`, short ids of 8, 12 or 16 chars (`TJ77MKGI`,
  `pith:TJ77MKGIYVJE`);
* Pith URLs on any host (mirrors exist), http or https, also under a base path:
  `/pith/<X>`, `/pith/<X>.json`, `/pith/<X>/bundle.json|state.json|integrity.json`,
  `/.well-known/pith/<X>/bundle.json`, `/api/pith-number/<X>/graph.json|events.json`,
  `/paper/<X>`, where X is a Pith id, a short id or an arXiv id;
* arXiv ids, new style (`2106.06530`, `0704.0001`, `v2` suffix, `arXiv:` prefix) and old style
  (`hep-th/9901001v3`, `math.GT/0309136`), and arxiv.org URLs (`/abs/`, `/pdf/`, `/html/`);
* arXiv DOIs `10.48550/arXiv.<id>`, also `doi:…` and doi.org / dx.doi.org URLs.

How ambiguous inputs are resolved:

* A string made only of base32 characters (A-Z, 2-7) is a Pith id by its length: 26 chars is
  a full id, 8/12/16 a short id, any other length is an error. arXiv ids always contain a `.`
  or a `/`, so the two never overlap; but any 8-, 12- or 16-letter word (`notebook`) is
  syntactically a short id and is looked up as one (the server then answers "not found").
* `host.name/path` without a scheme is read as a URL only when its path is a known Pith,
  arXiv or DOI route; otherwise it is read as an identifier (`math.GT/0309136` is an arXiv id).
* A year goes only with a full 26-char id: `pith:2018:TJ77MKGI` is refused, not guessed.
* New-style arXiv ids are checked against arXiv's scheme: month 01-12, from 0704 on, four
  digits after the dot until 1412 and five from 1501. Old-style ids need a known archive and a
  date from 9107 to 0703. DOIs carry no version, so `10.48550/arXiv.2106.06530v2` is refused.
* An old-style id keeps its subject class in `value` (`math.GT/0309136`), but arXiv's canonical
  id (`arxiv_id`, used for `lookup_key()` and `doi`) drops it: `math/0309136`, as arXiv and
  Pith aliases write it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NoReturn
from urllib.parse import unquote

from pith_tui.core.errors import QueryError

PITH_ID_LENGTH = 26
SHORT_LENGTHS = (8, 12, 16)
MAX_QUERY_CHARS = 2048
"""Longer input is refused before any parsing: no identifier or URL we accept is near it."""

KINDS = ("pith_id", "short", "arxiv")
GIVEN_AS = ("pith_number", "pith_id", "short", "pith_url", "arxiv", "arxiv_url", "doi", "doi_url")

ACCEPTED_FORMS = (
    "a Pith Number (pith:2018:TJ77MKGIYVJE4LNYFYW7EA7KKL), a 26-char Pith id, "
    "a short id (pith:TJ77MKGI; 8, 12 or 16 chars), a Pith URL (…/pith/<id>, …/paper/<short>), "
    "an arXiv id (2106.06530, 2106.06530v2, hep-th/9901001), an arxiv.org abs/pdf URL, "
    "or an arXiv DOI (10.48550/arXiv.2106.06530, doi.org URL)"
)

ARXIV_DOI_PREFIX = "10.48550/arxiv."

# The archives of arXiv's old (1991 - March 2007) identifier scheme.
OLD_ARXIV_ARCHIVES = frozenset(
    {
        "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an",
        "chao-dyn", "chem-ph", "cmp-lg", "comp-gas", "cond-mat", "cs", "dg-ga", "funct-an",
        "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math", "math-ph", "mtrl-th", "nlin",
        "nucl-ex", "nucl-th", "patt-sol", "physics", "plasm-ph", "q-alg", "q-bio", "quant-ph",
        "solv-int", "supr-con",
    }
)  # fmt: skip

_FLAGS = re.ASCII | re.IGNORECASE
_BASE32_RE = re.compile(r"[A-Z2-7]+", re.ASCII)
_ALNUM_RE = re.compile(r"[A-Za-z0-9]+", re.ASCII)
_HEX64_RE = re.compile(r"[0-9a-fA-F]{64}", re.ASCII)
_BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648
_BASE32_PAIRS = tuple(a + b for a in _BASE32_ALPHABET for b in _BASE32_ALPHABET)
_YEAR_ID_RE = re.compile(r"(?P<year>[0-9]{4}):(?P<id>[A-Za-z0-9]+)", re.ASCII)
_VERSION = r"(?:v(?P<v>[0-9]{1,6}))?"
_NEW_ARXIV_RE = re.compile(
    rf"(?P<yy>[0-9]{{2}})(?P<mm>[0-9]{{2}})\.(?P<num>[0-9]{{4,5}}){_VERSION}", _FLAGS
)
_OLD_ARXIV_RE = re.compile(
    rf"(?P<arch>[a-z]+(?:-[a-z]+)?)(?:\.(?P<cls>[a-z]{{2}}))?/"
    rf"(?P<yy>[0-9]{{2}})(?P<mm>[0-9]{{2}})(?P<num>[0-9]{{3}}){_VERSION}",
    _FLAGS,
)
_PREFIX_SPACE_RE = re.compile(r"\A(pith|arxiv|doi):[ \t]+", _FLAGS)
_URL_RE = re.compile(
    r"(?:(?P<scheme>https?)://(?P<host>[a-z0-9-]+(?:\.[a-z0-9-]+)*\.?|\[[0-9a-f:.]+\])"
    r"|(?P<bare_host>[a-z0-9-]+(?:\.[a-z0-9-]+)+))"
    r"(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<path>/[^?#]*)?(?:\?[^#]*)?(?:#.*)?",
    _FLAGS | re.DOTALL,
)
_ID_CHARS = r"[a-z0-9][a-z0-9./-]*?"
_PITH_ROUTES = tuple(
    re.compile(r"(?:/[^/]+)*?" + route, _FLAGS)
    for route in (
        rf"/pith/(?P<x>{_ID_CHARS})(?:\.json|/bundle\.json|/state\.json|/integrity\.json)?/?",
        rf"/\.well-known/pith/(?P<x>{_ID_CHARS})/bundle\.json",
        rf"/api/pith-number/(?P<x>{_ID_CHARS})/(?:graph|events)\.json",
        rf"/paper/(?P<x>{_ID_CHARS})/?",
    )
)
_ARXIV_ROUTE = re.compile(rf"/(?:abs|pdf|html|format)/(?P<x>{_ID_CHARS})(?:\.pdf)?/?", _FLAGS)
_DOI_ROUTE = re.compile(r"/(?P<x>10\..+?)/?", _FLAGS | re.DOTALL)
_DOI_HOSTS = frozenset({"doi.org", "dx.doi.org", "www.doi.org"})
_WRAPPERS = (("<", ">"), ('"', '"'), ("'", "'"), ("“", "”"), ("‘", "’"), ("`", "`"), ("(", ")"))
# Whitespace that copy-and-paste adds around an identifier (not controls: those are refused).
_STRIP_CHARS = " \t\r\n\u00a0" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f\u3000"


@dataclass(frozen=True)
class Query:
    """A parsed identifier: what to look up, and how the user wrote it."""

    kind: str
    value: str
    version: int | None = None
    year: int | None = None
    given_as: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown query kind {self.kind!r}")

    @property
    def arxiv_id(self) -> str | None:
        """arXiv's canonical id (no version, no old-style subject class), for arxiv queries."""
        if self.kind != "arxiv":
            return None
        archive, slash, number = self.value.partition("/")
        if slash:
            return f"{archive.partition('.')[0]}/{number}"
        return self.value

    @property
    def doi(self) -> str | None:
        """The arXiv DOI as Pith aliases write it (`10.48550/arxiv.<id>`), for arxiv queries."""
        arxiv_id = self.arxiv_id
        return None if arxiv_id is None else ARXIV_DOI_PREFIX + arxiv_id

    def lookup_key(self) -> str:
        """The key of `GET /pith/{key}.json`: 26-char id, short id or unversioned arXiv id."""
        return self.arxiv_id or self.value

    def forms(self) -> tuple[str, ...]:
        """Ways to write this query that `parse_query` reads back as it, `display()` first,
        then URLs (which no file name in a working folder is likely to match)."""
        if self.kind == "arxiv":
            suffix = f"v{self.version}" if self.version is not None else ""
            forms = [f"arXiv:{self.value}{suffix}", f"https://arxiv.org/abs/{self.value}{suffix}"]
        elif self.year is not None:
            forms = []  # only the Pith Number itself carries its year
        else:
            forms = [f"pith:{self.value}", f"https://pith.science/pith/{self.value}"]
        return tuple(dict.fromkeys([self.display(), *forms]))

    @property
    def index_key(self) -> IndexKey:
        """What the cache finds this query by (see `index_keys` for what a record is found by).

        A Pith Number with its year is its own key, so it never finds a record of another
        year; an arXiv id or DOI is the arXiv key, which only records whose signed source is
        an arXiv paper have; a short id is a prefix of the Pith id.
        """
        if self.kind == "short":
            return IndexKey(self.value, prefix=True)
        if self.kind == "arxiv":
            return IndexKey(_arxiv_key(self.arxiv_id or self.value))
        if self.year is not None:
            return IndexKey(format_pith_number(self.year, self.value))
        return IndexKey(_pith_key(self.value))

    def display(self) -> str:
        """A one-line form for messages; `parse_query(q.display())` gives the same query back."""
        if self.kind == "pith_id" and self.year is not None:
            return format_pith_number(self.year, self.value)
        if self.kind != "arxiv":
            return f"pith:{self.value}"
        if self.given_as in ("doi", "doi_url"):
            return f"doi:10.48550/arXiv.{self.value}"
        suffix = f"v{self.version}" if self.version is not None else ""
        return f"arXiv:{self.value}{suffix}"


@dataclass(frozen=True)
class IndexKey:
    """How the cache finds a query: one exact key, or (`prefix`) a prefix of the Pith id."""

    value: str
    prefix: bool = False


def _pith_key(pith_id: str) -> str:
    return f"pith:{pith_id}"


def _arxiv_key(arxiv_id: str) -> str:
    return f"arxiv:{arxiv_id.lower()}"


def index_keys(pith_id: str, year: int | None, source_kind: str, source_id: str) -> frozenset[str]:
    """The exact keys a verified record is found by, all derived from what is signed.

    `pith_id` comes from the record's hash and `year` from its signed `submitted_at`, so a
    record has its id and its full Pith Number as keys; the arXiv key only when the signed
    source is of kind `arxiv` with a valid arXiv id (`signed_arxiv_id`). Every key is spelled
    apart (`pith:<ID>`, `pith:<YYYY>:<ID>`, `arxiv:<id>`), so no signed string can become a
    key that stands for another record's Pith id. Raises ValueError for a bad Pith id.
    """
    if not is_pith_id(pith_id):
        raise ValueError(f"{pith_id[:40]!r} is not a 26-character Pith id")
    keys = {_pith_key(pith_id)}
    if year is not None and 1000 <= year <= 9999:
        keys.add(format_pith_number(year, pith_id))
    arxiv_id = signed_arxiv_id(source_kind, source_id)
    if arxiv_id is not None:
        keys.add(_arxiv_key(arxiv_id))
    return frozenset(keys)


def signed_arxiv_id(source_kind: object, source_id: object) -> str | None:
    """The arXiv id of a signed source `{kind: "arxiv", id: ...}`, else None.

    The same rule as the `aliases` check (`arxiv_id_problem`): exactly an arXiv id as arXiv
    and Pith write it (`2106.06530`, `cs/0512068`), without a version, prefix or subject
    class; anything else (another source kind, `../x`, a URL, `math.GT/0309136`) names no
    arXiv paper, so it is never a key.
    """
    if source_kind != "arxiv" or not isinstance(source_id, str) or len(source_id) > 64:
        return None
    return source_id if arxiv_id_problem(source_id) is None else None


def year_of(submitted_at: object) -> int | None:
    """The year of a signed `submitted_at` (the Pith Number's year): four ASCII digits first."""
    if not isinstance(submitted_at, str):
        return None
    text = submitted_at[:4]
    if len(text) != 4 or not (text.isascii() and text.isdigit()) or text[0] == "0":
        return None
    return int(text)


def is_pith_id(text: str) -> bool:
    """True for exactly 26 upper-case base32 characters (use `parse_query` for user input)."""
    return (
        isinstance(text, str)
        and len(text) == PITH_ID_LENGTH
        and _BASE32_RE.fullmatch(text) is not None
    )


def pith_id_from_sha256_hex(hex_digest: str) -> str:
    """The Pith id of a canonical SHA-256: base32 (RFC 4648, no padding) of the raw bytes, [:26].

    Raises ValueError unless `hex_digest` is 64 hex digits.
    """
    if not isinstance(hex_digest, str) or _HEX64_RE.fullmatch(hex_digest) is None:
        raise ValueError("a SHA-256 digest must be 64 hex digits")
    # The 26 characters are the first 130 bits, 10 bits (two characters) at a time: the same
    # as base64.b32encode(...)[:26], which is pure Python and was ~3% of bulk re-verification.
    bits = int(hex_digest[:33], 16) >> 2  # 132 bits -> the first 130
    return "".join(_BASE32_PAIRS[(bits >> shift) & 0x3FF] for shift in range(120, -1, -10))


def format_pith_number(year: int, pith_id: str) -> str:
    """`pith:<YYYY>:<id>`; raises ValueError for a year outside 1000-9999 or a bad id."""
    if isinstance(year, bool) or not isinstance(year, int) or not 1000 <= year <= 9999:
        raise ValueError(f"a Pith Number's year has four digits, not {year!r}")
    if not isinstance(pith_id, str) or not is_pith_id(pith_id.upper()):
        raise ValueError("a Pith Number needs a 26-char base32 Pith id")
    return f"pith:{year}:{pith_id.upper()}"


def format_short_number(pith_id: str) -> str:
    """`pith:<first 8 chars>` of a Pith id (or of a 12/16-char short id)."""
    if isinstance(pith_id, str):
        upper = pith_id.upper()
        lengths = (PITH_ID_LENGTH, *SHORT_LENGTHS)
        if len(upper) in lengths and _BASE32_RE.fullmatch(upper):
            return f"pith:{upper[: SHORT_LENGTHS[0]]}"
    raise ValueError("a short Pith Number needs a base32 Pith id")


def parse_query(text: str) -> Query:
    """Parse what a user typed or pasted; raises QueryError (and nothing else) when it is not
    any accepted form. See the module docstring for the forms and for how ambiguity is resolved.
    """
    if not isinstance(text, str):
        raise QueryError(f"Cannot look up a {type(text).__name__}. Accepted: {ACCEPTED_FORMS}")
    if len(text) > MAX_QUERY_CHARS:
        _fail(f"input too long ({len(text)} characters, at most {MAX_QUERY_CHARS})", text)
    stripped = _unwrap(text)
    if not stripped:
        _fail("empty input", text)
    stripped = _PREFIX_SPACE_RE.sub(lambda m: m.group(1) + ":", stripped, count=1)
    if not (stripped.isascii() and stripped.isprintable()) or " " in stripped:
        _fail("contains spaces, control or non-ASCII characters, which no identifier has", text)

    url = _URL_RE.fullmatch(stripped)
    if url is not None:
        query = _parse_url(url, text)
        if query is not None:
            return query
    lowered = stripped.lower()
    if lowered.startswith("pith:"):
        return _parse_pith(stripped[5:], text, with_prefix=True)
    if lowered.startswith("arxiv:"):
        return _parse_arxiv(stripped[6:], text, given_as="arxiv")
    if lowered.startswith("doi:"):
        return _parse_doi(stripped[4:], text, given_as="doi")
    if lowered.startswith("10."):
        return _parse_doi(stripped, text, given_as="doi")
    if "." in stripped or "/" in stripped:
        return _parse_arxiv(stripped, text, given_as="arxiv")
    return _parse_pith(stripped, text, with_prefix=False)


def _unwrap(text: str) -> str:
    """Strip whitespace and up to three layers of matching quotes, <> or brackets."""
    stripped = text.strip(_STRIP_CHARS)
    for _ in range(3):
        for opening, closing in _WRAPPERS:
            if len(stripped) >= 2 and stripped[0] == opening and stripped[-1] == closing:
                stripped = stripped[1:-1].strip(_STRIP_CHARS)
                break
        else:
            break
    return stripped


def _preview(text: str) -> str:
    shown = repr(text[:60])
    return shown + "…" if len(text) > 60 else shown


def _fail(reason: str, text: str) -> NoReturn:
    raise QueryError(f"Cannot look up {_preview(text)}: {reason}. Accepted: {ACCEPTED_FORMS}")


def _parse_pith(rest: str, text: str, *, with_prefix: bool) -> Query:
    """`YYYY:<id>`, a 26-char id or a short id (after an optional `pith:` prefix)."""
    year_match = _YEAR_ID_RE.fullmatch(rest)
    if year_match is not None:
        year = int(year_match["year"])
        pith_id = year_match["id"].upper()
        if year < 1991:
            _fail(f"year {year} is before arXiv began (1991)", text)
        if len(pith_id) != PITH_ID_LENGTH:
            _fail("a Pith Number's year goes with the full 26-char id", text)
        _check_base32(pith_id, text)
        return Query("pith_id", pith_id, year=year, given_as="pith_number")
    upper = rest.upper()
    if _ALNUM_RE.fullmatch(upper) is None:
        _fail("not a Pith Number" if with_prefix else "not a known identifier form", text)
    _check_base32(upper, text)
    if len(upper) == PITH_ID_LENGTH:
        return Query("pith_id", upper, given_as="pith_id")
    if len(upper) in SHORT_LENGTHS:
        return Query("short", upper, given_as="short")
    _fail(f"{len(upper)} characters: Pith ids have 26, short ids 8, 12 or 16", text)


def _check_base32(upper: str, text: str) -> None:
    if _BASE32_RE.fullmatch(upper) is None:
        _fail("Pith ids use only the letters A-Z and the digits 2-7, never 0, 1, 8 or 9", text)


def _arxiv_id(candidate: str) -> tuple[str, int | None] | str:
    """(normalised id without version, version) for a valid arXiv id, else the reason why not."""
    new = _NEW_ARXIV_RE.fullmatch(candidate)
    old = _OLD_ARXIV_RE.fullmatch(candidate) if new is None else None
    match = new or old
    if match is None:
        return "not a known identifier form"
    yymm = match["yy"] + match["mm"]
    if not 1 <= int(match["mm"]) <= 12:
        return f"month {match['mm']} in arXiv id"
    if match["v"] is not None and int(match["v"]) == 0:
        return "arXiv versions start at v1"
    version = None if match["v"] is None else int(match["v"])
    if new is not None:
        if yymm < "0704":
            return "new-style arXiv ids begin in April 2007 (0704)"
        if len(match["num"]) != (4 if yymm <= "1412" else 5):
            return "arXiv ids have 4 digits after the dot until 1412, 5 from 1501"
        return f"{yymm}.{match['num']}", version
    archive = match["arch"].lower()
    if archive not in OLD_ARXIV_ARCHIVES:
        return f"{archive!r} is not an arXiv archive"
    if "0703" < yymm < "9107":
        return "old-style arXiv ids run from 9107 to 0703"
    subject = f".{match['cls'].upper()}" if match["cls"] else ""
    return f"{archive}{subject}/{yymm}{match['num']}", version


def arxiv_id_problem(text: str) -> str | None:
    """Why `text` is not an arXiv id as arXiv and Pith write it (`2106.06530`, `cs/0512068`:
    no version, no subject class, lower-case archive), or None when it is one. For ids that
    arrive in signed data, which must not be read loosely like a person's query."""
    if not isinstance(text, str) or not text.isascii() or not text.isprintable():
        return "it has characters no arXiv id has"
    parsed = _arxiv_id(text)
    if isinstance(parsed, str):
        return parsed
    value, version = parsed
    if version is not None:
        return "it carries a version"
    canonical = Query("arxiv", value).arxiv_id
    if canonical != text:
        return f"arXiv writes it {canonical!r}"
    return None


def _parse_arxiv(candidate: str, text: str, *, given_as: str) -> Query:
    parsed = _arxiv_id(candidate)
    if isinstance(parsed, str):
        _fail(parsed, text)
    value, version = parsed
    return Query("arxiv", value, version=version, given_as=given_as)


def _parse_doi(doi: str, text: str, *, given_as: str) -> Query:
    if not doi.lower().startswith(ARXIV_DOI_PREFIX):
        _fail("only arXiv DOIs (10.48550/arXiv.…) can be looked up", text)
    query = _parse_arxiv(doi[len(ARXIV_DOI_PREFIX) :], text, given_as=given_as)
    if query.version is not None:
        _fail("arXiv DOIs carry no version", text)
    return query


def _parse_url(url: re.Match[str], text: str) -> Query | None:
    """A Query for a recognised URL; None for a scheme-less `host/path` that is no known route
    (it is then parsed as an identifier); QueryError for a full URL that is no known route.
    """
    has_scheme = url["scheme"] is not None
    host = (url["host"] or url["bare_host"]).lower().rstrip(".")
    path = unquote(url["path"] or "")
    if host == "arxiv.org" or host.endswith(".arxiv.org"):
        route = _ARXIV_ROUTE.fullmatch(path)
        if route is not None:
            return _parse_arxiv(route["x"], text, given_as="arxiv_url")
    elif host in _DOI_HOSTS:
        route = _DOI_ROUTE.fullmatch(path)
        if route is not None:
            return _parse_doi(route["x"], text, given_as="doi_url")
    else:
        for pattern in _PITH_ROUTES:
            route = pattern.fullmatch(path)
            if route is not None:
                return _parse_pith_url_part(route["x"], text)
    if has_scheme:
        _fail("not a Pith, arXiv or DOI URL", text)
    return None


def _parse_pith_url_part(part: str, text: str) -> Query:
    if "." in part or "/" in part:
        return _parse_arxiv(part, text, given_as="pith_url")
    query = _parse_pith(part, text, with_prefix=False)
    return Query(query.kind, query.value, given_as="pith_url")


def is_query(text: str) -> bool:
    """True when `parse_query` accepts `text` (for suggestions and argument sniffing)."""
    try:
        parse_query(text)
    except QueryError:
        return False
    return True
