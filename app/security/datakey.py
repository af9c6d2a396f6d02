"""The data key: one random key per data folder, wrapped by the passphrase and by the office above.

Key hierarchy::

    passphrase ──scrypt──► wrapping key ──ChaCha20-Poly1305──┐
    office X25519 public key ──HPKE──────────────────────────┼──► data key (32 random bytes)
                                                             │        │ HKDF-SHA256, one label each
                                                             │        ├─► database key (SQLCipher, raw)
                                                             │        ├─► machine keys (khaosat-keys.json)
                                                             │        └─► drafts, backups' extra files

The wrapped copies live in ``khaosat-datakey.json`` in the data folder; nothing in it is secret
without the passphrase or the office's private key. Changing the passphrase rewrites only this file:
the database is never re-encrypted. The file is written through app/fileio.py (temporary name,
fsync, rename), so a crash leaves the old wrapping or the new one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.fileio import write_atomic
from app.security import kdf
from app.security.passphrase import normalise

DATAKEY_FILE = "khaosat-datakey.json"
FORMAT = "khaosat-datakey"
VERSION = 1
_MAX_FILE = 64 * 1024


class LockError(Exception):
    """Unlocking failed; ``reason`` is for code, the message (Vietnamese) for people."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(value: Any, size: int | None = None) -> bytes:
    if not isinstance(value, str):
        raise LockError("damaged", "Tệp khóa dữ liệu bị hỏng (một trường không đúng kiểu).")
    try:
        out = base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise LockError("damaged", "Tệp khóa dữ liệu bị hỏng (base64 không hợp lệ).") from exc
    if size is not None and len(out) != size:
        raise LockError("damaged", "Tệp khóa dữ liệu bị hỏng (độ dài sai).")
    return out


def key_id_of(raw: bytes) -> str:
    """A public name of a data key: which key a backup or a recovery request belongs to."""
    return hashlib.sha256(b"khaosat-datakey-id-v1\x00" + raw).hexdigest()[:16]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, repr=False)
class DataKey:
    """The unwrapped data key, in memory only while the program is unlocked."""

    raw: bytes

    def __post_init__(self) -> None:
        if len(self.raw) != 32:
            raise ValueError("a data key is 32 bytes")

    def __repr__(self) -> str:  # never print the key itself
        return f"DataKey({self.key_id})"

    @classmethod
    def generate(cls) -> DataKey:
        return cls(os.urandom(32))

    @property
    def key_id(self) -> str:
        return key_id_of(self.raw)

    def subkey(self, label: str) -> bytes:
        return HKDF(hashes.SHA256(), 32, salt=None, info=b"khaosat-" + label.encode("ascii")).derive(self.raw)

    def sqlcipher_key(self) -> str:
        """The value of ``PRAGMA key``: a raw 256-bit key, so SQLCipher skips its own (slow) PBKDF2."""
        return f"x'{self.subkey('database-v1').hex()}'"

    def seal(self, label: str, data: bytes, aad: bytes = b"") -> bytes:
        """nonce (12) + ChaCha20-Poly1305 of ``data`` under the sub-key ``label``."""
        nonce = os.urandom(12)
        return nonce + ChaCha20Poly1305(self.subkey(label)).encrypt(nonce, data, aad)

    def open(self, label: str, blob: bytes, aad: bytes = b"") -> bytes:
        """Raises ``InvalidTag`` if the blob was sealed under another key, label or aad, or altered."""
        if len(blob) < 12 + 16:
            raise InvalidTag()
        return ChaCha20Poly1305(self.subkey(label)).decrypt(blob[:12], blob[12:], aad)


# --- the passphrase wrapping ------------------------------------------------------------------


def _aad(key_id: str) -> bytes:
    return b"khaosat-datakey-v1\x00" + key_id.encode("ascii")


def wrap_with_passphrase(key: DataKey, passphrase: str, cost: kdf.ScryptCost | None = None) -> dict[str, Any]:
    cost = cost or kdf.default_cost()
    salt, nonce = os.urandom(16), os.urandom(12)
    kek = kdf.derive(normalise(passphrase), salt, cost)
    return {
        **cost.to_json(),
        "salt": b64(salt),
        "nonce": b64(nonce),
        "wrapped": b64(ChaCha20Poly1305(kek).encrypt(nonce, key.raw, _aad(key.key_id))),
        "set_at": now_iso(),
    }


def unwrap_with_passphrase(wrap: dict[str, Any], key_id: str, passphrase: str) -> DataKey:
    try:
        cost = kdf.ScryptCost.from_json(wrap)
        salt = unb64(wrap.get("salt"))
        kek = kdf.derive(normalise(passphrase), salt, cost)
    except kdf.KdfError as exc:
        raise LockError("damaged", "Tệp khóa dữ liệu bị hỏng (tham số dẫn xuất khóa không hợp lệ).") from exc
    try:
        raw = ChaCha20Poly1305(kek).decrypt(
            unb64(wrap.get("nonce"), 12), unb64(wrap.get("wrapped")), _aad(key_id)
        )
    except InvalidTag as exc:
        raise LockError("wrong_passphrase", "Mật khẩu không đúng.") from exc
    key = DataKey(raw)
    if key.key_id != key_id:
        raise LockError("damaged", "Tệp khóa dữ liệu bị hỏng (mã khóa không khớp).")
    return key


