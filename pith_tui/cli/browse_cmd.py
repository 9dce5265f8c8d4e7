"""`pith-tui [QUERY]`: open the terminal browser."""

from __future__ import annotations

import argparse
import difflib
from pathlib import Path
from typing import TextIO

from pith_tui import __version__
from pith_tui.cli.common import EXIT_OK, Parser, UsageError, add_common_options, session_for
from pith_tui.core.errors import QueryError
from pith_tui.core.ids import parse_query
from pith_tui.core.sanitize import clean_text
from pith_tui.core.settings import saved_theme


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


def theme_names() -> list[str]:
    """The themes `--theme` accepts (the UI package names them; only the browser loads it)."""
    from pith_tui.tui.themes import theme_names as names

    return names()


def chosen_theme(args: argparse.Namespace) -> str | None:
    """`--theme` if given (a usage error when unknown), else the theme saved last time."""
    names = theme_names()
    if args.theme is not None:
        if args.theme not in names:
            raise UsageError(
                f"pith-tui: there is no theme {clean_text(args.theme, max_chars=60)!r}; "
                f"choose one of: {', '.join(names)}"
            )
        return str(args.theme)
    saved = saved_theme()
    return saved if saved in names else None


SUBCOMMANDS = ("verify", "cache", "cite")


def check_query(query: str | None) -> None:
    """A word that is neither a subcommand nor an identifier is a usage error, before any
    full-screen app starts (a mistyped `verfy` must not open the browser)."""
    if query is None or query.lower().endswith(".bib"):  # a bibliography: opened as a file
        return
    try:
        parse_query(query)
    except QueryError as exc:
        word = clean_text(query, max_chars=60)
        close = difflib.get_close_matches(query, SUBCOMMANDS, n=1)
        hint = f"; did you mean 'pith-tui {close[0]}'?" if close else ""
        raise UsageError(
            f"pith-tui: {word!r} is not a subcommand ({', '.join(SUBCOMMANDS)}) nor an "
            f"identifier{hint} ({clean_text(str(exc), max_chars=300)})"
        ) from exc


def parse_browse_args(argv: list[str]) -> argparse.Namespace:
    """The browser's arguments; the query word is checked first, so `verfy 2106.06530`
    says "did you mean verify" rather than "unrecognized arguments"."""
    parser = browse_parser()
    args, extra = parser.parse_known_args(argv)
    check_query(args.query)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def check_terminal(out: TextIO) -> None:
    """The browser draws on a terminal; piped or redirected, it would write escape codes."""
    isatty = getattr(out, "isatty", None)
    if not (callable(isatty) and isatty()):
        raise UsageError(
            "pith-tui: the browser needs a terminal, and standard output is not one; "
            "for text output use 'pith-tui verify QUERY' or 'pith-tui cache list'"
        )


def cmd_browse(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    check_query(args.query)
    theme = chosen_theme(args)
    query, bibliography = args.query, None
    if query and query.lower().endswith(".bib"):
        bibliography, query = Path(query), None
        if not bibliography.is_file():
            raise UsageError(f"no such file: {args.query}")
    check_terminal(out)
    session = session_for(args)
    from pith_tui.tui.app import PithApp  # imported here so `verify` never loads Textual

    app = PithApp(
        session.resolver,
        initial_query=query,
        theme=theme,
        notices=session.notices,
        remember_theme=True,
        bibliography=bibliography,
    )
    app.run()
    return EXIT_OK
