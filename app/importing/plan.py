"""The import itself: every row read, validated, matched against the enterprises already kept,
shown in a preview, then written in one transaction.

``preview`` decides, for each data row, one ``Outcome``:

- NEW: valid, not known yet; created.
- UPDATE / SKIP / ASK: the tax code is already kept and the file says something different; the
  whole file follows one choice (``on_duplicate``); with "ask" a person decides row by row
  (``Preview.decide``), rows left undecided are not touched.
- UNCHANGED: already kept with the same values: nothing to do (importing a file twice adds nothing).
- SIMILAR: a new tax code, but the name and address look like an enterprise already kept; a person
  decides (create anyway or skip); not imported until then.
- INVALID: the row breaks a rule (each problem in Vietnamese, naming the column); REPEATED: its tax
  code was on an earlier row of the same file.

Rows that did not go in are written to an error file (``errorfile.write``) to be fixed and
imported again.

Neither the preview nor the import holds a plan for every row (a list of 200,000 rows would take
hundreds of MB): the rows are planned one at a time from the sheet; a preview keeps the counts for
the whole file, the rows it shows (at most ``keep``: every row of a smaller file) and, for the
rows that did not go in, their reason; ``execute`` plans every row again inside its transaction and
writes as it goes.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any

from app.domain import taxcode, units
from app.domain.records import Enterprise, record_type
from app.domain.text import search_key
from app.domain.validation import normalise_enterprise, validate_enterprise
from app.domain.vnformat import format_int
from app.importing import mapping as mp
from app.importing import values as val
from app.importing.errors import ImportFailed
from app.importing.mapping import Table
from app.importing.wards import Placement, WardMatcher
from app.storage import kept_creations
from app.storage.changes import ChangeSummary
from app.storage.lookalikes import LookalikeIndex
from app.storage.store import Store

Progress = Callable[[int, int], None]


class Outcome(str, Enum):
    NEW = "new"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    SKIP = "skip"
    ASK = "ask"
    SIMILAR = "similar"
    INVALID = "invalid"
    REPEATED = "repeated"

    @property
    def label(self) -> str:
        return _OUTCOME_LABELS[self]

    @property
    def rejected(self) -> bool:
        """Not imported and not settled: goes to the error file."""
        return self in (Outcome.INVALID, Outcome.REPEATED, Outcome.SIMILAR, Outcome.ASK)


_OUTCOME_LABELS = {
    Outcome.NEW: "Thêm mới",
    Outcome.UPDATE: "Cập nhật doanh nghiệp đã có",
    Outcome.UNCHANGED: "Đã có, không thay đổi",
    Outcome.SKIP: "Bỏ qua, không nhập",
    Outcome.ASK: "Trùng mã số thuế, chờ quyết định",
    Outcome.SIMILAR: "Giống doanh nghiệp đã có, cần xem xét",
    Outcome.INVALID: "Có lỗi, chưa nhập",
    Outcome.REPEATED: "Trùng mã số thuế với dòng trước trong tệp",
}

ON_DUPLICATE = ("update", "skip", "ask")
SHOWN_ROWS = 10_000  # rows a preview keeps to show (every row of a file that has no more): of a
# longer file, the rows that need a look (not imported, or with a note) and, a tenth of them, its
# first rows that need none
_WRITE_BATCH = 2000  # records given to one create_many (its rows and change-log rows are built at once)
_TOTALS_RE = re.compile(r"^(tong cong|tong so|tong|cong)( toan| chung| cac| \d|$)")
_HEADING_RE = re.compile(r"^\s*([IVXLC]+|[A-Za-z]|\d{1,2})\s*[.)/-]\s+\S")

# fields placed otherwise: the ward (from its code, its name or the address) and the tax code (read even
# when empty, so that a row without one says so)
_PLACED = ("ward_code", mp.WARD_NAME, "tax_code")


@dataclass
class Options:
    on_duplicate: str = "ask"  # update | skip | ask: for rows whose tax code is already kept
    accept_similar: bool = False  # create rows that look like a kept enterprise (name + address)
    province_code: str | None = None  # wards are looked for here (default: the laptop's province)
    default_ward: str | None = None  # for rows that cannot be placed (otherwise they are rejected)
    today: date | None = None

    def __post_init__(self) -> None:
        if self.on_duplicate not in ON_DUPLICATE:
            raise ImportFailed(
                "Cách xử lý trùng mã số thuế phải là update (cập nhật), skip (bỏ qua) hoặc ask (hỏi)."
            )


@dataclass(slots=True)  # one per row of a list of 200,000: no per-object dictionary
class RowPlan:
    number: int  # row number in the file (1-based)
    cells: list[str] | None  # the row's cells: kept for rows that go to the error file
    outcome: Outcome
    enterprise: Enterprise | None = None  # what will be written (new, or the kept one updated)
    # empty by default without an object per row (a list of 200,000 rows); add with add_problem/add_warning
    problems: Sequence[str] = ()
    warnings: Sequence[str] = ()
    existing: dict[str, Any] | None = None  # the kept enterprise it matched
    changes: dict[str, list[Any]] | None = None  # field -> [kept, file] (UPDATE/ASK)
    ward_from: str | None = None  # "code" | "name" | "address" | "default" | "kept"
    decided_from: Outcome | None = None  # the outcome before a person's decision (ASK or SIMILAR)

    @property
    def undecided(self) -> Outcome:
        """The outcome before a person's decision (ASK or SIMILAR for decided rows)."""
        return _undecided(self)

    @property
    def reason(self) -> str:
        """Why the row did not go in (for the error file and the preview)."""
        return " ".join(self.problems)

    def add_problem(self, text: str) -> None:
        self.problems = [*self.problems, text]

    def add_warning(self, text: str) -> None:
        self.warnings = [*self.warnings, text]


