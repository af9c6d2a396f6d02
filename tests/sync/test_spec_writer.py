"""An independent minimal writer, written from docs/sync-bundle.md alone (standard library and
``cryptography``, nothing from ``app.sync``), whose files the program must accept; and the worked
example of the document, recomputed."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
import zlib

from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519

from app.domain.records import Enterprise, Visit
from app.sync import keys as K
from app.sync import registry as R
from tests.conftest import ROOT
from tests.sync.conftest import WARD

RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw
DOC = (ROOT / "docs" / "sync-bundle.md").read_text(encoding="utf-8")


# --- the independent writer ------------------------------------------------------------------------


def j(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def pae(type_: str, payload: bytes) -> bytes:
    t = type_.encode()
    return b"DSSEv1 " + str(len(t)).encode() + b" " + t + b" " + str(len(payload)).encode() + b" " + payload


def envelope(type_: str, keyid: str, payload: bytes, sk: ed25519.Ed25519PrivateKey) -> bytes:
    t, k = type_.encode(), keyid.encode()
    return (
        bytes([len(t)])
        + t
        + bytes([len(k)])
        + k
        + struct.pack(">I", len(payload))
        + payload
        + sk.sign(pae(type_, payload))
    )


def key_id(ed_pub: bytes) -> str:
    return hashlib.sha256(b"khaosat-keyid-v1\x00" + ed_pub).hexdigest()[:16]


def fingerprint(ed_pub: bytes, x_pub: bytes) -> str:
    d = hashlib.sha256(b"khaosat-fingerprint-v1\x00" + ed_pub + x_pub).digest()
    return " ".join(f"{int.from_bytes(d[5 * i : 5 * i + 5], 'big') % 100000:05d}" for i in range(6))


def file_bytes(kind: bytes, header: dict, body: bytes) -> bytes:
    h = j(header)
    return (
        b"KHAOSAT\x1a" + kind + b"\x01" + struct.pack(">I", len(h)) + h + struct.pack(">Q", len(body)) + body
    )


class MiniLaptop:
    """Everything a laptop needs to take part, from the specification."""

    def __init__(self, laptop_id: str, name: str, unit: str):
        self.id, self.name, self.unit = laptop_id, name, unit
        self.sk, self.xk = ed25519.Ed25519PrivateKey.generate(), x25519.X25519PrivateKey.generate()
        self.ed_pub = self.sk.public_key().public_bytes(*RAW)
        self.x_pub = self.xk.public_key().public_bytes(*RAW)
        self.keyid = key_id(self.ed_pub)
        self.seq, self.prev = 0, None

    def pubkey_envelope(self) -> bytes:
        payload = j(
            {
                "created_at": "2026-11-21T08:00:00+00:00",
                "enc_pub": base64.b64encode(self.x_pub).decode(),
                "format": "khaosat-pubkey",
                "laptop_id": self.id,
                "name": self.name,
                "previous": None,
                "role": "collaborator",
                "sign_pub": base64.b64encode(self.ed_pub).decode(),
                "unit_code": self.unit,
                "version": 1,
            }
        )
        return envelope("application/vnd.khaosat.pubkey+json; version=1", self.keyid, payload, self.sk)

    def pubkey_file(self) -> bytes:
        return file_bytes(b"K", {"encrypted": False}, self.pubkey_envelope())

    def bundle(
        self, office_id: str, office_keyid: str, office_x_pub: bytes, created: list, changes: list
    ) -> bytes:
        self.seq += 1
        payload = j(
            {
                "format": "khaosat-bundle",
                "version": 2,
                "from": self.id,
                "to": office_id,
                "seq": self.seq,
                "prev": self.prev,
                "created_at": "2026-11-21T09:00:00+00:00",
                "sender_key": base64.b64encode(self.pubkey_envelope()).decode(),
                "created": created,
                "changes": changes,
                "relayed": [],
                "vouched": [],
            }
        )
        env = envelope("application/vnd.khaosat.bundle+json; version=1", self.keyid, payload, self.sk)
        self.prev = hashlib.sha256(env).hexdigest()
        header = j(
            {"compression": "zlib", "recipient": office_keyid, "suite": "HPKE-X25519-SHA256-ChaCha20Poly1305"}
        )
        prefix = b"KHAOSAT\x1aB\x01" + struct.pack(">I", len(header)) + header
        plain = zlib.compress(struct.pack(">I", 1) + env)
        suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
        body = suite.encrypt(
            plain, x25519.X25519PublicKey.from_public_bytes(office_x_pub), info=b"khaosat-v1 " + prefix
        )
        return prefix + struct.pack(">Q", len(body)) + body

    def stamp(self, n: int) -> str:
        return f"{1795249400000 + n:015d}-00000-{self.id}"


def read_office_key(data: bytes) -> tuple[str, str, bytes, bytes]:
    """The office's public-key file, read from the specification: (laptop_id, key id, X25519 key,
    Ed25519 key)."""
    assert data[:10] == b"KHAOSAT\x1aK\x01"
    (hlen,) = struct.unpack(">I", data[10:14])
    body = data[14 + hlen + 8 :]
    tlen = body[0]
    klen = body[1 + tlen]
    pos = 2 + tlen + klen
    (plen,) = struct.unpack(">I", body[pos : pos + 4])
    payload = json.loads(body[pos + 4 : pos + 4 + plen])
    ed_pub = base64.b64decode(payload["sign_pub"])
    ed25519.Ed25519PublicKey.from_public_bytes(ed_pub).verify(
        body[pos + 4 + plen :], pae(body[1 : 1 + tlen].decode(), body[pos + 4 : pos + 4 + plen])
    )
    return payload["laptop_id"], key_id(ed_pub), base64.b64decode(payload["enc_pub"]), ed_pub


def test_the_program_accepts_what_an_independent_writer_makes(net):
    mini = MiniLaptop("ab12cd34ef56ab78", "Cộng tác viên Độc Lập", WARD)
    key_file = net.stick / "khoa_mini.khaosat-key"
    key_file.write_bytes(mini.pubkey_file())
    doc = K.read_pubkey_file(key_file.read_bytes())
    assert doc.fingerprint == fingerprint(mini.ed_pub, mini.x_pub)
    R.register(net.ward.store, doc)
    office_id, office_keyid, office_x, _ = read_office_key(net.ward.pubkey(net.stick).read_bytes())
    rid = "019a8f3e-7c2b-7000-a000-0000000000aa"
    vid = "019a8f3e-7c2b-7000-a000-0000000000bb"
    created = [
        {
            "entity": "enterprises",
            "columns": ["id", "name", "tax_code", "ward_code", "workforce_total", "fdi"],
            "rows": [
                [
                    "c-1",
                    "t-1",
                    mini.stamp(1),
                    mini.name,
                    "2026-11-21T09:00:00+00:00",
                    rid,
                    "Công ty TNHH Độc Lập",
                    "0100109106",
                    WARD,
                    12,
                    None,
                ]
            ],
        },
        {
            "entity": "visits",
            "columns": ["id", "enterprise_id", "visit_date", "union_members"],
            "rows": [
                [
                    "c-2",
                    "t-1",
                    mini.stamp(2),
                    mini.name,
                    "2026-11-21T09:00:00+00:00",
                    vid,
                    rid,
                    "2026-11-20",
                    7,
                ]
            ],
        },
    ]
    path = net.stick / "goi_mini_1.khaosat"
    path.write_bytes(mini.bundle(office_id, office_keyid, office_x, created, []))
    r = net.ward.import_ok(path)
    assert r.report.new == 2
    e = net.ward.store.get(Enterprise, rid)
    assert e.name == "Công ty TNHH Độc Lập" and e.workforce_total == 12 and e.fdi == 0  # null: the default
    assert net.ward.store.get(Visit, vid).union_members == 7
    [first] = net.ward.store.history("enterprises", rid)
    assert first["origin"] == mini.id and first["change_id"] == "c-1" and first["op"] == "create"
    # a second bundle, chained by the hash of the first, with an update
    update = [
        "c-3",
        "t-2",
        mini.stamp(3),
        mini.name,
        "2026-11-21T09:05:00+00:00",
        "enterprises",
        rid,
        "update",
        {"workforce_total": [12, 15]},
    ]
    path2 = net.stick / "goi_mini_2.khaosat"
    path2.write_bytes(mini.bundle(office_id, office_keyid, office_x, [], [update]))
    r2 = net.ward.import_ok(path2)
    assert r2.report.updated == 1 and not r2.warnings
    assert net.ward.store.get(Enterprise, rid).workforce_total == 15
    assert [h["change_id"] for h in net.ward.store.history("enterprises", rid)] == ["c-1", "c-3"]


# --- the worked example -----------------------------------------------------------------------------


def test_worked_example_in_the_document():
    from app.sync import container as C

    sk = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    xk = x25519.X25519PrivateKey.from_private_bytes(bytes(range(33, 65)))
    kp = K.KeyPair(sk, xk, "2026-11-21T08:00:00+00:00")
    for value in (kp.sign_pub.hex(), kp.enc_pub.hex(), kp.keyid, kp.fingerprint):
        assert value in DOC
    assert fingerprint(kp.sign_pub, kp.enc_pub) == kp.fingerprint
    office = K.KeyPair(
        ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(101, 133))),
        x25519.X25519PrivateKey.from_private_bytes(bytes(range(133, 165))),
        "",
    )
    for value in (office.keyid, office.enc_pub.hex(), office.fingerprint):
        assert value in DOC
    doc_env = K.make_pubkey_doc(
        "a1b2c3d4e5f60718", kp, name="Nguyễn Thị Hằng", unit_code="00070", role="collaborator"
    )
    assert doc_env.payload.decode() in DOC and doc_env.signature.hex() in DOC
    section = {
        "entity": "enterprises",
        "columns": ["id", "fdi", "name", "owner_is_party_member", "status", "tax_code", "ward_code"],
        "rows": [
            [
                "019a8f3e7c2b7000a000000000000001",
                "5f0c1d2e3f404142434445464748494a",
                "001795249400000-00000-a1b2c3d4e5f60718",
                "Nguyễn Thị Hằng",
                "2026-11-21T08:20:00+00:00",
                "019a8f3e-7c2b-7000-a000-000000000001",
                0,
                "Công ty TNHH Hòa Bình",
                0,
                "active",
                "0100109106",
                "00070",
            ]
        ],
    }
    assert j(section).decode() in DOC.replace("\n ", "")
    payload = j(
        {
            "format": "khaosat-bundle",
            "version": 2,
            "from": "a1b2c3d4e5f60718",
            "to": "0f1e2d3c4b5a6978",
            "seq": 1,
            "prev": None,
            "created_at": "2026-11-21T08:30:00+00:00",
            "sender_key": base64.b64encode(doc_env.raw).decode(),
            "created": [section],
            "changes": [],
            "relayed": [],
            "vouched": [],
        }
    )
    assert f"payload is\n{len(payload):,} bytes" in DOC
    env = envelope("application/vnd.khaosat.bundle+json; version=1", kp.keyid, payload, sk)
    assert env[-64:].hex() in DOC
    assert hashlib.sha256(env).hexdigest() in DOC
    assert env == C.sign_envelope(C.TYPE_BUNDLE, payload, kp.keyid, sk).raw
    header = j(
        {"compression": "zlib", "recipient": office.keyid, "suite": "HPKE-X25519-SHA256-ChaCha20Poly1305"}
    )
    assert header.decode() in DOC and re.search(rf"{len(header)}-byte header", DOC)
    assert f"4b48414f5341541a 42 01 {len(header):08x}" in DOC


# --- an independent reader of receipts, and the rules of values and versions -----------------------------


def open_receipt(mini: MiniLaptop, data: bytes, office_ed_pub: bytes) -> dict:
    """A receipt read from the specification: framing, HPKE open, one envelope, signature, payload."""
    assert data[:10] == b"KHAOSAT\x1aR\x01"
    (hlen,) = struct.unpack(">I", data[10:14])
    prefix = data[: 14 + hlen]
    header = json.loads(data[14 : 14 + hlen])
    assert set(header) == {"compression", "recipient", "suite"} and header["recipient"] == mini.keyid
    (blen,) = struct.unpack(">Q", data[14 + hlen : 22 + hlen])
    body = data[22 + hlen :]
    assert len(body) == blen
    suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
    plain = suite.decrypt(body, mini.xk, info=b"khaosat-v1 " + prefix)
    if header["compression"] == "zlib":
        plain = zlib.decompress(plain)
    assert struct.unpack(">I", plain[:4])[0] == 1
    env = plain[4:]
    tlen = env[0]
    type_ = env[1 : 1 + tlen].decode()
    klen = env[1 + tlen]
    pos = 2 + tlen + klen
    (plen,) = struct.unpack(">I", env[pos : pos + 4])
    payload = env[pos + 4 : pos + 4 + plen]
    signature = env[pos + 4 + plen :]
    assert type_ == "application/vnd.khaosat.receipt+json; version=1" and len(signature) == 64
    ed25519.Ed25519PublicKey.from_public_bytes(office_ed_pub).verify(signature, pae(type_, payload))
    return json.loads(payload)


def test_an_independent_laptop_reads_its_receipt_and_meets_the_rules_and_the_versions(net):
    mini = MiniLaptop("ab12cd34ef56ab79", "Cộng tác viên Độc Lập", WARD)
    R.register(net.ward.store, K.read_pubkey_file(mini.pubkey_file()))
    office_id, office_keyid, office_x, office_ed = read_office_key(net.ward.pubkey(net.stick).read_bytes())
    rid = "019a8f3e-7c2b-7000-a000-0000000000cc"

    def section(tax: str, extra: dict) -> list:
        columns = ["id", "name", "tax_code", "ward_code", *extra]
        row = [
            "c-9",
            "t-9",
            mini.stamp(9),
            mini.name,
            "2026-11-21T09:00:00+00:00",
            rid,
            "Công ty TNHH Mới",
            tax,
            WARD,
            *extra.values(),
        ]
        return [{"entity": "enterprises", "columns": columns, "rows": [row]}]

    # a value the rules refuse: the whole bundle is refused, naming the record, the field and the rule
    bad = net.stick / "goi_mini_sai.khaosat"
    bad.write_bytes(mini.bundle(office_id, office_keyid, office_x, section("0100109107", {}), []))
    [r] = net.ward.import_(bad)
    assert r.error is not None and r.error.reason == "rule"
    assert rid in r.error.message and "Mã số thuế" in r.error.message and "chữ số kiểm tra" in r.error.message
    # the same record, right, with a column of a newer version: merged, the unknown column kept
    mini.seq, mini.prev = 0, None
    good = net.stick / "goi_mini_1.khaosat"
    good.write_bytes(
        mini.bundle(office_id, office_keyid, office_x, section("0100109106", {"zalo": "0912"}), [])
    )
    r = net.ward.import_ok(good)
    assert r.report.new == 1 and any("mới hơn" in w for w in r.warnings)
    receipt = open_receipt(mini, r.receipt.read_bytes(), office_ed)
    assert receipt["acks"] == [{"hash": mini.prev, "seq": 1}] and receipt["to"] == mini.id
    assert set(receipt) == {"acks", "created_at", "format", "from", "to", "version"}  # nothing more to say
