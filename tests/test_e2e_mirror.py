"""End to end: export the cache as a static mirror, serve it with a real HTTP server on
127.0.0.1, and look records up through it with the CLI: online, offline, and with the
server gone. Nothing here reaches beyond 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import copy
import io
import json
import os
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from pith_tui.cli import main
from pith_tui.core import client, mirror
from pith_tui.core.cache import Cache
from pith_tui.core.keys import TrustStore
from pith_tui.core.resolver import Resolver
from pith_tui.core.session import open_session
from pith_tui.core.verify import Verdict
from tests.conftest import REAL_RECORDS
from tests.mirror_server import MirrorServer
from tests.signing import dumps, make_bundle, make_record

ID_2106 = "4K6GSOJWB7QU2RFIL3CD3BQJ62"
ID_1812 = "TJ77MKGIYVJE4LNYFYW7EA7KKL"
GENERATED_ARXIV = "2403.00042"


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    assert "Traceback" not in err.getvalue()
    return code, out.getvalue(), err.getvalue()


def run_json(*argv: str | Path) -> tuple[int, list[dict[str, Any]], str]:
    code, out, err = run("verify", "--json", *argv)
    data = json.loads(out)
    return code, data if isinstance(data, list) else [data], err


def never_called(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no network request was expected, got GET {request.url}")


class Exported:
    def __init__(self, directory: Path, record: dict[str, Any], bundle: dict[str, Any]) -> None:
        self.directory = directory
        self.record = record
        self.bundle = bundle
        self.pith_number: str = record["pith_number"]
        self.pith_id = self.pith_number.rsplit(":", 1)[-1]


@pytest.fixture
def exported(tmp_path: Path, config_with_test_key: Path) -> Exported:
    """A mirror exported from a cache with the 4 samples and a generated record + bundle."""
    record = make_record(GENERATED_ARXIV, title="A Mirrored Paper")
    bundle = make_bundle(GENERATED_ARXIV, title="A Mirrored Paper", extra_events=("correction",))
    files = tmp_path / "files"
    files.mkdir()
    (files / "record.json").write_bytes(dumps(record))
    (files / "bundle.json").write_bytes(dumps(bundle))

    session = open_session(
        cache_dir=tmp_path / "source-cache",
        config_dir=config_with_test_key,
        transport=httpx.MockTransport(never_called),
    )
    try:
        outcomes = mirror.import_files(
            session.resolver, [files / "record.json", files / "bundle.json"]
        )
        assert [o.stored for o in outcomes] == [True, True], outcomes
        result = mirror.export_mirror(session.resolver, tmp_path / "mirror")
    finally:
        session.resolver.cache.close()
    assert result.records == 5 and result.skipped == []
    return Exported(tmp_path / "mirror", record, bundle)


@pytest.fixture(autouse=True)
def _short_retry_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused connection is retried with waits; keep them short once the server is gone."""
    monkeypatch.setattr(client, "BACKOFF_FIRST_WAIT", 0.01)


