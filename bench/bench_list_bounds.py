"""List import within bounds: the largest real list KhaoSat takes, and the files it refuses.

    uv run python bench/bench_list_bounds.py [--rows 200000] [--out DIR] [--only NAME ...]

Every run is the real command line (``khaosat import-list``) in a fresh process against a fresh
database (the .xlsx list also through the real window, offscreen: the import wizard's preview and import); the wall time and the process's peak memory (its maximum resident set, from wait4) are
recorded with the exit code and the first line of the message. The files:

- ``list-N.xlsx`` / ``list-N.csv``: a realistic master list of N enterprises (the rows of
  bench_import.py: names, tax codes, addresses with wards, owners, phones, workforce; 2% bad check
  digits; 1% repeated rows), as Excel writes it and as CSV; both must be imported. The .xlsx is
  then imported a second time into the same database (N enterprises kept: nothing changes).
- ``long-notes.csv``: valid rows whose notes (3,000 characters each) fill the memory limit for a
  sheet: what the preview holds is largest then.
- ``cell-bomb.xlsx``: 0.6 MB whose one cell inflates to 600 MB.
- ``rows-bomb.xlsx``: about 2 MB whose sheet inflates to 600 MB of rows.
- ``rows-under-ratio.xlsx``: rows that compress just under the ratio limit, inflating to just under
  the size limit (reaches the row limit while reading).
- ``overlap-bomb.xlsx``: many zip entries sharing the same compressed bytes (CVE-2024-0450).
- ``far-row.xlsx``: a few bytes that name row 2,000,000,000 and column XFD.
- ``million.csv``: a legal CSV of 1,000,000 rows (about 139 MB).
- ``long-line.csv``: a 190 MB CSV that is one line.
- ``wide.csv``: 300,000 rows of 200 empty columns ending in one value.

Prints a Markdown section for docs/performance.md. The limit is 500 MB of memory for any file.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from bench_import import HEADERS, person, ward_text  # noqa: E402
from machine import machine  # noqa: E402

from app.demo import names as N  # noqa: E402
from app.domain import taxcode, units  # noqa: E402

MEMORY_LIMIT_MB = 500
PROVINCE = "01"


# --- the files -----------------------------------------------------------------------------------


def list_rows(n: int, seed: int = 1):
    rng = random.Random(seed)
    wards = [w for w in units.wards(PROVINCE) if w.kind == "phường"] or units.wards(PROVINCE)
    serial = 0
    last: list = []
    for i in range(n):
        if i and rng.random() < 0.01:
            yield [i + 1, *last[1:]]
            continue
        while True:
            serial += 1
            code = taxcode.make_valid(f"0{rng.randint(10, 99)}{serial % 1_000_000:06d}")
            if code:
                break
        if rng.random() < 0.02:
            code = code[:9] + str((int(code[9]) + 1) % 10)
        section = rng.choice(list(N.INDUSTRY_WORDS))
        form = rng.choice(["Công ty TNHH", "Công ty Cổ phần", "Công ty TNHH MTV", "Doanh nghiệp tư nhân"])
        name = f"{form} {rng.choice(N.INDUSTRY_WORDS[section])} {rng.choice(N.BRAND_WORDS)} {serial}"
        ward = rng.choice(wards)
        total = rng.randint(3, 900)
        last = [
            i + 1,
            name,
            int(code) if rng.random() < 0.5 else code,
            f"Số {rng.randint(1, 300)} {rng.choice(N.STREETS)}, {ward_text(rng, ward.short_name)}",
            person(rng),
            int(f"9{rng.randint(10000000, 99999999)}"),
            rng.randint(1995, 2024),
            total,
            rng.randint(0, total),
            f"phường gốc {ward.code}",
        ]
        yield last


def write_list_xlsx(path: Path, n: int) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Danh sách")
    ws.append(["Danh sách doanh nghiệp ngoài khu vực nhà nước"])
    ws.append([])
    ws.append(HEADERS)
    for row in list_rows(n):
        ws.append(row)
    wb.save(path)


def write_list_csv(path: Path, n: int, rows=None) -> None:
    import csv

    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADERS)
        for row in rows if rows is not None else list_rows(n):
            w.writerow(row)


def _xlsx_with_sheet(path: Path, write_sheet, compresslevel: int = 9) -> None:
    """A valid .xlsx (made by openpyxl) whose first sheet's XML is written by ``write_sheet(fh)``."""
    from openpyxl import Workbook

    base = path.with_suffix(".base.xlsx")
    wb = Workbook()
    wb.active.title = "Danh sách"
    wb.active["A1"] = "x"
    wb.save(base)
    with (
        zipfile.ZipFile(base) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as out,
    ):
        for info in src.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with out.open(info.filename, "w", force_zip64=True) as fh:
                    write_sheet(fh)
            else:
                out.writestr(info, src.read(info.filename))
    base.unlink()


