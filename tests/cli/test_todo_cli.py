"""``khaosat todo`` as a subprocess on the demo database: the same sections and numbers as the service,
one section in full, the week's forms printed in one batch, and clear refusals."""

from __future__ import annotations

from app.services import worklist as wl
from tests.conftest import TEST_TODAY, run_cli
from tests.helpers.vault import open_store


def test_the_work_list_on_the_command_line(demo_file, tmp_path):
    folder = demo_file.parent
    r = run_cli("todo", "--today", "20/11/2025", "--limit", "2", data_dir=folder)
    assert r.returncode == 0, r.stderr
    with open_store(folder) as store:
        q = wl.query_for(store, TEST_TODAY)
        counts = {s: wl.count(store, q, s) for s in wl.SECTIONS}
        first = wl.page(store, q, wl.OPPORTUNITIES, 0, 1)[0]
    for section, title in wl.SECTIONS.items():
        n = counts[section]
        assert f"== {title}: {n:,} ==".replace(",", ".") in r.stdout
    assert first.what in r.stdout and f"MST {first.tax_code}" in r.stdout
    r = run_cli("todo", "--today", "20/11/2025", "--section", "probation", "--all", data_dir=folder)
    assert counts[wl.PROBATION] > 0, "the demo has probations ending around its day"
    title = wl.SECTIONS[wl.PROBATION]
    assert r.returncode == 0 and f"== {title}:" in r.stdout and "đảng viên dự bị kết nạp ngày" in r.stdout
    assert wl.SECTIONS[wl.OVERDUE] not in r.stdout
    assert r.stdout.count("- MST ") == counts[wl.PROBATION]

    out = tmp_path / "tuan.pdf"
    r = run_cli("todo", "--today", "20/11/2025", "--print-week", str(out), data_dir=folder)
    assert r.returncode == 0, r.stderr
    n = counts[wl.OVERDUE] + counts[wl.THIS_WEEK]
    assert f"Đã in {n} phiếu khảo sát của tuần" in r.stdout and out.read_bytes().startswith(b"%PDF")


def test_refusals_say_what_to_fix(demo_file, tmp_path):
    folder = demo_file.parent
    r = run_cli("todo", "--ward", "99999", data_dir=folder)
    assert r.returncode == 1 and "99999" in r.stderr
    r = run_cli("todo", "--stalled-months", "0", data_dir=folder)
    assert r.returncode == 1 and "--stalled-months" in r.stderr
    r = run_cli("todo", "--print-week", str(tmp_path / "tuan.txt"), data_dir=folder)
    assert r.returncode == 1 and ".pdf" in r.stderr
