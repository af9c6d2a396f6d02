"""Fields declared once: the vocabulary records use to say what each field is.

A record (``app/domain/records.py``) declares each field as a dataclass field whose default comes
from one of the helpers below::

    workforce_women: int | None = f.count(
        "Lao động nữ", not_above=("workforce_total",), group="workforce", beside=True, paper=f.Paper(row=3)
    )

The helper keeps a ``FieldInfo`` in the dataclass field's metadata (like Django's model fields or a
row of an XLSForm "survey" sheet): the Vietnamese label, the kind, the coded choices, whether it is
required, its bounds and maximum length, where it sits on the entry form and on paper, and a short
help text. Everything that lists fields reads them from there (``app.domain.records.fields_of``):
the value checks (``app.domain.checks``), the entry forms, the printed visit form and its mark sheet
(read back by ``app.scan``), the detail panel and its visits tab, ``khaosat enterprise show`` and its
visit lines, the Excel export, the history, the demo data, the bundle's columns, the column table of
docs/sync-bundle.md and the SQL of a new column (``app.storage.migrations.add_declared_column``).

Pure Python: no Qt, no SQL.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Mapping
from typing import Any

from app.domain.vocab import Labelled

MAX_COUNT = 1_000_000  # no enterprise in Vietnam has a million workers


class Kind(str, enum.Enum):
    """What a field holds. The code (the value) is what docs/sync-bundle.md calls the field's kind."""

    TEXT = "text"  # one line of text
    LONG_TEXT = "long_text"  # several lines (notes, difficulties)
    INTEGER = "integer"  # a whole number with bounds (a target's value)
    COUNT = "count"  # a number of people: 0 to MAX_COUNT
    YEAR = "year"  # a calendar year (shown without a thousands dot)
    DATE = "date"  # a day: datetime.date in records, "YYYY-MM-DD" when stored
    CHOICE = "choice"  # one coded value among ``choices``
    YES_NO = "yes_no"  # True/False in records, 1/0 when stored
    TAX_CODE = "tax_code"  # 10 digits (check digit), branch -001, or a 12-digit personal ID
    WARD = "ward"  # a ward's 5-digit GSO code
    UNIT = "unit"  # a province's or a ward's GSO code
    EMAIL = "email"
    PHONE = "phone"
    REF = "ref"  # the id of another record (``ref`` names its table)
    MACHINE = "machine"  # a machine's id (``laptop_id``: 16 lowercase hexadecimal digits)

    @property
    def wire(self) -> str:
        """The value's type on the wire (bundles) and in the database."""
        return _WIRE[self]

    @property
    def is_number(self) -> bool:
        return self in (Kind.INTEGER, Kind.COUNT, Kind.YEAR)

    @property
    def is_text(self) -> bool:
        return self in _TEXTUAL


_WIRE = {
    Kind.TEXT: "string",
    Kind.LONG_TEXT: "string",
    Kind.INTEGER: "integer",
    Kind.COUNT: "integer",
    Kind.YEAR: "integer",
    Kind.DATE: "string (YYYY-MM-DD)",
    Kind.CHOICE: "string (code)",
    Kind.YES_NO: "integer 0/1",
    Kind.TAX_CODE: "string",
    Kind.WARD: "string (5 digits)",
    Kind.UNIT: "string (2 or 5 digits)",
    Kind.EMAIL: "string",
    Kind.PHONE: "string",
    Kind.REF: "string (UUID)",
    Kind.MACHINE: "string (16 hex digits)",
}
_TEXTUAL = frozenset(
    {
        Kind.TEXT,
        Kind.LONG_TEXT,
        Kind.TAX_CODE,
        Kind.WARD,
        Kind.UNIT,
        Kind.EMAIL,
        Kind.PHONE,
        Kind.REF,
        Kind.MACHINE,
    }
)
# Maximum lengths when a declaration gives none (what a bundle may carry is bounded anyway).
_MAX_LENGTH = {
    Kind.TEXT: 300,
    Kind.LONG_TEXT: 4000,
    Kind.TAX_CODE: 14,
    Kind.WARD: 5,
    Kind.UNIT: 5,
    Kind.EMAIL: 254,
    Kind.PHONE: 20,
    Kind.REF: 64,
    Kind.MACHINE: 16,
}