@dataclass
class Preview:
    """What importing the file would do: the counts for the whole file, the rows shown (``rows``:
    every row when the file has at most ``keep``; otherwise those that need a look, then the first
    others, ``keep`` at most) and, for the rows that did not go in and are not shown, their outcome
    and reason (``left_out``: the error file takes their cells from the sheet)."""

    table: Table
    mapping: dict[int, str]
    options: Options
    rows: list[RowPlan]  # the rows shown, in file order
    skipped_lines: int  # blank lines and "Tổng cộng" lines under the header
    version: tuple[int, int] | None  # the data it was checked against (None: not previewed)
    decisions: dict[int, str] = field(default_factory=dict)
    keep: int = SHOWN_ROWS
    total: int = 0  # data rows of the whole file (the blank and totals lines left out)
    tally: Counter = field(default_factory=Counter)  # outcome -> rows, for the whole file
    left_out: dict[int, tuple[Outcome, str]] = field(default_factory=dict)  # rejected, not shown
    unplaced_count: int = 0  # rows whose ward could not be found, in the whole file
    unplaced_numbers: list[int] = field(default_factory=list)  # the first of them (to name them)
    practice: bool = False  # checked against practice data (``Store.is_practice``): its error file says so
    _index: dict[int, RowPlan] | None = field(default=None, repr=False)  # shown rows by number
    _plain_shown: int = field(default=0, repr=False)  # rows shown that need no look

    @classmethod
    def unchecked(cls, table: Table, mapping: dict[int, str], options: Options | None = None) -> Preview:
        """A plan for ``execute`` with no preview before it (the command line): the rows are checked
        and matched once, while they are written."""
        options = options or Options()
        _check_choices(mapping, options)
        return cls(table, mapping, options, [], 0, None)

    @property
    def all_shown(self) -> bool:
        return len(self.rows) == self.total

    def counts(self) -> Counter:
        return +self.tally

    def rejected_count(self) -> int:
        return sum(n for outcome, n in self.tally.items() if outcome.rejected)

    def rejected(self) -> list[RowPlan]:
        """Every row that did not go in, in file order: those shown as they are, the others with
        their number, outcome and reason only (no cells: ``errorfile`` reads them from the sheet)."""
        shown = [r for r in self.rows if r.outcome.rejected]
        if not self.left_out:
            return shown
        others = [
            RowPlan(number, None, outcome, problems=(reason,) if reason else ())
            for number, (outcome, reason) in self.left_out.items()
        ]
        return sorted(shown + others, key=lambda r: r.number)

    def unplaced(self) -> list[RowPlan]:
        """The rows shown whose ward could not be found (``unplaced_count``: in the whole file)."""
        return [r for r in self.rows if _unplaced(r)]

    def decide(self, number: int, choice: str) -> RowPlan:
        """A person's decision on an ASK row ("update" / "skip") or a SIMILAR row ("create" / "skip"),
        one of the rows shown."""
        if self._index is None:
            self._index = {r.number: r for r in self.rows}
        row = self._index.get(number)
        if row is None:
            raise ImportFailed(f"Không có dòng {number} trong danh sách.")
        if not _allowed(row, choice):
            raise ImportFailed(f"Dòng {number} ({row.outcome.label}) không thể chọn «{choice}».")
        self.decisions[number] = choice
        before = row.outcome
        _apply_decision(row, choice)
        self.tally[before] -= 1
        self.tally[row.outcome] += 1
        return row

    def _add(self, row: RowPlan, first_rows: int) -> None:
        """Count one planned row; keep it if it is shown, or its reason if it did not go in."""
        self.total += 1
        self.tally[row.outcome] += 1
        if _unplaced(row):
            self.unplaced_count += 1
            if len(self.unplaced_numbers) < 20:
                self.unplaced_numbers.append(row.number)
        rejected = row.outcome.rejected
        look = rejected or bool(row.warnings)
        if len(self.rows) < self.keep and (look or self._plain_shown < first_rows):
            if not rejected:
                row.cells = None  # kept only for the error file (the sheet still has them)
                row.existing = None  # and the kept row for a person's decision
            self.rows.append(row)
            self._plain_shown += not look
        elif rejected:
            self.left_out[row.number] = (row.outcome, row.reason)


