"""`pith-tui verify TARGET...`: verify files or identifiers, for people and CI jobs."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from pith_tui.cli.common import (
    EXIT_FETCH,
    EXIT_NOT_VERIFIED,
    EXIT_OK,
    EXIT_USAGE,
    Parser,
    UsageError,
    add_common_options,
    dump_json,
    print_notices,
    session_for,
)
from pith_tui.core.bibcheck import DEFAULT_CONCURRENCY
from pith_tui.core.errors import FetchError, PithError, QueryError, RecordFormatError
from pith_tui.core.ids import Query, parse_query
from pith_tui.core.provenance import FieldName
from pith_tui.core.sanitize import clean_text
from pith_tui.core.session import Session
from pith_tui.core.verify import Report
from pith_tui.core.view import SOURCE_LABELS, RecordView
from pith_tui.core.vocab import Verdict


def verify_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="pith-tui verify", description="Verify Pith records and bundles: files or identifiers."
    )
    parser.add_argument(
        "targets",
        nargs="*",
        metavar="TARGET",
        help="a file, or a Pith Number / short id / arXiv id / DOI",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--bib",
        metavar="FILE",
        type=Path,
        help="check every arXiv reference of a .bib file: verified record and signed title",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"with --bib: lookups at once (default {DEFAULT_CONCURRENCY})",
    )
    add_common_options(parser)
    return parser


def _kind(view: RecordView) -> str:
    return "+".join(label for label, _ in view.document_reports)


def _view_json(target: str, view: RecordView) -> dict[str, Any]:
    checks = []
    for label, report in view.reports:
        for item in report.to_json()["checks"]:
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
        "fields": {name.value: item.to_json() for name, item in view.fields.items()},
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
    title = clean_text(view.fields[FieldName.TITLE].text, max_chars=100)
    print(
        f"{clean_text(target)}: {clean_text(view.pith_number)} ({_kind(view)}, {SOURCE_LABELS.get(view.source, view.source)})",
        file=out,
    )
    if title:  # labelled: an unsigned title such as "=> VERIFIED" must not pass for a verdict
        print(f"  title: {title}", file=out)
    many = len(view.reports) > 1
    for label, report in view.reports:
        _print_report(report, label if many else "", out)
    unsigned = view.unsigned
    if unsigned:
        print(f"  not signed: {', '.join(name.value for name in unsigned)}", file=out)
    for note in view.notes:
        print(f"  note: {clean_text(note)}", file=out)
    print(f"  => {view.verdict.value.upper()}", file=out)


def _looks_like_path(target: str) -> bool:
    return (
        os.sep in target and not target.lower().startswith(("http:", "https:"))
    ) or target.endswith((".json", ".txt", ".html"))


def _as_query(target: str) -> Query | None:
    try:
        return parse_query(target)
    except QueryError:
        return None


def _file_target(target: str) -> Path | None:
    """The file `target` names, or None when it is to be looked up.

    Refused (`UsageError`) when it is ambiguous - an existing file whose name is also a
    valid query, which could silently mean either - with the way to say each; when it
    looks like a path but nothing is there; or when it is a folder.
    """
    path = Path(target)
    try:
        exists, folder = path.exists(), path.is_dir()
    except (OSError, ValueError):  # a name the OS cannot even look up (NUL, too long)
        exists = folder = False
    query = _as_query(target)
    if exists and query is not None:
        other = next(
            (form for form in query.forms() if form != target and not Path(form).exists()),
            query.forms()[-1],
        )
        raise UsageError(
            f"{target} is both a file here and a record to look up: write ./{target} "
            f"for the file, or {other} for the record"
        )
    if query is not None:
        return None
    if folder:
        raise UsageError(f"{target} is a folder, not a document file")
    if exists:
        return path
    if _looks_like_path(target):
        raise UsageError(f"no such file: {target}")
    return None


async def _verify_targets(
    session: Session, targets: Sequence[str]
) -> list[tuple[str, RecordView | None, int, str]]:
    results: list[tuple[str, RecordView | None, int, str]] = []
    resolver = session.resolver
    try:
        for target in targets:
            try:
                path = _file_target(target)
                if path is not None:
                    view = resolver.view_from_file(path)
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
    if args.bib is not None:
        if args.targets:
            raise UsageError("pith-tui verify: give either --bib FILE or targets, not both")
        from pith_tui.cli.bib_cmd import cmd_verify_bib

        return cmd_verify_bib(args, args.bib, out, err)
    if not args.targets:
        raise UsageError(
            "pith-tui verify: the following arguments are required: TARGET (or --bib FILE)"
        )
    session = session_for(args)
    print_notices(session, err)
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
        dump_json(items[0] if len(items) == 1 else items, out)
    else:
        for target, view, _code, message in results:
            if view is not None:
                _print_view(target, view, out)
            else:
                print(f"{clean_text(target)}: error: {clean_text(message)}", file=err)
    return _overall([code for _, _, code, _ in results])
