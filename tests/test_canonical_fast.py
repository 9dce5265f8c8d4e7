"""The fast JSON path (msgspec) against the reference strict parser and encoder (stdlib).

`canonical.py` answers from msgspec only where it is proven to agree with the reference.
These tests are that claim, checked differentially on generated documents: hostile
spellings (escapes, escaped duplicate keys, lone surrogates, whitespace), big integers
around the digit limit, floats, NaN/Infinity, nesting around the depth limit, a BOM, invalid
UTF-8, truncation and garbage. For every input:

- whatever the fast path accepts, the reference accepts, with the same value (same types,
  same canonical bytes);
- `strict_loads` gives exactly the reference's answer: the same value, or the same error
  class and message;
- the C encoder's canonical bytes equal `json.dumps`'s for every float-free value.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st

from pith_tui.core import canonical
from pith_tui.core.canonical import (
    FAST,
    MAX_DEPTH,
    MAX_INT_DIGITS,
    REFERENCE,
    canonical_bytes,
    parse_json,
    reference_loads,
    strict_loads,
)
from pith_tui.core.errors import RecordFormatError
from pith_tui.core.model import load_document
from tests.conftest import REAL_RECORDS
from tests.signing import dumps, make_bundle, make_record

SETTINGS = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
VALUE_SETTINGS = settings(SETTINGS, max_examples=150)  # each example is a whole tree: slower


def outcome(parse: Callable[[bytes], Any], data: bytes) -> tuple[str, Any]:
    """("ok", canonical bytes by the reference encoder) or ("error", (class, message))."""
    try:
        value = parse(data)
    except RecordFormatError as exc:
        return "error", (type(exc).__name__, str(exc))
    return "ok", canonical_bytes(value)


def fast(data: bytes) -> Any:
    return canonical._fast_loads(data, MAX_DEPTH)


def assert_agrees(data: bytes) -> bool:
    """The differential check; True when the fast path proved and answered `data`."""
    reference = outcome(reference_loads, data)
    assert outcome(strict_loads, data) == reference, data[:200]
    value = fast(data)
    if currently_in_test_context():  # the mix, shown by --hypothesis-show-statistics
        proven = "unproven" if value is canonical._UNPROVEN else "proven"
        event(f"reference {reference[0]}, fast path {proven}")
    if value is canonical._UNPROVEN:
        return False
    assert reference[0] == "ok", (data[:200], reference)
    assert canonical_bytes(value) == reference[1], data[:200]
    assert canonical._fast_canonical_bytes(value) == reference[1], data[:200]
    return True


# --- JSON text, spelled in every way JSON allows (and some it does not) ---------------------

_STRING_CHARS = st.one_of(
    st.characters(codec="utf-8"),  # any scalar value, astral and U+2028 included
    st.sampled_from(list('":\\/\b\f\n\r\t\x00\x1f\x7f\u2028\u00e9\U0001f600{}[],')),
)
_KEYS = st.one_of(
    st.sampled_from(["a", "b", "ab", "é", ":", "a:b", "\U0001f600", ""]),
    st.text(_STRING_CHARS, max_size=6),
)
_WHITESPACE = st.text(st.sampled_from(" \t\n\r"), max_size=2)


@st.composite
def spelled_string(draw: st.DrawFn, value: str) -> str:
    """`value` as a JSON string token, each character raw or escaped at random."""
    out = ['"']
    for char in value:
        code = ord(char)
        must_escape = char in '"\\' or code < 0x20
        style = draw(st.integers(0, 3)) if not must_escape else draw(st.integers(1, 3))
        if style == 0 or (style == 3 and not must_escape and char != "/"):
            out.append(char)  # raw (only where JSON allows it)
        elif style == 1 and char in '"\\/\b\f\n\r\t':
            out.append(json.dumps(char)[1:-1] if char != "/" else "\\/")
        elif code > 0xFFFF:  # a surrogate pair, upper or lower case hex
            high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
            hex_format = draw(st.sampled_from(["\\u{:04x}", "\\u{:04X}"]))
            out.append(hex_format.format(high) + hex_format.format(low))
        else:
            out.append(draw(st.sampled_from(["\\u{:04x}", "\\u{:04X}"])).format(code))
    out.append('"')
    return "".join(out)


_NUMBERS = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.integers(-(2**64) - 5, 2**64 + 5).map(str),
    st.sampled_from(
        ["0", "-0", "9223372036854775807", "-9223372036854775808", "18446744073709551616"]
    ),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(
        ["1.0", "-0.0", "1e5", "1E+5", "2.5e-3", "1e400", "-1e400", "NaN", "Infinity", "-Infinity"]
    ),
    st.sampled_from(["01", "+1", ".5", "1.", "0x10", "1e", "-"]),  # not JSON
)


def _json_text(depth: int) -> st.SearchStrategy[str]:
    leaf = st.one_of(
        _NUMBERS,
        st.sampled_from(["true", "false", "null", "tru", "nul"]),
        st.text(_STRING_CHARS, max_size=12).flatmap(spelled_string),
    )
    if depth == 0:
        return leaf
    child = _json_text(depth - 1)

    @st.composite
    def array(draw: st.DrawFn) -> str:
        items = draw(st.lists(child, max_size=4))
        ws = draw(_WHITESPACE)
        return "[" + ws + ("," + ws).join(items) + ws + "]"

    @st.composite
    def obj(draw: st.DrawFn) -> str:
        keys = draw(st.lists(_KEYS, max_size=4, unique=True))
        members = [(key, draw(child)) for key in keys]
        if keys and draw(st.integers(0, 3)) == 0:  # a duplicate member, maybe spelled otherwise
            members.insert(
                draw(st.integers(0, len(members))), (draw(st.sampled_from(keys)), draw(child))
            )
        ws = draw(_WHITESPACE)
        parts = [draw(spelled_string(key)) + ws + ":" + ws + value for key, value in members]
        return "{" + ws + ("," + ws).join(parts) + ws + "}"

    return st.one_of(leaf, array(), obj())


json_texts = _json_text(3)


@st.composite
def damaged(draw: st.DrawFn, text: str) -> bytes:
    """The UTF-8 of `text`, sometimes damaged: BOM, bad byte, truncation, garbage, a lone
    surrogate escape."""
    data = text.encode("utf-8")
    damage = draw(st.integers(0, 9))
    position = draw(st.integers(0, len(data)))
    if damage == 0:
        data = b"\xef\xbb\xbf" + data
    elif damage == 1:
        bad = draw(
            st.sampled_from(
                [b"\x80", b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xff", b"\xe2\x82"]
            )
        )
        data = data[:position] + bad + data[position:]
    elif damage == 2:
        data = data[:position]
    elif damage == 3:
        data = data + draw(st.sampled_from([b"x", b"{}", b"\x00", b" ]", b","]))
    elif damage == 4 and b'"' in data:
        index = data.index(b'"') + 1
        lone = draw(st.sampled_from([b"\\ud800", b"\\udfff", b"\\uDC00x", b"\\ud83d\\u0041"]))
        data = data[:index] + lone + data[index:]
    return data


@SETTINGS
@given(json_texts.flatmap(damaged))
def test_generated_documents_get_the_reference_answer(data: bytes) -> None:
    assert_agrees(data)


@SETTINGS
@given(st.binary(max_size=200))
def test_arbitrary_bytes_get_the_reference_answer(data: bytes) -> None:
    assert_agrees(data)


@SETTINGS
@given(st.text(alphabet='{}[]",:0123456789.eE+-truefalsnl \\u\n', max_size=80))
def test_json_like_text_gets_the_reference_answer(text: str) -> None:
    assert_agrees(text.encode("utf-8"))


# --- values: the encoders agree byte for byte ------------------------------------------------

_float_free_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**40), 10**40)
    | st.text(_STRING_CHARS, max_size=12),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(_STRING_CHARS, max_size=6), children, max_size=5)
    ),
    max_leaves=30,
)


@VALUE_SETTINGS
@given(_float_free_values)
def test_the_c_encoder_writes_the_reference_canonical_bytes(value: Any) -> None:
    assert canonical._fast_canonical_bytes(value) == canonical_bytes(value)
    # and what it wrote reads back through the fast path, proven, to the same value
    data = canonical_bytes(value)
    assert assert_agrees(data) or b"\\u003" in data.lower()


@VALUE_SETTINGS
@given(_float_free_values.map(lambda v: json.dumps(v, indent=1, ensure_ascii=True)))
def test_escaped_documents_are_read_by_the_fast_path(text: str) -> None:
    """ensure_ascii writes every non-ASCII character as \\uXXXX: still proven, still equal."""
    data = text.encode("ascii")
    proven = assert_agrees(data)
    assert proven or b"\\u003" in data.lower()


def test_keys_sort_by_code_point_in_both_encoders() -> None:
    value = {"\uffff": 1, "\U00010000": 2, "\ue000": 3, "z": 4, "é": 5, "": 6, "\x00": 7}
    assert canonical._fast_canonical_bytes(value) == canonical_bytes(value)


def test_both_encoders_refuse_a_lone_surrogate() -> None:
    for encode in (REFERENCE.encode, FAST.encode):
        with pytest.raises(RecordFormatError, match="no canonical JSON form"):
            encode({"x": "\ud800"})


# --- the limits, exactly at and past them -----------------------------------------------------


@pytest.mark.parametrize("depth", [MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, 200])
@pytest.mark.parametrize("opener", ["[", '{"k":'])
def test_nesting_around_the_depth_limit(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    for inner in ("", "1", "[]"):
        body = inner if opener == "[" else (inner or "1")
        assert_agrees((opener * depth + body + closer * depth).encode())
    deep = (opener * depth + "1" + closer * depth).encode()
    # a value at depth 64 is too deep for the indentation proof (the reference decides);
    # anything shallower is proven, anything deeper never is
    assert (fast(deep) is canonical._UNPROVEN) == (depth >= MAX_DEPTH)


@pytest.mark.parametrize("digits", [19, 20, 4299, 4300, 4301, 5000])
@pytest.mark.parametrize("sign", ["", "-"])
def test_integers_around_the_digit_limit(digits: int, sign: str) -> None:
    text = f'{{"n": {sign}{"7" * digits}}}'.encode()
    assert_agrees(text)
    if digits > MAX_INT_DIGITS:
        assert fast(text) is canonical._UNPROVEN


def test_msgspec_never_reads_an_integer_longer_than_the_limit() -> None:
    """The fast path relies on this (no digit scan of its own): msgspec refuses integers
    over 4,300 characters whatever the interpreter's own limit, and follows a lower one."""
    getter = getattr(sys, "get_int_max_str_digits", None)
    setter = getattr(sys, "set_int_max_str_digits", None)
    if getter is None or setter is None:  # Python < 3.10.7 has no such limit at all
        assert fast(b"[" + b"7" * (MAX_INT_DIGITS + 1) + b"]") is canonical._UNPROVEN
        return
    before = getter()
    try:
        for limit in (0, 640, 4300, 100_000):
            setter(limit)
            longest = MAX_INT_DIGITS if limit == 0 else min(limit, MAX_INT_DIGITS)
            assert_agrees(b"[" + b"7" * longest + b"]")
            assert fast(b"[" + b"7" * (longest + 1) + b"]") is canonical._UNPROVEN
            assert fast(b"[" + b"7" * (MAX_INT_DIGITS + 1) + b"]") is canonical._UNPROVEN
    finally:
        setter(before)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 2}',
        '{"a": 1, "a": 1}',
        '{"\\u0061": 1, "a": 2}',
        '{"a": 1, "\\u0061": 2}',
        '{"\\u0061": 1, "\\u0041": 2, "a": 3}',
        '{"caf\\u00e9": 1, "café": 2}',
        '{"outer": {"x": {"deep": true, "deep": false}}}',
        '[{"ok": 1}, {"k": 1, "k": 1}]',
        '{"a": "x:y", "a": "z"}',
        '{"a": 1, "b": "\\u003a", "a": 1}',
        '{"a\\u003a": 1, "a:": 2}',
        '{"\\ud83d\\ude00": 1, "😀": 2}',
    ],
)
def test_duplicate_keys_however_spelled_are_never_proven(text: str) -> None:
    data = text.encode()
    assert fast(data) is canonical._UNPROVEN
    assert outcome(strict_loads, data)[0] == "error"
    assert "repeats the key" in outcome(strict_loads, data)[1][1]


