"""Filling a `DataTable` with `Text` cells under columns of fixed widths.

Cells are always `Text` (a `str` cell would be parsed as markup). The columns are added
once, with fixed widths, and kept: a new record replaces the rows only (`clear()`, not
`clear(columns=True)`), so showing a record never rebuilds the table's structure and the
columns do not jump from one record to the next. A longer value is cut with "…".
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
    """Replace the table's rows; `columns` is (label, width) each, added the first time."""
    cursor_row = table.cursor_row
    if len(table.columns) != len(columns):
        table.clear(columns=True)
        for label, width in columns:
            table.add_column(label, width=width, key=label)
    else:
        table.clear()
    for row in rows:
        table.add_row(
            *(_fitted(cell, width) for cell, (_l, width) in zip(row, columns, strict=True))
        )
    if rows and 0 < cursor_row < len(rows):
        table.move_cursor(row=cursor_row)


def _fitted(cell: Text, width: int) -> Text:
    if cell.cell_len <= width:
        return cell
    cut = cell.copy()
    cut.truncate(width, overflow="ellipsis")
    return cut
