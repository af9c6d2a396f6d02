"""Finding one enterprise from what a person types or scans: its id, its tax code, or the code printed
on a visit form. The one lookup used by the CLI, printing and the desktop program."""

from __future__ import annotations

from app.domain import practice, taxcode
from app.domain.formcode import FormCodeError, parse_form_code
from app.domain.records import Enterprise
from app.storage.store import Store


class SelectionError(ValueError):
    """The enterprises asked for cannot be found (Vietnamese message)."""


def resolve_enterprise(store: Store, key: str) -> Enterprise:
    """An enterprise by its UUID, its tax code, or a form code typed from a printed form."""
    key = (key or "").strip()
    e = store.get(Enterprise, key)
    if e is None and key.upper().startswith("KHAOSAT:"):
        try:
            code = parse_form_code(key)
        except FormCodeError as exc:
            raise SelectionError(str(exc)) from None
        refusal = practice.form_refusal(code.practice, store.is_practice) if code.kind == "visit" else None
        if refusal is not None:
            raise SelectionError(refusal)
        if code.blank:
            raise SelectionError("Đây là mã của phiếu trống: phiếu không ghi doanh nghiệp nào.")
        if code.enterprise_id:
            e = store.get(Enterprise, code.enterprise_id)
    if e is None:
        tax_code = taxcode.parse(key).value if key else ""
        matches = store.find_by_tax_code(tax_code) if tax_code else []
        if len(matches) > 1:
            raise SelectionError(
                f"Có {len(matches)} doanh nghiệp cùng mã số thuế {tax_code}; hãy dùng mã ID."
            )
        e = matches[0] if matches else None
    if e is None:
        raise SelectionError(f"Không có doanh nghiệp với mã số thuế hoặc ID «{key}».")
    return e
