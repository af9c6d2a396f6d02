"""A corpus of bad bundles: each refused with its own reason, the database byte-for-byte unchanged."""

from __future__ import annotations

import os
import random
import struct

import pytest

from app.domain.vocab import Role
from app.sync import bundles as B
from app.sync import container as C
from app.sync import keys as K
from app.sync import registry as R
from app.sync.errors import SyncError
from tests.sync.conftest import OTHER_WARD, Machine, db_fingerprint, edit, enterprise, make_machine


def payload(
    m: Machine, to: Machine, *, seq: int = 1, changes: list | None = None, created: list | None = None, **over
) -> dict:
    p = {
        "format": "khaosat-bundle",
        "version": 2,
        "from": m.id,
        "to": to.id,
        "seq": seq,
        "prev": None,
        "created_at": "2026-11-21T08:00:00+00:00",
        "sender_key": K.b64(R.own_pubkey_doc(m.store, m.ident).raw),
        "created": created if created is not None else [],
        "changes": changes if changes is not None else [],
        "relayed": [],
        "vouched": [],
    }
    p.update(over)
    return p


def sealed(
    m: Machine, to: Machine, body: bytes, *, type_: str = C.TYPE_BUNDLE, kind: bytes = C.KIND_BUNDLE
) -> bytes:
    env = C.sign_envelope(type_, body, m.ident.current.keyid, m.ident.current.sign)
    return C.seal(kind, to.ident.current.keyid, to.ident.current.enc_pub, [env])


def created_section(
    m: Machine, *, meta: dict[int, object] | None = None, entity: str | None = None, **values
) -> dict:
    """The creation of an enterprise on ``m``, as a payload section; ``values`` replace column values,
    ``meta`` the items before them (0 change_id, 1 txn, 2 hlc, 3 author, 4 wall_time)."""
    e = enterprise(m, name="Công ty TNHH Thử Nghiệm", tax_code="0100109113")
    c = [r for r in m.store.changes_since(0) if r["record_id"] == e.id][0]
    columns = ["id", *c["fields"], *[k for k in values if k not in c["fields"]]]
    row = [c["change_id"], c["txn"], c["hlc"], c["author"], c["wall_time"], e.id]
    row += [values.get(k, c["fields"].get(k, [None, None])[1]) for k in columns[1:]]
    for i, v in (meta or {}).items():
        row[i] = v
    return {"entity": entity or "enterprises", "columns": columns, "rows": [row]}


def change_row(m: Machine, **over) -> list:
    """An edit made on ``m``, as a payload change (9 items); ``_N=value`` replaces item N."""
    e = enterprise(m, name="Công ty TNHH Sửa Đổi", tax_code="0100109106")
    edit(m, e, workforce_total=42)
    c = [r for r in m.store.changes_since(0) if r["record_id"] == e.id and r["op"] == "update"][0]
    row = [
        c["change_id"],
        c["txn"],
        c["hlc"],
        c["author"],
        c["wall_time"],
        c["entity"],
        c["record_id"],
        c["op"],
        c["fields"],
    ]
    for k, v in over.items():
        row[int(k[1:])] = v
    return row


