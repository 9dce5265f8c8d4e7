"""The cache's SQLite file: open it, probe it, move a broken one aside, serialise its use.

Concurrency: WAL journal, `BEGIN IMMEDIATE` for every write transaction and a 10 s busy
timeout, so several pith-tui processes can write at once without "database is locked".
Within a process one connection is shared by all threads (`check_same_thread=False`), and
every use of it is serialised by a lock: SQLite allows one writer at a time anyway, and
the listing queries take milliseconds.

A file that is not a SQLite database, is damaged, or has a schema this pith-tui cannot use is
never deleted: it is moved aside to `cache.sqlite3.broken-<UTC time>` (with its -wal/-shm)
and a fresh cache is started; `Database.recovered_from` / `recovery_message` tell the user.
Errors reach the user as `CacheError` with plain words (`reason`), never SQLite's codes.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pith_tui.core.errors import CacheError

CACHE_FILE_NAME = "cache.sqlite3"
BUSY_TIMEOUT_SECONDS = 10.0

# SQLite primary result codes (sqlite_errorcode & 0xFF) that we explain in plain words.
_SQLITE_PERM, _SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY = 3, 5, 6, 8
_SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN = 10, 11, 13, 14
_SQLITE_NOTADB = 26


class BrokenFile(Exception):
    """The file is there but unusable as our cache; it must be moved aside."""


class Busy(Exception):
    """Another process holds a lock while opening; try again shortly."""


Inspect = Callable[[sqlite3.Connection], bool]
"""Reads the schema: `BrokenFile` unless it is a cache this code can use; True when empty."""
Ready = Callable[[sqlite3.Connection, bool], None]
"""Creates the schema in an empty file (True) or brings an older one up to date (False)."""


def error_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)  # Python >= 3.11
    if isinstance(code, int):
        return code & 0xFF
    message = str(exc).lower()  # Python 3.10, or an error raised by a wrapper
    for needle, guess in (
        ("disk is full", _SQLITE_FULL),
        ("readonly", _SQLITE_READONLY),
        ("read-only", _SQLITE_READONLY),
        ("unable to open", _SQLITE_CANTOPEN),
        ("is locked", _SQLITE_BUSY),
        ("is busy", _SQLITE_BUSY),
        ("disk i/o", _SQLITE_IOERR),
        ("malformed", _SQLITE_CORRUPT),
        ("unsupported file format", _SQLITE_CORRUPT),
        ("not a database", _SQLITE_NOTADB),
        ("access permission", _SQLITE_PERM),
    ):
        if needle in message:
            return guess
    return None


def is_damage(exc: sqlite3.Error) -> bool:
    return error_code(exc) in (_SQLITE_CORRUPT, _SQLITE_NOTADB)


def reason(exc: BaseException) -> str:
    """Plain words for an SQLite or OS error."""
    if isinstance(exc, sqlite3.Error):
        code = error_code(exc)
        plain = {
            _SQLITE_FULL: "disk is full",
            _SQLITE_READONLY: "the file or its folder is read-only",
            _SQLITE_PERM: "permission denied",
            _SQLITE_CANTOPEN: "the file cannot be opened or created (is the folder read-only?)",
            _SQLITE_BUSY: f"another program kept it locked for over {BUSY_TIMEOUT_SECONDS:g} s",
            _SQLITE_LOCKED: f"another program kept it locked for over {BUSY_TIMEOUT_SECONDS:g} s",
            _SQLITE_IOERR: "a disk read or write failed",
            _SQLITE_CORRUPT: "the file is damaged",
            _SQLITE_NOTADB: "the file is not a cache database",
        }.get(code or -1)
        return plain or str(exc)
    if isinstance(exc, OSError):
        if isinstance(exc, PermissionError):
            return "permission denied (the folder is read-only)"
        if isinstance(exc, (NotADirectoryError, FileExistsError)):
            return "a file is in the way of the folder"
        if exc.errno == 28:  # ENOSPC
            return "disk is full"
        return exc.strerror or str(exc)
    return str(exc)


class Database:
    """One shared connection to the cache file, with its lock and transaction helpers.

    Open with `Database.open()`; safe to share between threads.
    """

    def __init__(
        self,
        connection: sqlite3.Connection,
        path: Path,
        recovered_from: Path | None = None,
        recovery_reason: str = "",
    ) -> None:
        self.connection: Any = connection  # Any: tests put a fault-injecting wrapper here
        self.path = path
        self.recovered_from = recovered_from
        self.recovery_reason = recovery_reason
        self._lock = threading.RLock()

    @classmethod
    def open(
        cls, folder: Path, inspect: Inspect, ready: Ready, now: Callable[[], datetime]
    ) -> Database:
        """Open (creating if needed) `<folder>/cache.sqlite3`; a broken file is moved aside.

        Raises `CacheError` when the folder or file cannot be created, opened or written.
        """
        path = folder / CACHE_FILE_NAME
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError(
                f"cannot write the cache at {path}: the folder {folder} cannot be created "
                f"({reason(exc)})"
            ) from None
        if not os.access(folder, os.W_OK | os.X_OK):
            raise CacheError(f"cannot write the cache at {path}: the folder is read-only")

        recovered_from: Path | None = None
        why = ""
        moves = 0
        deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
        pause = 0.01
        while True:
            identity = _file_identity(path)
            try:
                _probe(path, inspect)
                connection = connect(path, inspect, ready)
            except Busy as busy:
                # Another process is creating the file or switching it to WAL; SQLite does
                # not always wait for that by itself.
                if time.monotonic() + pause > deadline:
                    raise CacheError(f"cannot open the cache at {path}: {busy}") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.2)
                continue
            except BrokenFile as broken:
                if _file_identity(path) != identity:
                    continue  # another process replaced the file meanwhile: look again
                moves += 1
                if moves > 2:
                    raise CacheError(
                        f"cannot open the cache at {path}: it is damaged again after being "
                        f"replaced ({broken})"
                    ) from None
                why = str(broken)
                recovered_from = _move_aside(path, now())
                continue
            return cls(connection, path, recovered_from, why)

    @property
    def recovery_message(self) -> str | None:
        """A sentence for the user when a broken cache file was moved aside, else None."""
        if self.recovered_from is None:
            return None
        return (
            f"The cache file {self.path} could not be used ({self.recovery_reason}), so it "
            f"was kept as {self.recovered_from} and a new, empty cache was started."
        )

    def close(self) -> None:
        """Close the connection; later calls raise `CacheError`."""
        with self._lock:
            if self.connection is not None:
                try:
                    self.connection.close()
                finally:
                    self.connection = None

    def _connection(self) -> Any:
        if self.connection is None:
            raise CacheError(f"the cache at {self.path} is closed")
        return self.connection

    @contextmanager
    def reading(self) -> Iterator[Any]:
        """The connection, for reads; an SQLite error becomes a `CacheError`."""
        with self._lock:
            connection = self._connection()
            try:
                yield connection
            except sqlite3.Error as exc:
                raise CacheError(f"cannot read the cache at {self.path}: {reason(exc)}") from exc

    @contextmanager
    def writing(self) -> Iterator[Any]:
        """One `BEGIN IMMEDIATE` transaction; any error rolls everything back."""
        with self._lock:
            connection = self._connection()
            try:
                connection.execute("BEGIN IMMEDIATE")
                yield connection
                connection.execute("COMMIT")
            except BaseException as exc:
                if connection.in_transaction:
                    # SQLite may have rolled back already (e.g. after SQLITE_FULL).
                    with suppress(sqlite3.Error):
                        connection.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise CacheError(
                        f"cannot write the cache at {self.path}: {reason(exc)}"
                    ) from exc
                raise


def _file_identity(path: Path) -> tuple[int, int, int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def _probe(path: Path, inspect: Inspect) -> None:
    """Check an existing file through a read-only connection.

    A read-write connection to a damaged file could checkpoint its -wal into it or delete
    the -wal on close; the read-only one changes nothing, so the file is moved aside as it
    was. Errors other than damage (locks, permissions) are left to `connect` to report.
    """
    try:
        if path.stat().st_size == 0:
            return
        connection = sqlite3.connect(
            f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS
        )
    except (OSError, sqlite3.Error):
        return
    try:
        inspect(connection)
    except sqlite3.Error as exc:
        if is_damage(exc):
            raise BrokenFile(reason(exc)) from None
    finally:
        connection.close()


def connect(path: Path, inspect: Inspect, ready: Ready) -> sqlite3.Connection:
    """Connect, check the schema, set the pragmas, create or update the schema.

    Raises `BrokenFile` for a damaged or foreign file, `Busy` while another process holds
    a lock, `CacheError` for everything else (permissions, disk): those must never cause
    the file to be moved aside.
    """
    try:
        connection = sqlite3.connect(
            str(path),
            timeout=BUSY_TIMEOUT_SECONDS,
            isolation_level=None,  # we issue BEGIN IMMEDIATE / COMMIT ourselves
            check_same_thread=False,  # shared between threads, serialised by Database._lock
        )
    except sqlite3.Error as exc:
        raise CacheError(f"cannot open the cache at {path}: {reason(exc)}") from None
    try:
        connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        empty = inspect(connection)  # before WAL: a foreign file is moved aside untouched
        if connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            connection.execute("PRAGMA journal_mode = WAL")  # fails at once if busy
        # NORMAL is safe with WAL: a power cut can lose the last write, not corrupt the file.
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA cache_size = -32000")  # 32 MB page cache
        connection.execute("PRAGMA temp_store = MEMORY")
        ready(connection, empty)
    except BrokenFile:
        connection.close()
        raise
    except sqlite3.Error as exc:
        connection.close()
        if is_damage(exc):
            raise BrokenFile(reason(exc)) from None
        if error_code(exc) in (_SQLITE_BUSY, _SQLITE_LOCKED):
            raise Busy(reason(exc)) from None
        raise CacheError(f"cannot open the cache at {path}: {reason(exc)}") from None
    return connection


def _move_aside(path: Path, now: datetime) -> Path:
    """Rename the file and its -wal/-shm to `cache.sqlite3.broken-<UTC time>[-N]`."""
    stamp = now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.broken-{stamp}")
    number = 1
    while any(Path(f"{target}{s}").exists() for s in ("", "-wal", "-shm")):
        target = path.with_name(f"{path.name}.broken-{stamp}-{number}")
        number += 1
    try:
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{path}{suffix}")
            if source.exists():
                os.rename(source, f"{target}{suffix}")
    except OSError as exc:
        raise CacheError(
            f"the cache at {path} is damaged and cannot be moved aside ({reason(exc)}); "
            "move or delete it by hand"
        ) from None
    return target