# --- the file -----------------------------------------------------------------------------------


@dataclass
class OfficeWrap:
    """The data key sealed to an office's X25519 key (HPKE), for recovery through that office."""

    office_id: str
    name: str
    sign_pub: bytes  # to check the office's signature on an unlock file
    enc_pub: bytes
    enc_keyid: str
    sealed: bytes
    wrapped_at: str
    wrapped_for: str  # the laptop id bound into the sealed copy (app/sync/recovery.py wrap_info)

    def to_json(self) -> dict[str, Any]:
        return {
            "office_id": self.office_id,
            "name": self.name,
            "sign_pub": b64(self.sign_pub),
            "enc_pub": b64(self.enc_pub),
            "enc_keyid": self.enc_keyid,
            "sealed": b64(self.sealed),
            "wrapped_at": self.wrapped_at,
            "wrapped_for": self.wrapped_for,
        }

    @classmethod
    def from_json(cls, doc: Any) -> OfficeWrap:
        if not isinstance(doc, dict):
            raise LockError("damaged", "Tệp khóa dữ liệu bị hỏng (phần cơ quan).")
        try:
            return cls(
                str(doc["office_id"]),
                str(doc["name"]),
                unb64(doc["sign_pub"], 32),
                unb64(doc["enc_pub"], 32),
                str(doc["enc_keyid"]),
                unb64(doc["sealed"]),
                str(doc["wrapped_at"]),
                str(doc["wrapped_for"]),
            )
        except KeyError as exc:
            raise LockError("damaged", "Tệp khóa dữ liệu bị hỏng (phần cơ quan thiếu trường).") from exc


@dataclass
class Keyring:
    """``khaosat-datakey.json``: the data key's id and its wrapped copies."""

    laptop_id: str
    key_id: str
    created_at: str
    passphrase: dict[str, Any]
    offices: list[OfficeWrap] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "laptop_id": self.laptop_id,
            "key_id": self.key_id,
            "created_at": self.created_at,
            "passphrase": self.passphrase,
            "offices": [o.to_json() for o in self.offices],
        }

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=1).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Keyring:
        if len(data) > _MAX_FILE:
            raise LockError("damaged", "Tệp khóa dữ liệu quá lớn: không phải tệp của KhaoSat.")
        try:
            doc = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise LockError("damaged", "Tệp khóa dữ liệu bị hỏng (không đọc được).") from exc
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise LockError("damaged", "Tệp khóa dữ liệu không đúng định dạng.")
        if not isinstance(doc.get("version"), int) or doc["version"] > VERSION:
            raise LockError(
                "newer_format", "Tệp khóa dữ liệu do phiên bản KhaoSat mới hơn tạo: hãy cập nhật KhaoSat."
            )
        try:
            ring = cls(
                str(doc["laptop_id"]),
                str(doc["key_id"]),
                str(doc["created_at"]),
                dict(doc["passphrase"]),
                [OfficeWrap.from_json(o) for o in doc.get("offices") or []],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise LockError("damaged", "Tệp khóa dữ liệu bị hỏng (thiếu trường).") from exc
        return ring

    def unlock(self, passphrase: str) -> DataKey:
        return unwrap_with_passphrase(self.passphrase, self.key_id, passphrase)


def keyring_path(data_dir: str | os.PathLike[str]) -> Path:
    return Path(data_dir) / DATAKEY_FILE


def exists(data_dir: str | os.PathLike[str]) -> bool:
    return keyring_path(data_dir).is_file()


def load(data_dir: str | os.PathLike[str]) -> Keyring:
    path = keyring_path(data_dir)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise LockError("missing", f"Không tìm thấy tệp khóa dữ liệu {path}.") from exc
    return Keyring.from_bytes(data)


def save(data_dir: str | os.PathLike[str], ring: Keyring) -> Path:
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    return write_atomic(keyring_path(data_dir), ring.to_bytes(), mode=0o600)


def create(data_dir: str | os.PathLike[str], passphrase: str, laptop_id: str | None = None) -> DataKey:
    """A new data key for a folder that has none, wrapped with ``passphrase`` (strength checked by the caller)."""
    if exists(data_dir):
        raise LockError("exists", "Thư mục dữ liệu đã có tệp khóa dữ liệu.")
    key = DataKey.generate()
    ring = Keyring(
        laptop_id or uuid.uuid4().hex[:16],
        key.key_id,
        now_iso(),
        wrap_with_passphrase(key, passphrase),
    )
    save(data_dir, ring)
    return key


def unlock(data_dir: str | os.PathLike[str], passphrase: str) -> DataKey:
    return load(data_dir).unlock(passphrase)


def change_passphrase(data_dir: str | os.PathLike[str], key: DataKey, new_passphrase: str) -> None:
    """Re-wrap the data key (the database is not touched)."""
    ring = load(data_dir)
    if ring.key_id != key.key_id:
        raise LockError("wrong_key", "Khóa đang mở không phải khóa của thư mục dữ liệu này.")
    ring.passphrase = wrap_with_passphrase(key, new_passphrase)
    save(data_dir, ring)
