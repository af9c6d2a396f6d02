"""Two facts about each enterprise kept on its row, for the list's filters: its last visit and the kinds
of organisation it has founded.

The last visit is the latest date known here: of the visits this machine holds, and of the visit
summaries an office sent down ("last visited on ..., by ...", ``visit_summaries``) for the enterprises
whose visits a collaborator's laptop does not hold, so two collaborators of one ward do not visit one
company in the same week. A summary this machine wrote itself (an office, for the machines below it:
its ``origin`` is this machine's ``laptop_id``) tells nothing its visits do not, and can be stale until
the office's next downward bundle: it is not counted.

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

CHILDREN = ("visits", "organisations", "visit_summaries")  # the records the facts are counted from

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


# a summary written by another machine (this machine's own summaries are not counted: see above)
_TOLD = "s.deleted = 0 AND s.origin IS NOT (SELECT value FROM meta WHERE key = 'laptop_id')"


def _last_visit(id_sql: str, summaries: bool = True) -> str:
    own = f"SELECT max(v.visit_date) AS d FROM visits v WHERE v.enterprise_id = {id_sql} AND v.deleted = 0"
    if not summaries:  # as migration 9 made it (before visit summaries existed)
        return f"({own})"
    told = (
        f"SELECT max(s.last_visit_date) FROM visit_summaries s WHERE s.enterprise_id = {id_sql} AND {_TOLD}"
    )
    return f"(SELECT max(d) FROM ({own} UNION ALL {told}))"


def _founded(id_sql: str) -> str:
    return (
        f"(SELECT coalesce(sum(DISTINCT {_bit('o.kind')}), 0) FROM organisations o "
        f"WHERE o.enterprise_id = {id_sql} AND o.status = 'founded' AND o.deleted = 0)"
    )


def ddl(summaries: bool = True) -> str:
    """The index and the triggers (the columns are added by the migration); ``summaries=False``: as
    migration 9 made them, before visit summaries existed (``summary_ddl`` adds them)."""
    return f"""
    -- counts of the list's filters read this index whole, never the rows ("deleted" last: the index is no
    -- way to find the rows not deleted, which is most rows, so no query is tempted to use it for that)
    CREATE INDEX enterprises_facts ON enterprises(founded, last_visit, status, workforce_total, ward_code, deleted);
    {_visit_triggers(summaries)}
    CREATE TRIGGER organisations_facts_changed AFTER UPDATE OF enterprise_id, kind, status, deleted ON organisations
    BEGIN
        UPDATE enterprises SET founded = {_founded("enterprises.id")}
        WHERE id IN (OLD.enterprise_id, NEW.enterprise_id);
    END;
    CREATE TRIGGER organisations_facts_gone AFTER DELETE ON organisations
    BEGIN
        UPDATE enterprises SET founded = {_founded("enterprises.id")} WHERE id = OLD.enterprise_id;
    END;
    {_summary_triggers() if summaries else ""}
    """


def _visit_triggers(summaries: bool) -> str:
    last = _last_visit("enterprises.id", summaries)
    return f"""
    CREATE TRIGGER visits_facts_changed AFTER UPDATE OF enterprise_id, visit_date, deleted ON visits
    BEGIN
        UPDATE enterprises SET last_visit = {last} WHERE id IN (OLD.enterprise_id, NEW.enterprise_id);
    END;
    CREATE TRIGGER visits_facts_gone AFTER DELETE ON visits
    BEGIN
        UPDATE enterprises SET last_visit = {last} WHERE id = OLD.enterprise_id;
    END;
    """


def _summary_triggers() -> str:
    last = _last_visit("enterprises.id")
    return f"""
    CREATE TRIGGER visit_summaries_facts_changed AFTER UPDATE OF enterprise_id, last_visit_date, deleted
    ON visit_summaries
    BEGIN
        UPDATE enterprises SET last_visit = {last} WHERE id IN (OLD.enterprise_id, NEW.enterprise_id);
    END;
    CREATE TRIGGER visit_summaries_facts_gone AFTER DELETE ON visit_summaries
    BEGIN
        UPDATE enterprises SET last_visit = {last} WHERE id = OLD.enterprise_id;
    END;
    """


def summary_ddl() -> str:
    """Migration 14: the triggers of the last visit count the visit summaries too."""
    return f"""
    DROP TRIGGER visits_facts_changed;
    DROP TRIGGER visits_facts_gone;
    {_visit_triggers(True)}
    {_summary_triggers()}
    """


def fill(conn: sqlite3.Connection, summaries: bool = True) -> None:
    """Compute both facts of every enterprise from its visits (and the summaries of others'), and its
    organisations."""
    conn.execute(
        "UPDATE enterprises SET last_visit = NULL, founded = 0 WHERE last_visit IS NOT NULL OR founded != 0"
    )
    conn.execute(
        "UPDATE enterprises SET last_visit = v.last FROM (SELECT enterprise_id, max(visit_date) AS last "
        "FROM visits WHERE deleted = 0 AND visit_date IS NOT NULL GROUP BY enterprise_id) v "
        "WHERE enterprises.id = v.enterprise_id"
    )
    if summaries:
        conn.execute(
            "UPDATE enterprises SET last_visit = t.last FROM (SELECT s.enterprise_id, max(s.last_visit_date) AS last "
            f"FROM visit_summaries s WHERE {_TOLD} AND s.last_visit_date IS NOT NULL GROUP BY s.enterprise_id) t "
            "WHERE enterprises.id = t.enterprise_id AND (enterprises.last_visit IS NULL OR enterprises.last_visit < t.last)"
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
    """Compute both facts again for these enterprises (after inserting visits, organisations or summaries)."""
    ids = sorted(set(enterprise_ids))
    for start in range(0, len(ids), 20_000):
        conn.execute(
            f"UPDATE enterprises SET last_visit = {_last_visit('enterprises.id')}, "
            f"founded = {_founded('enterprises.id')} WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(ids[start : start + 20_000]),),
        )
