"""Export, import, receipts and relay.

Export writes one bundle per destination office: this machine's own changes the office has not
confirmed, plus every envelope received from below that it has not confirmed (relayed intact), signed
and encrypted to the office. Import verifies everything first (framing, decryption, signatures
against the registry, addressing, revocation, sequence and hash chain, scope) and only then changes
the database. The files of a stick are merged in groups, one transaction per group and a savepoint per
file (``import_paths``); the receipts go back the other way, written once their group has committed.
"""

from __future__ import annotations

import contextlib
import gc
import json
import re
import sqlite3
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.domain import units
from app.domain.records import RECORD_TYPES
from app.domain.vocab import Role
from app.storage import kept_creations
from app.storage.changes import ChangeSummary, SharedIds
from app.storage.clock import HybridClock
from app.storage.driver import dbapi
from app.storage.failures import FULL, database_message, sqlite_cause
from app.storage.store import Store
from app.storage.writer import record_columns
from app.sync import chains, checks, newer, recovery, rules
from app.sync import container as C
from app.sync import keys as K
from app.sync import registry as R
from app.sync.bulk import CreateSection, check_shape, check_values
from app.sync.errors import SyncError, os_message, refuse_practice, shown
from app.sync.merge import merge, own_conflicts
from app.sync.payload import (
    I_ENTITY,
    I_FIELDS,
    I_HLC,
    I_ID,
    I_OP,
    I_RECORD,
    Incoming,
    MergeReport,
    check_upward,
    validate_change,
)

BUNDLE_SUFFIX = ".khaosat"
RECEIPT_SUFFIX = ".khaosat-receipt"
MAX_CHANGES = 2_000_000
# The page cache while a province-sized bundle is merged, and while a batch of bundles is imported
# (import_paths): kept from the first bundle of a stick to the last, the index pages one bundle read
# (each one decrypted on the encrypted file) are still there for the next (docs/performance.md).
IMPORT_CACHE_KIB = 262_144
BIG_BUNDLE = 5_000  # changes and creations from which a bundle gets that cache on its own
# A stick's files are merged in groups, one transaction each (import_paths): a group closes once the changes
# and creations merged in it reach this many (or at the last file). Each commit rewrites every page the
# group dirtied in the indexes keyed in random order (thousands at a province), so fewer commits write
# them fewer times. Measured at 100,000 enterprises in 40 bundles (560,849 changes): bytes written 1,966 MB
# with a commit per bundle, 1,137 MB in groups of 150,000 (4 commits; the WAL 156 MB at most), 1,107 MB of
# 200,000 (214 MB): the bound keeps a group's WAL a few hundred MB at 500,000, where the indexes are larger.
GROUP_CHANGES = 150_000
MAX_VOUCHED = 20_000
BUNDLE_VERSION = (
    3  # version 3 adds the records of the office (assignments, office settings) and quality levels
)
# the entities of payload version 2: a bundle carrying only these is written as version 2, which an office
# that has not upgraded yet still reads
V2_ENTITIES = frozenset({"enterprises", "visits", "organisations", "admissions", "targets"})


def upward_entities() -> list[str]:
    """The record types that travel upward (``Record.UPWARD``), in the order of ``RECORD_TYPES``."""
    return [e for e, cls in RECORD_TYPES.items() if cls.UPWARD]


def _entity_list(entities: list[str]) -> str:
    return ", ".join(f"'{e}'" for e in entities)


BUNDLE_KEYS = {
    "format",
    "version",
    "from",
    "to",
    "seq",
    "prev",
    "created_at",
    "sender_key",
    "created",
    "changes",
    "relayed",
    "vouched",
}
SECTION_KEYS = {"entity", "columns", "rows"}
VOUCH_KEYS = {"doc", "unit_code", "role", "status", "revoked_after_seq"}
RECEIPT_KEYS = {"format", "version", "from", "to", "acks", "created_at"}


_ENC = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _is_int(v: Any) -> bool:
    return type(v) is int


# --- export -------------------------------------------------------------------------------------------


@dataclass
class ExportResult:
    path: Path
    recipient: R.Peer
    seq: int
    changes: int
    envelopes: int
    hash: str
    recovery_log: Path | None = None  # recoveries this office made or received, for the office above


@dataclass
class ExportPreview:
    recipient: R.Peer
    changes: int
    envelopes: int
    by_entity: dict[str, int]
    next_seq: int
    resent: int = 0  # changes already in an earlier bundle that no receipt has confirmed yet


def _watermarks(store: Store, recipient: str) -> tuple[int, int]:
    row = store.conn.execute(
        "SELECT coalesce(max(max_change_seq), 0), coalesce(max(max_envelope_id), 0) FROM sync_exports "
        "WHERE recipient = ? AND acked_at IS NOT NULL",
        (recipient,),
    ).fetchone()
    return row[0], row[1]


def destinations(store: Store, office: str | None = None) -> list[R.Peer]:
    refuse_practice(store)
    out = [p for p in R.peers(store, destinations=True) if p.status == "active"]
    if office:
        out = [p for p in out if p.laptop_id.startswith(office) or p.keyid.startswith(office)]
    if not out:
        if office:
            raise SyncError("no_destination", f"Không có cơ quan nhận nào khớp «{office}».")
        raise SyncError(
            "no_destination",
            "Chưa đăng ký cơ quan nhận (cơ quan cấp trên): hãy đăng ký tệp khóa công khai của cơ quan, "
            "sau khi đối chiếu dấu vân tay với giấy đăng ký của cơ quan.",
        )
    return out


def preview(store: Store, office: str | None = None) -> list[ExportPreview]:
    """What the next export will send to each destination (for the GUI and ``export --dry-run``)."""
    out = []
    me = store.laptop_id
    upward = set(upward_entities())
    for dest in destinations(store, office):
        wm_c, wm_e = _watermarks(store, dest.laptop_id)
        by_entity = dict(
            store.conn.execute(
                "SELECT entity, count(*) FROM changes WHERE origin = ? AND seq > ? "
                f"AND entity IN ({_entity_list(upward_entities())}) GROUP BY entity",
                (me, wm_c),
            ).fetchall()
        )
        # (an office registered after they were kept)
        kept = [k for k in kept_creations.own_since(store.conn, wm_c) if k["entity"] in upward]
        for k in kept:
            by_entity[k["entity"]] = by_entity.get(k["entity"], 0) + 1
        envs = store.conn.execute(
            f"SELECT count(*) FROM sync_envelopes WHERE eid > ? AND signer != ? AND direction = 'up' AND {KEPT}",
            (wm_e, dest.laptop_id),
        ).fetchone()[0]
        last = store.conn.execute(
            "SELECT seq, hash FROM sync_exports WHERE recipient = ? ORDER BY seq DESC LIMIT 1",
            (dest.laptop_id,),
        ).fetchone()
        sent = store.conn.execute(
            "SELECT coalesce(max(max_change_seq), 0) FROM sync_exports WHERE recipient = ?", (dest.laptop_id,)
        ).fetchone()[0]
        seq = _next_on_chain(store, dest.laptop_id, last)[0] - 1
        resent = store.conn.execute(
            "SELECT count(*) FROM changes WHERE origin = ? AND seq > ? AND seq <= ? "
            f"AND entity IN ({_entity_list(upward_entities())})",
            (me, wm_c, sent),
        ).fetchone()[0] + sum(1 for k in kept if k["seq"] <= sent)
        out.append(ExportPreview(dest, sum(by_entity.values()), envs, by_entity, seq + 1, resent))
    return out


def _next_on_chain(store: Store, recipient: str, last: tuple[int, str] | None) -> tuple[int, str | None]:
    """Sequence and previous hash of the next bundle to ``recipient``: after the last one this machine
    wrote, or above what the office has received when a receipt told it more (a restored machine)."""
    seq, prev = (last[0] + 1, last[1]) if last else (1, None)
    told = store.conn.execute(
        "SELECT seq, prev FROM sync_resume WHERE recipient = ?", (recipient,)
    ).fetchone()
    if told is not None and told[0] > seq - 1:
        seq, prev = told[0] + 1, told[1]
    return seq, prev


def export(
    store: Store, ident: K.Identity, out_dir: Path, *, office: str | None = None, today: str | None = None
) -> list[ExportResult]:
    refuse_practice(store)
    prof = store.profile()
    if not prof.initialised:
        raise SyncError("not_initialised", "Máy chưa được thiết lập (đơn vị, họ tên, vai trò).")
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise SyncError("no_folder", f"Không tìm thấy thư mục «{out_dir}» (USB đã cắm chưa?).")
    me = store.laptop_id
    upward = set(upward_entities())
    sender_key = K.b64(R.own_pubkey_doc(store, ident).raw)
    vouched = R.vouch_entries(store) if prof.role != Role.COLLABORATOR else []
    date = today or datetime.now().strftime("%Y%m%d")
    results = []
    with store.transaction():  # the conflicts others will find in what this machine sends, listed here too
        own_conflicts(store.conn, _now())
    for dest in destinations(store, office):
        wm_c, wm_e = _watermarks(store, dest.laptop_id)
        rows = store.conn.execute(
            "SELECT seq, change_id, txn, hlc, author, wall_time, entity, record_id, op, fields FROM changes "
            f"WHERE origin = ? AND seq > ? AND entity IN ({_entity_list(upward_entities())}) ORDER BY seq",
            (me, wm_c),
        ).fetchall()
        # own creations kept on their records that this office has not confirmed (it was registered after
        # they were kept): the same rows, in their place (app/storage/kept_creations.py)
        kept = [k for k in kept_creations.own_since(store.conn, wm_c) if k["entity"] in upward]
        if kept:
            cols = (
                "seq",
                "change_id",
                "txn",
                "hlc",
                "author",
                "wall_time",
                "entity",
                "record_id",
                "op",
                "fields",
            )
            rows = sorted([*rows, *(tuple(k[c] for c in cols) for k in kept)], key=lambda r: r[0])
        created, changes = _payload_changes(rows)
        _check_before_sending(created, changes)
        max_seq = rows[-1][0] if rows else wm_c
        envs = store.conn.execute(
            f"SELECT eid, hash FROM sync_envelopes WHERE eid > ? AND signer != ? AND direction = 'up' AND {KEPT} "
            "ORDER BY eid",
            (wm_e, dest.laptop_id),
        ).fetchall()
        max_eid = envs[-1][0] if envs else wm_e
        last = store.conn.execute(
            "SELECT seq, hash FROM sync_exports WHERE recipient = ? ORDER BY seq DESC LIMIT 1",
            (dest.laptop_id,),
        ).fetchone()
        seq, prev = _next_on_chain(store, dest.laptop_id, last)
        newer_entities = {s["entity"] for s in created} | {c[5] for c in changes}
        payload = {
            "format": "khaosat-bundle",
            "version": BUNDLE_VERSION if newer_entities - V2_ENTITIES else 2,
            "from": me,
            "to": dest.laptop_id,
            "seq": seq,
            "prev": prev,
            "created_at": _now(),
            "sender_key": sender_key,
            "created": created,
            "changes": changes,
            "relayed": [e[1] for e in envs],
            "vouched": vouched,
        }
        with C.gc_paused():
            text = C.dumps(payload)
        del created, changes
        env = C.sign_envelope(C.TYPE_BUNDLE, text, ident.current.keyid, ident.current.sign)
        relayed = stored_envelopes(store, [e[0] for e in envs])
        data = C.seal(C.KIND_BUNDLE, dest.keyid, dest.enc_pub, [env, *relayed])
        name = f"goi_{prof.unit_code}_{date}_{seq:05d}_{me[:8]}_den_{dest.unit_code}{BUNDLE_SUFFIX}"
        path = out_dir / name
        with store.transaction():
            store.conn.execute(
                "INSERT INTO sync_exports(recipient, seq, hash, prev, created_at, max_change_seq, max_envelope_id, "
                "changes, envelopes, file_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    dest.laptop_id,
                    seq,
                    env.hash,
                    payload["prev"],
                    payload["created_at"],
                    max_seq,
                    max_eid,
                    len(rows),
                    len(envs),
                    name,
                ),
            )
            C.write_atomic(path, data)  # a failure here rolls the row back: the sequence is reused
        log = recovery.write_log_file(store, ident, dest, out_dir, prof.unit_code or "")
        results.append(ExportResult(path, dest, seq, len(rows), len(envs), env.hash, log))
    return results


