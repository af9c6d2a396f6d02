"""Who this machine trusts: its own keys, the laptops registered with it, the office above it.

A peer is one key of one machine (``laptop_id``). Re-keying adds a key and marks the old one
``superseded`` (still good for what it signed before); revoking marks it ``revoked`` with the
last sequence number received from it: what it sent up to there is kept, the rest refused.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from app.domain import units
from app.domain.vocab import Role
from app.storage.store import Store
from app.sync import container as C
from app.sync import keys as K
from app.sync.errors import SyncError, refuse_practice, shown


@dataclass(frozen=True)
class Peer:
    keyid: str
    laptop_id: str
    sign_pub: bytes
    enc_pub: bytes
    fingerprint: str
    name: str | None
    unit_code: str
    role: str
    status: str
    revoked_after_seq: int | None
    registered_at: str
    registered_via: str | None
    is_destination: bool
    doc: bytes

    @property
    def role_label(self) -> str:
        try:
            return Role(self.role).label
        except ValueError:
            return self.role

    @property
    def display(self) -> str:
        """The machine's name as it may be shown (or its id when it has none)."""
        return shown(self.name or self.laptop_id)

    @property
    def unit_label(self) -> str:
        return units.unit_name(self.unit_code) or self.unit_code


_PEER_COLS = (
    "keyid, laptop_id, sign_pub, enc_pub, fingerprint, name, unit_code, role, status, revoked_after_seq, "
    "registered_at, registered_via, is_destination, doc"
)


def _peer(row: tuple) -> Peer:
    return Peer(*row[:12], bool(row[12]), row[13])  # type: ignore[arg-type]


def peers(store: Store, *, destinations: bool | None = None) -> list[Peer]:
    sql = f"SELECT {_PEER_COLS} FROM sync_peers"
    if destinations is not None:
        sql += f" WHERE is_destination = {int(destinations)}"
    sql += " ORDER BY unit_code, name, registered_at"
    return [_peer(r) for r in store.conn.execute(sql)]


def peer(store: Store, keyid: str) -> Peer | None:
    row = store.conn.execute(f"SELECT {_PEER_COLS} FROM sync_peers WHERE keyid = ?", (keyid,)).fetchone()
    return _peer(row) if row else None


def peers_of(store: Store, laptop_id: str) -> list[Peer]:
    return [
        _peer(r)
        for r in store.conn.execute(
            f"SELECT {_PEER_COLS} FROM sync_peers WHERE laptop_id = ? ORDER BY registered_at", (laptop_id,)
        )
    ]


def find(store: Store, text: str) -> list[Peer]:
    """Peers whose key id, laptop id or fingerprint starts with ``text`` (as typed by a person)."""
    digits = K.normalise_fingerprint(text)
    out = []
    for p in peers(store):
        if (
            p.keyid.startswith(text)
            or p.laptop_id.startswith(text)
            or (digits and p.fingerprint.startswith(digits))
        ):
            out.append(p)
    return out


# --- this machine's identity ------------------------------------------------------------------------


def data_dir_of(store: Store) -> Path:
    if store.path is None:
        raise SyncError("no_data_dir", "Kho dữ liệu trong bộ nhớ không có thư mục để giữ khóa.")
    return store.path.parent


def setup_keys(store: Store, passphrase: str | None = None, data_dir: Path | None = None) -> K.Identity:
    """Make this machine's keys if it has none (``khaosat init`` and the first-run wizard call this).

    The private keys are sealed under the store's data key; ``passphrase`` opens only the key file of
    an earlier version that had its own passphrase.
    """
    refuse_practice(store)
    folder = data_dir or data_dir_of(store)
    existing = K.load_identity(folder, store.key, passphrase)
    if existing is not None:
        if existing.laptop_id != store.laptop_id:
            raise SyncError("wrong_keys", "Tệp khóa trong thư mục dữ liệu thuộc về một máy khác.")
        _reseal_if_older(store, existing, folder)
        _record_own_key(store, existing, existing.current)
        return existing
    ident = K.Identity(store.laptop_id, K.KeyPair.generate())
    _record_own_key(store, ident, ident.current)
    K.save_identity(folder, ident, store.key)
    return ident


def load_keys(store: Store, passphrase: str | None = None, data_dir: Path | None = None) -> K.Identity:
    refuse_practice(store)
    folder = data_dir or data_dir_of(store)
    ident = K.load_identity(folder, store.key, passphrase)
    if ident is None:
        raise SyncError("no_keys", "Máy này chưa có khóa: hãy tạo khóa cho máy trước khi xuất hay nhập gói.")
    if ident.laptop_id != store.laptop_id:
        raise SyncError("wrong_keys", "Tệp khóa trong thư mục dữ liệu thuộc về một máy khác.")
    _reseal_if_older(store, ident, folder)
    return ident