@dataclasses.dataclass(frozen=True)
class Paper:
    """Where a field is printed on the paper visit form (``app/printing/visit_form.py``).

    Enterprise fields are part A (what KhaoSat knows, to check by hand), visit fields part B (what
    the collaborator writes down). Fields with the same ``row`` are printed side by side (by ``col``,
    then in declaration order); rows are printed by number. Each kind has its own mark area: a box for a
    count, day/month/year boxes for a date, a tick box for yes/no, one tick box per choice, ruled
    lines for long text (``lines`` of them), a dotted line for text.
    """

    row: int
    col: int = 0  # order within the row (then declaration order)
    label: str | None = None  # a shorter label on paper ("Loại hình"); None: the field's label
    title: str | None = None  # starts a titled row: "Tổ chức đã có", "Lao động theo hồ sơ"
    lines: int = 0  # ruled lines for long text
    only: str | None = None  # "blank" or "prefilled": printed on that variant only (part A)
    digits: int | None = None  # digit boxes of a number on a machine-read form (None: as the maximum needs)

    def __post_init__(self) -> None:
        if self.only not in (None, "blank", "prefilled"):
            raise ValueError(f"Paper.only must be 'blank', 'prefilled' or None, not {self.only!r}")


@dataclasses.dataclass(frozen=True)
class FieldInfo:
    """Everything KhaoSat knows about one field of a record."""

    name: str  # the column; bound from the dataclass field (empty in a bare declaration)
    label: str  # Vietnamese, as on screen and paper
    kind: Kind
    required: bool = False  # must have a value (a star on the form; "Chưa nhập ..." otherwise)
    default: Any = None  # value when none is given: the record's, the column's SQL default, the wire's
    null: bool = True  # the column may be NULL
    choices: tuple[tuple[str, str], ...] = ()  # (code, Vietnamese label), in order
    enum: type[Labelled] | None = None  # the coded values' enum (records hold its members)
    show_code: bool = False  # a choice is shown as "C - Công nghiệp chế biến, chế tạo"
    max_length: int | None = None
    minimum: int | dt.date | None = None  # a date minimum is checked as "from year ... on" when a 1 January
    maximum: int | None = None
    not_future: bool = False  # a date not after today; a year not after this year
    not_above: tuple[str, ...] = ()  # counts this one must not exceed (parts not above the whole)
    adds_up: bool = False  # a count reports add up
    ref: str | None = None  # for REF: the table referred to
    group: str = ""  # a set of fields that belong together (workforce, party members...)
    beside: bool = False  # entry form: on the same line as the field before
    entry: bool = True  # typed on the entry form (False: set by the program, e.g. the enterprise id)
    paper: Paper | None = None  # printed on the visit form; None: not on paper
    # a column where records are listed (the detail panel's tab, the visit lines of ``khaosat enterprise
    # show``): its short heading; None: not listed
    column: str | None = None
    carry: bool = False  # a new visit starts with the last visit's value
    sensitive: bool = False  # political-affiliation data: kept out of exported lists
    export: bool = True  # a column of the exported enterprise list
    help: str = ""  # a short hint (shown in an empty box on the form)
    missing: str | None = None  # message when required and empty (default "Chưa nhập ...")
    invalid: str | None = None  # message when the value is not allowed (default names the rule)

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(code for code, _label in self.choices)

    def choice_label(self, code: str) -> str | None:
        for c, label in self.choices:
            if c == code:
                return label
        return None

    @property
    def digits(self) -> int | None:
        """How many digits a number of this field has at most on paper (a machine-read form gives each
        one a column of marks): the declared ``Paper.digits``, or as many as the maximum needs."""
        if self.paper is not None and self.paper.digits is not None:
            return self.paper.digits
        if self.kind is Kind.YEAR:
            return 4
        if self.kind.is_number and self.maximum is not None:
            return len(str(self.maximum))
        return None

    @property
    def sql_type(self) -> str:
        return "INTEGER" if self.kind.is_number or self.kind is Kind.YES_NO else "TEXT"

    @property
    def stored_default(self) -> Any:
        """The default as stored (and as on the wire): codes, 0/1, ISO dates."""
        return stored(self.default)

    def column_sql(self) -> str:
        """The column's SQL, as ``ALTER TABLE ... ADD COLUMN`` takes it."""
        sql = f"{self.name} {self.sql_type}"
        if not self.null:
            sql += " NOT NULL"
        if self.default is not None:
            value = self.stored_default
            sql += (
                f" DEFAULT {value}"
                if isinstance(value, int)
                else " DEFAULT '" + value.replace("'", "''") + "'"
            )
        return sql


