"""What every subcommand shares: exit codes, the argument parser, the session, safe output."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any, NoReturn, TextIO

from pith_tui.core.sanitize import UNSAFE_RANGES, clean_text
from pith_tui.core.session import Session, open_session

EXIT_OK, EXIT_NOT_VERIFIED, EXIT_USAGE, EXIT_FETCH = 0, 1, 2, 3
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports it

# Characters the sanitizer makes visible, except the newline (json.dumps escapes every
# control character inside strings, so a raw newline in its output is layout).
_UNSAFE_IN_JSON = re.compile(
    "[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi, _ in UNSAFE_RANGES) + "]"
)


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    """An `ArgumentParser` that raises `UsageError` instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def add_common_options(parser: argparse.ArgumentParser, *, in_subcommand: bool = False) -> None:
    # In a subcommand the defaults are suppressed, so `cache --offline list` and
    # `cache list --offline` both work and an absent option never overwrites a given one.
    extra: dict[str, Any] = {"default": argparse.SUPPRESS} if in_subcommand else {}
    parser.add_argument(
        "--offline",
        action="store_true",
        help="never touch the network (also PITH_OFFLINE=1)",
        **extra,
    )
    parser.add_argument(
        "--base-url", metavar="URL", help="the Pith server or mirror (also PITH_BASE_URL)", **extra
    )
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        type=Path,
        help="where the cache lives (also PITH_TUI_CACHE_DIR)",
        **extra,
    )


def session_for(args: argparse.Namespace, *, samples: bool = True) -> Session:
    return open_session(
        base_url=args.base_url, offline=args.offline, cache_dir=args.cache_dir, samples=samples
    )


def dump_json(value: Any, out: TextIO) -> None:
    """Indented JSON that keeps non-ASCII text but writes C1 controls, bidi and invisible
    characters as \\uXXXX escapes: the same data, and nothing that acts on a terminal."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    out.write(_UNSAFE_IN_JSON.sub(_json_escape, text))
    out.write("\n")


def _json_escape(match: re.Match[str]) -> str:
    char = match.group()
    return char if char == "\n" else json.dumps(char)[1:-1]


def print_notices(session: Session, err: TextIO) -> None:
    for notice in session.notices:
        print(f"pith-tui: {clean_text(notice)}", file=err)
