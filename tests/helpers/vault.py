"""Data folders in tests: encrypted like the real ones, with a fast key derivation.

``tests/conftest.py`` sets ``KHAOSAT_TEST_FAST_KDF=1`` (scrypt N=2^4 instead of 2^16: the installed
program never reads it) and ``KHAOSAT_PASSPHRASE`` for the command line run as a subprocess, so every
folder a test makes is locked with ``TEST_PASSPHRASE`` and opens in about a millisecond.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from app.security import datakey
from app.security.datakey import DataKey
from app.storage import Store

TEST_PASSPHRASE = "Mật khẩu thử nghiệm 2025"

_keys: dict[tuple[str, str], DataKey] = {}


def key_for(folder: str | Path, passphrase: str = TEST_PASSPHRASE) -> DataKey:
    """The folder's data key (a new folder is set up; an older program's plain file is encrypted)."""
    from app.services.unlock import open_folder

    folder = Path(folder)
    if datakey.exists(folder):
        ring = datakey.load(folder)
        cached = _keys.get((ring.key_id, passphrase))
        if cached is not None:
            return cached
    key = open_folder(folder, passphrase).key
    _keys[(key.key_id, passphrase)] = key
    return key


def open_store(folder: str | Path, **options: Any) -> Store:
    """The folder's Store, unlocked with the test passphrase (``options``: e.g. ``wall=clock``)."""
    return Store.in_dir(folder, key_for(folder), **options)


def copy_data(src: str | Path, dest: str | Path) -> Path:
    """A copy of a data folder's database and its data key (what opening it needs)."""
    src, dest = Path(src), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(src / "khaosat.sqlite3", dest / "khaosat.sqlite3")
    shutil.copy(src / datakey.DATAKEY_FILE, dest / datakey.DATAKEY_FILE)
    return dest


def open_practice_store(folder: str | Path) -> Store:
    """The practice database of a data folder (app.demo.practice), encrypted with the folder's key."""
    from app.demo.practice import FOLDER

    return Store(Path(folder) / FOLDER / "khaosat.sqlite3", key_for(folder))
