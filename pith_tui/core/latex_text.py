"""LaTeX as a .bib writes it -> the plain text a title hash was made from.

Braces go, accents become characters (`{\\"o}` -> ö), text macros keep their argument
(`\\emph{Flat}` -> Flat), escaped specials become themselves (`\\&` -> &), and math is left
exactly as written (`$\\ell_1$`), as arXiv titles keep it. pylatexenc (bibtexparser's own
dependency) does the reading, in tolerant mode.

A .bib may write a title in more than one way that people consider the same: `--` as a
dash or as two hyphens, accents as TeX where arXiv kept TeX, or decomposed accents. `title_readings` gives each
distinct reading; a title check passes when one of them hashes to the signed title hash.
Input is bounded before parsing (length and brace depth), so hostile text cannot make the
recursive parser fail or run long.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from pylatexenc import latex2text, latexwalker
from pylatexenc.macrospec import MacroSpec

MAX_LATEX_CHARS = 4000
"""Longer text is not read as LaTeX (no title is near it)."""

MAX_BRACE_DEPTH = 32
"""Deeper nesting is not read as LaTeX (a title has two or three levels)."""

_LIGATURES = "nonascii-specials"  # -- --- `` '' ~ : typographic ligatures


class LatexTextError(ValueError):
    """The text is too long or too deeply nested to be read as LaTeX."""


def brace_depth(text: str) -> int:
    """The deepest nesting of unescaped braces in `text`."""
    depth = deepest = 0
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "{":
            depth += 1
            deepest = max(deepest, depth)
        elif char == "}":
            depth = max(0, depth - 1)
    return deepest


def _check_bounds(text: str) -> None:
    if len(text) > MAX_LATEX_CHARS:
        raise LatexTextError(f"longer than {MAX_LATEX_CHARS:,} characters")
    if brace_depth(text) > MAX_BRACE_DEPTH:
        raise LatexTextError(f"braces nested more than {MAX_BRACE_DEPTH} deep")


@lru_cache(maxsize=2)
def _converter(ligatures: bool) -> latex2text.LatexNodes2Text:
    db = latex2text.get_default_latex_context_db()
    if not ligatures:
        db = db.filter_context(exclude_categories=[_LIGATURES])
    # What core/cite.py writes for ^ and ~ outside math must read back as ^ and ~.
    db.add_context_category(
        "pith-tui",
        macros=[
            latex2text.MacroTextSpec("textasciicircum", "^"),
            latex2text.MacroTextSpec("textasciitilde", "~"),
        ],
        prepend=True,
    )
    return latex2text.LatexNodes2Text(latex_context=db, math_mode="verbatim")


@lru_cache(maxsize=1)
def _walker_context() -> object:
    db = latexwalker.get_default_latex_context_db()
    db.add_context_category(
        "pith-tui",
        macros=[MacroSpec("textasciicircum", ""), MacroSpec("textasciitilde", "")],
        prepend=True,
    )
    return db


def latex_to_text(text: str, *, ligatures: bool = True) -> str:
    """`text` as plain text, math kept; runs of whitespace become one space.

    `ligatures=False` keeps `--`, `---`, ``` `` ```, `''` and `~` as typed.
    `LatexTextError` when `text` is out of bounds.
    """
    _check_bounds(text)
    try:
        walker = latexwalker.LatexWalker(
            text, latex_context=_walker_context(), tolerant_parsing=True
        )
        nodes, _, _ = walker.get_latex_nodes()
        converted = str(_converter(ligatures).nodelist_to_text(nodes))
    except (RecursionError, latexwalker.LatexWalkerError) as exc:  # bounded above; defensive
        raise LatexTextError("not readable as LaTeX") from exc
    return " ".join(converted.split())


def title_readings(text: str) -> tuple[str, ...]:
    """The distinct plain-text readings of a .bib title, the usual one first (see above).

    `LatexTextError` when `text` is out of bounds.
    """
    readings = [
        latex_to_text(text),
        latex_to_text(text, ligatures=False),
        " ".join(text.replace("{", "").replace("}", "").split()),  # TeX kept, braces gone
    ]
    # Text pasted from a PDF or a macOS file name may hold decomposed accents (o + U+0308):
    # the same letters, so their composed form (NFC) is a reading too.
    readings += [unicodedata.normalize("NFC", reading) for reading in readings]
    return tuple(dict.fromkeys(reading for reading in readings if reading))
