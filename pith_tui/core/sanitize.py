"""The one sanitizer for untrusted text before it reaches a screen or a terminal.

Record text (titles, authors, abstracts, payload strings) comes from the network. Textual
passes ESC, C1 controls and bidi overrides through to the terminal, so a title could move the
cursor, set the clipboard (OSC 52), reorder what the user reads, or hide characters. Every such
character is *made visible* as `<U+XXXX>` rather than deleted, so tampering shows instead of
being silently repaired: `"\\x1b]52;c;SGVsbG8=\\x07"` becomes `"<U+001B>]52;c;SGVsbG8=<U+0007>"`.

Markup is not this module's job: the UI builds `Text`/`Content` objects from record text and
never interpolates it into markup strings, so `[link=…]`, `[@click=…]` and `:emoji:` names are
left as they are here (and shown literally there).
"""

from __future__ import annotations

import re

UNSAFE_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0000, 0x001F, "C0 controls"),
    (0x007F, 0x009F, "DEL and C1 controls"),
    (0x00AD, 0x00AD, "soft hyphen"),
    (0x034F, 0x034F, "combining grapheme joiner"),
    (0x061C, 0x061C, "Arabic letter mark (bidi)"),
    (0x115F, 0x1160, "Hangul fillers"),
    (0x17B4, 0x17B5, "Khmer invisible vowels"),
    (0x180E, 0x180E, "Mongolian vowel separator"),
    (0x200B, 0x200F, "zero-width space, (non-)joiner, LRM, RLM"),
    (0x2028, 0x2029, "line and paragraph separators"),
    (0x202A, 0x202E, "bidi embeddings and overrides"),
    (0x2060, 0x206F, "word joiner, invisible operators, bidi isolates, deprecated formats"),
    (0x3164, 0x3164, "Hangul filler"),
    (0xD800, 0xDFFF, "lone surrogates"),
    (0xFEFF, 0xFEFF, "zero-width no-break space (BOM)"),
    (0xFFA0, 0xFFA0, "halfwidth Hangul filler"),
    (0xFFF9, 0xFFFB, "interlinear annotation controls"),
    (0x1D173, 0x1D17A, "musical formatting controls"),
    (0xE0000, 0xE007F, "tag characters"),
)
"""Every code point in these ranges is shown as `<U+XXXX>` (the exceptions are the line breaks
and tabs of `single_line`, below). Variation selectors are kept: emoji need them."""

ELLIPSIS = "…"
_LINE_BREAKS = "\n\t\r\u2028\u2029"  # each becomes one space in single_line mode
_KEPT_IN_MULTILINE = "\n\t"
_MAX_DISTINCT_FOR_REPLACE = 16  # above this, one str.translate beats many str.replace passes
_PARTIAL_TOKEN = re.compile(r"<(?:U(?:\+[0-9A-F]{0,5})?)?\Z")
_TOKEN = re.compile(r"<U\+[0-9A-F]{4,6}>")


def _visible(code_point: int) -> str:
    return f"<U+{code_point:04X}>"


def _build(single_line: bool) -> tuple[re.Pattern[str], dict[str, str], dict[int, str]]:
    table = {chr(cp): _visible(cp) for lo, hi, _ in UNSAFE_RANGES for cp in range(lo, hi + 1)}
    if single_line:
        table.update(dict.fromkeys(_LINE_BREAKS, " "))
    else:
        for char in _KEPT_IN_MULTILINE:
            del table[char]
    code_points = sorted(map(ord, table))
    runs: list[list[int]] = []
    for cp in code_points:
        if runs and runs[-1][1] == cp - 1:
            runs[-1][1] = cp
        else:
            runs.append([cp, cp])
    char_class = "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in runs)
    return re.compile(f"[{char_class}]"), table, {ord(k): v for k, v in table.items()}


_SINGLE_LINE = _build(single_line=True)
_MULTI_LINE = _build(single_line=False)


def clean_text(text: object, *, single_line: bool = True, max_chars: int | None = None) -> str:
    """Make untrusted text safe to put on a terminal, as one line or (single_line=False) many.

    Controls, bidi and invisible characters (see `UNSAFE_RANGES`) become `<U+XXXX>`. With
    `single_line`, each newline, tab, CR, CRLF and U+2028/2029 becomes one space; otherwise
    `\\n` and `\\t` are kept and CRLF becomes `\\n`. Non-str input is converted first (None is
    ""). `max_chars` caps the result, counted after replacement, ending in "…" when cut.
    Markup is not escaped: build rich `Text` from the result, never a markup string.
    Idempotent: cleaning clean text changes nothing.
    """
    s = _as_str(text)
    if max_chars is not None:
        if max_chars < 0:
            raise ValueError("max_chars must be >= 0")
        # Each input char yields at least one output char, except the CR of a CRLF: this
        # prefix is long enough to decide the cut, and bounds the work on huge inputs.
        limit = 2 * max_chars + 2
        if len(s) > limit:
            s = s[:limit].removesuffix("\r")
    if "\r\n" in s:
        s = s.replace("\r\n", "\n")
    pattern, table, ordinal_table = _SINGLE_LINE if single_line else _MULTI_LINE
    first = pattern.search(s)
    if first is not None:
        start = first.start()
        present = table.keys() & set(s[start:])
        if len(present) <= _MAX_DISTINCT_FOR_REPLACE:
            for char in present:
                s = s.replace(char, table[char])
        else:
            s = s[:start] + s[start:].translate(ordinal_table)
    if max_chars is not None and len(s) > max_chars:
        s = _truncate(s, max_chars)
    return s


def clean_multiline(text: object, max_chars: int | None = None) -> str:
    """`clean_text` keeping newlines and tabs (abstracts, payload text)."""
    return clean_text(text, single_line=False, max_chars=max_chars)


def _as_str(text: object) -> str:
    if isinstance(text, str):
        return text
    if text is None:
        return ""
    if isinstance(text, (bytes, bytearray)):
        return bytes(text).decode("utf-8", errors="replace")
    try:
        return str(text)
    except Exception:  # e.g. an int too large to print, or a broken __str__
        return f"<unprintable {type(text).__name__}>"


def _truncate(s: str, max_chars: int) -> str:
    """Cut to max_chars including the ellipsis, never through the middle of a `<U+…>` token."""
    if max_chars == 0:
        return ""
    kept = s[: max_chars - 1]
    partial = _PARTIAL_TOKEN.search(kept, max(0, len(kept) - 8))
    if partial is not None and _TOKEN.match(s, partial.start()):
        kept = kept[: partial.start()]
    return kept + ELLIPSIS
