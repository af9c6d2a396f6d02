"""Finding USB sticks (removable drives) to export to. Qt-free.

Windows: drive letters whose type is DRIVE_REMOVABLE (``GetDriveTypeW``). Linux: mount points under
``/media``, ``/run/media`` and ``/mnt`` in ``/proc/mounts`` (where desktops mount sticks).
"""

from __future__ import annotations

import os
import string
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Drive:
    path: Path
    label: str


def _windows() -> list[Drive]:
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    mask = kernel32.GetLogicalDrives()
    out = []
    for i, letter in enumerate(string.ascii_uppercase):
        if not mask & (1 << i):
            continue
        root = f"{letter}:\\"
        if kernel32.GetDriveTypeW(ctypes.c_wchar_p(root)) != 2:  # DRIVE_REMOVABLE
            continue
        name = ctypes.create_unicode_buffer(261)
        kernel32.GetVolumeInformationW(ctypes.c_wchar_p(root), name, 261, None, None, None, None, 0)
        out.append(Drive(Path(root), f"{name.value or 'USB'} ({letter}:)"))
    return out


def parse_mounts(text: str) -> list[Drive]:
    """Removable-looking mount points from the text of /proc/mounts."""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ").replace("\\011", "\t")
        if point.startswith(("/media/", "/run/media/", "/mnt/")):
            out.append(Drive(Path(point), f"{Path(point).name} ({point})"))
    return out


def removable_drives() -> list[Drive]:
    if os.name == "nt":  # pragma: no cover
        return _windows()
    try:
        text = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [d for d in parse_mounts(text) if d.path.is_dir() and os.access(d.path, os.W_OK)]