def _check_before_sending(created: list[dict[str, Any]], changes: list[list[Any]]) -> None:
    """The office checks every value against the domain rules and refuses the whole bundle for one it
    refuses: say so here, where the record can be corrected, instead of sending a bundle to be refused."""
    try:
        rules.check_envelope(
            rules.final_values(
                ((s["entity"], s["columns"], s["rows"]) for s in created),
                ((c[0], c[2], c[5], c[6], c[7], c[8]) for c in changes),
            )
        )
    except rules.RuleError as exc:
        raise SyncError(
            "rule_export",
            f"Chưa xuất gói: {checks.where(exc.entity, exc.record_id, exc.field)} có giá trị cơ quan sẽ không "
            f"nhận. {shown(exc.rule, 2000)} Hãy sửa bản ghi này rồi xuất lại (mọi thay đổi khác vẫn được giữ để gửi).",
        ) from exc


def _payload_changes(rows: list[tuple]) -> tuple[list[dict[str, Any]], list[list[Any]]]:
    """Change-log rows (seq, change_id, txn, hlc, author, wall_time, entity, record_id, op, fields) as the
    payload's ``created`` sections (one per entity: columns, then a row per creation) and ``changes``."""
    by_entity: dict[str, list[list[Any]]] = {}
    changes: list[list[Any]] = []
    none = (None, None)
    loads = json.loads
    with C.gc_paused():
        for _seq, cid, txn, hlc, author, wall, entity, rid, op, fields in rows:
            if op == "create":
                f = loads(fields)
                by_entity.setdefault(entity, []).append(
                    [
                        cid,
                        txn,
                        hlc,
                        author,
                        wall,
                        rid,
                        *[f.get(c, none)[1] for c in record_columns(entity)[1:]],
                    ]
                )
            else:
                changes.append([cid, txn, hlc, author, wall, entity, rid, op, loads(fields)])
    created = [
        {"entity": e, "columns": record_columns(e), "rows": by_entity[e]}
        for e in RECORD_TYPES
        if e in by_entity
    ]
    return created, changes


# the envelopes whose bytes are kept (a province office records the others without them: keeps_envelopes)
KEPT = "(blob_id IS NOT NULL OR length(data) > 0)"


def stored_envelopes(store: Store, eids: list[int]) -> list[C.Envelope]:
    """Envelopes kept for relaying, exactly as they arrived (a kept file is inflated once)."""
    out = []
    blobs: dict[int, bytes] = {}
    for eid in eids:
        data, blob, offset, length = store.conn.execute(
            "SELECT data, blob_id, blob_offset, blob_length FROM sync_envelopes WHERE eid = ?", (eid,)
        ).fetchone()
        if blob is None and not data:
            raise SyncError(
                "not_kept",
                "Máy này là cơ quan cấp tỉnh nên không giữ lại các gói đã nhận để chuyển tiếp lên trên.",
            )
        if blob is not None:
            if blob not in blobs:
                blobs.clear()
                packed = store.conn.execute("SELECT data FROM sync_blobs WHERE id = ?", (blob,)).fetchone()[0]
                blobs[blob] = zlib.decompress(packed)
            data = blobs[blob][offset : offset + length]
        out.append(C.read_envelope(memoryview(data), 0)[0])
    return out


# --- verifying ------------------------------------------------------------------------------------------


@dataclass
class Verified:
    env: C.Envelope
    payload: dict[str, Any]
    peer: R.Peer


def _unknown_sender(doc: K.PublicKeyDoc) -> SyncError:
    unit = units.unit_name(doc.unit_code) or doc.unit_code
    return SyncError(
        "unknown_sender",
        (
            f"Máy gửi chưa được đăng ký ở cơ quan này: {shown(doc.name or 'không rõ tên')}, {unit}, mã máy {doc.laptop_id}, "
            f"dấu vân tay {doc.fingerprint}. Nếu đúng máy của đơn vị, hãy đăng ký tệp khóa công khai của máy đó "
            "(đối chiếu dấu vân tay trên giấy) rồi nhập lại."
        ),
    )


def _check_bundle_payload(p: Any) -> dict[str, Any]:
    if not isinstance(p, dict):
        raise SyncError("bad_payload", "Nội dung gói không đúng cấu trúc.")
    if p.get("format") != "khaosat-bundle":
        raise SyncError("bad_payload", "Nội dung gói không phải gói dữ liệu KhaoSat.")
    if _is_int(p.get("version")) and p["version"] > BUNDLE_VERSION:
        raise SyncError(
            "newer_format",
            f"Gói dữ liệu theo định dạng {p['version']} của phiên bản KhaoSat mới hơn. Hãy cập nhật KhaoSat.",
        )
    if _is_int(p.get("version")) and p["version"] < 2:
        raise SyncError(
            "older_format",
            f"Gói dữ liệu theo định dạng {p['version']} của một bản thử nghiệm KhaoSat "
            "trước đây, không còn được hỗ trợ. Hãy xuất lại bằng KhaoSat mới.",
        )
    if set(p) != BUNDLE_KEYS or p["version"] not in (2, BUNDLE_VERSION):
        raise SyncError("bad_payload", "Nội dung gói thiếu hoặc thừa thông tin.")
    check_chain_fields(
        p,
        "gói",
        ("from", "to", "created_at", "sender_key"),
        (
            ("created", len(RECORD_TYPES) * 4),
            ("changes", MAX_CHANGES),
            ("relayed", C.MAX_ENVELOPES),
            ("vouched", MAX_VOUCHED),
        ),
    )
    entities = RECORD_TYPES if p["version"] == BUNDLE_VERSION else V2_ENTITIES
    _newer_entities(p)
    for sec in p["created"]:
        if type(sec) is not dict or set(sec) != SECTION_KEYS or sec["entity"] not in entities:
            raise SyncError("bad_payload", "Nội dung gói: một phần tạo mới không đúng cấu trúc.")
        if type(sec["rows"]) is not list:
            raise SyncError("bad_payload", "Nội dung gói: các dòng tạo mới không phải danh sách.")
    check_total(p, "gói")
    return p


def check_chain_fields(
    p: dict[str, Any], what: str, texts: tuple[str, ...], lists: tuple[tuple[str, int], ...]
) -> None:
    """The members a bundle has whichever way it goes (``what``: "gói", "gói đi xuống", in messages):
    these texts (names, not empty), its number and the one before it on the chain, these lists with
    their caps, the envelopes it relays (each once). Raises SyncError."""
    for k in texts:
        if not isinstance(p[k], str) or not p[k] or (k != "sender_key" and len(p[k]) > 100):
            raise SyncError("bad_payload", f"Nội dung {what}: trường {k} không hợp lệ.")
    if not _is_int(p["seq"]) or not 1 <= p["seq"] <= 2**53:
        raise SyncError("bad_payload", f"Nội dung {what}: số thứ tự không hợp lệ.")
    if p["prev"] is not None and (not isinstance(p["prev"], str) or len(p["prev"]) != 64):
        raise SyncError("bad_payload", f"Nội dung {what}: mã gói trước không hợp lệ.")
    for k, cap in lists:
        if not isinstance(p[k], list):
            raise SyncError("bad_payload", f"Nội dung {what}: {k} không phải danh sách.")
        if len(p[k]) > cap:
            raise SyncError(
                "too_many",
                f"{what.capitalize()} khai báo quá nhiều phần tử ({C._n(len(p[k]))} {k}; tối đa {C._n(cap)}).",
            )
    if not all(isinstance(h, str) and len(h) == 64 for h in p["relayed"]) or len(set(p["relayed"])) != len(
        p["relayed"]
    ):
        raise SyncError(
            "bad_payload", f"Nội dung {what}: danh sách gói chuyển tiếp không hợp lệ (hoặc có gói lặp lại)."
        )


def check_total(p: dict[str, Any], what: str) -> None:
    """Not more changes in all than a bundle may carry, new records included (``what``: as above)."""
    total = len(p["changes"]) + sum(len(sec["rows"]) for sec in p["created"])
    if total > MAX_CHANGES:
        raise SyncError(
            "too_many",
            f"{what.capitalize()} khai báo quá nhiều thay đổi ({C._n(total)}; tối đa {C._n(MAX_CHANGES)}).",
        )


_ENTITY_NAME = re.compile(r"[a-z][a-z_]{0,62}")


def _newer_entities(p: dict[str, Any]) -> None:
    """A record type this version does not know, named like one, comes from a newer version (which adds an
    entity only once every office above has it: docs/sync-bundle.md, "Versions")."""
    # only a section of the right shape names a record type (a bare {"entity": "x"} is a bad payload)
    names = {
        sec["entity"]
        for sec in p["created"]
        if type(sec) is dict and set(sec) == SECTION_KEYS and type(sec["rows"]) is list
    }
    names |= {c[5] for c in p["changes"] if type(c) is list and len(c) == 9}
    for name in sorted(n for n in names if type(n) is str and n not in RECORD_TYPES):
        if _ENTITY_NAME.fullmatch(name):
            raise SyncError(
                "newer_format",
                f"Gói dữ liệu có loại bản ghi «{name}» mà phiên bản KhaoSat này chưa biết (do phiên bản mới "
                "hơn tạo). Hãy cập nhật KhaoSat rồi nhập lại gói.",
            )


