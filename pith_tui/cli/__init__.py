"""The command line: `pith-tui [QUERY|FILE.bib]` opens the browser; `verify`, `cache` and
`cite` are scriptable.

Exit codes: 0 every target verified; 1 a target failed or is incomplete; 2 usage error or
a target that is not a parsable Pith document; 3 a target that could not be fetched (or
is not cached, offline). Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from pith_tui.cli.common import EXIT_BROKEN_PIPE, EXIT_FETCH, EXIT_USAGE, UsageError
from pith_tui.core.errors import PithError, QueryError, TrustStoreError
from pith_tui.core.sanitize import clean_text


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        if argv and argv[0] == "verify":
            from pith_tui.cli.verify_cmd import cmd_verify, verify_parser

            return cmd_verify(verify_parser().parse_args(argv[1:]), out, err)
        if argv and argv[0] == "cite":
            from pith_tui.cli.cite_cmd import cite_parser, cmd_cite

            return cmd_cite(cite_parser().parse_args(argv[1:]), out, err)
        if argv and argv[0] == "cache":
            from pith_tui.cli.cache_cmd import cache_parser, cmd_cache

            return cmd_cache(cache_parser().parse_args(argv[1:]), out, err)
        from pith_tui.cli.browse_cmd import cmd_browse, parse_browse_args

        return cmd_browse(parse_browse_args(argv), out, err)
    except UsageError as exc:
        print(clean_text(exc), file=err)
        return EXIT_USAGE
    except (TrustStoreError, ValueError) as exc:
        print(f"pith-tui: {clean_text(exc)}", file=err)
        return EXIT_USAGE
    except QueryError as exc:
        print(f"pith-tui: {clean_text(exc)}", file=err)
        return EXIT_USAGE
    except PithError as exc:
        print(f"pith-tui: {clean_text(exc)}", file=err)
        return EXIT_FETCH
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`pith-tui verify --json ... | head`): nothing left to say.
        # Point stdout at devnull so the interpreter's final flush does not fail again.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
