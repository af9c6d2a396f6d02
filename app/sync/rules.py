"""Incoming values against the domain rules: the same rules as data entry, at the bundle door.

Every value a bundle brings is checked with the checks derived from the field declarations
(``app.domain.checks``): its kind, coded values, tax codes, real dates (not after today, give or take
``CLOCK_TOLERANCE`` for a laptop whose clock runs ahead), counts and years within bounds, required
values, maximum lengths, dates written YYYY-MM-DD, tax codes in their canonical form; and text is text
by the domain's one rule (``app.domain.text.text_problem``: no lone surrogate, no NUL, no control
character other than tab and line breaks, no bidirectional override or isolate), the rule the forms, the
list import and key files apply too. A value that fails is a *hard* violation: the whole
bundle is refused, naming the record, the field and the rule (``SyncError`` reason ``rule``), before
the database is touched.

What is checked is the value each field ends with in one envelope: a creation's value that a later
change of the same envelope replaces is history, not the record's value. A laptop whose record holds
a value the rules refuse (entered before a rule existed, say) can therefore correct the record and send
again: its next bundle carries the creation and the correction, and the correction is what counts.

Rules that tie fields together (counts that do not add up, a founded organisation without its
decision...) are *soft*: the forms warn about them, and a bundle that brings them is merged; the records
are listed at the office as "Cần kiểm tra" (``sync_checks``) with the machine that sent them. Which
records to look at is found a column at a time (``_suspects``: a cheap superset of the records the
domain validation would fault); the domain's own validation then says what is wrong, in its words.

Checks run a column at a time (a province-sized bundle has half a million records): sets of distinct
values, one regular-expression pass over the joined text of a column.
"""

from __future__ import annotations

import functools
import operator
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from app.domain import checks as domain_checks
from app.domain import taxcode, validation
from app.domain.fields import FieldInfo, Kind
from app.domain.records import Record, child_tables, record_type
from app.domain.text import NOT_TEXT_RE, text_problem
from app.domain.validation import FoundingRules
from app.sync.checks import where
from app.sync.errors import SyncError, shown
from app.sync.payload import key_table

CLOCK_TOLERANCE = timedelta(days=1)
META = 5  # a creation row: change_id, txn, hlc, author, wall_time, then the values ("id" first)


def today_for_checks() -> date:
    """The last day an incoming date may carry (a laptop's clock may run a little ahead)."""
    return date.today() + CLOCK_TOLERANCE


class RuleError(SyncError):
    """A value the rules refuse: which record (``entity``, ``record_id``), which field, which rule."""

    def __init__(self, entity: str, record_id: Any, field: str, rule: str):
        super().__init__(
            "rule",
            f"Gói dữ liệu có giá trị không hợp lệ ở {where(entity, record_id, field)}: {shown(rule, 2000)} "
            "Không nhập gì cả; máy gửi cần sửa bản ghi này rồi xuất lại.",
        )
        self.entity, self.record_id, self.field, self.rule = entity, record_id, field, rule


def refused(entity: str, record_id: Any, name: str, message: str) -> RuleError:
    return RuleError(entity, record_id, name, message)


def _text_problem(info: FieldInfo, values: Sequence[Any]) -> tuple[int, str] | None:
    """The first value of a text column that the domain's one text rule (``text_problem``) refuses for
    what it holds: a character that is not text (a lone surrogate, NUL, a control character, a direction
    override). Lengths and the rest are the generic checks'."""
    try:
        joined = " ".join(filter(None, values))
    except TypeError:  # a number among the text: the generic checks name it; look at the strings
        joined = " ".join(v for v in values if type(v) is str)
    if joined.isprintable() or NOT_TEXT_RE.search(joined) is None:  # (isprintable: one fast pass, usually)
        return None
    for i, v in enumerate(values):
        if type(v) is str and NOT_TEXT_RE.search(v):
            problem = text_problem(v, info.label)
            if problem is not None:
                return i, problem
    return None