def changes_of(v: Verified, eid: int | None = None) -> newer.SetAside:
    """A verified bundle's changes, checked (schema, kinds, sizes, origin, the domain rules): edits for the
    general path, creations as sections, and the values of columns this version does not know, set aside
    (``app/sync/newer.py``)."""
    p = v.payload
    signer, unit, h = v.peer.laptop_id, v.peer.unit_code, v.env.hash
    role, version = v.peer.role, p["version"]
    incoming = []
    for c in p["changes"]:
        if type(c) is not list or len(c) != 9:
            raise SyncError(
                "bad_payload",
                "Gói dữ liệu có thay đổi không hợp lệ: một thay đổi không đúng cấu trúc (cần 9 phần).",
            )
        change = [*c[:3], signer, *c[3:]]
        validate_change(change, signer)
        if change[I_OP] == "create":
            raise SyncError(
                "bad_payload",
                "Gói dữ liệu có thay đổi không hợp lệ: bản ghi tạo mới "
                f"{shown(change[I_RECORD], 40)} ({change[I_ENTITY]}) phải nằm trong phần «created».",
            )
        check_upward(change[I_ENTITY], change[I_RECORD], signer, role, version)
        incoming.append(Incoming(change, h, unit))
    sections = []
    by_column: list[tuple[list[tuple[Any, ...]], dict[int, set[type]]]] = []
    for sec in p["created"]:
        check_shape(sec["entity"], sec["columns"], sec["rows"])
        # who may send it (an office's settings: each record is its owner's; otherwise the kind decides)
        per_record = RECORD_TYPES[sec["entity"]].APPLIES_BELOW
        for row in sec["rows"] if per_record else sec["rows"][:1]:
            check_upward(sec["entity"], row[5], signer, role, version)
        section = CreateSection(sec["entity"], sec["columns"], sec["rows"], h, eid, signer, unit)
        by_column.append(check_values(section))  # kinds and sizes first: the rules take them for granted
        section.checked = True
        sections.append(section)
    return check_rules(incoming, sections, by_column)


def check_rules(
    incoming: list[Incoming], sections: list[CreateSection], by_column: list[Any]
) -> newer.SetAside:
    """An envelope's changes and new records (their kinds and sizes checked: ``by_column``, what
    ``check_values`` found of each section) against the domain rules, on the values each field ends with in
    the envelope (app/sync/rules.py); then the columns of a newer version set aside. Both ways alike."""
    # no garbage collection meanwhile: the payload's millions of objects would be walked for nothing
    with C.gc_paused():
        rules.check_envelope(
            rules.final_values(
                ((s.entity, s.columns, s.rows, *cols) for s, cols in zip(sections, by_column)),
                (
                    (c[I_ID], c[I_HLC], c[I_ENTITY], c[I_RECORD], c[I_OP], c[I_FIELDS])
                    for c in (i.change for i in incoming)
                ),
            )
        )
    return newer.set_aside(incoming, sections)


def _sender_doc(p: dict[str, Any]) -> K.PublicKeyDoc:
    raw = K.unb64(p["sender_key"], "sender_key")
    env, pos = C.read_envelope(memoryview(raw), 0)
    if pos != len(raw):
        raise SyncError("damaged", "Khóa công khai của máy gửi trong gói bị hỏng.")
    doc = K.parse_pubkey_envelope(env)
    if doc.laptop_id != p["from"]:
        raise SyncError("bad_payload", "Khóa công khai trong gói không thuộc máy gửi.")
    return doc


def verify_bundle(store: Store, env: C.Envelope, overlay: dict[str, R.Peer]) -> Verified:
    if env.type != C.TYPE_BUNDLE:
        raise SyncError(
            "wrong_purpose",
            "Chữ ký trong tệp dành cho mục đích khác (không phải gói dữ liệu, ví dụ một "
            "biên nhận hay khóa công khai): không nhận.",
        )
    try:
        payload = C.strict_loads(env.payload, "nội dung gói")
    except C.BadText as exc:
        place = checks.locate(exc.root, exc.path)
        if place is None:
            raise
        raise SyncError(
            "bad_text",
            f"Gói dữ liệu có ký tự hỏng ở {place}: nửa cặp mã UTF-16 \\u{ord(exc.char):04x}, không phải chữ "
            "(tệp bị sửa hoặc được tạo sai). Không nhập gì cả.",
        ) from exc
    p = _check_bundle_payload(payload)
    doc = _sender_doc(p)
    peer = overlay.get(doc.keyid) or R.peer(store, doc.keyid)
    if peer is None:
        raise _unknown_sender(doc)
    if peer.laptop_id != p["from"] or peer.sign_pub != doc.sign_pub:
        raise SyncError("bad_payload", "Mã máy trong gói không khớp với máy đã đăng ký.")
    if not env.verify(peer.sign_pub):
        raise SyncError(
            "bad_signature",
            f"Chữ ký của gói không đúng (máy {peer.display}): gói đã bị "
            "sửa đổi sau khi ký. Không nhập gì cả.",
        )
    if peer.role == Role.COLLABORATOR.value and (p["relayed"] or p["vouched"]):
        raise SyncError(
            "bad_payload", "Máy cộng tác viên không được chuyển tiếp gói hay giới thiệu máy khác."
        )
    if peer.is_destination or R.is_above(store, peer.laptop_id):
        raise SyncError(
            "wrong_direction",
            f"Gói đi lên này do {peer.display} ({peer.role_label}, {peer.unit_label}) ký: đó là cơ quan cấp trên "
            "của máy này, không phải một máy ở dưới gửi lên. Không nhập gì cả.",
        )
    if peer.status == "revoked" and p["seq"] > (peer.revoked_after_seq or 0):
        raise SyncError(
            "revoked",
            f"Máy {peer.display} ({peer.unit_label}) đã bị thu hồi sau gói số "
            f"{peer.revoked_after_seq or 0}; gói số {p['seq']} không được nhận.",
        )
    return Verified(env, p, peer)


# --- import ---------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    path: Path
    kind: str  # 'bundle' | 'receipt'
    # 'applied' | 'quarantined' | 'receipt' | 'refused' | 'already' (imported before: the receipt is
    # written again, nothing else changes) | 'own' (this machine's own outgoing bundle) | 'not_mine'
    outcome: str
    sender: R.Peer | None = None
    seq: int | None = None
    report: MergeReport = field(default_factory=MergeReport)
    warnings: list[str] = field(default_factory=list)
    receipt: Path | None = None
    relayed: int = 0
    error: SyncError | None = None
    direction: str = "up"  # 'down': a downward bundle from the office above, or its receipt at the office

    @property
    def changes(self) -> ChangeSummary:
        """What importing this file created, changed and deleted (nothing for a receipt or a refusal)."""
        return self.report.changes.summary()

    def summary(self) -> str:
        name = shown(self.path.name, 80)
        if self.outcome in ("not_mine", "own"):
            return f"{name}: bỏ qua. " + " ".join(self.warnings)
        if self.error is not None:
            return f"{name}: KHÔNG NHẬP. {self.error.message}"
        who = f"{self.sender.display} ({self.sender.unit_label})" if self.sender else ""
        notes = (" " + " ".join(self.warnings)) if self.warnings else ""
        if self.kind == "recovery_log":
            return f"{name}: nhật ký khôi phục: " + " ".join(self.warnings)
        if self.kind == "receipt" and self.direction == "down":
            if self.outcome == "already":
                return f"{name}: biên nhận gói đi xuống của {who} đã được nhập trước đây: không có gì mới.{notes}"
            return f"{name}: biên nhận gói đi xuống của {who}: {self.report.applied} gói đã được xác nhận.{notes}"
        if self.direction == "down":
            if self.outcome == "already":
                return f"{name}: gói đi xuống số {self.seq} của {who} đã được nhập trước đây: không nhập lại.{notes}"
            if self.outcome == "quarantined":
                return f"{name}: gói đi xuống số {self.seq} của {who} bị CÁCH LY, không gộp.{notes}"
            r = self.report
            text = (
                f"{name}: gói đi xuống số {self.seq} của {who}: {r.new} bản ghi mới, {r.updated} bản ghi cập nhật, "
                f"{r.unchanged} thay đổi đã có, {r.conflicts} xung đột"
            )
            if r.pending:
                text += f", {r.pending} chờ bản ghi cha"
            if self.relayed:
                text += f"; {self.relayed} gói của cơ quan cấp trên chuyển tiếp"
            return text + "." + notes
        if self.kind == "receipt":
            if self.outcome == "already":
                return f"{name}: biên nhận của {who} đã được nhập trước đây: không có gì mới.{notes}"
            return f"{name}: biên nhận của {who}: {self.report.applied} gói đã được xác nhận.{notes}"
        if self.outcome == "already":
            return f"{name}: gói số {self.seq} của {who} đã được nhập trước đây: không nhập lại.{notes}"
        if self.outcome == "quarantined":
            return f"{name}: gói số {self.seq} của {who} bị CÁCH LY, không gộp.{notes}"
        r = self.report
        text = (
            f"{name}: gói số {self.seq} của {who}: {r.new} bản ghi mới, {r.updated} bản ghi cập nhật, "
            f"{r.unchanged} thay đổi đã có, {r.conflicts} xung đột, {r.pending} chờ bản ghi cha, "
            f"{r.duplicates} nghi trùng mã số thuế"
        )
        if r.to_check:
            text += f"; {r.to_check} giá trị cần kiểm tra (Đồng bộ ▸ Dữ liệu cần kiểm tra)"
        if self.relayed:
            text += f"; {self.relayed} gói chuyển tiếp"
        return text + "." + notes


@dataclass
class ReceiptFile:
    """A receipt made (its content read from the database, signed and sealed) and not written yet."""

    path: Path
    data: bytes
    owed: list[int] = field(default_factory=list)  # bundles released from quarantine that it confirms

    def write(self, store: Store) -> Path:
        """Written to a temporary name, flushed and renamed; the released bundles it confirms are then
        marked as confirmed (their own transaction)."""
        path = C.write_atomic(self.path, self.data)
        if self.owed:
            with store.transaction():
                store.conn.executemany(
                    "UPDATE sync_quarantine SET receipt_sent = 1 WHERE id = ?", [(i,) for i in self.owed]
                )
        return path


@dataclass
class Group:
    """Files merged in one transaction (``import_paths``: each file in its own savepoint inside it), and
    what waits for its COMMIT. A receipt promises its sender that the bundle is on this machine's disk,
    so none is written before the group has committed: a crash or a full disk before then loses the whole
    group and leaves no receipt, and the senders send again (docs/sync-bundle.md, section 6).
    ``immediate``: one file on its own (``import_file``), whose receipt follows its own transaction."""

    immediate: bool = False
    changes: int = 0  # changes and creations merged in the group so far
    kept: bool = False  # a file of the group was imported (its savepoint released, not rolled back)
    receipts: list[tuple[ImportResult, ReceiptFile, str | None]] = field(default_factory=list)

    def receipt(self, store: Store, result: ImportResult, made: ReceiptFile, note: str | None = None) -> None:
        """``made`` is written for ``result`` once the group has committed (``note``: said when it is)."""
        if self.immediate:
            _put_receipt(store, result, made, note)
        else:
            self.receipts.append((result, made, note))

    def write_receipts(self, store: Store) -> None:
        """After the COMMIT: every receipt of the group, in file order."""
        for result, made, note in self.receipts:
            _put_receipt(store, result, made, note)
        self.receipts.clear()


