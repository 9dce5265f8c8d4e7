"""Disk faults (issue #5, "Disk faults"): a broken cache never crashes pith-tui, never makes
it say "verified" for what is not, and never costs a record the fault did not itself destroy.

We run as root, so chmod cannot make anything read-only. The techniques used instead:
* an unwritable cache folder is a path *under a regular file* (mkdir fails: NotADirectoryError);
* a read-only or full disk is simulated by wrapping the SQLite connection the cache opens
  (`cache._connect` monkeypatched): chosen statements raise the `sqlite3.OperationalError`
  SQLite itself raises ("attempt to write a readonly database", "database or disk is full");
* files are damaged by writing to them directly (garbage, truncation, edited rows).
"Data lost" means a document that verified before the fault and that the fault did not itself
overwrite is gone or no longer verifies; a damaged cache file must be kept (moved aside), not
deleted.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from pith_tui.core.cache import CACHE_FILE_NAME, Cache
from pith_tui.core.cache import sqlite as cache_sqlite
from pith_tui.core.cache.documents import decode as stored_bytes
from pith_tui.core.keys import TrustStore
from pith_tui.core.resolver import Resolver
from tests.adversarial.conftest import Robustness
from tests.adversarial.corpus import good_documents
from tests.adversarial.harness import (
    CacheSnapshot,
    attempt,
    attempt_async,
    document_verdict,
    one_line_reason,
    run_cli,
)
from tests.cache_support import lookup
from tests.signing import dumps, make_record

ROOT = Path(__file__).resolve().parents[2]
FRESH = make_record("2403.50001", title="Fetched While The Disk Misbehaves")
FRESH_ID = FRESH["pith_number"].rsplit(":", 1)[1]


# --- helpers --------------------------------------------------------------------------------


class FaultyConnection:
    """A sqlite3.Connection whose matching statements raise like a broken disk would."""

    def __init__(self, inner: sqlite3.Connection, fails: Callable[[str], str | None]) -> None:
        self._inner = inner
        self._fails = fails
        self.refused: list[str] = []

    def _check(self, sql: str) -> None:
        message = self._fails(sql)
        if message:
            self.refused.append(sql.split()[0] if sql.split() else sql)
            raise sqlite3.OperationalError(message)

    def execute(self, sql: str, *args: Any) -> Any:
        self._check(sql)
        return self._inner.execute(sql, *args)

    def executemany(self, sql: str, *args: Any) -> Any:
        self._check(sql)
        return self._inner.executemany(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


READ_ONLY = "attempt to write a readonly database"
DISK_FULL = "database or disk is full"


def _writes(sql: str) -> bool:
    head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    return head in ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN", "CREATE")


@contextmanager
def faulty_disk(
    monkeypatch: pytest.MonkeyPatch, fails: Callable[[str], str | None]
) -> Iterator[list[FaultyConnection]]:
    """Every cache opened inside the block gets a FaultyConnection."""
    made: list[FaultyConnection] = []
    original = cache_sqlite.connect

    def connect(path: Path, *schema: Any) -> Any:
        connection = FaultyConnection(original(path, *schema), fails)
        made.append(connection)
        return connection

    with monkeypatch.context() as patch:
        patch.setattr(cache_sqlite, "connect", connect)
        yield made


def _db(cache_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(cache_dir / CACHE_FILE_NAME, isolation_level=None)


def _edit(cache_dir: Path, sql: str, *params: Any) -> None:
    db = _db(cache_dir)
    try:
        db.execute(sql, params)
    finally:
        db.close()


def _id_of(label: str) -> str:
    raw = good_documents()[label]
    return json.loads(raw)["pith_number"].rsplit(":", 1)[1]


def _arxiv_of(label: str) -> str:
    return json.loads(good_documents()[label])["source"]["id"]


def _lookup(
    cache_dir: Path, trust: TrustStore, query: str, *, offline: bool = True, transport: Any = None
) -> Any:
    """resolve(query) with a fresh Cache on `cache_dir`; an Attempt."""
    import asyncio

    async def run() -> Any:
        with Cache.open(cache_dir) as cache:
            resolver = Resolver(
                cache, trust, base_url="http://pith.test", offline=offline, transport=transport
            )
            try:
                return await attempt_async(resolver.resolve(query))
            finally:
                await resolver.aclose()

    return asyncio.run(run())


def _serve_fresh(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/pith/2403.50001.json":
        return httpx.Response(
            200, content=dumps(FRESH), headers={"Content-Type": "application/json"}
        )
    return httpx.Response(404)


def _verdict_of(result: Any) -> str:
    if result.crashed:
        return "crash"
    if result.error is not None:
        return type(result.error).__name__
    return result.value.verdict.value


def _finish(outcome: Any, problems: list[str]) -> None:
    outcome.got = outcome.got or ("as expected" if not problems else "; ".join(problems)[:200])
    assert not problems, "\n".join(problems)


# --- damaged files --------------------------------------------------------------------------


def _kept_aside(cache_dir: Path, original: bytes) -> bool:
    """The damaged file was moved aside byte for byte (never deleted)."""
    return any(p.read_bytes() == original for p in cache_dir.glob(f"{CACHE_FILE_NAME}.broken-*"))


FILE_DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "garbage-file": lambda data: os.urandom(len(data)),
    "garbage-header": lambda data: b"\xde\xad\xbe\xef" * 25 + data[100:],
    "truncated-half": lambda data: data[: len(data) // 2],
    "truncated-to-one-page": lambda data: data[:4096],
    "truncated-mid-header": lambda data: data[:50],
    "text-file": lambda data: b"this is not a database\n" * 10,
}


@pytest.mark.parametrize("damage", list(FILE_DAMAGE))
def test_a_damaged_cache_file(
    damage: str,
    robustness: Robustness,
    cache_dir: Path,
    snapshot: CacheSnapshot,
    trust: TrustStore,
    pinned: Path,
    tmp_path: Path,
) -> None:
    outcome = robustness.case("disk", damage, via="cli", expected="recovered or intact")
    path = cache_dir / CACHE_FILE_NAME
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    damaged = FILE_DAMAGE[damage](path.read_bytes())
    path.write_bytes(damaged)
    record = tmp_path / "good.json"
    record.write_bytes(good_documents()["good-record"])

    run = run_cli("verify", "--cache-dir", cache_dir, record)
    listing = run_cli("cache", "--cache-dir", cache_dir, "list", "--json")
    problems = []
    outcome.crashed = not (run.sane and listing.sane)
    if not run.sane or not listing.sane:
        problems.append(
            f"not sane: {run.err[-300:]} {run.trace} {listing.err[-300:]} {listing.trace}"
        )
    elif run.code != 0:
        problems.append(f"a good file no longer verifies with a damaged cache: exit {run.code}")
    moved = _kept_aside(cache_dir, damaged)
    if moved:
        notice = [line for line in run.err.splitlines() if "kept as" in line]
        if len(notice) != 1 or not one_line_reason(notice[0]):
            problems.append(f"no one-line notice that the cache was moved aside: {run.err!r}")
    else:
        # Still in place: whatever SQLite can read must be what it was, never "verified" wrongly.
        lost = snapshot.lost()
        outcome.data_lost = bool(lost) and damage not in ("truncated-half", "truncated-to-one-page")
        with Cache.open(cache_dir) as cache:
            for document in snapshot.good:
                pith_id, kind = document.split("/")
                verdict = document_verdict(cache, trust, pith_id, kind)
                if verdict not in (None, "verified", "damaged", "failed"):
                    problems.append(f"{document} reads back as {verdict}")
    if any(p.name.endswith(".broken") for p in cache_dir.iterdir()):
        problems.append("unexpected file name")
    outcome.got = "moved aside, kept" if moved else "read in place"
    _finish(outcome, problems)


def test_an_empty_cache_file_is_started_fresh(
    robustness: Robustness, cache_dir: Path, pinned: Path
) -> None:
    outcome = robustness.case("disk", "zero-byte-file", via="cli", expected="fresh cache")
    path = cache_dir / CACHE_FILE_NAME
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(b"")
    run = run_cli("cache", "--cache-dir", cache_dir, "list", "--json")
    outcome.crashed = not run.sane
    problems = [] if run.sane and run.code == 0 else [f"exit {run.code}: {run.err}{run.trace}"]
    _finish(outcome, problems)


def test_a_garbage_wal_file_is_ignored(
    robustness: Robustness, cache_dir: Path, snapshot: CacheSnapshot, pinned: Path
) -> None:
    outcome = robustness.case("disk", "garbage-wal", via="cli", expected="intact")
    Path(f"{cache_dir / CACHE_FILE_NAME}-wal").write_bytes(os.urandom(64 * 1024))
    run = run_cli("cache", "--cache-dir", cache_dir, "list", "--json")
    outcome.crashed = not run.sane
    lost = snapshot.lost()
    outcome.data_lost = bool(lost)
    problems = [] if run.sane else [f"not sane: {run.err}{run.trace}"]
    if lost:
        problems.append(f"lost: {lost}")
    _finish(outcome, problems)


def test_the_cache_file_is_a_directory(
    robustness: Robustness, tmp_path: Path, pinned: Path
) -> None:
    outcome = robustness.case("disk", "file-is-a-directory", via="cli", expected="temporary cache")
    folder = tmp_path / "odd-cache"
    (folder / CACHE_FILE_NAME).mkdir(parents=True)
    record = tmp_path / "good.json"
    record.write_bytes(good_documents()["good-record"])
    run = run_cli("verify", "--cache-dir", folder, record)
    outcome.crashed = not run.sane
    problems = [] if run.sane and run.code == 0 else [f"exit {run.code}: {run.err}{run.trace}"]
    if run.sane and not any(
        one_line_reason(line) and "cache" in line for line in run.err.splitlines()
    ):
        problems.append(f"no notice about the unusable cache: {run.err!r}")
    _finish(outcome, problems)


def test_an_unwritable_cache_folder(robustness: Robustness, tmp_path: Path, pinned: Path) -> None:
    """As root, a path under a regular file is the folder that cannot be created."""
    outcome = robustness.case("disk", "read-only-folder", via="cli", expected="temporary cache")
    blocker = tmp_path / "a-regular-file"
    blocker.write_text("not a folder")
    record = tmp_path / "good.json"
    record.write_bytes(good_documents()["good-record"])
    run = run_cli("verify", "--cache-dir", blocker / "cache", record)
    imported = run_cli("cache", "--cache-dir", blocker / "cache", "import", record)
    outcome.crashed = not (run.sane and imported.sane)
    problems = []
    if not run.sane or run.code != 0:
        problems.append(f"verify: exit {run.code}: {run.err}{run.trace}")
    notices = [line for line in run.err.splitlines() if "temporary cache" in line]
    if len(notices) != 1 or not one_line_reason(notices[0]):
        problems.append(f"no one-line notice of the temporary cache: {run.err!r}")
    if not imported.sane:
        problems.append(f"import: {imported.err}{imported.trace}")
    if blocker.read_text() != "not a folder":
        problems.append("the file in the way was changed")
    _finish(outcome, problems)


# --- writes that fail -----------------------------------------------------------------------


WRITE_FAULTS: dict[str, tuple[Callable[[str], str | None], str]] = {
    "read-only-database": (lambda sql: READ_ONLY if _writes(sql) else None, "read-only"),
    "disk-full-on-document": (
        lambda sql: DISK_FULL if "INTO documents" in sql else None,
        "disk is full",
    ),
    "disk-full-on-aliases": (
        lambda sql: DISK_FULL if "INTO aliases" in sql else None,
        "disk is full",
    ),
    "disk-full-on-commit": (
        lambda sql: DISK_FULL if sql.strip().upper() == "COMMIT" else None,
        "disk is full",
    ),
    "disk-full-on-history": (
        lambda sql: DISK_FULL if "history" in sql and _writes(sql) else None,
        "",
    ),
    "disk-io-error": (
        lambda sql: "disk I/O error" if "INTO entries" in sql else None,
        "disk read or write",
    ),
}


@pytest.mark.parametrize("fault", list(WRITE_FAULTS))
def test_a_write_that_fails_while_fetching(
    fault: str,
    robustness: Robustness,
    cache_dir: Path,
    snapshot: CacheSnapshot,
    trust: TrustStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A record fetched while the disk refuses writes is still shown (verified, "not cached");
    the transaction leaves nothing half-written; every good record survives."""
    fails, words = WRITE_FAULTS[fault]
    outcome = robustness.case("disk", fault, via="resolver", expected="verified, not cached")
    with faulty_disk(monkeypatch, fails) as made:
        result = _lookup(
            cache_dir,
            trust,
            "2403.50001",
            offline=False,
            transport=httpx.MockTransport(_serve_fresh),
        )
    got = _verdict_of(result)
    outcome.got, outcome.crashed = got, result.crashed
    problems = []
    if got != "verified":
        problems.append(
            f"expected the fetched record, verified; got {got}: {result.message}{result.trace}"
        )
    notes = " ".join(result.value.notes) if result.value is not None else ""
    if words and words not in notes:
        problems.append(f"no note saying why it was not cached ({words!r}): {notes!r}")
    if not any(c.refused for c in made):
        problems.append("the fault never fired")
    with Cache.open(cache_dir) as cache:
        stored = FRESH_ID in cache.all_pith_ids() or lookup(cache, "2403.50001") is not None
        half = cache.get(FRESH_ID, "record") is None and FRESH_ID in cache.all_pith_ids()
    if words and stored:
        problems.append("the record was cached although the write failed")
    if half:
        problems.append("an entry without its document was left behind")
    lost = snapshot.lost()
    outcome.data_lost = bool(lost)
    if lost:
        problems.append(f"lost: {lost}")
    _finish(outcome, problems)


