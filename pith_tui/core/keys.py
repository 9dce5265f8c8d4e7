"""The trust store: the Ed25519 keys pith-tui believes, and nothing else.

Trust comes only from keys pinned here: the one shipped with the package and any the user
adds in `keys.json` in the user config dir. A key that arrives inside the data it signs
proves nothing; `key_id` and fingerprints in documents are only hints for choosing a
pinned key, and are checked against the pinned key's recomputed fingerprint.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import platformdirs
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from pith_tui.core.canonical import strict_loads
from pith_tui.core.errors import RecordFormatError, TrustStoreError

KEYS_FILE_NAME = "keys.json"


def user_config_dir() -> Path:
    """`PITH_TUI_CONFIG_DIR` if set, else the platformdirs user config dir for pith-tui."""
    override = os.environ.get("PITH_TUI_CONFIG_DIR")
    return Path(override) if override else platformdirs.user_config_path("pith-tui")


def fingerprint_hex(public_key: bytes) -> str:
    """Pith's `public_key_fingerprint`: the first 16 bytes of sha256(raw key), hex."""
    return hashlib.sha256(public_key).digest()[:16].hex()


def fingerprint_b32(public_key: bytes) -> str:
    """Pith's `fingerprint_sha256_b32_first128bits`: base32(sha256(raw key))[:26]."""
    return base64.b32encode(hashlib.sha256(public_key).digest()).decode("ascii")[:26]


def decode_signature(signature_b64: str) -> bytes | None:
    """The 64 raw bytes of a base64 Ed25519 signature, or None when it is not one."""
    try:
        raw = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 64 else None


@dataclass(frozen=True)
class PinnedKey:
    key_id: str
    public_key: bytes
    rotates_at: datetime | None
    origin: str
    _verify_key: VerifyKey = field(repr=False, compare=False)
    signer_id: str = ""  # who holds the key, when the pin says (events name it as their signer)

    @cached_property
    def fingerprint_hex(self) -> str:
        return fingerprint_hex(self.public_key)

    @cached_property
    def fingerprint_b32(self) -> str:
        return fingerprint_b32(self.public_key)

    @property
    def public_key_b64(self) -> str:
        return base64.b64encode(self.public_key).decode("ascii")

    def verify(self, message: bytes, signature_b64: str) -> bool:
        """True only for a well-formed signature by this key over exactly `message`."""
        signature = decode_signature(signature_b64)
        if signature is None:
            return False
        try:
            self._verify_key.verify(message, signature)
        except BadSignatureError:
            return False
        return True

    def expired(self, now: datetime) -> bool:
        return self.rotates_at is not None and now >= self.rotates_at


