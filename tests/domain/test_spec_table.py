"""The column table of docs/sync-bundle.md is generated from the declarations and kept current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app.domain.spec_table import BEGIN, END, render, replace_between_markers

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "sync-bundle.md"


def test_the_document_holds_the_table_the_declarations_give():
    text = DOC.read_text(encoding="utf-8")
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    between = text[text.index(BEGIN) + len(BEGIN) : text.index(END)]
    assert between == "\n" + render(), (
        "docs/sync-bundle.md is stale: run uv run python docs/make_spec_table.py"
    )


def test_the_table_has_every_column_with_its_codes_and_limits():
    table = render()
    assert "#### `enterprises` (Doanh nghiệp)" in table and "#### `targets` (Chỉ tiêu)" in table
    assert (
        "| `status` | Tình trạng hoạt động | string (code) | no | `active` | `active` Đang hoạt động;"
        in table
    )
    assert (
        "| `workforce_women` | Lao động nữ | integer | no |  |  | 0 to 1,000,000; not above `workforce_total` |"
        in table
    )
    assert "| `visit_date` | Ngày khảo sát | string (YYYY-MM-DD) | yes |" in table
    assert "| `count` | Số người kết nạp | integer | yes | 1 |  | 1 to 1,000,000 |" in table


def test_only_the_text_between_the_markers_is_replaced():
    doc = f"# Title\n\nbefore\n{BEGIN}\nold table\n{END}\nafter\n"
    assert replace_between_markers(doc, "new\n") == f"# Title\n\nbefore\n{BEGIN}\nnew\n{END}\nafter\n"


def test_the_check_mode_of_the_script_passes_on_the_current_document():
    r = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "make_spec_table.py"), "--check"], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stdout + r.stderr
