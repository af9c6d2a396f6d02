"""Practice data on paper and in files: the words that mark it, and what a practice form may do.

Everything printed or exported from a practice database (``Store.is_practice``: demo data for a
newcomer, ``app.demo.practice``) carries ``MARK`` on every page or sheet, so a practice printout is
never taken on a real visit or sent up as a real report. A practice visit form says so in its QR
code too (``app.domain.formcode``, the flag ``TD``): KhaoSat reads it back into practice data only,
and a real form only into real data.
"""

from __future__ import annotations

WORD = "TẬP DƯỢT"
MARK = "TẬP DƯỢT – KHÔNG PHẢI SỐ LIỆU THẬT"  # on every page of a practice printout
NOTE = "In từ dữ liệu tập dượt (dữ liệu mẫu, tên và số liệu giả): không dùng cho công việc thật."

PRACTICE_FORM_IN_REAL_DATA = (
    "Phiếu này in từ dữ liệu tập dượt (có chữ «TẬP DƯỢT» trên phiếu): không đọc vào dữ liệu thật. "
    "Phiếu đi khảo sát thật phải in từ dữ liệu thật, sau khi thoát chế độ tập dượt."
)
REAL_FORM_IN_PRACTICE = (
    "Phiếu này in từ dữ liệu thật: đang ở chế độ tập dượt nên không đọc vào đây. Hãy bấm «Thoát chế độ "
    "tập dượt» rồi đọc lại phiếu; để tập đọc phiếu, in một phiếu trong chế độ tập dượt."
)


def form_refusal(form_is_practice: bool, data_is_practice: bool) -> str | None:
    """Why a form printed from practice (or real) data cannot be read into this data; None: it can."""
    if form_is_practice and not data_is_practice:
        return PRACTICE_FORM_IN_REAL_DATA
    if data_is_practice and not form_is_practice:
        return REAL_FORM_IN_PRACTICE
    return None
