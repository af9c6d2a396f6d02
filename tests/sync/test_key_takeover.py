"""A key file must not take over a laptop: a new key without a valid endorsement never replaces a
registered key; «Thay khóa bị mất» is a separate, explicit action that is logged and seen upward."""

from __future__ import annotations

import pytest

from app.sync import keys as K
from app.sync import registry as R
from app.sync.errors import SyncError
from tests.conftest import run_cli
from tests.sync.conftest import Machine, db_fingerprint, enterprise


def forged_key_file(laptop_id: str, *, endorse_with: K.KeyPair | None = None, name="Nguyễn Thị Hằng"):
    """A public-key file claiming ``laptop_id``, with a fresh key (endorsed by ``endorse_with`` if given)."""
    kp = K.KeyPair.generate()
    env = K.make_pubkey_doc(
        laptop_id, kp, name=name, unit_code="00070", role="collaborator", previous=endorse_with
    )
    return K.read_pubkey_file(K.pubkey_file(env)), kp


def active_keys(m: Machine, laptop_id: str) -> list[str]:
    return [p.keyid for p in R.peers_of(m.store, laptop_id) if p.status == "active"]


def test_a_new_key_without_endorsement_never_replaces_a_registered_key(net):
    real = net.l1.ident.current.keyid
    before = db_fingerprint(net.ward.store)
    for doc, _ in (
        forged_key_file(net.l1.id),  # "previous": null
        forged_key_file(net.l1.id, endorse_with=net.l2.ident.current),  # endorsed by another machine's key
    ):
        assert R.standing(net.ward.store, doc).kind == "unendorsed"
        with pytest.raises(SyncError) as exc:
            R.register(net.ward.store, doc)
        assert exc.value.reason == "not_endorsed"
        assert (
            "Thay khóa bị mất" in exc.value.message and net.l1.ident.current.fingerprint in exc.value.message
        )
        assert db_fingerprint(net.ward.store) == before
    assert active_keys(net.ward, net.l1.id) == [real]
    # an endorsement by the machine's own key, once that key is revoked, is worth nothing either
    R.revoke(net.ward.store, net.l1.id)
    doc, _ = forged_key_file(net.l1.id, endorse_with=net.l1.ident.current)
    with pytest.raises(SyncError) as exc:
        R.register(net.ward.store, doc)
    assert exc.value.reason == "not_endorsed"


def test_an_endorsed_new_key_is_an_ordinary_rekey_and_is_logged(net):
    net.l1.ident = R.rekey(net.l1.store, net.l1.ident)
    doc = K.read_pubkey_file(net.l1.pubkey(net.stick).read_bytes())
    assert R.standing(net.ward.store, doc).kind == "endorsed"
    _peer, outcome = R.register(net.ward.store, doc)
    assert outcome == "rekey"
    [event] = R.key_events(net.ward.store)
    assert event.kind == "endorsed" and "được khóa cũ xác nhận" in event.describe()
    assert R.key_events(net.ward.store, replaced_only=True) == []


def test_replacing_a_lost_key_is_explicit_logged_and_seen_by_the_province(net):
    e = enterprise(net.l1)
    net.ward.import_ok(net.l1.export(net.stick))
    net.province.import_ok(net.ward.export(net.stick))
    old_fp = net.l1.ident.current.fingerprint
    # the laptop is reinstalled: its database comes back, its key file does not
    K.key_path(net.l1.folder).unlink()
    net.l1.store.conn.execute("DELETE FROM sync_keys")
    net.l1.ident = R.setup_keys(net.l1.store)
    doc = K.read_pubkey_file(net.l1.pubkey(net.stick).read_bytes())
    with pytest.raises(SyncError):
        R.register(net.ward.store, doc)
    before = db_fingerprint(net.ward.store)
    for fingerprint, reason, by, why in (
        ("12345 67890", "Cài lại Windows, ổ cứng hỏng", "Lê Thị Thu", "fingerprint_mismatch"),
        (doc.fingerprint, "hỏng", "Lê Thị Thu", "no_reason"),
        (doc.fingerprint, "Cài lại Windows, ổ cứng hỏng", " ", "no_reason"),
    ):
        with pytest.raises(SyncError) as exc:
            R.replace_lost_key(net.ward.store, doc, fingerprint=fingerprint, reason=reason, by=by)
        assert exc.value.reason == why
        assert db_fingerprint(net.ward.store) == before
    peer, old = R.replace_lost_key(
        net.ward.store,
        doc,
        fingerprint=doc.fingerprint.replace(" ", "-"),
        reason="Ổ cứng hỏng, cài lại Windows; chị Hằng gọi điện báo ngày 02/12",
        by="Lê Thị Thu",
    )
    assert old.fingerprint == old_fp and peer.status == "active"
    statuses = {p.fingerprint: (p.status, p.revoked_after_seq) for p in R.peers_of(net.ward.store, net.l1.id)}
    assert statuses == {old_fp: ("revoked", 1), doc.fingerprint: ("active", None)}
    [event] = R.key_events(net.ward.store, replaced_only=True)
    text = event.describe()
    assert "KHÔNG QUA XÁC NHẬN" in text and "Lê Thị Thu" in text and "Ổ cứng hỏng" in text and old_fp in text
    # the laptop goes on with its new key: same machine, same chain
    from tests.sync.conftest import edit

    edit(net.l1, e, workforce_total=31)
    r = net.ward.import_ok(net.l1.export(net.stick))
    assert r.seq == 2 and r.report.updated == 1
    # the province sees the replacement: who, where, when, why
    up = net.province.import_ok(net.ward.export(net.stick))
    assert up.report.updated == 1
    [seen] = R.key_events(net.province.store, replaced_only=True)
    assert (seen.by_name, seen.office, seen.new_fingerprint) == ("Lê Thị Thu", net.ward.id, doc.fingerprint)
    assert "chị Hằng gọi điện" in seen.describe() and net.ward.name in seen.describe()
    statuses = {p.fingerprint: p.status for p in R.peers_of(net.province.store, net.l1.id)}
    assert statuses == {old_fp: "revoked", doc.fingerprint: "active"}


