"""`pith-tui cache fetch FILE|QUERY...`: take a reading list offline.

Every item is looked up cache first (a fresh cached record costs no request, so a run
that was interrupted resumes where it stopped), then fetched and verified with bounded
concurrency; the client retries politely (429/503 with Retry-After, see core/client.py).
Only verified or incomplete records are stored: a failed one is reported, never cached.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from typing import TextIO

from pith_tui.cli.cache_cmd import ProgressBar, ProgressLines
from pith_tui.cli.common import EXIT_FETCH, EXIT_NOT_VERIFIED, EXIT_OK, EXIT_USAGE, UsageError
from pith_tui.core.bibcheck import EntryResult, EntryVerdict, ErrorKind, check_planned
from pith_tui.core.reading_list import ReadingListError, read_items
from pith_tui.core.resolver import Resolver
from pith_tui.core.sanitize import clean_text
from pith_tui.core.vocab import ViewSource


def outcome(result: EntryResult) -> str:
    """One word for the summary: already cached, fetched, failed, not on Pith, error, skipped."""
    if result.verdict is EntryVerdict.NO_IDENTIFIER:
        return "without an arXiv id"
    if result.verdict is EntryVerdict.NOT_FOUND:
        return "not on Pith"
    if result.verdict is EntryVerdict.ERROR:
        return "could not be fetched" if result.error_kind is ErrorKind.FETCH else "error"
    if result.verdict is EntryVerdict.FAILED:
        return "failed verification (not stored)"
    if result.view is not None and result.view.source != ViewSource.NETWORK.value:
        return "already cached"
    return "fetched and verified" if result.verdict is EntryVerdict.VERIFIED else "incomplete"


def cmd_cache_fetch(args: argparse.Namespace, resolver: Resolver, out: TextIO, err: TextIO) -> int:
    try:
        planned = read_items(args.items)
    except ReadingListError as exc:
        print(f"pith-tui: {clean_text(exc)}", file=err)
        return EXIT_USAGE
    except OSError as exc:
        print(f"pith-tui: {clean_text(exc.filename)}: {clean_text(exc.strerror)}", file=err)
        return EXIT_USAGE
    if not planned:
        raise UsageError("pith-tui cache fetch: nothing to fetch in the given files")
    lookups = sum(1 for item in planned if item.query is not None)
    progress = ProgressBar(err) if err.isatty() else ProgressLines(err, verb="looked up")
    done = 0

    def on_result(index: int, result: EntryResult) -> None:
        nonlocal done
        if planned[index].query is not None:
            done += 1
            progress(done, lookups)
        if result.verdict not in (EntryVerdict.VERIFIED, EntryVerdict.NO_IDENTIFIER):
            if err.isatty():
                err.write("\r")
            print(
                f"{clean_text(result.key, max_chars=60)}: {outcome(result)}: "
                f"{clean_text(result.reason, max_chars=200)}",
                file=err,
            )

    async def run() -> list[EntryResult]:
        try:
            return await check_planned(
                planned, resolver.resolve, concurrency=args.concurrency, on_result=on_result
            )
        finally:
            await resolver.aclose()

    results = asyncio.run(run())
    counts = Counter(outcome(result) for result in results)
    order = (
        "fetched and verified",
        "already cached",
        "incomplete",
        "failed verification (not stored)",
        "not on Pith",
        "could not be fetched",
        "error",
        "without an arXiv id",
    )
    print(", ".join(f"{counts[word]} {word}" for word in order if counts[word]), file=out)
    if counts["failed verification (not stored)"] or counts["error"]:
        return EXIT_NOT_VERIFIED
    if counts["not on Pith"] or counts["could not be fetched"] or counts["incomplete"]:
        return EXIT_FETCH
    return EXIT_OK