def test_lookups_through_a_served_mirror_then_offline_then_with_the_server_gone(
    tmp_path: Path, exported: Exported
) -> None:
    gen_id = exported.pith_id
    lookups = [
        # (query, expected Pith id, a request path the lookup must have made)
        (exported.pith_number, gen_id, f"/pith/{gen_id}/bundle.json"),
        (f"pith:{gen_id[:8]}", gen_id, f"/pith/{gen_id[:8]}.json"),
        (gen_id[:16], gen_id, f"/pith/{gen_id[:16]}.json"),
        (GENERATED_ARXIV, gen_id, f"/pith/{GENERATED_ARXIV}.json"),
        (f"arXiv:{GENERATED_ARXIV}v1", gen_id, f"/pith/{GENERATED_ARXIV}.json"),
        (f"10.48550/arXiv.{GENERATED_ARXIV}", gen_id, f"/pith/{GENERATED_ARXIV}.json"),
        ("pith:4K6GSOJW", ID_2106, f"/pith/{ID_2106}.json"),
        ("1704.04289v2", "UTTGU3KIYM6JKD6ALUV7A7CX74", "/pith/1704.04289.json"),
        ("1611.01838", "OCXKLV426LDXCCJME7JSY36CQW", "/pith/1611.01838.json"),
        ("https://doi.org/10.48550/arXiv.1812.00542", ID_1812, "/pith/1812.00542.json"),
    ]
    queries = [query for query, _, _ in lookups]
    shared = tmp_path / "shared-cache"

    with MirrorServer(exported.directory) as server:
        url = server.url
        # A fresh cache (it holds the samples): the record comes from the mirror.
        code, out, err = run("verify", "--base-url", url, "--cache-dir", shared, "2106.06530")
        assert code == 0, err
        assert f"pith:2021:{ID_2106} (record, network)" in out
        assert out.rstrip().endswith("=> VERIFIED")
        assert any(p in server.paths for p in ("/pith/2106.06530.json", f"/pith/{ID_2106}.json"))

        # Every lookup form, each in its own fresh cache so each goes over the network.
        for index, (query, pith_id, path) in enumerate(lookups):
            before = len(server.paths)
            code, views, err = run_json(
                "--base-url", url, "--cache-dir", tmp_path / f"fresh-{index}", query
            )
            assert code == 0, (query, err)
            (view,) = views
            assert view["verdict"] == "verified", query
            assert view["source"] == "network", query
            assert view["pith_number"].endswith(pith_id), query
            assert path in server.paths[before:], (query, server.paths[before:])
            if pith_id == gen_id:
                assert view["kind"] == "record+bundle", query

        # All of them at once in the shared cache.
        code, views, err = run_json("--base-url", url, "--cache-dir", shared, *queries)
        assert code == 0, err
        assert [v["verdict"] for v in views] == ["verified"] * len(lookups)

    assert not server.running
    served = len(server.paths)

    # Offline, the same cache answers every lookup.
    code, views, err = run_json("--offline", "--base-url", url, "--cache-dir", shared, *queries)
    assert code == 0, err
    for view, (query, pith_id, _) in zip(views, lookups, strict=True):
        assert view["verdict"] == "verified", query
        assert view["source"] == "offline", query
        assert view["pith_number"].endswith(pith_id), query

    # Online, server gone: a fresh cached record needs no network at all.
    code, views, err = run_json(
        "--base-url", url, "--cache-dir", shared, exported.pith_number, "2106.06530"
    )
    assert code == 0, err
    for view in views:
        assert view["verdict"] == "verified"
        assert view["source"] == "cache"
        assert not any("could not refresh" in note for note in view["notes"])

    # Something not cached cannot be fetched: exit 3, one line, no traceback.
    code, out, err = run("verify", "--base-url", url, "--cache-dir", shared, "2403.09999")
    assert code == 3
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"2403.09999: error: cannot reach 127.0.0.1:{server.port}")
    assert len(server.paths) == served


def test_a_stale_record_is_revalidated_by_the_real_server_with_a_304(
    tmp_path: Path, exported: Exported, config_with_test_key: Path
) -> None:
    now = [datetime.now(timezone.utc)]
    trust = TrustStore.load(config_with_test_key)

    async def lookups(url: str) -> None:
        resolver = Resolver(Cache.open(tmp_path / "c"), trust, base_url=url, clock=lambda: now[0])
        try:
            first = await resolver.resolve(GENERATED_ARXIV)
            assert (first.source, first.verdict) == ("network", Verdict.VERIFIED)
            stored = resolver.cache.get(exported.pith_id, "record")
            assert stored is not None and stored.last_modified
            now[0] += timedelta(days=2)
            again = await resolver.resolve(GENERATED_ARXIV)
            assert again.verdict is Verdict.VERIFIED
            assert again.fetched_at == now[0]
            after = resolver.cache.get(exported.pith_id, "record")
            assert after is not None
            assert after.fetched_at == now[0] and after.raw == stored.raw
        finally:
            await resolver.aclose()
            resolver.cache.close()

    with MirrorServer(exported.directory) as server:
        asyncio.run(lookups(server.url))
    record_paths = [p for p in server.paths if p == f"/pith/{GENERATED_ARXIV}.json"]
    assert len(record_paths) == 2


def test_a_tampered_file_on_the_mirror_fails_and_is_not_cached(
    tmp_path: Path, exported: Exported
) -> None:
    bad = copy.deepcopy(exported.record)
    signature = bytearray(base64.b64decode(bad["receipt"]["signature_b64"]))
    signature[5] ^= 0x10
    bad["receipt"]["signature_b64"] = base64.b64encode(bytes(signature)).decode()
    (exported.directory / "pith" / f"{GENERATED_ARXIV}.json").write_bytes(dumps(bad))
    (exported.directory / "pith" / "2106.06530.json").write_text("<html>nope</html>")
    cache_dir = tmp_path / "fresh"

    with MirrorServer(exported.directory) as server:
        code, out, err = run(
            "verify", "--base-url", server.url, "--cache-dir", cache_dir, GENERATED_ARXIV
        )
        assert code == 1
        assert any(line.lstrip().startswith("✗ receipt_signature") for line in out.splitlines())
        assert "not stored in the cache" in out
        code, out, err = run(
            "verify", "--base-url", server.url, "--cache-dir", cache_dir, "2106.06530"
        )

    # The sample stays what it was: the HTML answer is reported, the cache copy is shown.
    assert code == 0, err
    assert "could not refresh" in out and "HTML page" in out
    # The failing record was not stored (its bundle, which verified, was).
    session = open_session(cache_dir=cache_dir, samples=False)
    try:
        cache = session.resolver.cache
        assert cache.get(exported.pith_id, "record") is None
        assert cache.get(exported.pith_id, "bundle").raw == dumps(exported.bundle)  # type: ignore[union-attr]
        assert cache.get(ID_2106, "record").raw == (  # type: ignore[union-attr]
            REAL_RECORDS["2106.06530"].read_bytes()
        )
    finally:
        session.resolver.cache.close()