def _unplaced(r: RowPlan) -> bool:
    return (
        r.outcome == Outcome.INVALID
        and r.ward_from is None
        and r.enterprise is not None
        and not r.enterprise.ward_code
    )


_ALLOWED = {Outcome.ASK: ("update", "skip"), Outcome.SIMILAR: ("create", "skip")}


def _allowed(row: RowPlan, choice: str) -> bool:
    original = _undecided(row)
    return original in _ALLOWED and choice in _ALLOWED[original]


def _undecided(row: RowPlan) -> Outcome:
    return row.decided_from or row.outcome


def _apply_decision(row: RowPlan, choice: str) -> None:
    original = _undecided(row)
    row.decided_from = original
    if choice == "skip":
        row.outcome = Outcome.SKIP
    elif choice == "update":
        row.outcome = Outcome.UPDATE
    elif choice == "create":
        row.outcome = Outcome.NEW


def _version(store: Store) -> tuple[int, int]:
    seq = kept_creations.last_seq(store.conn)  # (a creation kept on its record has a number, no log row)
    count = store.conn.execute("SELECT count(*) FROM enterprises").fetchone()[0]
    return int(seq), int(count)


def _province(store: Store, options: Options) -> str | None:
    if options.province_code:
        if units.province(options.province_code) is None:
            raise ImportFailed(f"Mã tỉnh «{options.province_code}» không có trong danh mục.")
        return options.province_code
    unit = store.profile().unit_code
    return units.province_of(unit) if unit else None


def _check_choices(mapping: dict[int, str], options: Options) -> None:
    missing = mp.missing_required(mapping)
    if missing:
        raise ImportFailed(
            "Chưa ghép cột cho: " + ", ".join(missing) + ". Hãy chọn cột chứa thông tin này.",
            reason="unmapped_required",
        )
    if options.default_ward and units.ward(options.default_ward) is None:
        raise ImportFailed(f"Mã phường, xã mặc định «{options.default_ward}» không có trong danh mục.")


def preview(
    store: Store,
    table: Table,
    mapping: dict[int, str],
    options: Options | None = None,
    *,
    decisions: dict[int, str] | None = None,
    progress: Progress | None = None,
    keep: int = SHOWN_ROWS,
) -> Preview:
    """Read, check and match every data row; write nothing. The preview keeps the counts, at most
    ``keep`` rows to show, and the reasons of the rows that would not go in."""
    options = options or Options()
    _check_choices(mapping, options)
    result = Preview(table, mapping, options, [], 0, _version(store), dict(decisions or {}), keep)
    result.practice = store.is_practice
    _plan(result, _Builder(store, table, mapping, options), progress)
    return result


