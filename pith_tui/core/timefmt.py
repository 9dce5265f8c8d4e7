"""How long ago something happened, in the short words every screen and listing uses."""

from __future__ import annotations

from datetime import datetime, timezone


def relative_time(then: datetime, now: datetime) -> str:
    """ "just now", "12 min ago", "3 h ago", "5 d ago", "4 mo ago", "2 y ago"."""
    if then.tzinfo is None:
        then = then.replace(tzinfo=timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    seconds = (now - then).total_seconds()
    if seconds < 60:
        return "just now"  # also a time slightly in the future (another machine's clock)
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h ago"
    days = hours // 24
    if days < 60:
        return f"{days} d ago"
    if days < 730:
        return f"{days // 30} mo ago"
    return f"{days // 365} y ago"
