"""Shared machinery of the adversarial suite: run a thing without letting it crash the test,
run the CLI in-process, and prove the cache kept every good record.
"""

from __future__ import annotations

import io
import json
import os
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pith_tui.cli import main
from pith_tui.core.cache import Cache
from pith_tui.core.errors import PithError
from pith_tui.core.keys import TrustStore
from pith_tui.core.resolver import Resolver, verify_bytes
from pith_tui.core.verify import Verdict
from tests.adversarial.corpus import good_documents, unsafe_chars
from tests.signing import TEST_KEY, TEST_KEY_ID, key_json, test_trust

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
CLI_EXIT_CODES = frozenset({0, 1, 2, 3})


@dataclass
class Attempt:
    """What one library call did: returned `value`, raised a PithError, or crashed."""

    value: Any = None
    error: BaseException | None = None
    crashed: bool = False
    trace: str = ""

    @property
    def message(self) -> str:
        return str(self.error) if self.error is not None else ""


def attempt(fn: Callable[[], Any]) -> Attempt:
    """Call `fn`; a PithError is an answer, anything else is a crash (with its traceback)."""
    try:
        return Attempt(value=fn())
    except PithError as exc:
        return Attempt(error=exc)
    except BaseException as exc:
        return Attempt(error=exc, crashed=True, trace=traceback.format_exc())


async def attempt_async(coro: Any) -> Attempt:
    try:
        return Attempt(value=await coro)
    except PithError as exc:
        return Attempt(error=exc)
    except BaseException as exc:
        return Attempt(error=exc, crashed=True, trace=traceback.format_exc())


def one_line_reason(text: str) -> bool:
    """A reason a person can read: one non-empty line, no traceback or exception repr."""
    text = text.strip()
    return (
        bool(text)
        and "\n" not in text
        and "Traceback" not in text
        and "Error(" not in text
        and "<class " not in text
    )


@dataclass
class CliRun:
    argv: list[str]
    code: int | None
    out: str
    err: str
    crashed: bool
    trace: str = ""

    @property
    def sane(self) -> bool:
        """No escaped exception, no traceback on stderr, a documented exit code."""
        return not self.crashed and "Traceback" not in self.err and self.code in CLI_EXIT_CODES

    def json(self) -> Any:
        return json.loads(self.out)

    def unsafe(self) -> list[str]:
        """Terminal-unsafe characters in what a person reads (stdout and stderr)."""
        return unsafe_chars(self.out + self.err)


def run_cli(*argv: str) -> CliRun:
    """`pith_tui.cli.main(argv)` in-process; an escaping exception is recorded as a crash."""
    out, err = io.StringIO(), io.StringIO()
    args = [str(a) for a in argv]
    try:
        code = main(args, out=out, err=err)
    except SystemExit as exc:  # argparse --help/--version
        code = exc.code if isinstance(exc.code, int) else 2
        return CliRun(args, code, out.getvalue(), err.getvalue(), False)
    except BaseException as exc:
        return CliRun(
            args, None, out.getvalue(), err.getvalue(), True, f"{exc!r}\n{traceback.format_exc()}"
        )
    return CliRun(args, code, out.getvalue(), err.getvalue(), False)


def pin_test_key(config_dir: Path, rotates_at: str | None = None) -> None:
    """Pin the test key in a user config dir (what `pith-tui` reads as keys.json)."""
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "keys.json").write_text(json.dumps([key_json(TEST_KEY, TEST_KEY_ID, rotates_at)]))


# --- the cache must keep every good record --------------------------------------------------


def document_verdict(cache: Cache, trust: TrustStore, pith_id: str, kind: str) -> str | None:
    """The verdict of one cached document re-verified from its bytes now; None if absent.

    Checked independently of the resolver: it must parse, verify, and be the record of the
    id it is stored under ("failed" otherwise); a row that cannot be read is "damaged".
    """
    try:
        stored = cache.get(pith_id, kind)
        if stored is None:
            return None
        item = verify_bytes(stored.raw, trust, now=NOW)
    except (PithError, ValueError):
        return "damaged"
    return item.report.verdict.value if item.pith_id == pith_id else "failed"