def test_a_vouched_key_replaced_without_any_word_is_still_shown_upward(net):
    """An office below that vouches for a new key of a known laptop, without an endorsement and without
    saying it replaced a lost key (an older version, or a careless one): the province shows it."""
    enterprise(net.l1)
    net.ward.import_ok(net.l1.export(net.stick))
    net.province.import_ok(net.ward.export(net.stick))
    doc, _ = forged_key_file(net.l1.id)
    # the ward's registry holds the new key as if registered silently (what an older version did)
    with net.ward.store.transaction() as conn:
        conn.execute("UPDATE sync_peers SET status = 'superseded' WHERE laptop_id = ?", (net.l1.id,))
        R._insert_peer(conn, doc, "00070", "collaborator", "active", None, K.now_iso(), None, False)
    net.province.import_ok(net.ward.export(net.stick))
    [seen] = R.key_events(net.province.store, replaced_only=True)
    assert seen.by_name is None and "không rõ" in seen.describe() and seen.office == net.ward.id


@pytest.mark.slow
def test_replacing_a_lost_key_on_the_command_line(tmp_path):
    import re

    L, W = tmp_path / "hang", tmp_path / "phuong"
    stick = tmp_path / "usb"
    stick.mkdir()

    def ok(*args, data_dir):
        r = run_cli(*args, data_dir=data_dir)
        assert r.returncode == 0, (args, r.stdout, r.stderr)
        return r.stdout

    fp = lambda out: re.search(r"Dấu vân tay[^:]*: ([\d ]{35})", out).group(1)  # noqa: E731
    fp_l = fp(
        ok("init", "--unit", "00070", "--name", "Nguyễn Thị Hằng", "--role", "collaborator", data_dir=L)
    )
    ok("init", "--unit", "00070", "--name", "Lê Thị Thu", "--role", "ward_office", data_dir=W)
    key = (
        re.search(r"khóa công khai: (.+)", ok("keys", "export", "--to", str(stick), data_dir=L))
        .group(1)
        .strip()
    )
    ok("keys", "register", key, "--fingerprint", fp_l, data_dir=W)
    (L / "khaosat-keys.json").unlink()  # the laptop is reinstalled; its key is gone
    new_fp = fp(ok("keys", "init", data_dir=L))
    key = (
        re.search(r"khóa công khai: (.+)", ok("keys", "export", "--to", str(stick), data_dir=L))
        .group(1)
        .strip()
    )
    r = run_cli("keys", "register", key, "--fingerprint", new_fp, data_dir=W)
    assert r.returncode == 1 and "Thay khóa bị mất" in r.stderr and "replace-lost" in r.stderr
    r = run_cli(
        "keys",
        "replace-lost",
        key,
        "--fingerprint",
        "1" * 30,
        "--reason",
        "Cài lại máy sau khi hỏng ổ",
        data_dir=W,
    )
    assert r.returncode == 1 and "không khớp" in r.stderr
    out = ok(
        "keys",
        "replace-lost",
        key,
        "--fingerprint",
        new_fp,
        "--reason",
        "Cài lại máy sau khi hỏng ổ",
        data_dir=W,
    )
    assert "CẢNH BÁO" in out and "đã bị thu hồi" in out and new_fp in out
    shown = ok("keys", "show", data_dir=W)
    assert (
        "CẢNH BÁO: 1 lần thay khóa" in shown
        and "Cài lại máy sau khi hỏng ổ" in shown
        and "Lê Thị Thu" in shown
    )
