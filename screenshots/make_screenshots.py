"""Regenerate the SVG screenshots in this folder from the real app on the real records.

    python screenshots/make_screenshots.py

Each shot runs `PithApp` headless on a fresh temporary cache holding the bundled samples
(the four real Pith records), offline, so no network is used and the shots are repeatable.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sqlite3
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from pith_tui.core.resolver import Resolver  # noqa: E402
from pith_tui.core.session import open_session  # noqa: E402
from pith_tui.tui.app import PithApp  # noqa: E402

LABEL_NOISE_ID = "4K6GSOJWB7QU2RFIL3CD3BQJ62"  # arXiv 2106.06530


def tamper(resolver: Resolver) -> None:
    """Change the signed primary category of 2106.06530 in the cache file, as someone with
    access to the disk could: pith-tui re-verifies on load, so the record shows FAILED."""
    stored = resolver.cache.get(LABEL_NOISE_ID, "record")
    assert stored is not None
    document = json.loads(stored.raw)
    document["canonical_record"]["metadata"]["primary_cat"] = "cs.CR"
    connection = sqlite3.connect(resolver.cache.path)
    with connection:
        connection.execute(
            "UPDATE documents SET raw = ? WHERE pith_id = ? AND kind = 'record'",
            (json.dumps(document, indent=1).encode(), LABEL_NOISE_ID),
        )
    connection.close()


async def shoot(
    name: str,
    query: str,
    *,
    size: tuple[int, int] = (120, 40),
    keys: Sequence[str] = (),
    tab: str | None = None,
    tampered: bool = False,
) -> Path:
    with tempfile.TemporaryDirectory() as folder:
        session = open_session(
            cache_dir=Path(folder) / "cache", config_dir=Path(folder) / "config", offline=True
        )
        if tampered:
            tamper(session.resolver)
        app = PithApp(session.resolver, initial_query=query, notices=session.notices)
        async with app.run_test(size=size, notifications=True) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            if tab is not None:  # show a pane of the main screen (its tab when small), focused
                app.main_screen.show_pane(tab)
                await pilot.pause()
            for key in keys:
                await pilot.press(key)
                await app.workers.wait_for_complete()
                await pilot.pause()
            await pilot.pause(0.2)
            path = app.save_screenshot(filename=f"{name}.svg", path=str(HERE))
        session.resolver.cache.close()
    return Path(path)


async def main() -> None:
    shots = [
        await shoot("main-record-2106.06530", "2106.06530"),
        await shoot("main-bundle-1812.00542", "pith:TJ77MKGI"),
        await shoot("main-bundle-80x24", "pith:TJ77MKGI", size=(80, 24)),
        await shoot("main-bundle-200x60", "pith:TJ77MKGI", size=(200, 60)),
        await shoot("failed-tampered-2106.06530", "2106.06530", tampered=True),
        await shoot("help", "2106.06530", keys=["question_mark"]),
        await shoot("timeline-1812.00542", "pith:TJ77MKGI", tab="timeline", keys=["down"]),
        await shoot("cited-by-1611.01838", "1611.01838", tab="citations"),
    ]
    if importlib.util.find_spec("pith_tui.tui.screens.cache_screen") is not None:
        shots.append(await shoot("cache-review", "2106.06530", keys=["c"]))
    else:
        print("skipped cache-review: the cache review screen is not there yet")
    for path in shots:
        print(f"wrote {path.relative_to(HERE.parent)}")


if __name__ == "__main__":
    asyncio.run(main())
