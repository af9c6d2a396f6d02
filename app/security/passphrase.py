"""Passphrases: one normal form, one minimum strength, explained in Vietnamese.

A Vietnamese keyboard (Unikey, EVKey, the macOS and Windows built-in ones) may send "ế" as one
composed character or as "e" + two combining marks; both must unlock alike, so every passphrase is
normalised to NFC before it is used. Nothing else is changed (spaces and case count).
"""

from __future__ import annotations

import itertools
import unicodedata

from app.domain.text import fold

MIN_LENGTH = 10
MIN_DISTINCT = 6

# What the user reads next to the passphrase field (and in the user guide).
RULE_TEXT = (
    f"Mật khẩu cần ít nhất {MIN_LENGTH} ký tự, không phải một dãy dễ đoán (chỉ toàn chữ số, "
    "một ký tự lặp lại, 123456…, tên chương trình). Nên dùng một câu ngắn dễ nhớ với chính mình, "
    "ví dụ «Hoa sen nở ở hồ Tây năm 2019»: càng dài càng khó đoán. Mật khẩu mở khóa toàn bộ dữ liệu "
    "và khóa của máy; quên mật khẩu thì chỉ cơ quan cấp trên mới giúp lấy lại được."
)

_COMMON = {
    "khaosat",
    "matkhau",
    "password",
    "qwerty",
    "abcdef",
    "123456",
    "admin",
    "vietnam",
    "iloveyou",
    "dangcongsan",
}


def normalise(text: str) -> str:
    """NFC, and the line end a terminal may leave; nothing else."""
    return unicodedata.normalize("NFC", text.rstrip("\r\n"))


def same(a: str, b: str) -> bool:
    """Whether two typings are the same passphrase (the check of a passphrase typed twice: one may
    arrive composed, the other decomposed)."""
    return normalise(a) == normalise(b)


def strength_problem(text: str) -> str | None:
    """Why ``text`` is too weak to protect the data (Vietnamese), or None if it is acceptable."""
    p = normalise(text)
    if len(p) < MIN_LENGTH:
        return f"Mật khẩu quá ngắn: cần ít nhất {MIN_LENGTH} ký tự (đang có {len(p)})."
    if len(set(p)) < MIN_DISTINCT:
        return "Mật khẩu lặp lại quá ít ký tự khác nhau: hãy dùng một câu ngắn có nhiều chữ khác nhau."
    if p.isdigit() and len(p) < 16:
        return (
            "Mật khẩu chỉ toàn chữ số (như ngày sinh, số điện thoại) rất dễ đoán: "
            "hãy dùng một câu ngắn có chữ."
        )
    folded = "".join(ch for ch in fold(p) if ch.isalnum())
    if _is_sequence(folded) or any(folded.startswith(c) and len(folded) < len(c) + 6 for c in _COMMON):
        return "Mật khẩu là một dãy quá quen thuộc, dễ đoán: hãy dùng một câu ngắn dễ nhớ với chính mình."
    return None


def _is_sequence(text: str) -> bool:
    """1234567890, abcdefghij, 9876543210: each character one step from the one before."""
    if len(text) < 4:
        return False
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(text)}
    return steps in ({1}, {-1}, {0})