def _reseal_if_older(store: Store, ident: K.Identity, folder: Path) -> None:
    """A key file of an earlier version (no protection, or its own passphrase) is sealed under the data key."""
    if store.key is not None and K.protections(folder) != {K.DATAKEY_PROTECTION}:
        K.save_identity(folder, ident, store.key)


def rekey(
    store: Store, ident: K.Identity, passphrase: str | None = None, data_dir: Path | None = None
) -> K.Identity:
    """A new key pair endorsed by the old one; the old pair is kept (retired) to read old receipts."""
    new = K.KeyPair.generate()
    out = K.Identity(ident.laptop_id, new, [ident.current, *ident.retired])
    with store.transaction():
        store.conn.execute("UPDATE sync_keys SET status = 'retired' WHERE status = 'active'")
        _record_own_key(store, out, new, previous=ident.current)
    K.save_identity(data_dir or data_dir_of(store), out, store.key)
    return out


@dataclass(frozen=True)
class OwnKey:
    keyid: str
    fingerprint: str


def own_key(store: Store) -> OwnKey | None:
    """This machine's active key as registered in the file (no passphrase needed), or None."""
    row = store.conn.execute(
        "SELECT keyid, sign_pub, enc_pub FROM sync_keys WHERE status = 'active' ORDER BY created_at DESC LIMIT 1"
    ).fetchone()
    return OwnKey(row[0], K.fingerprint(bytes(row[1]), bytes(row[2]))) if row else None


def own_pubkey_doc(store: Store, ident: K.Identity) -> C.Envelope:
    prof = store.profile()
    row = store.conn.execute("SELECT doc FROM sync_keys WHERE keyid = ?", (ident.current.keyid,)).fetchone()
    previous = None
    if row is not None:
        doc = K.parse_pubkey_envelope(C.read_envelope(memoryview(row[0]), 0)[0])
        if doc.previous is not None:
            previous = next((kp for kp in ident.retired if kp.keyid == doc.previous["keyid"]), None)
    return K.make_pubkey_doc(
        ident.laptop_id,
        ident.current,
        name=prof.collaborator,
        unit_code=prof.unit_code or "",
        role=prof.role.value if prof.role else "",
        previous=previous,
    )


def _record_own_key(
    store: Store, ident: K.Identity, kp: K.KeyPair, previous: K.KeyPair | None = None
) -> None:
    prof = store.profile()
    env = K.make_pubkey_doc(
        ident.laptop_id,
        kp,
        name=prof.collaborator,
        unit_code=prof.unit_code or "",
        role=prof.role.value if prof.role else "",
        previous=previous,
    )
    with store.transaction():
        store.conn.execute(
            "INSERT INTO sync_keys(keyid, sign_pub, enc_pub, created_at, status, doc) VALUES (?, ?, ?, ?, 'active', ?) "
            "ON CONFLICT(keyid) DO NOTHING",
            (kp.keyid, kp.sign_pub, kp.enc_pub, kp.created_at, env.raw),
        )


def export_pubkey(store: Store, ident: K.Identity, out_dir: Path) -> Path:
    prof = store.profile()
    env = own_pubkey_doc(store, ident)
    name = f"khoa_{prof.unit_code or 'chua-thiet-lap'}_{ident.laptop_id[:8]}{K.PUBKEY_SUFFIX}"
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return C.write_atomic(out_dir / name, K.pubkey_file(env))


# --- registering others -------------------------------------------------------------------------------


def check_registration(store: Store, doc: K.PublicKeyDoc, unit_code: str, destination: bool) -> None:
    prof = store.profile()
    if doc.laptop_id == store.laptop_id:
        raise SyncError("own_key", "Đây là khóa của chính máy này, không cần đăng ký.")
    if units.unit(unit_code) is None:
        raise SyncError("bad_unit", f"Mã đơn vị «{unit_code}» không có trong danh mục.")
    if not destination and prof.unit_code and not units.contains(prof.unit_code, unit_code):
        raise SyncError(
            "out_of_scope",
            f"Máy thuộc {units.unit_name(unit_code) or unit_code}, không nằm trong "
            f"{units.unit_name(prof.unit_code) or prof.unit_code} nên không đăng ký ở đây được.",
        )