def _put_receipt(store: Store, result: ImportResult, made: ReceiptFile, note: str | None) -> None:
    try:
        result.receipt = made.write(store)
        if note:
            result.warnings.append(note)
    except OSError as exc:
        result.warnings.append(
            f"Chưa ghi được biên nhận. {os_message(exc)} Hãy nhập lại gói để ghi biên nhận."
        )


def _is_office(store: Store) -> bool:
    """Whether this machine is an office (a collaborator's laptop, or one without a role yet, is not)."""
    role = store.profile().role
    return role is not None and role != Role.COLLABORATOR


def keeps_envelopes(store: Store) -> bool:
    """Whether this machine keeps the bytes of the envelopes it receives, to relay them upward: every
    machine but a province office, which has no office above it (docs/sync-bundle.md, section 5, "Relay").
    It still records each envelope (hash, signer, chain, custody, ``created_at``) without its bytes."""
    return store.profile().role != Role.PROVINCE_OFFICE


def import_file(
    store: Store, ident: K.Identity, path: Path, *, write_receipt: bool = True, group: Group | None = None
) -> ImportResult:
    """Import one bundle or receipt. Raises SyncError (the database unchanged) when it is refused.

    ``group``: the open transaction of ``import_paths`` the file is merged in (inside its own savepoint),
    its receipt written after the group commits; without it the file is merged in its own transaction and
    its receipt written right after."""
    # No garbage collection from reading the file to the end of its merge: its payload is millions of
    # objects, all freed with it (nothing in it is cyclic), and each collection meanwhile walked them all
    # with the GIL held: the window stopped for up to 600 ms at a time while a province-sized bundle was
    # parsed and checked (bench/bench_sync.py --gui). Once they are freed, the next collection is small.
    with C.gc_paused():
        return _import_file(store, ident, path, write_receipt, group or Group(immediate=True))


def _import_file(
    store: Store, ident: K.Identity, path: Path, write_receipt: bool, group: Group
) -> ImportResult:
    refuse_practice(store)
    path = Path(path)
    data = C.read_capped(path)
    fr = C.parse_frame(data)
    if fr.kind == C.KIND_PUBKEY:
        raise SyncError(
            "wrong_kind",
            "Đây là tệp khóa công khai của một máy, không phải gói dữ liệu: hãy đăng ký máy đó từ tệp này.",
        )
    if fr.kind in (C.KIND_RECOVERY_REQUEST, C.KIND_RECOVERY_UNLOCK):
        raise SyncError(
            "wrong_kind",
            f"Đây là {C.KIND_NAMES[fr.kind]}: hãy dùng mục «Khôi phục mật khẩu» (không phải nhập gói dữ liệu).",
        )
    envelopes, packed = C.open_sealed_packed(fr, ident.decryption_keys(), office=_is_office(store))
    if fr.kind == C.KIND_RECOVERY_LOG:
        got = recovery.import_log(store, envelopes, path.name)
        note = f"{got.new} lần khôi phục mật khẩu mới, {got.known} đã có"
        if got.unverified:
            note += f", {got.unverified} của cơ quan chưa đăng ký (không giữ)"
        return ImportResult(path, "recovery_log", "applied", warnings=[note + "."])
    if envelopes[0].type in (C.TYPE_DOWN, C.TYPE_DOWN_RECEIPT):  # from the office above, or back from below
        from app.sync import down

        if fr.kind == C.KIND_RECEIPT:
            if envelopes[0].type != C.TYPE_DOWN_RECEIPT:
                raise SyncError(
                    "wrong_purpose", "Biên nhận chứa một gói đi xuống, không phải biên nhận: không nhận."
                )
            return down.import_receipt(store, path, envelopes)
        return down.import_down(store, ident, path, envelopes, write_receipt, group, packed)
    if fr.kind == C.KIND_RECEIPT:
        return _import_receipt(store, path, envelopes)
    return _import_bundle(store, ident, path, envelopes, write_receipt, group, packed)


def observe_stamps(store: Store, max_hlc: str | None) -> None:
    """After a merge (inside its transaction): this machine's clock moves past the latest stamp received,
    so its next change comes after every change it holds."""
    if max_hlc:
        clock = HybridClock(store.laptop_id, store.meta("hlc_last"))
        clock.observe(max_hlc)
        store._set_meta("hlc_last", str(clock.last))
        store._clock = None


def log_merged(
    conn: sqlite3.Connection,
    now: str,
    path: Path,
    p: dict[str, Any],
    result: ImportResult,
    *,
    down: bool = False,
    outcome: str = "applied",
) -> None:
    """The import of a bundle merged (``outcome``: or its relayed envelopes merged, its own set aside), in
    the import log (inside the merge's transaction)."""
    r = result.report
    details: dict[str, Any] = {"direction": "down"} if down else {}
    details.update(sender=p["from"], seq=p["seq"], new=r.new, updated=r.updated, unchanged=r.unchanged,
                   conflicts=r.conflicts, pending=r.pending, duplicates=r.duplicates)  # fmt: skip
    if not down:
        details["to_check"] = r.to_check
    details.update(relayed=result.relayed, warnings=result.warnings)
    conn.execute(
        "INSERT INTO sync_imports(at, file_name, outcome, report) VALUES (?, ?, ?, ?)",
        (now, shown(path.name, 255), outcome, json.dumps(details, ensure_ascii=False)),
    )


def place_in_chain(
    store: Store,
    outer: Verified,
    result: ImportResult,
    now: str,
    *,
    down: bool = False,
    receipt_again: Callable[[], None] | None = None,
    relays: bool = False,
) -> chains.State:
    """Where a bundle (``down``: a downward one) stands on its sender's chain to this machine, dealt with
    the same way both ways (docs/sync-bundle.md, sections 6 and 10): merged before (``replay``: outcome
    "already", its receipt written again by ``receipt_again``), set aside before (``held``) or now as a fork
    (``fork``: kept in the quarantine, outcome "quarantined"), after a bundle that never came (``gap``:
    merged, with a warning), or next (``new``). The bundle is merged unless the state is one of the first
    three. ``relays``: a file that relays envelopes (for or of machines below its sender); a fork's own
    envelope is then set aside by the caller, in the transaction that merges the others."""
    p = outer.payload
    me = store.laptop_id
    state = chains.state(store.conn, p["from"], me, p["seq"], outer.env.hash, p["prev"])
    what = "Gói đi xuống" if down else "Gói"
    if state.kind == "replay":
        # merged before: its receipt may have been lost (a full stick); write it again, change nothing else
        result.outcome = "already"
        if receipt_again is not None:
            receipt_again()
    elif state.kind == "held":
        result.outcome = "quarantined"
        result.warnings.append(f"{what} này đã bị cách ly từ lần nhập trước; đang chờ người kiểm tra.")
    elif state.kind == "fork":
        if not relays:
            with store.transaction():
                store.conn.execute(
                    "INSERT OR IGNORE INTO sync_quarantine(sender, recipient, seq, hash, reason, received_at, "
                    "data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (p["from"], me, p["seq"], outer.env.hash, f"fork_{state.cause}", now, outer.env.raw),
                )
        result.outcome = "quarantined"
        result.warnings.append(chains.fork_message(state.cause, p["seq"], outer.peer.display, down=down))
    elif state.kind == "gap" and down:
        result.warnings.append(
            f"Còn thiếu gói đi xuống trước số {p['seq']} của {outer.peer.display}; những gì có trong gói này vẫn "
            "được nhập."
        )
    elif state.kind == "gap":
        result.warnings.append(
            f"Còn thiếu gói trước số {p['seq']} của máy này; những gì có trong gói này vẫn được "
            "nhập (mỗi gói chứa mọi thay đổi chưa được xác nhận)."
        )
    return state


def place_envelope(
    conn: sqlite3.Connection,
    store: Store,
    v: Verified,
    outer: Verified,
    now: str,
    office: str,
    warnings: list[str],
    *,
    down: bool = False,
) -> None:
    """Put an envelope of the file being imported (``down``: a downward one) on its chain, inside the merge's
    transaction, in file order, so that one placed earlier in the same file counts: the file's own
    (``outer``, whose place ``place_in_chain`` found) next on the chain; one relayed from below through
    ``chains.place_relayed``, the chain re-based on it when it is not older than the bundles it collides
    with. A relayed fork is told in ``warnings`` (``office``: the office that released it)."""
    vp = v.payload
    if v is outer:
        conn.execute(
            "INSERT INTO sync_chains(sender, recipient, seq, hash, prev, received_at) VALUES (?, ?, ?, ?, ?, ?)",
            (vp["from"], vp["to"], vp["seq"], v.env.hash, vp["prev"], now),
        )
        return
    at = vp["created_at"]
    placed = chains.place_relayed(
        conn, vp["from"], vp["to"], vp["seq"], v.env.hash, vp["prev"], now,
        lambda hashes: chains.is_newer(at, _created_ats(store, hashes)),
    )  # fmt: skip
    if placed != "chain":
        warnings.append(chains.released_below_message(placed, vp["seq"], v.peer.display, office, down=down))


