"""`pith-tui [QUERY]`: open the terminal browser."""

from __future__ import annotations

import argparse
from typing import TextIO

from pith_tui import __version__
from pith_tui.cli.common import EXIT_OK, Parser, UsageError, add_common_options, session_for
from pith_tui.core.sanitize import clean_text
from pith_tui.core.settings import saved_theme


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


def theme_names() -> list[str]:
    """The themes `--theme` accepts: Textual's built-in ones."""
    from textual.theme import BUILTIN_THEMES  # only the browser needs Textual

    return sorted(BUILTIN_THEMES)


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


def cmd_browse(args: argparse.Namespace, err: TextIO) -> int:
    theme = chosen_theme(args)
    session = session_for(args)
    from pith_tui.tui.app import PithApp  # imported here so `verify` never loads Textual

    app = PithApp(
        session.resolver,
        initial_query=args.query,
        theme=theme,
        notices=session.notices,
        remember_theme=True,
    )
    app.run()
    return EXIT_OK