@dataclass(frozen=True)
class Standing:
    """How a public-key file stands against the registry, before anything is saved.

    ``kind``: 'new' (a machine not registered here), 'known' (this very key is registered),
    'endorsed' (a new key of a registered machine, signed over by one of its registered keys that is
    not revoked: an ordinary re-key), 'unendorsed' (a new key for a registered machine without such a
    signature: it may not replace the registered key, except through ``replace_lost_key``).
    ``current``: the machine's registered key this one would replace (endorsed and unendorsed)."""

    kind: str
    current: Peer | None = None


def standing(store: Store, doc: K.PublicKeyDoc) -> Standing:
    if peer(store, doc.keyid) is not None:
        return Standing("known", peer(store, doc.keyid))
    others = peers_of(store, doc.laptop_id)
    if not others:
        return Standing("new")
    current = next((p for p in reversed(others) if p.status == "active"), others[-1])
    endorser = doc.previous["keyid"] if doc.previous else None
    # the endorsement itself was verified when the file was read (keys.parse_pubkey_envelope): the
    # previous key signed the new keys, and its id is the id of that public key
    old = next((p for p in others if p.keyid == endorser), None)
    if old is not None and old.status != "revoked" and K.b64(old.sign_pub) == doc.previous["sign_pub"]:  # type: ignore[index]
        return Standing("endorsed", old)
    return Standing("unendorsed", current)


def not_endorsed(doc: K.PublicKeyDoc, current: Peer | None) -> SyncError:
    old = f" (dấu vân tay đã đăng ký: {current.fingerprint})" if current else ""
    return SyncError(
        "not_endorsed",
        f"Máy {shown(doc.name or doc.laptop_id)} (mã máy {shown(doc.laptop_id)}) đã được đăng ký với một khóa "
        f"khác{old}. Khóa trong tệp này không được khóa đã đăng ký xác nhận, nên không thể thay khóa đó: có "
        "thể ai đó đang giả làm máy này. Chưa đăng ký. Nếu máy thật sự mất khóa (cài lại, hỏng ổ đĩa), hãy "
        "đối chiếu dấu vân tay với người dùng máy rồi dùng «Thay khóa bị mất».",
    )


def register(
    store: Store,
    doc: K.PublicKeyDoc,
    *,
    unit_code: str | None = None,
    role: str | None = None,
    destination: bool = False,
) -> tuple[Peer, str]:
    """Register a machine's key. Returns the peer and what happened: 'new', 'rekey', 'known' or
    'destination'. A new key for a registered machine is taken only with a valid endorsement by one of
    its registered keys (raises SyncError 'not_endorsed' otherwise: see ``replace_lost_key``).

    Registering an office to send to also seals this laptop's data key to it (recovery through that
    office, app/sync/recovery.py)."""
    refuse_practice(store)
    result = _register(store, doc, unit_code=unit_code, role=role, destination=destination)
    if result[0].is_destination:
        from app.sync.recovery import refresh_office_wraps

        refresh_office_wraps(store)
    return result


def _register(
    store: Store,
    doc: K.PublicKeyDoc,
    *,
    unit_code: str | None,
    role: str | None,
    destination: bool,
) -> tuple[Peer, str]:
    unit_code = unit_code or doc.unit_code
    role = role or doc.role
    try:
        Role(role)
    except ValueError as exc:
        raise SyncError("bad_role", f"Vai trò «{shown(role)}» không hợp lệ.") from exc
    where = standing(store, doc)
    if where.kind == "known":
        known = where.current
        assert known is not None
        if destination and not known.is_destination:
            with store.transaction():
                store.conn.execute("UPDATE sync_peers SET is_destination = 1 WHERE keyid = ?", (doc.keyid,))
                _add_office(store, doc, unit_code, role)
            return peer(store, doc.keyid), "destination"  # type: ignore[return-value]
        return known, "known"
    if where.kind == "unendorsed":
        raise not_endorsed(doc, where.current)
    check_registration(store, doc, unit_code, destination)
    others = peers_of(store, doc.laptop_id)
    now = K.now_iso()
    with store.transaction():
        if where.kind == "endorsed":
            store.conn.execute(
                "UPDATE sync_peers SET status = 'superseded' WHERE laptop_id = ? AND status = 'active'",
                (doc.laptop_id,),
            )
            destination = destination or any(p.is_destination for p in others)
            _key_event(store.conn, doc, where.current, "endorsed", None, None, now, store.laptop_id)
        _insert_peer(store.conn, doc, unit_code, role, "active", None, now, None, destination)
        if destination:
            _add_office(store, doc, unit_code, role)
    return peer(store, doc.keyid), ("rekey" if where.kind == "endorsed" else "new")  # type: ignore[return-value]


