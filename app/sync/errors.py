"""Errors of the sync layer: each names its reason (a stable code) and says it in Vietnamese."""

from __future__ import annotations

import errno
import re
from pathlib import Path


class SyncError(Exception):
    """A refusal or a failure the user must see. ``reason`` is a stable code (tests, reports)."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message

    def __str__(self) -> str:
        return self.message


_NOT_SHOWN = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]"
)


def shown(value: object, limit: int = 60) -> str:
    """A value from a file quoted in a message or a window: cut when long; characters that would not
    print (a lone surrogate would even stop the console) or that would reorder the text around them
    (bidirectional controls) written as ``\\u`` and the character's four hexadecimal digits."""
    text = "" if value is None else str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return _NOT_SHOWN.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_OS_REASONS = {
    errno.ENOENT: "không tìm thấy tệp (USB đã được rút ra, hay tệp đã bị xóa?)",
    errno.EACCES: "không có quyền đọc hoặc ghi tệp",
    errno.EPERM: "không có quyền đọc hoặc ghi tệp",
    errno.EROFS: "ổ đĩa chỉ cho đọc, không ghi được (USB có khóa chống ghi?)",
    errno.ENOSPC: "ổ đĩa đã đầy",
    errno.EIO: "lỗi đọc/ghi thiết bị (USB lỏng hoặc hỏng?)",
    errno.EISDIR: "đây là một thư mục, không phải tệp",
}


def os_message(exc: OSError, path: Path | str | None = None) -> str:
    """An operating-system failure on a file, in Vietnamese (the system's own words are English)."""
    reason = _OS_REASONS.get(exc.errno or 0, f"lỗi hệ thống số {exc.errno}" if exc.errno else "lỗi hệ thống")
    where = path if path is not None else exc.filename
    return (
        f"Không đọc/ghi được tệp {shown(where, 120)}: {reason}." if where else f"Lỗi đọc/ghi tệp: {reason}."
    )


def refuse_practice(store: object) -> None:
    """Practice data (demo records, app.demo.practice) never leaves its database and nothing real
    enters it: no export, no import, no keys, no registration."""
    if getattr(store, "is_practice", False):
        raise SyncError(
            "practice",
            "Đây là dữ liệu tập dượt (dữ liệu mẫu): không gửi, không nhận gói dữ liệu và không tạo hay đăng ký "
            "khóa được. Hãy thoát chế độ tập dượt để làm việc với dữ liệu thật.",
        )
