"""Keys: generation, protection at rest, fingerprints, public-key files, registration rules."""

from __future__ import annotations

import json
import os
import stat

import pytest

from app.domain.vocab import Role
from app.security.datakey import DataKey
from app.sync import container as C
from app.sync import keys as K
from app.sync import registry as R
from app.sync.errors import SyncError
from tests.helpers.vault import open_store
from tests.sync.conftest import make_machine


def test_fingerprint_is_thirty_digits_in_groups_of_five():
    kp = K.KeyPair.generate()
    fp = kp.fingerprint
    groups = fp.split(" ")
    assert len(groups) == 6 and all(len(g) == 5 and g.isdigit() for g in groups)
    assert K.normalise_fingerprint(fp.replace(" ", "-")) == fp
    assert K.KeyPair.generate().fingerprint != fp
    # it covers both keys: a different encryption key gives a different fingerprint
    other = K.KeyPair(kp.sign, K.KeyPair.generate().enc, kp.created_at)
    assert other.fingerprint != fp and other.keyid == kp.keyid


def test_private_keys_are_sealed_under_the_data_key(tmp_path):
    m = make_machine(tmp_path, "Hằng", "00070", Role.COLLABORATOR)
    path = K.key_path(m.folder)
    text = path.read_text()
    raw = m.ident.current.private_bytes()
    assert K.b64(raw) not in text and K.b64(raw[:32]) not in text
    doc = json.loads(text)
    assert doc["current"]["protection"] == "datakey-chacha20poly1305"
    if os.name != "nt":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(SyncError) as exc:
        K.load_identity(m.folder, None)
    assert exc.value.reason == "locked"
    with pytest.raises(SyncError) as exc:
        K.load_identity(m.folder, DataKey.generate())
    assert exc.value.reason == "wrong_keys"
    again = K.load_identity(m.folder, m.store.key)
    assert again.current.keyid == m.ident.current.keyid
    assert again.current.private_bytes() == raw
    m.store.close()


def _legacy_entry(kp: K.KeyPair, laptop_id: str, passphrase: str) -> dict:
    """A key sealed as the previous version did: its own passphrase through scrypt n=2^15."""
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    salt, nonce = os.urandom(16), os.urandom(12)
    key = Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode())
    aad = f"khaosat-keys-v1:{laptop_id}:{kp.keyid}".encode()
    return {
        "created_at": kp.created_at,
        "keyid": kp.keyid,
        "protection": "scrypt-chacha20poly1305",
        "salt": K.b64(salt),
        "nonce": K.b64(nonce),
        "n": 2**15,
        "r": 8,
        "p": 1,
        "secret": K.b64(ChaCha20Poly1305(key).encrypt(nonce, kp.private_bytes(), aad)),
    }


def test_an_earlier_versions_key_file_is_opened_once_then_sealed_under_the_data_key(tmp_path):
    m = make_machine(tmp_path, "Hằng", "00070", Role.COLLABORATOR)
    path = K.key_path(m.folder)
    doc = json.loads(path.read_text())
    doc["current"] = _legacy_entry(m.ident.current, m.id, "mật khẩu khóa cũ")
    path.write_text(json.dumps(doc))
    assert K.is_protected(m.folder)
    with pytest.raises(SyncError) as exc:
        R.load_keys(m.store)
    assert exc.value.reason == "passphrase_needed"
    with pytest.raises(SyncError) as exc:
        R.load_keys(m.store, "sai mật khẩu")
    assert exc.value.reason == "wrong_passphrase"
    assert R.load_keys(m.store, "mật khẩu khóa cũ").current.keyid == m.ident.current.keyid
    assert K.protections(m.folder) == {"datakey-chacha20poly1305"} and not K.is_protected(m.folder)
    assert R.load_keys(m.store).current.private_bytes() == m.ident.current.private_bytes()
    m.store.close()


def test_no_temporary_files_are_left_behind(tmp_path):
    m = make_machine(tmp_path, "Hằng", "00070", Role.COLLABORATOR)
    assert sorted(p.name for p in m.folder.iterdir() if p.name.startswith(".")) == []
    m.store.close()


def test_public_key_file_round_trip_and_tampering(tmp_path):
    m = make_machine(tmp_path, "Nguyễn Thị Hằng", "00070", Role.COLLABORATOR)
    path = m.pubkey(tmp_path)
    assert path.name.startswith("khoa_00070_") and path.suffix == ".khaosat-key"
    doc = K.read_pubkey_file(path.read_bytes())
    assert (doc.laptop_id, doc.name, doc.unit_code, doc.role) == (
        m.id,
        "Nguyễn Thị Hằng",
        "00070",
        "collaborator",
    )
    assert doc.fingerprint == m.ident.current.fingerprint
    data = path.read_bytes()
    i = data.index("Hằng".encode())
    bad = data[:i] + "Hẳng".encode() + data[i + len("Hằng".encode()) :]
    with pytest.raises(SyncError) as exc:
        K.read_pubkey_file(bad)
    assert exc.value.reason == "bad_signature"
    with pytest.raises(SyncError) as exc:
        K.read_pubkey_file(data + b"x")
    assert exc.value.reason == "damaged"
    m.store.close()


def test_registration_rules(tmp_path):
    ward = make_machine(tmp_path, "Phường", "00070", Role.WARD_OFFICE)
    other = make_machine(tmp_path, "Khác", "00004", Role.COLLABORATOR)
    doc = K.read_pubkey_file(other.pubkey(tmp_path).read_bytes())
    with pytest.raises(SyncError) as exc:
        R.register(ward.store, doc)  # a laptop of another ward
    assert exc.value.reason == "out_of_scope"
    peer, outcome = R.register(ward.store, doc, unit_code="00070")  # the office decides the unit
    assert outcome == "new" and peer.unit_code == "00070"
    assert R.register(ward.store, doc)[1] == "known"
    own = K.read_pubkey_file(ward.pubkey(tmp_path).read_bytes())
    with pytest.raises(SyncError) as exc:
        R.register(ward.store, own)
    assert exc.value.reason == "own_key"
    province = make_machine(tmp_path, "Tỉnh", "01", Role.PROVINCE_OFFICE)
    R.register(ward.store, K.read_pubkey_file(province.pubkey(tmp_path).read_bytes()), destination=True)
    assert ward.store.conn.execute("SELECT unit_code, role FROM offices").fetchall() == [
        ("01", "province_office")
    ]
    for m in (ward, other, province):
        m.store.close()


def test_ensure_keys_for_the_first_run_wizard(tmp_path):

    store = open_store(tmp_path / "d")
    store.set_profile(unit_code="00070", collaborator="Hằng", role=Role.COLLABORATOR)
    made = R.ensure_keys(store)
    assert made is not None and K.protections(tmp_path / "d") == {"datakey-chacha20poly1305"}
    assert R.ensure_keys(store) is None
    assert R.load_keys(store).current.keyid == made.current.keyid
    store.close()


def test_pae_is_dsse():
    assert C.pae("t", b"hello") == b"DSSEv1 1 t 5 hello"