def refused(net, data: bytes, name: str = "bad.khaosat", importer: Machine | None = None) -> SyncError:
    office = importer or net.ward
    path = net.stick / name
    path.write_bytes(data)
    before = db_fingerprint(office.store)
    [r] = office.import_(path)
    assert r.error is not None, f"accepted: {r.summary()}"
    assert db_fingerprint(office.store) == before
    assert r.error.message and any(ch in r.error.message for ch in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệ")
    return r.error


@pytest.fixture
def good(net):
    """A valid bundle from laptop 1 to the ward office, and the office having imported nothing."""
    enterprise(net.l1)
    return net.l1.export(net.stick).read_bytes()


def test_the_good_bundle_is_accepted(net, good):
    path = net.stick / "ok.khaosat"
    path.write_bytes(good)
    net.ward.import_ok(path)


def test_empty_and_garbage(net):
    assert refused(net, b"").reason == "empty"
    assert refused(net, random.Random(1).randbytes(5000)).reason == "not_khaosat"
    assert refused(net, b"PK\x03\x04" + b"\x00" * 200).reason == "not_khaosat"  # a ZIP is not a bundle
    assert refused(net, b"SQLite format 3\x00" + b"\x00" * 200).reason == "not_khaosat"


def test_truncated_at_many_offsets(net, good):
    offsets = sorted(
        {
            1,
            4,
            7,
            8,
            9,
            13,
            14,
            20,
            40,
            60,
            80,
            100,
            150,
            len(good) // 3,
            len(good) // 2,
            len(good) - 17,
            len(good) - 1,
        }
    )
    for n in offsets:
        assert refused(net, good[:n]).reason == "truncated", n


def _parts(good: bytes) -> dict[str, range]:
    header_len = struct.unpack_from(">I", good, 10)[0]
    body = 14 + header_len + 8
    return {
        "magic": range(8),
        "kind": range(8, 9),
        "version": range(9, 10),
        "header_len": range(10, 14),
        "header": range(14, 14 + header_len),
        "body_len": range(14 + header_len, body),
        "kem_share": range(body, body + 32),
        "ciphertext": range(body + 32, len(good) - 16),
        "tag": range(len(good) - 16, len(good)),
    }


ALLOWED = {
    "magic": {"not_khaosat"},
    "kind": {"damaged", "wrong_kind", "tampered"},
    "version": {"newer_format", "damaged"},
    "header_len": {"damaged", "truncated", "bad_json"},
    "header": {"bad_json", "damaged", "not_addressed", "newer_format", "tampered"},
    "body_len": {"truncated", "damaged", "too_large"},
    "kem_share": {"tampered"},
    "ciphertext": {"tampered"},
    "tag": {"tampered"},
}


def test_bit_flips_in_each_part(net, good):
    rng = random.Random(4)
    for part, span in _parts(good).items():
        positions = sorted({span.start, span.stop - 1, *(rng.choice(span) for _ in range(3))})
        for pos in positions:
            for bit in (0, 7):
                bad = bytearray(good)
                bad[pos] ^= 1 << bit
                err = refused(net, bytes(bad))
                assert err.reason in ALLOWED[part], (part, pos, bit, err.reason, err.message)


def test_wrong_recipient(net):
    enterprise(net.l1)
    # the laptop's signed bundle, encrypted to the province instead of its ward office
    data = sealed(net.l1, net.province, C.dumps(payload(net.l1, net.ward)))
    err = refused(net, data)
    assert err.reason == "not_addressed" and "không gửi cho cơ quan này" in err.message


def test_payload_of_one_bundle_resealed_for_another_office(net):
    """Someone with the province's public key re-seals a ward bundle to the province: refused."""
    enterprise(net.l1)
    R.register(net.province.store, K.read_pubkey_file(net.l1.pubkey(net.stick).read_bytes()))
    data = sealed(net.l1, net.province, C.dumps(payload(net.l1, net.ward, changes=[])))
    err = refused(net, data, importer=net.province)
    assert err.reason == "not_addressed"


def test_payload_under_another_header(net, good):
    """The encrypted body of one file under a different (valid) header: the HPKE info no longer matches."""
    fr = C.parse_frame(good)
    other = C.frame(C.KIND_BUNDLE, {**fr.header, "compression": "none"}, fr.body)
    assert refused(net, other).reason == "tampered"
    as_receipt = C.frame(C.KIND_RECEIPT, fr.header, fr.body)
    assert refused(net, as_receipt).reason == "tampered"


def test_unknown_key_names_the_laptop_and_its_fingerprint(net, tmp_path):
    stranger = make_machine(tmp_path, "Máy Lạ", "00070", Role.COLLABORATOR)
    R.register(stranger.store, K.read_pubkey_file(net.ward.pubkey(net.stick).read_bytes()), destination=True)
    enterprise(stranger)
    data = stranger.export(net.stick).read_bytes()
    err = refused(net, data)
    assert err.reason == "unknown_sender"
    assert stranger.ident.current.fingerprint in err.message and stranger.id in err.message
    stranger.store.close()


def test_revoked_key(net):
    R.revoke(net.ward.store, net.l1.id, after_seq=0)
    enterprise(net.l1)
    assert refused(net, net.l1.export(net.stick).read_bytes()).reason == "revoked"


def test_signature_reused_under_another_purpose(net):
    # the laptop's public-key signature (purpose: public key) inside a bundle
    doc = R.own_pubkey_doc(net.l1.store, net.l1.ident)
    data = C.seal(C.KIND_BUNDLE, net.ward.ident.current.keyid, net.ward.ident.current.enc_pub, [doc])
    assert refused(net, data).reason == "wrong_purpose"
    # a bundle signature relabelled as another purpose no longer verifies
    env = C.sign_envelope(
        C.TYPE_BUNDLE,
        C.dumps(payload(net.l1, net.ward)),
        net.l1.ident.current.keyid,
        net.l1.ident.current.sign,
    )
    relabelled = C.Envelope(C.TYPE_RECEIPT, env.keyid, env.payload, env.signature, b"")
    assert not relabelled.verify(net.l1.ident.current.sign_pub)
    # a receipt that carries a bundle-purpose signature
    fake = C.seal(
        C.KIND_RECEIPT,
        net.l1.ident.current.keyid,
        net.l1.ident.current.enc_pub,
        [C.sign_envelope(C.TYPE_BUNDLE, b"{}", net.ward.ident.current.keyid, net.ward.ident.current.sign)],
    )
    assert refused(net, fake, importer=net.l1).reason == "wrong_purpose"


def test_tampered_signature_and_impersonation(net):
    good_env = C.sign_envelope(
        C.TYPE_BUNDLE,
        C.dumps(payload(net.l1, net.ward)),
        net.l1.ident.current.keyid,
        net.l1.ident.current.sign,
    )
    altered = C.dumps(payload(net.l1, net.ward, seq=2))
    forged = C.sign_envelope(C.TYPE_BUNDLE, altered, net.l1.ident.current.keyid, net.l1.ident.current.sign)
    swapped = C.Envelope(
        C.TYPE_BUNDLE, forged.keyid, altered, good_env.signature, forged.raw[:-64] + good_env.signature
    )
    data = C.seal(C.KIND_BUNDLE, net.ward.ident.current.keyid, net.ward.ident.current.enc_pub, [swapped])
    assert refused(net, data).reason == "bad_signature"
    # laptop 2 signs a bundle that claims to come from laptop 1
    data = sealed(net.l2, net.ward, C.dumps(payload(net.l1, net.ward)))
    assert refused(net, data).reason == "bad_signature"


def test_changes_of_another_machine_are_refused(net):
    row = change_row(net.l2)
    data = sealed(net.l1, net.ward, C.dumps(payload(net.l1, net.ward, changes=[row])))
    assert refused(net, data).reason == "bad_origin"
    sec = created_section(net.l2)
    data = sealed(net.l1, net.ward, C.dumps(payload(net.l1, net.ward, created=[sec])))
    err = refused(net, data)
    assert err.reason == "bad_origin" and "máy khác" in err.message


def test_duplicate_json_keys(net):
    body = C.dumps(payload(net.l1, net.ward))
    body = body.replace(b'"seq":1', b'"seq":1,"seq":2')
    err = refused(net, sealed(net.l1, net.ward, body))
    assert err.reason == "duplicate_key" and "seq" in err.message


def test_newer_format(net, good):
    bad = bytearray(good)
    bad[9] = 2
    err = refused(net, bytes(bad))
    assert err.reason == "newer_format" and "mới hơn" in err.message
    err = refused(net, sealed(net.l1, net.ward, C.dumps(payload(net.l1, net.ward, version=4))))
    assert err.reason == "newer_format"
    err = refused(net, sealed(net.l1, net.ward, C.dumps(payload(net.l1, net.ward, version=1))))
    assert err.reason == "older_format" and "xuất lại" in err.message


def test_wrong_types(net):
    for over in (
        {"seq": "1"},
        {"seq": True},
        {"changes": {}},
        {"created": {}},
        {"created": [{"entity": "x"}]},
        {"from": None},
        {"prev": "abc"},
        {"extra": 1},
    ):
        err = refused(net, sealed(net.l1, net.ward, C.dumps(payload(net.l1, net.ward, **over))))
        assert err.reason == "bad_payload", over
    # edits: a float, a boolean, an unknown column, entity or operation, a bad stamp, a creation among edits
    for over in (
        {"_8": {"name": ["a", 1.5]}},
        {"_8": {"name": ["a", True]}},
        {"_8": {"No pe": [None, 1]}},  # (a well-formed unknown column is a newer version's: kept)
        {"_5": "Users!"},  # (a well-named unknown entity is a newer version's: refused as such, below)
        {"_7": "drop"},
        {"_2": "yesterday"},
        {"_7": "create"},
        {"_8": []},
    ):
        row = change_row(net.l1, **over)
        err = refused(net, sealed(net.l1, net.ward, C.dumps(payload(net.l1, net.ward, changes=[row]))))
        assert err.reason == "bad_payload", over
    row = change_row(net.l1, _5="users")
    err = refused(net, sealed(net.l1, net.ward, C.dumps(payload(net.l1, net.ward, changes=[row]))))
    assert err.reason == "newer_format" and "users" in err.message  # docs/sync-bundle.md, "Versions"
    # creations: each bad value kind, unknown or repeated columns, bad identifiers and stamps, wrong row length
    cases = [
        dict(name=1.5),
        dict(name=True),
        dict(name=[1]),
        dict(name={"a": 1}),
        dict(fdi=1.0),
        dict(meta={2: "yesterday"}),
        dict(meta={0: ""}),
        dict(meta={5: 7}),
        dict(meta={1: None}),
        dict(meta={3: "x" * 201}),
        dict(entity="Users!"),
    ]
    for case in cases:
        sec = created_section(net.l1, **case)
        err = refused(net, sealed(net.l1, net.ward, C.dumps(payload(net.l1, net.ward, created=[sec]))))
        assert err.reason == "bad_payload", case
    # a well-named entity this version does not know comes from a newer version (docs/sync-bundle.md)
    sec = created_section(net.l1, entity="users")
    err = refused(net, sealed(net.l1, net.ward, C.dumps(payload(net.l1, net.ward, created=[sec]))))
    assert err.reason == "newer_format" and "users" in err.message
    # beyond 64 bits (out of any bounds), a required value missing: the domain rules name them
    for case in (dict(year_founded=-(2**70)), dict(workforce_total=2**64), dict(name=None)):
        sec = created_section(net.l1, **case)
        err = refused(net, sealed(net.l1, net.ward, C.dumps(payload(net.l1, net.ward, created=[sec]))))
        assert err.reason == "rule", case
    sec = created_section(net.l1)
    for bad in (
        {**sec, "columns": ["name", *sec["columns"][1:]]},
        {**sec, "columns": [*sec["columns"], "nope"]},
        {**sec, "columns": [*sec["columns"], "name"]},
        {**sec, "rows": [sec["rows"][0][:-1]]},
        {**sec, "rows": "x"},
        {**sec, "more": 1},
    ):
        err = refused(net, sealed(net.l1, net.ward, C.dumps(payload(net.l1, net.ward, created=[bad]))))
        assert err.reason == "bad_payload", bad


def test_replay_writes_the_receipt_again_and_changes_nothing_else(net, good):
    path = net.stick / "ok.khaosat"
    path.write_bytes(good)
    net.ward.import_ok(path)
    for f in net.stick.glob("*.khaosat-receipt"):
        f.unlink()  # the stick was full: the receipt was lost
    copy = net.stick / "copy.khaosat"
    copy.write_bytes(good)
    before = db_fingerprint(net.ward.store)
    [r] = net.ward.import_(copy)
    assert r.outcome == "already" and r.error is None and "đã được nhập trước đây" in r.summary()
    assert db_fingerprint(net.ward.store) == before
    assert r.receipt is not None and r.receipt.exists()
    [ack] = net.l1.import_(r.receipt)
    assert ack.outcome == "receipt" and ack.report.applied == 1


def test_out_of_scope_change(net):
    enterprise(net.l1, ward_code=OTHER_WARD)
    err = refused(net, net.l1.export(net.stick).read_bytes())
    assert err.reason == "out_of_scope" and "Ba Đình" in err.message


def test_moving_a_record_out_of_scope_is_refused(net):
    e = enterprise(net.l1)
    net.ward.import_ok(net.l1.export(net.stick))
    edit(net.l1, e, ward_code=OTHER_WARD)
    assert refused(net, net.l1.export(net.stick).read_bytes()).reason == "out_of_scope"


def test_huge_strings_and_counts(net, monkeypatch):
    row = change_row(net.l1, _8={"name": ["a", "A" * 30_000]})
    err = refused(net, sealed(net.l1, net.ward, C.dumps(payload(net.l1, net.ward, changes=[row]))))
    assert err.reason == "oversized_value"
    sec = created_section(net.l1, address="A" * 30_000)
    err = refused(net, sealed(net.l1, net.ward, C.dumps(payload(net.l1, net.ward, created=[sec]))))
    assert err.reason == "oversized_value" and "address" in err.message
    err = refused(net, sealed(net.l1, net.ward, C.dumps(payload(net.l1, net.ward, changes=[0] * 2_000_001))))
    assert err.reason == "too_many"
    # a zlib bomb: declared small, inflates past the cap
    fr_header = {"compression": "zlib", "recipient": net.ward.ident.current.keyid, "suite": C.SUITE}
    import zlib

    from cryptography.hazmat.primitives.asymmetric import x25519

    monkeypatch.setattr(C, "MAX_PLAINTEXT", 4 << 20)  # the mechanism, at a size a test can afford
    bomb = zlib.compress(b"\x00" * (C.MAX_PLAINTEXT + 1024), 9)
    prefix = C._prefix(C.KIND_BUNDLE, fr_header)
    body = C._suite().encrypt(
        bomb,
        x25519.X25519PublicKey.from_public_bytes(net.ward.ident.current.enc_pub),
        info=C.INFO_PREFIX + prefix,
    )
    assert refused(net, prefix + struct.pack(">Q", len(body)) + body).reason == "too_large"


def test_every_reason_has_its_own_message(net, good):
    messages = {}
    cases = {
        "empty": b"",
        "not_khaosat": os.urandom(100),
        "truncated": good[: len(good) // 2],
        "tampered": good[:-1] + bytes([good[-1] ^ 1]),
        "not_addressed": sealed(net.l1, net.province, C.dumps(payload(net.l1, net.ward))),
        "duplicate_key": sealed(
            net.l1, net.ward, C.dumps(payload(net.l1, net.ward)).replace(b'"seq":1', b'"seq":1,"seq":1')
        ),
        "wrong_purpose": C.seal(
            C.KIND_BUNDLE,
            net.ward.ident.current.keyid,
            net.ward.ident.current.enc_pub,
            [R.own_pubkey_doc(net.l1.store, net.l1.ident)],
        ),
        "bad_signature": sealed(net.l2, net.ward, C.dumps(payload(net.l1, net.ward))),
        "bad_text": sealed(
            net.l1,
            net.ward,
            ascii_json(payload(net.l1, net.ward, created=[created_section(net.l1, name="\ud800")])),
        ),
        "rule": sealed(
            net.l1,
            net.ward,
            C.dumps(payload(net.l1, net.ward, created=[created_section(net.l1, tax_code="ABC")])),
        ),
        "bad_json": sealed(net.l1, net.ward, C.dumps(payload(net.l1, net.ward))[:-1]),
    }
    for reason, data in cases.items():
        err = refused(net, data, name=f"{reason}.khaosat")
        assert err.reason == reason
        messages[reason] = err.message
    assert len(set(messages.values())) == len(messages)


def test_the_same_envelope_relayed_twice_in_one_file_is_refused(net):
    enterprise(net.l1)
    net.ward.import_ok(net.l1.export(net.stick))
    [env] = B.stored_envelopes(net.ward.store, [1])
    body = C.dumps(payload(net.ward, net.province, relayed=[env.hash, env.hash]))
    outer = C.sign_envelope(C.TYPE_BUNDLE, body, net.ward.ident.current.keyid, net.ward.ident.current.sign)
    data = C.seal(
        C.KIND_BUNDLE, net.province.ident.current.keyid, net.province.ident.current.enc_pub, [outer, env, env]
    )
    err = refused(net, data, importer=net.province)
    assert err.reason == "bad_payload" and "lặp lại" in err.message


def test_a_collaborator_cannot_relay_or_vouch(net):
    other = K.b64(R.own_pubkey_doc(net.l2.store, net.l2.ident).raw)
    vouch = [
        {
            "doc": other,
            "unit_code": "00070",
            "role": "collaborator",
            "status": "active",
            "revoked_after_seq": None,
        }
    ]
    err = refused(net, sealed(net.l1, net.ward, C.dumps(payload(net.l1, net.ward, vouched=vouch))))
    assert err.reason == "bad_payload" and "cộng tác viên" in err.message


# --- text that is not text ----------------------------------------------------------------------------


def ascii_json(value) -> bytes:
    """JSON with every non-ASCII character escaped: the only way to write a lone surrogate."""
    import json

    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), sort_keys=True).encode()


