"""The command to type, for errors whose message (shared with the window) names none.

Messages made outside ``app.cli`` reach the window as well as the terminal, so they say what is wrong
and what to do without naming a command (the window names its screen instead: ``app.gui.remedies``).
An error that has a remedy carries a stable ``reason``; here the command line adds the command.
"""

from __future__ import annotations

HINTS: dict[str, str] = {
    "no_destination": 'khaosat keys register TỆP --office --fingerprint "SỐ TRÊN GIẤY"',
    "no_keys": "khaosat keys init",
    "wrong_kind": 'khaosat keys register TỆP --fingerprint "SỐ TRÊN GIẤY"',
    "not_initialised": 'khaosat init --unit MÃ --name "HỌ TÊN" --role collaborator',
    "unknown_unit": "khaosat units TÊN (tìm mã đơn vị)",
    "not_endorsed": 'khaosat keys replace-lost TỆP --fingerprint "SỐ ĐỌC TỪ NGƯỜI DÙNG MÁY" --reason "LÝ DO"',
    "unmapped_required": '--mapping "B=tax_code" (cột B là mã số thuế)',
    "practice": "--data-dir THƯ_MỤC_DỮ_LIỆU_THẬT (thư mục tap-duot là dữ liệu tập dượt)",
}


def with_hint(exc: BaseException, message: str | None = None) -> str:
    """The error's message, followed by the command that fixes it when there is one."""
    text = message if message is not None else str(exc)
    hint = HINTS.get(getattr(exc, "reason", "") or "")
    return f"{text}\n  Lệnh: {hint}" if hint else text
