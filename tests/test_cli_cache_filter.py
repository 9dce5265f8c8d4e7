"""`pith-tui cache list --filter`: the listing's filter words (`verdict:`) on the command line."""

from __future__ import annotations

from pith_tui.core.session import open_session
from tests.test_cli import cache_dir, run

SHARP_MINIMA = "pith:2016:OCXKLV426LDXCCJME7JSY36CQW"


def test_cache_list_filters_by_words_and_verdict() -> None:
    code, out, _ = run("cache", "list")  # the samples, all verified
    assert code == 0 and len(out.splitlines()) == 4
    session = open_session(cache_dir=cache_dir(), offline=True)
    session.resolver.cache.set_verdict(SHARP_MINIMA.rsplit(":", 1)[-1], "failed")
    session.resolver.cache.close()

    code, out, err = run("cache", "list", "--filter", "verdict:failed")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == [SHARP_MINIMA]
    assert err.startswith("1 cached record(s)")

    code, out, _ = run("cache", "list", "--filter", "gradient verdict:verified", "--json")
    assert code == 0
    assert '"verdict": "failed"' not in out and out.count('"pith_number"') == 2

    code, out, _ = run("cache", "list", "--filter", "descent")
    assert code == 0 and len(out.splitlines()) == 3


def test_an_unknown_verdict_is_a_usage_error() -> None:
    code, out, err = run("cache", "list", "--filter", "verdict:bogus")
    assert code == 2
    assert out == ""
    assert "no verdict “bogus”" in err and "verified, failed, incomplete, unknown" in err
