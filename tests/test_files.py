"""Files on disk: a document is read only after its size is checked, and an export never
writes outside its folder, whatever links an attacker planted in it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pith_tui.core import files
from pith_tui.core.canonical import MAX_DOCUMENT_BYTES
from pith_tui.core.errors import RecordFormatError
from pith_tui.core.files import ConfinedWriter, OutsideFolderError, read_document


def test_a_document_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_bytes(b'{"a": 1}')
    assert read_document(path) == b'{"a": 1}'
    exact = tmp_path / "exact.json"
    exact.write_bytes(b"x" * MAX_DOCUMENT_BYTES)
    assert len(read_document(exact)) == MAX_DOCUMENT_BYTES


def test_a_huge_file_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.truncate(8 << 30)  # 8 GiB, sparse: nothing is written, nothing may be read
    reads: list[int] = []
    real_read = os.read
    monkeypatch.setattr(files.os, "read", lambda fd, n: reads.append(n) or real_read(fd, n))
    with pytest.raises(RecordFormatError) as caught:
        read_document(path)
    assert str(caught.value) == (
        "the file is 8,589,934,592 bytes (8.0 GiB), over the 4,194,304 byte limit of a "
        "Pith document; not read"
    )
    assert reads == []


def test_a_file_that_grows_while_read_is_cut_at_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "growing.json"
    path.write_bytes(b"{}")
    real_fstat = os.fstat

    def small(fd: int) -> os.stat_result:  # the size said at the check, before it grew
        info = real_fstat(fd)
        return os.stat_result((info.st_mode, *info[1:6], 2, *info[7:]))

    path.write_bytes(b"x" * (MAX_DOCUMENT_BYTES + 10))
    monkeypatch.setattr(files.os, "fstat", small)
    with pytest.raises(RecordFormatError, match="grew past the 4,194,304 byte limit"):
        read_document(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_a_device_and_a_folder_are_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)  # reading it would wait for a writer forever
    with pytest.raises(RecordFormatError, match="not a regular file"):
        read_document(fifo)
    if Path("/dev/zero").exists():  # endless
        with pytest.raises(RecordFormatError, match="not a regular file"):
            read_document(Path("/dev/zero"))
    with pytest.raises(RecordFormatError, match="it is a folder"):
        read_document(tmp_path)
    with pytest.raises(FileNotFoundError):
        read_document(tmp_path / "missing.json")


@pytest.fixture(params=["dir-fd", "paths"])
def writer_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways of confining writes: relative to open folders, and (Windows) by lstat."""
    if request.param == "paths":
        monkeypatch.setattr(files.os, "supports_dir_fd", set())
    return str(request.param)


def test_files_are_written_inside_the_folder(tmp_path: Path, writer_mode: str) -> None:
    root = tmp_path / "mirror"
    with ConfinedWriter(root) as writer:
        writer.write("pith/ABC.json", b"1")
        writer.write("pith/ABC/bundle.json", b"2")
        writer.write("pith/cs/0512068.json", b"3")
        writer.write("pith/ABC.json", b"4")  # again: replaced
    assert (root / "pith" / "ABC.json").read_bytes() == b"4"
    assert (root / "pith" / "ABC" / "bundle.json").read_bytes() == b"2"
    assert (root / "pith" / "cs" / "0512068.json").read_bytes() == b"3"
    assert not [p for p in root.rglob(".tmp-*")]


@pytest.mark.parametrize("bad", ["../x.json", "pith/../../x.json", "/etc/x", "pith//x", "a\\b"])
def test_a_path_that_leaves_the_folder_is_refused(
    tmp_path: Path, writer_mode: str, bad: str
) -> None:
    with ConfinedWriter(tmp_path / "m") as writer, pytest.raises(OutsideFolderError):
        writer.write(bad, b"x")
    assert not (tmp_path / "x.json").exists()


def test_a_planted_link_to_a_folder_outside_is_never_written_through(
    tmp_path: Path, writer_mode: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "mirror"
    root.mkdir()
    (root / "pith").symlink_to(outside, target_is_directory=True)
    with ConfinedWriter(root) as writer, pytest.raises(OutsideFolderError, match="symbolic link"):
        writer.write("pith/ABC.json", b"x")
    assert list(outside.iterdir()) == []
    # The same deeper down: pith/<ID>/ planted as a link.
    (root / "pith").unlink()
    (root / "pith").mkdir()
    (root / "pith" / "ABC").symlink_to(outside, target_is_directory=True)
    with ConfinedWriter(root) as writer, pytest.raises(OutsideFolderError, match="symbolic link"):
        writer.write("pith/ABC/bundle.json", b"x")
    assert list(outside.iterdir()) == []


def test_a_planted_link_in_place_of_a_file_is_replaced_not_followed(
    tmp_path: Path, writer_mode: str
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    root = tmp_path / "mirror"
    (root / "pith").mkdir(parents=True)
    (root / "pith" / "ABC.json").symlink_to(victim)
    (root / "pith" / "dangling.json").symlink_to(tmp_path / "nowhere" / "x")
    with ConfinedWriter(root) as writer:
        writer.write("pith/ABC.json", b"mirror data")
        writer.write("pith/dangling.json", b"mirror data")
    assert victim.read_bytes() == b"precious"
    assert not (tmp_path / "nowhere").exists()
    for name in ("ABC.json", "dangling.json"):
        target = root / "pith" / name
        assert not target.is_symlink() and target.read_bytes() == b"mirror data"


def test_a_file_in_place_of_a_folder_is_said_in_words(tmp_path: Path, writer_mode: str) -> None:
    root = tmp_path / "mirror"
    root.mkdir()
    (root / "pith").write_bytes(b"user data")
    with ConfinedWriter(root) as writer, pytest.raises(OutsideFolderError, match="is a file"):
        writer.write("pith/ABC.json", b"x")
    assert (root / "pith").read_bytes() == b"user data"