def _import_bundle(
    store: Store,
    ident: K.Identity,
    path: Path,
    envelopes: list[C.Envelope],
    write_receipt: bool,
    group: Group,
    packed: C.Packed | None = None,
) -> ImportResult:
    me = store.laptop_id
    now = _now()
    outer = verify_bundle(store, envelopes[0], {})
    p = outer.payload
    if p["to"] != me:
        raise SyncError(
            "not_addressed",
            f"Gói này không gửi cho {'cơ quan' if _is_office(store) else 'máy'} này (nội dung ghi một nơi nhận "
            "khác): có thể ai đó đã gói lại gói của người khác. Không nhập gì cả.",
        )
    result = ImportResult(path, "bundle", "applied", outer.peer, p["seq"])
    again = (lambda: _receipt_again(store, ident, outer, path, result, group)) if write_receipt else None
    relays = len(envelopes) > 1
    state = place_in_chain(store, outer, result, now, receipt_again=again, relays=relays)
    if state.kind in ("replay", "held") or (state.kind == "fork" and not relays):
        return result
    # a fork: the sender's own changes wait for a person. An office restored from a backup (or cloned)
    # still relays what the machines below it signed: those envelopes are verified and merged on their own
    # (their chains, their signers), now; a release later merges the office's own changes only, and its
    # receipt confirms the whole file
    set_aside = f"fork_{state.cause}" if state.kind == "fork" else None
    # offices vouch for the machines below them, within their own unit
    overlay: dict[str, R.Peer] = {}
    vouches: list[tuple[K.PublicKeyDoc, dict]] = []
    for entry in p["vouched"]:
        if not isinstance(entry, dict) or not VOUCH_KEYS <= set(entry) <= VOUCH_KEYS | {"replaced"}:
            raise SyncError("bad_payload", "Nội dung gói: danh sách máy được giới thiệu không đúng cấu trúc.")
        said = entry.get("replaced")
        if said is not None and (
            not isinstance(said, dict)
            or set(said) != R.REPLACED_KEYS
            or not all(isinstance(v, str) and len(v) <= 2000 for v in said.values())
        ):
            raise SyncError(
                "bad_payload",
                "Nội dung gói: thông tin thay khóa của một máy được giới thiệu không đúng cấu trúc.",
            )
        raw = K.unb64(entry["doc"], "vouched.doc")
        doc = K.parse_pubkey_envelope(C.read_envelope(memoryview(raw), 0)[0])
        if not isinstance(entry["unit_code"], str) or not units.contains(
            outer.peer.unit_code, entry["unit_code"]
        ):
            raise SyncError(
                "out_of_scope",
                f"Gói giới thiệu máy {doc.laptop_id} thuộc đơn vị ngoài phạm vi của "
                f"{outer.peer.unit_label}. Không nhập gì cả.",
            )
        if entry["status"] not in ("active", "superseded", "revoked") or entry["role"] not in {
            r.value for r in Role
        }:
            raise SyncError(
                "bad_payload", "Nội dung gói: máy được giới thiệu có trạng thái hoặc vai trò không hợp lệ."
            )
        if entry["revoked_after_seq"] is not None and not _is_int(entry["revoked_after_seq"]):
            raise SyncError("bad_payload", "Nội dung gói: điểm thu hồi không hợp lệ.")
        if doc.laptop_id == me:
            continue
        vouches.append((doc, entry))
        existing = R.peer(store, doc.keyid)
        if existing is None or (entry["status"] == "revoked" and existing.status != "revoked"):
            overlay[doc.keyid] = R.Peer(
                doc.keyid,
                doc.laptop_id,
                doc.sign_pub,
                doc.enc_pub,
                doc.fingerprint,
                doc.name,
                entry["unit_code"],
                entry["role"],
                entry["status"],
                entry["revoked_after_seq"],
                now,
                outer.peer.laptop_id,
                False,
                raw,
            )
    # relayed envelopes: listed by hash in the signed payload, each verified on its own
    relayed_envs = envelopes[1:]
    if [e.hash for e in relayed_envs] != p["relayed"]:
        raise SyncError(
            "tampered", "Các gói chuyển tiếp trong tệp không khớp danh sách đã ký: tệp đã bị sửa."
        )
    verified = [verify_bundle(store, e, overlay) for e in relayed_envs]
    senders = {outer.peer.laptop_id} | {v.payload["from"] for v in verified}
    listed_by: dict[str, list[str]] = {}
    for v in [outer, *verified]:
        for h in v.payload["relayed"]:
            listed_by.setdefault(h, []).append(v.payload["from"])
    to_merge: list[Verified] = [] if set_aside else [outer]
    for v in verified:
        if v.payload["to"] not in senders:
            raise SyncError(
                "bad_payload", "Gói chuyển tiếp không gửi cho cơ quan nào trong chuỗi chuyển tiếp."
            )
        if store.conn.execute("SELECT 1 FROM sync_envelopes WHERE hash = ?", (v.env.hash,)).fetchone():
            continue  # came by another path already: merged once
        if chains.seen(store.conn, v.payload["from"], v.payload["to"], v.payload["seq"], v.env.hash):
            continue  # received before (or set aside here by an earlier version, waiting for a person)
        # its place on its chain (a fork released below is re-based here too) is found while merging,
        # in file order: chains.place_relayed
        to_merge.append(v)
    offices = {v.payload["from"]: v.peer.display for v in [outer, *verified]}
    incoming: list[Incoming] = []
    created: list[CreateSection] = []
    kept: list[newer.Kept] = []
    for v in to_merge:
        parts = changes_of(v)
        incoming += parts.incoming
        created += parts.sections
        kept += parts.kept
    # everything verified: change the database in one transaction (a province-sized bundle gets a
    # bigger page cache while it is merged: its indexes no longer fit in the default one)
    size = len(incoming) + sum(len(s.rows) for s in created)
    group.changes += size
    big = size > BIG_BUNDLE
    with store.larger_cache(IMPORT_CACHE_KIB) if big else contextlib.nullcontext(), C.gc_paused():
        _apply(
            store,
            now,
            path,
            p,
            result,
            vouches,
            outer,
            to_merge,
            listed_by,
            offices,
            incoming,
            created,
            kept,
            me,
            packed,
            set_aside,
        )
    if result.report.max_hlc:
        ahead = int(result.report.max_hlc[:15]) / 1000 - datetime.now(UTC).timestamp()
        if ahead > 86_400:
            result.warnings.append(
                f"Đồng hồ của máy gửi chạy nhanh khoảng {ahead / 86_400:.0f} ngày: sửa đổi của máy đó sẽ được coi là mới "
                "hơn mọi sửa đổi khác cho đến lúc ấy. Hãy chỉnh lại ngày giờ trên máy đó."
            )
    said = newer.note(kept)
    if said:
        result.warnings.append(said)
    if result.report.pending:
        result.warnings.append(
            f"{result.report.pending} thay đổi đang chờ bản ghi cha (sẽ tự gắn khi bản ghi cha đến)."
        )
    if set_aside and result.relayed:
        result.warnings.append(
            f"{result.relayed} gói chuyển tiếp trong tệp này (của các máy bên dưới, mỗi gói có chữ ký riêng) "
            f"vẫn được gộp; chỉ dữ liệu của chính {outer.peer.display} chờ kiểm tra."
        )
    if write_receipt and not set_aside:  # made now (what the database says after this file), written later
        group.receipt(
            store, result, make_receipt(store, ident, outer.peer, [(p["seq"], outer.env.hash)], path.parent)
        )
    return result


def _apply(
    store: Store,
    now: str,
    path: Path,
    p: dict[str, Any],
    result: ImportResult,
    vouches: list[tuple[K.PublicKeyDoc, dict]],
    outer: Verified,
    to_merge: list[Verified],
    listed_by: dict[str, list[str]],
    offices: dict[str, str],
    incoming: list[Incoming],
    created: list[CreateSection],
    kept: list[newer.Kept],
    me: str,
    packed: C.Packed | None,
    set_aside: str | None = None,
) -> None:
    with store.transaction() as conn:
        # another process may have imported the same bundle since it was verified (outside the lock)
        if (
            not set_aside
            and conn.execute(
                "SELECT 1 FROM sync_chains WHERE sender = ? AND recipient = ? AND seq = ?",
                (p["from"], me, p["seq"]),
            ).fetchone()
        ):
            raise SyncError("replay", f"Gói số {p['seq']} vừa được nhập ở một cửa sổ khác: không nhập lại.")
        for doc, entry in vouches:
            R.apply_vouch(conn, outer.peer, doc, entry)
        blob = None
        keep = keeps_envelopes(store)
        if packed is not None and keep:  # the file's compressed plaintext, once; envelopes are slices of it
            blob = conn.execute("INSERT INTO sync_blobs(data) VALUES (?)", (packed.data,)).lastrowid
        eids: dict[str, int | None] = {}
        if set_aside:  # the sender's own envelope waits for a person (section 6, step 8)
            conn.execute(
                "INSERT OR IGNORE INTO sync_quarantine(sender, recipient, seq, hash, reason, received_at, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (p["from"], me, p["seq"], outer.env.hash, set_aside, now, outer.env.raw),
            )
        for v in to_merge:
            vp = v.payload
            place_envelope(
                conn, store, v, outer, now, offices.get(vp["to"], shown(vp["to"])), result.warnings
            )
            where = packed.offsets.get(v.env.hash) if packed is not None and keep else None
            eids[v.env.hash] = conn.execute(
                "INSERT INTO sync_envelopes(hash, signer, keyid, recipient, seq, relayed_by, received_at, data, blob_id, "
                "blob_offset, blob_length, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    v.env.hash,
                    v.payload["from"],
                    v.peer.keyid,
                    v.payload["to"],
                    v.payload["seq"],
                    json.dumps(listed_by.get(v.env.hash, [])),
                    now,
                    v.env.raw if keep and not where else b"",
                    blob if where else None,
                    where[0] if where else None,
                    where[1] if where else None,
                    vp["created_at"],
                ),
            ).lastrowid
        for sec in created:
            sec.eid = eids.get(sec.envelope)
        newer.keep(conn, kept, now)
        report = merge(conn, incoming, now, created)
        signers = {v.env.hash: v.payload["from"] for v in to_merge}
        report.to_check = rules.after_merge(conn, report, store.founding_rules(), now, signers)
        store.note_changes(report.changes.summary())
        observe_stamps(store, report.max_hlc)
        result.report = report.checked()
        result.relayed = sum(1 for v in to_merge if v is not outer)
        log_merged(conn, now, path, p, result, outcome="quarantined" if set_aside else "applied")


# --- receipts -------------------------------------------------------------------------------------------


def write_receipt_file(
    store: Store, ident: K.Identity, to: R.Peer, acks: list[tuple[int, str]], folder: Path
) -> Path:
    """A receipt for ``to`` (``make_receipt``), written now."""
    return make_receipt(store, ident, to, acks, folder).write(store)


def make_receipt(
    store: Store, ident: K.Identity, to: R.Peer, acks: list[tuple[int, str]], folder: Path
) -> ReceiptFile:
    """A receipt for ``to``: the bundles merged (with any released from quarantine since its last
    receipt), and where the office's chain from ``to`` stands when the machine does not know it yet;
    read from the database as it is now, written by the caller (``ReceiptFile.write``)."""
    me = store.laptop_id
    conn = store.conn
    prof = store.profile()
    owed = conn.execute(
        "SELECT id, seq, hash FROM sync_quarantine WHERE sender = ? AND recipient = ? AND released_at IS NOT NULL "
        "AND receipt_sent = 0",
        (to.laptop_id, me),
    ).fetchall()
    confirmed = sorted(set(acks) | {(s, h) for _, s, h in owed})
    payload: dict[str, Any] = {
        "format": "khaosat-receipt",
        "version": 1,
        "from": me,
        "to": to.laptop_id,
        "acks": [{"seq": s, "hash": h} for s, h in confirmed],
        "created_at": _now(),
    }
    released = sorted(
        {s for s, h in confirmed}
        & {
            r[0]
            for r in conn.execute(
                "SELECT seq FROM sync_quarantine WHERE sender = ? AND recipient = ? AND released_at IS NOT NULL",
                (to.laptop_id, me),
            )
        }
    )
    if released:  # set aside, then checked and merged by a person: the machine's user is told
        payload["released"] = released
    high, head = chains.high_and_head(conn, to.laptop_id, me)
    if head is not None and (high, head) != confirmed[-1]:
        payload["chain"] = {"seq": high, "head": head}
    env = C.sign_envelope(C.TYPE_RECEIPT, C.dumps(payload), ident.current.keyid, ident.current.sign)
    data = C.seal(C.KIND_RECEIPT, to.keyid, to.enc_pub, [env], compress=False)
    last = confirmed[-1][0]
    name = (
        f"bien-nhan_{prof.unit_code}_{datetime.now().strftime('%Y%m%d')}_{last:05d}_"
        f"cho_{to.laptop_id[:8]}{RECEIPT_SUFFIX}"
    )
    return ReceiptFile(Path(folder) / name, data, [i for i, *_ in owed])