def _parse_time(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TrustStoreError(f"{where}: 'rotates_at' should be an ISO date-time string or null")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise TrustStoreError(f"{where}: 'rotates_at' {value!r} is not an ISO date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def key_from_json(obj: Any, origin: str) -> PinnedKey:
    """One key object in the shape of a bundle's `public_keys` entries."""
    if not isinstance(obj, dict):
        raise TrustStoreError(f"{origin}: each key must be a JSON object")
    key_id = obj.get("key_id")
    if not isinstance(key_id, str) or not key_id:
        raise TrustStoreError(f"{origin}: a key has no 'key_id'")
    where = f"{origin}: key {key_id!r}"
    if obj.get("algorithm", "ed25519") != "ed25519":
        raise TrustStoreError(f"{where}: only 'ed25519' keys are supported")
    encoded = obj.get("public_key_b64")
    if not isinstance(encoded, str):
        raise TrustStoreError(f"{where}: 'public_key_b64' is missing")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise TrustStoreError(f"{where}: 'public_key_b64' is not valid base64") from None
    if len(raw) != 32:
        raise TrustStoreError(f"{where}: an Ed25519 public key is 32 bytes, this one is {len(raw)}")
    stated = obj.get("fingerprint_sha256_hex")
    if stated is not None and stated != fingerprint_hex(raw):
        raise TrustStoreError(f"{where}: 'fingerprint_sha256_hex' does not match the key bytes")
    stated_b32 = obj.get("fingerprint_sha256_b32_first128bits")
    if stated_b32 is not None and stated_b32 != fingerprint_b32(raw):
        raise TrustStoreError(
            f"{where}: 'fingerprint_sha256_b32_first128bits' does not match the key bytes"
        )
    signer_id = obj.get("signer_id")
    if signer_id is not None and (not isinstance(signer_id, str) or not signer_id):
        raise TrustStoreError(f"{where}: 'signer_id' should be a non-empty string or absent")
    try:
        verify_key = VerifyKey(raw)
    except Exception:  # PyNaCl raises several types for invalid points
        raise TrustStoreError(f"{where}: the key bytes are not a valid Ed25519 key") from None
    return PinnedKey(
        key_id,
        raw,
        _parse_time(obj.get("rotates_at"), where),
        origin,
        verify_key,
        signer_id or "",
    )


def _keys_from_bytes(data: bytes, origin: str) -> list[PinnedKey]:
    try:
        items = strict_loads(data)
    except RecordFormatError as exc:
        raise TrustStoreError(f"{origin} is not valid JSON: {exc}") from None
    if not isinstance(items, list):
        raise TrustStoreError(f"{origin} must be a JSON array of key objects")
    return [key_from_json(item, origin) for item in items]


class TrustStore:
    """Pinned keys by key_id. Later sources may add keys but never replace a key_id."""

    def __init__(self, keys: Iterable[PinnedKey] = ()) -> None:
        self._keys: dict[str, PinnedKey] = {}
        for key in keys:
            existing = self._keys.get(key.key_id)
            if existing is not None and existing.public_key != key.public_key:
                raise TrustStoreError(
                    f"{key.origin}: key {key.key_id!r} is already pinned ({existing.origin}) "
                    "with different bytes"
                )
            self._keys.setdefault(key.key_id, key)

    @classmethod
    def shipped(cls) -> TrustStore:
        data = (
            resources.files("pith_tui.core").joinpath("data").joinpath(KEYS_FILE_NAME).read_bytes()
        )
        return cls(_keys_from_bytes(data, "the shipped keys"))

    @classmethod
    def load(cls, config_dir: Path | None = None) -> TrustStore:
        """The shipped keys plus the user's `keys.json`, if it exists (malformed is an error)."""
        keys = list(cls.shipped())
        path = (config_dir or user_config_dir()) / KEYS_FILE_NAME
        if path.is_file():
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise TrustStoreError(f"cannot read {path}: {exc.strerror}") from None
            keys.extend(_keys_from_bytes(data, str(path)))
        return cls(keys)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._keys)

    def get(self, key_id: str) -> PinnedKey | None:
        return self._keys.get(key_id)

    def compare_carried(self, carried: Mapping[str, Any]) -> str | None:
        """Compare a key a document carries with the pinned one; a problem, or None.

        A carried key is never trusted on its own: it either matches the pinned key of the
        same id byte for byte, or it is reported.
        """
        key_id = carried.get("key_id")
        pinned = self._keys.get(key_id) if isinstance(key_id, str) else None
        if pinned is None:
            return f"carries key {key_id!r}, which is not pinned (ignored)"
        encoded = carried.get("public_key_b64")
        try:
            raw = base64.b64decode(encoded, validate=True) if isinstance(encoded, str) else None
        except (binascii.Error, ValueError):
            raw = None
        if raw != pinned.public_key:
            return f"carries key {key_id!r} with bytes that differ from the pinned key"
        hex_fp = carried.get("fingerprint_sha256_hex")
        if hex_fp is not None and hex_fp != pinned.fingerprint_hex:
            return f"carries key {key_id!r} with a wrong fingerprint"
        b32_fp = carried.get("fingerprint_sha256_b32_first128bits")
        if b32_fp is not None and b32_fp != pinned.fingerprint_b32:
            return f"carries key {key_id!r} with a wrong base32 fingerprint"
        return None
