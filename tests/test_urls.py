"""Every URL of the service, and the base-URL choice (CLI value, $PITH_BASE_URL, default)."""

from __future__ import annotations

import pytest

from pith_tui.core import urls
from pith_tui.core.urls import (
    DEFAULT_BASE_URL,
    bundle_url,
    page_url,
    paper_url,
    record_url,
    resolve_base_url,
)

BASE = "https://pith.science"
PITH_ID = "TJ77MKGIYVJE4LNYFYW7EA7KKL"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (PITH_ID, f"{BASE}/pith/{PITH_ID}.json"),
        ("TJ77MKGI", f"{BASE}/pith/TJ77MKGI.json"),
        ("1711.04623", f"{BASE}/pith/1711.04623.json"),
        ("1711.04623v2", f"{BASE}/pith/1711.04623v2.json"),
        ("cs/0512068", f"{BASE}/pith/cs/0512068.json"),
        ("math.GT/0309136", f"{BASE}/pith/math.GT/0309136.json"),
        ("hep-th/9901001", f"{BASE}/pith/hep-th/9901001.json"),
        ("a b?c#d%e", f"{BASE}/pith/a%20b%3Fc%23d%25e.json"),
    ],
)
def test_record_url(key: str, expected: str) -> None:
    assert record_url(BASE, key) == expected


@pytest.mark.parametrize("key", ["", ".", "..", "../admin", "cs//0512068", "/etc", "cs/", "a/./b"])
def test_record_url_refuses_keys_that_would_leave_the_path(key: str) -> None:
    with pytest.raises(ValueError):
        record_url(BASE, key)


def test_id_urls() -> None:
    assert bundle_url(BASE, PITH_ID) == f"{BASE}/pith/{PITH_ID}/bundle.json"
    assert page_url(BASE, PITH_ID) == f"{BASE}/pith/{PITH_ID}"
    assert paper_url(BASE, "TJ77MKGI") == f"{BASE}/paper/TJ77MKGI"


def test_id_urls_encode_slashes_and_unsafe_characters() -> None:
    assert bundle_url(BASE, "a/b") == f"{BASE}/pith/a%2Fb/bundle.json"
    assert paper_url(BASE, "x?y") == f"{BASE}/paper/x%3Fy"
    with pytest.raises(ValueError):
        bundle_url(BASE, "..")
    with pytest.raises(ValueError):
        page_url(BASE, "")


def test_urls_tolerate_a_trailing_slash_on_the_base() -> None:
    assert record_url(BASE + "/", "TJ77MKGI") == f"{BASE}/pith/TJ77MKGI.json"


def test_base_with_a_path_prefix() -> None:
    base = "https://mirror.example.org/pith-mirror"
    assert record_url(base, "cs/0512068") == f"{base}/pith/cs/0512068.json"


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv(urls.BASE_URL_ENV, raising=False)
    return monkeypatch


def test_default_base_url(no_env: pytest.MonkeyPatch) -> None:
    assert resolve_base_url() == DEFAULT_BASE_URL == "https://pith.science"
    assert resolve_base_url(None) == DEFAULT_BASE_URL


def test_env_base_url(no_env: pytest.MonkeyPatch) -> None:
    no_env.setenv("PITH_BASE_URL", "http://127.0.0.1:8000/")
    assert resolve_base_url() == "http://127.0.0.1:8000"


def test_empty_env_means_default(no_env: pytest.MonkeyPatch) -> None:
    no_env.setenv("PITH_BASE_URL", "  ")
    assert resolve_base_url() == DEFAULT_BASE_URL


def test_cli_value_beats_env(no_env: pytest.MonkeyPatch) -> None:
    no_env.setenv("PITH_BASE_URL", "http://127.0.0.1:8000")
    assert resolve_base_url("https://mirror.example.org/") == "https://mirror.example.org"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://pith.science", "https://pith.science"),
        ("https://pith.science///", "https://pith.science"),
        ("  HTTPS://Pith.Science/  ", "https://pith.science"),
        ("https://mirror.example.org/pith/", "https://mirror.example.org/pith"),
        ("http://[::1]:8080/", "http://[::1]:8080"),
    ],
)
def test_base_url_normalised(no_env: pytest.MonkeyPatch, value: str, expected: str) -> None:
    assert resolve_base_url(value) == expected


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("", "empty"),
        ("pith.science", "http:// or https://"),
        ("ftp://pith.science", "http:// or https://"),
        ("localhost:8000", "http:// or https://"),
        ("https://", "no host"),
        ("https:///pith", "no host"),
        ("https://pith.science/?x=1", "query"),
        ("https://pith.science?", "query"),
        ("https://pith.science/#top", "fragment"),
        ("https://user:secret@pith.science", "user name or password"),
        ("https://pith.science:99999", "not a valid address"),
        ("https://pith.science:http", "not a valid address"),
        ("https://pith science", "spaces or control characters"),
        ("https://pith.science/\x1b[31m", "spaces or control characters"),
    ],
)
def test_bad_base_url(no_env: pytest.MonkeyPatch, value: str, words: str) -> None:
    with pytest.raises(ValueError, match=r"^the Pith base URL") as caught:
        resolve_base_url(value)
    message = str(caught.value)
    assert words in message
    assert "\n" not in message


def test_bad_env_base_url_names_the_variable(no_env: pytest.MonkeyPatch) -> None:
    no_env.setenv("PITH_BASE_URL", "gopher://pith.science")
    with pytest.raises(ValueError, match="PITH_BASE_URL"):
        resolve_base_url()