@pytest.mark.parametrize("fault", ["read-only-database", "disk-full-on-document"])
def test_an_import_when_the_disk_refuses(
    fault: str,
    robustness: Robustness,
    cache_dir: Path,
    snapshot: CacheSnapshot,
    monkeypatch: pytest.MonkeyPatch,
    pinned: Path,
    tmp_path: Path,
) -> None:
    fails, words = WRITE_FAULTS[fault]
    outcome = robustness.case("disk", f"import-{fault}", via="cli", expected="not stored, exit 1")
    path = tmp_path / "fresh.json"
    path.write_bytes(dumps(FRESH))
    with faulty_disk(monkeypatch, fails):
        run = run_cli("cache", "--cache-dir", cache_dir, "import", path)
    outcome.crashed = not run.sane
    problems = []
    if not run.sane or run.code != 1:
        problems.append(f"exit {run.code}: {run.out}{run.err}{run.trace}")
    elif words not in run.out or not one_line_reason(run.out):
        problems.append(f"no one-line reason naming {words!r}: {run.out!r}")
    lost = snapshot.lost()
    outcome.data_lost = bool(lost)
    if lost:
        problems.append(f"lost: {lost}")
    _finish(outcome, problems)


def test_a_tampered_cached_record_on_a_read_only_disk(
    robustness: Robustness,
    cache_dir: Path,
    snapshot: CacheSnapshot,
    trust: TrustStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The failed verdict is shown even when remembering it in the listing cannot be written."""
    outcome = robustness.case(
        "disk", "tampered-on-read-only-disk", via="resolver", expected="failed"
    )
    victim = _id_of("good-record")
    _tamper_title(cache_dir, victim)
    with faulty_disk(monkeypatch, lambda sql: READ_ONLY if _writes(sql) else None):
        result = _lookup(cache_dir, trust, _arxiv_of("good-record"))
    got = _verdict_of(result)
    outcome.got, outcome.crashed = got, result.crashed
    outcome.false_verified = got == "verified"
    problems = (
        [] if got == "failed" else [f"expected failed, got {got}: {result.message}{result.trace}"]
    )
    lost = snapshot.lost(exclude=[victim])
    outcome.data_lost = bool(lost)
    if lost:
        problems.append(f"lost: {lost}")
    _finish(outcome, problems)


# --- concurrent writers ---------------------------------------------------------------------


def test_two_processes_writing_at_once(
    robustness: Robustness,
    cache_dir: Path,
    snapshot: CacheSnapshot,
    trust: TrustStore,
    pinned: Path,
    tmp_path: Path,
) -> None:
    outcome = robustness.case("disk", "two-writers", via="cli", expected="all stored")
    files = []
    for index in range(8):
        path = tmp_path / f"r{index}.json"
        path.write_bytes(dumps(make_record(f"2403.6{index:04d}", title=f"Concurrent {index}")))
        files.append(path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "pith_tui", "cache", "--cache-dir", str(cache_dir), "import"]
    # Both import the shared middle files; each also has its own.
    procs = [
        subprocess.Popen(
            [*command, *map(str, files[:6])],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        ),
        subprocess.Popen(
            [*command, *map(str, files[2:])],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        ),
    ]
    results = [p.communicate(timeout=60) for p in procs]
    problems = []
    for proc, (out, err) in zip(procs, results, strict=True):
        if proc.returncode != 0 or b"Traceback" in err:
            problems.append(f"exit {proc.returncode}: {out.decode()} {err.decode()}")
    outcome.crashed = any(b"Traceback" in err for _, err in results)
    with Cache.open(cache_dir) as cache:
        for index in range(8):
            pith_id = lookup(cache, f"2403.6{index:04d}")
            if pith_id is None or document_verdict(cache, trust, pith_id, "record") != "verified":
                problems.append(f"record {index} is missing or does not verify")
    lost = snapshot.lost()
    outcome.data_lost = bool(lost) or any("missing" in p for p in problems)
    if lost:
        problems.append(f"lost: {lost}")
    _finish(outcome, problems)


# --- a cache edited on disk -----------------------------------------------------------------


def _tamper_title(cache_dir: Path, pith_id: str) -> None:
    db = _db(cache_dir)
    try:
        raw, encoding = db.execute(
            "SELECT raw, encoding FROM documents WHERE pith_id = ? AND kind = 'record'",
            (pith_id,),
        ).fetchone()
        doc = json.loads(stored_bytes(raw, encoding))
        doc["paper"]["title"] = "A Title Nobody Signed"
        db.execute(
            "UPDATE documents SET raw = ? WHERE pith_id = ? AND kind = 'record'",
            (dumps(doc), pith_id),
        )
    finally:
        db.close()


def _tamper_canonical(cache_dir: Path, pith_id: str) -> None:
    db = _db(cache_dir)
    try:
        raw, encoding = db.execute(
            "SELECT raw, encoding FROM documents WHERE pith_id = ? AND kind = 'record'",
            (pith_id,),
        ).fetchone()
        doc = json.loads(stored_bytes(raw, encoding))
        doc["canonical_record"]["metadata"]["primary_cat"] = "cs.CR"
        db.execute(
            "UPDATE documents SET raw = ? WHERE pith_id = ? AND kind = 'record'",
            (dumps(doc), pith_id),
        )
    finally:
        db.close()


def _swap_raw(cache_dir: Path, pith_id: str) -> None:
    other = _id_of("good-record-2")
    _edit(
        cache_dir,
        "UPDATE documents SET raw = (SELECT raw FROM documents WHERE pith_id = ? AND kind = 'record') "
        "WHERE pith_id = ? AND kind = 'record'",
        other,
        pith_id,
    )


def _repoint_alias(cache_dir: Path, pith_id: str) -> None:
    _edit(
        cache_dir,
        "UPDATE aliases SET pith_id = ? WHERE key = ?",
        _id_of("good-record-2"),
        _arxiv_of("good-record"),
    )


def _repoint_document(cache_dir: Path, pith_id: str) -> None:
    """The other record's document row re-filed under this id, as the newest."""
    _edit(
        cache_dir,
        "UPDATE documents SET pith_id = ?, fetched_at = '2099-01-01T00:00:00.000000+00:00' "
        "WHERE pith_id = ? AND kind = 'record'",
        pith_id,
        _id_of("good-record-2"),
    )


CACHE_EDITS: dict[str, tuple[Callable[[Path, str], None], tuple[str, ...], tuple[str, ...]]] = {
    # edit -> (how, acceptable outcomes of looking the victim up, ids the edit damages)
    "edited-title": (_tamper_title, ("failed",), ("good-record",)),
    "edited-signed-field": (_tamper_canonical, ("failed",), ("good-record",)),
    "garbage-bytes": (
        lambda d, i: _edit(d, "UPDATE documents SET raw = ? WHERE pith_id = ?", b"\x00garbage{", i),
        ("CacheError",),
        ("good-record",),
    ),
    "raw-as-text": (
        lambda d, i: _edit(
            d, "UPDATE documents SET raw = 'plain text, not bytes' WHERE pith_id = ?", i
        ),
        ("CacheError",),
        ("good-record",),
    ),
    "raw-as-huge-integer": (
        lambda d, i: _edit(d, "UPDATE documents SET raw = 4000000000000 WHERE pith_id = ?", i),
        ("CacheError",),
        ("good-record",),
    ),
    "verdict-column-forged": (
        lambda d, i: (
            _tamper_title(d, i),
            _edit(d, "UPDATE entries SET verdict = 'verified' WHERE pith_id = ?", i),
        ),
        ("failed",),
        ("good-record",),
    ),
    "swapped-documents": (_swap_raw, ("CacheError", "failed"), ("good-record",)),
    "repointed-alias": (_repoint_alias, ("CacheError", "failed", "verified-correct"), ()),
    "repointed-document": (
        _repoint_document,
        ("CacheError", "failed"),
        ("good-record", "good-record-2"),
    ),
    "fetched-at-garbage": (
        lambda d, i: _edit(d, "UPDATE documents SET fetched_at = 'yesterday' WHERE pith_id = ?", i),
        ("verified-correct",),
        (),
    ),
    "fetched-at-naive": (
        lambda d, i: _edit(
            d, "UPDATE documents SET fetched_at = '2026-01-01T00:00:00' WHERE pith_id = ?", i
        ),
        ("verified-correct",),
        (),
    ),
    "entry-times-garbage": (
        lambda d, i: _edit(d, "UPDATE entries SET fetched_at = 'soon' WHERE pith_id = ?", i),
        ("verified-correct",),
        (),
    ),
}


@pytest.mark.parametrize("edit", list(CACHE_EDITS))
def test_a_cache_edited_on_disk(
    edit: str,
    robustness: Robustness,
    cache_dir: Path,
    snapshot: CacheSnapshot,
    trust: TrustStore,
    pinned: Path,
) -> None:
    how, acceptable, damaged = CACHE_EDITS[edit]
    victim = _id_of("good-record")
    how(cache_dir, victim)
    query = _arxiv_of("good-record")
    outcome = robustness.case(
        "disk", f"cache-{edit}", via="resolver", expected="/".join(acceptable)
    )
    result = _lookup(cache_dir, trust, query)
    got = _verdict_of(result)
    if got == "verified":
        view = result.value
        right = (
            view.pith_id == victim and view.arxiv_id == query and view.pith_number.endswith(victim)
        )
        got = "verified-correct" if right else "verified-wrong-paper"
    outcome.got, outcome.crashed = got, result.crashed
    outcome.false_verified = got.startswith("verified") and got not in acceptable
    problems = []
    if got not in acceptable:
        problems.append(
            f"looking up {query}: expected {acceptable}, got {got}: {result.message}{result.trace}"
        )
    if result.error is not None and not result.crashed and not one_line_reason(result.message):
        problems.append(f"not a one-line reason: {result.message!r}")
    # The CLI, offline, says the same without a traceback; `cache list` still works.
    run = run_cli("verify", "--offline", "--cache-dir", cache_dir, "--json", query)
    listing = run_cli("cache", "--cache-dir", cache_dir, "list")
    cli = robustness.case("disk", f"cache-{edit}", via="cli", expected="/".join(acceptable))
    cli.crashed = not (run.sane and listing.sane)
    if not run.sane or not listing.sane:
        problems.append(
            f"cli not sane: {run.err[-300:]}{run.trace}{listing.err[-300:]}{listing.trace}"
        )
    else:
        data = run.json()
        cli.got = data.get("verdict", "?")
        cli.false_verified = run.code == 0 and "verified-correct" not in acceptable
        if cli.false_verified:
            problems.append(f"the CLI says verified: {data}")
    lost = snapshot.lost(exclude=[_id_of(label) for label in damaged])
    outcome.data_lost = cli.data_lost = bool(lost)
    if lost:
        problems.append(f"lost: {lost}")
    _finish(outcome, problems)


def test_an_entry_with_a_garbage_id(
    robustness: Robustness,
    cache_dir: Path,
    snapshot: CacheSnapshot,
    trust: TrustStore,
    pinned: Path,
) -> None:
    """An entry whose id is not a Pith id (edited on disk): listed inertly, never a crash."""
    outcome = robustness.case(
        "disk", "entry-id-garbage", via="cli", expected="listed, others intact"
    )
    victim = _id_of("good-record")
    _edit(cache_dir, "UPDATE entries SET pith_id = '../\x1b]0;x\x07' WHERE pith_id = ?", victim)
    runs = [
        run_cli("cache", "--cache-dir", cache_dir, "list"),
        run_cli("cache", "--cache-dir", cache_dir, "list", "--json"),
        run_cli("cache", "--cache-dir", cache_dir, "verify"),
        run_cli("verify", "--offline", "--cache-dir", cache_dir, _arxiv_of("good-record-2")),
    ]
    problems = [f"{r.argv}: {r.err[-300:]}{r.trace}" for r in runs if not r.sane]
    problems += [f"{r.argv}: unsafe {r.unsafe()}" for r in runs if r.sane and r.unsafe()]
    outcome.crashed = any(not r.sane for r in runs)
    if runs[3].sane and runs[3].code != 0:
        problems.append(f"another record no longer verifies: {runs[3].out}{runs[3].err}")
    with Cache.open(cache_dir) as cache:
        results = [
            attempt(
                lambda i=i: Resolver(cache, trust, base_url="http://x", offline=True).load_cached(i)
            )
            for i in cache.all_pith_ids()
        ]
    crashes = [r.trace for r in results if r.crashed]
    if crashes:
        outcome.crashed = True
        problems.append(f"load_cached crashed: {crashes[0]}")
    lost = snapshot.lost(exclude=[victim])
    outcome.data_lost = bool(lost)
    if lost:
        problems.append(f"lost: {lost}")
    _finish(outcome, problems)


def test_a_genuine_record_cannot_hijack_another_papers_arxiv_id(
    robustness: Robustness,
    cache_dir: Path,
    snapshot: CacheSnapshot,
    trust: TrustStore,
    pinned: Path,
    tmp_path: Path,
) -> None:
    """A record that verifies may carry extra, unchecked aliases: they must not redirect
    lookups of another cached paper to it (that would show the wrong paper as verified)."""
    outcome = robustness.case("disk", "alias-hijack", via="cli", expected="lookup unchanged")
    victim_arxiv, victim = _arxiv_of("good-record"), _id_of("good-record")
    attacker = make_record("2403.50002", title="The Attacker's Real Paper")
    attacker["aliases"].append(
        {"alias_kind": "arxiv_legacy", "alias_value": victim_arxiv, "created_at": ""}
    )
    attacker["aliases"].append(
        {"alias_kind": "pith_alias", "alias_value": victim[:8], "created_at": ""}
    )
    path = tmp_path / "attacker.json"
    path.write_bytes(dumps(attacker))
    imported = run_cli("cache", "--cache-dir", cache_dir, "import", path)
    problems = [] if imported.sane else [f"import: {imported.err}{imported.trace}"]
    for query in (victim_arxiv, f"pith:{victim[:8]}"):
        result = _lookup(cache_dir, trust, query)
        got = _verdict_of(result)
        if got == "verified" and result.value.pith_id != victim:
            outcome.false_verified = True
            problems.append(f"{query} now shows {result.value.pith_number} as verified")
        elif got != "verified":
            problems.append(f"{query}: the victim no longer resolves: {got}: {result.message}")
        outcome.crashed = outcome.crashed or result.crashed
    lost = snapshot.lost()
    outcome.data_lost = bool(lost)
    if lost:
        problems.append(f"lost: {lost}")
    _finish(outcome, problems)


EXPORT_IDS = (
    "cs/../../../escaped",
    "../../../.config/pith-tui/keys",
    "/abs/escaped",
    "a\x00b",
    "a\\..\\b",
)


def test_export_never_writes_outside_its_folder(
    robustness: Robustness, cache_dir: Path, snapshot: CacheSnapshot, pinned: Path, tmp_path: Path
) -> None:
    """Signed arXiv ids are still text: "../" or a NUL must not steer `cache export`. None is
    an arXiv id, so each fails `aliases` and is refused at import (issue 10 §3); the export
    of what the cache holds stays inside its folder."""
    outcome = robustness.case("disk", "export-path-traversal", via="cli", expected="inside only")
    files = []
    for index, arxiv_id in enumerate(EXPORT_IDS):
        path = tmp_path / f"hostile-{index}.json"
        path.write_bytes(dumps(make_record(arxiv_id, title=f"Hostile id {index}")))
        files.append(path)
    imported = run_cli("cache", "--cache-dir", cache_dir, "import", *files)
    target = tmp_path / "deep" / "er" / "mirror"
    before = {p for p in tmp_path.rglob("*") if "cache" not in p.parts}
    run = run_cli("cache", "--cache-dir", cache_dir, "export", target)
    after = {p for p in tmp_path.rglob("*") if "cache" not in p.parts}
    outside = sorted(
        str(p.relative_to(tmp_path))
        for p in after - before
        if target not in (p, *p.parents) and p not in target.parents
    )
    problems = []
    outcome.crashed = not (imported.sane and run.sane)
    if not imported.sane or imported.code != 1 or "not a valid arXiv id" not in imported.out:
        problems.append(
            f"import: exit {imported.code}: {imported.out}{imported.err}{imported.trace}"
        )
    if not run.sane or run.code != 0:
        problems.append(f"export: exit {run.code}: {run.out}{run.err}{run.trace}")
    if outside:
        outcome.data_lost = True  # a write outside the folder can clobber any .json file
        problems.append(f"written outside the export folder: {outside}")
    if run.unsafe():
        problems.append(f"unsafe characters: {run.unsafe()}")
    lost = snapshot.lost()
    outcome.data_lost = outcome.data_lost or bool(lost)
    if lost:
        problems.append(f"lost: {lost}")
    _finish(outcome, problems)


def _key(**changes: Any) -> Any:
    from tests.signing import TEST_KEY, TEST_KEY_ID, key_json

    return {**key_json(TEST_KEY, TEST_KEY_ID), **changes}


KEYS_FILES: dict[str, bytes] = {
    "keys-truncated": json.dumps([_key()]).encode()[:-7],
    "keys-not-a-list": json.dumps(_key()).encode(),
    "keys-bad-base64": json.dumps([_key(public_key_b64="!!!")]).encode(),
    "keys-short-key": json.dumps([_key(public_key_b64="AAAA")]).encode(),
    "keys-wrong-fingerprint": json.dumps([_key(fingerprint_sha256_hex="00" * 16)]).encode(),
    "keys-shipped-id-other-bytes": json.dumps([_key(key_id="pith-v1-2026-05")]).encode(),
    "keys-bad-rotation": json.dumps([_key(rotates_at="tomorrow\x1b[2J")]).encode(),
    "keys-duplicate-field": b'[{"key_id": "a", "key_id": "b"}]',
    "keys-binary": os.urandom(64) + b"\xff",
}


@pytest.mark.parametrize("name", list(KEYS_FILES))
def test_a_damaged_keys_file(
    name: str, robustness: Robustness, tmp_path: Path, cache_dir: Path
) -> None:
    """The user's pinned keys: refused with one line (exit 2), never a traceback or a
    verdict (a half-read trust store could verify with the wrong keys)."""
    outcome = robustness.case("disk", name, via="cli", expected="exit 2, one line")
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "keys.json").write_bytes(KEYS_FILES[name])
    record = tmp_path / "good.json"
    record.write_bytes(good_documents()["good-record"])
    run = run_cli("verify", "--cache-dir", cache_dir, record)
    outcome.crashed = not run.sane
    outcome.false_verified = run.code == 0
    outcome.got = f"exit {run.code}"
    problems = []
    if not run.sane or run.code != 2:
        problems.append(f"exit {run.code}: {run.out}{run.err}{run.trace}")
    elif len(run.err.strip().splitlines()) != 1 or not one_line_reason(run.err):
        problems.append(f"not one line: {run.err!r}")
    if run.unsafe():
        problems.append(f"unsafe characters: {run.unsafe()}")
    _finish(outcome, problems)
