"""Property tests the other suites do not have yet (issue #5, "Fuzzing").

* A mutated document (real or test-signed) never verifies unless the mutation left every
  signed or checked part as it was; parsing and verifying it raise nothing but
  `RecordFormatError` / return a report.
* `verify()` never raises, even on models built straight from Python objects (no strict
  parser in front: lone surrogates, odd types).
* Duplicate keys, escaped twins included, are refused wherever they are put.
* The canonical hash does not depend on key order or whitespace.
* Every identifier `parse_query` accepts yields a usable URL and parses back from `display()`.
"""

from __future__ import annotations

import contextlib
import copy
import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pith_tui.core import urls
from pith_tui.core.canonical import canonical_bytes, strict_loads
from pith_tui.core.errors import QueryError, RecordFormatError
from pith_tui.core.ids import parse_query
from pith_tui.core.model import Bundle, load_document, parse_document
from pith_tui.core.resolver import verify_bytes
from pith_tui.core.verify import Verdict, verify
from tests.adversarial.conftest import Robustness
from tests.adversarial.corpus import (
    REAL_BUNDLE,
    REAL_RECORDS,
    base_bundle,
    base_record,
    json_paths,
    mutate,
    real_doc,
    signed_changes,
)
from tests.adversarial.harness import NOW
from tests.signing import dumps, make_record
from tests.signing import test_trust as make_trust

TRUST = make_trust()
SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
BASES = {
    "test-record": base_record,
    "test-bundle": base_bundle,
    "real-record": lambda: real_doc(REAL_RECORDS["2106.06530"]),
    "real-bundle": lambda: real_doc(REAL_BUNDLE),
}

json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@given(
    base=st.sampled_from(sorted(BASES)),
    seed=st.integers(0, 2**32 - 1),
    how=st.lists(st.sampled_from(["delete", "replace", "insert", "tweak"]), min_size=1, max_size=3),
    values=st.lists(json_values, min_size=3, max_size=3),
)
@SETTINGS
def test_a_mutated_document_never_verifies_unless_nothing_signed_changed(
    base: str, seed: int, how: list[str], values: list[Any], robustness: Robustness
) -> None:
    outcome = _property_outcome(robustness, "mutated-documents-never-verify")
    original = BASES[base]()
    mutated = copy.deepcopy(original)
    rng = random.Random(seed)
    done = []
    for step, value in zip(how, values, strict=False):
        paths = json_paths(mutated)
        if not paths:
            break
        done.append(mutate(mutated, rng.choice(paths), step, value, rng))
    try:
        raw = dumps(mutated)
    except (TypeError, ValueError):
        return
    try:
        item = verify_bytes(raw, TRUST, now=NOW)
    except RecordFormatError:
        return
    except Exception as exc:
        outcome.crashed = True
        raise AssertionError(f"{done}: {exc!r}") from exc
    if item.report.verdict is Verdict.VERIFIED:
        problems = signed_changes(original, mutated)
        outcome.false_verified = outcome.false_verified or bool(problems)
        assert not problems, (done, problems)


@given(
    base=st.sampled_from(sorted(BASES)),
    seed=st.integers(0, 2**32 - 1),
    flips=st.integers(1, 8),
)
@SETTINGS
def test_byte_level_damage_raises_only_record_format_error(
    base: str, seed: int, flips: int, robustness: Robustness
) -> None:
    outcome = _property_outcome(robustness, "damaged-bytes-only-format-errors")
    raw = bytearray(dumps(BASES[base]()))
    rng = random.Random(seed)
    for _ in range(flips):
        at = rng.randrange(len(raw))
        choice = rng.random()
        if choice < 0.4:
            raw[at] = rng.randrange(256)
        elif choice < 0.7:
            del raw[at]
        else:
            raw.insert(at, rng.choice(b'{}[]",:\\0123456789eE-+.tfn \xc3\xa9\xff'))
    try:
        item = verify_bytes(bytes(raw), TRUST, now=NOW)
    except RecordFormatError:
        return
    except Exception:
        outcome.crashed = True
        raise
    if item.report.verdict is Verdict.VERIFIED:
        mutated = json.loads(bytes(raw))
        problems = signed_changes(BASES[base](), mutated)
        outcome.false_verified = outcome.false_verified or bool(problems)
        assert not problems, problems


unicode_text = st.text(
    st.characters(codec=None, categories=None),  # lone surrogates and controls included
    max_size=40,
)
odd_values = st.one_of(json_values, unicode_text, st.integers(), st.lists(unicode_text, max_size=3))