def _receipt_again(
    store: Store, ident: K.Identity, outer: Verified, path: Path, result: ImportResult, group: Group
) -> None:
    made = make_receipt(store, ident, outer.peer, [(outer.payload["seq"], outer.env.hash)], path.parent)
    group.receipt(store, result, made, "Đã ghi lại biên nhận cho máy gửi.")


@dataclass(frozen=True)
class ReceiptKind:
    """What tells a receipt of upward bundles from one of downward bundles (docs/sync-bundle.md, sections 3
    and 10): the rest of the checks and of the bookkeeping is the same."""

    format: str  # the payload's "format"
    type: str  # the envelope's purpose
    keys: frozenset[str]  # the keys every receipt has
    optional: frozenset[str]  # and those it may have
    what: str  # "biên nhận", "biên nhận gói đi xuống" (in messages)
    unknown_sender: str  # who signed a receipt from an unregistered machine
    exports: str  # the table of the bundles this machine sent that way

    def check(self, env: C.Envelope) -> dict[str, Any]:
        """The receipt's payload, its structure checked (SyncError otherwise)."""
        if env.type != self.type:
            raise SyncError(
                "wrong_purpose",
                "Chữ ký trong biên nhận dành cho mục đích khác (không phải biên nhận): không nhận.",
            )
        p = C.strict_loads(env.payload, "biên nhận")
        malformed = SyncError("bad_payload", f"Nội dung {self.what} không đúng cấu trúc.")
        if not isinstance(p, dict) or p.get("format") != self.format:
            raise malformed
        if _is_int(p.get("version")) and p["version"] > 1:
            raise SyncError(
                "newer_format", "Biên nhận do phiên bản KhaoSat mới hơn tạo. Hãy cập nhật KhaoSat."
            )
        if (
            not self.keys <= set(p) <= self.keys | self.optional
            or p["version"] != 1
            or not all(isinstance(p[k], str) for k in ("from", "to", "created_at"))
            or not isinstance(p["acks"], list)
            or not 1 <= len(p["acks"]) <= 10_000
            or ("held" in self.keys and not (_is_int(p["held"]) and 0 <= p["held"] <= 2**53))
        ):
            raise malformed
        for a in p["acks"]:
            if (
                not isinstance(a, dict)
                or set(a) != {"seq", "hash"}
                or not _is_int(a["seq"])
                or not isinstance(a["hash"], str)
            ):
                raise malformed
        released = p.get("released")
        if released is not None and (
            not isinstance(released, list) or not released or not all(_is_int(x) and x >= 1 for x in released)
        ):
            raise SyncError(
                "bad_payload", f"Nội dung {self.what}: danh sách gói được gộp sau kiểm tra không hợp lệ."
            )
        chain = p.get("chain")
        if chain is not None and (
            not isinstance(chain, dict)
            or set(chain) != {"seq", "head"}
            or not _is_int(chain["seq"])
            or not 1 <= chain["seq"] <= 2**53
            or not isinstance(chain["head"], str)
            or len(chain["head"]) != 64
        ):
            raise SyncError("bad_payload", f"Nội dung {self.what}: vị trí chuỗi gói không hợp lệ.")
        return p

    def open(self, store: Store, envelopes: list[C.Envelope]) -> tuple[dict[str, Any], R.Peer]:
        """The payload of a receipt for this machine and the registered machine that signed it."""
        if len(envelopes) != 1:
            raise SyncError("damaged", "Biên nhận bị hỏng (có nhiều hơn một phần có chữ ký).")
        env = envelopes[0]
        p = self.check(env)
        peer = R.peer(store, env.keyid)
        if peer is None or peer.laptop_id != p["from"]:
            raise SyncError(
                "unknown_sender", f"Biên nhận đến từ {self.unknown_sender} (mã máy {shown(p['from'], 16)})."
            )
        if not env.verify(peer.sign_pub):
            raise SyncError("bad_signature", "Chữ ký của biên nhận không đúng: biên nhận đã bị sửa.")
        if p["to"] != store.laptop_id:
            raise SyncError("not_addressed", "Biên nhận này dành cho máy khác.")
        return p, peer

    def acks(self, store: Store, peer: R.Peer, p: dict[str, Any], now: str) -> Acks:
        """What the receipt confirms of the bundles this machine sent ``peer`` (read only)."""
        conn = store.conn
        out = Acks()
        for a in p["acks"]:
            row = conn.execute(
                f"SELECT hash, acked_at FROM {self.exports} WHERE recipient = ? AND seq = ?",
                (peer.laptop_id, a["seq"]),
            ).fetchone()
            if row is None or row[0] != a["hash"]:
                out.unknown.append(a["seq"])
            elif row[1] is None:
                out.updates.append((now, peer.laptop_id, a["seq"]))
        out.last = conn.execute(
            f"SELECT coalesce(max(seq), 0) FROM {self.exports} WHERE recipient = ?", (peer.laptop_id,)
        ).fetchone()[0]
        chain = p.get("chain")
        if chain is not None and chain["seq"] > out.last:
            told = conn.execute(
                "SELECT seq, prev FROM sync_resume WHERE recipient = ?", (peer.laptop_id,)
            ).fetchone()
            if told != (chain["seq"], chain["head"]):
                out.resume = (peer.laptop_id, chain["seq"], chain["head"], now)
        return out

    def write(self, conn: sqlite3.Connection, a: Acks) -> None:
        """Mark the confirmed bundles, and where the peer's chain from this machine stands (inside the
        caller's transaction)."""
        conn.executemany(f"UPDATE {self.exports} SET acked_at = ? WHERE recipient = ? AND seq = ?", a.updates)
        if a.resume is not None:
            conn.execute(
                "INSERT OR REPLACE INTO sync_resume(recipient, seq, prev, told_at) VALUES (?, ?, ?, ?)",
                a.resume,
            )


@dataclass
class Acks:
    """A receipt's news: bundles newly confirmed (``updates``: acked_at, recipient, seq), numbers this
    machine does not know as sent (``unknown``), the last number it sent (``last``), and where the peer
    says the chain stands when that is further (``resume``: recipient, seq, head, when)."""

    updates: list[tuple[str, str, int]] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)
    last: int = 0
    resume: tuple[str, int, str, str] | None = None


UP_RECEIPT = ReceiptKind(
    format="khaosat-receipt",
    type=C.TYPE_RECEIPT,
    keys=frozenset(RECEIPT_KEYS),
    optional=frozenset({"chain", "released"}),
    what="biên nhận",
    unknown_sender="một cơ quan chưa đăng ký",
    exports="sync_exports",
)
DOWN_RECEIPT = ReceiptKind(
    format="khaosat-down-receipt",
    type=C.TYPE_DOWN_RECEIPT,
    keys=frozenset({*RECEIPT_KEYS, "held"}),
    optional=frozenset({"chain"}),
    what="biên nhận gói đi xuống",
    unknown_sender="một máy chưa đăng ký ở cơ quan này",
    exports="sync_down_exports",
)


def _import_receipt(store: Store, path: Path, envelopes: list[C.Envelope]) -> ImportResult:
    p, peer = UP_RECEIPT.open(store, envelopes)
    if not any(x.is_destination for x in R.peers_of(store, peer.laptop_id)):
        raise SyncError(
            "not_destination",
            f"Biên nhận do máy {peer.display} ({peer.unit_label}, {peer.role_label}) ký, nhưng máy này không "
            "gửi gói dữ liệu cho máy đó: chỉ cơ quan nhận gói mới gửi biên nhận. Không nhận.",
        )
    result = ImportResult(path, "receipt", "receipt", peer)
    a = UP_RECEIPT.acks(store, peer, p, _now())
    if p.get("released"):
        numbers = ", ".join(map(str, p["released"][:10]))
        result.warnings.append(
            f"Gói số {numbers} của máy này đã bị {peer.display} tạm cách ly vì trùng số với một gói khác của máy "
            "này (máy được khôi phục từ bản sao lưu, hay bị sao chép?); cơ quan đã kiểm tra và gộp: không mất gì."
        )
    if a.unknown:
        numbers = ", ".join(map(str, sorted(set(a.unknown))[:10]))
        result.warnings.append(
            f"Biên nhận xác nhận gói số {numbers} mà máy này không còn ghi nhận (hoặc ghi khác nội dung): "
            "có thể máy này đã được khôi phục từ bản sao lưu. Không mất gì: cơ quan giữ mọi thứ đã nhận."
        )
    if a.resume is not None:
        result.warnings.append(
            f"{peer.display} đã nhận đến gói số {a.resume[1]} của máy này, trong khi máy này chỉ nhớ đến gói số "
            f"{a.last}: có thể máy đã được khôi phục từ bản sao lưu. Dữ liệu không mất; gói tiếp theo của máy này "
            f"sẽ mang số {a.resume[1] + 1} để nối tiếp những gì cơ quan đã có."
        )
    if not a.updates and a.resume is None:
        result.outcome = "already" if not a.unknown else "receipt"
        return result
    with store.transaction() as conn:
        UP_RECEIPT.write(conn, a)
        # what every office above has now confirmed no longer waits in the log: kept on its record
        kept_creations.keep_acknowledged(conn, store.laptop_id)
    result.report.applied = len(a.updates)
    result.seq = max((u[2] for u in a.updates), default=None)
    return result


# --- many files -----------------------------------------------------------------------------------------


def collect(paths: list[Path]) -> list[Path]:
    """Files to import: given files, and the bundles and receipts in given folders (sorted by name)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(
                f
                for f in p.iterdir()
                if f.is_file()
                and f.name.endswith((BUNDLE_SUFFIX, RECEIPT_SUFFIX, recovery.LOG_SUFFIX))
                and not f.name.startswith(".")
            )
        else:
            out.append(p)
    return out


def import_paths(
    store: Store, ident: K.Identity, paths: list[Path], *, write_receipt: bool = True, progress=None
) -> list[ImportResult]:
    """Import files and folders. A stick carries more than this machine's files: this machine's own
    outgoing bundles (outcome 'own') are skipped with a note, named or found in a folder; in a folder,
    files addressed to another machine ('not_mine') are skipped with a note too. A file named explicitly
    that is addressed elsewhere is refused like any other.

    The files are merged in groups (``GROUP_CHANGES``), one transaction per group, each file in its own
    savepoint inside it: a file refused while it is merged is rolled back alone and the others of its
    group still commit. The receipts of a group are written once it has committed. If SQLite fails the
    group (a full disk, an I/O error), the whole group is rolled back, each of its files is reported as
    not imported (no receipt), and the files after it are not tried: the groups before it keep their
    results and receipts. ``progress(done, total)`` is told after each file; if it raises (the window's
    «Dừng sau gói này»), the files merged so far are committed, their receipts written, and the
    exception goes on: one result per file otherwise, in the files' order."""
    refuse_practice(store)
    with store.larger_cache(IMPORT_CACHE_KIB):
        return _import_paths(store, ident, paths, write_receipt, progress)


