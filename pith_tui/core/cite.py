"""A BibTeX entry for a record: what `b` copies in the browser and `pith-tui cite` prints.

Every value comes from the `RecordView`'s display fields, so it carries the provenance the
panes show; a comment above the entry says, field by field, which values are signed or
checked against the signed record and which are the server's unsigned text. The Pith
Number has a field of its own (`pith`), which `verify --bib` reads back.

Title and authors are escaped for LaTeX outside `$...$` math (kept as written, as arXiv
keeps it), so that reading the entry's title back as text (`latex_text`) gives exactly the
title that was hashed: a cited entry passes `verify --bib`.
"""

from __future__ import annotations

import re

from pith_tui.core.provenance import DisplayField, FieldName
from pith_tui.core.sanitize import clean_text
from pith_tui.core.view import RecordView
from pith_tui.core.vocab import Verdict

_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "$": r"\$",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}
_SPECIAL = re.compile(r"[\\{}&%#_$^~]")
_MATH = re.compile(r"\$[^$]+\$")  # inline math, kept verbatim
_KEY_WORD = re.compile(r"[A-Za-z]+")


def escape_latex(text: str) -> str:
    """`text` with LaTeX's special characters escaped, `$...$` math kept as written."""
    out: list[str] = []
    position = 0
    for math in _MATH.finditer(text):
        if _balanced(math.group()):
            out.append(_escape_plain(text[position : math.start()]))
            out.append(math.group())
            position = math.end()
    out.append(_escape_plain(text[position:]))
    return "".join(out)


def _escape_plain(text: str) -> str:
    return _SPECIAL.sub(lambda match: _ESCAPES[match.group()], text)


def _balanced(math: str) -> bool:
    depth = 0
    escaped = False
    for char in math:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0 and not escaped


def _value(view: RecordView, name: FieldName) -> DisplayField | None:
    item = view.fields.get(name)
    return item if item is not None and item.present else None


def _text(item: DisplayField | None) -> str:
    return clean_text(item.text) if item is not None else ""


def _authors(text: str) -> list[str]:
    """`authors_text` ("A, B and C") as BibTeX names."""
    names = re.split(r",\s*|\s+and\s+", text)
    return [name.strip() for name in names if name.strip()]


def cite_key(view: RecordView) -> str:
    """`damian2021label`: first author's surname, year, first title word; else the short id."""
    authors = _authors(_text(_value(view, FieldName.AUTHORS)))
    year = _text(_value(view, FieldName.SUBMITTED_AT))[:4]
    title_words = _KEY_WORD.findall(_text(_value(view, FieldName.TITLE)))
    surname = _KEY_WORD.findall(authors[0].split()[-1]) if authors else []
    if surname and year.isdigit() and title_words:
        return f"{surname[0].lower()}{year}{title_words[0].lower()}"
    return f"pith{view.short_pith_number.removeprefix('pith:')}"


def bibtex_entry(view: RecordView) -> str:
    """The BibTeX entry for `view`, with provenance comments above it."""
    title = _value(view, FieldName.TITLE)
    authors = _value(view, FieldName.AUTHORS)
    submitted = _value(view, FieldName.SUBMITTED_AT)
    primary = _value(view, FieldName.PRIMARY_CAT)
    arxiv = _value(view, FieldName.ARXIV_ID)
    number = _value(view, FieldName.PITH_NUMBER)
    arxiv_id = _text(arxiv)
    lines: list[tuple[str, str, DisplayField | None]] = []
    if title is not None:
        lines.append(("title", "{" + escape_latex(_text(title)) + "}", title))
    if authors is not None:
        names = " and ".join(escape_latex(name) for name in _authors(_text(authors)))
        lines.append(("author", names, authors))
    if submitted is not None and _text(submitted)[:4].isdigit():
        lines.append(("year", _text(submitted)[:4], submitted))
    if arxiv_id:
        lines.append(("eprint", arxiv_id, arxiv))
        lines.append(("archivePrefix", "arXiv", None))
        if primary is not None:
            lines.append(("primaryClass", _text(primary), primary))
        lines.append(("doi", f"10.48550/arXiv.{arxiv_id}", arxiv))
        lines.append(("url", f"https://arxiv.org/abs/{arxiv_id}", arxiv))
    lines.append(("pith", _text(number) or view.pith_number, number))
    comments = [f"% pith-tui: {view.pith_number}, verdict {view.verdict.value}"]
    if view.verdict is not Verdict.VERIFIED:
        comments.append("% pith-tui: NOT VERIFIED: do not rely on these values")
    for name, _, item in lines:
        if item is not None:
            comments.append(f"% {name}: {item.provenance.words}")
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value, _ in lines)
    return "\n".join(comments) + f"\n@misc{{{cite_key(view)},\n{body}\n}}\n"
