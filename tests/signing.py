"""Signed test documents made with a fixed-seed key that is pinned only in the tests.

Used by the tests and the benchmarks to build records, bundles and events of every kind,
and to re-sign tampered copies.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from typing import Any

from nacl.signing import SigningKey

from pith_tui.core.canonical import canonical_bytes, canonical_sha256
from pith_tui.core.ids import format_pith_number, format_short_number, pith_id_from_sha256_hex
from pith_tui.core.keys import TrustStore, fingerprint_b32, fingerprint_hex, key_from_json
from pith_tui.core.merge import merge
from pith_tui.core.model import Bundle

TEST_KEY_ID = "pith-test-2026-01"
TEST_KEY = SigningKey(hashlib.sha256(b"pith-tui test key").digest())
OTHER_KEY = SigningKey(hashlib.sha256(b"an unpinned key").digest())


SIGNER_ID = "pith.science"  # the signer the test key is pinned for, as events name it


def key_json(
    key: SigningKey, key_id: str, rotates_at: str | None = None, signer_id: str | None = SIGNER_ID
) -> dict[str, Any]:
    raw = bytes(key.verify_key)
    entry: dict[str, Any] = {
        "key_id": key_id,
        "algorithm": "ed25519",
        "format": "raw",
        "public_key_b64": base64.b64encode(raw).decode(),
        "public_key_hex": raw.hex(),
        "fingerprint_sha256_hex": fingerprint_hex(raw),
        "fingerprint_sha256_b32_first128bits": fingerprint_b32(raw),
        "rotates_at": rotates_at,
    }
    if signer_id is not None:
        entry["signer_id"] = signer_id
    return entry


def test_trust(rotates_at: str | None = None) -> TrustStore:
    """The shipped keys plus the test key."""
    return TrustStore(
        [*TrustStore.shipped(), key_from_json(key_json(TEST_KEY, TEST_KEY_ID, rotates_at), "tests")]
    )


def sign(key: SigningKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message).signature).decode()


def dumps(obj: Any) -> bytes:
    """Pretty, unsorted JSON, as the service serves it."""
    return json.dumps(obj, indent=1, ensure_ascii=False).encode("utf-8")


def canonical_record(
    arxiv_id: str,
    version: int = 1,
    title: str = "A Test Paper",
    submitted_at: str = "2024-03-01T12:00:00Z",
    source_kind: str = "arxiv",
) -> dict[str, Any]:
    return {
        "source": {"id": arxiv_id, "kind": source_kind, "version": version},
        "metadata": {
            "license": "http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
            "primary_cat": "cs.LG",
            "submitted_at": submitted_at,
            "cross_cats_sorted": ["stat.ML"],
            "title_canon_sha256": hashlib.sha256(
                " ".join(title.split()).lower().encode()
            ).hexdigest(),
            "abstract_canon_sha256": hashlib.sha256(b"abstract").hexdigest(),
        },
        "schema_version": "1.0",
    }


def _ids(record: dict[str, Any]) -> tuple[str, str, str]:
    digest = canonical_sha256(record)
    pith_id = pith_id_from_sha256_hex(digest)
    year = int(record["metadata"]["submitted_at"][:4])
    return digest, pith_id, format_pith_number(year, pith_id)


def receipt(digest: str, key: SigningKey = TEST_KEY, key_id: str = TEST_KEY_ID) -> dict[str, Any]:
    return {
        "kind": "pith_receipt",
        "key_id": key_id,
        "algorithm": "ed25519",
        "signed_at": "2026-05-17T23:59:21.054709Z",
        "signature_b64": sign(key, bytes.fromhex(digest)),
        "signed_message": "canonical_sha256_bytes",
        "canonical_sha256": digest,
        "public_key_fingerprint": fingerprint_hex(bytes(key.verify_key)),
    }


def aliases(
    arxiv_id: str, version: int, pith_id: str, created_at: str = "2026-05-17T23:59:21Z"
) -> list[dict[str, Any]]:
    values = [
        ("arxiv", arxiv_id),
        ("arxiv_version", f"{arxiv_id}v{version}"),
        ("doi", f"10.48550/arxiv.{arxiv_id}"),
        ("pith_short_12", pith_id[:12]),
        ("pith_short_16", pith_id[:16]),
        ("pith_short_8", pith_id[:8]),
    ]
    return [{"alias_kind": k, "alias_value": v, "created_at": created_at} for k, v in values]


def paper(
    title: str,
    authors: str = "Ada Lovelace, Alan Turing",
    submitted_at: str = "2024-03-01T12:00:00Z",
) -> dict[str, Any]:
    return {
        "title": title,
        "license": "http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
        "headline": "",
        "cross_cats": ["stat.ML"],
        "primary_cat": "cs.LG",
        "authors_text": authors,
        "submitted_at": submitted_at,
        "abstract_excerpt": "We study things carefully.",
    }


def make_record(
    arxiv_id: str = "2403.00001",
    *,
    version: int = 1,
    title: str = "A Test Paper",
    authors: str = "Ada Lovelace, Alan Turing",
    key: SigningKey = TEST_KEY,
    key_id: str = TEST_KEY_ID,
    citations: list[dict[str, Any]] | None = None,
    source_kind: str = "arxiv",
) -> dict[str, Any]:
    """A number record signed with `key`, in the shape the service serves."""
    record = canonical_record(arxiv_id, version, title, source_kind=source_kind)
    digest, pith_id, number = _ids(record)
    return {
        "record_type": "pith_number_record",
        "pith_number": number,
        "short_pith_number": format_short_number(pith_id),
        "schema_version": "1.0",
        "canonical_sha256": digest,
        "source": {"kind": source_kind, "id": arxiv_id, "version": version},
        "paper": paper(title, authors),
        "verification_status": {
            "content_addressed": True,
            "pith_receipt": True,
            "author_attested": False,
            "externally_anchored": False,
            "storage_verified": False,
            "references_resolved": False,
            "citation_signatures": 0,
            "replication_records": 0,
        },
        "canonical_record": record,
        "receipt": receipt(digest, key, key_id),
        "aliases": aliases(arxiv_id, version, pith_id),
        "events": [],
        "inbound_citations": {"count": len(citations or []), "sample": citations or []},
        "links": {},
        "created_at": "2026-05-17T23:59:21Z",
        "updated_at": "2026-05-17T23:59:21Z",
    }


def resign_record(
    record: dict[str, Any], key: SigningKey = TEST_KEY, key_id: str = TEST_KEY_ID
) -> dict[str, Any]:
    """Hash, number and sign a record again after its `canonical_record` was edited: the
    result is a validly signed record of whatever the canonical record now says."""
    record = copy.deepcopy(record)
    digest, pith_id, number = _ids(record["canonical_record"])
    source = record["canonical_record"]["source"]
    record.update(
        pith_number=number,
        short_pith_number=format_short_number(pith_id),
        canonical_sha256=digest,
        source=copy.deepcopy(source),
        receipt=receipt(digest, key, key_id),
        aliases=aliases(str(source["id"]), int(source.get("version") or 1), pith_id),
    )
    return record


def make_event(
    event_type: str,
    subject: str,
    payload: dict[str, Any],
    *,
    target: str = "graph",
    key: SigningKey = TEST_KEY,
    key_id: str = TEST_KEY_ID,
    created_at: str = "2026-05-18T00:00:00Z",
) -> dict[str, Any]:
    fp = fingerprint_hex(bytes(key.verify_key))
    event: dict[str, Any] = {
        "event_type": event_type,
        "subject_pith_number": subject,
        "target": target,
        "payload": payload,
        "signer": {
            "signer_id": SIGNER_ID,
            "signer_type": "pith_registry",
            "key_id": key_id,
            "public_key_fingerprint": fp,
        },
        "created_at": created_at,
        "supersedes": [],
        "prev_event": None,
        "schema_version": "1.0",
    }
    return sign_event(event, key, key_id)


def sign_event(
    event: dict[str, Any], key: SigningKey = TEST_KEY, key_id: str = TEST_KEY_ID
) -> dict[str, Any]:
    """(Re-)hash and (re-)sign an event."""
    body = {k: v for k, v in event.items() if k not in ("signature", "content_sha256", "event_id")}
    digest = hashlib.sha256(canonical_bytes(body)).digest()
    return {
        **body,
        "signature": {
            "signature_status": "signed_v1",
            "algorithm": "ed25519",
            "key_id": key_id,
            "public_key_fingerprint": fingerprint_hex(bytes(key.verify_key)),
            "signature_b64": sign(key, digest),
            "signed_message": "open_graph_event_sha256_bytes",
            "signed_at": "2026-06-05T02:05:11Z",
        },
        "content_sha256": digest.hex(),
        "event_id": "sha256:" + digest.hex(),
    }


EXTRA_EVENT_TYPES = (
    "author_attestation",
    "timestamp_anchor",
    "storage_attestation",
    "citation_signature",
    "replication_record",
    "correction",
    "mirror_hint",
)


def make_bundle(
    arxiv_id: str = "2403.00002",
    *,
    version: int = 1,
    title: str = "A Test Bundle",
    extra_events: tuple[str, ...] = (),
    key: SigningKey = TEST_KEY,
    key_id: str = TEST_KEY_ID,
) -> dict[str, Any]:
    """A complete signed bundle: record_created, graph_snapshot and one event per `extra_events` type."""
    record = canonical_record(arxiv_id, version, title)
    digest, pith_id, number = _ids(record)
    created = make_event(
        "record_created",
        number,
        {
            "canonical_record": record,
            "canonical_sha256": digest,
            "receipt": receipt(digest, key, key_id),
            "source_kind": "arxiv",
            "source_id": arxiv_id,
            "source_version": version,
            "attestation_state": "computed",
        },
        target="record",
        key=key,
        key_id=key_id,
    )
    events = [
        created,
        make_event(
            "graph_snapshot",
            number,
            {"graph_snapshot": {"paper": paper(title)}},
            key=key,
            key_id=key_id,
        ),
    ]
    for index, event_type in enumerate(extra_events):
        events.append(
            make_event(
                event_type,
                number,
                {"note": f"{event_type} {index}"},
                target="graph",
                key=key,
                key_id=key_id,
                created_at=f"2026-05-19T00:00:{index:02d}Z",
            )
        )
    bundle: dict[str, Any] = {
        "bundle_type": "pith_open_graph_bundle",
        "bundle_version": "1.0",
        "pith_number": number,
        "short_pith_number": format_short_number(pith_id),
        "canonical_record": record,
        "canonical_sha256": digest,
        "source": {"kind": "arxiv", "id": arxiv_id, "version": version},
        "source_aliases": aliases(arxiv_id, version, pith_id),
        "events": events,
        "timestamp_proofs": [],
        "mirror_hints": [],
        "public_keys": [key_json(key, key_id)],
        "merge_version": "pith-open-graph-merge-v1",
        "built_at": "2026-06-05T02:05:11Z",
        "links": {},
    }
    return restate_bundle(bundle, key, key_id)


def restate_bundle(
    bundle: dict[str, Any],
    key: SigningKey = TEST_KEY,
    key_id: str = TEST_KEY_ID,
    *,
    valid: list[bool] | None = None,
) -> dict[str, Any]:
    """Recompute the served state with the client's merge (all events valid unless `valid`), then re-sign."""
    bundle = copy.deepcopy(bundle)
    bundle.pop("bundle_signature", None)
    bundle.pop("state", None)
    model = Bundle.parse({**bundle, "state": None})
    flags = valid if valid is not None else [True] * len(model.events)
    bundle["state"] = merge(model, flags, ["invalid"] * len(flags)).state
    return resign_bundle(bundle, key, key_id)


def resign_bundle(
    bundle: dict[str, Any], key: SigningKey = TEST_KEY, key_id: str = TEST_KEY_ID
) -> dict[str, Any]:
    """Re-sign the whole bundle (after the caller edited it)."""
    bundle = {k: v for k, v in bundle.items() if k != "bundle_signature"}
    digest = hashlib.sha256(canonical_bytes(bundle)).digest()
    bundle["bundle_signature"] = {
        "signature_status": "signed_v1",
        "algorithm": "ed25519",
        "key_id": key_id,
        "public_key_fingerprint": fingerprint_hex(bytes(key.verify_key)),
        "signature_b64": sign(key, digest),
        "signed_message": "bundle_sha256_bytes",
        "signed_at": "2026-06-05T02:05:11Z",
        "bundle_sha256": digest.hex(),
    }
    return bundle