@pytest.mark.parametrize(
    "data",
    [
        b'\xef\xbb\xbf{"a": 1}',
        b'{"a": NaN}',
        b"[Infinity]",
        b"[-Infinity]",
        b"[1e400]",
        b'{"t": "\\ud800"}',
        b'["\\udfff"]',
        b'{"\\ud800": 1}',
        b'{"title": "caf\xe9"}',
        b'["\xed\xa0\x80"]',
        b'{"a": 1',
        b'{"a": 1}}',
        b"",
        b"[1.5]",
        b'{"x": -0.0}',
    ],
)
def test_what_the_fast_path_cannot_prove_goes_to_the_reference(data: bytes) -> None:
    assert fast(data) is canonical._UNPROVEN
    assert_agrees(data)
    if outcome(reference_loads, data)[0] == "ok":
        assert parse_json(data).canonical is REFERENCE


def test_a_document_with_a_float_keeps_the_reference_canonical_form() -> None:
    parsed = parse_json(b'{"a": [1, 2.5], "b": 1e16}')
    assert parsed.canonical is REFERENCE
    assert parsed.canonical.encode(parsed.value) == b'{"a":[1,2.5],"b":1e+16}'


def test_str_input_always_takes_the_reference_path() -> None:
    assert parse_json('{"a": 1}').canonical is REFERENCE


