"""Where KhaoSat keeps its files.

In order of precedence: ``--data-dir DIR``; the ``KHAOSAT_DATA_DIR`` environment variable;
portable mode (a file named ``khaosat-portable`` beside the program: data lives in ``data/``
beside it, for running from a USB stick); otherwise the user's data folder (platformdirs),
e.g. ``%LOCALAPPDATA%\\KhaoSat`` on Windows.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ENV_VAR = "KHAOSAT_DATA_DIR"
PORTABLE_MARKER = "khaosat-portable"
DB_FILE = "khaosat.sqlite3"
PRACTICE_DIR = "tap-duot"  # the practice database's folder, inside the data folder (app/demo/practice.py)


def program_dir() -> Path:
    """The folder of the program: the frozen executable's folder, or the source checkout."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent
    return Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    """``resources/`` (fonts, translations, icons, help)."""
    bundled = getattr(sys, "_MEIPASS", None)
    if bundled:
        return Path(bundled) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def portable_data_dir() -> Path | None:
    marker = program_dir() / PORTABLE_MARKER
    return program_dir() / "data" if marker.exists() else None


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    if override:
        return Path(override).expanduser().resolve()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser().resolve()
    portable = portable_data_dir()
    if portable is not None:
        return portable
    from platformdirs import user_data_dir

    return Path(user_data_dir("KhaoSat", appauthor=False, roaming=False))


def database_path(override: str | os.PathLike[str] | None = None) -> Path:
    return data_dir(override) / DB_FILE