def _plan(
    result: Preview,
    builder: _Builder,
    progress: Progress | None,
    write: Callable[[RowPlan], None] | None = None,
    *,
    steps: int = 0,
) -> None:
    """Plan every data row of ``result.table`` into ``result`` (one row at a time: no plan is kept
    but those ``result`` shows), applying ``result.decisions``; ``write`` takes each planned row."""
    total = result.table.data_count()
    first_rows = result.keep if total <= result.keep else result.keep // 10
    decisions = result.decisions
    steps = max(steps, total)
    for i, (number, cells) in enumerate(result.table.iter_data_rows()):
        row = builder.row(number, cells)
        if row is None:
            result.skipped_lines += 1
        else:
            # a decision taken on the row (it may no longer wait for one: the data or the options
            # changed; the decision is kept in case it does again)
            choice = decisions.get(number)
            if choice is not None and _allowed(row, choice):
                _apply_decision(row, choice)
            if write is not None:
                write(row)
            result._add(row, first_rows)
        if progress and i % 500 == 0:
            progress(i, steps)
    if progress:
        progress(total, steps)


class _Builder:
    def __init__(self, store: Store, table: Table, mapping: dict[int, str], options: Options):
        self.table = table
        self.mapping = mapping
        self.options = options
        self.columns = {f: c for c, f in mapping.items()}
        self.index = LookalikeIndex(store)
        self.wards = WardMatcher(_province(store, options))
        self.seen_tax: dict[str, int] = {}
        self.today = options.today or date.today()
        self._warning: str | None = None
        self._header_keys = [mp.header_key(h) for h in table.headers]
        # the record type with its declared fields (app.domain.records.record_type), and those a cell
        # is read for by its kind (app.importing.values.read)
        self.cls = record_type(Enterprise)
        declared = {i.name: i for i in self.cls.FIELDS}
        self.read = [declared[n] for n in mp.fields() if n not in _PLACED]

    def col_label(self, field_name: str) -> str:
        col = self.columns.get(field_name)
        if col is None:
            return ""
        header = self.table.headers[col] if col < len(self.table.headers) else ""
        return f"Cột {mp.column_letter(col)} «{header}»" if header else f"Cột {mp.column_letter(col)}"

    def cell(self, cells: list[str], field_name: str) -> str:
        col = self.columns.get(field_name)
        return cells[col].strip() if col is not None and col < len(cells) else ""

    def row(self, number: int, cells: list[str]) -> RowPlan | None:
        unreadable = self.table.sheet.bad_rows.get(number)
        if unreadable:  # a cell longer than Excel allows, damaged characters, a line that could not be read
            return RowPlan(number, cells, Outcome.INVALID, problems=[unreadable])
        name, tax_text = self.cell(cells, "name"), self.cell(cells, "tax_code")
        if not name and not tax_text:
            return None
        if not tax_text and _TOTALS_RE.match(search_key(name)):
            return None  # a totals line ("Tổng cộng", "Cộng"), never "Công ty ..."
        if self._repeated_header(cells) or (not tax_text and self._heading(cells, name)):
            return None  # the header repeated on every printed page; a group heading ("I. Phường ...")
        plan = RowPlan(number, cells, Outcome.NEW)
        provided, problems = self._values(cells, plan)
        tax = taxcode.parse(provided.get("tax_code", "")).value

        # the same tax code earlier in this file
        if tax and tax in self.seen_tax:
            plan.outcome = Outcome.REPEATED
            plan.enterprise = normalise_enterprise(
                self.cls(**provided)
            )  # shown in the preview, never written
            plan.add_problem(
                f"Trùng mã số thuế {tax} với dòng {self.seen_tax[tax]} của tệp; dòng này chưa được nhập."
            )
            return plan
        if tax:
            self.seen_tax[tax] = number

        kept = self.index.same_tax_code(tax) if tax else []
        if len(kept) > 1:
            plan.outcome = Outcome.SIMILAR
            plan.existing = kept[0]
            plan.enterprise = normalise_enterprise(self.cls(**provided))
            plan.add_problem(
                f"Có {len(kept)} doanh nghiệp cùng mã số thuế {tax} trong dữ liệu; hãy xem và gộp chúng trước."
            )
            return plan
        existing = kept[0] if kept else None
        self._warning = None
        placement, ward_from = self._ward(cells, provided, existing is not None)
        if self._warning:
            plan.add_warning(self._warning)
        if placement is not None and placement.unit is not None:
            provided["ward_code"] = placement.unit.code
        plan.ward_from = ward_from

        if existing is not None:
            base = self.cls.from_row(existing)
            record = dataclasses.replace(base, **provided)
        else:
            record = self.cls(**provided)
            if record.legal_form is None:
                record.legal_form = val.legal_form(record.name)
        record = normalise_enterprise(record)
        plan.enterprise = record
        plan.existing = existing

        for p in validate_enterprise(record, self.today):
            if p.field == "ward_code" and placement is not None and placement.problem:
                hint = "" if "Hãy" in placement.problem else self._ward_hint()
                problems.append(placement.problem + hint)
            elif p.field == "ward_code" and placement is None:
                problems.append(
                    "Chưa có phường, xã: tệp không có cột phường, xã hay địa chỉ." + self._ward_hint()
                )
            else:
                label = self.col_label(p.field)
                problems.append(f"{label}: {p.message}" if label else p.message)
        if problems:
            plan.outcome = Outcome.INVALID
            plan.problems = problems
            return plan

        if existing is not None:
            old = self.cls.from_row(existing).to_row()
            new = record.to_row()
            plan.changes = {f: [old[f], new[f]] for f in new if f != "id" and old[f] != new[f]}
            if not plan.changes:
                plan.outcome = Outcome.UNCHANGED
                plan.changes = None
                # nothing to write: what the preview shows is enough (importing a list of 200,000 a
                # second time must not hold 200,000 whole records)
                plan.enterprise = self.cls(
                    id=record.id, name=record.name, tax_code=record.tax_code, ward_code=record.ward_code
                )
            else:
                plan.outcome = {"update": Outcome.UPDATE, "skip": Outcome.SKIP, "ask": Outcome.ASK}[
                    self.options.on_duplicate
                ]
                if plan.outcome == Outcome.ASK:
                    changed = ", ".join(self.cls.label(f) for f in plan.changes)
                    plan.add_problem(
                        f"Mã số thuế {tax} đã có («{existing['name']}»); tệp khác ở: {changed}. "
                        "Hãy chọn cập nhật hoặc bỏ qua."
                    )
            return plan

        similar = self.index.similar(record)
        if similar and not self.options.accept_similar:
            other = similar[0]
            plan.outcome = Outcome.SIMILAR
            plan.existing = other
            where = f", địa chỉ {other['address']}" if other.get("address") else ""
            plan.add_problem(
                f"Có thể trùng với doanh nghiệp đã có «{other['name']}» (mã số thuế {other['tax_code']}{where}): "
                "cùng tên và địa chỉ nhưng khác mã số thuế. Hãy xem lại; nếu là doanh nghiệp khác thì chọn "
                "«vẫn thêm mới»."
            )
        return plan

    def _repeated_header(self, cells: list[str]) -> bool:
        col = self.columns["name"]
        if col >= len(cells) or mp.header_key(cells[col]) != self._header_keys[col]:
            return False  # the cheap test first: the name cell
        keys = [mp.header_key(c) for c in cells[: len(self._header_keys)]]
        return keys == self._header_keys[: len(keys)]

    def _heading(self, cells: list[str], name: str) -> bool:
        others = [f for f in self.columns if f != "name" and self.cell(cells, f)]
        return not others and _HEADING_RE.match(name) is not None

    def _ward_hint(self) -> str:
        return " Hãy thêm cột «Phường, xã» hoặc «Mã phường, xã», hoặc chọn phường, xã mặc định."

    def _ward(
        self, cells: list[str], provided: dict[str, Any], kept: bool
    ) -> tuple[Placement | None, str | None]:
        code_text = self.cell(cells, "ward_code")
        if code_text:
            p = self.wards.by_code(code_text)
            return p, ("code" if p.ok else None)
        name_text = self.cell(cells, "ward_name")
        if name_text:
            p = self.wards.by_name(name_text)
            if p.note:
                self._warning = p.note  # an old ward's name: the preview says where it was placed
            return p, ("name" if p.ok else None)
        if kept:
            return None, "kept"  # an address-guessed ward never overrides a kept enterprise's ward
        address = provided.get("address") or ""
        p = self.wards.from_address(address) if address else None
        if p is not None and p.ok:
            if p.note:
                self._warning = p.note  # an old address: the preview says where it was placed
            return p, "address"
        if self.options.default_ward:  # not where a ward column names a wrong ward: that stays wrong
            unit = units.ward(self.options.default_ward)
            if p is not None and p.problem:
                self._warning = f"{p.problem} Đã xếp vào phường, xã mặc định {unit.name if unit else ''}."
            return Placement(unit), "default"
        return p, None

    def _values(self, cells: list[str], plan: RowPlan) -> tuple[dict[str, Any], list[str]]:
        """Field values the row provides (empty cells provide nothing), and problems reading them: each
        declared field read by its kind (``values.read``)."""
        out: dict[str, Any] = {}
        problems: list[str] = []
        tax_text = self.cell(cells, "tax_code")
        if tax_text or "tax_code" in self.columns:
            out["tax_code"] = val.tax_code(tax_text)
        for info in self.read:
            text = self.cell(cells, info.name)
            if not text:
                continue
            value, problem, warning = val.read(info, text)
            if problem:
                problems.append(f"{self.col_label(info.name)}: {problem}")
            elif warning:
                plan.add_warning(f"{self.col_label(info.name)}: {warning}")
            elif value is not None:
                out[info.name] = value
        return out, problems


