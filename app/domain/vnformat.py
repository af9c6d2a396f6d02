"""Vietnamese number and date formats: 1.549; 28,75%; 27/02/2024; "ngày 27 tháng 02 năm 2024"."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import Enum


def format_int(value: int | None) -> str:
    if value is None:
        return ""
    sign = "-" if value < 0 else ""
    return sign + f"{abs(int(value)):,}".replace(",", ".")


def format_decimal(value: float | Decimal, places: int = 2) -> str:
    q = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if q < 0 else ""
    whole, _, frac = f"{abs(q):f}".partition(".")
    text = format_int(int(whole))
    return sign + (f"{text},{frac}" if frac else text)


def parse_int(text: str | None) -> int | None:
    """Parse "1.549" or "1549" (Vietnamese grouping). Raises ValueError with a Vietnamese message."""
    if text is None:
        return None
    t = text.strip().replace(" ", "")
    if not t:
        return None
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+", t):
        t = t.replace(".", "")
    if not re.fullmatch(r"-?\d+", t):
        raise ValueError(f"«{text.strip()}» không phải là số nguyên.")
    return int(t)


def format_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def format_datetime(value: datetime | None) -> str:
    return value.strftime("%H:%M %d/%m/%Y") if value else ""


def long_date(value: date, place: str | None = None) -> str:
    """ "Hà Nội, ngày 05 tháng 02 năm 2024" as in administrative documents (days 1-9, months 1-2 padded)."""
    month = f"{value.month:02d}" if value.month <= 2 else str(value.month)
    text = f"ngày {value.day:02d} tháng {month} năm {value.year}"
    return f"{place}, {text}" if place else text


_DATE_RE = re.compile(r"^\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{2}|\d{4})\s*$")

# Two-digit years. "15/1/27" is written by people who mean 2027: a two-digit year is read as the
# year with those last two digits in the hundred years that end YEARS_AHEAD years after today.
# In 2026: 00-46 mean 2000-2046 and 47-99 mean 1947-1999 (a decision of "15/03/98" is 1998).
# A date read this way, or typed in full, that lies far from today is asked about by the forms
# (``far_from_today``): a slip of one digit then costs a question, not a wrong record.
YEARS_AHEAD = 20
FAR_DAYS = 366  # "far from today": more than a year before or after


def expand_year(two_digits: int, today: date | None = None) -> int:
    """The full year meant by a two-digit year (see YEARS_AHEAD)."""
    if not 0 <= two_digits <= 99:
        raise ValueError(two_digits)
    last = (today or date.today()).year + YEARS_AHEAD
    return last - (last - two_digits) % 100


def parse_date(text: str | None, today: date | None = None) -> date | None:
    """Parse "27/02/2024" (also 27-2-24, 27.02.2024, or ISO 2024-02-27). Raises ValueError (Vietnamese).

    A two-digit year is read with ``expand_year`` relative to ``today`` (default: the real today).
    """
    if text is None or not text.strip():
        return None
    t = text.strip()
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", t)
    try:
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = _DATE_RE.match(t)
        if m:
            year = int(m.group(3))
            if len(m.group(3)) == 2:
                year = expand_year(year, today)
            return date(year, int(m.group(2)), int(m.group(1)))
    except ValueError:
        raise ValueError(
            f"Ngày «{t}» không có trong lịch; hãy nhập ngày/tháng/năm, ví dụ 27/02/2024."
        ) from None
    raise ValueError(f"Ngày «{t}» không đúng dạng; hãy nhập ngày/tháng/năm, ví dụ 27/02/2024.")


def far_from_today(value: date | None, today: date) -> bool:
    """Whether a date is more than FAR_DAYS before or after ``today`` (worth a question)."""
    return value is not None and abs((value - today).days) > FAR_DAYS


def distance_text(value: date, today: date) -> str:
    """ "14 tháng sau hôm nay", "3 năm trước hôm nay": how far a date is, for a question."""
    days = (value - today).days
    months = round(abs(days) / 30.44)
    amount = f"{months} tháng" if months < 24 else f"{round(abs(days) / 365.25)} năm"
    return f"{amount} {'sau' if days > 0 else 'trước'} hôm nay"


class Rounding(str, Enum):
    """How the excess over a target is rounded to two decimals."""

    HALF_UP = "half_up"  # 16/15 -> vượt 6,67% (default)
    TRUNCATE = "truncate"  # 16/15 -> vượt 6,66% (as some reports write it)


def achievement(achieved: int, target: int, rounding: Rounding = Rounding.HALF_UP, places: int = 2) -> dict:
    """Achieved against target: "16/15", percent of target, excess, and a verdict.

    The percentage is exact decimal arithmetic (no float), rounded with ``rounding``.
    """
    mode = ROUND_HALF_UP if rounding == Rounding.HALF_UP else ROUND_DOWN
    ratio_text = f"{format_int(achieved)}/{format_int(target)}"
    if target <= 0:
        return {
            "ratio": ratio_text,
            "percent": None,
            "excess": None,
            "verdict": "Không giao chỉ tiêu",
            "reached": None,
            "text": ratio_text,
        }
    q = Decimal(1).scaleb(-places)
    percent = (Decimal(achieved) * 100 / Decimal(target)).quantize(q, rounding=mode)
    excess = (Decimal(achieved - target) * 100 / Decimal(target)).quantize(q, rounding=mode)
    if achieved > target:
        verdict, text = "Vượt", f"{ratio_text}, vượt {format_decimal(excess, places)}%"
    elif achieved == target:
        verdict, text = "Đạt", f"{ratio_text}, đạt 100%"
    else:
        verdict, text = "Chưa đạt", f"{ratio_text}, đạt {format_decimal(percent, places)}%"
    return {
        "ratio": ratio_text,
        "percent": percent,
        "excess": excess,
        "verdict": verdict,
        "reached": achieved >= target,
        "text": text,
    }
