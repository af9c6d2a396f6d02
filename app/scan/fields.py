"""Which visit fields the paper form asks for, and how: derived from the ``Visit`` record.

The paper form and its reader are both built from this list, so a field added to ``Visit``
appears on the printed mark sheet and in the reader by itself:

- ``date``   a date: write-in boxes over bubble columns for day, month and the year's last two digits;
- ``count``  a whole number: one write-in box and one bubble column (0-9) per digit;
- ``yesno``  two boxes, "Có" and "Chưa";
- ``choice`` one box per choice (a ``Labelled`` enum: the labels are printed);
- ``text``   ruled lines written by hand, read back as an image for a person to type.

The kind comes from the field's type in the dataclass; the label from ``Visit.LABELS``.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from dataclasses import dataclass
from datetime import date

from app.domain.records import Visit
from app.domain.vocab import Labelled

# Fields that are not answers on paper: the QR code names the enterprise.
NOT_ON_PAPER = frozenset({"id", "enterprise_id"})
# Fields a form without them cannot be saved with (validation refuses a visit without a date).
REQUIRED = frozenset({"visit_date"})
# Digits of a count: enough for the largest workforce of a private enterprise (99.999).
COUNT_DIGITS = 5
# Ruled lines for a free text: one for a name, more for the long answers.
LONG_TEXT_LINES = {"difficulties": 3, "proposals": 2, "next_step": 2}


@dataclass(frozen=True)
class PaperField:
    name: str
    label: str
    kind: str  # "date" | "count" | "yesno" | "choice" | "text"
    number: int  # printed "1." ... in the order of Visit's fields
    required: bool = False
    digits: int = 0  # count
    choices: tuple[tuple[str, str], ...] = ()  # choice: (code, label)
    lines: int = 1  # text

    @property
    def marked(self) -> bool:
        """Read by the machine (marks), not typed by a person from an image."""
        return self.kind != "text"


def _kind(annotation: object) -> tuple[str, type | None]:
    hint = annotation
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = tuple(a for a in args if a is not type(None))
        hint = args[0] if len(args) == 1 else hint
    if hint is bool:
        return "yesno", None
    if hint is int:
        return "count", None
    if hint is date:
        return "date", None
    if isinstance(hint, type) and issubclass(hint, Labelled):
        return "choice", hint
    if hint is str:
        return "text", None
    raise TypeError(f"Visit field type {annotation!r} has no paper form")


@functools.cache
def paper_fields(record: type = Visit) -> tuple[PaperField, ...]:
    """Every field of ``record`` (the visit) the paper form asks for, in the order of its fields."""
    hints = typing.get_type_hints(record)
    labels = getattr(record, "LABELS", {})
    out: list[PaperField] = []
    for f in dataclasses.fields(record):
        if f.name in NOT_ON_PAPER:
            continue
        kind, enum = _kind(hints[f.name])
        out.append(
            PaperField(
                name=f.name,
                label=labels.get(f.name, f.name),
                kind=kind,
                number=len(out) + 1,
                required=f.name in REQUIRED,
                digits=COUNT_DIGITS if kind == "count" else 0,
                choices=tuple(enum.choices()) if enum is not None else (),
                lines=LONG_TEXT_LINES.get(f.name, 1) if kind == "text" else 1,
            )
        )
    return tuple(out)


def by_name(record: type = Visit) -> dict[str, PaperField]:
    return {f.name: f for f in paper_fields(record)}
