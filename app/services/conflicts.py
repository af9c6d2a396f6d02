"""The conflict queue as a person reads it: each open conflict (``app.sync.bundles.open_conflicts``)
with the name of its enterprise and who made each of the two changes, and the pairs of enterprises
sharing a tax code (``app.sync.same_tax_code``)."""

from __future__ import annotations

from typing import Any

from app.storage.store import Store
from app.sync import bundles, same_tax_code


def conflict_queue(store: Store) -> list[dict[str, Any]]:
    """Open conflicts; each also has ``enterprise_name`` and ``who`` ({"a": "author, date", "b": ...})."""
    out = []
    for c in bundles.open_conflicts(store):
        ent = c["record_id"] if c["entity"] == "enterprises" else None
        if ent is None and c["entity"] != "targets":
            row = store.row(c["entity"], c["record_id"])
            ent = row["enterprise_id"] if row else None
        row = store.row("enterprises", ent) if ent else None
        who = {}
        for side in ("a", "b"):
            r = store.conn.execute(
                "SELECT author, wall_time FROM changes WHERE change_id = ?", (c[f"change_{side}"],)
            ).fetchone()
            who[side] = f"{r[0]}, {r[1][:10]}" if r else "?"
        c["enterprise_name"] = row["name"] if row else ""
        c["who"] = who
        out.append(c)
    return out


def queue(store: Store) -> tuple[list[dict[str, Any]], list[same_tax_code.Candidate]]:
    """What the Xung đột dữ liệu page shows: the conflicts and the enterprises sharing a tax code."""
    return conflict_queue(store), same_tax_code.candidates(store)
