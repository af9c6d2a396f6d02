"""Two facts about each enterprise kept on its row, for the list's filters: its last visit and the kinds
of organisation it has founded.

"Not visited for 6 months" and "no trade union yet" asked every enterprise's visits and organisations:
0.5-1.1 s at 100,000 enterprises, seconds at 500,000. ``enterprises.last_visit`` (the latest date of
its visits not deleted) and ``enterprises.founded`` (a bit per kind of organisation founded and not
deleted, ``BITS``) answer from the row, and ``enterprises_facts`` counts them without reading the rows.

Inserting a visit or an organisation recounts its enterprise in the same transaction, done by the
three places that insert them (``Writer``, the general merge, the bulk import of a bundle's new records,
which recounts once at the end: per row, an insert trigger cost a third of an import's CPU time even
when it did nothing). Every other change (an edited date or status, a deletion, a child moved to
another enterprise) is followed by triggers, whatever writes it. Nothing else writes these columns,
and they never travel in a bundle (they are not fields of the record). ``problems`` recounts all of
them for the integrity check.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from app.domain.vocab import OrgKind

CHILDREN = ("visits", "organisations")  # the records the facts are counted from

BITS: dict[OrgKind, int] = {
    OrgKind.PARTY: 1,
    OrgKind.UNION: 2,
    OrgKind.YOUTH: 4,
    OrgKind.WOMEN: 8,
    OrgKind.VETERANS: 16,
}


def kinds(mask: int | None) -> frozenset[OrgKind]:
    """The kinds of organisation in a ``founded`` mask."""
    return frozenset(k for k, bit in BITS.items() if (mask or 0) & bit)


def _bit(kind_sql: str) -> str:
    whens = " ".join(f"WHEN '{k.value}' THEN {bit}" for k, bit in BITS.items())
    return f"(CASE {kind_sql} {whens} ELSE 0 END)"


def _last_visit(id_sql: str) -> str:
    return f"(SELECT max(v.visit_date) FROM visits v WHERE v.enterprise_id = {id_sql} AND v.deleted = 0)"


def _founded(id_sql: str) -> str:
    return (
        f"(SELECT coalesce(sum(DISTINCT {_bit('o.kind')}), 0) FROM organisations o "
        f"WHERE o.enterprise_id = {id_sql} AND o.status = 'founded' AND o.deleted = 0)"
    )


def ddl() -> str:
    """The index and the triggers (the columns are added by the migration)."""
    return f"""
    -- counts of the list's filters read this index whole, never the rows ("deleted" last: the index is no
    -- way to find the rows not deleted, which is most rows, so no query is tempted to use it for that)
    CREATE INDEX enterprises_facts ON enterprises(founded, last_visit, status, workforce_total, ward_code, deleted);
    CREATE TRIGGER visits_facts_changed AFTER UPDATE OF enterprise_id, visit_date, deleted ON visits
    BEGIN
        UPDATE enterprises SET last_visit = {_last_visit("enterprises.id")}
        WHERE id IN (OLD.enterprise_id, NEW.enterprise_id);
    END;
    CREATE TRIGGER visits_facts_gone AFTER DELETE ON visits
    BEGIN
        UPDATE enterprises SET last_visit = {_last_visit("enterprises.id")} WHERE id = OLD.enterprise_id;
    END;
    CREATE TRIGGER organisations_facts_changed AFTER UPDATE OF enterprise_id, kind, status, deleted ON organisations
    BEGIN
        UPDATE enterprises SET founded = {_founded("enterprises.id")}
        WHERE id IN (OLD.enterprise_id, NEW.enterprise_id);
    END;
    CREATE TRIGGER organisations_facts_gone AFTER DELETE ON organisations
    BEGIN
        UPDATE enterprises SET founded = {_founded("enterprises.id")} WHERE id = OLD.enterprise_id;
    END;
    """


def fill(conn: sqlite3.Connection) -> None:
    """Compute both facts of every enterprise from its visits and organisations."""
    conn.execute(
        "UPDATE enterprises SET last_visit = NULL, founded = 0 WHERE last_visit IS NOT NULL OR founded != 0"
    )
    conn.execute(
        "UPDATE enterprises SET last_visit = v.last FROM (SELECT enterprise_id, max(visit_date) AS last "
        "FROM visits WHERE deleted = 0 AND visit_date IS NOT NULL GROUP BY enterprise_id) v "
        "WHERE enterprises.id = v.enterprise_id"
    )
    conn.execute(
        f"UPDATE enterprises SET founded = o.bits FROM (SELECT enterprise_id, sum(DISTINCT {_bit('kind')}) AS bits "
        "FROM organisations WHERE status = 'founded' AND deleted = 0 GROUP BY enterprise_id) o "
        "WHERE enterprises.id = o.enterprise_id"
    )


def problems(conn: sqlite3.Connection) -> list[str]:
    """Enterprises whose facts differ from their visits and organisations (empty: in step)."""
    n = conn.execute(
        f"SELECT count(*) FROM enterprises e WHERE e.last_visit IS NOT {_last_visit('e.id')} "
        f"OR e.founded != {_founded('e.id')}"
    ).fetchone()[0]
    return [f"{n} doanh nghiệp có ngày khảo sát gần nhất hoặc tổ chức đã thành lập ghi sai"] if n else []


def recount(conn: sqlite3.Connection, enterprise_ids: Iterable[str]) -> None:
    """Compute both facts again for these enterprises (after inserting visits or organisations)."""
    ids = sorted(set(enterprise_ids))
    for start in range(0, len(ids), 20_000):
        conn.execute(
            f"UPDATE enterprises SET last_visit = {_last_visit('enterprises.id')}, "
            f"founded = {_founded('enterprises.id')} WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(ids[start : start + 20_000]),),
        )
