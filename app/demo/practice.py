"""Practice mode (chế độ tập dượt): demo data in a database of its own, never mixed with real data.

A person who wants to try the program gets a second database in the ``tap-duot`` folder inside the
data folder, filled with made-up enterprises for their ward. It is marked as practice data in its
``meta`` table (``Store.is_practice``): the sync layer refuses to export it, to import real bundles into
it, or to make or register keys for it (``app.sync.bundles``, ``app.sync.registry``), so demo records can
never reach an office, and the real database never receives a demo record from the window. The window
shows the mode on every screen and leaves it with one action (``app.gui.practice``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from app.domain import units
from app.paths import DB_FILE, PRACTICE_DIR
from app.security.datakey import DataKey
from app.storage.store import Profile, Store

FOLDER = PRACTICE_DIR  # inside the data folder
DEFAULT_ENTERPRISES = 200


def folder_of(data_dir: Path) -> Path:
    """The practice folder that belongs to a data folder."""
    return Path(data_dir) / FOLDER


def real_folder_of(practice_dir: Path) -> Path:
    """The data folder a practice folder belongs to."""
    return Path(practice_dir).parent


def demo_ward(unit_code: str | None) -> str | None:
    """The ward the demo enterprises are made for: the machine's ward, or the first of its province."""
    if not unit_code:
        return None
    if units.ward(unit_code) is not None:
        return unit_code
    wards = units.wards(unit_code)
    return wards[0].code if wards else None


@dataclass(frozen=True)
class Prepared:
    data_dir: Path  # the practice folder
    profile: Profile
    made: int  # demo enterprises made now (0: the practice data was there already)


def prepare(
    data_dir: Path,
    profile: Profile,
    enterprises: int = DEFAULT_ENTERPRISES,
    *,
    key: DataKey | None = None,
    progress: Callable[[int, int], None] | None = None,
    today: date | None = None,
) -> Prepared:
    """Open (making it the first time) the practice database of ``data_dir`` for this machine's person,
    unit and role; fill it with ``enterprises`` demo enterprises when it has none. ``key``: the data
    folder's key (the practice database is encrypted with it, like everything in the folder)."""
    from app.demo.generator import DemoOptions, generate

    folder = folder_of(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    ward = demo_ward(profile.unit_code)
    if ward is None:
        raise ValueError("Máy chưa chọn đơn vị: hãy thiết lập máy trước khi tập dượt.")
    with Store(folder / DB_FILE, key) as store:
        store.mark_practice()
        if not store.profile().initialised and profile.initialised:
            store.set_profile(
                unit_code=profile.unit_code or "",
                collaborator=profile.collaborator or "",
                role=profile.role,  # type: ignore[arg-type]
            )
        made = 0
        has_data = store.conn.execute("SELECT 1 FROM enterprises LIMIT 1").fetchone() is not None
        if not has_data and enterprises > 0:
            made = generate(
                store,
                DemoOptions(ward, enterprises=enterprises, today=today or date.today()),
                progress,
            ).enterprises
        return Prepared(folder, store.profile(), made)


def exists(data_dir: Path) -> bool:
    return (folder_of(data_dir) / DB_FILE).exists()