# --- writing -------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    preview: Preview
    created: int
    updated: int
    rebuilt: bool  # the data changed after the preview: the plan was made again before writing
    changes: ChangeSummary = field(default_factory=ChangeSummary)  # the records it created and updated

    def summary_counts(self) -> Counter:
        return self.preview.counts()


def execute(
    store: Store,
    plan: Preview,
    *,
    author: str | None = None,
    remember_mapping: bool = True,
    progress: Progress | None = None,
) -> ImportResult:
    """Write the NEW and UPDATE rows in ONE transaction (each with its change-log row and search
    entry). Every row is checked and matched again inside the transaction (with the same options
    and decisions): nothing is written twice or over a newer record, and no plan for the whole file
    is held. The new enterprises are written in batches as the rows are planned; the updates after
    them, each row planned again (the rows are matched against the data as it was before any
    update, as in the preview)."""
    done = Preview(plan.table, plan.mapping, plan.options, [], 0, None, dict(plan.decisions), plan.keep)
    done.practice = store.is_practice
    with store.write(author) as w:
        done.version = _version(store)
        rebuilt = plan.version is not None and done.version != plan.version
        builder = _Builder(store, plan.table, plan.mapping, plan.options)
        creates: list[Enterprise] = []
        updates: set[int] = set()  # row numbers
        created = 0
        expected = plan.counts()[Outcome.UPDATE] if plan.version is not None else 0
        steps = plan.table.data_count() + expected

        def write(row: RowPlan) -> None:
            nonlocal created
            if row.outcome == Outcome.NEW and row.enterprise is not None:
                creates.append(row.enterprise)
                if len(creates) >= _WRITE_BATCH:  # in batches: what each holds is freed
                    w.create_many(creates)
                    created += len(creates)
                    creates.clear()
            elif row.outcome == Outcome.UPDATE and row.enterprise is not None:
                updates.add(row.number)

        _plan(done, builder, progress, write, steps=steps)
        if creates:
            w.create_many(creates)
            created += len(creates)
            creates.clear()
        # the updates, after every row was matched: a row matched after an update would see it
        builder.seen_tax.clear()
        updated = 0
        planned = plan.table.data_count()
        for number, cells in plan.table.iter_data_rows() if updates else ():
            if number not in updates:
                continue
            row = builder.row(number, cells)
            choice = done.decisions.get(number)
            if row is not None and choice is not None and _allowed(row, choice):
                _apply_decision(row, choice)
            if row is None or row.outcome != Outcome.UPDATE or row.enterprise is None:
                # never (the same row, rules and data): the transaction is rolled back
                raise ImportFailed(
                    f"Dòng {format_int(number)} cho kết quả khác khi kiểm tra lại; chưa ghi gì vào dữ liệu. "
                    "Hãy nhập lại tệp."
                )
            w.update(row.enterprise)
            updated += 1
            if progress and updated % 200 == 0:
                progress(min(planned + updated, steps), steps)
        if progress:  # inside the transaction: a progress that raises (a cancel) leaves nothing written
            progress(steps, steps)
    if remember_mapping:
        mp.remember(store, plan.table.headers, plan.mapping)
    return ImportResult(done, created, updated, rebuilt, w.changes)


def summary_lines(plan: Preview) -> list[str]:
    """The Vietnamese summary of a preview (or of what was imported)."""
    counts = plan.counts()
    lines = [f"Số dòng doanh nghiệp trong tệp: {format_int(plan.total)}"]
    for outcome in Outcome:
        if counts[outcome]:
            lines.append(f"  {outcome.label}: {format_int(counts[outcome])}")
    if plan.skipped_lines:
        lines.append(f"  (Bỏ qua {format_int(plan.skipped_lines)} dòng trống hoặc dòng tổng cộng.)")
    return lines
