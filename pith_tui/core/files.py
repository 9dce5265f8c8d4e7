"""Files on the user's disk: documents read with a size bound, mirrors written inside a folder.

`read_document` is how `pith-tui verify FILE` and `cache import FILE` read: the size is
checked (fstat of the opened file) before anything is read, then at most one byte more than
the largest document the parser accepts is read, so a huge file, a device or a FIFO is
refused in one line without filling memory or blocking.

`ConfinedWriter` is how `cache export DIR` writes: every file lands inside DIR. Folders are
opened one component at a time without following symbolic links, and each file is written
to a fresh temporary name and renamed over its target, so a symbolic link planted in DIR
(a `pith/` folder or a file that points elsewhere) is refused or replaced, never written
through.
"""

from __future__ import annotations

import os
import secrets
import stat
from contextlib import suppress
from pathlib import Path
from types import TracebackType

from pith_tui.core.canonical import MAX_DOCUMENT_BYTES
from pith_tui.core.errors import PithError, RecordFormatError

_READ_CHUNK = 1 << 20
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)


def size_words(size: int) -> str:
    """`8.0 GiB`, `5.2 MiB`, `912 bytes`."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def read_document(
    path: Path, limit: int = MAX_DOCUMENT_BYTES, *, what: str = "a Pith document"
) -> bytes:
    """The bytes of a document file, read only after its size is known to be within `limit`.

    `what` names the kind of file in the too-large message ("a bibliography").

    `RecordFormatError` (one line) for a file that is too large or is not a regular file;
    `OSError` when it cannot be opened or read (missing, permissions).
    """
    fd = os.open(path, os.O_RDONLY | _NONBLOCK | _BINARY)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise RecordFormatError(f"it is {what}, not a document file")
        if info.st_size > limit:
            raise RecordFormatError(_too_large(info.st_size, limit, what))
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(_READ_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:  # it grew after the size check
            raise RecordFormatError(_too_large(total, limit, what, more=True))
        return b"".join(chunks)
    finally:
        os.close(fd)


def _too_large(size: int, limit: int, what: str, *, more: bool = False) -> str:
    if more:
        return f"the file grew past the {limit:,} byte limit of {what} as it was read"
    return (
        f"the file is {size:,} bytes ({size_words(size)}), over the {limit:,} byte limit of "
        f"{what}; not read"
    )


class OutsideFolderError(PithError):
    """A write would leave the folder it is confined to (a symbolic link, "..")."""


class ConfinedWriter:
    """Writes files under `root` and nowhere else (see the module docstring).

    `root` itself may be a link the user named; below it nothing is followed. Use as a
    context manager, or call `close()`. Where the platform cannot open relative to a folder
    (Windows), each component is checked with `lstat` instead.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._by_fd = {os.open, os.mkdir, os.rename, os.unlink} <= os.supports_dir_fd
        self._folders: dict[tuple[str, ...], int] = {}
        if self._by_fd:
            self._folders[()] = os.open(self.root, os.O_RDONLY | _DIRECTORY)

    def close(self) -> None:
        for fd in self._folders.values():
            os.close(fd)
        self._folders = {}

    def __enter__(self) -> ConfinedWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def write(self, relative: str, data: bytes) -> None:
        """Write `data` at `root/relative` ("pith/ID/bundle.json") atomically."""
        parts = tuple(relative.split("/"))
        if any(part in ("", ".", "..") or "\x00" in part or "\\" in part for part in parts):
            raise OutsideFolderError(f"{relative!r} is not a path inside {self.root}")
        if not self._by_fd:
            self._write_by_path(parts, data)
            return
        folder = self._folder(parts[:-1])
        temporary = f".tmp-{secrets.token_hex(8)}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY
        fd = os.open(temporary, flags, 0o644, dir_fd=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            # rename replaces a link named like the target itself; it never writes through it
            os.replace(temporary, parts[-1], src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            with suppress(OSError):
                os.unlink(temporary, dir_fd=folder)
            raise

    def _folder(self, parts: tuple[str, ...]) -> int:
        """An open descriptor of `root/parts`, created as needed, no link followed."""
        fd = self._folders.get(parts)
        if fd is not None:
            return fd
        parent = self._folder(parts[:-1])
        with suppress(FileExistsError):
            os.mkdir(parts[-1], 0o755, dir_fd=parent)
        try:
            fd = os.open(parts[-1], os.O_RDONLY | _DIRECTORY | _NOFOLLOW, dir_fd=parent)
        except OSError as exc:
            raise self._not_a_folder(parts, exc) from None
        self._folders[parts] = fd
        return fd

    def _write_by_path(self, parts: tuple[str, ...], data: bytes) -> None:
        folder = self.root
        for index, part in enumerate(parts[:-1]):
            folder = folder / part
            with suppress(FileExistsError):
                folder.mkdir()
            if folder.is_symlink() or not folder.is_dir():
                raise self._not_a_folder(parts[: index + 1], NotADirectoryError())
        temporary = folder / f".tmp-{secrets.token_hex(8)}"
        try:
            with open(temporary, "xb") as handle:
                handle.write(data)
            os.replace(temporary, folder / parts[-1])
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    def _not_a_folder(self, parts: tuple[str, ...], exc: OSError) -> Exception:
        path = self.root.joinpath(*parts)
        if path.is_symlink():
            return OutsideFolderError(f"{path} is a symbolic link; refusing to write through it")
        if isinstance(exc, NotADirectoryError) or (path.exists() and not path.is_dir()):
            return OutsideFolderError(f"{path} is a file where a folder should be")
        return exc
