"""What the work list needs of each visited enterprise, kept in one narrow table (``work_facts``).

The work list (``app/services/worklist.py``) asks, over every enterprise of a province: whose latest
visit set a next visit this week or before today, and which enterprises their latest visit found with
enough members to found an organisation they do not have yet, ranked by the owner's attitude and the
workforce. Asked of the visits themselves that is a search for the latest visit of each of 100,000
enterprises (seconds); here it is one row per visited enterprise, read through two small partial
indexes in the order the list shows them.

A row holds, for an enterprise with at least one dated visit not deleted:
- ``ward_code``, ``active`` (not deleted, status active): the enterprise's;
- ``visit_id``, ``visit_date``, ``next_visit`` (its "Hẹn lần sau"), ``attitude_rank`` (0 supports,
  1 undecided, 2 not recorded, 3 refuses) of its latest visit (by date, then the latest created);
- ``workforce``: that visit's workforce, else the enterprise's;
- ``chances``: a bit per kind of organisation (``BITS``) the latest visit found enough members to found
  (the founding minimum of ``work_minimums``, a copy of the setting ``founding_minimums`` written with
  it by ``Store.set_setting``; none: no chance of that kind) while no organisation of that kind is
  founded: official Party members for a Party organisation, union members, youth members, women's and
  veterans' association members;
- ``reported`` (not deleted, status active or suspended: the enterprises the report counts) and the
  latest visit's pool of candidates for the Party, ``identified``, ``trained``, ``applied`` (as typed,
  blank when not asked): the report's pool (``app/reports/development.py``) reads them instead of
  every enterprise's latest visit.

The report's members of an organisation (``app.domain.membership``) start from the latest count of its
kind, a visit's among them: ``member_counts`` keeps, for each enterprise and kind with an organisation
founded or dissolved (not deleted), the latest dated visit (not deleted) that counted members of that
kind, ``counted_on``, and the largest count of that day, ``members``
(``app/reports/results.py`` reads it instead of every visit of every enterprise with an organisation).

Triggers follow every change of a visit, an organisation or an enterprise that matters to either table,
whatever writes it (the writer, a merged bundle, a resolved conflict). Inserted visits and organisations are
counted by the three places that insert them (``Writer``, the general merge, the bulk import of a
bundle), once per enterprise (``recount``): a trigger per inserted row would cost a bulk import dearly.
Nothing else writes these tables and they never travel (they are not records). ``problems`` recounts
them for the integrity check.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from app.domain.vocab import OrgKind

CHILDREN = ("visits", "organisations")  # the records the facts are counted from

BITS: dict[OrgKind, int] = {
    OrgKind.PARTY: 1,
    OrgKind.UNION: 2,
    OrgKind.YOUTH: 4,
    OrgKind.WOMEN: 8,
    OrgKind.VETERANS: 16,
}
# the visit's count that must reach the founding minimum of each kind
COUNT_OF: dict[OrgKind, str] = {
    OrgKind.PARTY: "party_official",
    OrgKind.UNION: "union_members",
    OrgKind.YOUTH: "youth_members",
    OrgKind.WOMEN: "women_members",
    OrgKind.VETERANS: "veterans_members",
}
ATTITUDE_RANK = {"supports": 0, "undecided": 1, "refuses": 3}  # not recorded: 2
COLUMNS = (
    "enterprise_id",
    "ward_code",
    "active",
    "visit_id",
    "visit_date",
    "next_visit",
    "attitude_rank",
    "workforce",
    "chances",
    "reported",
    "identified",
    "trained",
    "applied",
)
_V13_COLUMNS = COLUMNS[:9]  # as migration 13 made the table (before the report's figures)
MEMBER_COLUMNS = ("enterprise_id", "kind", "counted_on", "members")
_CHUNK = 20_000  # enterprises counted by one statement (a JSON list of their ids)


def visit_members(kind_sql: str, visit: str = "v") -> str:
    """SQL for a visit's count of the members of the kind ``kind_sql`` (NULL: not counted), as
    ``app.domain.membership.visit_count`` reads it: for the Party the total, else official +
    probationary when either is given."""
    v = visit
    return (
        f"CASE {kind_sql} WHEN 'party' THEN coalesce({v}.party_total, CASE WHEN {v}.party_official IS NULL AND "
        f"{v}.party_probationary IS NULL THEN NULL ELSE coalesce({v}.party_official, 0) + "
        f"coalesce({v}.party_probationary, 0) END) WHEN 'union' THEN {v}.union_members WHEN 'youth' THEN "
        f"{v}.youth_members WHEN 'women' THEN {v}.women_members WHEN 'veterans' THEN {v}.veterans_members END"
    )


def kinds(mask: int | None) -> list[OrgKind]:
    """The kinds of organisation in a ``chances`` mask, in the order of ``OrgKind``."""
    return [k for k, bit in BITS.items() if (mask or 0) & bit]


def _latest(id_sql: str) -> str:
    return (
        f"(SELECT v2.id FROM visits v2 WHERE v2.enterprise_id = {id_sql} AND v2.deleted = 0 "
        "AND v2.visit_date IS NOT NULL ORDER BY v2.visit_date DESC, v2.created_hlc DESC LIMIT 1)"
    )


def _chances() -> str:
    parts = []
    for kind, bit in BITS.items():
        parts.append(
            f"(CASE WHEN v.{COUNT_OF[kind]} >= (SELECT m.minimum FROM work_minimums m WHERE m.kind = '{kind.value}') "
            f"AND NOT EXISTS (SELECT 1 FROM organisations o WHERE o.enterprise_id = e.id AND o.kind = '{kind.value}' "
            f"AND o.status = 'founded' AND o.deleted = 0) THEN {bit} ELSE 0 END)"
        )
    return " + ".join(parts)


def _rank() -> str:
    whens = " ".join(f"WHEN '{code}' THEN {rank}" for code, rank in ATTITUDE_RANK.items())
    return f"(CASE v.attitude {whens} ELSE 2 END)"


def _select(where: str, report: bool = True) -> str:
    """The facts of the enterprises ``e`` matching ``where``, as rows of ``COLUMNS`` (``report=False``:
    of the columns migration 13 made)."""
    figures = (
        ", (e.deleted = 0 AND e.status IN ('active', 'suspended')) AS reported, "
        "v.candidates_identified AS identified, v.candidates_trained AS trained, v.candidates_applied AS applied "
    )
    return (
        "SELECT e.id AS enterprise_id, e.ward_code AS ward_code, (e.deleted = 0 AND e.status = 'active') AS active, "
        f"v.id AS visit_id, v.visit_date AS visit_date, v.next_visit_date AS next_visit, {_rank()} AS attitude_rank, "
        f"coalesce(v.workforce_total, e.workforce_total) AS workforce, {_chances()} AS chances"
        f"{figures if report else ' '}FROM enterprises e JOIN visits v ON v.id = {_latest('e.id')} WHERE {where}"
    )


def _member_select(where: str) -> str:
    """The member counts of the organisations' enterprises and kinds matching ``where`` (on
    ``organisations``), as rows of ``MEMBER_COLUMNS``: per enterprise and kind, the latest dated visit
    that counted the kind, and the largest count of that day."""
    n = visit_members("o.kind")
    return (
        "SELECT enterprise_id, kind, counted_on, members FROM (SELECT o.enterprise_id, o.kind, "
        f"v.visit_date AS counted_on, {n} AS members, row_number() OVER (PARTITION BY o.enterprise_id, o.kind "
        f"ORDER BY v.visit_date DESC, {n} DESC) AS rn FROM (SELECT DISTINCT enterprise_id, kind "
        f"FROM organisations WHERE {where} AND deleted = 0 AND status IN ('founded', 'dissolved')) o "
        "JOIN visits v ON v.enterprise_id = o.enterprise_id "
        f"WHERE v.deleted = 0 AND v.visit_date IS NOT NULL AND {n} IS NOT NULL) WHERE rn = 1"
    )


def _refresh(id_sql: str, report: bool = True) -> str:
    """Statements that count one enterprise again (for a trigger body)."""
    columns = COLUMNS if report else _V13_COLUMNS
    facts = (
        f"INSERT OR REPLACE INTO work_facts({', '.join(columns)}) {_select(f'e.id = {id_sql}', report)};\n"
        f"DELETE FROM work_facts WHERE enterprise_id = {id_sql} AND NOT EXISTS (SELECT 1 FROM visits v3 "
        f"WHERE v3.enterprise_id = {id_sql} AND v3.deleted = 0 AND v3.visit_date IS NOT NULL);\n"
    )
    if not report:
        return facts
    return (
        f"{facts}DELETE FROM member_counts WHERE enterprise_id = {id_sql};\n"
        f"INSERT INTO member_counts({', '.join(MEMBER_COLUMNS)}) {_member_select(f'enterprise_id = {id_sql}')};\n"
    )


_VISIT_FIELDS = (
    "enterprise_id",
    "visit_date",
    "deleted",
    "created_hlc",
    "next_visit_date",
    "attitude",
    "workforce_total",
    *COUNT_OF.values(),
)
_REPORT_FIELDS = (  # what the report's figures add (migration 16)
    "party_total",
    "party_probationary",
    "candidates_identified",
    "candidates_trained",
    "candidates_applied",
)


def ddl(report: bool = True) -> str:
    """The tables, indexes and triggers (the migration runs it, then ``fill``); ``report=False``: as
    migration 13 made them, before the report's figures (migration 16)."""
    figures = """,
        reported INTEGER NOT NULL,
        identified INTEGER,
        trained INTEGER,
        applied INTEGER
    ) WITHOUT ROWID;
    CREATE TABLE member_counts (
        enterprise_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        counted_on TEXT NOT NULL,
        members INTEGER NOT NULL,
        PRIMARY KEY (enterprise_id, kind)
    ) WITHOUT ROWID;"""
    fields = (*_VISIT_FIELDS, *_REPORT_FIELDS) if report else _VISIT_FIELDS
    end = (
        figures
        if report
        else """
    ) WITHOUT ROWID;"""
    )
    return f"""
    CREATE TABLE work_minimums (
        kind TEXT PRIMARY KEY,
        minimum INTEGER
    ) WITHOUT ROWID;
    CREATE TABLE work_facts (
        enterprise_id TEXT PRIMARY KEY,
        ward_code TEXT NOT NULL,
        active INTEGER NOT NULL,
        visit_id TEXT NOT NULL,
        visit_date TEXT NOT NULL,
        next_visit TEXT,
        attitude_rank INTEGER NOT NULL,
        workforce INTEGER,
        chances INTEGER NOT NULL{end}
    -- appointments by day (all wards, or one ward)
    CREATE INDEX work_facts_next ON work_facts(next_visit) WHERE active = 1 AND next_visit IS NOT NULL;
    CREATE INDEX work_facts_ward_next ON work_facts(ward_code, next_visit)
        WHERE active = 1 AND next_visit IS NOT NULL;
    -- founding opportunities in the order they are listed
    CREATE INDEX work_facts_chances ON work_facts(attitude_rank, workforce DESC) WHERE active = 1 AND chances != 0;
    CREATE INDEX work_facts_ward_chances ON work_facts(ward_code, attitude_rank, workforce DESC)
        WHERE active = 1 AND chances != 0;
    CREATE TRIGGER visits_work_changed AFTER UPDATE OF {", ".join(fields)} ON visits
    BEGIN
        {_refresh("OLD.enterprise_id", report)}
        {_refresh("NEW.enterprise_id", report)}
    END;
    CREATE TRIGGER visits_work_gone AFTER DELETE ON visits
    BEGIN
        {_refresh("OLD.enterprise_id", report)}
    END;
    CREATE TRIGGER organisations_work_changed AFTER UPDATE OF enterprise_id, kind, status, deleted ON organisations
    BEGIN
        {_refresh("OLD.enterprise_id", report)}
        {_refresh("NEW.enterprise_id", report)}
    END;
    CREATE TRIGGER organisations_work_gone AFTER DELETE ON organisations
    BEGIN
        {_refresh("OLD.enterprise_id", report)}
    END;
    CREATE TRIGGER enterprises_work_changed AFTER UPDATE OF deleted, status, ward_code, workforce_total ON enterprises
    BEGIN
        {_refresh("NEW.id", report)}
    END;
    """


