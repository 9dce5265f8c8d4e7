"""Find the arXiv identifier of a .bib entry, wherever people put it.

Places read, in this order: `eprint` (when `archivePrefix`/`eprinttype` is arXiv or absent),
`arxiv`/`arxivid`, `doi` = 10.48550/arXiv.*, arxiv.org abs/pdf URLs and "arXiv:<id>" in
`url`, `howpublished`, `journal`, `note`, `booktitle`, `publisher`; and a `pith` field (a Pith
Number, as `pith-tui cite` writes it). Every candidate is read by `ids.parse_query`, the
one grammar, so what counts as an arXiv id (new and old style) is decided there only; the
patterns here only spot where a candidate starts and ends in free text.

A field that says it is arXiv but holds no valid id is a problem of the entry (reported),
and two places naming different papers are one too; a field that merely mentions
something else (a journal DOI, an IACR eprint) is not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from pith_tui.core.errors import QueryError
from pith_tui.core.ids import ARXIV_DOI_PREFIX, Query, parse_query

_ID_FIELDS = ("arxiv", "arxivid", "arxiv_id")
_TEXT_FIELDS = ("url", "howpublished", "journal", "note", "booktitle", "publisher", "pdf")
_PITH_FIELDS = ("pith", "pithnumber")
_ARCHIVE_FIELDS = ("archiveprefix", "eprinttype")
_MAX_SCANNED = 2000  # characters of a free-text field looked at

# Candidates in free text: an arxiv.org abs/pdf URL, or "arXiv:" / "arXiv preprint" + id.
_URL = re.compile(
    r"((?:https?://)?(?:[a-z0-9-]+\.)*arxiv\.org/(?:abs|pdf)/[^\s{}\\,;\"<>]+)", re.IGNORECASE
)
_MENTION = re.compile(
    r"\barxiv(?:\s*(?:e-?print|preprint))?\s*(?::|\s)\s*(?:arxiv:\s*)?([a-z0-9][a-z0-9./-]*)",
    re.IGNORECASE,
)

# A free-text candidate that fails to parse is a problem only when it looks like an id.
_LOOKS_LIKE_ID = re.compile(r"[0-9]{3,}[./]|/[0-9]{3,}")


@dataclass(frozen=True)
class FoundId:
    """What was found: the query (None with `problem` set) and the field it came from."""

    field: str
    text: str
    query: Query | None
    problem: str = ""


@dataclass(frozen=True)
class EntryId:
    """The entry's identifier (`found`), or None, and any problem that stops the check."""

    found: FoundId | None
    problem: str = ""

    @property
    def query(self) -> Query | None:
        return self.found.query if self.found is not None and not self.problem else None


def find_arxiv_id(fields: Mapping[str, str]) -> EntryId:
    """The arXiv id (or Pith Number) of an entry whose fields are keyed by lower-case name."""
    found = [item for item in _candidates(fields) if item is not None]
    if not found:
        return EntryId(None)
    first = found[0]
    if first.problem:
        return EntryId(first, f"{first.field} = {first.text!r}: {first.problem}")
    papers: dict[str, FoundId] = {}
    for item in found:
        if item.query is not None and item.query.kind == "arxiv":
            papers.setdefault(item.query.arxiv_id or item.query.value, item)
    if len(papers) > 1:
        named = ", ".join(f"{key} ({item.field})" for key, item in papers.items())
        return EntryId(first, f"the entry names more than one arXiv paper: {named}")
    return EntryId(first)


def _candidates(fields: Mapping[str, str]) -> list[FoundId | None]:
    out: list[FoundId | None] = []
    archive = next((fields[name] for name in _ARCHIVE_FIELDS if fields.get(name)), "")
    eprint = fields.get("eprint", "").strip()
    if eprint:
        says_arxiv = "arxiv" in archive.lower()
        if says_arxiv or not archive.strip():
            out.append(_read("eprint", eprint, strict=says_arxiv))
    for name in _ID_FIELDS:
        if fields.get(name, "").strip():
            out.append(_read(name, fields[name], strict=True))
    doi = fields.get("doi", "").strip()
    if _strip_doi(doi).lower().startswith(ARXIV_DOI_PREFIX):
        out.append(_read("doi", _strip_doi(doi), strict=True))
    for name in _TEXT_FIELDS:
        text = fields.get(name, "")[:_MAX_SCANNED]
        for pattern in (_URL, _MENTION):
            for match in pattern.finditer(text):
                candidate = match.group(1).rstrip(".")
                out.append(
                    _read(name, candidate, strict=_LOOKS_LIKE_ID.search(candidate) is not None)
                )
    for name in _PITH_FIELDS:
        if fields.get(name, "").strip():
            out.append(_read(name, fields[name], strict=True, any_kind=True))
    return out


def _strip_doi(doi: str) -> str:
    """`https://doi.org/10.48550/...` and `doi:10.48550/...` -> `10.48550/...`."""
    lowered = doi.lower()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"):
        if lowered.startswith(prefix):
            return doi[len(prefix) :].strip()
    return doi


def _read(field: str, text: str, *, strict: bool, any_kind: bool = False) -> FoundId | None:
    """The query `text` names; with `strict`, a problem when it names none, else None."""
    value = " ".join(text.replace("{", "").replace("}", "").split())
    value = value.replace("\\_", "_")
    try:
        query = parse_query(value)
    except QueryError as exc:
        if not strict:
            return None
        reason = "not an arXiv id"
        if _LOOKS_LIKE_ID.search(value):  # an attempt at one: say what is wrong with it
            reason = str(exc).partition(": ")[2].partition(". Accepted")[0] or reason
        return FoundId(field, value, None, reason)
    if query.kind != "arxiv" and not any_kind:
        return FoundId(field, value, None, "not an arXiv id") if strict else None
    return FoundId(field, value, query)
