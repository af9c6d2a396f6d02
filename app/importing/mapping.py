"""Which column holds what: the header row found, columns guessed from Vietnamese headers written
many ways, corrected by the user, and remembered for the next file of the same shape.

Headers are compared folded (``search_key``: no diacritics, no punctuation), so "Mã số thuế",
"MA SO THUE", "Mã số thuế (MST)" and "MST" all land on ``tax_code``.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from app.domain.fields import FieldInfo, Kind
from app.domain.records import Enterprise, record_type
from app.domain.text import search_key
from app.importing.errors import ImportFailed
from app.importing.readers import Sheet

if TYPE_CHECKING:
    from app.storage.store import Store

# The words lists write in their headers for the enterprise's fields, folded, beyond the field's own
# label (always one of them): import knowledge, kept here. Their order is the priority when scores tie;
# the fields declared without words here (app/domain/records.py) come after them, found by their label.
ALIASES: dict[str, tuple[str, ...]] = {
    "name": (
        "ten doanh nghiep",
        "ten dn",
        "ten cong ty",
        "ten don vi",
        "ten co so",
        "doanh nghiep",
        "ten",
        "ten nguoi nop thue",
        "ten nnt",
        "don vi",
        "ten to chuc",
        "ten dvsdld",
        "ten don vi su dung lao dong",
        "ten doanh nghiep to chuc",
        "ten doanh nghiep hop tac xa",
        "ten cty",
    ),
    "tax_code": (
        "ma so thue",
        "mst",
        "ma so doanh nghiep",
        "ma so dn",
        "ma dn",
        "ma so thue doanh nghiep",
        "ma so dkkd",
        "so dkkd",
        "ma so dang ky kinh doanh",
        "so giay chung nhan dkdn",
        "ma so",
        "so gcn dkdn",
        "ma so thue ma so doanh nghiep",
        "mst msdn",
        "msdn",
    ),
    "short_name": ("ten viet tat", "ten tat", "viet tat"),
    "address": (
        "dia chi",
        "dia chi tru so",
        "dia chi tru so chinh",
        "tru so",
        "tru so chinh",
        "dia chi kinh doanh",
        "dia chi dkkd",
        "dia chi doanh nghiep",
        "noi dat tru so",
    ),
    "ward_code": ("ma phuong", "ma xa", "ma phuong xa", "ma xa phuong", "ma don vi hanh chinh", "ma dvhc"),
    "ward_name": (
        "phuong",
        "xa",
        "phuong xa",
        "xa phuong",
        "phuong xa dac khu",
        "ten phuong",
        "ten xa",
        "ten phuong xa",
        "don vi hanh chinh",
        "dia ban",
        "dia ban phuong xa",
    ),
    "owner_name": (
        "nguoi dai dien",
        "nguoi dai dien theo phap luat",
        "nguoi dai dien phap luat",
        "dai dien phap luat",
        "nguoi dai dien pl",
        "giam doc",
        "ten giam doc",
        "ho ten giam doc",
        "chu doanh nghiep",
        "chu dn",
        "chu so huu",
        "nguoi dung dau",
        "chu co so",
        "ho va ten nguoi dai dien",
    ),
    "workforce_total": (
        "so lao dong",
        "tong so lao dong",
        "tong so ld",
        "tong ld",
        "so ld",
        "lao dong",
        "tong so",
        "so cong nhan",
        "tong so cnld",
        "so nguoi lao dong",
        "so lao dong tham gia bhxh",
        "so ld tham gia bhxh",
        "lao dong tong so",
        "ld tong so",
        "tong so lao dong nguoi",
        "so cnld",
    ),
    "workforce_women": (
        "lao dong nu",
        "ld nu",
        "nu",
        "so ld nu",
        "so lao dong nu",
        "trong do nu",
        "lao dong trong do nu",
        "cong nhan nu",
    ),
    "workforce_under30": (
        "duoi 30 tuoi",
        "lao dong duoi 30 tuoi",
        "ld duoi 30 tuoi",
        "duoi 30",
        "ld duoi 30",
        "trong do duoi 30 tuoi",
        "do tuoi duoi 30",
        "thanh nien duoi 30 tuoi",
    ),
    "phone": (
        "dien thoai",
        "so dien thoai",
        "dt",
        "sdt",
        "dien thoai lien he",
        "so dt",
        "tel",
        "dien thoai fax",
        "dt lien he",
    ),
    "email": ("email", "e mail", "thu dien tu", "hop thu", "dia chi email", "dia chi thu dien tu", "mail"),
    "legal_form": (
        "loai hinh",
        "loai hinh doanh nghiep",
        "loai hinh dn",
        "loai hinh to chuc",
        "hinh thuc so huu",
        "loai hinh kinh te",
        "loai hinh so huu",
    ),
    "fdi": ("von nuoc ngoai", "co von dau tu nuoc ngoai", "fdi", "dau tu nuoc ngoai", "von dtnn", "dn fdi"),
    "vsic_section": (
        "nganh kinh te",
        "nganh nghe",
        "nganh nghe kinh doanh",
        "nganh nghe kinh doanh chinh",
        "ma nganh",
        "nganh",
        "linh vuc",
        "linh vuc hoat dong",
        "nganh kinh doanh chinh",
        "ma nganh cap 1",
        "ma nganh vsic",
        "nganh nghe chinh",
        "ma nganh kinh te",
    ),
    "year_founded": (
        "nam thanh lap",
        "ngay thanh lap",
        "ngay cap",
        "ngay cap giay phep",
        "ngay cap dkkd",
        "ngay cap gcn",
        "ngay dang ky",
        "ngay cap phep",
        "ngay bat dau hoat dong",
        "nam bat dau hoat dong",
        "ngay dang ky lan dau",
        "ngay cap lan dau",
        "thanh lap nam",
    ),
    "status": ("tinh trang", "tinh trang hoat dong", "trang thai", "trang thai hoat dong"),
    "note": ("ghi chu", "ghi chu khac"),
}
# The ward is read from its code or from its name: two columns for one field.
WARD_NAME = "ward_name"
_LABELS = {"ward_code": "Mã phường, xã", WARD_NAME: "Phường, xã"}


def importable(info: FieldInfo) -> bool:
    """A declared enterprise field a list can fill: typed on the form (not set by the program), and not
    political-affiliation data (``sensitive``: typed by a person who knows, never read from a list)."""
    return info.entry and not info.sensitive and info.kind not in (Kind.REF, Kind.MACHINE, Kind.UNIT)


def fields() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Field -> (Vietnamese label, folded header words): the enterprise's importable declared fields
    (``app.domain.records.record_type``) and the ward's name, in the order of ``ALIASES``, then the
    others in declaration order."""
    return _fields(record_type("enterprises"))