def verdicts(cache: Cache, trust: TrustStore) -> dict[str, str]:
    """ "<pith id>/<kind>" -> verdict of every cached document."""
    result: dict[str, str] = {}
    for pith_id in cache.all_pith_ids():
        for kind in ("record", "bundle"):
            verdict = document_verdict(cache, trust, pith_id, kind)
            if verdict is not None:
                result[f"{pith_id}/{kind}"] = verdict
    return result


@dataclass
class CacheSnapshot:
    """The good records of a cache before a fault, to prove none was lost after it."""

    directory: Path
    before: dict[str, str]
    trust: TrustStore = field(repr=False)
    _reader: Cache | None = field(default=None, repr=False)

    @classmethod
    def take(cls, directory: Path, trust: TrustStore) -> CacheSnapshot:
        with Cache.open(directory) as cache:
            return cls(directory, verdicts(cache, trust), trust)

    @property
    def good(self) -> list[str]:
        """The documents ("<pith id>/<kind>") that verified before."""
        return sorted(d for d, v in self.before.items() if v == Verdict.VERIFIED.value)

    def lost(self, exclude: Iterable[str] = (), directory: Path | None = None) -> list[str]:
        """Documents that verified before and are now gone or no longer verify.

        `exclude`: Pith ids the test damaged on purpose (all their documents are skipped).
        """
        skip = set(exclude)
        lost = []
        if directory is None and self._reader is not None:
            cache = self._reader  # one long-lived reader: WAL shows it every commit
        else:
            cache = Cache.open(directory or self.directory)
        try:
            for document in self.good:
                pith_id, kind = document.split("/")
                if pith_id in skip:
                    continue
                if document_verdict(cache, self.trust, pith_id, kind) != Verdict.VERIFIED.value:
                    lost.append(document)
        finally:
            if cache is not self._reader:
                cache.close()
        return lost

    def keep_reader(self) -> None:
        """Reuse one connection for `lost()` (only while nobody replaces the file)."""
        self._reader = Cache.open(self.directory)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


def fill_cache(directory: Path, trust: TrustStore | None = None) -> dict[str, str]:
    """A cache with the shipped samples and the good test documents; label -> pith id."""
    trust = trust or test_trust()
    labels: dict[str, str] = {}
    with Cache.open(directory) as cache:
        resolver = Resolver(cache, trust, base_url="http://127.0.0.1:9", offline=True)
        resolver.ensure_samples()
        for label, raw in good_documents().items():
            item = resolver.verify_bytes(raw)
            assert item.report.verdict is Verdict.VERIFIED, (label, item.report.checks)
            resolver.store(item, source="file")
            labels[label] = item.pith_id
    return labels


# --- one document case, through the library and the CLI -------------------------------------


def library_verdict(raw: bytes, trust: TrustStore) -> tuple[str, Attempt]:
    """("verified" | "failed" | "incomplete" | "rejected" | "error" | "crash", the attempt)."""
    from pith_tui.core.errors import RecordFormatError

    result = attempt(lambda: verify_bytes(raw, trust, now=NOW))
    if result.crashed:
        return "crash", result
    if result.error is not None:
        return ("rejected" if isinstance(result.error, RecordFormatError) else "error"), result
    return result.value.report.verdict.value, result


def verdict_line_problems(out: str, expect: str) -> list[str]:
    """Human output of one target has exactly one line that reads as a verdict ("=> X"),
    the last one, and it is the expected one: no record text can pass for a verdict."""
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    verdicts = [line for line in lines if line.startswith("=>")]
    if expect == "rejected":
        return [f"cli: a verdict line for a rejected document: {verdicts}"] if verdicts else []
    if len(verdicts) != 1 or lines[-1] != f"=> {expect.upper()}":
        return [f"cli: verdict lines {verdicts[:3]} (expected one, last: => {expect.upper()})"]
    return []


