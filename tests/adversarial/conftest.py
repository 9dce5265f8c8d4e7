"""Fixtures of the adversarial suite, and the robustness log behind the README's figures.

With `PITH_ROBUSTNESS_LOG=<file>` set, every case a test records is appended to that file as
one JSON line: {"category", "case_id", "via", "crashed", "false_verified", "data_lost",
"expected", "got", "passed", "test"}. `tests/adversarial/robustness_table.py` turns the file
into the Markdown table. A test that dies of an unexpected exception (not an assertion) is
logged as a crash even if it recorded nothing.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from pith_tui.core.keys import TrustStore
from tests.adversarial.harness import CacheSnapshot, fill_cache, pin_test_key
from tests.signing import test_trust

LOG_ENV = "PITH_ROBUSTNESS_LOG"


@dataclass
class Outcome:
    category: str
    case_id: str
    via: str = "library"
    crashed: bool = False
    false_verified: bool = False
    data_lost: bool = False
    expected: str = ""
    got: str = ""
    passed: bool = True
    test: str = ""


@dataclass
class Robustness:
    """Collects the outcomes of one test; written out when the test ends."""

    test: str
    outcomes: list[Outcome] = field(default_factory=list)

    def case(
        self, category: str, case_id: str, *, via: str = "library", expected: str = ""
    ) -> Outcome:
        outcome = Outcome(category, case_id, via, expected=expected, test=self.test)
        self.outcomes.append(outcome)
        return outcome


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    result = yield
    report = result.get_result()  # type: ignore[attr-defined]
    if report.when == "call":
        item.stash[_CALL_REPORT] = (report.passed, call.excinfo)


_CALL_REPORT = pytest.StashKey[tuple]()


def _write(path: str, outcomes: list[Outcome]) -> None:
    lines = "".join(json.dumps(asdict(o), ensure_ascii=True) + "\n" for o in outcomes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, lines.encode())
    finally:
        os.close(fd)


@pytest.fixture
def robustness(request: pytest.FixtureRequest) -> Iterator[Robustness]:
    recorder = Robustness(request.node.nodeid)
    yield recorder
    passed, excinfo = request.node.stash.get(_CALL_REPORT, (True, None))
    escaped = excinfo is not None and not excinfo.errisinstance(
        (AssertionError, pytest.skip.Exception, pytest.xfail.Exception)
    )
    if escaped and not recorder.outcomes:
        recorder.case("unrecorded", request.node.nodeid)
    for outcome in recorder.outcomes:
        outcome.passed = passed
        outcome.crashed = outcome.crashed or escaped
    path = os.environ.get(LOG_ENV)
    if path and recorder.outcomes:
        _write(path, recorder.outcomes)


@pytest.fixture(scope="session")
def trust() -> TrustStore:
    """The shipped keys plus the test key."""
    return test_trust()


@pytest.fixture
def pinned(tmp_path: Path) -> Path:
    """The user config dir (PITH_TUI_CONFIG_DIR, set by tests/conftest.py) pins the test key."""
    folder = tmp_path / "config"
    pin_test_key(folder)
    return folder


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory, trust: TrustStore) -> CacheSnapshot:
    """One filled cache (closed, so its WAL is checkpointed) that each test gets a copy of."""
    folder = tmp_path_factory.mktemp("template") / "cache"
    fill_cache(folder)
    snap = CacheSnapshot.take(folder, trust)
    assert len(snap.good) >= 9, snap.before
    return snap


@pytest.fixture
def cache_dir(tmp_path: Path, _template: CacheSnapshot) -> Path:
    """PITH_TUI_CACHE_DIR (set by tests/conftest.py), filled with records that verify."""
    folder = tmp_path / "cache"
    shutil.copytree(_template.directory, folder)
    return folder


@pytest.fixture
def snapshot(cache_dir: Path, _template: CacheSnapshot) -> CacheSnapshot:
    """The good records of `cache_dir` before the test does anything to it."""
    return CacheSnapshot(cache_dir, dict(_template.before), _template.trust)


@pytest.fixture(scope="module")
def shared_snapshot(
    tmp_path_factory: pytest.TempPathFactory, trust: TrustStore
) -> Iterator[CacheSnapshot]:
    """One filled cache per test module, for the many document cases (they only import)."""
    folder = tmp_path_factory.mktemp("shared") / "cache"
    fill_cache(folder)
    snap = CacheSnapshot.take(folder, trust)
    assert len(snap.good) >= 9, snap.before
    snap.keep_reader()
    yield snap
    snap.close()
