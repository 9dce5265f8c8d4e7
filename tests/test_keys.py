"""The trust store: the shipped key, the user's keys.json, and what is refused."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from pith_tui.core.errors import TrustStoreError
from pith_tui.core.keys import (
    TrustStore,
    decode_signature,
    fingerprint_b32,
    fingerprint_hex,
    key_from_json,
    user_config_dir,
)
from pith_tui.core.model import parse_document
from pith_tui.core.verify import Status, Verdict, verify
from tests.conftest import FIXTURES
from tests.signing import (
    OTHER_KEY,
    TEST_KEY,
    TEST_KEY_ID,
    key_json,
    make_bundle,
    make_record,
    resign_bundle,
)
from tests.signing import test_trust as trust_with_test_key

PITH_KEY_ID = "pith-v1-2026-05"
PITH_KEY_B64 = "stVStoiQhXFxp4s2pdzPNoqVNBMojDU/fJ2db5S3CbM="
PITH_FP_HEX = "8d4b5ee74e4693bcd1df2446408b0d54"
PITH_FP_B32 = "RVFV5Z2OI2J3ZUO7ERDEBCYNKS"
NOW = datetime(2026, 6, 10, tzinfo=timezone.utc)

# Extra positive vectors from pith-format.md: canonical_sha256 -> receipt signature_b64.
VECTORS = {
    "MBNP4X77": (
        "605afe5fff76fe29e7868bd199bfb7fd6d056972fb9bfe7f897a3a4aba8b0d4b",
        "vGPJ5PDhIcxnLLGKXpeUd/mGLaLdTkSzf3bmp8CmCO3Mi2PurpikaOVXY5lDj3RCxg9kAvTZ8VvYrfeURBIIDg==",
    ),
    "DLI3MXGU": (
        "1ad1b65cd41a7c2aed9990d3700dfc38fc37348e66511d86194c9e5851cb3b61",
        "7QDCFqM/SSs3pxYQ4776JxZ31y1bNCzsiykwweEqOeJbYdzwffImqUAhJIPRfenOtLJGSLStN6pKJB+nyH9LDg==",
    ),
    "QVJLU2XL": (
        "8552ba6aebf41f1ac5452d7344340c77ae7e6f384552c5281142d3e8fc01f436",
        "wgq1maW3QY2tlHWjMEXoeC8DQCoVb3AUh4UzNyQUtBDnNqOb6DH6L1sAqV+G4yB6zurl6VqmP85tezkt0tSOCg==",
    ),
    "CCICLKEG": (
        "109025a886afd1421535198dd58da9f3db3591f160299779fbe9645ae327eca2",
        "oSieyWxFN7GYHtkZNgM8KkaP6/H5WxqHq7MJCY5mUq5zD1XYV602tQHIGFkPUCWC5rODL4PEqYCdDZaKyrawCw==",
    ),
}


def _flip_bit(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def _write_keys(folder: Path, content: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "keys.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, "utf-8")
    else:
        path.write_text(json.dumps(content), "utf-8")
    return path


# --- the shipped key ------------------------------------------------------------------------


def test_shipped_key_has_the_published_values() -> None:
    store = TrustStore.shipped()
    assert [k.key_id for k in store] == [PITH_KEY_ID]
    key = store.get(PITH_KEY_ID)
    assert key is not None
    assert key.public_key_b64 == PITH_KEY_B64
    assert key.fingerprint_hex == PITH_FP_HEX
    assert fingerprint_hex(key.public_key) == PITH_FP_HEX
    assert fingerprint_b32(key.public_key) == PITH_FP_B32
    assert key.rotates_at is None
    assert not key.expired(datetime(2100, 1, 1, tzinfo=timezone.utc))


def test_shipped_key_matches_the_mirror_manifest() -> None:
    manifest = json.loads((FIXTURES / "pith-mirrors.json").read_bytes())
    published = manifest["mirrors"][0]["public_key"]
    key = TrustStore.shipped().get(published["key_id"])
    assert key is not None
    assert key.public_key_b64 == published["public_key_b64"]
    assert key.public_key.hex() == published["public_key_hex"]
    assert key.fingerprint_hex == published["fingerprint_sha256_hex"]
    assert fingerprint_b32(key.public_key) == published["fingerprint_sha256_b32_first128bits"]


@pytest.mark.parametrize("short", sorted(VECTORS))
def test_extra_signature_vectors_verify_with_the_pinned_key(short: str) -> None:
    digest_hex, signature_b64 = VECTORS[short]
    key = TrustStore.shipped().get(PITH_KEY_ID)
    assert key is not None
    digest = bytes.fromhex(digest_hex)
    assert key.verify(digest, signature_b64)
    # the signature is over the 32 raw bytes, not the hex text
    assert not key.verify(digest_hex.encode("ascii"), signature_b64)


@pytest.mark.parametrize("short", sorted(VECTORS))
@pytest.mark.parametrize("bit", [0, 7, 100, 255, 511])
def test_a_one_bit_flip_breaks_each_vector(short: str, bit: int) -> None:
    digest_hex, signature_b64 = VECTORS[short]
    key = TrustStore.shipped().get(PITH_KEY_ID)
    assert key is not None
    digest = bytes.fromhex(digest_hex)
    signature = base64.b64decode(signature_b64)
    flipped_signature = base64.b64encode(_flip_bit(signature, bit)).decode()
    assert not key.verify(digest, flipped_signature)
    assert not key.verify(_flip_bit(digest, bit % 256), signature_b64)


def test_the_vectors_do_not_verify_with_another_key() -> None:
    other = key_from_json(key_json(OTHER_KEY, PITH_KEY_ID), "tests")
    for digest_hex, signature_b64 in VECTORS.values():
        assert not other.verify(bytes.fromhex(digest_hex), signature_b64)


@pytest.mark.parametrize("text", ["", "not base64!", "AAAA", "A" * 87 + "=", "é" * 88])
def test_malformed_signatures_never_verify(text: str) -> None:
    key = TrustStore.shipped().get(PITH_KEY_ID)
    assert key is not None
    assert decode_signature(text) is None
    assert not key.verify(b"\0" * 32, text)


# --- the user's keys.json -------------------------------------------------------------------


def test_user_keys_json_adds_a_key(config_with_test_key: Path) -> None:
    store = TrustStore.load(config_with_test_key)
    assert {k.key_id for k in store} == {PITH_KEY_ID, TEST_KEY_ID}
    key = store.get(TEST_KEY_ID)
    assert key is not None
    assert key.public_key == bytes(TEST_KEY.verify_key)
    assert key.origin.endswith("keys.json")
    assert store.get(PITH_KEY_ID).origin == "the shipped keys"


def test_the_config_dir_comes_from_the_environment(config_with_test_key: Path) -> None:
    assert user_config_dir() == config_with_test_key
    assert TrustStore.load().get(TEST_KEY_ID) is not None


def test_a_missing_keys_json_gives_just_the_shipped_key(tmp_path: Path) -> None:
    assert [k.key_id for k in TrustStore.load(tmp_path / "nowhere")] == [PITH_KEY_ID]


def test_a_user_key_makes_its_signatures_verify(config_with_test_key: Path) -> None:
    record = parse_document(make_record())
    assert verify(record, TrustStore.shipped(), now=NOW).verdict is not Verdict.VERIFIED
    assert (
        verify(record, TrustStore.load(config_with_test_key), now=NOW).verdict is Verdict.VERIFIED
    )


def test_repeating_the_shipped_key_in_keys_json_is_harmless(tmp_path: Path) -> None:
    pinned = {"key_id": PITH_KEY_ID, "public_key_b64": PITH_KEY_B64}
    _write_keys(tmp_path / "cfg", [pinned, key_json(TEST_KEY, TEST_KEY_ID)])
    assert len(TrustStore.load(tmp_path / "cfg")) == 2


def _good_entry() -> dict[str, Any]:
    return key_json(TEST_KEY, TEST_KEY_ID)


def _with(**changes: Any) -> list[dict[str, Any]]:
    return [{**_good_entry(), **changes}]


MALFORMED = [
    ("not json", b"{this is not json", "not valid JSON"),
    ("empty file", b"", "not valid JSON"),
    ("duplicate json key", b'[{"key_id": "a", "key_id": "b"}]', "not valid JSON"),
    ("an object", {"keys": [_good_entry()]}, "must be a JSON array"),
    ("a string", b'"pith"', "must be a JSON array"),
    ("null", b"null", "must be a JSON array"),
    ("an entry that is not an object", ["stVStoiQ"], "must be a JSON object"),
    ("no key_id", [{"public_key_b64": PITH_KEY_B64}], "has no 'key_id'"),
    ("no public key", _with(public_key_b64=None), "'public_key_b64' is missing"),
    ("bad base64", _with(public_key_b64="not*base64!"), "not valid base64"),
    ("non-ascii base64", _with(public_key_b64="é" * 44), "not valid base64"),
    ("31 bytes", _with(public_key_b64=base64.b64encode(b"k" * 31).decode()), "32 bytes"),
    ("33 bytes", _with(public_key_b64=base64.b64encode(b"k" * 33).decode()), "32 bytes"),
    ("hex fingerprint mismatch", _with(fingerprint_sha256_hex=PITH_FP_HEX), "does not match"),
    (
        "b32 fingerprint mismatch",
        _with(fingerprint_sha256_b32_first128bits=PITH_FP_B32),
        "does not match",
    ),
    ("other algorithm", _with(algorithm="rsa"), "only 'ed25519'"),
    ("bad rotates_at", _with(rotates_at="next year"), "not an ISO date-time"),
    ("non-string rotates_at", _with(rotates_at=2027), "ISO date-time"),
    (
        "duplicate key_id, different bytes",
        [_good_entry(), key_json(OTHER_KEY, TEST_KEY_ID)],
        "already pinned",
    ),
    (
        "shipped key_id, different bytes",
        [key_json(OTHER_KEY, PITH_KEY_ID)],
        "already pinned",
    ),
]


@pytest.mark.parametrize(
    ("content", "words"), [(c, w) for _, c, w in MALFORMED], ids=[n for n, _, _ in MALFORMED]
)
def test_malformed_keys_json_is_a_trust_store_error(
    tmp_path: Path, content: Any, words: str
) -> None:
    path = _write_keys(tmp_path / "cfg", content)
    with pytest.raises(TrustStoreError) as caught:
        TrustStore.load(tmp_path / "cfg")
    message = str(caught.value)
    assert words in message
    assert str(path) in message  # says which file to fix


def test_duplicate_key_id_error_names_the_key(tmp_path: Path) -> None:
    _write_keys(tmp_path / "cfg", [key_json(OTHER_KEY, PITH_KEY_ID)])
    with pytest.raises(TrustStoreError, match="'pith-v1-2026-05' is already pinned"):
        TrustStore.load(tmp_path / "cfg")


def test_rotates_at_is_parsed_with_a_timezone() -> None:
    key = key_from_json(key_json(TEST_KEY, TEST_KEY_ID, "2026-01-01T00:00:00Z"), "tests")
    assert key.rotates_at == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert key.expired(NOW)
    assert not key.expired(datetime(2025, 12, 31, tzinfo=timezone.utc))
    naive = key_from_json(key_json(TEST_KEY, TEST_KEY_ID, "2026-01-01T00:00:00"), "tests")
    assert naive.rotates_at == key.rotates_at


# --- the signing key check, with rotation and carried keys ----------------------------------


def test_a_rotated_pinned_key_warns_but_still_verifies() -> None:
    record = parse_document(make_record())
    report = verify(record, trust_with_test_key(rotates_at="2026-01-01T00:00:00Z"), now=NOW)
    check = report.check("signing_key")
    assert check is not None and check.status is Status.WARN
    assert "rotate" in check.detail and "2026-01-01" in check.detail
    assert report.verdict is Verdict.VERIFIED
    before = verify(record, trust_with_test_key(rotates_at="2027-01-01T00:00:00Z"), now=NOW)
    assert before.check("signing_key").status is Status.PASS


def test_a_rotated_key_on_a_bundle_warns_but_still_verifies() -> None:
    bundle = parse_document(make_bundle())
    report = verify(bundle, trust_with_test_key(rotates_at="2026-01-01T00:00:00Z"), now=NOW)
    assert report.check("signing_key").status is Status.WARN
    assert report.verdict is Verdict.VERIFIED


def test_a_naive_now_is_read_as_utc() -> None:
    record = parse_document(make_record())
    report = verify(
        record, trust_with_test_key(rotates_at="2026-01-01T00:00:00Z"), now=datetime(2026, 6, 1)
    )
    assert report.check("signing_key").status is Status.WARN


def test_a_carried_key_with_other_bytes_than_the_pinned_key_fails_signing_key() -> None:
    bundle = make_bundle()
    bundle["public_keys"] = [key_json(OTHER_KEY, TEST_KEY_ID)]
    report = verify(parse_document(resign_bundle(bundle)), trust_with_test_key(), now=NOW)
    check = report.check("signing_key")
    assert check.status is Status.FAIL
    assert "differ from the pinned key" in check.detail
    assert report.verdict is Verdict.FAILED
    # every signature is still the test key's: only signing_key fails
    assert [c.id for c in report.checks if c.status is Status.FAIL] == ["signing_key"]


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("fingerprint_sha256_hex", PITH_FP_HEX, "wrong fingerprint"),
        ("fingerprint_sha256_b32_first128bits", PITH_FP_B32, "wrong base32 fingerprint"),
        ("public_key_b64", "not base64!", "differ from the pinned key"),
        ("public_key_b64", None, "differ from the pinned key"),
    ],
)
def test_a_carried_key_with_wrong_details_fails_signing_key(
    field: str, value: Any, words: str
) -> None:
    bundle = make_bundle()
    bundle["public_keys"][0][field] = value
    report = verify(parse_document(resign_bundle(bundle)), trust_with_test_key(), now=NOW)
    assert report.check("signing_key").status is Status.FAIL
    assert words in report.check("signing_key").detail


def test_a_carried_key_that_is_not_pinned_only_warns() -> None:
    bundle = make_bundle()
    bundle["public_keys"].append(key_json(OTHER_KEY, "someone-else"))
    report = verify(parse_document(resign_bundle(bundle)), trust_with_test_key(), now=NOW)
    assert report.check("signing_key").status is Status.WARN
    assert "not pinned" in report.check("signing_key").detail
    assert report.verdict is Verdict.VERIFIED


@pytest.mark.parametrize("key_id", [["a", "list"], {"an": "object"}, 5, None])
def test_a_carried_key_with_a_non_string_key_id_is_reported_not_raised(key_id: Any) -> None:
    bundle = make_bundle()
    bundle["public_keys"].append({**key_json(OTHER_KEY, "x"), "key_id": key_id})
    report = verify(parse_document(resign_bundle(bundle)), trust_with_test_key(), now=NOW)
    assert report.check("signing_key").status is Status.WARN
    assert report.verdict is Verdict.VERIFIED


@pytest.mark.parametrize("key_id", [PITH_KEY_ID, "other-2026-01"])
def test_a_bundle_resigned_end_to_end_with_an_unpinned_key_is_not_verified(key_id: str) -> None:
    bundle = make_bundle(key=OTHER_KEY, key_id=key_id)
    assert bundle["public_keys"] == [key_json(OTHER_KEY, key_id)]
    for trust in (TrustStore.shipped(), trust_with_test_key()):
        report = verify(parse_document(bundle), trust, now=NOW)
        assert report.check("signing_key").status is Status.FAIL
        assert report.check("receipt_signature").status is not Status.PASS
        assert report.check("bundle_signature").status is not Status.PASS
        assert report.check("event_signatures").status is not Status.PASS
        assert report.verdict is not Verdict.VERIFIED
        assert report.verdict is Verdict.FAILED


def test_a_record_signed_with_an_unpinned_key_is_not_verified() -> None:
    record = parse_document(make_record(key=OTHER_KEY, key_id=PITH_KEY_ID))
    report = verify(record, TrustStore.shipped(), now=NOW)
    assert report.check("signing_key").status is Status.FAIL
    assert report.check("receipt_signature").status is Status.FAIL
    assert report.verdict is Verdict.FAILED
    unpinned = parse_document(make_record(key=OTHER_KEY, key_id="other"))
    report = verify(unpinned, TrustStore.shipped(), now=NOW)
    assert report.check("signing_key").status is Status.FAIL
    assert report.check("receipt_signature").status is Status.NOT_CHECKED
    assert report.verdict is Verdict.FAILED


def test_a_pin_may_name_who_holds_the_key() -> None:
    (shipped,) = list(TrustStore.shipped())
    assert shipped.signer_id == "pith.science"
    assert key_from_json(key_json(TEST_KEY, TEST_KEY_ID, signer_id=None), "t").signer_id == ""
    assert key_from_json(key_json(TEST_KEY, TEST_KEY_ID), "t").signer_id == "pith.science"


@pytest.mark.parametrize("signer_id", ["", 7, ["pith.science"]])
def test_a_malformed_signer_id_is_an_error(signer_id: Any) -> None:
    with pytest.raises(TrustStoreError, match="signer_id"):
        key_from_json({**key_json(TEST_KEY, TEST_KEY_ID), "signer_id": signer_id}, "t")
