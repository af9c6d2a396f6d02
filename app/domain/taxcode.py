"""Vietnamese tax codes (mã số thuế).

- 10 digits: the 10th is a check digit. Weights 31, 29, 23, 19, 17, 13, 7, 5, 3 on digits 1-9,
  check = 10 - (sum mod 11); a remainder of 0 makes the number invalid.
- 13 digits: a 10-digit code plus a branch suffix ``-001`` ... ``-999``.
- 12 digits: since 1 July 2025 household businesses use the owner's personal ID number
  (căn cước công dân): a 3-digit place-of-registration code, a century/sex digit, two digits of
  the birth year and six serial digits.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)

# Place-of-registration codes that open a 12-digit personal ID (the 63 pre-2025 provinces).
PERSONAL_ID_PLACES = frozenset(
    [
        "001",
        "002",
        "004",
        "006",
        "008",
        "010",
        "011",
        "012",
        "014",
        "015",
        "017",
        "019",
        "020",
        "022",
        "024",
        "025",
        "026",
        "027",
        "030",
        "031",
        "033",
        "034",
        "035",
        "036",
        "037",
        "038",
        "040",
        "042",
        "044",
        "045",
        "046",
        "048",
        "049",
        "051",
        "052",
        "054",
        "056",
        "058",
        "060",
        "062",
        "064",
        "066",
        "067",
        "068",
        "070",
        "072",
        "074",
        "075",
        "077",
        "079",
        "080",
        "082",
        "083",
        "084",
        "086",
        "087",
        "089",
        "091",
        "092",
        "093",
        "094",
        "095",
        "096",
    ]
)

_STRIP_RE = re.compile(r"[\s.]+")


def _ascii_digits(text: str) -> str:
    """Digits of other scripts (full-width from an input method, Arabic-Indic...) as ASCII digits: the
    code is stored, searched and compared in one form."""
    if text.isascii():
        return text
    return "".join(str(unicodedata.digit(ch)) if ch.isdecimal() else ch for ch in text)


class TaxCodeKind(str, Enum):
    ENTERPRISE = "enterprise"  # 10 digits
    BRANCH = "branch"  # 10 digits + -NNN
    PERSONAL = "personal"  # 12-digit personal ID of a household business owner


@dataclass(frozen=True)
class TaxCodeResult:
    value: str  # the normalised code, or the cleaned input when invalid
    kind: TaxCodeKind | None
    error: str | None  # Vietnamese message saying what to fix, None when valid

    @property
    def ok(self) -> bool:
        return self.error is None


def check_digit(first9: str) -> int | None:
    """The check digit for nine digits, or None when no digit can make the code valid."""
    remainder = sum(w * int(d) for w, d in zip(WEIGHTS, first9, strict=True)) % 11
    if remainder == 0:
        return None
    return 10 - remainder


def is_valid_10(digits: str) -> bool:
    if len(digits) != 10 or not digits.isdigit() or digits[2:9] == "0000000":
        return False
    expected = check_digit(digits[:9])
    return expected is not None and expected == int(digits[9])


def parse(raw: str | None) -> TaxCodeResult:
    """Normalise and check a tax code typed by a person or read from a file."""
    text = _ascii_digits(_STRIP_RE.sub("", raw or ""))
    if not text:
        return TaxCodeResult("", None, "Chưa nhập mã số thuế.")
    text = text.replace("–", "-").replace("—", "-")
    if "-" in text:
        main, _, branch = text.partition("-")
    elif len(text) == 13 and text.isdigit():
        main, branch = text[:10], text[10:]
    else:
        main, branch = text, None
    if not (main.isascii() and main.isdigit()) or (
        branch is not None and not (branch.isascii() and branch.isdigit())
    ):
        return TaxCodeResult(text, None, "Mã số thuế chỉ gồm chữ số (có thể thêm đuôi chi nhánh -001).")
    if branch is not None:
        if len(main) != 10 or len(branch) != 3:
            return TaxCodeResult(
                text,
                None,
                "Mã số thuế chi nhánh phải có dạng 10 chữ số, dấu gạch và 3 chữ số (ví dụ 0101234567-001).",
            )
        if branch == "000":
            return TaxCodeResult(text, None, "Đuôi chi nhánh của mã số thuế phải từ 001 đến 999.")
        if not is_valid_10(main):
            return TaxCodeResult(text, None, _check_digit_message(main))
        return TaxCodeResult(f"{main}-{branch}", TaxCodeKind.BRANCH, None)
    if len(main) == 10:
        if not is_valid_10(main):
            return TaxCodeResult(text, None, _check_digit_message(main))
        return TaxCodeResult(main, TaxCodeKind.ENTERPRISE, None)
    if len(main) == 12:
        if main[:3] not in PERSONAL_ID_PLACES:
            return TaxCodeResult(
                text,
                None,
                f"Số định danh cá nhân 12 số phải bắt đầu bằng mã nơi đăng ký hợp lệ; «{main[:3]}» không có.",
            )
        return TaxCodeResult(main, TaxCodeKind.PERSONAL, None)
    return TaxCodeResult(
        text,
        None,
        f"Mã số thuế phải có 10 chữ số, 13 chữ số (có đuôi chi nhánh -001) hoặc 12 chữ số "
        f"(số định danh của hộ kinh doanh); đã nhập {len(main)} chữ số.",
    )


def _check_digit_message(main: str) -> str:
    if main[2:9] == "0000000":
        return "Mã số thuế không hợp lệ: bảy chữ số sau mã tỉnh (chữ số 3 đến 9) không thể đều là 0."
    expected = check_digit(main[:9])
    if expected is None:
        return "Mã số thuế không hợp lệ: 9 chữ số đầu không thể có chữ số kiểm tra. Hãy xem lại giấy tờ."
    return (
        f"Mã số thuế sai chữ số kiểm tra: với 9 chữ số đầu {main[:9]} thì chữ số thứ 10 phải là {expected}, "
        f"không phải {main[9]}. Hãy xem lại từng chữ số."
    )


def make_valid(first9: str) -> str | None:
    """Complete nine digits into a valid 10-digit code (for demo data and tests); None when no digit
    makes them valid (no check digit, or seven zeros after the province code, which the rules refuse)."""
    if first9[2:9] == "0000000":
        return None
    digit = check_digit(first9)
    return None if digit is None else f"{first9}{digit}"


def valid_tax_code(number: int) -> str:
    """A valid 10-digit code from ``number`` (its first nine digits), or the next number's when ``number``
    has no check digit (for demo data and tests)."""
    while (code := make_valid(f"{number:09d}")) is None:
        number += 1
    return code
