"""The terminal browser (Textual). The only part of pith-tui that imports `textual`."""
