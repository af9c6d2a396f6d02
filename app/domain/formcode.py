"""Form codes: the text in a printed form's QR code (and printed under it), made and read back.

``KHAOSAT:F1:<ENTERPRISE UUID>:<TAX CODE>``
    a visit form (``F1`` = form version 1). Upper case so the QR code uses the compact
    alphanumeric mode; ``parse_form_code`` accepts any case and surrounding spaces.
``KHAOSAT:F2:<ENTERPRISE UUID>:<TAX CODE>:<PAGE>:<LAYOUT>``
    a page of a machine-readable visit form (``F2``): the page number (1: the enterprise's
    details, 2: the marks) and the id of the mark layout (``app.scan.layout``) it was printed
    with. A blank form leaves the UUID and the tax code empty (``KHAOSAT:F2:::2:238B3D``).
    ``F1`` codes of forms printed earlier still open their enterprise.
``KHAOSAT:K1:<LAPTOP ID>:<FINGERPRINT>``
    a key registration form; the fingerprint is encoded exactly as given.

A visit form printed from practice data ends with ``:TD`` (``KHAOSAT:F2:...:2:238B3D:TD``):
KhaoSat reads it into practice data only (``app.domain.practice``). Programs older than the flag
refuse it as a code they do not know, which is what they should do.

Documented in docs/printing.md; ``app.printing.qr`` draws them.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

PREFIX = "KHAOSAT"
FORM_VERSION = "F1"
SHEET_VERSION = "F2"  # the visit form with a mark sheet (page 2) that KhaoSat reads back
KEY_FORM_VERSION = "K1"
KNOWN_FORM_VERSIONS = ("F1", "F2")
PRACTICE_FLAG = "TD"  # the last part of the code of a form printed from practice data


class FormCodeError(ValueError):
    """The text is not a KhaoSat form code (Vietnamese message)."""


@dataclass(frozen=True)
class FormCode:
    kind: str  # "visit" or "key"
    version: str  # "F1", "K1"
    enterprise_id: str | None = None  # canonical lower-case UUID (visit forms)
    tax_code: str | None = None
    laptop_id: str | None = None  # key forms
    fingerprint: str | None = None
    page: int | None = None  # F2: 1 (details) or 2 (marks)
    layout: str | None = None  # F2: the mark layout's id
    practice: bool = False  # printed from practice data (the flag TD)

    @property
    def blank(self) -> bool:
        """A form printed blank: no enterprise named."""
        return self.kind == "visit" and self.enterprise_id is None


def _flag(practice: bool) -> str:
    return f":{PRACTICE_FLAG}" if practice else ""


def visit_form_code(enterprise_id: str, tax_code: str | None, *, practice: bool = False) -> str:
    """The text in a visit form's QR code."""
    eid = str(uuid.UUID(enterprise_id)).upper()
    return f"{PREFIX}:{FORM_VERSION}:{eid}:{(tax_code or '').strip().upper()}{_flag(practice)}"


def sheet_code(
    enterprise_id: str | None, tax_code: str | None, page: int, layout: str, *, practice: bool = False
) -> str:
    """The text in the QR code of page ``page`` of a machine-readable visit form (F2)."""
    eid = str(uuid.UUID(enterprise_id)).upper() if enterprise_id else ""
    tax = (tax_code or "").strip().upper() if enterprise_id else ""
    return f"{PREFIX}:{SHEET_VERSION}:{eid}:{tax}:{page}:{layout.upper()}{_flag(practice)}"


def key_form_code(laptop_id: str, fingerprint: str) -> str:
    """The text in a key registration form's QR code."""
    return f"{PREFIX}:{KEY_FORM_VERSION}:{laptop_id.strip()}:{fingerprint.strip()}"


_VISIT_RE = re.compile(r"^KHAOSAT:(F\d+):([0-9A-F-]{32,36}):([0-9A-Z-]*?)(:TD)?$")
_SHEET_RE = re.compile(r"^KHAOSAT:(F\d+):([0-9A-F-]{32,36})?:([0-9A-Z-]*):(\d{1,2}):([0-9A-Z]{1,12})(:TD)?$")
_KEY_RE = re.compile(r"^KHAOSAT:(K\d+):([^:\s]+):(.+)$", re.IGNORECASE)


def parse_form_code(text: str) -> FormCode:
    """Read a code typed or scanned from a printed form. Raises ``FormCodeError`` (Vietnamese)."""
    raw = (text or "").strip()
    if not raw:
        raise FormCodeError("Chưa nhập mã trên phiếu.")
    key = _KEY_RE.match(raw)
    if key and key.group(1).upper() == KEY_FORM_VERSION:
        return FormCode("key", KEY_FORM_VERSION, laptop_id=key.group(2), fingerprint=key.group(3))
    t = re.sub(r"\s+", "", raw).upper()
    sheet = _SHEET_RE.match(t)
    if sheet:
        return _sheet(raw, *sheet.groups())
    m = _VISIT_RE.match(t)
    if not m:
        if t.startswith(PREFIX + ":"):
            raise FormCodeError(
                f"Mã «{raw}» không đúng dạng mã phiếu KhaoSat (KHAOSAT:F1:...). "
                "Hãy quét lại hoặc nhập đủ mã in dưới mã QR."
            )
        raise FormCodeError(
            f"«{raw}» không phải mã phiếu KhaoSat. Mã in dưới mã QR có dạng "
            "KHAOSAT:F1:<mã doanh nghiệp>:<mã số thuế>."
        )
    version, eid, tax, flag = m.groups()
    _known(version)
    return FormCode("visit", version, enterprise_id=_uuid(eid), tax_code=tax or None, practice=bool(flag))


def _known(version: str) -> None:
    if version not in KNOWN_FORM_VERSIONS:
        raise FormCodeError(f"Phiếu mẫu {version} do phiên bản KhaoSat mới hơn in ra; hãy cập nhật KhaoSat.")


def _uuid(eid: str) -> str:
    try:
        return str(uuid.UUID(eid))
    except ValueError:
        raise FormCodeError(
            f"Mã doanh nghiệp «{eid}» trên phiếu bị sai; hãy quét lại hoặc nhập lại."
        ) from None


def _sheet(
    raw: str, version: str, eid: str | None, tax: str, page: str, layout: str, flag: str | None
) -> FormCode:
    _known(version)
    if version == FORM_VERSION:
        raise FormCodeError(f"Mã «{raw}» không đúng dạng mã phiếu KhaoSat mẫu {version}.")
    return FormCode(
        "visit",
        version,
        enterprise_id=_uuid(eid) if eid else None,
        tax_code=(tax or None) if eid else None,
        page=int(page),
        layout=layout,
        practice=bool(flag),
    )
