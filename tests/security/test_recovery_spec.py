"""docs/sync-bundle.md section 9, read independently: the request and the unlock file decoded with the
standard library and ``cryptography`` only, following the document (not the program's reader)."""

from __future__ import annotations

import base64
import hashlib
import json
import struct

from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from app.domain.vocab import Role
from app.security import datakey
from app.sync import recovery
from tests.conftest import TEST_WARD
from tests.sync.conftest import make_machine, register

SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)


def frame(data: bytes) -> tuple[bytes, dict, bytes, bytes]:
    assert data[:8] == b"KHAOSAT\x1a" and data[9] == 1
    kind = data[8:9]
    (hlen,) = struct.unpack(">I", data[10:14])
    prefix = data[: 14 + hlen]
    (blen,) = struct.unpack(">Q", data[14 + hlen : 22 + hlen])
    body = data[22 + hlen :]
    assert len(body) == blen
    return kind, json.loads(prefix[14:]), prefix, body


def envelope(plain: bytes) -> tuple[str, bytes, bytes]:
    tlen = plain[0]
    type_ = plain[1 : 1 + tlen].decode()
    pos = 1 + tlen
    klen = plain[pos]
    pos += 1 + klen
    (plen,) = struct.unpack(">I", plain[pos : pos + 4])
    payload = plain[pos + 4 : pos + 4 + plen]
    signature = plain[pos + 4 + plen : pos + 4 + plen + 64]
    assert len(plain) == pos + 4 + plen + 64
    return type_, payload, signature


def pae(type_: str, payload: bytes) -> bytes:
    t = type_.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def test_request_and_unlock_file_read_from_the_document(tmp_path):
    stick = tmp_path / "usb"
    stick.mkdir()
    laptop = make_machine(tmp_path, "Nguyễn Thị Hằng", TEST_WARD, Role.COLLABORATOR)
    office = make_machine(tmp_path, "Lê Thị Thu", TEST_WARD, Role.WARD_OFFICE)
    register(office, laptop, stick)
    data_key = laptop.store.key.raw
    laptop_id = laptop.id

    req = recovery.make_request(laptop.folder, stick)
    kind, header, prefix, body = frame(req.path.read_bytes())
    assert kind == b"Q" and header == {
        "compression": "none",
        "recipient": office.ident.current.keyid,
        "suite": "HPKE-X25519-SHA256-ChaCha20Poly1305",
    }
    p = json.loads(SUITE.decrypt(body, office.ident.current.enc, info=b"khaosat-v1 " + prefix))
    assert set(p) == {
        "format", "version", "request_id", "laptop_id", "key_id", "office_id", "created_at", "recovery_pub", "sealed_key",
    }  # fmt: skip
    assert (p["format"], p["version"], p["laptop_id"], p["office_id"]) == (
        "khaosat-recovery-request", 1, laptop_id, office.id,
    )  # fmt: skip
    info = b"khaosat-recovery-wrap-v1\x00" + laptop_id.encode() + b"\x00" + p["key_id"].encode()
    opened = SUITE.decrypt(base64.b64decode(p["sealed_key"]), office.ident.current.enc, info=info)
    assert opened == data_key
    assert p["key_id"] == hashlib.sha256(b"khaosat-datakey-id-v1\x00" + opened).hexdigest()[:16]

    answer = recovery.answer_request(
        office.store,
        office.ident,
        recovery.read_request(office.store, office.ident, req.path),
        stick,
        checked_by="Lê Thị Thu",
    )
    kind, header, prefix, body = frame(answer.path.read_bytes())
    pending = json.loads((laptop.folder / recovery.PENDING_FILE).read_text())["pending"][0]
    one_time = x25519.X25519PrivateKey.from_private_bytes(base64.b64decode(pending["private"]))
    pub = one_time.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert kind == b"U" and header["compression"] == "none"
    assert header["recipient"] == hashlib.sha256(b"khaosat-recovery-key-v1\x00" + pub).hexdigest()[:16]
    plain = SUITE.decrypt(body, one_time, info=b"khaosat-v1 " + prefix)
    (count,) = struct.unpack(">I", plain[:4])
    assert count == 1
    type_, payload, signature = envelope(plain[4:])
    assert type_ == "application/vnd.khaosat.recovery-unlock+json; version=1"
    ed25519.Ed25519PublicKey.from_public_bytes(office.ident.current.sign_pub).verify(
        signature, pae(type_, payload)
    )
    u = json.loads(payload)
    assert (u["kdf"], u["request_id"], u["laptop_id"], u["office_id"]) == (
        "scrypt",
        p["request_id"],
        laptop_id,
        office.id,
    )
    digits = answer.code.replace("-", "")
    assert len(digits) == 12 and digits.isdigit()
    key = Scrypt(salt=base64.b64decode(u["salt"]), length=32, n=u["n"], r=u["r"], p=u["p"]).derive(
        digits.encode()
    )
    aad = f"khaosat-recovery-code-v1\x00{u['request_id']}\x00{laptop_id}\x00{u['key_id']}".encode()
    assert (
        ChaCha20Poly1305(key).decrypt(base64.b64decode(u["nonce"]), base64.b64decode(u["sealed_key"]), aad)
        == data_key
    )
    assert datakey.load(laptop.folder).offices[0].sign_pub == office.ident.current.sign_pub
    for m in (laptop, office):
        m.store.close()


def test_a_request_whose_fields_are_not_text_is_refused_before_anyone_reads_it(tmp_path):
    """A request is shown to the person who decides (which machine, made when): a field holding a control
    character or a direction override is refused with a reason, as every other door does."""
    import pytest

    from app.sync import container as C
    from app.sync.errors import SyncError

    stick = tmp_path / "usb"
    stick.mkdir()
    laptop = make_machine(tmp_path, "Nguyễn Thị Hằng", TEST_WARD, Role.COLLABORATOR)
    office = make_machine(tmp_path, "Lê Thị Thu", TEST_WARD, Role.WARD_OFFICE)
    register(office, laptop, stick)
    req = recovery.make_request(laptop.folder, stick)
    _kind, _header, prefix, body = frame(req.path.read_bytes())
    good = json.loads(SUITE.decrypt(body, office.ident.current.enc, info=b"khaosat-v1 " + prefix))
    for field, value in (
        ("created_at", "2026-12-02\u202e21:01"),
        ("laptop_id", laptop.id + "\x07"),
        ("key_id", "a\nb"),
    ):
        p = dict(good, **{field: value})
        data = C.seal_payload(
            C.KIND_RECOVERY_REQUEST, office.ident.current.keyid, office.ident.current.enc_pub, C.dumps(p)
        )
        path = stick / f"bad-{field}.khaosat-recovery"
        path.write_bytes(data)
        with pytest.raises(SyncError) as exc:
            recovery.read_request(office.store, office.ident, path)
        assert exc.value.reason == "bad_text" and field in exc.value.message, exc.value.message
        assert exc.value.message.isprintable()
    laptop.store.close()
    office.store.close()
