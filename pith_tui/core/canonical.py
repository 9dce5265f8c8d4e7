"""Strict JSON parsing and Pith's canonical form.

One parser for every document pith-tui reads, from the network, the cache or a file.
It refuses anything whose meaning is ambiguous: a signed record must never display a
value it was not signed with (e.g. "last duplicate key wins").
"""

from __future__ import annotations

import hashlib
import json
import math
import re
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
    if isinstance(data, str):
        text = data
        size = len(text.encode("utf-8", "surrogatepass"))
    else:
        size = len(data)
        if size > max_bytes:
            raise RecordFormatError(
                f"the document is {size:,} bytes, over the {max_bytes:,} byte limit"
            )
        if data.startswith(b"\xef\xbb\xbf"):
            raise RecordFormatError("the document starts with a byte order mark")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RecordFormatError(f"the document is not valid UTF-8 (byte {exc.start})") from None
    if size > max_bytes:
        raise RecordFormatError(
            f"the document is {size:,} bytes, over the {max_bytes:,} byte limit"
        )
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
