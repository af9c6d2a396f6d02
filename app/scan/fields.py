"""Which visit fields the paper form asks for, and how: read from the field declarations.

Every visit field declared with a paper place (``app.domain.fields.Paper``) is asked on the mark
sheet, in the order of the printed form (by paper row, then column, then declaration), numbered as
on the form. The declared kind decides the mark area:

- ``date``   write-in boxes over bubble columns for day, month and the year's last two digits;
- ``count``  (counts, integers, years) one write-in box and one bubble column (0-9) per digit;
- ``yesno``  two boxes, "Có" and "Chưa";
- ``choice`` one box per declared choice;
- ``text``   ruled lines written by hand, read back as an image for a person to type.

So a field declared once appears on the printed mark sheet and in the reader by itself
(``tests/scan/test_fields_layout.py`` declares one on a test copy of ``Visit``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from app.domain.fields import FieldInfo, Kind
from app.domain.records import Visit, fields_of, record_type

# Digits of a count when its declaration (``Paper.digits``) says nothing: 99.999 people at most on paper.
# The domain's bound, a million (``MAX_COUNT``), would need seven columns of bubbles for every count and
# not fit; it is a sanity bound, not a real value. The counts that can pass 99.999 in a real enterprise
# (its workforce: Pouyuen Việt Nam had about 90.000 workers; and the union members, up to all of it)
# declare six digits; the members of the Party, Youth Union, Women's and Veterans' organisations stay far
# below. A figure the columns cannot hold is typed in the review, up to the domain's bound.
COUNT_DIGITS = 5
# Ruled lines on the mark sheet for a long text (the page has room for three at most).
MAX_TEXT_LINES = 3


@dataclass(frozen=True)
class PaperField:
    name: str
    label: str
    kind: str  # "date" | "count" | "yesno" | "choice" | "text"
    number: int  # printed "1." ... as on the visit form
    required: bool = False
    digits: int = 0  # count
    choices: tuple[tuple[str, str], ...] = ()  # choice: (code, label)
    lines: int = 1  # text
    maximum: int | None = None  # count: the declared bound (a person may type more than the columns hold)

    @property
    def marked(self) -> bool:
        """Read by the machine (marks), not typed by a person from an image."""
        return self.kind != "text"


_KINDS = {
    Kind.DATE: "date",
    Kind.COUNT: "count",
    Kind.INTEGER: "count",
    Kind.YEAR: "count",
    Kind.YES_NO: "yesno",
    Kind.CHOICE: "choice",
}


def _paper_field(info: FieldInfo, number: int) -> PaperField:
    kind = _KINDS.get(info.kind, "text")
    digits = 0
    if kind == "count":
        declared = info.paper.digits if info.paper is not None else None
        digits = declared or min(info.digits or COUNT_DIGITS, COUNT_DIGITS)
    lines = 1
    if info.kind is Kind.LONG_TEXT:
        lines = max(1, min(info.paper.lines if info.paper is not None else 1, MAX_TEXT_LINES))
    return PaperField(
        name=info.name,
        label=info.label,
        kind=kind,
        number=number,
        required=info.required,
        digits=digits,
        choices=info.choices if kind == "choice" else (),
        lines=lines,
        maximum=info.maximum if kind == "count" else None,
    )


def paper_fields(record: type | None = None) -> tuple[PaperField, ...]:
    """The paper fields of ``record`` (default: the visit as the program uses it)."""
    return _paper_fields(record_type(record or Visit))


@functools.cache
def _paper_fields(record: type) -> tuple[PaperField, ...]:
    infos = [i for i in fields_of(record) if i.paper is not None]
    order = sorted(range(len(infos)), key=lambda k: (infos[k].paper.row, infos[k].paper.col, k))  # type: ignore[union-attr]
    return tuple(_paper_field(infos[k], n) for n, k in enumerate(order, start=1))


def by_name(record: type | None = None) -> dict[str, PaperField]:
    return {f.name: f for f in paper_fields(record)}
