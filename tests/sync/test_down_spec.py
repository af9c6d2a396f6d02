"""Downward bundles from the specification alone (docs/sync-bundle.md, section 10).

An independent office, written with the standard library and ``cryptography`` only (the helpers of
``test_spec_writer.py``), sends a downward bundle that the program's laptop takes; an independent laptop
reads the program office's downward bundle, checks its purpose, signature and members, and answers with a
downward receipt that the office takes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import zlib

from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import ed25519

from app.domain.records import Enterprise
from app.sync import down_export as DX
from app.sync import keys as K
from app.sync import registry as R
from tests.sync.conftest import WARD, enterprise
from tests.sync.test_spec_writer import MiniLaptop, envelope, file_bytes, j, pae, read_office_key

DOWN = "application/vnd.khaosat.down+json; version=1"
DOWN_RECEIPT = "application/vnd.khaosat.down-receipt+json; version=1"
BUNDLE = "application/vnd.khaosat.bundle+json; version=1"
SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)


class MiniOffice(MiniLaptop):
    """A ward office from the specification: its public key says ``ward_office``."""

    def pubkey_envelope(self) -> bytes:
        body = j(
            {
                "created_at": "2026-11-21T08:00:00+00:00",
                "enc_pub": base64.b64encode(self.x_pub).decode(),
                "format": "khaosat-pubkey",
                "laptop_id": self.id,
                "name": self.name,
                "previous": None,
                "role": "ward_office",
                "sign_pub": base64.b64encode(self.ed_pub).decode(),
                "unit_code": self.unit,
                "version": 1,
            }
        )
        return envelope("application/vnd.khaosat.pubkey+json; version=1", self.keyid, body, self.sk)

    def down_payload(self, to_id: str, created: list) -> bytes:
        self.seq += 1
        return j(
            {
                "format": "khaosat-down",
                "version": 1,
                "from": self.id,
                "to": to_id,
                "unit_code": self.unit,
                "seq": self.seq,
                "prev": self.prev,
                "base": 0,
                "created_at": "2026-11-21T09:00:00+00:00",
                "sender_key": base64.b64encode(self.pubkey_envelope()).decode(),
                "created": created,
                "changes": [],
                "relayed": [],
                "offices": [],
            }
        )

    def down(self, to_id: str, to_keyid: str, to_x_pub: bytes, created: list) -> bytes:
        env = envelope(DOWN, self.keyid, self.down_payload(to_id, created), self.sk)
        self.prev = hashlib.sha256(env).hexdigest()
        return sealed(b"B", to_keyid, to_x_pub, [env])


def sealed(kind: bytes, keyid: str, x_pub: bytes, envelopes: list[bytes]) -> bytes:
    from cryptography.hazmat.primitives.asymmetric import x25519

    header = j({"compression": "zlib", "recipient": keyid, "suite": "HPKE-X25519-SHA256-ChaCha20Poly1305"})
    prefix = b"KHAOSAT\x1a" + kind + b"\x01" + struct.pack(">I", len(header)) + header
    plain = zlib.compress(struct.pack(">I", len(envelopes)) + b"".join(envelopes))
    body = SUITE.encrypt(plain, x25519.X25519PublicKey.from_public_bytes(x_pub), info=b"khaosat-v1 " + prefix)
    return prefix + struct.pack(">Q", len(body)) + body


def opened(mini: MiniLaptop, data: bytes) -> list[tuple[str, str, bytes, bytes, bytes]]:
    """A sealed file read from the specification: [(type, key id, payload, signature, envelope bytes)]."""
    (hlen,) = struct.unpack(">I", data[10:14])
    prefix = data[: 14 + hlen]
    header = json.loads(data[14 : 14 + hlen])
    assert header["recipient"] == mini.keyid
    plain = SUITE.decrypt(data[22 + hlen :], mini.xk, info=b"khaosat-v1 " + prefix)
    if header["compression"] == "zlib":
        plain = zlib.decompress(plain)
    (count,) = struct.unpack(">I", plain[:4])
    out, pos = [], 4
    for _ in range(count):
        start = pos
        tlen = plain[pos]
        type_ = plain[pos + 1 : pos + 1 + tlen].decode()
        pos += 1 + tlen
        klen = plain[pos]
        keyid = plain[pos + 1 : pos + 1 + klen].decode()
        pos += 1 + klen
        (plen,) = struct.unpack(">I", plain[pos : pos + 4])
        payload = plain[pos + 4 : pos + 4 + plen]
        signature = plain[pos + 4 + plen : pos + 4 + plen + 64]
        pos += 4 + plen + 64
        out.append((type_, keyid, payload, signature, plain[start:pos]))
    assert pos == len(plain)
    return out


def test_an_independent_office_sends_down_to_the_program(net):
    office = MiniOffice("cd12ab34ef56ab70", "Đảng ủy phường Độc Lập", WARD)
    doc = K.read_pubkey_file(file_bytes(b"K", {"encrypted": False}, office.pubkey_envelope()))
    assert doc.role == "ward_office"
    R.register(net.l1.store, doc, destination=True)
    laptop_id, laptop_keyid, laptop_x, _ = read_office_key(net.l1.pubkey(net.stick).read_bytes())
    rid = "019a8f3e-7c2b-7000-a000-0000000000dd"
    created = [
        {
            "entity": "enterprises",
            "origin": office.id,
            "columns": ["id", "name", "tax_code", "ward_code"],
            "rows": [
                ["d-1", "t-1", office.stamp(1), office.name, "2026-11-21T09:00:00+00:00", rid,
                 "Công ty TNHH Xuống", "0100109106", WARD]
            ],
        }
    ]  # fmt: skip
    path = net.stick / "xuong_mini_1.khaosat"
    path.write_bytes(office.down(laptop_id, laptop_keyid, laptop_x, created))
    r = net.l1.import_ok(path)
    assert r.direction == "down" and r.report.new == 1
    assert net.l1.store.get(Enterprise, rid).name == "Công ty TNHH Xuống"
    # the same kind of payload signed with the upward purpose is refused: the purpose decides, not the payload
    wrong = envelope(BUNDLE, office.keyid, office.down_payload(laptop_id, created), office.sk)
    bad = net.stick / "xuong_mini_sai.khaosat"
    bad.write_bytes(sealed(b"B", laptop_keyid, laptop_x, [wrong]))
    before = net.l1.store.get(Enterprise, rid)
    [res] = net.l1.import_(bad)
    assert res.error is not None and net.l1.store.get(Enterprise, rid) == before


def test_an_independent_laptop_reads_the_office_down_bundle_and_answers(net):
    mini = MiniLaptop("ab12cd34ef56ab7a", "Cộng tác viên Độc Lập", WARD)
    R.register(net.ward.store, K.read_pubkey_file(mini.pubkey_file()))
    office_id, office_keyid, office_x, office_ed = read_office_key(net.ward.pubkey(net.stick).read_bytes())
    e = enterprise(net.ward)
    [res] = DX.export_down(net.ward.store, net.ward.ident, net.stick, machine=mini.id)
    data = res.path.read_bytes()
    assert data[:10] == b"KHAOSAT\x1aB\x01"
    [(type_, keyid, payload, signature, raw)] = opened(mini, data)
    assert type_ == DOWN and keyid == office_keyid
    ed25519.Ed25519PublicKey.from_public_bytes(office_ed).verify(signature, pae(type_, payload))
    p = json.loads(payload)
    assert set(p) == {
        "format", "version", "from", "to", "unit_code", "seq", "prev", "base", "created_at", "sender_key",
        "created", "changes", "relayed", "offices",
    }  # fmt: skip
    assert (p["format"], p["version"], p["from"], p["to"], p["unit_code"]) == (
        "khaosat-down",
        1,
        office_id,
        mini.id,
        WARD,
    )
    assert (p["seq"], p["prev"], p["base"]) == (1, None, 0)
    [sec] = [s for s in p["created"] if s["entity"] == "enterprises"]
    assert sec["origin"] == net.ward.id and sec["columns"][0] == "id"
    row = sec["rows"][0]
    assert row[2].endswith(sec["origin"]) and row[5] == e.id  # the stamp ends with its machine
    assert dict(zip(sec["columns"], row[5:]))["name"] == e.name
    # the receipt, from the specification: the office takes it and knows what the laptop holds
    h = hashlib.sha256(raw).hexdigest()
    receipt = j(
        {
            "acks": [{"hash": h, "seq": 1}],
            "created_at": "2026-11-21T10:00:00+00:00",
            "format": "khaosat-down-receipt",
            "from": mini.id,
            "held": 1,
            "to": office_id,
            "version": 1,
        }
    )
    path = net.stick / "bien-nhan-xuong_mini.khaosat-receipt"
    path.write_bytes(
        sealed(b"R", office_keyid, office_x, [envelope(DOWN_RECEIPT, mini.keyid, receipt, mini.sk)])
    )
    r = net.ward.import_ok(path)
    assert r.direction == "down" and r.report.applied == 1
    assert DX.held(net.ward.store, mini.id) == 1
    [pv] = DX.preview_down(net.ward.store, mini.id)
    assert pv.changes == 0 and pv.next_seq == 2
