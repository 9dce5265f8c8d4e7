"""The command line: `pith-tui [QUERY]` opens the browser; `verify` and `cache` are scriptable.

Exit codes: 0 every target verified; 1 a target failed or is incomplete; 2 usage error or
a target that is not a parsable Pith document; 3 a target that could not be fetched (or
is not cached, offline). Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from pith_tui import __version__
from pith_tui.core.errors import (
    FetchError,
    PithError,
    QueryError,
    RecordFormatError,
    TrustStoreError,
)
from pith_tui.core.factory import Session, open_session
from pith_tui.core.ids import is_query
from pith_tui.core.sanitize import UNSAFE_RANGES, clean_text
from pith_tui.core.timefmt import relative_time
from pith_tui.core.verify import Report, Verdict
from pith_tui.core.view import SOURCE_LABELS, RecordView

EXIT_OK, EXIT_NOT_VERIFIED, EXIT_USAGE, EXIT_FETCH = 0, 1, 2, 3
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports it

# Characters the sanitizer makes visible, except the newline (json.dumps escapes every
# control character inside strings, so a raw newline in its output is layout).
_UNSAFE_IN_JSON = re.compile(
    "[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi, _ in UNSAFE_RANGES) + "]"
)


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _common(parser: argparse.ArgumentParser, *, in_subcommand: bool = False) -> None:
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


def _browse_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pith-tui",
        description="Browse and verify Pith records. Subcommands: 'verify' and 'cache' (see 'pith-tui verify --help').",
    )
    parser.add_argument("query", nargs="?", help="a Pith Number, short id, arXiv id or DOI to open")
    parser.add_argument("--theme", help="a Textual theme, e.g. textual-dark, ansi-dark")
    parser.add_argument("--version", action="version", version=f"pith-tui {__version__}")
    _common(parser)
    return parser


def _verify_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pith-tui verify", description="Verify Pith records and bundles: files or identifiers."
    )
    parser.add_argument(
        "targets",
        nargs="+",
        metavar="TARGET",
        help="a file, or a Pith Number / short id / arXiv id / DOI",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    _common(parser)
    return parser


def _cache_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pith-tui cache", description="Review and manage the local cache.")
    _common(parser)
    sub = parser.add_subparsers(dest="action", required=True, parser_class=_Parser)
    listing = sub.add_parser("list", help="list cached records")
    listing.add_argument("--json", action="store_true")
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
    for action in (
        listing,
        check,
        remove,
        sub.choices["clear"],
        sub.choices["path"],
        export,
        imports,
    ):
        _common(action, in_subcommand=True)
    return parser


def _session(args: argparse.Namespace, *, samples: bool = True) -> Session:
    return open_session(
        base_url=args.base_url, offline=args.offline, cache_dir=args.cache_dir, samples=samples
    )


def _dump_json(value: Any, out: TextIO) -> None:
    """Indented JSON that keeps non-ASCII text but writes C1 controls, bidi and invisible
    characters as \\uXXXX escapes: the same data, and nothing that acts on a terminal."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    out.write(_UNSAFE_IN_JSON.sub(_json_escape, text))
    out.write("\n")


def _json_escape(match: re.Match[str]) -> str:
    char = match.group()
    return char if char == "\n" else json.dumps(char)[1:-1]


def _print_notices(session: Session, err: TextIO) -> None:
    for notice in session.notices:
        print(f"pith-tui: {clean_text(notice)}", file=err)


# --- verify -------------------------------------------------------------------------------


def _kind(view: RecordView) -> str:
    return "+".join(label for label, _ in view.reports)


def _view_json(target: str, view: RecordView) -> dict[str, Any]:
    checks = []
    for label, report in view.reports:
        for check in report.checks:
            item = {"id": check.id, "status": check.status.value, "detail": check.detail}
            if len(view.reports) > 1:
                item["document"] = label
            checks.append(item)
    return {
        "target": target,
        "kind": _kind(view),
        "pith_number": view.pith_number,
        "verdict": view.verdict.value,
        "source": view.source,
        "checks": checks,
        "notes": list(view.notes),
    }


def _print_report(report: Report, label: str, out: TextIO) -> None:
    width = max(len(c.id) for c in report.checks) if report.checks else 0
    if label:
        print(f"  {label}:", file=out)
    for check in report.checks:
        print(
            f"  {check.status.symbol} {check.id.ljust(width)}  {clean_text(check.detail)}", file=out
        )


def _print_view(target: str, view: RecordView, out: TextIO) -> None:
    title = clean_text(view.paper.title, max_chars=100)
    print(
        f"{clean_text(target)}: {clean_text(view.pith_number)} ({_kind(view)}, {SOURCE_LABELS.get(view.source, view.source)})",
        file=out,
    )
    if title:  # labelled: an unsigned title such as "=> VERIFIED" must not pass for a verdict
        print(f"  title: {title}", file=out)
    many = len(view.reports) > 1
    for label, report in view.reports:
        _print_report(report, label if many else "", out)
    for note in view.notes:
        print(f"  note: {clean_text(note)}", file=out)
    print(f"  => {view.verdict.value.upper()}", file=out)