_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = b"</sheetData></worksheet>"


def write_cell_bomb(path: Path, size: int = 600 * 1024 * 1024) -> None:
    def sheet(fh):
        fh.write(_SHEET_HEAD + b'<row r="1"><c r="A1" t="inlineStr"><is><t>')
        block = b"A" * (1024 * 1024)
        for _ in range(size // len(block)):
            fh.write(block)
        fh.write(b"</t></is></c></row>" + _SHEET_TAIL)

    _xlsx_with_sheet(path, sheet)


def write_rows_bomb(path: Path, size: int = 600 * 1024 * 1024, varied: bool = False) -> None:
    """A sheet of ``size`` bytes of rows. Identical rows (but their numbers) compress about 300 times;
    ``varied`` rows (a counter in every cell) compress less."""

    def sheet(fh):
        fh.write(_SHEET_HEAD)
        written, r = 0, 0
        buf = []
        while written < size:
            r += 1
            cells = "".join(
                f'<c r="{col}{r}" t="inlineStr"><is><t>Công ty TNHH Thương mại {r if varied else 1}</t></is></c>'
                for col in "ABCDEFGH"
            )
            line = f'<row r="{r}">{cells}</row>'.encode()
            buf.append(line)
            written += len(line)
            if len(buf) >= 2000:
                fh.write(b"".join(buf))
                buf = []
        fh.write(b"".join(buf) + _SHEET_TAIL)

    _xlsx_with_sheet(path, sheet)


def write_overlap_bomb(path: Path, entries: int = 2000) -> None:
    """One compressed part (a 10 MB sheet in 10 KB) listed ``entries`` times in the central directory:
    each entry inflates the same bytes (20 GB in all from 10 KB), the trick of CVE-2024-0450."""
    import struct

    write_rows_bomb(path, size=10 * 1024 * 1024)
    data = bytearray(path.read_bytes())
    eocd = data.rfind(b"PK\x05\x06")
    cd_offset = struct.unpack("<I", data[eocd + 16 : eocd + 20])[0]
    cd = bytes(data[cd_offset:eocd])
    # find the sheet's central directory record and repeat it under new names
    records, pos = [], 0
    while pos < len(cd):
        n, m, k = struct.unpack("<HHH", cd[pos + 28 : pos + 34])
        records.append(cd[pos : pos + 46 + n + m + k])
        pos += 46 + n + m + k
    sheet = next(r for r in records if b"sheet1.xml" in r)
    extra = []
    for i in range(entries):
        name = f"xl/media/copy{i:05d}.xml".encode()
        rec = bytearray(sheet[:46]) + name
        rec[28:30] = struct.pack("<H", len(name))
        rec[30:34] = b"\x00\x00\x00\x00"
        extra.append(bytes(rec))
    new_cd = b"".join(records + extra)
    tail = bytearray(data[eocd : eocd + 22])
    total = len(records) + len(extra)
    tail[8:10] = struct.pack("<H", min(total, 0xFFFF))
    tail[10:12] = struct.pack("<H", min(total, 0xFFFF))
    tail[12:16] = struct.pack("<I", len(new_cd))
    path.write_bytes(bytes(data[:cd_offset]) + new_cd + bytes(tail))


def write_far_row(path: Path) -> None:
    def sheet(fh):
        fh.write(
            _SHEET_HEAD
            + '<row r="1"><c r="A1" t="inlineStr"><is><t>Tên doanh nghiệp</t></is></c></row>'.encode()
            + b'<row r="2000000000"><c r="XFD2000000000" t="inlineStr"><is><t>x</t></is></c></row>'
            + _SHEET_TAIL
        )

    _xlsx_with_sheet(path, sheet)


def write_long_line(path: Path, size: int = 190 * 1024 * 1024) -> None:
    with open(path, "wb") as fh:
        fh.write("Tên doanh nghiệp,Mã số thuế\n".encode())
        block = b"x" * (1024 * 1024)
        for _ in range(size // len(block)):
            fh.write(block)


def write_long_notes(path: Path, rows: int = 15_500) -> None:
    note = ("Doanh nghiệp đề nghị hỗ trợ thủ tục thành lập công đoàn cơ sở; " * 60)[:3000]
    out = []
    for i, row in enumerate(list_rows(rows, seed=5)):
        row = list(row)
        row[9] = f"{note} {i}"
        out.append(row)
    write_list_csv(path, rows, out)


def write_wide(path: Path, rows: int = 300_000) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("Tên doanh nghiệp,Mã số thuế\n")
        line = "," * 200 + "x\n"
        for _ in range(rows):
            fh.write(line)


# --- running the command line --------------------------------------------------------------------


def run_measured(args: list[str], data_dir: Path) -> dict:
    """Run the CLI and take its peak resident memory from wait4 (the child alone)."""
    return run_measured_cmd([sys.executable, "-m", "app", "--data-dir", str(data_dir), *args])


def run_measured_cmd(cmd: list[str]) -> dict:
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    env.pop("KHAOSAT_DATA_DIR", None)
    with tempfile.TemporaryFile() as out_f, tempfile.TemporaryFile() as err_f:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out_f, stderr=err_f)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out_f.seek(0)
        err_f.seek(0)
        out, err = out_f.read().decode(), err_f.read().decode()
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,
        "code": proc.returncode,
        "out": out,
        "err": err,
    }