# --- the documents pith-tui reads take the fast path ----------------------------------------


@pytest.mark.parametrize("name", sorted(REAL_RECORDS))
def test_real_records_are_proven_and_hash_the_same(name: str) -> None:
    data = REAL_RECORDS[name].read_bytes()
    assert assert_agrees(data)
    document = load_document(data)
    assert document.canonical is FAST
    value = reference_loads(data)
    assert FAST.sha256(value["canonical_record"]) == value["canonical_sha256"]


def test_generated_bundles_and_records_are_proven() -> None:
    for raw in (
        dumps(make_bundle("2403.00002", title='Ünïcode: "quoted" \\ title')),
        dumps(make_record("2403.00003", title="A\u2028B\x7f", authors="Kurt Gödel")),
        json.dumps(make_bundle("2403.00004"), ensure_ascii=True).encode(),
    ):
        assert assert_agrees(raw)
        assert load_document(raw).canonical is FAST


def test_a_generated_value_is_what_the_property_tests_see() -> None:
    """Guards the generators above from proving nothing: most generated clean documents are
    answered by the fast path."""
    proven = 0
    samples = [
        {"a": [1, "x:y", None, True], "é": {"k": -(10**25)}},
        ["\U0001f600", {"": ""}],
        {"deep": [[[[{"x": 1}]]]]},
    ]
    for value in samples:
        for indent in (None, 1, 4):
            proven += assert_agrees(json.dumps(value, indent=indent, ensure_ascii=False).encode())
    assert proven == 9


@pytest.mark.parametrize("max_depth", [0, 1, 2, 5])
def test_other_depth_limits_agree(max_depth: int) -> None:
    for text in (b"1", b"[]", b"[[]]", b'{"a": [1, {"b": []}]}', b"[[[[[[]]]]]]"):
        reference = outcome(lambda d: reference_loads(d, max_depth=max_depth), text)
        value = canonical._fast_loads(text, max_depth)
        if value is not canonical._UNPROVEN:
            assert reference == ("ok", canonical_bytes(value)), (text, max_depth)
        assert outcome(lambda d: strict_loads(d, max_depth=max_depth), text) == reference