def _looks_like_path(target: str) -> bool:
    return (
        os.sep in target and not target.lower().startswith(("http:", "https:"))
    ) or target.endswith((".json", ".txt", ".html"))


async def _verify_targets(
    session: Session, targets: Sequence[str]
) -> list[tuple[str, RecordView | None, int, str]]:
    results = []
    resolver = session.resolver
    try:
        for target in targets:
            path = Path(target)
            try:
                if path.is_file():
                    view = resolver.view_from_file(path)
                elif _looks_like_path(target) and not is_query(target):
                    raise UsageError(f"no such file: {target}")
                else:
                    view = await resolver.resolve(target)
            except (UsageError, QueryError, RecordFormatError, OSError) as exc:
                message = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                results.append((target, None, EXIT_USAGE, message))
                continue
            except FetchError as exc:
                results.append((target, None, EXIT_FETCH, str(exc)))
                continue
            except PithError as exc:
                results.append((target, None, EXIT_FETCH, str(exc)))
                continue
            code = EXIT_OK if view.verdict is Verdict.VERIFIED else EXIT_NOT_VERIFIED
            results.append((target, view, code, ""))
    finally:
        await resolver.aclose()
    return results


def _overall(codes: Sequence[int]) -> int:
    for code in (EXIT_USAGE, EXIT_FETCH, EXIT_NOT_VERIFIED):
        if code in codes:
            return code
    return EXIT_OK


def cmd_verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    session = _session(args)
    _print_notices(session, err)
    results = asyncio.run(_verify_targets(session, args.targets))
    if args.json:
        items = []
        for target, view, code, message in results:
            if view is not None:
                items.append(_view_json(target, view))
            else:
                kind = "usage" if code == EXIT_USAGE else "fetch"
                items.append(
                    {
                        "target": target,
                        "kind": None,
                        "pith_number": None,
                        "verdict": "error",
                        "error": message,
                        "error_kind": kind,
                        "checks": [],
                    }
                )
        _dump_json(items[0] if len(items) == 1 else items, out)
    else:
        for target, view, _code, message in results:
            if view is not None:
                _print_view(target, view, out)
            else:
                print(f"{clean_text(target)}: error: {clean_text(message)}", file=err)
    return _overall([code for _, _, code, _ in results])


# --- cache --------------------------------------------------------------------------------


def cmd_cache(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from pith_tui.core import mirror

    session = _session(args, samples=args.action in ("list", "verify", "export"))
    _print_notices(session, err)
    resolver = session.resolver
    cache = resolver.cache
    if args.action == "path":
        print(cache.path, file=out)
    elif args.action == "list":
        entries = cache.entries(sort="fetched_at", descending=True)
        if args.json:
            _dump_json(
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
        from pith_tui.core.bulk import reverify_cache

        summary = reverify_cache(
            resolver, workers=args.workers, progress=err if err.isatty() else None
        )
        if args.json:
            json.dump(summary.to_json(), out, indent=2)
            out.write("\n")
        else:
            for pith_number, verdict, reason in summary.problems:
                print(f"{clean_text(pith_number)}: {verdict}: {clean_text(reason)}", file=out)
            print(summary.line(), file=out)
        return EXIT_OK if summary.all_verified else EXIT_NOT_VERIFIED
    elif args.action == "remove":
        from pith_tui.core.ids import parse_query

        pith_id = cache.resolve(parse_query(args.query).lookup_key())
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
    elif args.action == "import":
        outcomes = mirror.import_files(resolver, args.files)
        for outcome in outcomes:
            print(f"{clean_text(outcome.path)}: {clean_text(outcome.message)}", file=out)
        return EXIT_OK if all(o.stored for o in outcomes) else EXIT_NOT_VERIFIED
    return EXIT_OK


# --- browse -------------------------------------------------------------------------------


def cmd_browse(args: argparse.Namespace, err: TextIO) -> int:
    session = _session(args)
    from pith_tui.tui.app import PithApp  # imported here so `verify` never loads Textual

    app = PithApp(
        session.resolver, initial_query=args.query, theme=args.theme, notices=session.notices
    )
    app.run()
    return EXIT_OK


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        if argv and argv[0] == "verify":
            return cmd_verify(_verify_parser().parse_args(argv[1:]), out, err)
        if argv and argv[0] == "cache":
            return cmd_cache(_cache_parser().parse_args(argv[1:]), out, err)
        return cmd_browse(_browse_parser().parse_args(argv), err)
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
