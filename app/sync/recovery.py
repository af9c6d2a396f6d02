"""Recovery through the office above: a forgotten passphrase loses nothing, and a lost stick opens nothing.

1. **Office wraps.** While the laptop is unlocked, its data key is also sealed (HPKE) to the X25519 key
   of each office it sends bundles to (``refresh_office_wraps``, after registering an office and at
   every unlock). The sealed copies live in ``khaosat-datakey.json`` beside the passphrase wrapping.
2. **Request** (laptop, locked, passphrase forgotten): ``make_request`` writes a request file for the
   stick (kind ``Q``, ``.khaosat-recovery``), encrypted to the office: the laptop's id, its data key's
   id, the office-sealed data key, and a one-time X25519 public key made for this request, whose
   private half stays in the laptop's data folder (``khaosat-recovery-pending.json``).
3. **Answer** (office, after a person has checked who is asking): ``read_request`` shows which
   registered machine asks; ``answer_request`` opens the data key with the office's private key, seals
   it with a key derived (scrypt) from a fresh 12-digit one-time code, signs the result, and encrypts it
   to the request's one-time key (kind ``U``, ``.khaosat-unlock``). The code is told to the person face
   to face, never written on the stick. The office logs the recovery as an event it signs.
4. **Unlock** (laptop): ``apply_unlock`` needs the unlock file, the one-time private key (only on the
   laptop that asked), the office's signature (checked with the key kept in the laptop's key file)
   and the code; it then wraps the data key with a new passphrase. Database and machine keys are back.
5. **The log travels upward**: each office sends the events it holds, its own and those received from
   below, to its own destination offices as a recovery-log file (kind ``L``, ``.khaosat-recoverylog``),
   written beside every bundle it exports and read by the ordinary import.

File formats: docs/sync-bundle.md, section 9.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import x25519
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from app.domain.text import text_problem
from app.fileio import write_atomic
from app.security import datakey, kdf
from app.security.datakey import DataKey, LockError, OfficeWrap
from app.storage.store import Store
from app.sync import container as C
from app.sync import keys as K
from app.sync import registry as R
from app.sync.errors import SyncError, shown

REQUEST_SUFFIX = ".khaosat-recovery"
UNLOCK_SUFFIX = ".khaosat-unlock"
LOG_SUFFIX = ".khaosat-recoverylog"
PENDING_FILE = "khaosat-recovery-pending.json"
CODE_DIGITS = 12

_RAW = serialization.Encoding.Raw


def _suite():
    from cryptography.hazmat.primitives import hpke

    return hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)


def wrap_info(laptop_id: str, key_id: str) -> bytes:
    """HPKE ``info`` of an office wrap: binds the sealed data key to one laptop and one key id."""
    return b"khaosat-recovery-wrap-v1\x00" + laptop_id.encode("utf-8") + b"\x00" + key_id.encode("ascii")


def code_aad(request_id: str, laptop_id: str, key_id: str) -> bytes:
    return f"khaosat-recovery-code-v1\x00{request_id}\x00{laptop_id}\x00{key_id}".encode()


def recovery_keyid(pub: bytes) -> str:
    return hashlib.sha256(b"khaosat-recovery-key-v1\x00" + pub).hexdigest()[:16]


def normalise_code(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def format_code(digits: str) -> str:
    return "-".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _pub(priv: x25519.X25519PrivateKey) -> bytes:
    return priv.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)


# --- 1. office wraps (laptop, unlocked) ----------------------------------------------------------


def refresh_office_wraps(store: Store) -> int:
    """Seal the data key to every active destination office; drop wraps of offices no longer used.

    Returns how many new wraps were made. Needs an unlocked file store (does nothing otherwise).
    """
    if store.key is None or store.path is None:
        return 0
    folder = store.path.parent
    if not datakey.exists(folder):
        return 0
    ring = datakey.load(folder)
    if ring.key_id != store.key.key_id:
        return 0
    wanted = [p for p in R.peers(store, destinations=True) if p.status == "active"]
    have = {(o.office_id, o.enc_keyid): o for o in ring.offices}
    if {(p.laptop_id, p.keyid) for p in wanted} == set(have) and all(
        o.wrapped_for == ring.laptop_id for o in ring.offices
    ):
        return 0
    made = 0
    offices: list[OfficeWrap] = []
    for p in wanted:
        old = have.get((p.laptop_id, p.keyid))
        if old is not None and old.wrapped_for == ring.laptop_id:
            offices.append(old)
            continue
        sealed = _suite().encrypt(
            store.key.raw,
            x25519.X25519PublicKey.from_public_bytes(p.enc_pub),
            info=wrap_info(ring.laptop_id, ring.key_id),
        )
        offices.append(
            OfficeWrap(
                p.laptop_id,
                f"{p.name or p.laptop_id} ({p.unit_label})",
                p.sign_pub,
                p.enc_pub,
                p.keyid,
                sealed,
                _now(),
                ring.laptop_id,
            )
        )
        made += 1
    ring.offices = offices
    datakey.save(folder, ring)
    return made


# --- 2. the request (laptop, locked) ---------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    path: Path
    request_id: str
    office: str


def _load_pending(folder: Path) -> list[dict[str, Any]]:
    path = folder / PENDING_FILE
    if not path.exists():
        return []
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return list(doc["pending"])
    except (ValueError, KeyError, TypeError) as exc:
        raise SyncError("damaged", f"Tệp {PENDING_FILE} bị hỏng: hãy tạo yêu cầu khôi phục mới.") from exc


def _save_pending(folder: Path, pending: list[dict[str, Any]]) -> None:
    path = folder / PENDING_FILE
    if not pending:
        path.unlink(missing_ok=True)
        return
    write_atomic(path, json.dumps({"pending": pending}, indent=1).encode("utf-8"), mode=0o600)


def offices_for_recovery(folder: str | os.PathLike[str]) -> list[OfficeWrap]:
    """The offices that hold this laptop's data key (none: recovery through an office is not possible)."""
    if not datakey.exists(folder):
        return []
    return list(datakey.load(folder).offices)