@pytest.mark.parametrize("char", ["\ud800", "\udc80"])
def test_lone_surrogates_are_refused_naming_the_record_and_field(net, char):
    sec = created_section(net.l1, name=f"Công ty {char} TNHH")
    rid = sec["rows"][0][5]
    err = refused(net, sealed(net.l1, net.ward, ascii_json(payload(net.l1, net.ward, created=[sec]))))
    assert err.reason == "bad_text" and rid in err.message and "Tên doanh nghiệp" in err.message
    assert f"\\u{ord(char):04x}" in err.message and char not in err.message
    # in an update's new value, its author, and a field name
    row = change_row(net.l1, _8={"note": [None, f"ghi {char}"]})
    err = refused(net, sealed(net.l1, net.ward, ascii_json(payload(net.l1, net.ward, changes=[row]))))
    assert err.reason == "bad_text" and row[6] in err.message and "Ghi chú" in err.message
    row = change_row(net.l1, _3=f"Nguyễn {char}")
    err = refused(net, sealed(net.l1, net.ward, ascii_json(payload(net.l1, net.ward, changes=[row]))))
    assert err.reason == "bad_text" and "người nhập" in err.message
    row = change_row(net.l1, _8={f"note{char}": [None, "x"]})
    err = refused(net, sealed(net.l1, net.ward, ascii_json(payload(net.l1, net.ward, changes=[row]))))
    assert err.reason == "bad_text" and "tên một trường" in err.message
    sec = created_section(net.l1)
    sec["columns"][-1] += char
    err = refused(net, sealed(net.l1, net.ward, ascii_json(payload(net.l1, net.ward, created=[sec]))))
    assert err.reason == "bad_text" and "tên cột" in err.message