def _serve_older(exported: Exported) -> dict[str, Any]:
    """Replace the mirror's bundle by a validly signed older one: the correction dropped."""
    from tests.signing import restate_bundle

    older = copy.deepcopy(exported.bundle)
    older["events"] = [e for e in older["events"] if e["event_type"] != "correction"]
    older = restate_bundle(older)
    path = exported.directory / "pith" / exported.pith_id / "bundle.json"
    path.write_bytes(dumps(older))
    # Last-Modified has whole seconds: make sure the server does not answer 304 for it.
    later = path.stat().st_mtime + 5
    os.utime(path, (later, later))
    return older


def test_a_mirror_rolled_back_to_an_older_bundle_is_refused_on_refresh(
    tmp_path: Path, exported: Exported, config_with_test_key: Path
) -> None:
    now = [datetime.now(timezone.utc)]
    trust = TrustStore.load(config_with_test_key)
    refusal = (
        "the server served an older bundle than the one cached (it lacks 1 event the cached "
        "one has: correction): kept the cached one"
    )

    async def lookups(url: str) -> None:
        resolver = Resolver(Cache.open(tmp_path / "c"), trust, base_url=url, clock=lambda: now[0])
        try:
            first = await resolver.resolve(exported.pith_number)
            assert [e.event_type for e in first.events][-1] == "correction"
            _serve_older(exported)
            for refresh, later in ((True, timedelta(0)), (False, timedelta(days=2))):
                now[0] += later  # an explicit refresh, then a stale entry's revalidation
                again = await resolver.resolve(exported.pith_number, refresh=refresh)
                assert again.verdict is Verdict.VERIFIED
                assert [e.event_type for e in again.events][-1] == "correction"
                assert refusal in again.notes
            kept = resolver.cache.get(exported.pith_id, "bundle")
            assert kept is not None and kept.raw == dumps(exported.bundle)
        finally:
            await resolver.aclose()
            resolver.cache.close()

    with MirrorServer(exported.directory) as server:
        asyncio.run(lookups(server.url))
    assert server.paths.count(f"/pith/{exported.pith_id}/bundle.json") == 3


def test_the_cli_through_a_rolled_back_mirror_keeps_the_cached_bundle_and_says_so(
    tmp_path: Path, exported: Exported
) -> None:
    cache_dir = tmp_path / "cli-cache"
    with MirrorServer(exported.directory) as server:
        code, views, err = run_json(
            "--base-url", server.url, "--cache-dir", cache_dir, GENERATED_ARXIV
        )
        assert code == 0, err
        _serve_older(exported)
        for as_json in (True, False):
            # Make the cached copies stale, so this lookup revalidates them.
            db = sqlite3.connect(cache_dir / "cache.sqlite3")
            db.execute("UPDATE documents SET fetched_at = '2000-01-01T00:00:00.000000+00:00'")
            db.commit()
            db.close()
            if as_json:
                code, views, err = run_json(
                    "--base-url", server.url, "--cache-dir", cache_dir, GENERATED_ARXIV
                )
                (view,) = views
                assert (code, view["verdict"]) == (0, "verified"), err
                notes = view["notes"]
            else:
                code, out, err = run(
                    "verify", "--base-url", server.url, "--cache-dir", cache_dir, GENERATED_ARXIV
                )
                assert code == 0 and out.rstrip().endswith("=> VERIFIED"), err
                notes = [
                    line.strip()[len("note: ") :] for line in out.splitlines() if "note:" in line
                ]
            assert any(n.startswith("the server served an older bundle") for n in notes), notes
    session = open_session(cache_dir=cache_dir, samples=False)
    try:
        kept = session.resolver.cache.get(exported.pith_id, "bundle")
        assert kept is not None and kept.raw == dumps(exported.bundle)
    finally:
        session.resolver.cache.close()
