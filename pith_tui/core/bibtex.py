"""Read a .bib file into plain entries: bounded before parsing, parsed by bibtexparser v2.

The size is checked before anything is read (`files.read_document`), and NUL bytes or a
file with no BibTeX entry at all are refused with `NotBibtexError` (the CLI's exit 2).
A block the parser cannot read (an unclosed brace, a duplicate key) does not stop the
others: it becomes a `BibProblem` naming its line, listed with the entries.
Values are returned as the parser gives them (LaTeX kept); nothing here is sanitized.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bibtexparser.entrypoint import parse_string
from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    ParsingFailedBlock,
)

from pith_tui.core.errors import PithError, RecordFormatError
from pith_tui.core.files import read_document

MAX_BIB_BYTES = 8 << 20
"""A .bib of 8 MiB holds tens of thousands of entries; larger files are refused unread."""

MAX_BLOCKS = 100_000
"""More `@type{` blocks than this are refused before parsing (8 MiB of tiny blocks would
otherwise cost the parser ~10 s and print 700,000 lines)."""

_BLOCK_START = re.compile(r"@\s*[A-Za-z]+\s*[{(]")

MAX_FIELD_CHARS = 20_000
"""A longer field value is cut (a title or URL is never near it); it cannot then match."""

# bibtexparser reports each broken block through logging; we report them as `BibProblem`s.
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())
logging.getLogger("bibtexparser").propagate = False


class NotBibtexError(PithError):
    """The file is not a BibTeX bibliography (or is too large to read as one)."""


@dataclass(frozen=True)
class BibEntry:
    """One entry: its key, type, first line, and fields by lower-case name."""

    key: str
    entry_type: str
    line: int
    fields: Mapping[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.fields.get(name, "")


@dataclass(frozen=True)
class BibProblem:
    """A block the parser could not read as an entry, and why, in words."""

    line: int
    key: str
    reason: str


@dataclass(frozen=True)
class Bibliography:
    entries: tuple[BibEntry, ...]
    problems: tuple[BibProblem, ...] = ()


def read_bibliography(path: Path) -> Bibliography:
    """Read and parse the .bib at `path`. `NotBibtexError` (one line) when it is not one;
    `OSError` when it cannot be read."""
    try:
        raw = read_document(path, MAX_BIB_BYTES, what="a bibliography")
    except RecordFormatError as exc:
        raise NotBibtexError(f"{path.name}: {exc}") from None
    try:
        return parse_bibliography(decode_bib(raw))
    except NotBibtexError as exc:
        raise NotBibtexError(f"{path.name}: {exc}") from None


def decode_bib(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else Latin-1 as older .bib files are; NUL is not text."""
    if b"\x00" in raw:
        raise NotBibtexError("it holds NUL bytes: a binary file, not BibTeX")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def parse_bibliography(text: str) -> Bibliography:
    """Entries and unreadable blocks of BibTeX `text`. `NotBibtexError` when it has neither."""
    if len(text) > MAX_BIB_BYTES:
        raise NotBibtexError(f"over the {MAX_BIB_BYTES:,} character limit of a bibliography")
    blocks = sum(1 for _ in itertools.islice(_BLOCK_START.finditer(text), MAX_BLOCKS + 1))
    if blocks > MAX_BLOCKS:
        raise NotBibtexError(f"more than {MAX_BLOCKS:,} entries; split the bibliography")
    try:
        library = parse_string(text)
    except RecursionError:  # defensive: the v2 splitter is iterative, but never a traceback
        raise NotBibtexError("nested too deeply to read") from None
    entries = tuple(_entry(block) for block in library.entries)
    problems = tuple(_problem(block) for block in library.failed_blocks)
    if not entries and not problems:
        raise NotBibtexError("no BibTeX entry (@article{key, ...}) in it")
    if not entries and all(isinstance(p, ParsingFailedBlock) for p in library.failed_blocks):
        first = problems[0]
        raise NotBibtexError(f"no readable BibTeX entry: line {first.line}: {first.reason}")
    return Bibliography(entries, problems)


def _entry(block: Entry) -> BibEntry:
    fields: dict[str, str] = {}
    for item in block.fields:
        name = str(item.key).lower()
        if name not in fields:
            fields[name] = str(item.value)[:MAX_FIELD_CHARS]
    return BibEntry(
        key=str(block.key),
        entry_type=str(block.entry_type).lower(),
        line=_line(block.start_line),
        fields=fields,
    )


def _problem(block: object) -> BibProblem:
    line = _line(getattr(block, "start_line", 0))
    if isinstance(block, DuplicateBlockKeyBlock):
        key = str(block.key)
        return BibProblem(line, key, f"a second entry with the key {key!r} (not checked)")
    if isinstance(block, DuplicateFieldKeyBlock):
        key = str(getattr(block.ignore_error_block, "key", ""))
        names = ", ".join(sorted(repr(name) for name in block.duplicate_keys)[:5])
        return BibProblem(line, key, f"the entry has the field {names} more than once")
    if isinstance(block, ParsingFailedBlock):
        return BibProblem(line, "", "not a complete BibTeX entry (a brace, quote or comma is off)")
    return BibProblem(line, "", "a block bibtexparser could not read")


def _line(start_line: object) -> int:
    """1-based line numbers for people (bibtexparser counts from 0)."""
    return start_line + 1 if isinstance(start_line, int) else 0
