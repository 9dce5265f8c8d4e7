"""`pith-tui [QUERY]`: the browser starts only for an identifier on a terminal; anything
else is a usage error (exit 2, one line) and never the full-screen app."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pith_tui.cli import browse_cmd, main

REPO = Path(__file__).resolve().parent.parent


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(*argv: str, out: io.StringIO | None = None) -> tuple[int, str]:
    err = io.StringIO()
    code = main(list(argv), out=out or io.StringIO(), err=err)
    assert "Traceback" not in err.getvalue()
    return code, err.getvalue()


@pytest.fixture
def no_app(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record any attempt to start the app instead of starting it."""
    started: list[str] = []

    class FakeApp:
        def __init__(self, *_args: object, **_kwargs: object) -> None:
            started.append("app")

        def run(self) -> None:
            started.append("run")

    import pith_tui.tui.app

    monkeypatch.setattr(pith_tui.tui.app, "PithApp", FakeApp)
    return started


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["verfy", "2106.06530"], "did you mean 'pith-tui verify'"),
        (["cahce"], "did you mean 'pith-tui cache'"),
        (["hello"], "'hello' is not a subcommand (verify, cache, cite) nor an identifier"),
        (["2401.99999.1"], "nor an identifier"),
    ],
)
def test_a_word_that_is_no_query_is_a_usage_error(
    argv: list[str], needle: str, no_app: list[str]
) -> None:
    code, err = run(*argv, out=Terminal())
    assert code == 2
    assert needle in err and len(err.splitlines()) == 1
    assert no_app == []


def test_the_app_never_starts_when_stdout_is_not_a_terminal(no_app: list[str]) -> None:
    code, err = run("--offline", "2106.06530")
    assert code == 2
    assert "needs a terminal" in err and "pith-tui verify" in err
    assert no_app == []


def test_on_a_terminal_an_identifier_starts_the_app(no_app: list[str]) -> None:
    code, err = run("--offline", "2106.06530", out=Terminal())
    assert (code, err) == (0, "")
    assert no_app == ["app", "run"]


def test_piped_it_exits_2_without_escape_codes() -> None:
    env = {**os.environ, "PITH_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pith_tui", "2106.06530"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
        env=env,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert "needs a terminal" in done.stderr and "\x1b" not in done.stderr


def test_subcommand_names_are_the_parsers() -> None:
    assert browse_cmd.SUBCOMMANDS == ("verify", "cache", "cite")
