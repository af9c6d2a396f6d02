"""Who this machine trusts: its own keys, the laptops registered with it, the office above it.

A peer is one key of one machine (``laptop_id``). Re-keying adds a key and marks the old one
``superseded`` (still good for what it signed before); revoking marks it ``revoked`` with the
last sequence number received from it: what it sent up to there is kept, the rest refused.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.domain import units
from app.domain.vocab import Role
from app.storage.store import Store
from app.sync import container as C
from app.sync import keys as K
from app.sync.errors import SyncError, shown


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
    """Make this machine's keys if it has none (``khaosat init`` and the first-run wizard call this)."""
    folder = data_dir or data_dir_of(store)
    existing = K.load_identity(folder, passphrase)
    if existing is not None:
        if existing.laptop_id != store.laptop_id:
            raise SyncError("wrong_keys", "Tệp khóa trong thư mục dữ liệu thuộc về một máy khác.")
        _record_own_key(store, existing, existing.current)
        return existing
    ident = K.Identity(store.laptop_id, K.KeyPair.generate())
    _record_own_key(store, ident, ident.current)
    K.save_identity(folder, ident, passphrase)
    return ident


def load_keys(store: Store, passphrase: str | None = None, data_dir: Path | None = None) -> K.Identity:
    ident = K.load_identity(data_dir or data_dir_of(store), passphrase)
    if ident is None:
        raise SyncError("no_keys", "Máy này chưa có khóa: hãy tạo khóa cho máy trước khi xuất hay nhập gói.")
    if ident.laptop_id != store.laptop_id:
        raise SyncError("wrong_keys", "Tệp khóa trong thư mục dữ liệu thuộc về một máy khác.")
    return ident


def rekey(
    store: Store, ident: K.Identity, passphrase: str | None = None, data_dir: Path | None = None
) -> K.Identity:
    """A new key pair endorsed by the old one; the old pair is kept (retired) to read old receipts."""
    new = K.KeyPair.generate()
    out = K.Identity(ident.laptop_id, new, [ident.current, *ident.retired])
    with store.transaction():
        store.conn.execute("UPDATE sync_keys SET status = 'retired' WHERE status = 'active'")
        _record_own_key(store, out, new, previous=ident.current)
    K.save_identity(data_dir or data_dir_of(store), out, passphrase)
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


def register(
    store: Store,
    doc: K.PublicKeyDoc,
    *,
    unit_code: str | None = None,
    role: str | None = None,
    destination: bool = False,
    via: str | None = None,
) -> tuple[Peer, str]:
    """Register a machine's key. Returns the peer and what happened: 'new', 'rekey' or 'known'."""
    unit_code = unit_code or doc.unit_code
    role = role or doc.role
    try:
        Role(role)
    except ValueError as exc:
        raise SyncError("bad_role", f"Vai trò «{role}» không hợp lệ.") from exc
    known = peer(store, doc.keyid)
    if via is None and known is None:
        check_registration(store, doc, unit_code, destination)
    if known is not None:
        if destination and not known.is_destination:
            with store.transaction():
                store.conn.execute("UPDATE sync_peers SET is_destination = 1 WHERE keyid = ?", (doc.keyid,))
                _add_office(store, doc, unit_code, role)
            return peer(store, doc.keyid), "destination"  # type: ignore[return-value]
        return known, "known"
    others = peers_of(store, doc.laptop_id)
    outcome = "new"
    with store.transaction():
        if others:
            outcome = "rekey"
            endorsed_by = doc.previous["keyid"] if doc.previous else None
            old = next((p for p in others if p.keyid == endorsed_by), None)
            if old is not None and old.status == "revoked" and via is not None:
                raise SyncError(
                    "revoked",
                    "Khóa cũ của máy này đã bị thu hồi; khóa mới phải được đăng ký lại "
                    "sau khi đối chiếu dấu vân tay (không nhận qua xác nhận của khóa cũ).",
                )
            store.conn.execute(
                "UPDATE sync_peers SET status = 'superseded' WHERE laptop_id = ? AND status = 'active'",
                (doc.laptop_id,),
            )
            destination = destination or any(p.is_destination for p in others)
        store.conn.execute(
            f"INSERT INTO sync_peers({_PEER_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', NULL, ?, ?, ?, ?)",
            (
                doc.keyid,
                doc.laptop_id,
                doc.sign_pub,
                doc.enc_pub,
                doc.fingerprint,
                doc.name,
                unit_code,
                role,
                K.now_iso(),
                via,
                int(destination),
                doc.envelope.raw,
            ),
        )
        if destination:
            _add_office(store, doc, unit_code, role)
    return peer(store, doc.keyid), outcome  # type: ignore[return-value]


def _add_office(store: Store, doc: K.PublicKeyDoc, unit_code: str, role: str) -> None:
    """The office above joins the configurable chain (table ``offices``)."""
    name = units.unit_name(unit_code) or unit_code
    label = Role(role).label if role in {r.value for r in Role} else role
    store.conn.execute(
        "INSERT INTO offices(id, name, role, unit_code, parent_id, created_at) VALUES (?, ?, ?, ?, NULL, ?) "
        "ON CONFLICT(id) DO UPDATE SET name = excluded.name, role = excluded.role, unit_code = excluded.unit_code",
        (doc.laptop_id, f"{label} {name}", role, unit_code, K.now_iso()),
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


def vouch_entries(store: Store) -> list[dict[str, Any]]:
    """The machines below this one, for the office above (it trusts them within this office's unit)."""
    out = []
    for p in peers(store, destinations=False):
        out.append(
            {
                "doc": K.b64(p.doc),
                "unit_code": p.unit_code,
                "role": p.role,
                "status": p.status,
                "revoked_after_seq": p.revoked_after_seq,
            }
        )
    return out


def apply_vouch(
    conn: sqlite3.Connection, voucher: Peer, entry_doc: K.PublicKeyDoc, entry: dict[str, Any]
) -> None:
    """Inside an import transaction: register (or update) a machine the sending office vouches for."""
    row = conn.execute(
        "SELECT status, registered_via FROM sync_peers WHERE keyid = ?", (entry_doc.keyid,)
    ).fetchone()
    if row is None:
        if entry["status"] == "active":  # a new key of a machine this office vouched for before
            conn.execute(
                "UPDATE sync_peers SET status = 'superseded' WHERE laptop_id = ? AND status = 'active' "
                "AND registered_via = ?",
                (entry_doc.laptop_id, voucher.laptop_id),
            )
        conn.execute(
            f"INSERT INTO sync_peers({_PEER_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
            (
                entry_doc.keyid,
                entry_doc.laptop_id,
                entry_doc.sign_pub,
                entry_doc.enc_pub,
                entry_doc.fingerprint,
                entry_doc.name,
                entry["unit_code"],
                entry["role"],
                entry["status"],
                entry["revoked_after_seq"],
                K.now_iso(),
                voucher.laptop_id,
                entry_doc.envelope.raw,
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
    folder = data_dir or data_dir_of(store)
    if K.key_path(folder).exists():
        return None
    return setup_keys(store, passphrase, folder)