def replace_lost_key(
    store: Store,
    doc: K.PublicKeyDoc,
    *,
    fingerprint: str,
    reason: str,
    by: str,
) -> tuple[Peer, Peer | None]:
    """«Thay khóa bị mất»: a registered machine lost its key (reinstalled, a dead disk) and comes with a
    new one its old key cannot endorse. A person has compared the new fingerprint with the machine's
    user (``fingerprint``, as read: it must match) and says why and who they are. The old keys are
    revoked (what they signed before stays valid; nothing after), the new key takes the machine's place
    (same machine id: its chain and history go on), and the replacement is logged and travels upward
    (the office above sees that this machine's key was replaced without an endorsement, by whom, when).
    Returns the new peer and the key it replaced."""
    reason, by = " ".join(reason.split()), " ".join(by.split())
    where = standing(store, doc)
    if where.kind in ("new", "known"):
        raise SyncError(
            "not_registered" if where.kind == "new" else "known",
            "Máy này chưa được đăng ký ở đây: hãy đăng ký bình thường."
            if where.kind == "new"
            else "Khóa này đã được đăng ký: không có gì để thay.",
        )
    if K.normalise_fingerprint(fingerprint) != doc.fingerprint:
        raise SyncError(
            "fingerprint_mismatch",
            "Dấu vân tay đã đọc không khớp với tệp khóa: KHÔNG thay khóa. Tệp có thể không phải của máy đó.",
        )
    if len(reason) < 10:
        raise SyncError("no_reason", "Hãy ghi rõ lý do thay khóa (ít nhất 10 ký tự): máy bị làm sao, ai báo.")
    if not by:
        raise SyncError("no_reason", "Hãy ghi họ tên người quyết định thay khóa.")
    old = where.current
    assert old is not None
    check_registration(store, doc, old.unit_code, old.is_destination)
    others = peers_of(store, doc.laptop_id)
    now = K.now_iso()
    with store.transaction() as conn:
        for p in others:
            if p.status != "revoked":
                conn.execute(
                    "UPDATE sync_peers SET status = 'revoked', revoked_after_seq = ?, revoked_at = ? WHERE keyid = ?",
                    (last_seq_from(store, doc.laptop_id), now, p.keyid),
                )
        _insert_peer(conn, doc, old.unit_code, old.role, "active", None, now, None, old.is_destination)
        _key_event(conn, doc, old, "replaced_lost", reason, by, now, store.laptop_id)
    return peer(store, doc.keyid), old  # type: ignore[return-value]


def _insert_peer(
    conn: sqlite3.Connection,
    doc: K.PublicKeyDoc,
    unit_code: str,
    role: str,
    status: str,
    revoked_after: int | None,
    now: str,
    via: str | None,
    destination: bool,
) -> None:
    conn.execute(
        f"INSERT INTO sync_peers({_PEER_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            doc.keyid,
            doc.laptop_id,
            doc.sign_pub,
            doc.enc_pub,
            doc.fingerprint,
            doc.name,
            unit_code,
            role,
            status,
            revoked_after,
            now,
            via,
            int(destination),
            doc.envelope.raw,
        ),
    )


def _key_event(
    conn: sqlite3.Connection,
    doc: K.PublicKeyDoc,
    old: Peer | None,
    kind: str,
    reason: str | None,
    by: str | None,
    at: str,
    office: str,
) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO sync_key_events(laptop_id, old_keyid, old_fingerprint, new_keyid, new_fingerprint, "
        "kind, reason, by_name, at, office) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            doc.laptop_id,
            old.keyid if old else None,
            old.fingerprint if old else None,
            doc.keyid,
            doc.fingerprint,
            kind,
            reason,
            by,
            at,
            office,
        ),
    )


