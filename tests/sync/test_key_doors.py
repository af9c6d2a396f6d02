"""The key-file door: a public-key file whose name is not text is refused with a reason, in the
program and on the command line (never a traceback, never exit 70), and nothing is registered."""

from __future__ import annotations

import json

import pytest

from app.sync import container as C
from app.sync import keys as K
from app.sync import registry as R
from app.sync.errors import SyncError
from tests.conftest import run_cli
from tests.sync.conftest import db_fingerprint


def key_file(name: str, laptop_id: str = "ab12cd34ef56ab78", unit: str = "00070") -> tuple[bytes, K.KeyPair]:
    """A self-signed public-key file written by hand (JSON with escapes, so any string can be written)."""
    kp = K.KeyPair.generate()
    payload = json.dumps(
        {
            "created_at": "2026-11-21T08:00:00+00:00",
            "enc_pub": K.b64(kp.enc_pub),
            "format": "khaosat-pubkey",
            "laptop_id": laptop_id,
            "name": name,
            "previous": None,
            "role": "collaborator",
            "sign_pub": K.b64(kp.sign_pub),
            "unit_code": unit,
            "version": 1,
        },
        ensure_ascii=True,
        separators=(",", ":"),
        sort_keys=True,
    ).encode()
    env = C.sign_envelope(C.TYPE_PUBKEY, payload, kp.keyid, kp.sign)
    return K.pubkey_file(env), kp


HOSTILE_NAMES = {
    "lone high surrogate": "Nguyễn \ud800 Hằng",
    "lone low surrogate": "Nguyễn \udc80 Hằng",
    "NUL": "Nguyễn\x00Hằng",
    "bell": "Nguyễn\x07Hằng",
    "line break": "Nguyễn\nHằng",
    "right-to-left override": "Nguyễn \u202egnằH",
    "isolate": "Nguyễn \u2067Hằng",
    "C1 control": "Nguyễn\x85Hằng",
    "too long": "Nguyễn " * 40,
}


@pytest.mark.parametrize("what", list(HOSTILE_NAMES))
def test_key_file_names_that_are_not_text_are_refused(net, what):
    data, _ = key_file(HOSTILE_NAMES[what])
    before = db_fingerprint(net.ward.store)
    with pytest.raises(SyncError) as exc:
        R.register(net.ward.store, K.read_pubkey_file(data))
    assert exc.value.reason in ("bad_text", "bad_payload"), exc.value.message
    assert exc.value.message.isprintable()
    assert not any(ch in exc.value.message for ch in "\ud800\udc80\x00\u202e\u2067")
    assert db_fingerprint(net.ward.store) == before


def test_an_ordinary_name_with_an_emoji_is_accepted(net):
    data, kp = key_file("Nguyễn Thị Hằng 🌸")
    peer, outcome = R.register(net.ward.store, K.read_pubkey_file(data))
    assert outcome == "new" and peer.name == "Nguyễn Thị Hằng 🌸" and peer.keyid == kp.keyid


@pytest.mark.parametrize(
    "laptop_id", ["AB12CD34EF56AB78", "ab12cd34ef56ab7", "\u202eab12cd34ef56ab7", "ab12 cd34 ef56 ab78"]
)
def test_a_machine_id_not_written_as_the_spec_says_is_refused(net, laptop_id):
    """The machine id is shown where a machine has no name: 16 lower-case hexadecimal digits, nothing else."""
    data, _ = key_file("Nguyễn Thị Hằng", laptop_id=laptop_id)
    before = db_fingerprint(net.ward.store)
    with pytest.raises(SyncError) as exc:
        K.read_pubkey_file(data)
    assert (
        exc.value.reason == "bad_payload"
        and "Mã máy" in exc.value.message
        and "Chưa đăng ký" in exc.value.message
    )
    assert exc.value.message.isprintable() and db_fingerprint(net.ward.store) == before


def test_the_key_door_applies_the_domains_text_rule():
    """One rule (app.domain.text.text_problem), one-line names: whatever it refuses the door refuses."""
    from app.domain.text import text_problem

    for what, name in HOSTILE_NAMES.items():
        if what.startswith("lone"):
            continue  # refused earlier, as JSON (the same reason, bad_text)
        data, _ = key_file(name)
        expected = text_problem(name, "Tên máy", K.NAME_LENGTH, one_line=True)
        assert expected is not None, what
        with pytest.raises(SyncError):
            K.read_pubkey_file(data)
    for name in ("Nguyễn Thị Hằng", "Lê\u200bVăn", "O'Brien (Phường 5)"):
        assert K.read_pubkey_file(key_file(name)[0]).name == name


@pytest.mark.slow
def test_keys_register_on_the_command_line_says_why(tmp_path):
    office = tmp_path / "phuong"
    r = run_cli(
        "init", "--unit", "00070", "--name", "Đảng ủy phường", "--role", "ward_office", data_dir=office
    )
    assert r.returncode == 0, r.stderr
    for what in ("lone low surrogate", "right-to-left override"):
        data, kp = key_file(HOSTILE_NAMES[what])
        path = tmp_path / f"khoa_{what.replace(' ', '_')}.khaosat-key"
        path.write_bytes(data)
        r = run_cli("keys", "register", str(path), "--fingerprint", kp.fingerprint, data_dir=office)
        assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr and "Lỗi không mong đợi" not in r.stderr
        assert "Chưa đăng ký" in r.stderr or "không phải chữ" in r.stderr, r.stderr
    r = run_cli("keys", "show", data_dir=office)
    assert r.returncode == 0 and "Máy đã đăng ký" not in r.stdout


@pytest.mark.parametrize(
    "payload",
    [b'{"format": "khaosat-pubkey" "version": 1}', b"[" * 100_000, b'{"name": "\xff"}', b'{"a": 1e999}'],
)
def test_a_key_file_that_is_not_json_is_said_in_vietnamese(payload):
    """The parser's own words ("Expecting ',' delimiter", "maximum recursion depth") never reach a person."""
    kp = K.KeyPair.generate()
    data = K.pubkey_file(C.sign_envelope(C.TYPE_PUBKEY, payload, kp.keyid, kp.sign))
    with pytest.raises(SyncError) as exc:
        K.read_pubkey_file(data)
    message = exc.value.message
    assert exc.value.reason in ("bad_json", "bad_payload"), message
    for english in ("Expecting", "delimiter", "recursion", "codec", "Extra data", "Infinity"):
        assert english not in message, message
    assert "tệp" in message.lower()