def stored(value: Any) -> Any:
    """A record value in its stored form: codes for coded values, 0/1, ISO dates."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# --- declaring a field -----------------------------------------------------------------------------
#
# Each helper returns a dataclasses.field whose default is the record's default and whose metadata
# holds the FieldInfo. A required field with no real default starts empty ("", 0, the first choice):
# that placeholder is not a default (no SQL DEFAULT, "required" on the wire).

_KEY = "khaosat"


def _declare(
    label: str,
    kind: Kind,
    *,
    required: bool = False,
    default: Any = None,
    null: bool | None = None,
    empty: Any = None,
    **meta: Any,
) -> Any:
    if "max_length" not in meta and kind in _MAX_LENGTH:
        meta["max_length"] = _MAX_LENGTH[kind]
    if null is None:
        null = default is None and not required
    info = FieldInfo("", label, kind, required=required, default=default, null=null, **meta)
    start = default if default is not None else (None if null else empty)
    return dataclasses.field(default=start, metadata={_KEY: info})


def info_of(field: dataclasses.Field) -> FieldInfo | None:
    """The declaration kept on a dataclass field (None for a field declared without a helper)."""
    return field.metadata.get(_KEY)


def text(label: str, **kw: Any) -> Any:
    """One line of text; ``max_length`` defaults to 300."""
    return _declare(label, Kind.TEXT, empty="", **kw)


def long_text(label: str, **kw: Any) -> Any:
    """Several lines of free text (a multi-line box on screen)."""
    return _declare(label, Kind.LONG_TEXT, empty="", **kw)


def integer(label: str, *, minimum: int | None = None, maximum: int | None = None, **kw: Any) -> Any:
    return _declare(label, Kind.INTEGER, minimum=minimum, maximum=maximum, empty=0, **kw)


def count(label: str, *, minimum: int = 0, maximum: int = MAX_COUNT, adds_up: bool = True, **kw: Any) -> Any:
    """A number of people (workers, members). Reports add counts up unless ``adds_up=False``."""
    return _declare(label, Kind.COUNT, minimum=minimum, maximum=maximum, adds_up=adds_up, empty=0, **kw)


def year(label: str, *, minimum: int = 1900, maximum: int | None = None, **kw: Any) -> Any:
    return _declare(label, Kind.YEAR, minimum=minimum, maximum=maximum, empty=0, **kw)


def date(label: str, *, minimum: dt.date | None = None, **kw: Any) -> Any:
    return _declare(label, Kind.DATE, minimum=minimum, **kw)


def choice(
    label: str, values: type[Labelled] | Mapping[str, str], *, show_code: bool = False, **kw: Any
) -> Any:
    """One of the coded values of a ``Labelled`` enum (records hold its members), or of a mapping
    code -> label (records hold the code)."""
    if isinstance(values, Mapping):
        return _declare(label, Kind.CHOICE, choices=tuple(values.items()), show_code=show_code, **kw)
    members = list(values)
    return _declare(
        label,
        Kind.CHOICE,
        choices=tuple((m.value, m.label) for m in members),
        enum=values,
        show_code=show_code,
        empty=members[0],
        **kw,
    )


def yes_no(label: str, **kw: Any) -> Any:
    """Yes or no; not set is "no" (stored 0)."""
    kw.setdefault("default", False)
    return _declare(label, Kind.YES_NO, **kw)


def tax_code(label: str = "Mã số thuế", **kw: Any) -> Any:
    return _declare(label, Kind.TAX_CODE, empty="", **kw)


def ward(label: str = "Phường, xã", **kw: Any) -> Any:
    return _declare(label, Kind.WARD, empty="", **kw)


def unit(label: str = "Đơn vị", **kw: Any) -> Any:
    return _declare(label, Kind.UNIT, empty="", **kw)


def email(label: str = "Thư điện tử", **kw: Any) -> Any:
    return _declare(label, Kind.EMAIL, empty="", **kw)


def phone(label: str = "Điện thoại", **kw: Any) -> Any:
    return _declare(label, Kind.PHONE, empty="", **kw)


def machine(label: str, **kw: Any) -> Any:
    """A registered machine (a collaborator's laptop, an office), by its id; set by the program."""
    kw.setdefault("entry", False)
    return _declare(label, Kind.MACHINE, empty="", **kw)


def ref(table: str, label: str, **kw: Any) -> Any:
    """The id of a record of ``table`` (not typed on the entry form unless ``entry=True``)."""
    kw.setdefault("entry", False)
    return _declare(label, Kind.REF, ref=table, empty="", **kw)
