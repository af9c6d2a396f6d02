"""Drafts of open forms, written atomically to the data folder so typing survives a crash.

A form saves its fields (as typed text) a moment after each change: the JSON is sealed with
ChaCha20-Poly1305 under a sub-key of the data key (drafts hold the same names and counts as the
database, so they are encrypted like it), written to a temporary file in ``drafts/``, flushed with
fsync and renamed over the draft, so a power cut leaves either the old draft or the new one, never
half of one. Saving the form (or discarding it) removes the draft. At start-up the window lists the
drafts left behind and offers them back. Plain ``.json`` drafts of an earlier version are sealed on
first reading.

The functions here do file work: the GUI calls them through ``TaskRunner.call`` (a worker).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag

from app.fileio import fsync_dir, write_atomic
from app.security.datakey import DataKey

VERSION = 1
MAGIC = b"KSDRAFT1"
LABEL = "drafts-v1"


@dataclass
class Draft:
    key: str  # "visit-<visit id>", "enterprise-<id>", ...
    form: str  # "enterprise" | "visit" | "organisation" | "admission" | "rating"
    title: str  # Vietnamese, shown when the draft is offered back
    record_id: str
    is_new: bool
    context: dict[str, Any] = field(default_factory=dict)  # e.g. enterprise_id, kind
    values: dict[str, Any] = field(default_factory=dict)  # field name -> text as typed
    saved_at: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "key": self.key,
            "form": self.form,
            "title": self.title,
            "record_id": self.record_id,
            "is_new": self.is_new,
            "context": self.context,
            "values": self.values,
            "saved_at": self.saved_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Draft:
        return cls(
            key=data["key"],
            form=data["form"],
            title=data.get("title", ""),
            record_id=data["record_id"],
            is_new=bool(data.get("is_new")),
            context=dict(data.get("context") or {}),
            values=dict(data.get("values") or {}),
            saved_at=data.get("saved_at", ""),
        )

    @property
    def saved_text(self) -> str:
        try:
            return datetime.fromisoformat(self.saved_at).strftime("%H:%M %d/%m/%Y")
        except ValueError:
            return self.saved_at


_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


class DraftStore:
    def __init__(self, folder: str | os.PathLike[str], key: DataKey | None):
        self.folder = Path(folder)
        self.key = key  # None while the program is locked (no draft is written then: its tasks wait)

    def _key(self) -> DataKey:
        if self.key is None:
            raise RuntimeError("drafts are sealed under the data key: the program is locked")
        return self.key

    def _path(self, key: str) -> Path:
        return self.folder / f"{_SAFE.sub('_', key)}.draft"

    def _seal(self, path: Path, draft: Draft) -> bytes:
        data = json.dumps(draft.to_json(), ensure_ascii=False).encode("utf-8")
        return MAGIC + self._key().seal(LABEL, data, path.stem.encode("utf-8"))

    def _open(self, path: Path) -> Draft:
        blob = path.read_bytes()
        if not blob.startswith(MAGIC):
            raise ValueError("not a draft")
        data = self._key().open(LABEL, blob[len(MAGIC) :], path.stem.encode("utf-8"))
        return Draft.from_json(json.loads(data.decode("utf-8")))

    def save(self, draft: Draft) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        draft.saved_at = datetime.now().isoformat(timespec="seconds")
        path = self._path(draft.key)
        write_atomic(path, self._seal(path, draft), mode=0o600)
        return path

    def discard(self, key: str) -> None:
        path = self._path(key)
        if path.exists():
            path.unlink()
            fsync_dir(self.folder)

    def load_all(self) -> list[Draft]:
        """Every readable draft, oldest first. Unreadable files are moved aside, never offered."""
        if not self.folder.is_dir():
            return []
        self._seal_plain_drafts()
        out = []
        for path in sorted(self.folder.glob("*.draft")):
            try:
                out.append(self._open(path))
            except (OSError, ValueError, KeyError, TypeError, InvalidTag):
                path.replace(path.with_suffix(".hong"))  # "hỏng": kept for support, not offered again
        out.sort(key=lambda d: d.saved_at)
        return out

    def _seal_plain_drafts(self) -> None:
        """An earlier version's plain ``.json`` drafts: sealed, then the plain file removed."""
        for path in sorted(self.folder.glob("*.json")):
            try:
                draft = Draft.from_json(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, TypeError):
                path.unlink(missing_ok=True)  # unreadable and unencrypted: not kept
                continue
            target = self._path(draft.key)
            write_atomic(target, self._seal(target, draft), mode=0o600)
            path.unlink()
        fsync_dir(self.folder)
