"""Strict JSON parsing and Pith's canonical form.

One parser for every document pith-tui reads, from the network, the cache or a file.
It refuses anything whose meaning is ambiguous: a signed record must never display a
value it was not signed with (e.g. "last duplicate key wins").

Two implementations stand behind it. The reference is the standard library's `json` with
hooks that refuse what is ambiguous; it decides every document it sees. In front of it
sits a fast path (msgspec, C), which answers only for documents on which it is *proven* to
agree with the reference (`_fast_loads` says how); anything else — a float, a duplicate key,
deep nesting, a huge integer, anything msgspec refuses — goes to the reference, which
accepts or refuses it with its own reason. Likewise canonical bytes come from msgspec's C
encoder only for values of a document the fast path parsed (so they hold no float, the one
JSON value the two encoders write differently); everything else from `json.dumps`.
`tests/test_canonical_fast.py` checks both claims against generated and hostile documents.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pith_tui.core.errors import RecordFormatError

MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_INT_DIGITS = 4300
"""Longer integers are refused whatever the interpreter's own limit (no Pith field is near it)."""

_SURROGATE = re.compile("[\ud800-\udfff]")
# The only ways a lone surrogate gets into parsed JSON: a \uD800-\uDFFF escape, or (str input
# only; strict UTF-8 decoding refuses them in bytes) a literal one.
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


# --- the reference: the standard library, with every ambiguity refused -----------------------


def _reject_constant(name: str) -> Any:
    raise RecordFormatError(f"the JSON contains {name}, which is not valid JSON")


def _parse_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise RecordFormatError(
            f"the JSON has an integer with {digits:,} digits, over the {MAX_INT_DIGITS:,} digit limit"
        )
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # e.g. 1e400: valid JSON syntax, but it would read as Infinity
        raise RecordFormatError(f"the JSON has a number too large to represent ({text[:40]})")
    return value


def _pairs_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise RecordFormatError(f"the JSON repeats the key {key!r} in one object")
        result[key] = value
    return result


def _check_tree(value: Any, max_depth: int) -> None:
    """Depth bound and no lone surrogates, walked without recursion."""
    stack: list[tuple[Any, int, str]] = [(value, 1, "$")]
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, dict):
            if depth > max_depth:
                raise RecordFormatError(f"the JSON is nested deeper than {max_depth} levels", path)
            for key, child in node.items():
                if _SURROGATE.search(key):
                    raise RecordFormatError("a key contains a lone surrogate", path)
                if isinstance(child, (dict, list, str)):
                    stack.append((child, depth + 1, f"{path}.{key}"))
        elif isinstance(node, list):
            if depth > max_depth:
                raise RecordFormatError(f"the JSON is nested deeper than {max_depth} levels", path)
            for index, child in enumerate(node):
                if isinstance(child, (dict, list, str)):
                    stack.append((child, depth + 1, f"{path}[{index}]"))
        elif isinstance(node, str) and _SURROGATE.search(node):
            raise RecordFormatError("a string contains a lone surrogate (invalid Unicode)", path)


def _within_depth(value: Any, max_depth: int) -> bool:
    """True when no object or array is nested deeper than `max_depth` (fast: no paths)."""
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            return False
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return True


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise RecordFormatError(
            f"the document is {size:,} bytes, over the {max_bytes:,} byte limit"
        )