@given(
    base=st.sampled_from(sorted(BASES)),
    seed=st.integers(0, 2**32 - 1),
    values=st.lists(odd_values, min_size=1, max_size=3),
)
@SETTINGS
def test_verify_never_raises_on_models_built_from_objects(
    base: str, seed: int, values: list[Any], robustness: Robustness
) -> None:
    """No strict parser in front: whatever `parse_document` accepts, `verify` answers."""
    outcome = _property_outcome(robustness, "verify-never-raises")
    doc = BASES[base]()
    rng = random.Random(seed)
    for value in values:
        mutate(doc, rng.choice(json_paths(doc)), rng.choice(["replace", "insert"]), value, rng)
    try:
        model = parse_document(doc)
    except RecordFormatError:
        return
    try:
        report = verify(model, TRUST, now=NOW)
        report.to_json()
        _ = (report.verdict, report.failures_first)
    except Exception:
        outcome.crashed = True
        raise


@given(
    value=st.dictionaries(st.text(min_size=1, max_size=6), json_values, min_size=1, max_size=5),
    escape=st.booleans(),
    depth=st.integers(0, 3),
)
@SETTINGS
def test_a_duplicated_key_is_refused_at_any_depth(
    value: dict[str, Any], escape: bool, depth: int, robustness: Robustness
) -> None:
    outcome = _property_outcome(robustness, "duplicate-keys-refused")
    key = next(iter(value))
    first = json.dumps(key)
    if escape:  # the escaped twin: "\u0061" for "a"
        first = '"' + f"\\u{ord(key[0]):04x}" + json.dumps(key)[1 + len(json.dumps(key[0])[1:-1]) :]
    assume(json.loads(first) == key)
    inner = json.dumps(value, ensure_ascii=False)
    text = "{" + f"{first}: 0, " + inner[1:]
    for _ in range(depth):
        text = '{"wrap": [' + text + "]}"
    try:
        strict_loads(text)
    except RecordFormatError as exc:
        assert "repeats the key" in str(exc)
    else:
        outcome.false_verified = True  # a document with an ambiguous value was accepted
        raise AssertionError(f"accepted {text!r}")


@given(value=json_values, seed=st.integers(0, 2**32 - 1), indent=st.sampled_from([None, 0, 1, 4]))
@SETTINGS
def test_the_canonical_form_ignores_key_order_and_whitespace(
    value: Any, seed: int, indent: int | None, robustness: Robustness
) -> None:
    _property_outcome(robustness, "canonical-order-invariant")
    rng = random.Random(seed)

    def shuffled(node: Any) -> Any:
        if isinstance(node, dict):
            items = list(node.items())
            rng.shuffle(items)
            return {k: shuffled(v) for k, v in items}
        if isinstance(node, list):
            return [shuffled(v) for v in node]
        return node

    text = json.dumps(shuffled(value), indent=indent, ensure_ascii=rng.random() < 0.5)
    assert canonical_bytes(strict_loads(text)) == canonical_bytes(value)


_ID_FRAGMENTS = st.sampled_from(
    ["pith:", "2018:", "TJ77MKGIYVJE4LNYFYW7EA7KKL", "TJ77MKGI", "tj77mkgiyvje", "arXiv:", "2106.06530",
     "v2", "hep-th/9901001", "math.GT/0309136", "10.48550/arXiv.", "doi:", "https://", "pith.science",
     "/pith/", "/paper/", ".json", "/bundle.json", "arxiv.org", "/abs/", "doi.org/", " ", "<", ">", "..",
     "/", "%2F", "%2e%2e", "?q=1", "#x", "\u00a0", "‘", "’"]
)  # fmt: skip


@given(text=st.lists(_ID_FRAGMENTS, min_size=1, max_size=6).map("".join))
@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
)
def test_every_accepted_identifier_gives_a_usable_address(
    text: str, robustness: Robustness
) -> None:
    outcome = _property_outcome(robustness, "identifiers-give-usable-urls")
    try:
        query = parse_query(text)
    except QueryError:
        return
    try:
        address = urls.record_url("https://pith.science", query.lookup_key())
        again = parse_query(query.display())
    except Exception:
        outcome.crashed = True
        raise
    assert address.startswith("https://pith.science/pith/") and ".." not in address
    assert (again.kind, again.value, again.version, again.year) == (
        query.kind,
        query.value,
        query.version,
        query.year,
    )


