"""The strict JSON parser and Pith's canonical form (pith-format.md, "Canonical JSON")."""

from __future__ import annotations

import contextlib
import hashlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pith_tui.core.canonical import (
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    canonical_bytes,
    canonical_sha256,
    strict_loads,
)
from pith_tui.core.errors import RecordFormatError
from tests.conftest import REAL_RECORDS


def _reject(data: bytes | str, *words: str) -> RecordFormatError:
    with pytest.raises(RecordFormatError) as caught:
        strict_loads(data)
    message = str(caught.value).lower()
    for word in words:
        assert word.lower() in message, message
    return caught.value


# --- what the parser refuses --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 2}',
        '{"a": 1, "a": 1}',
        '{"outer": {"x": {"deep": true, "deep": false}}}',
        '[{"ok": 1}, {"k": 1, "k": 1}]',
        '{"\\u0061": 1, "a": 2}',
        '{"a": 1, "\\u0061": 2}',
        '{"caf\\u00e9": 1, "café": 2}',
    ],
)
def test_duplicate_keys_at_any_depth_are_refused(text: str) -> None:
    _reject(text, "repeats the key")
    _reject(text.encode("utf-8"), "repeats the key")


def test_duplicate_key_error_names_the_key() -> None:
    assert "'title'" in str(_reject('{"paper": {"title": "A", "title": "B"}}'))


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(constant: str) -> None:
    _reject(f'{{"x": {constant}}}', constant)
    _reject(f"[1, {constant}]".encode(), constant)


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1.5e999"])
def test_a_float_that_overflows_to_infinity_is_refused(number: str) -> None:
    _reject(f'{{"x": {number}}}', "too large")


def test_a_ten_thousand_digit_integer_is_refused() -> None:
    error = _reject('{"n": ' + "7" * 10_000 + "}", "integer", "digits")
    assert "10,000" in str(error)
    _reject("[-" + "1" * 10_000 + "]", "integer")


def test_nesting_ten_thousand_deep_is_refused() -> None:
    _reject("[" * 10_000 + "]" * 10_000, "nested deeper")
    _reject('{"a":' * 10_000 + "1" + "}" * 10_000, "nested deeper")


def test_nesting_just_past_the_limit_is_refused_and_at_the_limit_accepted() -> None:
    assert strict_loads("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    _reject("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "nested deeper", str(MAX_DEPTH))


def test_oversize_documents_are_refused() -> None:
    big = b'{"x": "' + b"a" * MAX_DOCUMENT_BYTES + b'"}'
    _reject(big, "byte limit")
    _reject(big.decode("ascii"), "byte limit")


def test_non_utf8_is_refused() -> None:
    _reject(b'{"title": "caf\xe9"}', "utf-8")
    _reject("{}".encode("utf-16"), "")


def test_a_byte_order_mark_is_refused() -> None:
    _reject(b'\xef\xbb\xbf{"a": 1}', "byte order mark")
    _reject('\ufeff{"a": 1}', "byte order mark")


@pytest.mark.parametrize(
    "text", ['{"t": "\\ud800"}', '["\\udfff"]', '{"\\ud800": 1}', '{"t": "x\\ud83d"}']
)
def test_a_lone_surrogate_escape_is_refused(text: str) -> None:
    _reject(text, "surrogate")


def test_a_proper_surrogate_pair_is_accepted() -> None:
    assert strict_loads('["\\ud83d\\ude00"]') == ["\U0001f600"]


@pytest.mark.parametrize(
    "text",
    ['{"a": 1', '{"a": ', "[1, 2", '{"a": "unterminated', "", "   ", '{"a": 1}}', "{'a': 1}"],
)
def test_truncated_or_malformed_json_is_refused_with_where(text: str) -> None:
    error = _reject(text, "not valid JSON")
    assert "line" in error.where


def test_plain_json_still_parses() -> None:
    assert strict_loads('{"a": [1, 2.5, "x", null, true], "b": {"c": -0}}') == {
        "a": [1, 2.5, "x", None, True],
        "b": {"c": 0},
    }


# --- canonical form -------------------------------------------------------------------------


def test_canonical_bytes_are_sorted_compact_and_keep_non_ascii() -> None:
    assert canonical_bytes({"b": 1, "a": ["é", {"d": None, "c": True}]}) == (
        '{"a":["é",{"c":true,"d":null}],"b":1}'.encode()
    )


def test_canonical_bytes_refuse_values_without_a_json_form() -> None:
    with pytest.raises(RecordFormatError):
        canonical_bytes({"x": float("nan")})
    with pytest.raises(RecordFormatError):
        canonical_bytes({"x": "\ud800"})
    with pytest.raises(RecordFormatError):
        canonical_bytes({"x": object()})


@pytest.mark.parametrize("name", sorted(REAL_RECORDS))
def test_canonical_bytes_of_real_records_recompute_the_stated_hashes(name: str) -> None:
    doc = strict_loads(REAL_RECORDS[name].read_bytes())
    record_hash = canonical_sha256(doc["canonical_record"])
    assert record_hash == doc["canonical_sha256"]
    if name != "bundle":
        assert doc["receipt"]["canonical_sha256"] == record_hash
        return
    for event in doc["events"]:
        body = {
            k: v for k, v in event.items() if k not in ("signature", "content_sha256", "event_id")
        }
        assert canonical_sha256(body) == event["content_sha256"]
        assert event["event_id"] == "sha256:" + event["content_sha256"]
    unsigned = {k: v for k, v in doc.items() if k != "bundle_signature"}
    assert canonical_sha256(unsigned) == doc["bundle_signature"]["bundle_sha256"]
    state = {k: v for k, v in doc["state"].items() if k != "state_sha256"}
    assert canonical_sha256(state) == doc["state"]["state_sha256"]


def test_canonical_form_is_the_documented_json_dumps() -> None:
    doc = strict_loads(REAL_RECORDS["2106.06530"].read_bytes())
    reference = json.dumps(
        doc["canonical_record"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    assert canonical_bytes(doc["canonical_record"]) == reference
    assert canonical_sha256(doc["canonical_record"]) == hashlib.sha256(reference).hexdigest()


# --- properties -------------------------------------------------------------------------------

_json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    _json_leaves,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_strict_loads_on_arbitrary_bytes_raises_only_record_format_error(data: bytes) -> None:
    with contextlib.suppress(RecordFormatError):
        strict_loads(data)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_strict_loads_on_arbitrary_text_raises_only_record_format_error(text: str) -> None:
    with contextlib.suppress(RecordFormatError):
        strict_loads(text)


_json_ish_text = st.text(alphabet='{}[]",:0123456789.eE+-truefalsnl \\u\n', max_size=80)


@settings(max_examples=300)
@given(_json_ish_text)
def test_strict_loads_on_json_like_text_raises_only_record_format_error(text: str) -> None:
    with contextlib.suppress(RecordFormatError):
        strict_loads(text)


@settings(max_examples=200)
@given(json_values)
def test_canonical_bytes_are_stable_under_reparse(value: object) -> None:
    once = canonical_bytes(value)
    assert canonical_bytes(strict_loads(once)) == once


@settings(max_examples=200)
@given(json_values)
def test_strict_loads_reads_back_what_json_dumps_wrote(value: object) -> None:
    pretty = json.dumps(value, indent=1, ensure_ascii=False)
    assert canonical_bytes(strict_loads(pretty)) == canonical_bytes(value)
    assert canonical_bytes(strict_loads(pretty.encode("utf-8"))) == canonical_bytes(value)