NoneType = type(None)
_not_none = functools.partial(operator.is_not, None)
_INT_OR_NONE = {int, NoneType}
_STR_OR_NONE = {str, NoneType}
_WEIGHTS_TOTAL = 48 * sum(taxcode.WEIGHTS)  # the weights times the code of "0"
_PHONES = re.compile(r"(?:[0-9+()./ -]{6,20}\n)*[0-9+()./ -]{6,20}")
_DATES = re.compile(r"(?:[0-9]{4}-[0-9]{2}-[0-9]{2}\n)*[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_EMAILS = re.compile(r"(?:[^@\s]+@[^@\s]+\.[^@\s]+\n)*[^@\s]+@[^@\s]+\.[^@\s]+")


def _tax_codes_fine(codes: set[str]) -> bool:
    """Whether every code is a valid tax code in its canonical form, decided without ``taxcode.parse``
    per code (a province has a hundred thousand): 10 digits with a right check digit, the same with a
    branch ``-001``...``-999``, or a 12-digit personal ID from a known place. False: look closer."""
    w = taxcode.WEIGHTS
    for code in codes:
        if not code.isascii():  # other digits, a lone surrogate (which cannot even be encoded): look closer
            return False
        n = len(code)
        if n == 12:
            if not (code.isdigit() and code.isascii() and code[:3] in taxcode.PERSONAL_ID_PLACES):
                return False
            continue
        if not (n == 10 or (n == 14 and code[10] == "-" and code[11:].isdigit() and code[11:] != "000")):
            return False
        b = code[:10].encode()
        if len(b) != 10 or not b.isdigit() or code[2:9] == "0000000":
            return False
        r = (
            w[0] * b[0] + w[1] * b[1] + w[2] * b[2] + w[3] * b[3] + w[4] * b[4]
            + w[5] * b[5] + w[6] * b[6] + w[7] * b[7] + w[8] * b[8] - _WEIGHTS_TOTAL
        ) % 11  # fmt: skip
        if r == 0 or 10 - r != b[9] - 48:
            return False
    return True


def _quick_fine(info: FieldInfo, values: Sequence[Any], today: date, kinds: set[type] | None = None) -> bool:
    """A column decided fine in a few C-level passes where the generic checks (``app.domain.checks``)
    would build sets and look at each distinct value (a province has a hundred thousand names, tax codes
    and phones, and thousands of distinct dates and counts per column). True only when the generic checks
    would find nothing (``tests/sync/test_rules.py`` holds it to that); False means: let them look."""
    kind = info.kind
    if kinds is None:
        kinds = set(map(type, values))
    if kinds <= {NoneType}:  # (no value at all, or only nulls)
        return not info.required
    if info.required and NoneType in kinds:
        return False
    if kind.is_number:
        if not kinds <= _INT_OR_NONE:
            return False
        present = list(filter(_not_none, values))
        low, high = info.minimum, info.maximum
        if info.not_future and kind is Kind.YEAR:
            high = today.year if high is None else min(high, today.year)
        return not (
            (isinstance(low, int) and min(present) < low) or (high is not None and max(present) > high)
        )
    if not kinds <= _STR_OR_NONE or (info.required and "" in values):
        return False
    if kind in (Kind.TEXT, Kind.LONG_TEXT, Kind.REF):
        if info.max_length is not None and max(map(len, filter(None, values)), default=0) > info.max_length:
            return False
        # what the domain refuses in any text (a lone surrogate, NUL, a direction override): one pass
        return NOT_TEXT_RE.search("\n".join(filter(None, values))) is None
    present = set(values)
    present.discard(None)
    present.discard("")
    if not present:
        return True
    if kind is Kind.DATE:
        if _DATES.fullmatch("\n".join(present)) is None:
            return False
        try:
            for v in present:
                date.fromisoformat(v)
        except ValueError:
            return False
        low = info.minimum
        return not (
            (info.not_future and max(present) > today.isoformat())
            or (isinstance(low, date) and min(present) < low.isoformat())
        )
    if kind is Kind.TAX_CODE:
        return _tax_codes_fine(present)
    if kind is Kind.CHOICE:
        return present <= info.codes
    if kind not in (Kind.PHONE, Kind.EMAIL):
        return False
    if info.max_length is not None and max(map(len, present)) > info.max_length:
        return False
    joined = "\n".join(present)
    return (_PHONES if kind is Kind.PHONE else _EMAILS).fullmatch(joined) is not None and (
        NOT_TEXT_RE.search(joined) is None
    )


def check_column(
    entity: str,
    info: FieldInfo,
    values: Sequence[Any],
    ids: Sequence[Any],
    today: date,
    kinds: set[type] | None = None,
) -> None:
    """Refuse (SyncError 'rule') the first value of a column that the field's rules refuse. ``kinds``: the
    types of the values, when known already."""
    fine = _quick_fine(info, values, today, kinds)
    if fine and info.kind in (Kind.DATE, Kind.TAX_CODE, Kind.PHONE):
        return  # digits and punctuation only
    if not (info.kind.is_number or info.kind is Kind.YES_NO):  # every kind written as text
        bad = _text_problem(info, values)
        if bad is not None:
            raise refused(entity, ids[bad[0]], info.name, bad[1])
    if fine:
        return
    problems = domain_checks.column_problems(info, values, today)
    if problems:
        i, message = problems[0]
        raise refused(entity, ids[i], info.name, message)


@dataclass
class EnvelopeValues:
    """The values one envelope brings, as each field ends with them (see the module's docstring)."""

    # (entity, columns, rows) of its creation sections, optionally with the rows as columns
    sections: list[tuple[Any, ...]]
    # (entity, record id) -> {field: new value} of its other changes, the newest value of each field
    updates: dict[tuple[str, str], dict[str, Any]]


def final_values(
    sections: Iterable[tuple[Any, ...]],
    changes: Iterable[tuple[str, str, str, str, str, dict[str, Any]]],
) -> EnvelopeValues:
    """``changes``: the envelope's other changes as (change_id, hlc, entity, record_id, op, fields)."""
    updates: dict[tuple[str, str], dict[str, Any]] = {}
    newest: dict[tuple[str, str, str], tuple[str, str]] = {}
    for cid, hlc, entity, rid, op, fields in changes:
        if op != "update":
            continue
        for name, pair in fields.items():
            key = (entity, rid, name)
            stamp = (hlc, cid)
            if key not in newest or stamp > newest[key]:
                newest[key] = stamp
                updates.setdefault((entity, rid), {})[name] = pair[1]
    return EnvelopeValues(list(sections), updates)


def check_envelope(values: EnvelopeValues, today: date | None = None) -> None:
    """Refuse (SyncError 'rule') an envelope any of whose final values breaks a rule."""
    today = today or today_for_checks()
    touched_fields: dict[str, dict[str, set[str]]] = {}  # entity -> record id -> fields updated
    for (entity, rid), fields in values.updates.items():
        touched_fields.setdefault(entity, {}).setdefault(rid, set()).update(fields)
    for entity, columns, rows, *known in values.sections:
        if not rows:
            continue
        transposed, kinds_of = (known[0], known[1] if len(known) > 1 else {}) if known else (None, {})
        cls = record_type(entity)
        infos = cls.INFO
        ids = list(map(operator.itemgetter(META), rows))
        later = touched_fields.get(entity, {})
        present = set(columns)
        for info in cls.FIELDS:  # a required field the section does not carry at all
            if info.required and info.default is None and info.name not in present:
                unset = [rid for rid in ids if info.name not in later.get(rid, ())]
                if unset:
                    raise refused(entity, unset[0], info.name, domain_checks.missing_message(info))
        by_position = transposed if transposed else list(zip(*rows))  # every column at once
        for j, name in enumerate(columns[1:], start=META + 1):
            info = infos.get(name)
            if info is None:
                continue  # a column of a newer version: kept, not judged here
            col = by_position[j]
            col_ids = ids
            kinds = kinds_of.get(j)
            if later:  # values replaced by a later change of the same envelope are history
                keep = [k for k, rid in enumerate(ids) if name not in later.get(rid, ())]
                if len(keep) != len(ids):
                    col = [col[k] for k in keep]
                    col_ids = [ids[k] for k in keep]
                    kinds = None
            check_column(entity, info, col, col_ids, today, kinds)
    by_column: dict[tuple[str, str], tuple[list[Any], list[str]]] = {}
    for (entity, rid), fields in values.updates.items():
        for name, value in fields.items():
            vals, rids = by_column.setdefault((entity, name), ([], []))
            vals.append(value)
            rids.append(rid)
    for (entity, name), (vals, rids) in by_column.items():
        info = record_type(entity).INFO.get(name)
        if info is not None:
            check_column(entity, info, vals, rids, today)


# --- soft rules: merged, listed for a person to check ------------------------------------------------


@dataclass(frozen=True)
class Finding:
    entity: str
    record_id: str
    field: str
    message: str


def _col(
    columns: list[str], rows: list[list[Any]], name: str, default: Any = None, offset: int = 0
) -> list[Any]:
    if name in columns:
        return list(map(operator.itemgetter(offset + columns.index(name)), rows))
    return [default] * len(rows)


def _suspects(
    entity: str, columns: list[str], rows: list[list[Any]], rules: FoundingRules, today: str, offset: int
) -> list[int]:
    """Rows the domain validation may fault for rules between fields (a superset, found column-wise)."""
    cls = record_type(entity)
    out: set[int] = set()

    def col(name: str, default: Any = None) -> list[Any]:
        return _col(columns, rows, name, default, offset)

    def ints(a: Any, b: Any) -> bool:
        return type(a) is int and type(b) is int

    for info in cls.FIELDS:
        if info.not_above:
            part = col(info.name)
            for whole_name in info.not_above:
                whole = col(whole_name)
                out.update(i for i, (a, b) in enumerate(zip(part, whole)) if ints(a, b) and a > b)
        if info.kind is Kind.DATE and info.not_future:
            out.update(i for i, v in enumerate(col(info.name)) if type(v) is str and v > today)
    if entity == "enterprises":
        tax, form = col("tax_code"), col("legal_form")
        out.update(
            i
            for i, (t, f) in enumerate(zip(tax, form))
            if type(t) is str and len(t) == 12 and f not in (None, "household")
        )
    elif entity == "visits":
        o, p, t, w = (
            col("party_official"),
            col("party_probationary"),
            col("party_total"),
            col("workforce_total"),
        )
        for i, (a, b, c, d) in enumerate(zip(o, p, t, w)):
            if ints(a, b) and (
                (type(c) is int and a + b != c) or (c is None and type(d) is int and a + b > d)
            ):
                out.add(i)
        visit, nxt = col("visit_date"), col("next_visit_date")
        out.update(
            i for i, (a, b) in enumerate(zip(visit, nxt)) if type(a) is str and type(b) is str and b < a
        )
    elif entity == "organisations":
        status, kind = col("status", "none"), col("kind")
        number, day, body, members = (
            col("decision_number"),
            col("decision_date"),
            col("issuing_body"),
            col("founding_members"),
        )
        gone = col("dissolved_date")
        minimum = {k.value: rules.minimum(k) for k in rules.minimums}
        for i, s in enumerate(status):
            if s not in ("founded", "dissolved"):
                continue
            m = minimum.get(kind[i])
            if (
                not number[i]
                or day[i] is None
                or not body[i]
                or members[i] is None
                or (m is not None and type(members[i]) is int and members[i] < m)
                or (
                    s == "dissolved"
                    and (
                        gone[i] is None or (type(day[i]) is str and type(gone[i]) is str and gone[i] < day[i])
                    )
                )
            ):
                out.add(i)
        # a member count's day (app.domain.membership): a day without a count, a day before the founding
        counted, count = col("members_counted_on"), col("members")
        out.update(
            i
            for i, (c, n, d) in enumerate(zip(counted, count, day))
            if c is not None and (n is None or (type(c) is str and type(d) is str and c < d))
        )
    elif entity == "admissions":
        # a conversion to official: only of a Party admission, with its decision, after the probation
        kind, admitted = col("kind"), col("admitted_on")
        on, number, many = col("official_on"), col("official_decision"), col("official_count")
        for i, day in enumerate(on):
            if day is None:
                if number[i] or many[i] is not None:
                    out.add(i)
            elif (
                kind[i] != "party"
                or not number[i]
                or type(day) is not str
                or type(admitted[i]) is not str
                or _before_due(admitted[i], day)
            ):
                out.add(i)
    return sorted(out)


def _before_due(admitted: str, official: str) -> bool:
    """Whether an official day (ISO) falls before the end of a probation that started on ``admitted``
    (ISO); a value that is not a date says yes (the validation names what is wrong)."""
    from app.domain.probation import due_on

    try:
        return official < due_on(date.fromisoformat(admitted)).isoformat()
    except ValueError:
        return True


def _validate(record: Record, rules: FoundingRules, today: date) -> list[domain_checks.Problem]:
    if record.TABLE == "enterprises":
        return validation.validate_enterprise(record, today)  # type: ignore[arg-type]
    if record.TABLE == "visits":
        return validation.validate_visit(record, today)  # type: ignore[arg-type]
    if record.TABLE == "organisations":
        return validation.validate_organisation(record, rules=rules, today=today)  # type: ignore[arg-type]
    if record.TABLE == "admissions":
        return validation.validate_admission(record, today)  # type: ignore[arg-type]
    if record.TABLE == "quality_ratings":
        return validation.validate_rating(record, None, today)  # type: ignore[arg-type]
    return validation.validate_target(record)  # type: ignore[arg-type]


def soft_findings(
    entity: str,
    columns: list[str],
    rows: list[list[Any]],
    rules: FoundingRules,
    *,
    offset: int = 0,
    today: date | None = None,
) -> list[Finding]:
    """What the domain validation says about records given as columns and rows (``offset``: where the
    values start in a row; ``columns`` start with "id"). Only the rows ``_suspects`` picks are validated."""
    today = today or date.today()
    suspects = _suspects(entity, columns, rows, rules, today.isoformat(), offset)
    if not suspects:
        return []
    cls = record_type(entity)
    defaults = {i.name: i.stored_default for i in cls.FIELDS}
    out = []
    for i in suspects:
        row = dict(defaults)
        row.update((c, v) for c, v in zip(columns, rows[i][offset:]) if c in defaults or c == "id")
        record = cls.from_row(row)
        for problem in _validate(record, rules, today):
            out.append(Finding(entity, row["id"], problem.field, problem.message))
    return out


def record_findings(
    conn: sqlite3.Connection, entity: str, ids: list[str], rules: FoundingRules
) -> list[Finding]:
    """``soft_findings`` of records as stored now (after a merge), by id."""
    if not ids:
        return []
    cls = record_type(entity)
    columns = ["id", *(i.name for i in cls.FIELDS)]
    rows: list[list[Any]] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows += [
            list(r)
            for r in conn.execute(
                f"SELECT {', '.join(columns)} FROM {entity} WHERE deleted = 0 AND id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
        ]
    return soft_findings(entity, columns, rows, rules)


def record(
    conn: sqlite3.Connection,
    findings: Iterable[Finding],
    sender: dict[tuple[str, str], tuple[str, str | None]],
    now: str,
) -> int:
    """Keep findings in ``sync_checks`` (one per record and field); returns how many are new or changed.
    ``sender``: (entity, record id) -> (machine, envelope hash) whose change brought the record here. A
    finding a person marked as checked opens again only if what is wrong changed."""
    new = 0
    for f in findings:
        machine, envelope = sender.get((f.entity, f.record_id), ("", None))
        cur = conn.execute(
            "INSERT INTO sync_checks(entity, record_id, field, rule, message, sender, envelope, found_at) "
            "VALUES (?, ?, ?, 'domain', ?, ?, ?, ?) ON CONFLICT(entity, record_id, field, rule) DO UPDATE SET "
            "message = excluded.message, sender = excluded.sender, envelope = excluded.envelope, "
            "found_at = excluded.found_at, checked_at = NULL, checked_by = NULL "
            "WHERE sync_checks.message != excluded.message",
            (f.entity, f.record_id, f.field, f.message, machine, envelope, now),
        )
        new += cur.rowcount
    return new


def after_merge(
    conn: sqlite3.Connection, report: Any, founding: FoundingRules, now: str, signers: dict[str, str]
) -> int:
    """The soft rules on what a merge wrote (``report.inserted`` in bulk, ``report.touched`` by the general
    path), kept in ``sync_checks``; a record the merge changed whose doubt is gone leaves the list.
    ``signers``: envelope hash -> machine. Returns how many findings are new."""
    findings: list[Finding] = []
    sender: dict[tuple[str, str], tuple[str, str | None]] = {}
    for sec, rows in report.inserted:
        for f in soft_findings(sec.entity, sec.columns, rows, founding, offset=META):
            sender[(f.entity, f.record_id)] = (sec.origin, sec.envelope)
            findings.append(f)
    by_entity: dict[str, list[str]] = {}
    for (entity, rid), envelope in report.touched.items():
        by_entity.setdefault(entity, []).append(rid)
        sender[(entity, rid)] = (signers.get(envelope, ""), envelope)
    for entity, ids in by_entity.items():
        found = record_findings(conn, entity, ids, founding)
        findings += found
        still = {(f.record_id, f.field) for f in found}
        stale = [
            (row_id,)
            for row_id, rid, fld in conn.execute(
                f"SELECT c.id, c.record_id, c.field FROM sync_checks c JOIN {key_table(conn, ids)} k "
                "ON k.id = c.record_id WHERE c.entity = ?",
                (entity,),
            )
            if (rid, fld) not in still
        ]
        conn.executemany("DELETE FROM sync_checks WHERE id = ?", stale)
    return record(conn, findings, sender, now)


# --- the list at the office ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToCheck:
    """One value to check, as listed at the office (Đồng bộ ▸ Dữ liệu cần kiểm tra, ``khaosat to-check``)."""

    id: int
    entity: str
    record_id: str
    enterprise_id: str | None  # the enterprise the record belongs to (itself, for an enterprise)
    enterprise_name: str
    field: str
    field_label: str
    message: str
    sender: str  # the machine that sent it, as registered ("Nguyễn Thị Hằng (Phường Hoàn Kiếm)")
    found_at: str
    checked_at: str | None
    checked_by: str | None


def to_check(store: Any, *, include_checked: bool = False) -> list[ToCheck]:
    """The values to check, newest first. Each record is validated again as it stands now: a finding
    that no longer holds (the record was corrected since) is not listed."""
    conn = store.conn
    sql = (
        "SELECT id, entity, record_id, field, message, sender, found_at, checked_at, checked_by FROM sync_checks"
        + ("" if include_checked else " WHERE checked_at IS NULL")
        + " ORDER BY found_at DESC, id DESC"
    )
    rows = conn.execute(sql).fetchall()
    if not rows:
        return []
    founding = store.founding_rules()
    holding: set[tuple[str, str, str]] = set()
    by_entity: dict[str, set[str]] = {}
    for r in rows:
        by_entity.setdefault(r[1], set()).add(r[2])
    for entity, ids in by_entity.items():
        holding |= {
            (entity, f.record_id, f.field) for f in record_findings(conn, entity, sorted(ids), founding)
        }
    from app.sync import registry as R

    names = {p.laptop_id: f"{p.display} ({p.unit_label})" for p in R.peers(store)}
    out = []
    for cid, entity, rid, fld, message, sender, found_at, checked_at, checked_by in rows:
        if (entity, rid, fld) not in holding:
            continue
        ent_id = rid if entity == "enterprises" else None
        if entity in child_tables():
            row = conn.execute(f"SELECT enterprise_id FROM {entity} WHERE id = ?", (rid,)).fetchone()
            ent_id = row[0] if row else None
        name_row = (
            conn.execute("SELECT name FROM enterprises WHERE id = ?", (ent_id,)).fetchone()
            if ent_id
            else None
        )
        cls = record_type(entity)
        out.append(
            ToCheck(
                cid,
                entity,
                rid,
                ent_id,
                name_row[0] if name_row else "",
                fld,
                cls.label(fld),
                message,
                names.get(sender, sender or "?"),
                found_at,
                checked_at,
                checked_by,
            )
        )
    return out


def mark_checked(store: Any, ids: Iterable[int], by: str | None) -> int:
    """A person looked at these values and keeps them as they are (they leave the list)."""
    from datetime import UTC, datetime

    now = datetime.now(UTC).isoformat(timespec="seconds")
    with store.transaction() as conn:
        return conn.executemany(
            "UPDATE sync_checks SET checked_at = ?, checked_by = ? WHERE id = ? AND checked_at IS NULL",
            [(now, by, i) for i in ids],
        ).rowcount