def make_request(
    folder: str | os.PathLike[str], out_dir: str | os.PathLike[str], office_id: str | None = None
) -> Request:
    """Write a recovery request for the stick (no passphrase needed). Keeps its one-time key here."""
    folder, out_dir = Path(folder), Path(out_dir)
    ring = datakey.load(folder)
    if not ring.offices:
        raise SyncError(
            "no_office",
            "Máy này chưa đăng ký cơ quan cấp trên nào (hoặc chưa mở khóa lần nào sau khi đăng ký), nên "
            "không khôi phục được qua cơ quan. Hãy khôi phục từ bản sao lưu nếu còn nhớ mật khẩu của nó.",
        )
    wraps = [o for o in ring.offices if office_id in (None, o.office_id)]
    if not wraps:
        raise SyncError("no_office", "Cơ quan đã chọn không giữ khóa dữ liệu của máy này.")
    wrap = wraps[0]
    if not out_dir.is_dir():
        raise SyncError("no_folder", f"Không tìm thấy thư mục «{out_dir}» (USB đã cắm chưa?).")
    one_time = x25519.X25519PrivateKey.generate()
    request_id = uuid.uuid4().hex
    created = _now()
    pending = _load_pending(folder)
    pending.append(
        {
            "request_id": request_id,
            "office_id": wrap.office_id,
            "created_at": created,
            "private": K.b64(
                one_time.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
            ),
        }
    )
    _save_pending(folder, pending)
    payload = {
        "format": "khaosat-recovery-request",
        "version": 1,
        "request_id": request_id,
        "laptop_id": ring.laptop_id,
        "key_id": ring.key_id,
        "office_id": wrap.office_id,
        "created_at": created,
        "recovery_pub": K.b64(_pub(one_time)),
        "sealed_key": K.b64(wrap.sealed),
    }
    data = C.seal_payload(C.KIND_RECOVERY_REQUEST, wrap.enc_keyid, wrap.enc_pub, C.dumps(payload))
    name = f"yeu-cau-khoi-phuc_{ring.laptop_id[:8]}_{datetime.now():%Y%m%d-%H%M}{REQUEST_SUFFIX}"
    path = C.write_atomic(out_dir / name, data)
    return Request(path, request_id, wrap.name)


# --- 3. the answer (office) ------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestInfo:
    path: Path
    request_id: str
    laptop_id: str
    key_id: str
    created_at: str
    recovery_pub: bytes
    sealed_key: bytes
    office_keyid: str
    machine: R.Peer  # the registered machine that asks: a person compares it with who stands there

    @property
    def created_text(self) -> str:
        try:
            return datetime.fromisoformat(self.created_at).strftime("%H:%M ngày %d/%m/%Y")
        except ValueError:
            return self.created_at


_REQUEST_MEMBERS = {
    "format",
    "version",
    "request_id",
    "laptop_id",
    "key_id",
    "office_id",
    "created_at",
    "recovery_pub",
    "sealed_key",
}


