"""Bad downward bundles and receipts: each refused with its own reason and Vietnamese message, the
database byte-for-byte unchanged (issue 16: wrong direction, records outside the unit, a lower machine
posing as the office above, replays)."""

from __future__ import annotations

from app.domain.records import Enterprise
from app.sync import container as C
from app.sync import down_export as DX
from app.sync import keys as K
from app.sync import registry as R
from tests.sync.conftest import OTHER_WARD, Machine, db_fingerprint, enterprise
from tests.sync.test_corpus import refused
from tests.sync.test_down import down


def down_payload(sender: Machine, to: Machine, *, unit: str = "00070", seq: int = 1, **over) -> dict:
    p = {
        "format": "khaosat-down",
        "version": 1,
        "from": sender.id,
        "to": to.id,
        "unit_code": unit,
        "seq": seq,
        "prev": None,
        "base": 0,
        "created_at": "2026-11-21T08:00:00+00:00",
        "sender_key": K.b64(R.own_pubkey_doc(sender.store, sender.ident).raw),
        "created": [],
        "changes": [],
        "relayed": [],
        "offices": [],
    }
    p.update(over)
    return p


def sealed_down(
    sender: Machine, to: Machine, payload: dict, *, type_: str = C.TYPE_DOWN, kind=C.KIND_BUNDLE
) -> bytes:
    env = C.sign_envelope(type_, C.dumps(payload), sender.ident.current.keyid, sender.ident.current.sign)
    return C.seal(kind, to.ident.current.keyid, to.ident.current.enc_pub, [env])


def creation(m: Machine, e: Enterprise) -> dict:
    """The creation of ``e`` as made on ``m``, as a downward section."""
    c = [r for r in m.store.changes_since(0) if r["record_id"] == e.id and r["op"] == "create"][0]
    columns = ["id", *c["fields"]]
    row = [c["change_id"], c["txn"], c["hlc"], c["author"], c["wall_time"], e.id]
    row += [c["fields"][k][1] for k in columns[1:]]
    return {"entity": "enterprises", "origin": m.id, "columns": columns, "rows": [row]}


def test_a_good_handmade_downward_bundle_is_taken(net):
    e = enterprise(net.ward)
    path = net.stick / "ok.khaosat"
    path.write_bytes(
        sealed_down(net.ward, net.l1, down_payload(net.ward, net.l1, created=[creation(net.ward, e)]))
    )
    r = net.l1.import_ok(path)
    assert r.direction == "down" and r.report.new == 1


def test_records_outside_the_unit_are_refused_naming_them(net):
    e = enterprise(net.ward, "Công ty ngoài phường", "0100112437", ward_code=OTHER_WARD)
    data = sealed_down(net.ward, net.l1, down_payload(net.ward, net.l1, created=[creation(net.ward, e)]))
    err = refused(net, data, importer=net.l1)
    assert err.reason == "out_of_scope"
    assert e.id in err.message and "Phường Ba Đình" in err.message and "Hoàn Kiếm" in err.message


def test_a_machine_below_cannot_send_down(net):
    """A collaborator's laptop signing a downward bundle for its office: the wrong direction."""
    data = sealed_down(net.l1, net.ward, down_payload(net.l1, net.ward))
    err = refused(net, data)
    assert err.reason == "wrong_direction" and "không phải cơ quan cấp trên" in err.message


def test_an_office_cannot_send_up_to_its_laptop(net):
    """The ward office's upward bundle encrypted to a laptop: an office above does not send up."""
    from tests.sync.test_corpus import payload, sealed

    data = sealed(net.ward, net.l1, C.dumps(payload(net.ward, net.l1)))
    err = refused(net, data, importer=net.l1)
    assert err.reason == "wrong_direction" and "cơ quan cấp trên" in err.message


def test_a_downward_payload_signed_for_another_purpose(net):
    """Signed as an upward bundle or as a receipt, a downward payload is not taken (nor the reverse)."""
    p = down_payload(net.ward, net.l1)
    err = refused(net, sealed_down(net.ward, net.l1, p, type_=C.TYPE_BUNDLE), importer=net.l1)
    assert err.reason in ("bad_payload", "wrong_direction")
    err = refused(net, sealed_down(net.ward, net.l1, p, type_=C.TYPE_DOWN_RECEIPT), importer=net.l1)
    assert err.reason == "wrong_purpose" and "mục đích khác" in err.message
    from tests.sync.test_corpus import payload

    up = payload(net.l1, net.ward)
    err = refused(net, sealed_down(net.l1, net.ward, up, type_=C.TYPE_DOWN))
    assert err.reason == "bad_payload"


def test_a_lower_office_posing_as_the_one_above(net):
    """The ward office signs with its own key a bundle that names the province as its sender: refused;
    and the province's key in the ward's bundle does not make the ward's signature the province's."""
    from tests.sync.test_down import exchange_down

    exchange_down(net.ward, net.l1, net.stick)  # the laptop learns the offices above its own
    assert R.is_above(net.l1.store, net.province.id)
    forged = down_payload(net.ward, net.l1, **{"from": net.province.id})
    err = refused(net, sealed_down(net.ward, net.l1, forged), importer=net.l1)
    assert err.reason == "bad_payload"
    forged["sender_key"] = K.b64(R.own_pubkey_doc(net.province.store, net.province.ident).raw)
    err = refused(net, sealed_down(net.ward, net.l1, forged), importer=net.l1)
    assert err.reason == "bad_signature"
    # the province itself is above, but its downward bundles come through the ward office, not straight
    err = refused(
        net, sealed_down(net.province, net.l1, down_payload(net.province, net.l1, seq=1)), importer=net.l1
    )
    assert err.reason == "not_destination" and "qua cơ quan nhận gói" in err.message


