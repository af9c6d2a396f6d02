"""Importing downward bundles and their receipts (docs/sync-bundle.md, section 10).

A downward bundle comes from the office this machine exports to (its *destination*), signed by it with
the purpose *down*: a downward envelope can never be taken for an upward one, nor the reverse. Its
changes may have been made anywhere (the office vouches for them); each keeps the machine that made it
and its stamp, so the merge (``app/sync/merge.py``) and the conflict queue come out the same here and at
the office. Envelopes the office relays intact come from offices above it (named in the bundle's
``offices``), addressed to this machine or to a machine below it (kept to relay further down).

Everything is verified first (purpose, signature against the registered office key, addressing, unit,
chain, every value against the rules, every record inside this machine's unit); then one transaction
changes the database; then a receipt goes back up, saying which bundles were merged and up to which one
this machine holds everything (``held``): the office's next bundle builds on that one.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from app.domain import units
from app.domain.offices import LEVEL
from app.domain.records import RECORD_TYPES
from app.storage.store import Store
from app.sync import chains, newer
from app.sync import container as C
from app.sync import keys as K
from app.sync import registry as R
from app.sync.bulk import META, CreateSection, check_shape, check_values
from app.sync.bundles import (
    DOWN_RECEIPT,
    Group,
    ImportResult,
    ReceiptFile,
    Released,
    Verified,
    _created_ats,
    _now,
    _sender_doc,
    check_chain_fields,
    check_rules,
    check_total,
    log_merged,
    observe_stamps,
    place_envelope,
    place_in_chain,
)
from app.sync.checks import META_NAMES, record, where
from app.sync.errors import SyncError, shown
from app.sync.merge import MergeReport, merge
from app.sync.payload import (
    I_ENTITY,
    I_OP,
    I_RECORD,
    Incoming,
    bad,
    place_kind,
    validate_change,
)

DOWN_VERSION = 1
MAX_CHANGES = 2_000_000
MAX_OFFICES = 1_000
MAX_SECTIONS = 8_000
DOWN_KEYS = {
    "format",
    "version",
    "from",
    "to",
    "unit_code",
    "seq",
    "prev",
    "base",
    "created_at",
    "sender_key",
    "created",
    "changes",
    "relayed",
    "offices",
}
SECTION_KEYS = {"entity", "origin", "columns", "rows"}
OFFICE_KEYS = {"doc", "unit_code", "role", "status", "revoked_after_seq"}
RECEIPT_SUFFIX = ".khaosat-receipt"
OFFICE_ROLES = {r.value for r in LEVEL}


def _is_int(v: Any) -> bool:
    return type(v) is int


# --- the payload ---------------------------------------------------------------------------------------


def check_payload(p: Any) -> dict[str, Any]:
    """The members of a downward payload, their types and caps (raises SyncError)."""
    if not isinstance(p, dict) or p.get("format") != "khaosat-down":
        raise SyncError("bad_payload", "Nội dung gói đi xuống không đúng cấu trúc.")
    if _is_int(p.get("version")) and p["version"] > DOWN_VERSION:
        raise SyncError(
            "newer_format",
            f"Gói đi xuống theo định dạng {p['version']} của phiên bản KhaoSat mới hơn. Hãy cập nhật KhaoSat.",
        )
    if set(p) != DOWN_KEYS or p["version"] != DOWN_VERSION:
        raise SyncError("bad_payload", "Nội dung gói đi xuống thiếu hoặc thừa thông tin.")
    check_chain_fields(
        p,
        "gói đi xuống",
        ("from", "to", "unit_code", "created_at", "sender_key"),
        (
            ("created", MAX_SECTIONS),
            ("changes", MAX_CHANGES),
            ("relayed", C.MAX_ENVELOPES),
            ("offices", MAX_OFFICES),
        ),
    )
    if not _is_int(p["base"]) or not 0 <= p["base"] < p["seq"]:
        raise SyncError("bad_payload", "Nội dung gói đi xuống: số gói nền (base) không hợp lệ.")
    for sec in p["created"]:
        if (
            type(sec) is not dict
            or set(sec) != SECTION_KEYS
            or sec["entity"] not in RECORD_TYPES
            or not place_kind(sec["entity"])
            or type(sec["origin"]) is not str
            or not 0 < len(sec["origin"]) <= 100
        ):
            raise SyncError("bad_payload", "Nội dung gói đi xuống: một phần tạo mới không đúng cấu trúc.")
        if type(sec["rows"]) is not list:
            raise SyncError("bad_payload", "Nội dung gói đi xuống: các dòng tạo mới không phải danh sách.")
    check_total(p, "gói đi xuống")
    return p


def _locate(payload: Any, path: tuple[Any, ...]) -> str | None:
    """Where a path into a downward payload points, for a person."""

    def get(value: Any, *keys: Any) -> Any:
        for k in keys:
            try:
                value = value[k]
            except (KeyError, IndexError, TypeError):
                return None
        return value

    if len(path) >= 5 and path[0] == "created" and path[2] == "rows" and isinstance(path[4], int):
        sec = get(payload, "created", path[1])
        entity, rid, k = get(sec, "entity"), get(sec, "rows", path[3], META), path[4]
        if k < META:
            return f"{record(entity, rid)}, phần «{META_NAMES[k]}» của thay đổi"
        column = get(sec, "columns", k - META)
        return where(
            entity, rid if k > META else "?", column if k > META and isinstance(column, str) else None
        )
    if len(path) >= 3 and path[0] == "changes":
        change = get(payload, "changes", path[1])
        entity, rid = get(change, 6), get(change, 7)
        if len(path) >= 5 and path[2] == 9:
            return where(entity, rid, str(path[3]))
        return (
            f"{record(entity if path[2] != 6 else '?', rid if path[2] != 7 else '?')}, một phần của thay đổi"
        )
    return None


def _load(env: C.Envelope) -> dict[str, Any]:
    try:
        payload = C.strict_loads(env.payload, "nội dung gói đi xuống")
    except C.BadText as exc:
        place = _locate(exc.root, exc.path)
        if place is None:
            raise
        raise SyncError(
            "bad_text",
            f"Gói đi xuống có ký tự hỏng ở {place}: nửa cặp mã UTF-16 \\u{ord(exc.char):04x}, không phải chữ "
            "(tệp bị sửa hoặc được tạo sai). Không nhập gì cả.",
        ) from exc
    C.check_value(payload, what="nội dung gói đi xuống")
    return check_payload(payload)


def _destinations(store: Store) -> str:
    names = sorted({f"{p.display} ({p.unit_label})" for p in R.peers(store, destinations=True)})
    return ", ".join(names) or "chưa đăng ký cơ quan nào"


def verify(store: Store, env: C.Envelope, overlay: dict[str, R.Peer], *, outer: bool) -> Verified:
    """Purpose, payload, signer (an office above this machine: the destination itself for the file's
    first envelope), signature, revocation. Raises SyncError."""
    if env.type != C.TYPE_DOWN:
        what = "một gói đi lên" if env.type == C.TYPE_BUNDLE else "một biên nhận hay khóa công khai"
        raise SyncError(
            "wrong_purpose",
            f"Chữ ký trong tệp dành cho mục đích khác ({what}), không phải gói cơ quan cấp trên gửi xuống: "
            "không nhận.",
        )
    p = _load(env)
    doc = _sender_doc(p)
    peer = overlay.get(doc.keyid) or R.peer(store, doc.keyid)
    if peer is None:
        unit = units.unit_name(doc.unit_code) or shown(doc.unit_code, 20)
        raise SyncError(
            "unknown_sender",
            f"Gói đi xuống do một máy chưa đăng ký ở máy này ký: {shown(doc.name or 'không rõ tên')}, {unit}, "
            f"mã máy {shown(doc.laptop_id, 20)}, dấu vân tay {doc.fingerprint}. Máy này chỉ nhận gói đi xuống "
            f"của cơ quan nhận gói của mình ({_destinations(store)}) và các cơ quan cấp trên mà cơ quan đó báo. "
            "Không nhập gì cả.",
        )
    if peer.laptop_id != p["from"] or peer.sign_pub != doc.sign_pub:
        raise SyncError("bad_payload", "Mã máy trong gói đi xuống không khớp với máy đã đăng ký.")
    if not env.verify(peer.sign_pub):
        raise SyncError(
            "bad_signature",
            f"Chữ ký của gói đi xuống không đúng (máy {peer.display}): gói đã bị sửa đổi sau khi ký. "
            "Không nhập gì cả.",
        )
    above = peer.is_destination or doc.keyid in overlay or R.is_above(store, peer.laptop_id)
    if not above or peer.role not in OFFICE_ROLES:
        raise SyncError(
            "wrong_direction",
            f"Gói đi xuống do {peer.display} ({peer.role_label}, {peer.unit_label}) ký, nhưng máy đó không phải "
            f"cơ quan cấp trên của máy này (cơ quan nhận gói của máy này: {_destinations(store)}). Một máy ở "
            "dưới hay ngang cấp không gửi dữ liệu xuống. Không nhập gì cả.",
        )
    if outer and not peer.is_destination:
        raise SyncError(
            "not_destination",
            f"Gói đi xuống do {peer.display} ({peer.unit_label}) gửi thẳng cho máy này, nhưng máy này chỉ nhận "
            f"gói đi xuống qua cơ quan nhận gói của mình ({_destinations(store)}). Không nhập gì cả.",
        )
    if peer.status == "revoked" and p["seq"] > (peer.revoked_after_seq or 0):
        raise SyncError(
            "revoked",
            f"Khóa của {peer.display} ({peer.unit_label}) đã bị thu hồi sau gói số {peer.revoked_after_seq or 0}; "
            f"gói đi xuống số {p['seq']} không được nhận.",
        )
    return Verified(env, p, peer)


def changes_of(v: Verified, unit: str, eid: int | None = None) -> newer.SetAside:
    """A downward envelope's changes, checked (shape, kinds, sizes, clock stamps of their machines, the
    domain rules), ready for the merge with the downward scope rule for ``unit``."""
    p = v.payload
    h = v.env.hash
    incoming = []
    for c in p["changes"]:
        if type(c) is not list or len(c) != 10:
            raise bad("một thay đổi của gói đi xuống không đúng cấu trúc (cần 10 phần).")
        origin = c[3]
        if type(origin) is not str:
            raise bad("một thay đổi của gói đi xuống không ghi máy đã làm ra nó.")
        validate_change(c, origin)
        if c[I_OP] == "create":
            raise bad(
                f"bản ghi tạo mới {shown(c[I_RECORD], 40)} ({shown(c[I_ENTITY], 30)}) phải nằm trong phần «created»."
            )
        if not place_kind(c[I_ENTITY]):
            raise bad(f"loại bản ghi «{shown(c[I_ENTITY], 40)}» không đi xuống.")
        incoming.append(Incoming(c, h, unit, True))
    sections = []
    by_column = []
    for sec in p["created"]:
        check_shape(sec["entity"], sec["columns"], sec["rows"])
        section = CreateSection(
            sec["entity"], sec["columns"], sec["rows"], h, eid, sec["origin"], unit, down=True
        )
        by_column.append(check_values(section))
        section.checked = True
        sections.append(section)
    return check_rules(incoming, sections, by_column)


def _offices(
    store: Store, outer: Verified, my_unit: str
) -> tuple[dict[str, R.Peer], list[tuple[K.PublicKeyDoc, dict]]]:
    """The offices above the sender that its bundle names: trusted (as the sender's word) to sign the
    envelopes it relays down, each inside whose unit this machine lies."""
    overlay: dict[str, R.Peer] = {}
    entries = []
    now = _now()
    for entry in outer.payload["offices"]:
        if not isinstance(entry, dict) or set(entry) != OFFICE_KEYS:
            raise SyncError(
                "bad_payload", "Nội dung gói đi xuống: danh sách cơ quan cấp trên không đúng cấu trúc."
            )
        raw = K.unb64(entry["doc"], "offices.doc")
        env, pos = C.read_envelope(memoryview(raw), 0)
        if pos != len(raw):
            raise SyncError("damaged", "Khóa công khai của một cơ quan cấp trên trong gói bị hỏng.")
        doc = K.parse_pubkey_envelope(env)
        if (
            entry["role"] not in OFFICE_ROLES
            or entry["status"] not in ("active", "superseded", "revoked")
            or not isinstance(entry["unit_code"], str)
            or (entry["revoked_after_seq"] is not None and not _is_int(entry["revoked_after_seq"]))
        ):
            raise SyncError(
                "bad_payload",
                "Nội dung gói đi xuống: một cơ quan cấp trên có vai trò hoặc trạng thái không hợp lệ.",
            )
        if not units.contains(entry["unit_code"], my_unit):
            raise SyncError(
                "out_of_scope",
                f"Gói đi xuống giới thiệu cơ quan {shown(doc.name or doc.laptop_id)} của "
                f"{units.unit_name(entry['unit_code']) or shown(entry['unit_code'], 20)} làm cấp trên, nhưng máy "
                "này không thuộc đơn vị đó. Không nhập gì cả.",
            )
        if doc.laptop_id == store.laptop_id:
            continue
        entries.append((doc, entry))
        existing = R.peer(store, doc.keyid)
        if existing is None or (entry["status"] == "revoked" and existing.status != "revoked"):
            overlay[doc.keyid] = R.Peer(
                doc.keyid, doc.laptop_id, doc.sign_pub, doc.enc_pub, doc.fingerprint, doc.name,
                entry["unit_code"], entry["role"], entry["status"], entry["revoked_after_seq"], now,
                outer.peer.laptop_id, False, raw,
            )  # fmt: skip
    return overlay, entries


def _below_me(store: Store) -> dict[str, str]:
    """The machines below this one (registered with it, or vouched for by those): machine id -> unit."""
    out = {}
    for p in R.peers(store, destinations=False):
        if not R.is_above(store, p.laptop_id):
            out[p.laptop_id] = p.unit_code
    return out


def import_down(
    store: Store,
    ident: K.Identity,
    path: Path,
    envelopes: list[C.Envelope],
    write_receipt: bool,
    group: Group | None = None,
    packed: C.Packed | None = None,
) -> ImportResult:
    """Import a downward bundle (its envelopes decrypted). Raises SyncError, database unchanged.
    ``group``: the transaction of ``bundles.import_paths`` it is merged in; its receipt waits for it."""
    group = group or Group(immediate=True)
    me = store.laptop_id
    prof = store.profile()
    my_unit = prof.unit_code or ""
    now = _now()
    outer = verify(store, envelopes[0], {}, outer=True)
    p = outer.payload
    if p["to"] != me:
        raise SyncError(
            "not_addressed",
            "Gói đi xuống này không gửi cho máy này (nội dung ghi một máy nhận khác): có thể ai đó đã gói lại "
            "gói của máy khác. Không nhập gì cả.",
        )
    if p["unit_code"] != my_unit:
        raise SyncError(
            "wrong_unit",
            f"{outer.peer.display} đã đăng ký máy này cho {units.unit_name(p['unit_code']) or shown(p['unit_code'], 20)}, "
            f"nhưng máy này thiết lập cho {units.unit_name(my_unit) or shown(my_unit, 20)}. Không nhập gì cả; hãy "
            "báo cơ quan để đăng ký lại máy này cho đúng đơn vị.",
        )
    result = ImportResult(path, "bundle", "applied", outer.peer, p["seq"])
    result.direction = "down"
    again = (
        (
            lambda: _receipt(
                store, ident, outer.peer, [(p["seq"], outer.env.hash)], path.parent, result, group, again=True
            )
        )
        if write_receipt
        else None
    )
    relays = len(envelopes) > 1
    state = place_in_chain(store, outer, result, now, down=True, receipt_again=again, relays=relays)
    if state.kind in ("replay", "held") or (state.kind == "fork" and not relays):
        return result
    # a fork of the sender's own chain (its computer restored from a backup, say): its own envelope waits
    # for a person, but what it relays for machines below is still checked and kept now (as upward), and
    # its own forked envelopes for machines below wait with it and are released with it (``release``)
    set_aside = f"fork_{state.cause}" if state.kind == "fork" else None
    overlay, office_entries = _offices(store, outer, my_unit)
    relayed_envs = envelopes[1:]
    if [e.hash for e in relayed_envs] != p["relayed"]:
        raise SyncError(
            "tampered", "Các gói chuyển tiếp trong tệp không khớp danh sách đã ký: tệp đã bị sửa."
        )
    below = _below_me(store)
    mine: list[Verified] = []
    onward: list[Verified] = []
    relayed: list[Verified] = []  # mine and onward, in file order
    quarantine: list[tuple[Verified, str]] = []
    for e in relayed_envs:
        v = verify(store, e, overlay, outer=False)
        to = v.payload["to"]
        if to != me and to not in below:
            raise SyncError(
                "not_addressed",
                f"Gói đi xuống chuyển tiếp (của {v.peer.display}) gửi cho máy {shown(to, 20)}, không phải máy này "
                "hay một máy ở dưới máy này. Không nhập gì cả.",
            )
        unit = my_unit if to == me else below[to]
        if v.payload["unit_code"] != unit and to == me:
            raise SyncError(
                "wrong_unit",
                f"Gói chuyển tiếp của {v.peer.display} ghi đơn vị "
                f"{units.unit_name(v.payload['unit_code']) or shown(v.payload['unit_code'], 20)} cho máy này, "
                f"nhưng máy này thuộc {units.unit_name(my_unit) or my_unit}. Không nhập gì cả.",
            )
        if store.conn.execute("SELECT 1 FROM sync_envelopes WHERE hash = ?", (e.hash,)).fetchone():
            continue  # came already (another file): once is enough
        if chains.seen(store.conn, v.payload["from"], to, v.payload["seq"], e.hash):
            continue  # received before (or set aside here, waiting for a person)
        if v.payload["from"] == p["from"]:
            # the sender's own envelope for a machine below: a fork of its chain is the sender's (its
            # computer restored from a backup, say), and waits for a person here, like its own bundle
            st = chains.state(store.conn, v.payload["from"], to, v.payload["seq"], e.hash, v.payload["prev"])
            if st.kind == "fork":
                quarantine.append((v, f"fork_{st.cause}"))
                result.warnings.append(
                    chains.fork_message(st.cause, v.payload["seq"], v.peer.display, relayed=True, down=True)
                )
                continue
        # an envelope of an office further up: the sender relays only what it kept (placed on its chain, or
        # released by a person there), so a fork is not set aside again; its place on its chain (re-based
        # as the release did) is found while merging, in file order: chains.place_relayed
        (mine if to == me else onward).append(v)
        relayed.append(v)
    own = [] if set_aside else [outer]
    parts = {v.env.hash: changes_of(v, my_unit) for v in [*mine, *own]}
    for v in onward:
        changes_of(v, below[v.payload["to"]])  # checked here too; its addressee merges it
    incoming: list[Incoming] = []
    created: list[CreateSection] = []
    kept: list[newer.Kept] = []
    for v in [*mine, *own]:  # the original signers' envelopes first: their changes keep that custody
        part = parts[v.env.hash]
        incoming += part.incoming
        created += part.sections
        kept += part.kept
    group.changes += len(incoming) + sum(len(s.rows) for s in created)
    if set_aside:
        quarantine.insert(0, (outer, set_aside))
    with C.gc_paused():
        _apply(store, now, path, outer, office_entries, relayed, quarantine, incoming, created, kept, packed,
               result, set_aside=set_aside is not None)  # fmt: skip
    if set_aside:
        if result.relayed:
            result.warnings.append(
                f"{result.relayed} gói đi xuống chuyển tiếp trong tệp này (mỗi gói có chữ ký riêng) vẫn được "
                f"kiểm tra và giữ lại; chỉ gói của chính {outer.peer.display} chờ kiểm tra."
            )
        return result  # no receipt until a person released it
    if write_receipt:
        _receipt(store, ident, outer.peer, [(p["seq"], outer.env.hash)], path.parent, result, group)
    return result


def _apply(
    store: Store,
    now: str,
    path: Path,
    outer: Verified,
    office_entries: list[tuple[K.PublicKeyDoc, dict]],
    relayed: list[Verified],
    quarantine: list[tuple[Verified, str]],
    incoming: list[Incoming],
    created: list[CreateSection],
    kept: list[newer.Kept],
    packed: C.Packed | None,
    result: ImportResult,
    *,
    set_aside: bool = False,
) -> None:
    """One transaction (section 10, import step 9). ``set_aside``: the file's own envelope forks its
    chain and is in ``quarantine`` (not placed, not merged); the envelopes it relays are kept."""
    me = store.laptop_id
    p = outer.payload
    with store.transaction() as conn:
        if (
            not set_aside
            and conn.execute(
                "SELECT 1 FROM sync_chains WHERE sender = ? AND recipient = ? AND seq = ?",
                (p["from"], me, p["seq"]),
            ).fetchone()
        ):
            raise SyncError(
                "replay", f"Gói đi xuống số {p['seq']} vừa được nhập ở một cửa sổ khác: không nhập lại."
            )
        for doc, entry in office_entries:
            R.apply_vouch(conn, outer.peer, doc, entry)
            R.add_office(conn, doc.laptop_id, entry["unit_code"], entry["role"])
        blob = None
        if packed is not None and (relayed or not set_aside):
            blob = conn.execute("INSERT INTO sync_blobs(data) VALUES (?)", (packed.data,)).lastrowid
        eids: dict[str, int] = {}
        # relayed envelopes in file order (the order the sender kept them in: a released fork after the
        # bundles it forked from), so that one placed earlier in the same file counts
        for v in [*([] if set_aside else [outer]), *relayed]:
            vp = v.payload
            place_envelope(conn, store, v, outer, now, outer.peer.display, result.warnings, down=True)
            conn.execute(
                "INSERT OR REPLACE INTO sync_down_bases(hash, sender, recipient, seq, base) VALUES (?, ?, ?, ?, ?)",
                (v.env.hash, vp["from"], vp["to"], vp["seq"], vp["base"]),
            )
            where_ = packed.offsets.get(v.env.hash) if packed is not None else None
            eid = conn.execute(
                "INSERT INTO sync_envelopes(hash, signer, keyid, recipient, seq, relayed_by, received_at, data, "
                "blob_id, blob_offset, blob_length, created_at, direction) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "'down')",
                (
                    v.env.hash,
                    vp["from"],
                    v.peer.keyid,
                    vp["to"],
                    vp["seq"],
                    json.dumps([] if v is outer else [p["from"]]),
                    now,
                    b"" if where_ else v.env.raw,
                    blob if where_ else None,
                    where_[0] if where_ else None,
                    where_[1] if where_ else None,
                    vp["created_at"],
                ),
            ).lastrowid
            assert eid is not None
            eids[v.env.hash] = eid
        for sec in created:
            sec.eid = eids.get(sec.envelope)
        for v, reason in quarantine:
            conn.execute(
                "INSERT OR IGNORE INTO sync_quarantine(sender, recipient, seq, hash, reason, received_at, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (v.payload["from"], v.payload["to"], v.payload["seq"], v.env.hash, reason, now, v.env.raw),
            )
        newer.keep(conn, kept, now)
        report = merge(conn, incoming, now, created)
        store.note_changes(report.changes.summary())  # a write of records, as the upward merge says
        observe_stamps(store, report.max_hlc)
        result.report = report.checked()
        result.relayed = len(relayed)
        log_merged(conn, now, path, p, result, down=True, outcome="quarantined" if set_aside else "applied")


# --- receipts ------------------------------------------------------------------------------------------


def held_from(store: Store, sender: str) -> int:
    """The highest downward bundle from ``sender`` whose content this machine holds in full: it merged it,
    and it holds the bundle it builds on (0: none)."""
    rows = store.conn.execute(
        "SELECT c.seq, b.base FROM sync_chains c JOIN sync_down_bases b ON b.hash = c.hash "
        "WHERE c.sender = ? AND c.recipient = ?",
        (sender, store.laptop_id),
    ).fetchall()
    base_of = dict(rows)
    memo: dict[int, bool] = {0: True}

    def holds(s: int) -> bool:
        chain = []
        while s not in memo:
            if s not in base_of:
                memo[s] = False
                break
            chain.append(s)
            s = base_of[s]
        ok = memo[s]
        for x in chain:
            memo[x] = ok
        return ok

    return max((s for s in base_of if holds(s)), default=0)


def write_receipt_file(
    store: Store, ident: K.Identity, to: R.Peer, acks: list[tuple[int, str]], folder: Path
) -> Path:
    """A receipt for the office ``to`` (``make_receipt``), written now."""
    return make_receipt(store, ident, to, acks, folder).write(store)


def make_receipt(
    store: Store, ident: K.Identity, to: R.Peer, acks: list[tuple[int, str]], folder: Path
) -> ReceiptFile:
    """A receipt for the office ``to``: the downward bundles merged, up to which one this machine holds
    everything, and where its chain from the office stands when the office seems not to know; read from
    the database as it is now, written by the caller."""
    me = store.laptop_id
    prof = store.profile()
    payload: dict[str, Any] = {
        "format": "khaosat-down-receipt",
        "version": 1,
        "from": me,
        "to": to.laptop_id,
        "acks": [{"seq": s, "hash": h} for s, h in sorted(set(acks))],
        "held": held_from(store, to.laptop_id),
        "created_at": _now(),
    }
    high, head = chains.high_and_head(store.conn, to.laptop_id, me)
    if head is not None and (high, head) != max(acks):
        payload["chain"] = {"seq": high, "head": head}
    env = C.sign_envelope(C.TYPE_DOWN_RECEIPT, C.dumps(payload), ident.current.keyid, ident.current.sign)
    data = C.seal(C.KIND_RECEIPT, to.keyid, to.enc_pub, [env], compress=False)
    name = (
        f"bien-nhan-xuong_{prof.unit_code}_{datetime.now().strftime('%Y%m%d')}_{max(acks)[0]:05d}_"
        f"{me[:8]}_cho_{to.laptop_id[:8]}{RECEIPT_SUFFIX}"
    )
    return ReceiptFile(Path(folder) / name, data)


def _receipt(
    store: Store,
    ident: K.Identity,
    to: R.Peer,
    acks: list[tuple[int, str]],
    folder: Path,
    result: ImportResult,
    group: Group,
    *,
    again: bool = False,
) -> None:
    """The receipt, made now and written once the group has committed (``Group.receipt``)."""
    made = make_receipt(store, ident, to, acks, folder)
    group.receipt(store, result, made, "Đã ghi lại biên nhận cho cơ quan." if again else None)


def import_receipt(store: Store, path: Path, envelopes: list[C.Envelope]) -> ImportResult:
    """A receipt from a machine below for the downward bundles this office sent it."""
    p, peer = DOWN_RECEIPT.open(store, envelopes)
    if peer.is_destination or R.is_above(store, peer.laptop_id):
        raise SyncError(
            "wrong_direction",
            f"Biên nhận gói đi xuống do {peer.display} ({peer.role_label}, {peer.unit_label}) ký, nhưng máy đó là "
            "cơ quan cấp trên của máy này: cơ quan cấp trên không nhận gói đi xuống của máy này. Không nhận.",
        )
    result = ImportResult(path, "receipt", "receipt", peer)
    result.direction = "down"
    conn = store.conn
    now = _now()
    a = DOWN_RECEIPT.acks(store, peer, p, now)
    top = max(ack["seq"] for ack in p["acks"])
    state = conn.execute(
        "SELECT held, acked_high FROM sync_down_held WHERE recipient = ?", (peer.laptop_id,)
    ).fetchone()
    new_held = None
    if state is None or top >= state[1]:
        if state is None or (p["held"], top) != (state[0], state[1]):
            new_held = (peer.laptop_id, p["held"], top, now)
        if state is not None and p["held"] < state[0]:
            result.warnings.append(
                f"{peer.display} báo chỉ còn giữ đến gói đi xuống số {p['held']} (trước đây là {state[0]}): có thể máy "
                "đó đã được khôi phục từ bản sao lưu. Gói đi xuống sau sẽ gửi lại những gì máy đó thiếu."
            )
    if a.resume is not None:
        result.warnings.append(
            f"{peer.display} đã nhận đến gói đi xuống số {a.resume[1]} của cơ quan này, trong khi cơ quan chỉ nhớ "
            f"đến số {a.last}: có thể máy của cơ quan đã được khôi phục từ bản sao lưu. Gói đi xuống sau sẽ mang số "
            f"{a.resume[1] + 1}."
        )
    if a.unknown:
        numbers = ", ".join(map(str, sorted(set(a.unknown))[:10]))
        result.warnings.append(
            f"Biên nhận xác nhận gói đi xuống số {numbers} mà cơ quan này không còn ghi nhận (hoặc ghi khác nội "
            "dung): có thể máy của cơ quan đã được khôi phục từ bản sao lưu."
        )
    if not a.updates and a.resume is None and new_held is None:
        result.outcome = "already" if not a.unknown else "receipt"
        return result
    with store.transaction() as c:
        DOWN_RECEIPT.write(c, a)
        if new_held is not None:
            c.execute(
                "INSERT OR REPLACE INTO sync_down_held(recipient, held, acked_high, at) VALUES (?, ?, ?, ?)",
                new_held,
            )
    result.report.applied = len(a.updates)
    result.seq = max((u[2] for u in a.updates), default=None)
    return result


# --- quarantine ------------------------------------------------------------------------------------------


def release(
    store: Store, quarantine_id: int, data: bytes, *, ident: K.Identity | None, receipt_to: Path | None
) -> Released:
    """Merge a downward bundle set aside as a fork (the office's computer restored from a backup, say), after
    a person checked it; re-base the chain on it when it is not older than those it collided with. One
    addressed to a machine below this one (relayed here) is not merged here: it is kept, on its chain, to
    relay further down, where the machine below follows this release (``chains.place_relayed``). A file's
    own envelope is released with its signer's envelopes for machines below that the file carried and
    that were set aside with it (forks of their chains too): one release, so that the office's next file,
    whose envelopes build on them, is not set aside again."""
    conn = store.conn
    me = store.laptop_id
    below = _below_me(store)

    def addressed(v: Verified) -> None:
        to = v.payload["to"]
        if to != me and to not in below:
            raise SyncError(
                "not_addressed",
                f"Gói đi xuống này gửi cho máy {shown(to, 20)}, không phải máy này hay một máy ở dưới máy này.",
            )

    first = verify(store, C.read_envelope(memoryview(data), 0)[0], {}, outer=False)
    addressed(first)
    p = first.payload
    released = [(quarantine_id, first)]
    if p["to"] == me and p["relayed"]:
        listed = set(p["relayed"])
        waiting = [
            (qid, raw)
            for qid, h, raw in conn.execute(
                "SELECT id, hash, data FROM sync_quarantine WHERE sender = ? AND id != ? "
                "AND released_at IS NULL AND reason != 'released' ORDER BY id",
                (p["from"], quarantine_id),
            ).fetchall()
            if h in listed
        ]
        for qid, raw in waiting:
            try:
                v = verify(store, C.read_envelope(memoryview(raw), 0)[0], {}, outer=False)
                addressed(v)
            except SyncError:
                continue  # (its key was revoked since, say): it stays set aside
            released.append((qid, v))
    now = _now()
    report = MergeReport()
    rebased: list[bool] = []
    high = 0
    with store.transaction():
        for qid, v in released:
            vp = v.payload
            to = vp["to"]
            mine = to == me
            hashes = [h for _, h, _, _ in chains.displaced(conn, vp["from"], to, vp["seq"], v.env.hash)]
            rebase = chains.is_newer(vp["created_at"], _created_ats(store, hashes))
            eid = conn.execute(
                "INSERT OR IGNORE INTO sync_envelopes(hash, signer, keyid, recipient, seq, relayed_by, received_at, "
                "data, created_at, direction) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'down')",
                (v.env.hash, vp["from"], v.peer.keyid, to, vp["seq"], "[]" if mine else json.dumps([vp["from"]]),
                 now, v.env.raw, vp["created_at"]),
            ).lastrowid  # fmt: skip
            parts = changes_of(v, (store.profile().unit_code or "") if mine else below[to], eid)
            part = MergeReport()  # one for a machine below: checked above; its addressee merges it
            if mine:
                newer.keep(conn, parts.kept, now)
                part = merge(conn, parts.incoming, now, parts.sections).checked()
                store.note_changes(part.changes.summary())
                report = part
            conn.execute(
                "INSERT OR REPLACE INTO sync_down_bases(hash, sender, recipient, seq, base) VALUES (?, ?, ?, ?, ?)",
                (v.env.hash, vp["from"], to, vp["seq"], vp["base"]),
            )
            if rebase:
                reached = chains.rebase(conn, vp["from"], to, vp["seq"], v.env.hash, vp["prev"], now)
                if v is first:
                    high = reached
            rebased.append(rebase)
            conn.execute(
                "UPDATE sync_quarantine SET released_at = ?, receipt_sent = 0 WHERE id = ?", (now, qid)
            )
            conn.execute(
                "INSERT INTO sync_imports(at, file_name, outcome, report) VALUES (?, ?, ?, ?)",
                (now, f"cách ly số {qid}", "released",
                 json.dumps({"direction": "down", "sender": vp["from"], "seq": vp["seq"], "new": part.new,
                             "updated": part.updated, "conflicts": part.conflicts, "rebased": rebase})),
            )  # fmt: skip
            observe_stamps(store, part.max_hlc)
    out = Released(report, [(qid, v.payload["seq"]) for qid, v in released], first.peer, rebased[0], high)
    if receipt_to is not None and ident is not None and p["to"] == me:
        out.receipt = write_receipt_file(store, ident, first.peer, [(p["seq"], first.env.hash)], receipt_to)
    return out
