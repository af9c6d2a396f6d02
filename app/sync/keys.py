"""This machine's keys: Ed25519 to sign, X25519 to receive; fingerprints; public-key files.

The private keys live in ``khaosat-keys.json`` in the data folder (never in the database, never
on a stick), sealed with ChaCha20-Poly1305 under a sub-key of the data key (app/security/datakey.py),
so the one passphrase that unlocks the data unlocks them too, and recovery through the office brings
them back with the data. Key files of earlier versions (no protection, or their own passphrase through
scrypt n=2^15, r=8, p=1) are opened once and sealed again under the data key. The file is written to a
temporary name, flushed and renamed, readable by its owner only.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from app.domain.text import text_problem
from app.security.passphrase import normalise
from app.sync import container as C
from app.sync.errors import SyncError, shown

if TYPE_CHECKING:
    from app.security.datakey import DataKey

KEY_FILE = "khaosat-keys.json"
PUBKEY_SUFFIX = ".khaosat-key"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
PASSPHRASE_ENV = "KHAOSAT_PASSPHRASE"

_RAW = serialization.Encoding.Raw


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: Any, what: str, size: int | None = None) -> bytes:
    if not isinstance(text, str):
        raise SyncError("bad_payload", f"Trường {what} không đúng kiểu.")
    try:
        out = base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise SyncError("bad_payload", f"Trường {what} không phải base64 hợp lệ.") from exc
    if size is not None and len(out) != size:
        raise SyncError("bad_payload", f"Trường {what} có độ dài sai.")
    return out


def keyid_of(sign_pub: bytes) -> str:
    """A short id of a signing key: a hint in envelopes and headers, never trusted on its own."""
    return hashlib.sha256(b"khaosat-keyid-v1\x00" + sign_pub).hexdigest()[:16]


def fingerprint(sign_pub: bytes, enc_pub: bytes) -> str:
    """Thirty digits in six groups of five, to compare aloud and on paper (Signal-style)."""
    digest = hashlib.sha256(b"khaosat-fingerprint-v1\x00" + sign_pub + enc_pub).digest()
    groups = [int.from_bytes(digest[i * 5 : i * 5 + 5], "big") % 100_000 for i in range(6)]
    return " ".join(f"{g:05d}" for g in groups)


def normalise_fingerprint(text: str) -> str:
    digits = "".join(ch for ch in text if ch.isdigit())
    return " ".join(digits[i : i + 5] for i in range(0, len(digits), 5))


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class KeyPair:
    sign: ed25519.Ed25519PrivateKey
    enc: x25519.X25519PrivateKey
    created_at: str

    @property
    def sign_pub(self) -> bytes:
        return self.sign.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)

    @property
    def enc_pub(self) -> bytes:
        return self.enc.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)

    @property
    def keyid(self) -> str:
        return keyid_of(self.sign_pub)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.sign_pub, self.enc_pub)

    @classmethod
    def generate(cls) -> KeyPair:
        return cls(ed25519.Ed25519PrivateKey.generate(), x25519.X25519PrivateKey.generate(), now_iso())

    def private_bytes(self) -> bytes:
        return self.sign.private_bytes(
            _RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        ) + self.enc.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())

    @classmethod
    def from_private_bytes(cls, raw: bytes, created_at: str) -> KeyPair:
        return cls(
            ed25519.Ed25519PrivateKey.from_private_bytes(raw[:32]),
            x25519.X25519PrivateKey.from_private_bytes(raw[32:64]),
            created_at,
        )


@dataclass
class Identity:
    """This machine: its id and current key pair, plus retired pairs (to read old receipts)."""

    laptop_id: str
    current: KeyPair
    retired: list[KeyPair] = field(default_factory=list)

    def decryption_keys(self) -> dict[str, x25519.X25519PrivateKey]:
        return {kp.keyid: kp.enc for kp in [self.current, *self.retired]}


# --- the key file -------------------------------------------------------------------------------


def key_path(data_dir: Path) -> Path:
    return Path(data_dir) / KEY_FILE


MACHINE_KEYS_LABEL = "machine-keys-v1"
DATAKEY_PROTECTION = "datakey-chacha20poly1305"
LEGACY_PROTECTION = "scrypt-chacha20poly1305"


def _aad(laptop_id: str, keyid: str) -> bytes:
    return f"khaosat-keys-v1:{laptop_id}:{keyid}".encode()


def _seal_pair(kp: KeyPair, laptop_id: str, key: DataKey | None) -> dict[str, Any]:
    raw = kp.private_bytes()
    entry: dict[str, Any] = {"created_at": kp.created_at, "keyid": kp.keyid}
    if key is None:  # only a store without a data key (tests of the sync layer alone)
        entry.update(protection="none", secret=b64(raw))
        return entry
    entry.update(
        protection=DATAKEY_PROTECTION,
        key_id=key.key_id,
        secret=b64(key.seal(MACHINE_KEYS_LABEL, raw, _aad(laptop_id, kp.keyid))),
    )
    return entry


def _open_pair(entry: dict[str, Any], laptop_id: str, key: DataKey | None, passphrase: str | None) -> KeyPair:
    protection = entry.get("protection")
    if protection == "none":
        raw = unb64(entry["secret"], "secret", 64)
    elif protection == DATAKEY_PROTECTION:
        if key is None:
            raise SyncError(
                "locked", "Khóa của máy được bảo vệ bằng mật khẩu dữ liệu: hãy mở khóa KhaoSat trước."
            )
        try:
            raw = key.open(
                MACHINE_KEYS_LABEL, unb64(entry["secret"], "secret"), _aad(laptop_id, entry["keyid"])
            )
        except InvalidTag as exc:
            raise SyncError(
                "wrong_keys", "Tệp khóa của máy được khóa bằng khóa dữ liệu của một máy khác hoặc đã bị hỏng."
            ) from exc
    elif protection == LEGACY_PROTECTION:
        # Keys of an earlier version, sealed with their own passphrase: opened once with it, then
        # sealed again under the data key (registry.load_keys).
        if not passphrase:
            raise SyncError(
                "passphrase_needed",
                "Khóa của máy còn được bảo vệ bằng mật khẩu khóa cũ (của phiên bản trước): hãy nhập mật khẩu "
                f"khóa đó một lần (hoặc đặt biến môi trường {PASSPHRASE_ENV}).",
            )
        derived = Scrypt(
            salt=unb64(entry["salt"], "salt"),
            length=32,
            n=int(entry["n"]),
            r=int(entry["r"]),
            p=int(entry["p"]),
        ).derive(normalise(passphrase).encode("utf-8"))
        try:
            raw = ChaCha20Poly1305(derived).decrypt(
                unb64(entry["nonce"], "nonce"),
                unb64(entry["secret"], "secret"),
                _aad(laptop_id, entry["keyid"]),
            )
        except InvalidTag as exc:
            raise SyncError("wrong_passphrase", "Mật khẩu khóa không đúng.") from exc
    else:
        raise SyncError("damaged", "Tệp khóa của máy bị hỏng (cách bảo vệ không xác định).")
    kp = KeyPair.from_private_bytes(raw, entry["created_at"])
    if kp.keyid != entry["keyid"]:
        raise SyncError("damaged", "Tệp khóa của máy bị hỏng (mã khóa không khớp).")
    return kp


def save_identity(data_dir: Path, ident: Identity, key: DataKey | None) -> Path:
    """Write the key file, the private keys sealed under the data key (``key``)."""
    doc = {
        "format": "khaosat-keys",
        "version": 1,
        "laptop_id": ident.laptop_id,
        "current": _seal_pair(ident.current, ident.laptop_id, key),
        "retired": [_seal_pair(kp, ident.laptop_id, key) for kp in ident.retired],
    }
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    return C.write_atomic(key_path(data_dir), C.dumps(doc), mode=0o600)


def _read_doc(data_dir: Path) -> dict[str, Any] | None:
    path = key_path(data_dir)
    if not path.exists():
        return None
    doc = C.strict_loads(path.read_bytes(), "tệp khóa")
    if not isinstance(doc, dict) or doc.get("format") != "khaosat-keys" or doc.get("version") != 1:
        raise SyncError("damaged", f"Tệp khóa {path} không đúng định dạng.")
    return doc


def load_identity(
    data_dir: Path, key: DataKey | None = None, passphrase: str | None = None
) -> Identity | None:
    """The machine's keys, opened with the data key (``passphrase`` only for an earlier version's file)."""
    doc = _read_doc(data_dir)
    if doc is None:
        return None
    laptop_id = doc["laptop_id"]
    return Identity(
        laptop_id,
        _open_pair(doc["current"], laptop_id, key, passphrase),
        [_open_pair(e, laptop_id, key, passphrase) for e in doc.get("retired", [])],
    )


def protections(data_dir: Path) -> set[str]:
    """How the private keys in the key file are sealed (empty if there is no file)."""
    doc = _read_doc(data_dir)
    if doc is None:
        return set()
    return {e.get("protection") for e in [doc.get("current", {}), *doc.get("retired", [])]}


def is_protected(data_dir: Path) -> bool:
    """True if the key file still needs the separate passphrase of an earlier version."""
    return LEGACY_PROTECTION in protections(data_dir)


# --- public-key documents -----------------------------------------------------------------------


@dataclass(frozen=True)
class PublicKeyDoc:
    """A verified public-key file: who the machine says it is, and its two public keys."""

    laptop_id: str
    name: str | None
    unit_code: str
    role: str
    sign_pub: bytes
    enc_pub: bytes
    created_at: str
    previous: dict[str, str] | None
    envelope: C.Envelope

    @property
    def keyid(self) -> str:
        return keyid_of(self.sign_pub)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.sign_pub, self.enc_pub)


def make_pubkey_doc(
    laptop_id: str,
    kp: KeyPair,
    *,
    name: str | None,
    unit_code: str,
    role: str,
    previous: KeyPair | None = None,
) -> C.Envelope:
    payload: dict[str, Any] = {
        "format": "khaosat-pubkey",
        "version": 1,
        "laptop_id": laptop_id,
        "name": name,
        "unit_code": unit_code,
        "role": role,
        "sign_pub": b64(kp.sign_pub),
        "enc_pub": b64(kp.enc_pub),
        "created_at": kp.created_at,
        "previous": None,
    }
    if previous is not None:
        endorsement = previous.sign.sign(C.pae(C.TYPE_REKEY, kp.sign_pub + kp.enc_pub))
        payload["previous"] = {
            "keyid": previous.keyid,
            "sign_pub": b64(previous.sign_pub),
            "endorsement": b64(endorsement),
        }
    return C.sign_envelope(C.TYPE_PUBKEY, C.dumps(payload), kp.keyid, kp.sign)


def pubkey_file(env: C.Envelope) -> bytes:
    return C.frame(C.KIND_PUBKEY, {"encrypted": False}, env.raw)


_LAPTOP_ID = re.compile("[0-9a-f]{16}")
NAME_LENGTH = 200  # a machine's name (its user's name) in a public-key file


def parse_pubkey_envelope(env: C.Envelope) -> PublicKeyDoc:
    if env.type != C.TYPE_PUBKEY:
        raise SyncError("wrong_purpose", "Chữ ký trong tệp không dành cho khóa công khai (sai mục đích).")
    p = env.json("khóa công khai")
    expected = {
        "format",
        "version",
        "laptop_id",
        "name",
        "unit_code",
        "role",
        "sign_pub",
        "enc_pub",
        "created_at",
        "previous",
    }
    if not isinstance(p, dict) or set(p) != expected or p["format"] != "khaosat-pubkey":
        raise SyncError("bad_payload", "Tệp khóa công khai không đúng cấu trúc.")
    if not isinstance(p["version"], int) or isinstance(p["version"], bool):
        raise SyncError("bad_payload", "Tệp khóa công khai không đúng cấu trúc.")
    if p["version"] > 1:
        raise SyncError(
            "newer_format", "Tệp khóa công khai do phiên bản KhaoSat mới hơn tạo. Hãy cập nhật KhaoSat."
        )
    for k in ("laptop_id", "unit_code", "role", "created_at"):
        if not isinstance(p[k], str) or not p[k] or len(p[k]) > 100:
            raise SyncError("bad_payload", f"Tệp khóa công khai: trường {k} không hợp lệ.")
    if p["name"] is not None and (not isinstance(p["name"], str) or len(p["name"]) > NAME_LENGTH):
        raise SyncError(
            "bad_payload",
            f"Tệp khóa công khai: tên máy không hợp lệ (phải là chữ, tối đa {NAME_LENGTH} ký tự).",
        )
    sign_pub = unb64(p["sign_pub"], "sign_pub", 32)
    enc_pub = unb64(p["enc_pub"], "enc_pub", 32)
    if not env.verify(sign_pub):
        raise SyncError("bad_signature", "Chữ ký của tệp khóa công khai không đúng: tệp đã bị sửa.")
    previous = p["previous"]
    if previous is not None:
        if not isinstance(previous, dict) or set(previous) != {"keyid", "sign_pub", "endorsement"}:
            raise SyncError("bad_payload", "Tệp khóa công khai: phần khóa cũ không đúng cấu trúc.")
        old_pub = unb64(previous["sign_pub"], "previous.sign_pub", 32)
        endorsement = unb64(previous["endorsement"], "previous.endorsement", 64)
        try:
            ed25519.Ed25519PublicKey.from_public_bytes(old_pub).verify(
                endorsement, C.pae(C.TYPE_REKEY, sign_pub + enc_pub)
            )
        except Exception as exc:
            raise SyncError(
                "bad_signature", "Khóa cũ không xác nhận khóa mới trong tệp: tệp đã bị sửa."
            ) from exc
        if previous["keyid"] != keyid_of(old_pub):
            raise SyncError("bad_payload", "Tệp khóa công khai: mã khóa cũ không khớp.")
    return PublicKeyDoc(
        p["laptop_id"],
        p["name"],
        p["unit_code"],
        p["role"],
        sign_pub,
        enc_pub,
        p["created_at"],
        previous,
        env,
    )


# A machine's name is shown beside its fingerprint when a person decides to trust it: what the
# domain's one text rule refuses (``text_problem``: control characters, NUL, and bidirectional controls,
# which display text in another order than it is stored) is refused at registration, so the name a
# person reads is the name that is kept.


def read_pubkey_file(data: bytes) -> PublicKeyDoc:
    """A public-key file to register: framing, the self-signed document, and a name fit to be shown."""
    fr = C.parse_frame(data, expect=C.KIND_PUBKEY)
    if fr.header != {"encrypted": False}:
        raise SyncError("damaged", "Tệp khóa công khai bị hỏng (phần đầu không đúng).")
    env, pos = C.read_envelope(memoryview(fr.body), 0)
    if pos != len(fr.body):
        raise SyncError("damaged", "Tệp khóa công khai có dữ liệu thừa: tệp đã bị sửa hoặc hỏng.")
    try:
        doc = parse_pubkey_envelope(env)
    except C.BadText as exc:
        raise SyncError(
            "bad_text",
            f"Tệp khóa công khai có ký tự hỏng ở trường {shown(exc.path[-1] if exc.path else '?', 40)} "
            f"(nửa cặp mã UTF-16 \\u{ord(exc.char):04x}, không phải chữ): tệp đã bị sửa hoặc được tạo sai. "
            "Chưa đăng ký.",
        ) from exc
    problem = text_problem(doc.name, "Tên máy trong tệp khóa công khai", NAME_LENGTH, one_line=True)
    if problem is not None:
        raise SyncError(
            "bad_text",
            f"{problem.removesuffix(' Hãy xóa rồi gõ lại.')} Chưa đăng ký; hãy sửa họ tên trên máy đó "
            "rồi ghi lại tệp khóa công khai.",
        )
    if _LAPTOP_ID.fullmatch(doc.laptop_id) is None:  # shown where a machine has no name
        raise SyncError(
            "bad_payload",
            f"Mã máy «{shown(doc.laptop_id, 40)}» trong tệp khóa công khai không đúng dạng (16 chữ số hệ "
            "mười sáu): tệp không do KhaoSat tạo hoặc đã bị sửa. Chưa đăng ký.",
        )
    return doc