def test_a_valid_surrogate_pair_is_a_character(net):
    """An emoji written as an escaped pair (as ensure_ascii writers do) is one ordinary character."""
    sec = created_section(net.l1, note="Đã gặp 😀")
    path = net.stick / "pair.khaosat"
    path.write_bytes(sealed(net.l1, net.ward, ascii_json(payload(net.l1, net.ward, created=[sec]))))
    net.ward.import_ok(path)
    assert net.ward.store.row("enterprises", sec["rows"][0][5])["note"] == "Đã gặp 😀"


def test_no_refusal_carries_the_parsers_english(net):
    good_body = C.dumps(payload(net.l1, net.ward))
    for body in (
        good_body[:-1],  # cut short
        good_body.replace(b'"seq":1', b'"seq":1,'),  # a stray comma
        b"[" * 50_000 + b"]" * 50_000,  # nested past the parser's recursion limit
        good_body.replace(b'"seq":1', b'"seq":' + b"9" * 5000),  # an integer of 5,000 digits
        b"\xff" + good_body,
    ):
        err = refused(net, sealed(net.l1, net.ward, body))
        assert err.reason == "bad_json", err.message
        for english in (
            "Expecting",
            "delimiter",
            "recursion",
            "line ",
            "column",
            "Exceeds",
            "codec",
            "byte 0x",
        ):
            assert english not in err.message, err.message