def provenance_problems(data: Any, expected: Iterable[tuple[str, str]]) -> list[str]:
    """`verify --json` reports each field with the expected provenance."""
    fields = data.get("fields") or {}
    problems = []
    for name, provenance in expected:
        got = (fields.get(name) or {}).get("provenance")
        if got != provenance:
            problems.append(f"cli-json: field {name} is {got!r}, not {provenance!r}")
    return problems


def not_signed_line_problems(out: str, expected: Iterable[tuple[str, str]]) -> list[str]:
    """The human output names every expected-unsigned field on its "not signed:" line, and
    no field expected to be signed."""
    line = next((x.strip() for x in out.splitlines() if x.strip().startswith("not signed:")), "")
    named = set(line.removeprefix("not signed:").replace(",", " ").split())
    problems = []
    for name, provenance in expected:
        if (provenance == "unsigned") != (name in named):
            problems.append(f"cli: {name} ({provenance}) and the line {line!r}")
    return problems


def cli_verdict(run: CliRun, *, as_json: bool) -> str:
    """The verdict a CLI run reports: from --json output, or from the human "=> X" line."""
    if not run.sane:
        return "crash"
    if as_json:
        try:
            data = run.json()
        except ValueError:
            return "bad-json"
        verdict = data.get("verdict")
        return (
            "rejected" if verdict == "error" and data.get("error_kind") == "usage" else str(verdict)
        )
    lines = [line.strip() for line in run.out.splitlines() if line.strip()]
    if lines and lines[-1].startswith("=> "):
        return lines[-1][3:].lower()
    return "rejected" if run.code == 2 else "none"


def drops_cached_events(snapshot: CacheSnapshot, item: Any) -> bool:
    """Whether `item` is a bundle that lacks an event of the bundle cached for its paper
    (the rollback rule refuses it), read from the raw documents, not from the rule's code."""
    if item.document.kind != "bundle":
        return False
    with Cache.open(snapshot.directory) as cache:
        cached = cache.get(item.pith_id, "bundle")
    if cached is None:
        return False
    cached_ids = {event.get("event_id") for event in json.loads(cached.raw).get("events", [])}
    return not cached_ids <= {event.event_id for event in item.document.events}


