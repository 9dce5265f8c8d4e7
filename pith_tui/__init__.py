"""pith-tui: a terminal browser that re-verifies Pith records with a pinned key."""

__version__ = "0.1.0"
