"""The query history: what was looked up and when, one row per distinct query text."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pith_tui.core.cache.schema import parse_time, time_text

HISTORY_KEEP = 1000


def add(connection: Any, query: str, pith_id: str | None, when: datetime) -> None:
    """Remember a query, inside the caller's write transaction; a repeat moves to the top."""
    # REPLACE gives the row a new rowid, which breaks ties between equal times.
    connection.execute(
        "INSERT OR REPLACE INTO history (query, pith_id, at) VALUES (?, ?, ?)",
        (query, pith_id, time_text(when)),
    )
    connection.execute(
        "DELETE FROM history WHERE rowid NOT IN (SELECT rowid FROM history "
        "ORDER BY at DESC, rowid DESC LIMIT ?)",
        (HISTORY_KEEP,),
    )


def recent(connection: Any, limit: int) -> list[tuple[str, str | None, datetime]]:
    """(query, pith id, time), most recent first."""
    rows = connection.execute(
        "SELECT query, pith_id, at FROM history ORDER BY at DESC, rowid DESC LIMIT ?",
        (max(0, limit),),
    ).fetchall()
    return [(query, pith_id, parse_time(at)) for query, pith_id, at in rows]