def _text(p: dict[str, Any], key: str, limit: int = 100) -> str:
    v = p.get(key)
    if not isinstance(v, str) or not v or len(v) > limit:
        raise SyncError("bad_payload", f"Tệp khôi phục: trường {key} không hợp lệ.")
    # shown to the person who decides (which machine, when): the domain's one text rule, on one line
    if text_problem(v, key, limit, one_line=True) is not None:
        raise SyncError(
            "bad_text",
            f"Tệp khôi phục: trường {key} có ký tự không phải chữ (ký tự điều khiển, ký tự hỏng hoặc ký tự "
            "đảo chiều hiển thị): tệp không do KhaoSat tạo hoặc đã bị sửa. Không khôi phục.",
        )
    return v


def read_request(store: Store, ident: K.Identity, path: str | os.PathLike[str]) -> RequestInfo:
    """Open a request addressed to this office and find the registered machine that made it."""
    path = Path(path)
    fr = C.parse_frame(C.read_capped(path), expect=C.KIND_RECOVERY_REQUEST)
    p = C.strict_loads(C.open_payload(fr, ident.decryption_keys()), "yêu cầu khôi phục")
    if not isinstance(p, dict) or set(p) != _REQUEST_MEMBERS or p["format"] != "khaosat-recovery-request":
        raise SyncError("bad_payload", "Yêu cầu khôi phục không đúng cấu trúc.")
    if p["version"] != 1:
        raise SyncError(
            "newer_format", "Yêu cầu khôi phục do phiên bản KhaoSat mới hơn tạo. Hãy cập nhật KhaoSat."
        )
    laptop_id = _text(p, "laptop_id")
    if p["office_id"] != store.laptop_id:
        raise SyncError("not_addressed", "Yêu cầu khôi phục này gửi cho cơ quan khác.")
    machines = R.peers_of(store, laptop_id)
    if not machines:
        raise SyncError(
            "unknown_sender",
            f"Máy {shown(laptop_id, 40)} chưa đăng ký tại cơ quan này: không khôi phục. Chỉ cơ quan nhận gói của máy mới "
            "khôi phục được cho máy đó.",
        )
    if any(m.status == "revoked" for m in machines):
        raise SyncError(
            "revoked",
            "Máy này đã bị thu hồi (báo mất hoặc bị lấy cắp): không khôi phục. Nếu máy đã tìm lại được, "
            "hãy đăng ký lại máy trước.",
        )
    active = [m for m in machines if m.status == "active"] or machines
    return RequestInfo(
        path,
        _text(p, "request_id"),
        laptop_id,
        _text(p, "key_id"),
        _text(p, "created_at"),
        K.unb64(p["recovery_pub"], "recovery_pub", 32),
        K.unb64(p["sealed_key"], "sealed_key"),
        fr.header["recipient"],
        active[0],
    )


@dataclass(frozen=True)
class Answer:
    path: Path
    code: str  # "1234-5678-9012": said to the person, never written to the stick
    event_hash: str


def answer_request(
    store: Store,
    ident: K.Identity,
    info: RequestInfo,
    out_dir: str | os.PathLike[str],
    *,
    checked_by: str,
    note: str = "",
) -> Answer:
    """Write the unlock file for the laptop that asked and log the recovery. The person was checked."""
    checked_by = " ".join(checked_by.split())
    if not checked_by:
        raise SyncError("bad_input", "Hãy ghi họ tên người đã kiểm tra giấy tờ của người yêu cầu.")
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise SyncError("no_folder", f"Không tìm thấy thư mục «{out_dir}» (USB đã cắm chưa?).")
    enc = ident.decryption_keys().get(info.office_keyid)
    if enc is None:
        raise SyncError("not_addressed", "Yêu cầu được mã hóa cho một khóa không còn ở cơ quan này.")
    try:
        raw = _suite().decrypt(info.sealed_key, enc, info=wrap_info(info.laptop_id, info.key_id))
    except Exception as exc:  # InvalidTag or a bad key share
        raise SyncError(
            "tampered",
            "Khóa dữ liệu trong yêu cầu không mở được: yêu cầu bị sửa hoặc không phải của máy này.",
        ) from exc
    if len(raw) != 32 or datakey.key_id_of(raw) != info.key_id:
        raise SyncError("tampered", "Khóa dữ liệu trong yêu cầu không khớp mã khóa: yêu cầu bị sửa.")
    digits = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    salt, nonce = os.urandom(16), os.urandom(12)
    cost = kdf.default_cost()
    sealed = ChaCha20Poly1305(kdf.derive(digits, salt, cost)).encrypt(
        nonce, raw, code_aad(info.request_id, info.laptop_id, info.key_id)
    )
    issued = _now()
    payload = {
        "format": "khaosat-recovery-unlock",
        "version": 1,
        "request_id": info.request_id,
        "laptop_id": info.laptop_id,
        "key_id": info.key_id,
        "office_id": store.laptop_id,
        "issued_at": issued,
        **cost.to_json(),
        "salt": K.b64(salt),
        "nonce": K.b64(nonce),
        "sealed_key": K.b64(sealed),
    }
    env = C.sign_envelope(C.TYPE_RECOVERY_UNLOCK, C.dumps(payload), ident.current.keyid, ident.current.sign)
    data = C.seal(
        C.KIND_RECOVERY_UNLOCK, recovery_keyid(info.recovery_pub), info.recovery_pub, [env], compress=False
    )
    prof = store.profile()
    event = {
        "format": "khaosat-recovery-event",
        "version": 1,
        "event_id": uuid.uuid4().hex,
        "office_id": store.laptop_id,
        "office_name": prof.collaborator or "",
        "office_unit": prof.unit_code or "",
        "laptop_id": info.laptop_id,
        "laptop_name": info.machine.name or "",
        "laptop_unit": info.machine.unit_code,
        "request_id": info.request_id,
        "key_id": info.key_id,
        "checked_by": checked_by[:200],
        "note": " ".join(note.split())[:500],
        "issued_at": issued,
    }
    ev = C.sign_envelope(C.TYPE_RECOVERY_EVENT, C.dumps(event), ident.current.keyid, ident.current.sign)
    name = f"mo-khoa_{info.laptop_id[:8]}_{datetime.now():%Y%m%d-%H%M}{UNLOCK_SUFFIX}"
    with store.transaction():
        _store_event(store, ev, event, None)
        path = C.write_atomic(out_dir / name, data)  # a failure here rolls the log entry back
    return Answer(path, format_code(digits), ev.hash)