def reference_loads(
    data: bytes | str,
    *,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    max_depth: int = MAX_DEPTH,
) -> Any:
    """The reference strict parser (standard library only); see `strict_loads`."""
    if isinstance(data, str):
        text = data
        size = len(text.encode("utf-8", "surrogatepass"))
    else:
        size = len(data)
        _check_size(size, max_bytes)
        if data.startswith(b"\xef\xbb\xbf"):
            raise RecordFormatError("the document starts with a byte order mark")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RecordFormatError(f"the document is not valid UTF-8 (byte {exc.start})") from None
    _check_size(size, max_bytes)
    if text.startswith("\ufeff"):
        raise RecordFormatError("the document starts with a byte order mark")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_pairs_without_duplicates,
            parse_constant=_reject_constant,
            parse_int=_parse_int,
            parse_float=_parse_float,
        )
    except RecordFormatError:
        raise
    except json.JSONDecodeError as exc:
        raise RecordFormatError(
            f"the document is not valid JSON: {exc.msg}", f"line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise RecordFormatError(f"the JSON is nested deeper than {max_depth} levels") from None
    except ValueError as exc:  # e.g. an integer with thousands of digits
        raise RecordFormatError(f"the document has a value Python cannot read: {exc}") from None
    # Profiled: walking every node with its path was a quarter of bulk verification. The
    # full walk (which says what and where) now runs only when a cheap test finds a suspect.
    if (
        _ESCAPED_SURROGATE.search(text)
        or (isinstance(data, str) and _SURROGATE.search(text))
        or not _within_depth(value, max_depth)
    ):
        _check_tree(value, max_depth)
    return value


def canonical_bytes(value: Any) -> bytes:
    """Pith's canonical JSON: sorted keys, no spaces, UTF-8, non-ASCII kept as is."""
    try:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode("utf-8")
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise RecordFormatError(f"the value has no canonical JSON form: {exc}") from None


def canonical_sha256(value: Any) -> str:
    """Hex sha256 of `canonical_bytes(value)`."""
    return hashlib.sha256(canonical_bytes(value)).hexdigest()


# --- the fast path: msgspec, where it is proven to agree ---------------------------------------


class _FloatFound(Exception):
    """Raised from msgspec's float hook: a document with a float goes to the reference."""


def _refuse_float(text: str) -> Any:
    raise _FloatFound(text)


class _Msgspec:
    """msgspec, imported on first use: a start-up that parses nothing does not pay for it."""

    _loaded: _Msgspec | None = None

    def __init__(self) -> None:
        import msgspec.json

        self.decode: Callable[[bytes], Any] = msgspec.json.Decoder(float_hook=_refuse_float).decode
        self.encode: Callable[[Any], bytes] = msgspec.json.Encoder().encode
        self.encode_sorted: Callable[[Any], bytes] = msgspec.json.Encoder(order="sorted").encode
        self.format: Callable[..., bytes] = msgspec.json.format
        self.encode_error: type[Exception] = msgspec.EncodeError

    @classmethod
    def get(cls) -> _Msgspec:
        if cls._loaded is None:
            cls._loaded = cls()
        return cls._loaded


_UNPROVEN: Any = object()
_ESCAPED_COLON = b"\\u003"  # the start of \u003a / \u003A (and of a few other escapes)


def _fast_loads(data: bytes, max_depth: int) -> Any:
    r"""The value of `data` when msgspec provably reads it as the reference would, else `_UNPROVEN`.

    msgspec refuses what the reference refuses in these cases (tested in
    tests/test_canonical_fast.py): invalid UTF-8, a BOM, NaN/Infinity, a number too large
    for a float, lone surrogates, every syntax error, and integers of more than 4,300
    characters (or the interpreter's lower limit). A float raises from the float hook, so
    the value holds none. What is left to prove, for a document msgspec decodes:
    - no duplicate key: every object member has exactly one ':' outside strings, so the
      text's colons are members + colons inside strings. Decoding a duplicate drops a
      member (and its value), so re-encoding the decoded value (msgspec writes a ':' in a
      string as itself) gives fewer colons than the text. Equal counts prove no duplicate,
      provided no string spells a colon as an escape (text with `\u003` is unproven);
    - depth: msgspec's `format` with indent 1 puts every element on its own line, indented
      by its depth, and a string holds no raw newline; a line indented `max_depth` or more
      is the only way a container deeper than `max_depth` can appear (unproven if present);
    - size is checked before, by the caller.
    """
    if max_depth < 1 or _ESCAPED_COLON in data:
        return _UNPROVEN
    codec = _Msgspec.get()
    try:
        value = codec.decode(data)
        encoded = codec.encode(value)  # also refuses a lone surrogate in any string
        formatted = codec.format(data, indent=1)
    except Exception:  # anything msgspec refuses is the reference's to judge
        return _UNPROVEN
    if data.count(b":") != encoded.count(b":"):
        return _UNPROVEN  # a duplicate key
    if b"\n" + b" " * max_depth in formatted:
        return _UNPROVEN  # nested `max_depth` deep or more
    return value


def _fast_canonical_bytes(value: Any) -> bytes:
    """Canonical bytes from msgspec's C encoder: only for values holding no float."""
    codec = _Msgspec.get()
    try:
        return codec.encode_sorted(value)
    except (ValueError, TypeError, UnicodeEncodeError, codec.encode_error) as exc:
        raise RecordFormatError(f"the value has no canonical JSON form: {exc}") from None


@dataclass(frozen=True)
class CanonicalForm:
    """How canonical bytes are made for the values of one parsed document.

    `REFERENCE` (`json.dumps`) is right for any value. `FAST` (msgspec's C encoder) gives
    the same bytes for every value without a float, and is handed out only by
    `parse_json` for documents its fast path parsed (which holds no float).
    """

    name: str
    encode: Callable[[Any], bytes]

    def digest(self, value: Any) -> bytes:
        """The 32 raw bytes of sha256 of the canonical bytes of `value`."""
        return hashlib.sha256(self.encode(value)).digest()

    def sha256(self, value: Any) -> str:
        """Hex sha256 of the canonical bytes of `value`."""
        return hashlib.sha256(self.encode(value)).hexdigest()


REFERENCE = CanonicalForm("json", canonical_bytes)
FAST = CanonicalForm("msgspec", _fast_canonical_bytes)


@dataclass(frozen=True)
class ParsedJSON:
    """A strictly parsed value and the canonical form that is right for its parts."""

    value: Any
    canonical: CanonicalForm


def parse_json(
    data: bytes | str,
    *,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    max_depth: int = MAX_DEPTH,
) -> ParsedJSON:
    """`strict_loads`, with the canonical form to use for the parsed value's parts."""
    if isinstance(data, bytes):
        _check_size(len(data), max_bytes)
        value = _fast_loads(data, max_depth)
        if value is not _UNPROVEN:
            return ParsedJSON(value, FAST)
    return ParsedJSON(reference_loads(data, max_bytes=max_bytes, max_depth=max_depth), REFERENCE)


def strict_loads(
    data: bytes | str,
    *,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    max_depth: int = MAX_DEPTH,
) -> Any:
    """Parse JSON strictly, raising `RecordFormatError` with what and where.

    Rejects: more than `max_bytes`, non-UTF-8, a byte order mark, duplicate keys at any
    depth (escaped twins included, as they decode to the same key), NaN/Infinity (also as
    a number too large for a float, e.g. 1e400), integers of more than `MAX_INT_DIGITS`
    digits, nesting deeper than `max_depth`, lone surrogates.
    """
    return parse_json(data, max_bytes=max_bytes, max_depth=max_depth).value
