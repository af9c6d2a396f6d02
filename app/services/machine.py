"""This machine: its key registration form values (laptop id, unit, user, active key fingerprint).

The fingerprint comes from the public keys registered in the file (``app.sync.registry.own_key``,
no passphrase needed); without keys there is none and the caller must be given one.
"""

from __future__ import annotations

from datetime import date

from app.domain import units
from app.domain.vocab import Role
from app.printing.keyform import KeyFormData
from app.storage.store import Store
from app.sync import registry


class NoKeyError(ValueError):
    """This machine has no keys yet (Vietnamese message)."""

    def __init__(self, message: str, reason: str = "no_keys"):
        super().__init__(message)
        self.reason = reason


def own_fingerprint(store: Store) -> str | None:
    """This machine's active key fingerprint (None if it has no keys)."""
    key = registry.own_key(store)
    return key.fingerprint if key else None


def this_machine(store: Store, *, office: str = "", officer: str = "", on: date | None = None) -> KeyFormData:
    prof = store.profile()
    fp = own_fingerprint(store)
    if not fp:
        raise NoKeyError("Máy này chưa có khóa: hãy tạo khóa cho máy rồi in phiếu đăng ký.", reason="no_keys")
    u = units.unit(prof.unit_code)
    role = Role.parse(prof.role) if prof.role else None
    return KeyFormData(
        laptop_id=prof.laptop_id,
        fingerprint=fp,
        unit_name=u.name if u else "",
        unit_code=prof.unit_code or "",
        collaborator=prof.collaborator or "",
        office=office,
        officer=officer,
        role=role.label if role else "",
        on=on or date.today(),
        place=u.short_name if u else "",
    )
