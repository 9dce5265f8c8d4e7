"""Filling a `DataTable` with `Text` cells and column widths computed up front.

Cells are always `Text` (a `str` cell would be parsed as markup). Widths are fixed when the
rows are added, so a repaint that lands before the table's idle-time auto-sizing cannot
leave columns cut to their header's width.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable


def fill_table(
    table: DataTable[Text],
    columns: Sequence[tuple[str, int]],
    rows: Sequence[Sequence[Text]],
) -> None:
    """Replace the table's columns and rows; `columns` is (label, max width) each."""
    cursor_row = table.cursor_row
    table.clear(columns=True)
    for index, (label, cap) in enumerate(columns):
        widest = max((row[index].cell_len for row in rows if index < len(row)), default=0)
        table.add_column(label, width=max(len(label), min(widest, cap)), key=label)
    for row in rows:
        table.add_row(*row)
    if rows and 0 < cursor_row < len(rows):
        table.move_cursor(row=cursor_row)