@functools.cache
def _fields(cls: type[Enterprise]) -> dict[str, tuple[str, tuple[str, ...]]]:
    declared = {i.name: i for i in cls.FIELDS if importable(i)}
    names = [n for n in ALIASES if n in declared or n == WARD_NAME] + [
        n for n in declared if n not in ALIASES
    ]
    out: dict[str, tuple[str, tuple[str, ...]]] = {}
    for name in names:
        label = _LABELS.get(name) or declared[name].label
        words = ALIASES.get(name, ())
        key = header_key(label)
        out[name] = (label, words if key in words else (*words, key))
    return out


# The column the error file adds: ignored when a fixed error file comes back.
REASON_HEADER = "Lý do chưa nhập"
ORIGIN_HEADER = "Dòng trong tệp gốc"
_OWN_KEYS = frozenset({search_key(REASON_HEADER), search_key(ORIGIN_HEADER)})

SETTING_KEY = "import.mappings"
MAX_REMEMBERED = 50

_PAREN_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_COLUMN_NUMBER_RE = re.compile(r"^\(?\s*(\d{1,2}|[a-zA-Z])\s*\)?$")
_NUMERIC_RE = re.compile(r"^[\d\s.,+()/-]+$")


def header_key(text: str) -> str:
    """Folded header without units in brackets: "Tổng số LĐ (người)" -> "tong so ld"."""
    stripped = _PAREN_RE.sub(" ", text or "")
    key = search_key(stripped)
    return key or search_key(text)