@dataclass(frozen=True)
class KeyEvent:
    laptop_id: str
    name: str | None  # the machine's name, as registered
    unit_label: str
    old_fingerprint: str | None
    new_fingerprint: str
    kind: str  # 'endorsed' | 'replaced_lost'
    reason: str | None
    by_name: str | None
    at: str
    office: str  # where it was decided: this machine, or the office below that vouched for it
    office_name: str

    def lines(self) -> list[str]:
        """What happened, for a person: who, when, where, why (a replacement) in a few lines."""
        who = f"{shown(self.name or self.laptop_id)} ({self.unit_label}, mã máy {shown(self.laptop_id)})"
        when = _local_time(self.at)
        if self.kind == "endorsed":
            return [
                f"{who}: khóa mới {self.new_fingerprint}, được khóa cũ xác nhận ({when}, {self.office_name})."
            ]
        return [
            f"{who}: KHÓA ĐƯỢC THAY KHÔNG QUA XÁC NHẬN CỦA KHÓA CŨ (thay khóa bị mất) lúc {when}, "
            f"do {shown(self.by_name or 'không rõ', 80)} tại {self.office_name}.",
            f"Lý do: {shown(self.reason or 'không ghi', 300)}.",
            f"Khóa cũ {self.old_fingerprint or '?'} đã bị thu hồi; khóa mới {self.new_fingerprint}.",
        ]

    def describe(self) -> str:
        return " ".join(self.lines())


def _local_time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%d/%m/%Y %H:%M")
    except ValueError:
        return shown(iso, 30)


def key_events(store: Store, *, replaced_only: bool = False) -> list[KeyEvent]:
    """Key changes of the machines registered here or vouched for from below, newest first."""
    names: dict[str, tuple[str | None, str]] = {}
    for p in peers(store):
        names[p.laptop_id] = (p.name, p.unit_label)
    sql = "SELECT laptop_id, old_fingerprint, new_fingerprint, kind, reason, by_name, at, office FROM sync_key_events"
    if replaced_only:
        sql += " WHERE kind = 'replaced_lost'"
    out = []
    for laptop_id, old_fp, new_fp, kind, reason, by, at, office in store.conn.execute(
        sql + " ORDER BY at DESC, id DESC"
    ):
        name, unit = names.get(laptop_id, (None, "?"))
        if office == store.laptop_id:
            office_name = "máy này"
        else:
            office_name = (
                f"{shown(names.get(office, (office, ''))[0] or office)} ({names.get(office, (None, '?'))[1]})"
            )
        out.append(KeyEvent(laptop_id, name, unit, old_fp, new_fp, kind, reason, by, at, office, office_name))
    return out


def _add_office(store: Store, doc: K.PublicKeyDoc, unit_code: str, role: str) -> None:
    """The office above joins the configurable chain (table ``offices``)."""
    add_office(store.conn, doc.laptop_id, unit_code, role)


def add_office(conn: sqlite3.Connection, laptop_id: str, unit_code: str, role: str) -> None:
    """An office above this machine (its destination, or one above that a downward bundle named) in the
    configurable chain (table ``offices``), inside the caller's transaction."""
    name = units.unit_name(unit_code) or unit_code
    label = Role(role).label if role in {r.value for r in Role} else role
    conn.execute(
        "INSERT INTO offices(id, name, role, unit_code, parent_id, created_at) VALUES (?, ?, ?, ?, NULL, ?) "
        "ON CONFLICT(id) DO UPDATE SET name = excluded.name, role = excluded.role, unit_code = excluded.unit_code",
        (laptop_id, f"{label} {name}", role, unit_code, K.now_iso()),
    )


def is_above(store: Store, laptop_id: str) -> bool:
    """Whether a machine is one of the offices above this one (a destination, or an office above it that a
    downward bundle named: the chain of offices, table ``offices``)."""
    return (
        store.conn.execute("SELECT 1 FROM offices WHERE id = ? LIMIT 1", (laptop_id,)).fetchone() is not None
        or store.conn.execute(
            "SELECT 1 FROM sync_peers WHERE laptop_id = ? AND is_destination = 1 LIMIT 1", (laptop_id,)
        ).fetchone()
        is not None
    )


def last_seq_from(store: Store, laptop_id: str) -> int:
    row = store.conn.execute("SELECT max(seq) FROM sync_chains WHERE sender = ?", (laptop_id,)).fetchone()
    return row[0] or 0


def revoke(store: Store, laptop_id: str, after_seq: int | None = None) -> tuple[int, int]:
    """Revoke every key of a machine. Bundles up to ``after_seq`` (default: the last received) stay valid.

    Returns (keys revoked, the sequence kept up to)."""
    point = last_seq_from(store, laptop_id) if after_seq is None else after_seq
    with store.transaction():
        cur = store.conn.execute(
            "UPDATE sync_peers SET status = 'revoked', revoked_after_seq = ?, revoked_at = ? "
            "WHERE laptop_id = ? AND status != 'revoked'",
            (point, K.now_iso(), laptop_id),
        )
    return cur.rowcount, point


