"""What a verified record is found by, and whether it answers a query: from what it signs.

The cache stores exact keys (`ids.index_keys`) and the text its listing filter matches;
this module derives both from a parsed document's signed parts (`canonical_record`: the
source and the submission year), never from the unsigned copies beside them. The resolver
asks `answers` of every record the cache or a server returns for a query.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from pith_tui.core.ids import ARXIV_DOI_PREFIX, Query, index_keys, signed_arxiv_id, year_of
from pith_tui.core.model import Document


class IndexFields(TypedDict):
    """The keyword arguments of `Cache.put` that describe a document for lookups and the listing."""

    pith_number: str
    keys: frozenset[str]
    search_terms: list[str]
    title: str
    authors: str
    arxiv_id: str


def signed_source(doc: Document) -> Mapping[str, Any]:
    """The signed `canonical_record.source` ({kind, id, version}); empty if malformed."""
    source = doc.canonical_record.get("source")
    return source if isinstance(source, Mapping) else {}


def signed_year(doc: Document) -> int | None:
    """The year of the signed `submitted_at`: the year of the record's Pith Number."""
    metadata = doc.canonical_record.get("metadata")
    return year_of(metadata.get("submitted_at")) if isinstance(metadata, Mapping) else None


def index_fields(doc: Document, pith_id: str) -> IndexFields:
    """What the cache indexes for a document: the exact keys `ids.index_keys` derives from
    its signed parts, the text the listing filter matches, title, authors, arXiv id."""
    source = signed_source(doc)
    kind, source_id = source.get("kind"), source.get("id")
    arxiv_id = signed_arxiv_id(kind, source_id)
    terms = []
    if arxiv_id is not None:
        version = source.get("version")
        if isinstance(version, int) and not isinstance(version, bool):
            terms.append(f"{source_id}v{version}")
        terms.append(ARXIV_DOI_PREFIX + arxiv_id)
    return {
        "pith_number": doc.pith_number,
        "keys": index_keys(pith_id, signed_year(doc), str(kind), str(source_id)),
        "search_terms": terms,
        "title": doc.paper.title,
        "authors": doc.paper.authors_text,
        "arxiv_id": str(source_id) if source_id is not None else "",
    }


def answers(query: Query, doc: Document, pith_id: str) -> bool:
    """Whether a verified document is the record `query` asks for, by what it signs.

    An arXiv id or DOI is answered only by a record whose signed source is that arXiv paper;
    a full Pith Number only by the record of that id whose signed year is that year.
    """
    if query.kind == "arxiv":
        source = signed_source(doc)
        return signed_arxiv_id(source.get("kind"), source.get("id")) == query.arxiv_id
    if query.kind == "short":
        return pith_id.startswith(query.value)
    return pith_id == query.value and query.year in (None, signed_year(doc))