# --- 4. unlock (laptop) ----------------------------------------------------------------------------


_UNLOCK_MEMBERS = {
    "format",
    "version",
    "request_id",
    "laptop_id",
    "key_id",
    "office_id",
    "issued_at",
    "kdf",
    "n",
    "r",
    "p",
    "salt",
    "nonce",
    "sealed_key",
}


def apply_unlock(
    folder: str | os.PathLike[str], path: str | os.PathLike[str], code: str, new_passphrase: str
) -> DataKey:
    """Open the data key with the office's unlock file and the code; wrap it with a new passphrase."""
    from app.security.passphrase import strength_problem

    folder = Path(folder)
    problem = strength_problem(new_passphrase)
    if problem:
        raise LockError("weak", problem)
    ring = datakey.load(folder)
    pending = _load_pending(folder)
    keys = {}
    by_id = {}
    for item in pending:
        priv = x25519.X25519PrivateKey.from_private_bytes(K.unb64(item["private"], "private", 32))
        keys[recovery_keyid(_pub(priv))] = priv
        by_id[item["request_id"]] = item
    fr = C.parse_frame(C.read_capped(Path(path)), expect=C.KIND_RECOVERY_UNLOCK)
    try:
        [env] = C.open_sealed(fr, keys)
    except SyncError as exc:
        if exc.reason == "not_addressed":
            raise SyncError(
                "not_addressed",
                "Tệp mở khóa này không dành cho máy này (hoặc cho một yêu cầu đã dùng rồi): không mở được.",
            ) from exc
        raise
    except ValueError as exc:
        raise SyncError("damaged", "Tệp mở khóa phải có đúng một phần đã ký.") from exc
    if env.type != C.TYPE_RECOVERY_UNLOCK:
        raise SyncError("wrong_purpose", "Chữ ký trong tệp không dành cho việc mở khóa (sai mục đích).")
    p = env.json("tệp mở khóa")
    if not isinstance(p, dict) or set(p) != _UNLOCK_MEMBERS or p["format"] != "khaosat-recovery-unlock":
        raise SyncError("bad_payload", "Tệp mở khóa không đúng cấu trúc.")
    if p["laptop_id"] != ring.laptop_id or p["key_id"] != ring.key_id or p["request_id"] not in by_id:
        raise SyncError("not_addressed", "Tệp mở khóa này không dành cho máy này.")
    office = [o for o in ring.offices if o.office_id == p["office_id"]]
    if not office or not env.verify(office[0].sign_pub):
        raise SyncError("bad_signature", "Chữ ký của cơ quan trên tệp mở khóa không đúng: tệp đã bị sửa.")
    try:
        cost = kdf.ScryptCost.from_json(p)
        derived = kdf.derive(normalise_code(code), K.unb64(p["salt"], "salt"), cost)
        raw = ChaCha20Poly1305(derived).decrypt(
            K.unb64(p["nonce"], "nonce", 12),
            K.unb64(p["sealed_key"], "sealed_key"),
            code_aad(p["request_id"], p["laptop_id"], p["key_id"]),
        )
    except kdf.KdfError as exc:
        raise SyncError("bad_payload", "Tệp mở khóa không đúng cấu trúc.") from exc
    except InvalidTag as exc:
        raise LockError("wrong_code", "Mã mở khóa không đúng: hãy đọc lại mã cơ quan đã đưa.") from exc
    key = DataKey(raw)
    if key.key_id != ring.key_id:
        raise SyncError("tampered", "Khóa trong tệp mở khóa không khớp với khóa dữ liệu của máy.")
    datakey.change_passphrase(folder, key, new_passphrase)
    _save_pending(folder, [i for i in pending if i["request_id"] != p["request_id"]])
    return key