def _import_paths(
    store: Store, ident: K.Identity, paths: list[Path], write_receipt: bool, progress: Any
) -> list[ImportResult]:
    results: list[ImportResult] = []
    files = collect(paths)
    explicit = {Path(p) for p in paths if not Path(p).is_dir()}
    offices = {p.laptop_id: p for p in R.peers(store, destinations=True)}
    n = len(files)
    i = 0
    stopped: Exception | None = None
    listed = SharedIds()  # the ids the files' results keep, MAX_IDS in all per table and operation
    # Garbage collection: the collector stays off from the first file to the last (each file's payload is
    # millions of objects, none cyclic, freed with it). After each file, once its payload is gone, a
    # collection of the two young generations runs here, deliberately: it walks only the objects made since
    # the previous file that are still alive (that file's result, what the window made meanwhile): 1.5-3 ms
    # of processor per file at 100,000 (10 ms once, after the first file loads the tables of units), and
    # frees any cyclic garbage among them. No full collection runs during
    # the import: one started by the collector's own counters just after a bundle's merge held the GIL for
    # 287 ms at 500,000 (the window's timer late: docs/performance.md). The collector is back on after.
    with C.gc_paused():
        while i < n:
            group = Group()
            first = len(results)
            merging = False  # a file of the group is being imported
            try:
                with store.transaction():
                    while i < n and group.changes < GROUP_CHANGES and stopped is None:
                        merging = True
                        result = _import_one(store, ident, files[i], explicit, offices, write_receipt, group)
                        merging = False
                        results.append(result)
                        listed.add(result.report.changes)
                        i += 1
                        gc.collect(1)
                        if progress is not None:
                            try:
                                progress(i, n)
                            except Exception as exc:  # noqa: BLE001 - a stop between two files: the group commits
                                stopped = exc
                    if not group.kept:  # every file refused or skipped: nothing to commit
                        raise _NothingKept
            except _NothingKept:
                pass
            except dbapi.Error as exc:
                if sqlite_cause(exc) is None:
                    raise  # not the disk, the file or the lock: a fault of the program, reported as such
                if merging:  # the file being merged when SQLite failed: one of the group
                    results.append(ImportResult(files[i], "bundle", "applied"))
                    i += 1
                _group_lost(store, results, first, files[i:], exc)
                return results
            group.write_receipts(store)
            if stopped is not None:
                raise stopped
    return results


class _NothingKept(Exception):
    """A group none of whose files was imported: rolled back rather than committed. A savepoint rolled back
    and then committed still writes the pages it touched, as they were, and counts a change in the file's
    header (bytes 24-27 and 92-95): the same records, not the same bytes."""


def _import_one(
    store: Store,
    ident: K.Identity,
    f: Path,
    explicit: set[Path],
    offices: dict[str, R.Peer],
    write_receipt: bool,
    group: Group,
) -> ImportResult:
    """One file of a group, in its own savepoint: refused (SyncError, OSError), it is rolled back alone."""
    receipts, changes = len(group.receipts), group.changes
    try:
        own = (
            store.conn.execute(
                "SELECT seq, recipient, acked_at FROM sync_exports WHERE file_name = ?", (f.name,)
            ).fetchone()
            if f.name.isprintable()  # (a name this machine wrote; a name of undecodable bytes is not)
            else None
        )
        down_own = (
            store.conn.execute(
                "SELECT seq, recipient, acked_at FROM sync_down_exports WHERE file_name = ? AND recipient = via",
                (f.name,),
            ).fetchone()
            if own is None and f.name.isprintable()
            else None
        )
        if down_own is not None:
            seq, recipient, acked = down_own
            below = R.peers_of(store, recipient)
            to = f"{below[-1].display} ({below[-1].unit_label})" if below else "máy ở dưới"
            state = "máy đó đã gửi biên nhận" if acked else "chờ mang đến máy đó"
            note = f"Đây là gói đi xuống số {seq} do chính máy này xuất cho {to}, {state}."
            return ImportResult(f, "bundle", "own", seq=seq, warnings=[note], direction="down")
        if own is not None and f.name.endswith(BUNDLE_SUFFIX):
            seq, recipient, acked = own
            office = offices.get(recipient)
            to = f"{office.display} ({office.unit_label})" if office else "cơ quan nhận"
            state = "cơ quan đã gửi biên nhận" if acked else "chờ mang đến cơ quan"
            note = f"Đây là gói số {seq} do chính máy này xuất cho {to}, {state}."
            return ImportResult(f, "bundle", "own", seq=seq, warnings=[note])
        if not f.exists():
            raise SyncError("missing", f"Không tìm thấy tệp «{shown(f, 120)}».")
        with store.transaction():  # the file's savepoint
            result = import_file(store, ident, f, write_receipt=write_receipt, group=group)
        group.kept = True
        return result
    except (SyncError, OSError) as exc:
        del group.receipts[receipts:]
        group.changes = changes
        # the traceback's frames hold the refused file's payload (millions of objects): not kept with the result
        exc.__traceback__ = None
        if isinstance(exc, OSError):
            return ImportResult(f, "bundle", "refused", error=SyncError("io", os_message(exc, f)))
        if f not in explicit and exc.reason == "not_addressed":  # others' files on the same stick
            note = "Tệp gửi cho máy khác (mã hóa cho khóa của máy khác)."
            return ImportResult(f, "bundle", "not_mine", warnings=[note])
        return ImportResult(f, "bundle", "refused", error=exc)


def _group_lost(
    store: Store, results: list[ImportResult], first: int, rest: list[Path], exc: BaseException
) -> None:
    """SQLite failed the group's transaction (``exc``) and rolled it back: each file of the group that
    was merged (or found imported before: its receipt was not written) is reported as not imported; the
    files after it are not tried. Those skipped or refused keep their outcome."""
    full = sqlite_cause(exc) == FULL
    if full:
        why = (
            "ổ đĩa của máy tính (nơi chứa dữ liệu KhaoSat) đã đầy nên gói này và các gói nhập cùng đợt với nó "
            "chưa được ghi; dữ liệu đã có vẫn nguyên vẹn."
        )
        fix = "Hãy giải phóng chỗ trống trên ổ đĩa của máy tính (xóa bớt tệp không cần, dọn Thùng rác) rồi nhập lại"
    else:
        why = "gói này và các gói nhập cùng đợt với nó chưa được ghi vì không ghi được vào tệp dữ liệu: " + (
            database_message(exc, store.path) or "lỗi cơ sở dữ liệu."
        )
        fix = "Khắc phục xong, hãy nhập lại"
    for k in range(first, len(results)):
        r = results[k]
        if r.outcome in ("own", "not_mine", "refused"):
            continue
        lost = SyncError(
            "disk_full" if full else "database",
            f"Chưa nhập: {why} Chưa có biên nhận cho tệp này. {fix} các gói trên USB này (gói đã nhập sẽ được "
            "nhận ra và bỏ qua).",
        )
        results[k] = ImportResult(
            r.path, r.kind, "refused", r.sender, r.seq, error=lost, direction=r.direction
        )
    for f in rest:
        stop = SyncError(
            "not_tried",
            "Chưa nhập: việc nhập đã dừng trước tệp này vì "
            + ("ổ đĩa của máy tính đã đầy. " if full else "không ghi được vào tệp dữ liệu. ")
            + f"{fix} các gói trên USB này.",
        )
        results.append(ImportResult(f, "bundle", "refused", error=stop))


def open_conflicts(store: Store) -> list[dict[str, Any]]:
    return store._rows(
        "SELECT * FROM sync_conflicts WHERE resolved_at IS NULL ORDER BY entity, record_id, field, id"
    )


@dataclass(frozen=True)
class Resolved:
    """What resolving a conflict wrote: the field's old and new value (``{field: [old, new]}``, empty
    when nothing needed writing) and the changes, from which the window refreshes."""

    fields: dict[str, list[Any]]
    changes: ChangeSummary


def resolve_conflict(store: Store, conflict_id: int, value: Any, author: str | None = None) -> Resolved:
    """A person chooses the value: written as an ordinary change that travels upward like any edit.

    The change is written even when the chosen value is already the one shown (the provisional winner):
    its old value is the winner, which closes the conflict on every office above too."""
    from app.domain.records import RECORD_TYPES
    from app.storage import search

    row = store._rows("SELECT * FROM sync_conflicts WHERE id = ?", (conflict_id,))
    if not row:
        raise SyncError("missing", f"Không có xung đột số {conflict_id}.")
    c = row[0]
    entity, rid, f = c["entity"], c["record_id"], c["field"]
    cls = RECORD_TYPES[entity]
    with store.write(author) as w:
        kept_creations.materialize(
            store.conn, entity, rid
        )  # (a record in conflict has its creation logged already)
        current = store.row(entity, rid)
        if current is None:
            raise SyncError("missing", "Bản ghi của xung đột không còn.")
        if f == "deleted":
            keep_deleted = value not in (0, False, None)
            if keep_deleted and current["deleted"]:
                # already deleted: say so again, after having seen the edit (Writer would write nothing)
                hlc = w._stamp()
                store.conn.execute(f"UPDATE {entity} SET updated_hlc = ? WHERE id = ?", (hlc, rid))
                w._log(entity, rid, "delete", {"deleted": [0, 1]}, hlc)
                change = {"deleted": [1, 1]}
            else:
                done = w.delete(entity, rid) if keep_deleted else w.restore(entity, rid)
                change = {"deleted": [int(not keep_deleted), int(keep_deleted)]} if done else {}
        elif current["deleted"] or current[f] == value:
            # a deleted record keeps its tombstone; an unchanged value is confirmed: both as a logged change
            if f not in cls.field_names():
                raise SyncError("missing", f"Trường «{f}» không có trong {entity}.")
            old = current[f]
            hlc = w._stamp()
            store.conn.execute(
                f"UPDATE {entity} SET {f} = ?, updated_hlc = ? WHERE id = ?", (value, hlc, rid)
            )
            if entity == "enterprises" and f in search.INDEXED and old != value:
                current[f] = value
                search.index_row(store.conn, current["rid"], current)
            w._log(entity, rid, "update", {f: [old, value]}, hlc)
            change = {f: [old, value]}
        else:
            current[f] = value
            change = w.update(cls.from_row(current))
        store.conn.execute(
            "UPDATE sync_conflicts SET resolved_at = ?, resolution = ? WHERE entity = ? AND record_id = ? AND field = ? "
            "AND resolved_at IS NULL",
            (_now(), json.dumps(value, ensure_ascii=False), entity, rid, f),
        )
    return Resolved(change, w.changes)


