"""Values of a newer version: a bundle may carry a column this version does not know.

Offices upgrade at different times. A newer KhaoSat may declare a field this one has never heard of and
send it in a bundle, as a column of a creation or a field of an update. Such a bundle is not refused: the
values this version knows are merged as usual, and those it does not know are *set aside* here, whole
(change id, record, field, value, stamp, machine, envelope) in ``sync_unknown_values``. They are shown as
"from a newer version" (the import report, the provenance of the record), and they travel upward
untouched, inside the signed envelope that carried them (kept for relaying like any other). The name of
such a column must look like a column (``payload.is_newer_column``); its values are checked for kind and
size like any value; what is malformed is still refused.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from app.sync.bulk import META, CreateSection
from app.sync.payload import I_ENTITY, I_FIELDS, I_HLC, I_ID, I_OP, I_ORIGIN, I_RECORD, Incoming, columns_of

# (change_id, entity, record_id, field, value as JSON, hlc, origin, envelope)
Kept = tuple[str, str, str, str, str, str, str, str]


@dataclass
class SetAside:
    incoming: list[Incoming]
    sections: list[CreateSection]
    kept: list[Kept]


def set_aside(incoming: list[Incoming], sections: list[CreateSection]) -> SetAside:
    """The changes without the columns this version does not know, and those columns' values."""
    kept: list[Kept] = []
    out_sections = []
    for sec in sections:
        known = columns_of(sec.entity)
        unknown = [j for j, c in enumerate(sec.columns) if j and c not in known]
        if not unknown:
            out_sections.append(sec)
            continue
        for j in unknown:
            name = sec.columns[j]
            kept += [
                (
                    r[0],
                    sec.entity,
                    r[META],
                    name,
                    json.dumps(r[META + j], ensure_ascii=False),
                    r[2],
                    sec.origin,
                    sec.envelope,
                )
                for r in sec.rows
                if r[META + j] is not None
            ]
        keep = [j for j in range(len(sec.columns)) if j not in set(unknown)]
        positions = [*range(META), *(META + j for j in keep)]
        out_sections.append(
            CreateSection(
                sec.entity,
                [sec.columns[j] for j in keep],
                [[r[k] for k in positions] for r in sec.rows],
                sec.envelope,
                sec.eid,
                sec.origin,
                sec.signer_unit,
                sec.checked,
            )
        )
    out_incoming = []
    for inc in incoming:
        c = inc.change
        known = columns_of(c[I_ENTITY])
        fields = c[I_FIELDS]
        if c[I_OP] != "update" or all(f in known for f in fields):
            out_incoming.append(inc)
            continue
        for f, (_old, new) in fields.items():
            if f not in known:
                kept.append(
                    (
                        c[I_ID],
                        c[I_ENTITY],
                        c[I_RECORD],
                        f,
                        json.dumps(new, ensure_ascii=False),
                        c[I_HLC],
                        c[I_ORIGIN],
                        inc.envelope,
                    )
                )
        rest = {f: pair for f, pair in fields.items() if f in known}
        if rest:  # (a change of unknown fields only is kept whole here, and merges nothing)
            out_incoming.append(Incoming([*c[:I_FIELDS], rest], inc.envelope, inc.signer_unit))
    return SetAside(out_incoming, out_sections, kept)


def keep(conn: sqlite3.Connection, kept: list[Kept], now: str) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO sync_unknown_values(change_id, entity, record_id, field, value, hlc, origin, envelope, "
        "received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(*k, now) for k in kept],
    )


def note(kept: list[Kept]) -> str | None:
    """What the import report says about them."""
    if not kept:
        return None
    fields = sorted({f"{k[1]}.{k[3]}" for k in kept})
    shown_fields = ", ".join(fields[:8]) + ("…" if len(fields) > 8 else "")
    return (
        f"Gói có {len(kept)} giá trị của trường mà phiên bản KhaoSat này chưa có ({shown_fields}): từ phiên bản "
        "mới hơn. Các giá trị này được giữ nguyên và chuyển lên cấp trên; hãy cập nhật KhaoSat để thấy chúng "
        "trên bản ghi."
    )


def of_record(conn: sqlite3.Connection, entity: str, record_id: str) -> list[dict[str, Any]]:
    """The values of a newer version kept for a record, oldest first."""
    return [
        {
            "change_id": r[0],
            "field": r[1],
            "value": json.loads(r[2]),
            "hlc": r[3],
            "origin": r[4],
            "received_at": r[5],
        }
        for r in conn.execute(
            "SELECT change_id, field, value, hlc, origin, received_at FROM sync_unknown_values "
            "WHERE entity = ? AND record_id = ? ORDER BY hlc, change_id",
            (entity, record_id),
        )
    ]