# --- 5. the log at the office, and upward -------------------------------------------------------


_EVENT_MEMBERS = {
    "format",
    "version",
    "event_id",
    "office_id",
    "office_name",
    "office_unit",
    "laptop_id",
    "laptop_name",
    "laptop_unit",
    "request_id",
    "key_id",
    "checked_by",
    "note",
    "issued_at",
}


def _store_event(store: Store, env: C.Envelope, event: dict[str, Any], received_from: str | None) -> bool:
    cur = store.conn.execute(
        "INSERT OR IGNORE INTO recovery_log(hash, envelope, office_id, laptop_id, issued_at, received_from, "
        "received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            env.hash,
            env.raw,
            event["office_id"],
            event["laptop_id"],
            event["issued_at"],
            received_from,
            _now(),
        ),
    )
    return cur.rowcount == 1


def log_entries(store: Store) -> list[dict[str, Any]]:
    """Every recovery this office made or received, newest first, as the signed events say."""
    out = []
    for raw, received_from in store.conn.execute(
        "SELECT envelope, received_from FROM recovery_log ORDER BY issued_at DESC, hash"
    ):
        env, _ = C.read_envelope(memoryview(bytes(raw)), 0)
        event = env.json("nhật ký khôi phục")
        event["received_from"] = received_from
        out.append(event)
    return out


def write_log_file(
    store: Store, ident: K.Identity, dest: R.Peer, out_dir: Path, unit_code: str
) -> Path | None:
    """The recovery events ``dest`` has not been sent yet, sealed to it; None when there are none."""
    rows = store.conn.execute(
        "SELECT hash, envelope FROM recovery_log WHERE hash NOT IN "
        "(SELECT hash FROM recovery_log_sent WHERE recipient = ?) AND coalesce(received_from, '') != ? "
        "ORDER BY issued_at, hash",
        (dest.laptop_id, dest.laptop_id),
    ).fetchall()
    if not rows:
        return None
    envelopes = [C.read_envelope(memoryview(bytes(r[1])), 0)[0] for r in rows]
    data = C.seal(C.KIND_RECOVERY_LOG, dest.keyid, dest.enc_pub, envelopes)
    name = (
        f"nhat-ky-khoi-phuc_{unit_code}_{datetime.now():%Y%m%d-%H%M%S}_{store.laptop_id[:8]}"
        f"_den_{dest.unit_code}{LOG_SUFFIX}"
    )
    with store.transaction():
        store.conn.executemany(
            "INSERT OR IGNORE INTO recovery_log_sent(recipient, hash, sent_at) VALUES (?, ?, ?)",
            [(dest.laptop_id, r[0], _now()) for r in rows],
        )
        path = C.write_atomic(Path(out_dir) / name, data)
    return path


@dataclass(frozen=True)
class LogImport:
    new: int
    known: int
    unverified: int


def import_log(store: Store, envelopes: list[C.Envelope], received_from: str | None) -> LogImport:
    """Keep the signed recovery events of a recovery-log file (each checked against its office's key)."""
    new = known = unverified = 0
    with store.transaction():
        for env in envelopes:
            if env.type != C.TYPE_RECOVERY_EVENT:
                raise SyncError("wrong_purpose", "Nhật ký khôi phục chứa phần ký sai mục đích.")
            event = env.json("nhật ký khôi phục")
            if not isinstance(event, dict) or set(event) != _EVENT_MEMBERS:
                raise SyncError("bad_payload", "Nhật ký khôi phục không đúng cấu trúc.")
            signers = [m for m in R.peers_of(store, str(event["office_id"])) if m.keyid == env.keyid]
            if not signers or not env.verify(signers[0].sign_pub):
                unverified += 1  # an office this one does not know: not kept
                continue
            if _store_event(store, env, event, received_from):
                new += 1
            else:
                known += 1
    return LogImport(new, known, unverified)