@given(
    title=st.text(st.characters(codec="utf-8"), min_size=1, max_size=80),
    authors=st.text(st.characters(codec="utf-8"), max_size=40),
)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
)
def test_any_signed_text_verifies_and_survives_the_round_trip(
    title: str, authors: str, robustness: Robustness
) -> None:
    """No false negative either: whatever Unicode a signed title holds, it verifies."""
    assume(title.strip())
    outcome = _property_outcome(robustness, "signed-unicode-verifies")
    raw = dumps(make_record("2403.70001", title=title, authors=authors))
    item = verify_bytes(raw, TRUST, now=NOW)
    if item.report.verdict is not Verdict.VERIFIED:
        outcome.got = "not verified"
    assert item.report.verdict is Verdict.VERIFIED, [
        c for c in item.report.checks if c.status.value != "pass"
    ]
    assert load_document(raw).paper.title == title


def test_the_mutation_helpers_reach_every_signed_part() -> None:
    """The mutation property is only as good as its paths: they cover the signed parts."""
    for name, make in BASES.items():
        paths = {p[0] for p in json_paths(make())}
        assert "canonical_record" in paths, name
        if isinstance(parse_document(make()), Bundle):
            assert {"events", "state", "bundle_signature"} <= paths


_OUTCOMES: dict[tuple[int, str], Any] = {}


def _property_outcome(robustness: Robustness, case_id: str) -> Any:
    """One logged case per property test (not one per example)."""
    key = (id(robustness), case_id)
    if key not in _OUTCOMES:
        _OUTCOMES.clear()
        _OUTCOMES[key] = robustness.case("property", case_id, via="hypothesis", expected="holds")
    return _OUTCOMES[key]


@pytest.fixture(autouse=True)
def _forget_outcomes() -> None:
    _OUTCOMES.clear()


def _stringjson_paths(node: Any) -> list[tuple[Any, ...]]:
    return [p for p in json_paths(node) if isinstance(_get(node, p), str)]


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


ODD_STRINGS = ("x\udfff", "\x00\x1b[2J\u202e", "", "9" * 5000)


@pytest.mark.parametrize("base", sorted(BASES))
def test_verify_answers_with_any_string_field_replaced(base: str, robustness: Robustness) -> None:
    """Every string in the document (an even spread of 150 for bundles), replaced by odd ones."""
    outcome = robustness.case(
        "property", f"every-string-field-{base}", via="exhaustive", expected="no raise"
    )
    original = BASES[base]()
    failures = []
    paths = _stringjson_paths(original)
    if len(paths) > 150:  # the bundles: every title, and an even spread of the rest
        step = len(paths) // 150 + 1
        paths = sorted({*paths[::step], *(p for p in paths if "title" in p)}, key=paths.index)
    for path in paths:
        for odd in ODD_STRINGS:
            doc = copy.deepcopy(original)
            parent = _get(doc, path[:-1])
            parent[path[-1]] = odd
            try:
                report = verify(parse_document(doc), TRUST, now=NOW)
            except RecordFormatError:
                continue
            except Exception as exc:
                failures.append(f"{'.'.join(map(str, path))}={odd[:8]!r}: {exc!r}")
                continue
            if report.verdict is Verdict.VERIFIED and signed_changes(original, doc):
                outcome.false_verified = True
                failures.append(f"{'.'.join(map(str, path))}={odd[:8]!r} verified")
    outcome.crashed = any("verified" not in f for f in failures)
    outcome.got = f"{len(failures)} problems"
    assert not failures, failures[:10]


@given(text=st.text(st.characters(codec=None, categories=None), max_size=40))
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
)
def test_cache_lookups_take_any_text(
    text: str, robustness: Robustness, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Found by fuzz_query: a lone surrogate (undecodable argv bytes) made `Cache.resolve`
    and the listing filter raise UnicodeEncodeError instead of "not found"."""
    from pith_tui.core.cache import Cache
    from pith_tui.core.errors import CacheError, QueryError
    from pith_tui.core.ids import IndexKey, parse_query

    outcome = _property_outcome(robustness, "cache-lookups-take-any-text")
    cache = _LOOKUP_CACHE.get("cache")
    if cache is None:
        cache = _LOOKUP_CACHE["cache"] = Cache.open(tmp_path_factory.mktemp("lookups"))
    try:
        cache.resolve(IndexKey(text))  # any text as an exact key: found or not, no crash
        with contextlib.suppress(QueryError):
            cache.resolve(parse_query(text).index_key)
        cache.entries(filter_text=text, limit=3)
        cache.count(text)
    except CacheError:
        pass
    except Exception:
        outcome.crashed = True
        raise


_LOOKUP_CACHE: dict[str, Any] = {}
