"""Shared helpers for the TUI tests: a fake Pith service, resolvers with a frozen clock,
tampering with the cache, and reading what is on screen. No test reaches the network.

Typical use:

    pith = FakePith()
    pith.add_record(make_record(...))
    resolver = make_resolver(tmp_path, pith=pith)
    app = PithApp(resolver, initial_query="2403.00001")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        assert "A Test Paper" in screen_text(app)
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
from textual.app import App
from textual.pilot import Pilot

from pith_tui.core.canonical import canonical_sha256
from pith_tui.core.ids import pith_id_from_sha256_hex
from pith_tui.core.resolver import Resolver
from pith_tui.core.session import open_session
from tests.conftest import REAL_RECORDS

BASE_URL = "https://pith.science"
FROZEN_NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=timezone.utc)
HOSTILE_TITLE = "[link=https://x]click[/link] :white_check_mark: [@click=app.quit]q[/]"

# The four real records, by what a person would type.
LABEL_NOISE = "2106.06530"  # number record, pith:2021:4K6GSOJWB7QU2RFIL3CD3BQJ62
LABEL_NOISE_TITLE = "Label Noise SGD Provably Prefers Flat Global Minimizers"
LABEL_NOISE_NUMBER = "pith:2021:4K6GSOJWB7QU2RFIL3CD3BQJ62"
LABEL_NOISE_ID = "4K6GSOJWB7QU2RFIL3CD3BQJ62"
LARGE_BATCH = "1812.00542"  # open graph bundle, pith:2018:TJ77MKGIYVJE4LNYFYW7EA7KKL
LARGE_BATCH_TITLE = "Towards Theoretical Understanding of Large Batch Training"
LARGE_BATCH_ID = "TJ77MKGIYVJE4LNYFYW7EA7KKL"
SHARP_MINIMA = "1611.01838"  # number record with inbound citations
SHARP_MINIMA_ID = "OCXKLV426LDXCCJME7JSY36CQW"


class Clock:
    """A clock the tests move by hand: `clock.advance(hours=3)`."""

    def __init__(self, now: datetime = FROZEN_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def pith_id_of(document: dict[str, Any]) -> str:
    return pith_id_from_sha256_hex(canonical_sha256(document["canonical_record"]))


class FakePith:
    """The Pith service as an `httpx.MockTransport`: serves documents by path, else 404.

    `hits` counts requests per path; `fail_with` makes every request fail with that status.
    """

    def __init__(self, *, real: bool = True) -> None:
        self.documents: dict[str, bytes] = {}
        self.hits: Counter[str] = Counter()
        self.fail_with: int | None = None
        if real:
            self.add_real_records()

    def add_real_records(self) -> None:
        """Serve the four real documents, byte for byte, as pith.science does."""
        for name, path in REAL_RECORDS.items():
            if name == "bundle":
                self.add_bundle(path.read_bytes())
            else:
                self.add_record(path.read_bytes())

    def add_record(self, document: dict[str, Any] | bytes) -> str:
        """Serve a number record under its Pith id, 8-char short id and arXiv id."""
        raw = document if isinstance(document, bytes) else json.dumps(document).encode()
        parsed = json.loads(raw)
        pith_id = pith_id_of(parsed)
        for key in (pith_id, pith_id[:8], parsed["source"]["id"]):
            self.documents[f"/pith/{key}.json"] = raw
        return pith_id

    def add_bundle(self, document: dict[str, Any] | bytes, *, with_record: bool = False) -> str:
        raw = document if isinstance(document, bytes) else json.dumps(document).encode()
        pith_id = pith_id_of(json.loads(raw))
        self.documents[f"/pith/{pith_id}/bundle.json"] = raw
        return pith_id

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.hits[path] += 1
        if self.fail_with is not None:
            return httpx.Response(self.fail_with, text="failure")
        body = self.documents.get(path)
        if body is None:
            return httpx.Response(404, text="not found")
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    @property
    def total_hits(self) -> int:
        return sum(self.hits.values())


def make_resolver(
    tmp_path: Path,
    *,
    pith: FakePith | None = None,
    clock: Callable[[], datetime] | None = None,
    offline: bool = False,
    config_dir: Path | None = None,
    samples: bool = True,
) -> Resolver:
    """`open_session` with a fake service and a frozen clock (so ages such as
    "fetched 3 h ago" are the same on every run). `config_dir` may pin the test key."""
    session = open_session(
        base_url=BASE_URL,
        offline=offline,
        cache_dir=tmp_path / "tui-cache",
        config_dir=config_dir,
        transport=(pith or FakePith()).transport,
        samples=samples,
        clock=clock or Clock(),
    )
    resolver = session.resolver
    return resolver


def cache_document(resolver: Resolver, raw: bytes, *, source: str = "network") -> str:
    """Verify and store a document as if it had been fetched now; returns its Pith id."""
    item = resolver.verify_bytes(raw)
    resolver.store(item, source=source)
    return item.pith_id


def cache_real(resolver: Resolver, *names: str) -> None:
    """Store real documents (`2106.06530`, `bundle`, …) as fetched from the network now."""
    for name in names:
        cache_document(resolver, REAL_RECORDS[name].read_bytes())


def real_record(name: str) -> dict[str, Any]:
    """One of the real documents the package ships (`2106.06530`, `bundle`, …), parsed."""
    return json.loads(REAL_RECORDS[name].read_bytes())


def tamper_cached(
    resolver: Resolver, pith_id: str, kind: str, edit: Callable[[dict[str, Any]], None]
) -> None:
    """Edit a cached document's raw bytes in the SQLite file, as an attacker with disk access
    would (the cache never re-verifies on write; the resolver re-verifies on every load)."""
    stored = resolver.cache.get(pith_id, kind)
    assert stored is not None, f"{pith_id} {kind} is not cached"
    document = json.loads(stored.raw)
    edit(document)
    with sqlite3.connect(resolver.cache.path) as connection:
        connection.execute(
            "UPDATE documents SET raw = ? WHERE pith_id = ? AND kind = ?",
            (json.dumps(document, indent=1).encode(), pith_id, kind),
        )
    connection.close()


def tamper_label_noise(resolver: Resolver) -> None:
    """Change the signed primary category of 2106.06530 in the cache: the hash breaks."""

    def edit(document: dict[str, Any]) -> None:
        document["canonical_record"]["metadata"]["primary_cat"] = "cs.CR"

    tamper_cached(resolver, LABEL_NOISE_ID, "record", edit)


async def settle(pilot: Pilot[Any]) -> None:
    """Wait for every worker (lookups) and the messages they post."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def wait_until(
    pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 10.0
) -> None:
    """Pause until `condition()` holds (for work the pilot cannot wait on, such as the
    command palette's search); fails after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out waiting for the screen to change"
        await pilot.pause(0.02)


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type into the focused widget, one key per character."""
    await pilot.press(*text)


def screen_text(app: App[Any]) -> str:
    """The plain text on the current screen (toasts included), one line per row."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


def notifications(app: App[Any]) -> list[tuple[str, str, str]]:
    """(severity, title, message) of every notification still shown."""
    return [(n.severity, n.title, n.message) for n in app._notifications]
