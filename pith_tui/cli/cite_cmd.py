"""`pith-tui cite QUERY`: print a BibTeX entry for a record, with where each value comes from.

Exit 0 when the record verified; 1 when it did not (the entry is still printed, marked NOT
VERIFIED in its comment); 3 when it could not be fetched; 2 for a query that is no id.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import TextIO

from pith_tui.cli.common import (
    EXIT_NOT_VERIFIED,
    EXIT_OK,
    Parser,
    add_common_options,
    print_notices,
    session_for,
)
from pith_tui.core.cite import bibtex_entry
from pith_tui.core.view import RecordView
from pith_tui.core.vocab import Verdict


def cite_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="pith-tui cite", description="Print a BibTeX entry for a Pith record.")
    parser.add_argument("query", help="a Pith Number, short id, arXiv id or DOI")
    add_common_options(parser)
    return parser


def cmd_cite(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    session = session_for(args)
    print_notices(session, err)
    resolver = session.resolver

    async def run() -> RecordView:
        try:
            return await resolver.resolve(args.query)
        finally:
            await resolver.aclose()

    view = asyncio.run(run())  # a PithError is reported by the CLI's main (exit 3 or 2)
    out.write(bibtex_entry(view))
    return EXIT_OK if view.verdict is Verdict.VERIFIED else EXIT_NOT_VERIFIED