def test_an_unknown_office(net, tmp_path):
    from app.domain.vocab import Role
    from tests.sync.conftest import make_machine

    stranger = make_machine(tmp_path, "Đảng ủy phường khác", "00070", Role.WARD_OFFICE)
    err = refused(net, sealed_down(stranger, net.l1, down_payload(stranger, net.l1)), importer=net.l1)
    assert err.reason == "unknown_sender" and stranger.ident.current.fingerprint in err.message
    stranger.store.close()


def test_wrong_unit_and_wrong_addressee(net):
    err = refused(
        net, sealed_down(net.ward, net.l1, down_payload(net.ward, net.l1, unit=OTHER_WARD)), importer=net.l1
    )
    assert err.reason == "wrong_unit" and "đăng ký lại" in err.message
    err = refused(net, sealed_down(net.ward, net.l1, down_payload(net.ward, net.l2)), importer=net.l1)
    assert err.reason == "not_addressed" and "không gửi cho máy này" in err.message


def test_a_bundle_for_another_laptop_says_this_machine_on_a_laptop(net):
    """The second laptop's downward bundle, opened on the first: "máy này", not "cơ quan này" (a laptop is
    no office); at an office the same refusal still says "cơ quan này"."""
    err = refused(net, sealed_down(net.ward, net.l2, down_payload(net.ward, net.l2)), importer=net.l1)
    assert err.reason == "not_addressed"
    assert "không gửi cho máy này" in err.message and "cơ quan này" not in err.message
    assert "cơ quan kiểm tra máy nhận" in err.message
    err = refused(
        net, sealed_down(net.province, net.l2, down_payload(net.province, net.l2)), importer=net.ward
    )
    assert err.reason == "not_addressed" and "không gửi cho cơ quan này" in err.message


def test_a_replayed_downward_bundle_changes_nothing_but_its_receipt(net):
    enterprise(net.ward)
    path = down(net.ward, net.l1, net.stick)
    first = net.l1.import_ok(path)
    first.receipt.unlink()
    before = db_fingerprint(net.l1.store)
    again = net.l1.import_ok(path)
    assert again.outcome == "already" and again.receipt is not None
    assert db_fingerprint(net.l1.store) == before


def test_malformed_downward_payloads(net):
    for over in (
        {"seq": 0},
        {"base": 1},  # a bundle cannot build on itself
        {"prev": "ab"},
        {"created": [{"entity": "enterprises", "columns": ["id"], "rows": []}]},  # no origin
        {"created": [{"entity": "nonsense", "origin": "x", "columns": ["id"], "rows": []}]},
        {"changes": [["a"] * 9]},
        {"offices": [{"doc": "AA=="}]},
        {"extra": 1},
    ):
        err = refused(
            net, sealed_down(net.ward, net.l1, down_payload(net.ward, net.l1, **over)), importer=net.l1
        )
        assert err.reason in ("bad_payload", "damaged"), (over, err.reason, err.message)


def test_a_downward_receipt_from_the_office_above_is_refused(net):
    """A receipt of downward bundles comes from below: one signed by this machine's own office is not."""
    enterprise(net.ward)
    r = net.l1.import_ok(down(net.ward, net.l1, net.stick))
    # the province gets a receipt for downward bundles signed by the ward office (above nothing of it)
    p = {
        "format": "khaosat-down-receipt",
        "version": 1,
        "from": net.province.id,
        "to": net.ward.id,
        "acks": [{"seq": 1, "hash": "0" * 64}],
        "held": 1,
        "created_at": "2026-11-21T08:00:00+00:00",
    }
    data = sealed_down(net.province, net.ward, p, type_=C.TYPE_DOWN_RECEIPT, kind=C.KIND_RECEIPT)
    err = refused(net, data, name="bad.khaosat-receipt")
    assert err.reason == "wrong_direction"
    assert r.receipt is not None


def test_every_downward_reason_has_its_own_message(net):
    """Reasons seen above, each with a different Vietnamese text (not one generic refusal)."""
    e = enterprise(net.ward, "Công ty ngoài phường", "0100112437", ward_code=OTHER_WARD)
    cases = {
        "out_of_scope": sealed_down(
            net.ward, net.l1, down_payload(net.ward, net.l1, created=[creation(net.ward, e)])
        ),
        "wrong_unit": sealed_down(net.ward, net.l1, down_payload(net.ward, net.l1, unit=OTHER_WARD)),
        "not_addressed": sealed_down(net.ward, net.l1, down_payload(net.ward, net.l2)),
        "wrong_purpose": sealed_down(
            net.ward, net.l1, down_payload(net.ward, net.l1), type_=C.TYPE_DOWN_RECEIPT
        ),
    }
    messages = {}
    for reason, data in cases.items():
        err = refused(net, data, importer=net.l1)
        assert err.reason == reason
        messages[reason] = err.message.split(":")[0]
    assert len(set(messages.values())) == len(messages)
    assert DX.held(net.ward.store, net.l1.id) == 0
