"""What `cache fetch` takes offline: a .bib, a text file of identifiers, or queries.

Each item becomes a `bibcheck.Planned` entry, so fetching a reading list and checking a
bibliography share one resolving loop (`bibcheck.check_planned`). A text list has one
identifier per line (any form `ids.parse_query` reads); blank lines and `#` comments are
skipped, and a line that is no identifier is reported with its line number.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pith_tui.core.bibcheck import EntryResult, EntryVerdict, ErrorKind, Planned, plan
from pith_tui.core.bibtex import NotBibtexError, decode_bib, parse_bibliography
from pith_tui.core.errors import QueryError, RecordFormatError
from pith_tui.core.files import read_document
from pith_tui.core.ids import parse_query

MAX_LIST_BYTES = 8 << 20


class ReadingListError(NotBibtexError):
    """A file of the list cannot be read as a .bib or as a list of identifiers."""


def read_items(items: Sequence[str]) -> list[Planned]:
    """Planned lookups for every item: files are read, anything else is a query."""
    planned: list[Planned] = []
    for item in items:
        path = Path(item)
        if _is_file(path):
            planned.extend(read_list_file(path))
        else:
            planned.append(_planned_line(item, 0))
    return planned


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def read_list_file(path: Path) -> list[Planned]:
    """A .bib (by name, or by content when it has an `@entry{`) or a list of identifiers."""
    try:
        raw = read_document(path, MAX_LIST_BYTES, what="a reading list")
        text = decode_bib(raw)
    except (RecordFormatError, NotBibtexError) as exc:
        raise ReadingListError(f"{path.name}: {exc}") from None
    if path.suffix.lower() == ".bib" or text.lstrip().startswith("@"):
        try:
            return plan(parse_bibliography(text))
        except NotBibtexError as exc:
            raise ReadingListError(f"{path.name}: {exc}") from None
    return [
        _planned_line(line.strip(), number)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _planned_line(text: str, line: int) -> Planned:
    try:
        query = parse_query(text)
    except QueryError as exc:
        reason = str(exc).partition(". Accepted")[0]
        done = EntryResult(
            text[:80],
            line,
            verdict=EntryVerdict.ERROR,
            reason=f"line {line}: {reason}" if line else reason,
            error_kind=ErrorKind.ENTRY,
        )
        return Planned(text[:80], line, None, "", "", done)
    return Planned(query.display(), line, query, "", "")