def score(header: str, field: str) -> int:
    """How well a header names a field: 0 none, 100+ exact alias, 50+ alias inside the header."""
    key = header_key(header)
    if not key:
        return 0
    best = 0
    for alias in fields()[field][1]:
        if key == alias:
            best = max(best, 100 + len(alias))
        elif f" {alias} " in f" {key} ":
            best = max(best, 50 + len(alias))
    return best


def best_field(header: str) -> tuple[str | None, int]:
    best, best_score = None, 0
    for field in fields():
        s = score(header, field)
        if s > best_score:
            best, best_score = field, s
    return best, best_score


def guess(headers: list[str]) -> dict[int, str]:
    """Column index -> field, each field at most once (the best-named column wins)."""
    candidates = []
    for col, header in enumerate(headers):
        if header_key(header) in _OWN_KEYS:
            continue
        for field in fields():
            s = score(header, field)
            if s:
                candidates.append((s, -col, col, field))
    candidates.sort(reverse=True)
    taken_cols: set[int] = set()
    taken_fields: set[str] = set()
    out: dict[int, str] = {}
    for _s, _neg, col, field in candidates:
        if col in taken_cols or field in taken_fields:
            continue
        out[col] = field
        taken_cols.add(col)
        taken_fields.add(field)
    return dict(sorted(out.items()))


# --- the header row ------------------------------------------------------------------------------


@dataclass
class Table:
    """A sheet with its header found: column headers and the data rows under them."""

    sheet: Sheet
    header_index: int  # index into sheet.rows of the (last) header row
    headers: list[str]
    first_data: int  # index into sheet.rows of the first data row

    @property
    def header_row_number(self) -> int:
        return self.sheet.row_numbers[self.header_index]

    def data_rows(self) -> list[tuple[int, list[str]]]:
        """(row number in the file, cells padded to the header width) for every data row."""
        return list(self.iter_data_rows())

    def iter_data_rows(self) -> Iterator[tuple[int, list[str]]]:
        """``data_rows`` one at a time (a big sheet's rows are split into cells only as they are used)."""
        width = len(self.headers)
        rows, numbers = self.sheet.rows, self.sheet.row_numbers
        for i in range(self.first_data, len(rows)):
            cells = rows[i]
            if len(cells) < width:
                cells += [""] * (width - len(cells))
            yield numbers[i], cells

    def data_count(self) -> int:
        """How many data rows there are (every row kept by the reader has a cell, or was unreadable)."""
        return max(0, len(self.sheet.rows) - self.first_data)

    def signature(self) -> str:
        return signature(self.headers)


def _recognised(headers: list[str]) -> int:
    fields = set()
    for h in headers:
        f, s = best_field(h)
        if f and s >= 50:
            fields.add(f)
    return len(fields)


def _header_like(cells: list[str]) -> bool:
    texts = [c.strip() for c in cells if c.strip()]
    return len(texts) >= 2 and all(len(t) <= 60 and not _NUMERIC_RE.match(t) for t in texts)


def _two_level(top: list[str], sub: list[str]) -> bool:
    """Two rows that form one header: both header-like, a group title over several sub-headers
    (blank cells beside it in the top row) and cells merged down (blank under them)."""
    if not (_header_like(top) and _header_like(sub)):
        return False
    width = max(len(top), len(sub))
    t = [c.strip() for c in top] + [""] * (width - len(top))
    b = [c.strip() for c in sub] + [""] * (width - len(sub))
    return any(not x and y for x, y in zip(t, b)) and any(x and not y for x, y in zip(t, b))