def set_minimums(conn: Any, minimums: dict[str, Any]) -> None:
    """Copy the founding minimums (the setting's JSON value: kind code -> number or null) and count every
    enterprise's chances again (in the caller's transaction)."""
    from app.domain.validation import DEFAULT_RULES

    rows = []
    for kind in OrgKind:
        value = minimums.get(kind.value, DEFAULT_RULES.minimum(kind)) if isinstance(minimums, dict) else None
        rows.append((kind.value, value if type(value) is int and value > 0 else None))
    if sorted(rows) == sorted(tuple(r) for r in conn.execute("SELECT kind, minimum FROM work_minimums")):
        return
    conn.execute("DELETE FROM work_minimums")
    conn.executemany("INSERT INTO work_minimums(kind, minimum) VALUES (?, ?)", rows)
    conn.execute(
        f"UPDATE work_facts SET chances = (SELECT {_chances()} FROM enterprises e JOIN visits v "
        "ON v.id = work_facts.visit_id WHERE e.id = work_facts.enterprise_id)"
    )


def fill(conn: Any, report: bool = True, progress: Callable[[int, int], None] | None = None) -> None:
    """Count every enterprise from its visits and organisations (the migration; a repair);
    ``report=False``: the columns migration 13 made. With ``progress`` (``report`` only), the enterprises
    are counted 20,000 at a time, ``progress(done, total)`` told after each."""
    raw = conn.execute("SELECT value FROM settings WHERE key = 'founding_minimums'").fetchone()
    conn.execute("DELETE FROM work_minimums")
    set_minimums(conn, json.loads(raw[0]) if raw else {})
    conn.execute("DELETE FROM work_facts")
    if report and progress is not None:
        conn.execute("DELETE FROM member_counts")
        ids = [r[0] for r in conn.execute("SELECT DISTINCT enterprise_id FROM visits ORDER BY enterprise_id")]
        for start in range(0, len(ids), _CHUNK):
            recount(conn, ids[start : start + _CHUNK])
            progress(min(start + _CHUNK, len(ids)), len(ids))
        return
    columns = COLUMNS if report else _V13_COLUMNS
    every = "e.id IN (SELECT DISTINCT enterprise_id FROM visits)"
    conn.execute(f"INSERT INTO work_facts({', '.join(columns)}) {_select(every, report)}")
    if not report:
        return
    conn.execute("DELETE FROM member_counts")
    conn.execute(f"INSERT INTO member_counts({', '.join(MEMBER_COLUMNS)}) {_member_select('1')}")


