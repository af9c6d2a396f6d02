"""Writing downward bundles: one per machine registered below this office, encrypted to it.

``export_down`` writes, for each machine registered with this office (or the one asked for), a file
whose first envelope is this office's downward envelope for it (purpose *down*, docs/sync-bundle.md
section 10): what it lacks of its unit (``app/sync/down_scope.py``), the offices above this one, and,
relayed intact, the downward envelopes addressed to it or to the offices below it (those this office
received from above, and those it writes itself for offices it knows only through the machine's vouching).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from app.domain import units
from app.domain.records import VisitSummary
from app.domain.vocab import Role
from app.storage.changes import ChangeSummary
from app.storage.store import Store
from app.sync import checks, rules
from app.sync import container as C
from app.sync import keys as K
from app.sync import registry as R
from app.sync.bundles import stored_envelopes
from app.sync.down_scope import OTHERS_VISITS, Marks, Selection, Target, select
from app.sync.errors import SyncError, shown
from app.sync.merge import own_conflicts

DOWN_VERSION = 1


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class DownResult:
    path: Path
    recipient: R.Peer
    seq: int
    changes: int
    relayed: int  # downward envelopes relayed in the file (for this machine or the offices below it)
    hash: str
    by_entity: dict[str, int] = field(default_factory=dict)


class DownExport(list[DownResult]):
    """What ``export_down`` did: the files it wrote (one per machine, a list as before) and ``changes``,
    the visit summaries it wrote first (``refresh_summaries``), from which the window refreshes."""

    changes: ChangeSummary

    def __init__(self, files: list[DownResult], changes: ChangeSummary):
        super().__init__(files)
        self.changes = changes


@dataclass
class DownPreview:
    """What the next downward bundle to a machine will carry, and when the machine last came back."""

    recipient: R.Peer
    changes: int
    by_entity: dict[str, int]
    relayed: int
    next_seq: int
    held: int  # the last bundle the machine said it holds (0: none yet)
    last_back: str | None  # when its last receipt or bundle arrived here (ISO time)


# --- who is below -----------------------------------------------------------------------------------


def recipients(store: Store, machine: str | None = None) -> list[R.Peer]:
    """The machines registered with this office directly (active, one key each), or those matching
    ``machine`` (the beginning of a machine id, key id or fingerprint)."""
    prof = store.profile()
    if prof.role == Role.COLLABORATOR:
        raise SyncError(
            "not_office", "Máy cộng tác viên không gửi gói xuống: chỉ cơ quan mới gửi dữ liệu cho máy ở dưới."
        )
    out: dict[str, R.Peer] = {}
    for p in R.peers(store, destinations=False):
        if p.status != "active" or p.registered_via is not None or R.is_above(store, p.laptop_id):
            continue
        out[p.laptop_id] = p
    found = list(out.values())
    if machine:
        wanted = {p.laptop_id for p in R.find(store, machine)}
        found = [p for p in found if p.laptop_id in wanted]
        if not found:
            raise SyncError(
                "no_recipient", f"Không có máy nào đã đăng ký ở cơ quan này khớp «{shown(machine, 40)}»."
            )
    elif not found:
        raise SyncError(
            "no_recipient",
            "Chưa có máy nào đăng ký ở cơ quan này để gửi xuống: hãy đăng ký máy của cộng tác viên hoặc "
            "cơ quan cấp dưới (từ tệp khóa công khai của máy đó) trước.",
        )
    return sorted(found, key=lambda p: (p.role != Role.COLLABORATOR.value, p.unit_code, p.name or ""))


def _below(store: Store, machine: str) -> set[str]:
    """``machine`` and every machine it vouched for, and so on down (whose envelopes it relays)."""
    out = {machine}
    frontier = [machine]
    while frontier:
        rows = store.conn.execute(
            f"SELECT DISTINCT laptop_id FROM sync_peers WHERE registered_via IN ({','.join('?' * len(frontier))})",
            frontier,
        ).fetchall()
        frontier = [r[0] for r in rows if r[0] not in out]
        out.update(frontier)
    return out


def _offices_below(store: Store, machine: str) -> list[R.Peer]:
    """The offices this one knows only through ``machine``'s vouching (active keys): it writes envelopes
    for them, relayed by ``machine``."""
    below = _below(store, machine) - {machine}
    out: dict[str, R.Peer] = {}
    for p in R.peers(store, destinations=False):
        if p.laptop_id in below and p.status == "active" and p.role != Role.COLLABORATOR.value:
            out[p.laptop_id] = p
    return list(out.values())


# --- where each machine stands ---------------------------------------------------------------------------


def held(store: Store, machine: str) -> int:
    row = store.conn.execute("SELECT held FROM sync_down_held WHERE recipient = ?", (machine,)).fetchone()
    return row[0] if row else 0


def _held_via_carrier(store: Store, machine: str) -> int:
    """For an office reached through another one: the last envelope for it whose carrying file the office
    in between holds (it relays what it holds)."""
    row = store.conn.execute(
        "SELECT max(x.seq) FROM sync_down_exports x JOIN sync_down_held h ON h.recipient = x.via "
        "WHERE x.recipient = ? AND x.via != x.recipient AND x.carrier_seq <= h.held",
        (machine,),
    ).fetchone()
    return row[0] or 0


def _marks(store: Store, machine: str, base: int, scope: str) -> tuple[int, Marks]:
    """The base the next bundle builds on and the marks of that bundle (none when the scope changed or
    this office no longer remembers it: then everything goes again)."""
    if base == 0:
        return 0, Marks()
    row = store.conn.execute(
        "SELECT max_change_seq, max_envelope_id, max_relay_id, scope FROM sync_down_exports "
        "WHERE recipient = ? AND seq = ?",
        (machine, base),
    ).fetchone()
    if row is None or row[3] != scope:
        return 0, Marks()
    return base, Marks(row[0], row[1], row[2], row[3])


def _next_on_chain(store: Store, machine: str) -> tuple[int, str | None]:
    last = store.conn.execute(
        "SELECT seq, hash FROM sync_down_exports WHERE recipient = ? ORDER BY seq DESC LIMIT 1", (machine,)
    ).fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, None)
    told = store.conn.execute("SELECT seq, prev FROM sync_resume WHERE recipient = ?", (machine,)).fetchone()
    if told is not None and told[0] > seq - 1:
        seq, prev = told[0] + 1, told[1]
    return seq, prev


def last_back(store: Store, machine: str) -> str | None:
    """When something last came back from a machine below: its last receipt or bundle."""
    row = store.conn.execute(
        "SELECT max(t) FROM (SELECT at AS t FROM sync_down_held WHERE recipient = ? "
        "UNION ALL SELECT max(received_at) FROM sync_chains WHERE sender = ?)",
        (machine, machine),
    ).fetchone()
    return row[0] if row else None


def _target(store: Store, peer: R.Peer, *, own_line: bool = False) -> Target:
    full = store.setting(OTHERS_VISITS, "summary") == "full"
    return Target(peer.laptop_id, peer.unit_code, peer.role, full_visits=full, own_line=own_line)


# --- visit summaries ---------------------------------------------------------------------------------------


def refresh_summaries(store: Store, unit_codes: set[str], author: str | None = None) -> ChangeSummary:
    """Write the visit summaries (``VisitSummary``) of the enterprises of these units that changed since:
    last visit date, the collaborator named on it, the number of visits. Returns what it wrote."""
    wards: set[str] = set()
    for u in unit_codes:
        wards.update(units.ward_codes(u))
    if not wards:
        return ChangeSummary()
    conn = store.conn
    marks = ",".join("?" * len(wards))
    latest = {
        ent: (d, who, n)
        for ent, d, who, n in conn.execute(
            "SELECT enterprise_id, visit_date, collaborator, n FROM (SELECT v.enterprise_id, v.visit_date, "
            "v.collaborator, count(*) OVER (PARTITION BY v.enterprise_id) AS n, row_number() OVER "
            "(PARTITION BY v.enterprise_id ORDER BY v.visit_date DESC, v.updated_hlc DESC, v.id) AS k "
            f"FROM visits v JOIN enterprises e ON e.id = v.enterprise_id WHERE v.deleted = 0 AND e.ward_code IN ({marks})) "
            "WHERE k = 1",
            sorted(wards),
        )
    }
    current = {
        ent: (d, who, n, rid, deleted)
        for rid, ent, d, who, n, deleted in conn.execute(
            "SELECT s.id, s.enterprise_id, s.last_visit_date, s.last_visitor, s.visits, s.deleted FROM visit_summaries s "
            f"JOIN enterprises e ON e.id = s.enterprise_id WHERE e.ward_code IN ({marks})",
            sorted(wards),
        )
    }
    new: list[VisitSummary] = []
    changed: list[VisitSummary] = []
    for ent in latest.keys() | current.keys():
        d, who, n = latest.get(ent, (None, None, 0))
        who = who or None
        have = current.get(ent)
        if have is None:
            new.append(VisitSummary(id=VisitSummary.id_for(ent), enterprise_id=ent, last_visit_date=_date(d),
                                    last_visitor=who, visits=n))  # fmt: skip
        elif (have[0], have[1] or None, have[2]) != (d, who, n) or have[4]:
            changed.append(VisitSummary(id=have[3], enterprise_id=ent, last_visit_date=_date(d), last_visitor=who,
                                        visits=n))  # fmt: skip
    if not new and not changed:
        return ChangeSummary()
    with store.write(author) as w:
        if new:
            w.create_many(new)
        for s in changed:
            if store.row("visit_summaries", s.id)["deleted"]:  # type: ignore[index]
                w.restore("visit_summaries", s.id)
            w.update(s)
    return w.changes


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


# --- the payload ---------------------------------------------------------------------------------------


def office_entries(store: Store) -> list[dict[str, Any]]:
    """The offices above this machine (its destinations and the offices above them it was told of), every
    key of each: the machines below verify the envelopes those offices sign with them."""
    out = []
    for p in R.peers(store):
        if not (p.is_destination or R.is_above(store, p.laptop_id)):
            continue
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


def _check_before_sending(sel: Selection, to: R.Peer) -> None:
    try:
        rules.check_envelope(
            rules.final_values(
                ((s["entity"], s["columns"], s["rows"]) for s in sel.created),
                ((c[0], c[2], c[6], c[7], c[8], c[9]) for c in sel.changes),
            )
        )
    except rules.RuleError as exc:
        raise SyncError(
            "rule_export",
            f"Chưa gửi xuống cho {to.display}: {checks.where(exc.entity, exc.record_id, exc.field)} có giá trị máy "
            f"nhận sẽ không nhận. {shown(exc.rule, 2000)} Hãy sửa bản ghi này rồi gửi lại.",
        ) from exc


def _payload(
    store: Store,
    sender_key: str,
    to: R.Peer,
    seq: int,
    prev: str | None,
    base: int,
    sel: Selection,
    relayed: list[str],
    offices: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "format": "khaosat-down",
        "version": DOWN_VERSION,
        "from": store.laptop_id,
        "to": to.laptop_id,
        "unit_code": to.unit_code,
        "seq": seq,
        "prev": prev,
        "base": base,
        "created_at": _now(),
        "sender_key": sender_key,
        "created": sel.created,
        "changes": sel.changes,
        "relayed": relayed,
        "offices": offices,
    }


@dataclass
class _Planned:
    to: R.Peer
    seq: int
    prev: str | None
    base: int
    sel: Selection
    scope: str
    relay_eids: list[int]
    relay_id: int
    extra: list[tuple[R.Peer, int, str | None, int, Selection, str]]  # envelopes for offices below `to`


def _plan(store: Store, to: R.Peer) -> _Planned:
    me = store.laptop_id
    target = _target(store, to)
    base, marks = _marks(store, to.laptop_id, held(store, to.laptop_id), target.scope)
    sel = select(store.conn, me, target, marks)
    below = _below(store, to.laptop_id)
    rows = store.conn.execute(
        f"SELECT eid FROM sync_envelopes WHERE direction = 'down' AND eid > ? AND recipient IN "
        f"({','.join('?' * len(below))}) ORDER BY eid",
        (marks.relay_id, *sorted(below)),
    ).fetchall()
    relay_eids = [r[0] for r in rows]
    relay_id = max(relay_eids, default=marks.relay_id)
    extra = []
    for office in _offices_below(store, to.laptop_id):
        t = _target(store, office, own_line=True)
        b, m = _marks(store, office.laptop_id, _held_via_carrier(store, office.laptop_id), t.scope)
        s = select(store.conn, me, t, m)
        if s.count:
            seq, prev = _next_on_chain(store, office.laptop_id)
            extra.append((office, seq, prev, b, s, t.scope))
    seq, prev = _next_on_chain(store, to.laptop_id)
    return _Planned(to, seq, prev, base, sel, target.scope, relay_eids, relay_id, extra)


def preview_down(store: Store, machine: str | None = None) -> list[DownPreview]:
    """What the next downward bundle to each machine below would carry (nothing is written)."""
    out = []
    for to in recipients(store, machine):
        plan = _plan(store, to)
        out.append(
            DownPreview(
                to,
                plan.sel.count,
                plan.sel.by_entity,
                len(plan.relay_eids) + len(plan.extra),
                plan.seq,
                held(store, to.laptop_id),
                last_back(store, to.laptop_id),
            )
        )
    return out


def export_down(
    store: Store,
    ident: K.Identity,
    out_dir: Path,
    *,
    machine: str | None = None,
    today: str | None = None,
    author: str | None = None,
) -> DownExport:
    """Write a downward bundle for each machine registered below (or the one matching ``machine``), after
    the visit summaries of the units of the collaborators among them."""
    prof = store.profile()
    if not prof.initialised:
        raise SyncError("not_initialised", "Máy chưa được thiết lập (đơn vị, họ tên, vai trò).")
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise SyncError("no_folder", f"Không tìm thấy thư mục «{out_dir}» (USB đã cắm chưa?).")
    targets = recipients(store, machine)
    collaborator_units = {p.unit_code for p in targets if p.role == Role.COLLABORATOR.value}
    summaries = (
        refresh_summaries(store, collaborator_units, author) if collaborator_units else ChangeSummary()
    )
    with store.transaction():  # the conflicts others will find in what this office sends, listed here too
        own_conflicts(store.conn, _now())
    me = store.laptop_id
    sender_key = K.b64(R.own_pubkey_doc(store, ident).raw)
    offices = office_entries(store)
    date_s = today or datetime.now().strftime("%Y%m%d")
    results = []
    for to in targets:
        plan = _plan(store, to)
        _check_before_sending(plan.sel, to)
        extra_envs = []
        for office, seq, prev, base, s, _scope in plan.extra:
            _check_before_sending(s, office)
            text = C.dumps(_payload(store, sender_key, office, seq, prev, base, s, [], offices))
            extra_envs.append(C.sign_envelope(C.TYPE_DOWN, text, ident.current.keyid, ident.current.sign))
        relayed = [*stored_envelopes(store, plan.relay_eids), *extra_envs]
        with C.gc_paused():
            text = C.dumps(
                _payload(
                    store,
                    sender_key,
                    to,
                    plan.seq,
                    plan.prev,
                    plan.base,
                    plan.sel,
                    [e.hash for e in relayed],
                    offices,
                )
            )
        env = C.sign_envelope(C.TYPE_DOWN, text, ident.current.keyid, ident.current.sign)
        data = C.seal(C.KIND_BUNDLE, to.keyid, to.enc_pub, [env, *relayed])
        name = f"xuong_{prof.unit_code}_{date_s}_{plan.seq:05d}_{me[:8]}_cho_{to.unit_code}_{to.laptop_id[:8]}.khaosat"
        now = _now()
        rows = [
            (to.laptop_id, plan.seq, env.hash, plan.prev, plan.base, to.laptop_id, plan.seq, now,
             plan.sel.max_change_seq, plan.sel.max_envelope_id, plan.relay_id, plan.scope,
             plan.sel.count, len(relayed), name),
        ]  # fmt: skip
        for (office, seq, prev, base, s, scope), e in zip(plan.extra, extra_envs):
            rows.append(
                (office.laptop_id, seq, e.hash, prev, base, to.laptop_id, plan.seq, now, s.max_change_seq,
                 s.max_envelope_id, 0, scope, s.count, 0, name)
            )  # fmt: skip
        with store.transaction():
            store.conn.executemany(
                "INSERT INTO sync_down_exports(recipient, seq, hash, prev, base, via, carrier_seq, created_at, "
                "max_change_seq, max_envelope_id, max_relay_id, scope, changes, envelopes, file_name) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            C.write_atomic(out_dir / name, data)  # a failure here rolls the rows back: the numbers are reused
        results.append(
            DownResult(
                out_dir / name, to, plan.seq, plan.sel.count, len(relayed), env.hash, plan.sel.by_entity
            )
        )
    return DownExport(results, summaries)


def down_summary(results: list[DownResult]) -> list[str]:
    """One line per file written, for the window and the command line."""
    lines = []
    for r in results:
        what = (
            ", ".join(f"{n} {_LABELS.get(e, e)}" for e, n in sorted(r.by_entity.items()))
            or "không có thay đổi mới"
        )
        extra = f"; chuyển tiếp {r.relayed} gói của cơ quan cấp trên" if r.relayed else ""
        lines.append(
            f"Gói xuống số {r.seq} cho {r.recipient.display} ({r.recipient.role_label}, {r.recipient.unit_label}): "
            f"{what}{extra}."
        )
    return lines


_LABELS = {
    "enterprises": "thay đổi doanh nghiệp",
    "visits": "thay đổi lượt khảo sát",
    "organisations": "thay đổi tổ chức",
    "admissions": "thay đổi kết nạp",
    "targets": "thay đổi chỉ tiêu",
    "assignments": "thay đổi phân công",
    "visit_summaries": "tóm tắt lượt khảo sát",
    "office_settings": "thay đổi thiết lập",
}