def exercise_document_case(
    case: Any,
    robustness: Any,
    workdir: Path,
    snapshot: CacheSnapshot,
    *,
    import_into_cache: bool = True,
) -> list[str]:
    """Run one `DocCase` through `verify_bytes`, `pith-tui verify FILE` (human and --json) and
    `pith-tui cache import FILE`, record each outcome, and return what differed from the
    case's expectations (empty: all as expected). The test asserts on the result, so every
    outcome is recorded before anything fails.
    """
    from pith_tui.core.verify import Status

    problems: list[str] = []
    trust = test_trust(case.rotates_at)
    pin_test_key(Path(os.environ["PITH_TUI_CONFIG_DIR"]), case.rotates_at)
    raw = case.build()
    expect = case.expect

    # The library.
    got, result = library_verdict(raw, trust)
    lib = robustness.case(case.category, case.id, via="library", expected=expect)
    lib.got, lib.crashed = got, got == "crash"
    lib.false_verified = got == "verified" and expect != "verified"
    if got != expect:
        problems.append(f"library: expected {expect}, got {got}: {result.message or result.trace}")
    if got == "rejected":
        if not one_line_reason(result.message):
            problems.append(f"library: reason is not one line: {result.message!r}")
        missing = [w for w in case.words if w.lower() not in result.message.lower()]
        if missing:
            problems.append(f"library: reason {result.message!r} lacks {missing}")
    elif result.value is not None:
        report = result.value.report
        statuses = {c.id: c.status for c in report.checks}
        for check_id in case.fails:
            if statuses.get(check_id) is not Status.FAIL:
                problems.append(f"library: {check_id} is {statuses.get(check_id)}, not fail")
        for check_id in case.unchecked:
            if statuses.get(check_id) is not Status.NOT_CHECKED:
                problems.append(f"library: {check_id} is {statuses.get(check_id)}, not not_checked")
        for check in report.checks:
            if check.status is not Status.PASS and not one_line_reason(check.detail):
                problems.append(f"library: {check.id} detail is not one line")

    # The CLI, human and --json.
    path = workdir / f"{case.category}-{case.id}.json"
    path.write_bytes(raw)
    for as_json in (False, True):
        argv = [
            "verify",
            "--cache-dir",
            str(snapshot.directory),
            *(["--json"] if as_json else []),
            str(path),
        ]
        run = run_cli(*argv)
        via = "cli-json" if as_json else "cli"
        cli_got = cli_verdict(run, as_json=as_json)
        out = robustness.case(case.category, case.id, via=via, expected=expect)
        out.got, out.crashed = cli_got, not run.sane
        out.false_verified = expect != "verified" and (cli_got == "verified" or run.code == 0)
        if not run.sane:
            problems.append(f"{via}: not sane (exit {run.code}): {run.err[-500:]} {run.trace}")
            continue
        if run.code != case.exit_code or cli_got != expect:
            problems.append(
                f"{via}: expected {expect}/exit {case.exit_code}, got {cli_got}/exit {run.code}"
            )
        if run.unsafe():
            problems.append(f"{via}: terminal-unsafe characters in the output: {run.unsafe()[:5]}")
        if not as_json:
            problems += verdict_line_problems(run.out, expect)
            problems += not_signed_line_problems(run.out, case.provenance)
        if expect == "rejected" and not as_json:
            lines = run.err.strip().splitlines()
            if len(lines) != 1 or ": error: " not in lines[0]:
                problems.append(f"{via}: the error is not one line on stderr: {run.err!r}")
        if as_json:
            try:
                data = run.json()
            except ValueError:
                problems.append(f"{via}: the output is not JSON")
            else:
                if expect == "rejected" and not one_line_reason(str(data.get("error", ""))):
                    problems.append(f"{via}: the error is not one line: {data.get('error')!r}")
                problems += provenance_problems(data, case.provenance)

    # Importing it into the cache must store only what does not fail, and lose nothing.
    if import_into_cache:
        # An incomplete document is stored, unless a verified copy of it is already cached.
        twin = ""
        if result.value is not None:
            twin = f"{result.value.pith_id}/{result.value.document.kind}"
        # A bundle lacking an event the cached bundle of its paper has is a rollback: refused.
        dropped = result.value is not None and drops_cached_events(snapshot, result.value)
        should_store = not dropped and (
            expect == "verified" or (expect == "incomplete" and twin not in snapshot.good)
        )
        run = run_cli("cache", "--cache-dir", str(snapshot.directory), "import", str(path))
        imp = robustness.case(case.category, case.id, via="cache-import", expected=expect)
        imp.crashed = not run.sane
        stored = run.sane and run.code == 0
        imp.got = "stored" if stored else "not stored"
        imp.false_verified = expect != "verified" and ", verified" in run.out
        lost = snapshot.lost()
        imp.data_lost = bool(lost)
        if not run.sane:
            problems.append(
                f"cache import: not sane (exit {run.code}): {run.err[-500:]} {run.trace}"
            )
        elif stored != should_store:
            problems.append(f"cache import: stored={stored} for a {expect} document: {run.out!r}")
        if lost:
            problems.append(f"cache import: good documents lost or no longer verified: {lost}")
        if run.unsafe():
            problems.append(
                f"cache import: terminal-unsafe characters in the output: {run.unsafe()[:5]}"
            )
    return problems
