"""The command line opening an older version's file says, on stderr, that it upgrades it and each step."""

from __future__ import annotations

from app.cli.unlock import UPGRADE_NOTICE
from app.storage.migrations import MIGRATIONS
from tests.helpers.vault import older_folder


def test_the_command_line_prints_the_upgrade_steps(tmp_path, cli):
    folder = older_folder(tmp_path / "data", 13)
    steps = sum(1 for number, _d, _s in MIGRATIONS if number > 13)
    r = cli("check", data_dir=folder)
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines() == [
        UPGRADE_NOTICE,
        "Đang sao lưu dữ liệu trước khi nâng cấp…",
        *(f"Đang nâng cấp dữ liệu (bước {n}/{steps})…" for n in range(1, steps + 1)),
        "Đã nâng cấp xong dữ liệu.",
    ]
    assert "Đang nâng cấp" not in r.stdout  # the command's own output is unchanged
    again = cli("check", data_dir=folder)  # current now: nothing said
    assert again.returncode == 0 and "nâng cấp" not in again.stderr