def _combine(top: list[str], sub: list[str]) -> list[str]:
    """Two header rows as one: a parent merged across several columns is carried to the right."""
    width = max(len(top), len(sub))
    top = top + [""] * (width - len(top))
    sub = sub + [""] * (width - len(sub))
    out, parent = [], ""
    for t, s in zip(top, sub):
        if t.strip():
            parent = t.strip()
        elif not s.strip():
            parent = ""
        if s.strip():
            out.append(f"{parent} {s.strip()}".strip() if (t.strip() or parent) else s.strip())
        else:
            out.append(t.strip())
    return out


def find_table(sheet: Sheet, scan: int = 30) -> Table:
    """Find the header row (not necessarily line 1: titles and merged cells often sit above it),
    a second header row under it when columns are grouped ("Lao động" over "Tổng số", "Nữ"), and
    a row of column numbers ("(1) (2) (3)") under that."""
    best: tuple[int, int, int, list[str]] | None = None  # (score, -index, span, headers)
    limit = min(scan, len(sheet.rows))
    for i in range(limit):
        row = sheet.rows[i]
        if not any(c.strip() for c in row):
            continue
        options = [(1, [c.strip() for c in row])]
        if i + 1 < len(sheet.rows) and _two_level(row, sheet.rows[i + 1]):
            options.append((2, _combine(row, sheet.rows[i + 1])))
        for span, headers in options:
            s = _recognised(headers)
            if span == 2 and s <= _recognised(options[0][1]):
                continue
            if best is None or (s, -i) > (best[0], best[1]):
                best = (s, -i, span, headers)
    if best is None or best[0] < 2:
        raise ImportFailed(
            "Không tìm thấy dòng tiêu đề của danh sách trong "
            f"{min(scan, len(sheet.rows))} dòng đầu của trang «{sheet.name}». Dòng tiêu đề cần có ít nhất "
            "hai cột như «Tên doanh nghiệp», «Mã số thuế», «Địa chỉ»."
        )
    _score, neg_index, span, headers = best
    index = -neg_index + span - 1
    first = index + 1
    if first < len(sheet.rows):
        texts = [c.strip() for c in sheet.rows[first] if c.strip()]
        if len(texts) >= 2 and all(_COLUMN_NUMBER_RE.match(t) for t in texts):
            first += 1
    return Table(sheet, index, headers, first)


# --- remembering ---------------------------------------------------------------------------------


def signature(headers: list[str]) -> str:
    keys = [header_key(h) for h in headers if header_key(h) not in _OWN_KEYS]
    while keys and not keys[-1]:
        keys.pop()
    return hashlib.sha1("|".join(keys).encode("utf-8")).hexdigest()[:16]


def remembered(store: Store, headers: list[str]) -> dict[int, str] | None:
    saved = (store.setting(SETTING_KEY, {}) or {}).get(signature(headers))
    if not saved:
        return None
    keys = [header_key(h) for h in headers]
    out: dict[int, str] = {}
    for key, field in saved.get("columns", {}).items():
        if field in fields() and key in keys:
            out[keys.index(key)] = field
    return dict(sorted(out.items()))