def gui_child(data: Path, path: Path) -> None:
    """The real window, offscreen: the import wizard takes ``path`` through the preview and the import."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    from app.gui.main_window import MainWindow
    from app.security import datakey
    from app.storage import Store

    app = QApplication([])
    # the data folder is encrypted as the program keeps it (init ran with KHAOSAT_PASSPHRASE)
    key = datakey.unlock(data, os.environ["KHAOSAT_PASSPHRASE"])
    with Store.in_dir(data, key) as s:
        profile = s.profile()
    window = MainWindow(data, data / "khaosat.sqlite3", profile, key)
    window.show()
    window.actions.trigger("import.list")
    wizard = window.importing.wizard
    assert wizard is not None

    def wait(done, limit: float = 3600) -> None:
        t0 = time.perf_counter()
        while not done():
            app.processEvents()
            time.sleep(0.01)
            if time.perf_counter() - t0 > limit:
                raise SystemExit("timed out")

    t0 = time.perf_counter()
    wizard.set_path(str(path))
    wait(lambda: wizard.step != "file" and not wizard.busy)
    if wizard.step == "sheet":
        wizard.go_next()
        wait(lambda: wizard.step == "mapping" and not wizard.busy)
    t_read = time.perf_counter() - t0
    wizard.go_next()
    wait(lambda: wizard.step == "preview" and not wizard.busy)
    t_preview = time.perf_counter() - t0 - t_read
    wizard.run_import()
    wait(lambda: wizard.step == "result" and not wizard.busy)
    t_import = time.perf_counter() - t0 - t_read - t_preview
    print(
        f"Đã nhập: thêm mới {wizard.result.created} (cửa sổ: đọc {t_read:.0f} s, xem trước {t_preview:.0f} s, "
        f"ghi {t_import:.0f} s)"
    )
    window.tasks.shutdown(60000)


def fresh_data(work: Path) -> Path:
    data = work / "data"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir()
    ward = units.wards(PROVINCE)[0].code
    res = run_measured(["init", "--unit", ward, "--name", "Bench", "--role", "ward_office"], data)
    if res["code"] != 0:
        raise SystemExit(f"init failed: {res['err']}")
    return data


def first_line(text: str, limit: int = 160) -> str:
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--gui-child":
        gui_child(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--out", default=None)
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args()
    work = Path(args.out or tempfile.mkdtemp(prefix="bench-bounds-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("KHAOSAT_PASSPHRASE", "bench-passphrase")

    n = args.rows
    files = {
        f"list-{n}.xlsx": lambda p: write_list_xlsx(p, n),
        f"list-{n}.csv": lambda p: write_list_csv(p, n),
        "cell-bomb.xlsx": write_cell_bomb,
        "rows-bomb.xlsx": write_rows_bomb,
        "rows-under-ratio.xlsx": lambda p: write_rows_bomb(p, size=380 * 1024 * 1024, varied=True),
        "overlap-bomb.xlsx": write_overlap_bomb,
        "far-row.xlsx": write_far_row,
        "long-notes.csv": write_long_notes,
        "million.csv": lambda p: write_list_csv(p, 1_000_000),
        "long-line.csv": write_long_line,
        "wide.csv": write_wide,
    }
    if args.only:
        files = {k: v for k, v in files.items() if any(o in k for o in args.only)}
    results = []
    for name, make in files.items():
        path = work / name
        if not path.exists():
            t0 = time.perf_counter()
            make(path)
            print(
                f"wrote {name} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s",
                file=sys.stderr,
            )
        data = fresh_data(work)
        runs = [name]
        if name.startswith("list-") and name.endswith(".xlsx"):
            runs += [f"{name}, again", f"{name}, in the window"]
        for label in runs:
            if label.endswith("in the window"):
                gui = [
                    sys.executable,
                    str(BENCH / "bench_list_bounds.py"),
                    "--gui-child",
                    str(fresh_data(work)),
                ]
                res = run_measured_cmd([*gui, str(path)])
            else:
                res = run_measured(
                    ["import-list", str(path), "--on-duplicate", "update", "--limit-lines", "0"], data
                )
            created = next((ln for ln in res["out"].splitlines() if ln.startswith("Đã nhập")), "")
            res.update(name=label, size=path.stat().st_size, load=os.getloadavg()[0], created=created)
            results.append(res)
            print(
                f"{label}: exit {res['code']}, {res['wall']:.1f} s, {res['peak_mb']:.0f} MB; "
                f"{created or first_line(res['err'])}",
                file=sys.stderr,
            )

    print(f"### List import within bounds ({n:,} rows)".replace(",", "."))
    print()
    print(f"Machine: {machine()}. `uv run python bench/bench_list_bounds.py --rows {n}`; each run is")
    print(
        "`khaosat import-list FILE --on-duplicate update` in a fresh process on a fresh database; peak memory"
    )
    print(f"is the process's maximum resident set (wait4). Limit: {MEMORY_LIMIT_MB} MB.")
    print()
    print("| file | size | exit | wall s (CPU s) | peak MB | load | what it says |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        said = r["created"] or first_line(r["err"])
        print(
            f"| {r['name']} | {r['size'] / 1e6:.1f} MB | {r['code']} | {r['wall']:.1f} ({r['cpu']:.1f}) | "
            f"{r['peak_mb']:.0f} | {r['load']:.1f} | {said} |"
        )
    worst = max(r["peak_mb"] for r in results)
    print()
    print(
        f"Largest peak: {worst:.0f} MB ({'within' if worst <= MEMORY_LIMIT_MB else 'OVER'} the {MEMORY_LIMIT_MB} MB limit)."
    )


if __name__ == "__main__":
    main()
