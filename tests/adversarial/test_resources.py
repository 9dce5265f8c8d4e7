"""Bounded resources (issue #10 §5): size checked before a read, writes kept inside a folder.

- `verify FILE` and `cache import FILE` look at a file before reading it: huge (sparse)
  files, a FIFO, devices and folders are refused in one line; under a 1 GiB address-space
  limit an 8 GiB file is refused the same way, with no traceback and no MemoryError.
- `cache export DIR` writes only inside DIR: symbolic links planted in DIR (the `pith/`
  folder, a record's folder, a file, a dangling link) are refused or replaced, never
  written through; what they point at is unchanged.
- A zlib bomb written into the cache file is inflated no further than the largest document
  the parser accepts.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from pith_tui.core.cache import CACHE_FILE_NAME, Cache
from pith_tui.core.cache.documents import decode
from pith_tui.core.canonical import MAX_DOCUMENT_BYTES
from tests.adversarial.conftest import Robustness
from tests.adversarial.harness import CacheSnapshot, one_line_reason, run_cli

REPO = Path(__file__).resolve().parents[2]
SIZES = {
    "limit-plus-1": MAX_DOCUMENT_BYTES + 1,
    "64-mib": 64 << 20,
    "1-gib": 1 << 30,
    "8-gib": 8 << 30,
    "1-tib": 1 << 40,
}


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        handle.truncate(size)  # no disk is used
    return path


@pytest.mark.parametrize("size_id", list(SIZES))
@pytest.mark.parametrize("via", ["cli", "cli-json", "cache-import"])
def test_a_huge_file_is_refused_before_it_is_read(
    size_id: str, via: str, robustness: Robustness, tmp_path: Path, snapshot: CacheSnapshot
) -> None:
    outcome = robustness.case("resources", f"huge-file-{size_id}", via=via, expected="refused")
    path = _sparse(tmp_path / f"{size_id}.json", SIZES[size_id])
    argv = {
        "cli": ["verify", str(path)],
        "cli-json": ["verify", "--json", str(path)],
        "cache-import": ["cache", "import", str(path)],
    }[via]
    run = run_cli(*argv)
    outcome.crashed = not run.sane
    outcome.got = f"exit {run.code}"
    outcome.false_verified = run.code == 0
    outcome.data_lost = bool(snapshot.lost())
    text = {"cli": run.err, "cli-json": run.out, "cache-import": run.out}[via]
    if via == "cli-json":
        text = json.loads(run.out)["error"]
    assert run.code == (1 if via == "cache-import" else 2), run.err
    assert one_line_reason(text) and f"{SIZES[size_id]:,} bytes" in text, text
    assert "over the 4,194,304 byte limit of a Pith document; not read" in text
    assert not outcome.data_lost


_LIMITED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from pith_tui.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_AS is POSIX")
@pytest.mark.parametrize("via", ["cli", "cli-json", "cache-import"])
def test_an_8_gib_file_under_a_1_gib_memory_limit(
    via: str, robustness: Robustness, tmp_path: Path
) -> None:
    outcome = robustness.case("resources", "8-gib-under-1-gib-limit", via=via, expected="refused")
    path = _sparse(tmp_path / "huge.json", 8 << 30)
    argv = {
        "cli": ["verify", str(path)],
        "cli-json": ["verify", "--json", str(path)],
        "cache-import": ["cache", "import", str(path)],
    }[via]
    done = subprocess.run(
        [sys.executable, "-c", _LIMITED, *argv],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        timeout=120,
    )
    outcome.crashed = "Traceback" in done.stderr or done.returncode not in (0, 1, 2, 3)
    outcome.got = f"exit {done.returncode}"
    outcome.false_verified = done.returncode == 0
    assert not outcome.crashed, done.stderr
    assert done.returncode == (1 if via == "cache-import" else 2)
    lines = (done.stdout if via != "cli" else done.stderr).strip().splitlines()
    assert len(lines) == 1 or via == "cli-json", lines
    assert "MemoryError" not in done.stderr + done.stdout


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.json"
    os.mkfifo(path)
    return path


def _device(tmp_path: Path) -> Path:
    return Path("/dev/zero")


def _link_to_device(tmp_path: Path) -> Path:
    path = tmp_path / "zero.json"
    path.symlink_to("/dev/zero")
    return path


def _folder(tmp_path: Path) -> Path:
    path = tmp_path / "folder.json"
    path.mkdir()
    return path


SPECIAL: dict[str, Callable[[Path], Path]] = {
    "fifo": _fifo,
    "dev-zero": _device,
    "link-to-dev-zero": _link_to_device,
    "folder": _folder,
}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX files")
@pytest.mark.parametrize("special", list(SPECIAL))
@pytest.mark.parametrize("via", ["cli", "cache-import"])
def test_a_special_file_is_refused_without_blocking(
    special: str, via: str, robustness: Robustness, tmp_path: Path
) -> None:
    outcome = robustness.case("resources", f"special-{special}", via=via, expected="refused")
    path = SPECIAL[special](tmp_path)
    argv = ["verify", str(path)] if via == "cli" else ["cache", "import", str(path)]
    done = subprocess.run(  # a subprocess, so a read that blocks would show as a timeout
        [sys.executable, "-m", "pith_tui", *argv],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        timeout=60,
    )
    outcome.crashed = "Traceback" in done.stderr
    outcome.got = f"exit {done.returncode}"
    outcome.false_verified = done.returncode == 0
    text = (done.stderr if via == "cli" else done.stdout).strip()
    assert done.returncode == (2 if via == "cli" else 1), done.stderr
    assert one_line_reason(text), text
    assert "not a regular file" in text or "a folder" in text, text


def _plant(target: Path, outside: Path, where: str) -> list[Path]:
    """Plant a link in the export folder; returns what must stay untouched outside."""
    victim = outside / "victim.json"
    victim.write_bytes(b"precious")
    pith = target / "pith"
    if where == "pith-folder":
        target.mkdir(parents=True)
        pith.symlink_to(outside, target_is_directory=True)
    else:
        pith.mkdir(parents=True)
        if where == "record-folder":
            (pith / "TJ77MKGIYVJE4LNYFYW7EA7KKL").symlink_to(outside, target_is_directory=True)
        elif where == "record-file":
            (pith / "4K6GSOJWB7QU2RFIL3CD3BQJ62.json").symlink_to(victim)
        elif where == "short-file":
            (pith / "4K6GSOJW.json").symlink_to(victim)
        elif where == "arxiv-file":
            (pith / "2106.06530.json").symlink_to(victim)
        elif where == "bundle-file":
            folder = pith / "TJ77MKGIYVJE4LNYFYW7EA7KKL"
            folder.mkdir()
            (folder / "bundle.json").symlink_to(victim)
        elif where == "dangling":
            (pith / "1611.01838.json").symlink_to(outside / "created-through-link.json")
    return [victim]


PLANTS = [
    "pith-folder",
    "record-folder",
    "record-file",
    "short-file",
    "arxiv-file",
    "bundle-file",
    "dangling",
]


@pytest.mark.parametrize("where", PLANTS)
def test_an_export_never_writes_through_a_planted_link(
    where: str, robustness: Robustness, tmp_path: Path, cache_dir: Path
) -> None:
    outcome = robustness.case("resources", f"export-link-{where}", via="cache-export")
    outside = tmp_path / "outside"
    outside.mkdir()
    target = tmp_path / "mirror"
    untouched = _plant(target, outside, where)
    before = sorted(p.name for p in outside.iterdir())
    run = run_cli("cache", "export", str(target))
    outcome.crashed = not run.sane
    outcome.got = f"exit {run.code}"
    after = sorted(p.name for p in outside.iterdir())
    wrote_outside = after != before or any(p.read_bytes() != b"precious" for p in untouched)
    outcome.data_lost = wrote_outside
    assert not wrote_outside, (before, after)
    if where in ("pith-folder", "record-folder"):  # refused, in one line
        assert run.code == 3
        line = run.err.strip()
        assert one_line_reason(line) and "is a symbolic link; refusing to write through it" in line
    else:  # replaced by the mirror's own file
        assert run.code == 0, run.err
        links = [p for p in target.rglob("*") if p.is_symlink()]
        assert links == [], links


def test_a_zlib_bomb_in_the_cache_is_cut_at_the_document_limit(
    robustness: Robustness, cache_dir: Path, snapshot: CacheSnapshot
) -> None:
    outcome = robustness.case("resources", "zlib-bomb-in-cache", via="library")
    bomb = zlib.compress(b" " * (512 << 20), 9)  # 512 MiB of spaces in ~0.5 MB
    assert decode(bomb, "zlib").__len__() == MAX_DOCUMENT_BYTES + 1
    pith_id = "4K6GSOJWB7QU2RFIL3CD3BQJ62"
    db = sqlite3.connect(cache_dir / CACHE_FILE_NAME)
    db.execute(
        "UPDATE documents SET raw = ?, encoding = 'zlib' WHERE pith_id = ? AND kind = 'record'",
        (bomb, pith_id),
    )
    db.commit()
    db.close()
    run = run_cli("verify", "--offline", "2106.06530")
    outcome.crashed = not run.sane
    outcome.got = f"exit {run.code}"
    outcome.false_verified = run.code == 0
    assert run.code == 3 and "damaged" in run.err and "byte limit" in run.err, run.err
    with Cache.open(cache_dir) as cache:
        stored = cache.get(pith_id, "record")
        assert stored is not None and len(stored.raw) == MAX_DOCUMENT_BYTES + 1
    outcome.data_lost = bool(snapshot.lost(exclude=[pith_id]))
    assert not outcome.data_lost
