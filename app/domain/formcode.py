"""Form codes: the text in a printed form's QR code (and printed under it), made and read back.

``KHAOSAT:F1:<ENTERPRISE UUID>:<TAX CODE>``
    a visit form (``F1`` = form version 1). Upper case so the QR code uses the compact
    alphanumeric mode; ``parse_form_code`` accepts any case and surrounding spaces.
``KHAOSAT:K1:<LAPTOP ID>:<FINGERPRINT>``
    a key registration form; the fingerprint is encoded exactly as given.

Documented in docs/printing.md; ``app.printing.qr`` draws them.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

PREFIX = "KHAOSAT"
FORM_VERSION = "F1"
KEY_FORM_VERSION = "K1"
KNOWN_FORM_VERSIONS = ("F1",)


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


def visit_form_code(enterprise_id: str, tax_code: str | None) -> str:
    """The text in a visit form's QR code."""
    eid = str(uuid.UUID(enterprise_id)).upper()
    return f"{PREFIX}:{FORM_VERSION}:{eid}:{(tax_code or '').strip().upper()}"


def key_form_code(laptop_id: str, fingerprint: str) -> str:
    """The text in a key registration form's QR code."""
    return f"{PREFIX}:{KEY_FORM_VERSION}:{laptop_id.strip()}:{fingerprint.strip()}"


_VISIT_RE = re.compile(r"^KHAOSAT:(F\d+):([0-9A-F-]{32,36}):([0-9A-Z-]*)$")
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
    version, eid, tax = m.groups()
    if version not in KNOWN_FORM_VERSIONS:
        raise FormCodeError(f"Phiếu mẫu {version} do phiên bản KhaoSat mới hơn in ra; hãy cập nhật KhaoSat.")
    try:
        enterprise_id = str(uuid.UUID(eid))
    except ValueError:
        raise FormCodeError(
            f"Mã doanh nghiệp «{eid}» trên phiếu bị sai; hãy quét lại hoặc nhập lại."
        ) from None
    return FormCode("visit", version, enterprise_id=enterprise_id, tax_code=tax or None)
