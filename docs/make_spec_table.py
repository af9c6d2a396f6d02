"""Rewrite the column table of docs/sync-bundle.md from the field declarations.

    uv run python docs/make_spec_table.py          # rewrite the table in place
    uv run python docs/make_spec_table.py --check  # exit 1 when the document is stale

The table sits between ``<!-- columns:begin -->`` and ``<!-- columns:end -->`` (section 5); the
rest of the document is not touched. See ``app/domain/spec_table.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.domain.spec_table import render, replace_between_markers
from app.fileio import write_atomic

DOC = Path(__file__).resolve().parent / "sync-bundle.md"


def main(argv: list[str]) -> int:
    current = DOC.read_text(encoding="utf-8")
    fresh = replace_between_markers(current, render())
    if "--check" in argv:
        if fresh != current:
            print(f"{DOC.name}: the column table is stale; run: uv run python docs/make_spec_table.py")
            return 1
        return 0
    if fresh != current:
        write_atomic(DOC, fresh.encode("utf-8"))
        print(f"{DOC.name}: column table rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
