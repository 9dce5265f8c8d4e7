"""`pith-tui [QUERY]`: open the terminal browser."""

from __future__ import annotations

import argparse
from typing import TextIO

from pith_tui import __version__
from pith_tui.cli.common import EXIT_OK, Parser, add_common_options, session_for


def browse_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="pith-tui",
        description="Browse and verify Pith records. Subcommands: 'verify' and 'cache' (see 'pith-tui verify --help').",
    )
    parser.add_argument("query", nargs="?", help="a Pith Number, short id, arXiv id or DOI to open")
    parser.add_argument("--theme", help="a Textual theme, e.g. textual-dark, ansi-dark")
    parser.add_argument("--version", action="version", version=f"pith-tui {__version__}")
    add_common_options(parser)
    return parser


def cmd_browse(args: argparse.Namespace, err: TextIO) -> int:
    session = session_for(args)
    from pith_tui.tui.app import PithApp  # imported here so `verify` never loads Textual

    app = PithApp(
        session.resolver, initial_query=args.query, theme=args.theme, notices=session.notices
    )
    app.run()
    return EXIT_OK