def remember(store: Store, headers: list[str], mapping: dict[int, str]) -> None:
    """Keep this mapping for the next file whose header row has the same shape."""
    all_saved = dict(store.setting(SETTING_KEY, {}) or {})
    keys = [header_key(h) for h in headers]
    all_saved[signature(headers)] = {
        "columns": {keys[col]: field for col, field in mapping.items() if col < len(keys) and keys[col]},
        "headers": headers,
        "saved": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if len(all_saved) > MAX_REMEMBERED:
        oldest = sorted(all_saved, key=lambda k: all_saved[k].get("saved", ""))
        for k in oldest[: len(all_saved) - MAX_REMEMBERED]:
            del all_saved[k]
    store.set_setting(SETTING_KEY, all_saved)


# --- corrections ---------------------------------------------------------------------------------


def field_of(text: str) -> str | None:
    """A field named by its code ("tax_code"), its label ("Mã số thuế") or an alias ("MST")."""
    t = text.strip()
    known = fields()
    if t in known:
        return t
    key = header_key(t)
    for field, (label, aliases) in known.items():
        if key == search_key(label) or key in aliases or key == search_key(field):
            return field
    return None


def column_letter(col: int) -> str:
    out = ""
    n = col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(ord("A") + rem) + out
    return out


def _column_of(ref: str, headers: list[str]) -> int | None:
    r = ref.strip()
    if re.fullmatch(r"[A-Za-z]{1,2}", r):
        for col in range(len(headers)):
            if column_letter(col) == r.upper():
                return col
    key = header_key(r)
    for col, h in enumerate(headers):
        if header_key(h) == key:
            return col
    if r.isdigit() and 1 <= int(r) <= len(headers):
        return int(r) - 1
    return None


def apply_corrections(mapping: dict[int, str], headers: list[str], spec: str) -> dict[int, str]:
    """Apply "B=tax_code, Tên DN=name, G=-" (column letter or header = field code/label, "-" to
    ignore). A field given to a column is taken away from any other column."""
    out = dict(mapping)
    for part in re.split(r"[,;\n]", spec):
        if not part.strip():
            continue
        if "=" not in part:
            raise ImportFailed(f"Cách ghép cột «{part.strip()}» phải có dạng CỘT=TRƯỜNG, ví dụ B=tax_code.")
        ref, _, target = part.partition("=")
        col = _column_of(ref, headers)
        if col is None:
            raise ImportFailed(
                f"Không có cột «{ref.strip()}» trong dòng tiêu đề. Hãy dùng chữ cái của cột (A, B, ...) "
                "hoặc đúng tiêu đề cột."
            )
        if target.strip() in ("-", "", "bỏ qua", "bo qua"):
            out.pop(col, None)
            continue
        field = field_of(target)
        if field is None:
            codes = ", ".join(fields())
            raise ImportFailed(f"Không hiểu trường «{target.strip()}». Các trường có thể dùng: {codes}.")
        for c, f in list(out.items()):
            if f == field:
                del out[c]
        out[col] = field
    return dict(sorted(out.items()))


def describe(mapping: dict[int, str], headers: list[str]) -> list[str]:
    """One Vietnamese line per column: "B «MST» → Mã số thuế"."""
    lines = []
    for col, header in enumerate(headers):
        if not header and col not in mapping:
            continue
        target = fields()[mapping[col]][0] if col in mapping else "(bỏ qua)"
        lines.append(f"{column_letter(col)} «{header}» → {target}")
    return lines


def missing_required(mapping: dict[int, str]) -> list[str]:
    fields = set(mapping.values())
    out = []
    if "name" not in fields:
        out.append("Tên doanh nghiệp")
    if "tax_code" not in fields:
        out.append("Mã số thuế")
    return out


# --- a file made ready for preview ---------------------------------------------------------------


@dataclass
class Prepared:
    kind: str  # "xlsx" | "xls" | "csv"
    sheet_names: list[str]
    table: Table
    mapping: dict[int, str]
    source: str  # "remembered" | "guessed"
    corrected: bool


def prepare(
    path, store: Store | None = None, sheet: str | int | None = None, corrections: str | None = None
) -> Prepared:
    """Open a file, pick the sheet (the named one, or the first with a recognisable header row),
    find the header, and take the remembered mapping for this header shape or guess one; then
    apply the user's corrections."""
    from app.importing.readers import open_workbook

    with open_workbook(path) as wb:
        if sheet not in (None, ""):
            table = find_table(wb.read(wb.sheet_name(sheet)))
        else:
            table, first_error = None, None
            for name in wb.sheet_names:
                try:
                    table = find_table(wb.read(name))
                    break
                except ImportFailed as exc:
                    first_error = first_error or exc
            if table is None:
                assert first_error is not None
                raise first_error
        kind, names = wb.kind, list(wb.sheet_names)
    saved = remembered(store, table.headers) if store is not None else None
    mapping, source = (saved, "remembered") if saved else (guess(table.headers), "guessed")
    if corrections:
        mapping = apply_corrections(mapping, table.headers, corrections)
    return Prepared(kind, names, table, mapping, source, bool(corrections))
