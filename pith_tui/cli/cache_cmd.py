"""`pith-tui cache ...`: list, re-verify, remove, clear, export, import and fetch into the cache."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from pith_tui.cli.common import (
    EXIT_FETCH,
    EXIT_NOT_VERIFIED,
    EXIT_OK,
    EXIT_USAGE,
    Parser,
    add_common_options,
    dump_json,
    print_notices,
    session_for,
)
from pith_tui.core.bibcheck import DEFAULT_CONCURRENCY
from pith_tui.core.cache.filter_words import parse_filter
from pith_tui.core.sanitize import clean_text
from pith_tui.core.timefmt import relative_time


class ProgressBar:
    """Re-verification progress as a bar redrawn in place, for a terminal."""

    WIDTH = 30

    def __init__(self, err: TextIO) -> None:
        self.err = err

    def __call__(self, done: int, total: int) -> None:
        if total == 0:
            return
        filled = self.WIDTH * done // total
        self.err.write(f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done:,}/{total:,}")
        if done == total:
            self.err.write("\n")
        self.err.flush()


class ProgressLines:
    """Progress as a plain line per tenth of the work, for a log or a pipe."""

    def __init__(self, err: TextIO, verb: str = "re-verified") -> None:
        self.err = err
        self.verb = verb
        self.shown = 0

    def __call__(self, done: int, total: int) -> None:
        tenth = 10 * done // total if total else 10
        if 0 < tenth < 10 and tenth > self.shown:
            self.shown = tenth
            print(f"pith-tui: {self.verb} {done:,} of {total:,} records", file=self.err)


def cache_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="pith-tui cache", description="Review and manage the local cache.")
    add_common_options(parser)
    sub = parser.add_subparsers(dest="action", required=True, parser_class=Parser)
    listing = sub.add_parser("list", help="list cached records")
    listing.add_argument("--json", action="store_true")
    listing.add_argument(
        "--filter",
        default="",
        metavar="WORDS",
        help="only records whose ids, title or authors contain WORDS; "
        "verdict:failed (or verified, incomplete, unknown) keeps one verdict",
    )
    check = sub.add_parser("verify", help="re-verify every cached record")
    check.add_argument("--json", action="store_true")
    check.add_argument(
        "--workers", type=int, default=0, help="processes to use (default: automatic)"
    )
    remove = sub.add_parser("remove", help="remove one record")
    remove.add_argument("query")
    sub.add_parser("clear", help="remove every record")
    sub.add_parser("path", help="print the cache file's path")
    export = sub.add_parser("export", help="write the cache as a static mirror")
    export.add_argument("directory", type=Path)
    imports = sub.add_parser("import", help="verify files and store them in the cache")
    imports.add_argument("files", nargs="+", type=Path)
    fetch = sub.add_parser(
        "fetch", help="fetch and verify a reading list into the cache, for offline use"
    )
    fetch.add_argument(
        "items", nargs="+", metavar="FILE|QUERY", help="a .bib, a file of ids (one a line), or ids"
    )
    fetch.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"lookups at once (default {DEFAULT_CONCURRENCY})",
    )
    for action in (
        listing,
        check,
        remove,
        sub.choices["clear"],
        sub.choices["path"],
        export,
        imports,
        fetch,
    ):
        add_common_options(action, in_subcommand=True)
    return parser


def cmd_cache(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from pith_tui.core import mirror

    session = session_for(args, samples=args.action in ("list", "verify", "export"))
    print_notices(session, err)
    resolver = session.resolver
    cache = resolver.cache
    if args.action == "path":
        print(cache.path, file=out)
    elif args.action == "list":
        bad_filter = parse_filter(args.filter).error
        if bad_filter:
            print(f"pith-tui cache list: {clean_text(bad_filter)}", file=err)
            return EXIT_USAGE
        entries = cache.entries(filter_text=args.filter, sort="fetched_at", descending=True)
        if args.json:
            dump_json(
                [
                    {
                        "pith_number": e.pith_number,
                        "arxiv_id": e.arxiv_id,
                        "title": e.title,
                        "verdict": e.verdict,
                        "source": e.source,
                        "fetched_at": e.fetched_at.isoformat(),
                        "has_bundle": e.has_bundle,
                        "changed_upstream": e.changed_upstream,
                        "text_changed_at": (
                            e.text_changed_at.isoformat() if e.text_changed_at else None
                        ),
                    }
                    for e in entries
                ],
                out,
            )
        else:
            now = datetime.now(timezone.utc)
            for e in entries:
                print(
                    f"{clean_text(e.pith_number)}  {clean_text(e.arxiv_id or '-'):<16} "
                    f"{clean_text(e.verdict):<10} {clean_text(e.source):<8} "
                    f"{relative_time(e.fetched_at, now):<10} {clean_text(e.title, max_chars=60)}",
                    file=out,
                )
            print(f"{len(entries)} cached record(s) in {cache.path}", file=err)
    elif args.action == "verify":
        from pith_tui.core.reverify import reverify_cache

        summary = reverify_cache(
            cache,
            resolver.trust,
            now=resolver.now(),
            workers=args.workers,
            on_progress=ProgressBar(err) if err.isatty() else ProgressLines(err),
        )
        if summary.listing_error:
            print(
                f"pith-tui: the cache listing keeps its old verdicts: "
                f"{clean_text(summary.listing_error)}",
                file=err,
            )
        if args.json:
            dump_json(summary.to_json(), out)
        else:
            for problem in summary.problems:
                print(
                    f"{clean_text(problem.pith_id)}: {problem.verdict.value}: "
                    f"{clean_text(problem.reason)}",
                    file=out,
                )
            print(summary.line(), file=out)
        return EXIT_OK if summary.all_verified else EXIT_NOT_VERIFIED
    elif args.action == "remove":
        from pith_tui.core.ids import parse_query

        pith_id = cache.resolve(parse_query(args.query).index_key)
        if pith_id is None or not cache.remove(pith_id):
            print(f"pith-tui: {clean_text(args.query)} is not in the cache", file=err)
            return EXIT_FETCH
        print(f"removed pith:{pith_id[:8]}", file=out)
    elif args.action == "clear":
        print(f"removed {cache.clear()} record(s)", file=out)
    elif args.action == "export":
        result = mirror.export_mirror(resolver, args.directory)
        for line in result.skipped:
            print(f"skipped {clean_text(line)}", file=err)
        print(
            f"exported {result.records} record(s) as {result.files} file(s) to {args.directory}",
            file=out,
        )
        print(f"serve it with: python -m http.server -d {args.directory}", file=out)
    elif args.action == "fetch":
        from pith_tui.cli.fetch_cmd import cmd_cache_fetch

        return cmd_cache_fetch(args, resolver, out, err)
    elif args.action == "import":
        outcomes = mirror.import_files(resolver, args.files)
        for outcome in outcomes:
            print(f"{clean_text(outcome.path)}: {clean_text(outcome.message)}", file=out)
        return EXIT_OK if all(o.stored for o in outcomes) else EXIT_NOT_VERIFIED
    return EXIT_OK