def recount(conn: Any, enterprise_ids: Iterable[str]) -> None:
    """Count these enterprises again (after inserting their visits or organisations)."""
    ids = sorted(set(enterprise_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = json.dumps(ids[start : start + _CHUNK])
        conn.execute(
            f"INSERT OR REPLACE INTO work_facts({', '.join(COLUMNS)}) "
            f"{_select('e.id IN (SELECT value FROM json_each(?))')}",
            (chunk,),
        )
        in_chunk = "enterprise_id IN (SELECT value FROM json_each(?))"
        conn.execute(f"DELETE FROM member_counts WHERE {in_chunk}", (chunk,))
        conn.execute(
            f"INSERT INTO member_counts({', '.join(MEMBER_COLUMNS)}) {_member_select(in_chunk)}", (chunk,)
        )


def _differing(conn: Any, columns: tuple[str, ...], expected: str, table: str) -> int:
    """Rows of ``expected`` (a SELECT) missing from ``table``, plus rows of ``table`` it does not give."""
    cols = ", ".join(columns)
    return sum(
        conn.execute(
            f"SELECT count(*) FROM (SELECT {cols} FROM {a} EXCEPT SELECT {cols} FROM {b})"
        ).fetchone()[0]
        for a, b in ((f"({expected})", table), (table, f"({expected})"))
    )


def problems(conn: Any) -> list[str]:
    """Enterprises whose facts differ from their visits and organisations (empty: in step)."""
    expected = _select("e.id IN (SELECT DISTINCT enterprise_id FROM visits)")
    n = _differing(conn, COLUMNS, expected, "work_facts")
    out = [f"{n} dòng của danh sách việc cần làm không khớp với các lượt khảo sát"] if n else []
    n = _differing(conn, MEMBER_COLUMNS, _member_select("1"), "member_counts")
    if n:
        out.append(f"{n} số thành viên đếm khi khảo sát không khớp với các lượt khảo sát")
    return out
