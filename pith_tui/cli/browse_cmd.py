"""`pith-tui [QUERY]`: open the terminal browser."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from pith_tui import __version__
from pith_tui.cli.common import EXIT_OK, Parser, UsageError, add_common_options, session_for


def browse_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="pith-tui",
        description="Browse and verify Pith records. Subcommands: 'verify', 'cache' and 'cite' (see 'pith-tui verify --help'). A .bib file opens the references screen.",
    )
    parser.add_argument(
        "query",
        nargs="?",
        help="a Pith Number, short id, arXiv id or DOI to open, or a .bib file to check",
    )
    parser.add_argument("--theme", help="a Textual theme, e.g. textual-dark, ansi-dark")
    parser.add_argument("--version", action="version", version=f"pith-tui {__version__}")
    add_common_options(parser)
    return parser


def cmd_browse(args: argparse.Namespace, err: TextIO) -> int:
    session = session_for(args)
    from pith_tui.tui.app import PithApp  # imported here so `verify` never loads Textual

    query, bibliography = args.query, None
    if query and query.lower().endswith(".bib"):
        bibliography, query = Path(query), None
        if not bibliography.is_file():
            raise UsageError(f"no such file: {args.query}")
    app = PithApp(
        session.resolver,
        initial_query=query,
        theme=args.theme,
        notices=session.notices,
        bibliography=bibliography,
    )
    app.run()
    return EXIT_OK
