"""Write ``old-wards-2025.tsv``: every ward, commune and township of before 1 July 2025 (with its district
and province) and the ward(s) of today it became part of.

The official conversion table (Bảng chuyển đổi đơn vị hành chính mới - cũ) ships in the ``vietnam-provinces``
package from its 2026 releases, which need Python 3.12; KhaoSat runs on 3.11 and only reads the file
this script writes, so a fresh machine needs neither. Run it with any Python 3.12 and the package pinned:

    uv run --no-project --python 3.12 --with "vietnam-provinces==2026.9.0" python resources/units/make_old_wards.py

(uv does not find pyenv's interpreters through the shims; on these machines give the interpreter itself:
``--python "$(pyenv prefix 3.12.1)/bin/python3.12"``.) The file records the package version, the date of
its data, where it comes from and when it was written; ``tests/importing/test_old_units.py`` checks that every
ward it names exists in the list of wards KhaoSat ships (``vietnam-provinces`` 2025.10.1).
"""

from __future__ import annotations

import importlib.metadata
import sys
from datetime import UTC, datetime
from pathlib import Path

OUT = Path(__file__).resolve().parent / "old-wards-2025.tsv"
COLUMNS = (
    "old_ward_code",
    "old_ward",
    "old_district_code",
    "old_district",
    "old_province_code",
    "old_province",
    "partly",  # 1: the old ward was split between several new wards
    # today's wards, "|" between them, each "code:province code:name" as the package writes them (its
    # codes of 2026; KhaoSat matches each to its own list by code and name, app/importing/old_units.py)
    "new_wards",
)


def main() -> None:
    if sys.version_info < (3, 12):
        raise SystemExit("Cần Python 3.12 trở lên (gói vietnam-provinces bản 2026 đòi hỏi).")
    import vietnam_provinces
    from vietnam_provinces import _lookup as current
    from vietnam_provinces import _ward_conversion_2025 as conversion
    from vietnam_provinces.legacy import _lookup as legacy

    version = importlib.metadata.version("vietnam-provinces")
    rows = []
    nameless = []  # in the conversion table, not in the package's list of old units: no name to match
    for old_code, entry in sorted(conversion.OLD_TO_NEW.items()):
        ward = legacy.WARD_MAPPING.get(old_code)
        if ward is None:
            nameless.append(f"{old_code:05d}")
            continue
        district = legacy.DISTRICT_MAPPING[int(ward.district_code)]
        province = legacy.PROVINCE_MAPPING[int(district.province_code)]
        new = "|".join(
            f"{n.code:05d}:{n.province_code:02d}:{current.WARD_MAPPING[n.code].name}" for n in entry.new_wards
        )
        rows.append(
            (
                f"{old_code:05d}",
                ward.name,
                f"{int(ward.district_code):03d}",
                district.name,
                f"{int(district.province_code):02d}",
                province.name,
                "1" if entry.old_ward.is_partly_merged else "0",
                new,
            )
        )
    header = [
        "# Pre-2025 wards and the wards of today they became part of (Nghị quyết of the Standing Committee",
        "# of the National Assembly on the arrangement of commune-level units, in force 1 July 2025).",
        f"# Source: PyPI package vietnam-provinces {version} (data of {vietnam_provinces.__data_version__}),",
        f"#   module vietnam_provinces._ward_conversion_2025 (from {conversion.SOURCE}) and vietnam_provinces.legacy;",
        "#   https://github.com/sunshine-tech/VietnamProvinces (GPL-3.0-or-later, as KhaoSat).",
        f"# Left out, having no name in the package's list of old units: {' '.join(nameless) or 'none'}.",
        f"# Written {datetime.now(UTC):%Y-%m-%d} by resources/units/make_old_wards.py; do not edit by hand.",
        "\t".join(COLUMNS),
    ]
    text = "\n".join(header + ["\t".join(r) for r in rows]) + "\n"
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    tmp.replace(OUT)
    print(f"{OUT.name}: {len(rows)} old wards, {OUT.stat().st_size:,} bytes (vietnam-provinces {version})")


if __name__ == "__main__":
    main()