REPLACED_KEYS = {"at", "by", "office", "old_fingerprint", "reason"}


def vouch_entries(store: Store) -> list[dict[str, Any]]:
    """The machines below this one, for the office above (it trusts them within this office's unit). A key
    that replaced a lost one without its endorsement carries who replaced it, where, when and why."""
    replaced = {
        new_keyid: {
            "at": at,
            "by": by or "",
            "office": office,
            "old_fingerprint": old_fp or "",
            "reason": reason or "",
        }
        for new_keyid, at, by, office, old_fp, reason in store.conn.execute(
            "SELECT new_keyid, at, by_name, office, old_fingerprint, reason FROM sync_key_events "
            "WHERE kind = 'replaced_lost' ORDER BY id"
        )
    }
    out = []
    for p in peers(store, destinations=False):
        entry = {
            "doc": K.b64(p.doc),
            "unit_code": p.unit_code,
            "role": p.role,
            "status": p.status,
            "revoked_after_seq": p.revoked_after_seq,
        }
        if p.keyid in replaced:
            entry["replaced"] = replaced[p.keyid]
        out.append(entry)
    return out


def apply_vouch(
    conn: sqlite3.Connection, voucher: Peer, entry_doc: K.PublicKeyDoc, entry: dict[str, Any]
) -> None:
    """Inside an import transaction: register (or update) a machine the sending office vouches for. A new
    key of a machine known here is logged: endorsed by its old key, or replaced without (the office below
    says by whom and why; said or not, it is shown here)."""
    row = conn.execute(
        "SELECT status, registered_via FROM sync_peers WHERE keyid = ?", (entry_doc.keyid,)
    ).fetchone()
    if row is None:
        now = K.now_iso()
        before = conn.execute(
            "SELECT keyid, fingerprint, status, sign_pub FROM sync_peers WHERE laptop_id = ? ORDER BY registered_at",
            (entry_doc.laptop_id,),
        ).fetchall()
        if entry["status"] == "active":  # a new key of a machine this office vouched for before
            conn.execute(
                "UPDATE sync_peers SET status = 'superseded' WHERE laptop_id = ? AND status = 'active' "
                "AND registered_via = ?",
                (entry_doc.laptop_id, voucher.laptop_id),
            )
        _insert_peer(
            conn,
            entry_doc,
            entry["unit_code"],
            entry["role"],
            entry["status"],
            entry["revoked_after_seq"],
            now,
            voucher.laptop_id,
            False,
        )
        if before and entry["status"] == "active":
            prev = entry_doc.previous
            old = next(
                (b for b in before if prev and b[0] == prev["keyid"] and K.b64(b[3]) == prev["sign_pub"]),
                None,
            )
            said = entry.get("replaced")
            last = next((b for b in reversed(before) if b[2] != "revoked"), before[-1])
            if old is not None and said is None:
                kind, reason, by, at, office, old_fp = "endorsed", None, None, now, voucher.laptop_id, old[1]
            else:
                said = said or {}
                kind = "replaced_lost"
                reason = said.get("reason") or None
                by = said.get("by") or None
                at = said.get("at") or now
                office = said.get("office") or voucher.laptop_id
                old_fp = said.get("old_fingerprint") or last[1]
            conn.execute(
                "INSERT OR IGNORE INTO sync_key_events(laptop_id, old_keyid, old_fingerprint, new_keyid, "
                "new_fingerprint, kind, reason, by_name, at, office) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    entry_doc.laptop_id,
                    None,
                    old_fp,
                    entry_doc.keyid,
                    entry_doc.fingerprint,
                    kind,
                    reason,
                    by,
                    at,
                    office,
                ),
            )
    elif entry["status"] == "revoked" and row[0] != "revoked":
        conn.execute(
            "UPDATE sync_peers SET status = 'revoked', revoked_after_seq = ?, revoked_at = ? WHERE keyid = ?",
            (entry["revoked_after_seq"], K.now_iso(), entry_doc.keyid),
        )


def ensure_keys(
    store: Store, passphrase: str | None = None, data_dir: Path | None = None
) -> K.Identity | None:
    """Make this machine's keys unless a key file exists (returns the new identity, or None if it had one).

    For ``khaosat init`` and the first-run wizard: never asks for an existing key's passphrase.
    """
    refuse_practice(store)
    folder = data_dir or data_dir_of(store)
    if K.key_path(folder).exists():
        return None
    return setup_keys(store, passphrase, folder)