def provenance(store: Store, entity: str, record_id: str) -> list[dict[str, Any]]:
    """Each change of a record: who captured it (origin) and who relayed it (custody), names from the registry."""
    names: dict[str, str] = {p.laptop_id: f"{p.display} ({p.unit_label})" for p in R.peers(store)}
    prof = store.profile()
    names[store.laptop_id] = f"{prof.collaborator or store.laptop_id} (máy này)"
    out = []

    def relayed_by(via: str | None) -> list[str]:
        row = store.conn.execute("SELECT relayed_by FROM sync_envelopes WHERE hash = ?", (via,)).fetchone()
        return [names.get(x) or x for x in reversed(json.loads(row[0]))] if row else []

    for c in store.history(entity, record_id):
        out.append(
            {
                **c,
                "captured_by": names.get(c["origin"], c["origin"]),
                "relayed_by": relayed_by(c.get("received_via")),
            }
        )
    # values of fields this version does not know (from a newer version): kept, listed with the rest
    wall = {c["change_id"]: (c["wall_time"], c["author"]) for c in out}
    for k in newer.of_record(store.conn, entity, record_id):
        when, author = wall.get(k["change_id"], (k["received_at"], ""))
        envelope = store.conn.execute(
            "SELECT envelope FROM sync_unknown_values WHERE change_id = ? AND field = ?",
            (k["change_id"], k["field"]),
        ).fetchone()[0]
        out.append(
            {
                "change_id": k["change_id"],
                "hlc": k["hlc"],
                "origin": k["origin"],
                "author": author,
                "wall_time": when,
                "op": "update",
                "fields": {k["field"]: [None, k["value"]]},
                "received_via": envelope,
                "captured_by": names.get(k["origin"], k["origin"]),
                "relayed_by": relayed_by(envelope),
                "newer": True,  # a field of a newer version: kept, not on the record
            }
        )
    out.sort(key=lambda c: (c["hlc"], c["change_id"], bool(c.get("newer"))))
    return out


# --- quarantine -----------------------------------------------------------------------------------------


FORK_REASONS = {
    "fork_same_seq": "Trùng số thứ tự với một gói khác của cùng máy (khác nội dung)",
    "fork_prev": "Nối tiếp một gói trước khác với gói cơ quan đã nhận",
    "fork_next": "Gói sau cơ quan đã nhận lại nối tiếp một gói khác",
    "fork": "Trùng số thứ tự với một gói khác của cùng máy",
}


def quarantined(store: Store) -> list[dict[str, Any]]:
    """Bundles set aside (forks) and not released: sender, sequence, cause (``reason_text``), when."""
    names: dict[str, str] = {p.laptop_id: f"{p.display} ({p.unit_label})" for p in R.peers(store)}
    rows = store._rows(
        "SELECT id, sender, recipient, seq, hash, reason, received_at FROM sync_quarantine "
        "WHERE released_at IS NULL AND reason != 'released' ORDER BY id"
    )
    for r in rows:
        r["sender_name"] = names.get(r["sender"], shown(r["sender"]))
        r["reason_text"] = FORK_REASONS.get(r["reason"], shown(r["reason"]))
    return rows


@dataclass
class Released:
    """What releasing a quarantined bundle did."""

    report: MergeReport
    bundles: list[tuple[int, int]]  # (quarantine id, sequence) released, the one asked for first
    sender: R.Peer
    rebased: bool  # the chain now continues from the released bundle (a restored machine)
    high: int  # the highest sequence the chain had reached
    receipt: Path | None = None

    @property
    def changes(self) -> ChangeSummary:
        """What merging the released bundles created, changed and deleted."""
        return self.report.changes.summary()

    def summary(self) -> str:
        r = self.report
        seqs = ", ".join(str(s) for _, s in self.bundles)
        text = (
            f"Đã gộp gói số {seqs} của {self.sender.display}: {r.new} bản ghi mới, {r.updated} bản ghi cập nhật, "
            f"{r.unchanged} thay đổi đã có, {r.conflicts} xung đột."
        )
        if self.rebased:
            text += (
                f" Chuỗi gói của máy này nay nối tiếp gói vừa gộp; biên nhận sẽ báo cho máy đó rằng cơ quan đã "
                f"nhận đến số {self.high}, để gói sau của máy mang số {self.high + 1}."
            )
        if self.receipt is not None:
            text += f" Biên nhận: {shown(self.receipt, 120)}."
        return text


def _created_at(env: C.Envelope) -> str:
    """A bundle envelope's ``created_at`` (writers sort keys: the top-level one is the last of its name)."""
    at = env.payload.rfind(b'"created_at":"')
    end = env.payload.find(b'"', at + 14) if at >= 0 else -1
    return env.payload[at + 14 : end].decode("utf-8", "replace") if end > 0 else ""


def _created_ats(store: Store, hashes: list[str]) -> list[str]:
    """The ``created_at`` of the bundle envelopes received here with these hashes (recorded with each one;
    read from the kept bytes of one received before migration 15)."""
    if not hashes:
        return []
    rows = store.conn.execute(
        f"SELECT eid, created_at FROM sync_envelopes WHERE hash IN ({','.join('?' * len(hashes))})", hashes
    ).fetchall()
    older = [eid for eid, at in rows if at is None]
    return [at for _, at in rows if at is not None] + [_created_at(e) for e in stored_envelopes(store, older)]


def release(
    store: Store, quarantine_id: int, *, ident: K.Identity | None = None, receipt_to: Path | None = None
) -> Released:
    """A person checked a quarantined bundle (the machine was restored from a backup, or both copies of a
    cloned laptop hold real work): merge its changes like any others (known ones are skipped, conflicts
    queued), and keep its envelope to relay upward. When it is newer than the bundles it collided with,
    the chain is re-based on it (``app/sync/chains.py``) and every bundle set aside that continues it is
    released with it: one release, and the machine's following bundles are no longer set aside. The
    receipt (written to ``receipt_to`` now, or beside the machine's next bundle) tells the machine how far
    the office's numbers went."""
    conn = store.conn
    row = conn.execute(
        "SELECT sender, recipient, data FROM sync_quarantine WHERE id = ? AND released_at IS NULL "
        "AND reason != 'released'",
        (quarantine_id,),
    ).fetchone()
    if row is None:
        raise SyncError("missing", f"Không có gói cách ly số {quarantine_id} (hoặc gói đã được gộp).")
    sender, recipient = row[0], row[1]
    if C.read_envelope(memoryview(row[2]), 0)[0].type == C.TYPE_DOWN:  # a downward bundle set aside
        from app.sync import down

        return down.release(store, quarantine_id, row[2], ident=ident, receipt_to=receipt_to)
    first = verify_bundle(store, C.read_envelope(memoryview(row[2]), 0)[0], {})
    waiting = {}  # prev hash -> (id, verified) of the other bundles set aside on this chain
    for qid, data in conn.execute(
        "SELECT id, data FROM sync_quarantine WHERE sender = ? AND recipient = ? AND id != ? "
        "AND released_at IS NULL AND reason != 'released' ORDER BY seq",
        (sender, recipient, quarantine_id),
    ).fetchall():
        try:
            v = verify_bundle(store, C.read_envelope(memoryview(data), 0)[0], {})
        except SyncError:
            continue  # (its key was revoked since, say): it stays set aside
        waiting.setdefault(v.payload["prev"], (qid, v))
    p = first.payload
    hashes = [h for _, h, _, _ in chains.displaced(conn, sender, recipient, p["seq"], first.env.hash)]
    rebase = chains.is_newer(p["created_at"], _created_ats(store, hashes))
    now = _now()
    released = [(quarantine_id, first)]
    if rebase:
        h = first.env.hash
        while h in waiting:
            released.append(waiting[h])
            h = waiting[h][1].env.hash
    total = MergeReport()
    high = 0
    with store.transaction():
        for i, (qid, v) in enumerate(released):
            eid = conn.execute(
                "INSERT OR IGNORE INTO sync_envelopes(hash, signer, keyid, recipient, seq, relayed_by, received_at, "
                "data, created_at) VALUES (?, ?, ?, ?, ?, '[]', ?, ?, ?)",
                (
                    v.env.hash,
                    v.payload["from"],
                    v.peer.keyid,
                    v.payload["to"],
                    v.payload["seq"],
                    now,
                    v.env.raw if keeps_envelopes(store) else b"",
                    v.payload["created_at"],
                ),
            ).lastrowid
            parts = changes_of(v, eid)
            newer.keep(conn, parts.kept, now)
            report = merge(conn, parts.incoming, now, parts.sections)
            store.note_changes(report.changes.summary())
            report.to_check = rules.after_merge(
                conn, report, store.founding_rules(), now, {v.env.hash: v.payload["from"]}
            )
            total.add(report.checked())
            total.pending_ids.extend(report.pending_ids)
            if rebase and i == 0:
                high = chains.rebase(conn, sender, recipient, p["seq"], v.env.hash, p["prev"], now)
            elif rebase:  # continues the new branch: its place on the chain was moved aside by the re-base
                conn.execute(
                    "INSERT OR IGNORE INTO sync_chains(sender, recipient, seq, hash, prev, received_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (sender, recipient, v.payload["seq"], v.env.hash, v.payload["prev"], now),
                )
            conn.execute(
                "UPDATE sync_quarantine SET released_at = ?, receipt_sent = 0 WHERE id = ?", (now, qid)
            )
            # every merge is logged (and the desktop program learns from this log that records arrived)
            conn.execute(
                "INSERT INTO sync_imports(at, file_name, outcome, report) VALUES (?, ?, ?, ?)",
                (
                    now,
                    f"cách ly số {qid}",
                    "released",
                    json.dumps(
                        {
                            "sender": v.payload["from"],
                            "seq": v.payload["seq"],
                            "new": report.new,
                            "updated": report.updated,
                            "unchanged": report.unchanged,
                            "conflicts": report.conflicts,
                            "pending": report.pending,
                            "duplicates": report.duplicates,
                            "rebased": rebase,
                        },
                        ensure_ascii=False,
                    ),
                ),
            )
        observe_stamps(store, total.max_hlc)
    out = Released(total, [(q, v.payload["seq"]) for q, v in released], first.peer, rebase, high)
    if receipt_to is not None and ident is not None and recipient == store.laptop_id:
        out.receipt = write_receipt_file(
            store, ident, first.peer, [(v.payload["seq"], v.env.hash) for _, v in released], receipt_to
        )
    return out
