"""The real Pith records that ship with the package, so pith-tui works with no network."""

from __future__ import annotations

from importlib import resources


def sample_documents() -> list[tuple[str, bytes]]:
    """(file name, raw bytes) of every shipped sample, sorted by name."""
    folder = resources.files("pith_tui.core").joinpath("data").joinpath("samples")
    return sorted(
        (entry.name, entry.read_bytes())
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    )
