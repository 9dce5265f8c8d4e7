"""Shared fixtures: every test gets its own cache and config dirs, and no network."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from tests.signing import TEST_KEY, TEST_KEY_ID, key_json

# Pith's real records: the ones the package ships (read, never written), plus test-only files.
SAMPLES = Path(str(resources.files("pith_tui.core").joinpath("data").joinpath("samples")))
FIXTURES = Path(__file__).parent / "fixtures"
REAL_RECORDS = {
    "bundle": SAMPLES / "1812.00542.bundle.json",
    "2106.06530": SAMPLES / "2106.06530.record.json",
    "1611.01838": SAMPLES / "1611.01838.record.json",
    "1704.04289": SAMPLES / "1704.04289.record.json",
}
PAPER_PAGE = FIXTURES / "1711.04623.paper-page.txt"


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cache and config under tmp_path; base URL a closed local port, so nothing reaches out."""
    monkeypatch.setenv("PITH_TUI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PITH_TUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("PITH_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("PITH_OFFLINE", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture(autouse=True)
def _toasts_outlive_a_busy_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests read toasts as state after a lookup; on a loaded machine that can come more than
    Textual's 5 s toast lifetime later, and the toast would be gone. Nothing tests expiry."""
    from textual.app import App

    monkeypatch.setattr(App, "NOTIFICATION_TIMEOUT", 600.0)


@pytest.fixture
def config_with_test_key(tmp_path: Path) -> Path:
    """A user config dir whose keys.json pins the test key."""
    folder = tmp_path / "config"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "keys.json").write_text(json.dumps([key_json(TEST_KEY, TEST_KEY_ID)]))
    return folder
