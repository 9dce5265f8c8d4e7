"""`pith-tui verify --bib FILE`: check every arXiv reference of a bibliography.

One line per entry and a summary on stdout (or `--json`: an array, one object per entry).
Exit 0 when every entry with an identifier verified and its title matched; 1 when any
failed, mismatched or could not be read; 3 when none of those but some could not be
fetched, are not on Pith or are incomplete; 2 when the file is not BibTeX.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import TextIO

from pith_tui.cli.common import EXIT_USAGE, dump_json, print_notices, session_for
from pith_tui.core.bibcheck import (
    BibSummary,
    EntryResult,
    EntryVerdict,
    TitleCheck,
    check_planned,
    plan,
)
from pith_tui.core.bibtex import NotBibtexError, read_bibliography
from pith_tui.core.sanitize import clean_text


def entry_line(result: EntryResult) -> str:
    """`key: arXiv:2106.06530 -> pith:2021:4K6G… verified, title match`, sanitized."""
    key = clean_text(result.key or f"line {result.line}", max_chars=60)
    if result.verdict is EntryVerdict.NO_IDENTIFIER:
        return f"{key}: no arXiv identifier (not checked)"
    found = clean_text(result.query, max_chars=60) if result.query else "?"
    where = f" ({clean_text(result.found_in)})" if result.found_in else ""
    if result.verdict is EntryVerdict.ERROR:
        return f"{key}: {found}{where}: error: {clean_text(result.reason, max_chars=300)}"
    if result.verdict is EntryVerdict.NOT_FOUND:
        return f"{key}: {found}{where}: not on Pith: {clean_text(result.reason, max_chars=200)}"
    number = clean_text(result.pith_number)
    line = f"{key}: {found}{where} -> {number} {result.verdict.value}, title {result.title.value}"
    if result.title is not TitleCheck.MATCH or result.verdict is not EntryVerdict.VERIFIED:
        line += f": {clean_text(result.reason, max_chars=300)}"
    return line


def cmd_verify_bib(args: argparse.Namespace, path: Path, out: TextIO, err: TextIO) -> int:
    try:
        bibliography = read_bibliography(path)
    except NotBibtexError as exc:
        print(f"pith-tui: {clean_text(exc)}", file=err)
        return EXIT_USAGE
    except OSError as exc:
        print(f"pith-tui: {clean_text(path)}: {clean_text(exc.strerror or exc)}", file=err)
        return EXIT_USAGE
    session = session_for(args)
    print_notices(session, err)
    resolver = session.resolver

    async def run() -> list[EntryResult]:
        try:
            return await check_planned(
                plan(bibliography), resolver.resolve, concurrency=args.concurrency
            )
        finally:
            await resolver.aclose()

    results = asyncio.run(run())
    summary = BibSummary(results)
    if args.json:
        dump_json([result.to_json() for result in results], out)
    else:
        for result in results:
            print(entry_line(result), file=out)
        print(summary.line(), file=out)
    return summary.exit_code
