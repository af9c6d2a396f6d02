"""``khaosat --self-test``: check that this installation works, end to end, in a temporary folder.

Each step drives the real command handlers in-process (``app.cli.main.main([...])``), the same
code a user runs, and checks what they produced:

1. the resources the program needs are present (printing fonts, the administrative units, the
   Vietnamese Qt translation, the icon), and the folder the program keeps its data in can be
   written (a probe file only: the real database is not opened);
2. two databases are created: a collaborator's laptop and its ward office;
3. demo data is added on the laptop;
4. a form is printed to PDF (read back: a PDF header, pages, the end marker);
5. the two machines make keys and register each other from their public-key files;
6. the laptop exports a bundle to a folder standing in for a USB stick; the office imports it and
   the records arrive, and the office's receipt goes back to the laptop;
7. an older database (schema version 1) is opened by this version: migrated, data kept, a backup
   copy left in ``backups/``;
8. Qt starts (offscreen) and the real main window opens on the laptop's data: in a child process
   (``khaosat self-test-qt``), so a missing Qt plugin, which aborts the process, is reported as a
   failed step instead of killing the self-test.

Each step is reported in Vietnamese with ✓ or ✗ and its time; the exit code is 0 only if every
step passed. A step whose feature is missing from this build fails and names what is missing.
This module never imports Qt.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

WARD = "00070"  # Phường Hoàn Kiếm, Thành phố Hà Nội
DEMO_ENTERPRISES = 25
QT_TIMEOUT = 90.0


# The test machines' keys are protected with this passphrase (as a user's should be), given through the
# environment so that no command asks for one in a terminal.
TEST_PASSPHRASE = "tu-kiem-tra-khaosat"


@contextlib.contextmanager
def _environment(**values: str):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class StepFailed(Exception):
    """A step did not pass; the message (Vietnamese) says what is wrong."""


@dataclass
class StepResult:
    label: str
    ok: bool
    seconds: float
    detail: str


@dataclass
class Report:
    steps: list[StepResult] = field(default_factory=list)
    seconds: float = 0.0
    workdir: Path | None = None

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)

    @property
    def failed(self) -> list[StepResult]:
        return [s for s in self.steps if not s.ok]


def _seconds(value: float) -> str:
    from app.domain.vnformat import format_decimal

    return f"{format_decimal(value, 2)} giây"


def _bytes(path: Path) -> str:
    from app.domain.vnformat import format_int

    return f"{format_int(path.stat().st_size)} byte"


def program_command() -> list[str]:
    """How to start this program again as a child process (the frozen executable, or Python).

    On Windows the console twin ``khaosat-cli.exe`` is used, also when the self-test runs in
    ``KhaoSat.exe`` (which has no standard output to read the child's result from).
    """
    if getattr(sys, "frozen", False):
        cli = Path(sys.executable).with_name("khaosat-cli.exe")
        if sys.platform == "win32" and cli.is_file():
            return [str(cli)]
        return [sys.executable]
    return [sys.executable, "-m", "app"]


class SelfTest:
    """Runs the steps in ``workdir`` and writes the report to ``out`` as it goes."""

    def __init__(self, workdir: Path, out: TextIO, data_dir: str | None = None):
        self.workdir = workdir
        self.out = out
        self.data_override = data_dir  # --data-dir of the command line, if given
        self.laptop = workdir / "may-cong-tac-vien"
        self.office = workdir / "co-quan-phuong"
        self.usb = workdir / "usb"
        self.report = Report(workdir=workdir)

    # -- running -------------------------------------------------------------------------

    def steps(self) -> list[tuple[str, Callable[[], str]]]:
        return [
            ("Phông chữ để in", self.check_fonts),
            ("Danh mục đơn vị hành chính", self.check_units),
            ("Tài nguyên giao diện (bản dịch Qt, biểu tượng)", self.check_gui_resources),
            ("Thư mục dữ liệu của máy ghi được", self.check_data_folder),
            ("Tạo cơ sở dữ liệu (máy cộng tác viên, cơ quan phường)", self.create_databases),
            ("Thêm dữ liệu mẫu", self.add_demo_data),
            ("In phiếu khảo sát (PDF)", self.print_form),
            ("Đọc lại phiếu đã điền từ ảnh quét", self.read_filled_form),
            ("Tạo khóa và đăng ký hai máy với nhau", self.exchange_keys),
            ("Xuất gói dữ liệu ra USB", self.export_bundle),
            ("Nhập gói dữ liệu tại cơ quan phường", self.import_bundle),
            ("Mã hóa dữ liệu: tệp dữ liệu, nhật ký ghi, bản sao lưu không có chữ rõ", self.check_encrypted),
            ("Mở dữ liệu của phiên bản cũ (mã hóa, nâng cấp, sao lưu)", self.upgrade_old_database),
            ("Khởi động giao diện Qt (offscreen)", self.start_qt),
        ]

    def run(self) -> Report:
        with _environment(KHAOSAT_PASSPHRASE=TEST_PASSPHRASE):
            return self._run()

    def _run(self) -> Report:
        started = time.perf_counter()
        for label, fn in self.steps():
            t0 = time.perf_counter()
            try:
                detail, ok = fn(), True
            except StepFailed as exc:
                detail, ok = str(exc), False
            except Exception as exc:  # noqa: BLE001 - every failure is reported, never a traceback
                detail, ok = f"lỗi không mong đợi {exc.__class__.__name__}: {exc}", False
            result = StepResult(label, ok, time.perf_counter() - t0, detail)
            self.report.steps.append(result)
            self._line(result)
        self.report.seconds = time.perf_counter() - started
        return self.report

    def _line(self, r: StepResult) -> None:
        mark = "✓" if r.ok else "✗"
        self.out.write(f"{mark} {r.label} ({_seconds(r.seconds)})\n")
        for line in r.detail.splitlines():
            self.out.write(f"    {line}\n")
        self.out.flush()

    # -- the command line, in-process ----------------------------------------------------

    def store(self, folder: Path):
        """The folder's Store, unlocked with the self-test's passphrase (the key kept for the next time)."""
        from app.security import datakey
        from app.storage.store import Store

        keys = self.__dict__.setdefault("_keys", {})
        if folder not in keys:
            keys[folder] = datakey.unlock(folder, TEST_PASSPHRASE)
        return Store.in_dir(folder, keys[folder])

    def cli(self, data: Path, *args: str) -> str:
        """Run ``khaosat --data-dir DATA ARGS...`` in-process; its stdout, or StepFailed with its stderr."""
        from app.cli import main as cli_main

        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli_main.main(["--data-dir", str(data), *args])
            except SystemExit as exc:  # argparse refused the arguments
                code = exc.code if isinstance(exc.code, int) else 2
        if code != 0:
            message = err.getvalue().strip() or out.getvalue().strip() or "(không có thông báo)"
            raise StepFailed(f"lệnh «khaosat {' '.join(args)}» thất bại (mã {code}):\n{message}")
        return out.getvalue()

    # -- the steps -----------------------------------------------------------------------

    def check_fonts(self) -> str:
        from app.printing import fonts

        folder = fonts.fonts_dir()
        missing, bad = [], []
        for file in fonts._FILES.values():
            path = folder / file
            if not path.is_file():
                missing.append(file)
                continue
            with open(path, "rb") as fh:
                if fh.read(4) not in (b"\x00\x01\x00\x00", b"true", b"OTTO"):
                    bad.append(file)
        if missing:
            raise StepFailed(f"thiếu phông chữ {', '.join(missing)} trong {folder}.")
        if bad:
            raise StepFailed(f"tệp phông chữ hỏng: {', '.join(bad)} trong {folder}.")
        fonts.register()
        return f"{len(fonts._FILES)} phông Liberation Serif trong {folder}"

    def check_units(self) -> str:
        from app.domain import units

        try:
            provinces, wards = units.provinces(), units.wards()
        except (OSError, ValueError) as exc:
            raise StepFailed(
                f"không đọc được dữ liệu đơn vị hành chính (gói vietnam_provinces): {exc}"
            ) from exc
        if len(provinces) != 34 or len(wards) < 3000:
            raise StepFailed(
                f"danh mục không đủ: {len(provinces)} tỉnh, {len(wards)} phường/xã (cần 34 và 3.321)."
            )
        ward = units.ward(WARD)
        if ward is None:
            raise StepFailed(f"không có phường mã {WARD} trong danh mục.")
        from app.domain.vnformat import format_int

        return f"{len(provinces)} tỉnh, thành phố; {format_int(len(wards))} phường, xã, đặc khu"

    def check_gui_resources(self) -> str:
        from app.paths import resources_dir

        res = resources_dir()
        needed = [
            res / "translations" / "qtbase_vi.qm",
            res / "icons" / "khaosat.svg",
            res / "icons" / "khaosat.png",
        ]
        if sys.platform == "win32" or getattr(sys, "frozen", False):
            needed.append(res / "icons" / "khaosat.ico")
        missing = [str(p.relative_to(res)) for p in needed if not p.is_file() or p.stat().st_size == 0]
        if missing:
            raise StepFailed(f"thiếu {', '.join(missing)} trong {res}.")
        return f"{len(needed)} tệp trong {res}"

    def check_data_folder(self) -> str:
        """The folder the program keeps its data in (not the temporary one) can be written.

        Only a probe file is written and removed: the database is not opened (opening an older
        one would upgrade it). A folder that does not exist yet is checked through its nearest
        existing parent, where the program would create it.
        """
        from app.paths import DB_FILE, data_dir, portable_data_dir

        folder = data_dir(self.data_override)
        existing = folder
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            raise StepFailed(f"không tạo được thư mục dữ liệu {folder}: {existing} không phải là thư mục.")
        probe = existing / f".khaosat-tu-kiem-tra-{os.getpid()}.tmp"
        try:
            with open(probe, "wb") as fh:
                fh.write(b"KhaoSat")
                fh.flush()
                os.fsync(fh.fileno())
            probe.unlink()
        except OSError as exc:
            raise StepFailed(
                f"không ghi được vào thư mục dữ liệu {existing}: {exc.strerror or exc}. Nếu chạy từ ổ USB, hãy mở "
                "khóa chống ghi của ổ; hoặc chọn thư mục khác bằng --data-dir."
            ) from exc
        chosen = self.data_override or os.environ.get("KHAOSAT_DATA_DIR")
        portable = not chosen and portable_data_dir() is not None
        where = f"{folder}" + (" (chế độ di động: cạnh chương trình)" if portable else "")
        db = folder / DB_FILE
        if db.is_file():
            return f"{where}; có tệp dữ liệu {_bytes(db)}"
        return f"{where}; chưa có tệp dữ liệu (sẽ tạo khi mở chương trình)"

    def create_databases(self) -> str:
        from app.storage.migrations import LATEST

        self.cli(self.laptop, "init", "--unit", WARD, "--name", "Nguyễn Thị Hằng", "--role", "collaborator")
        self.cli(self.office, "init", "--unit", WARD, "--name", "Trần Văn Nam", "--role", "ward_office")
        for folder in (self.laptop, self.office):
            with self.store(folder) as store:
                if store.schema_version() != LATEST:
                    raise StepFailed(
                        f"{store.path}: lược đồ phiên bản {store.schema_version()}, cần {LATEST}."
                    )
                problems = store.integrity_check()
                if problems:
                    raise StepFailed(f"{store.path}: " + "; ".join(problems))
                if not store.profile().initialised:
                    raise StepFailed(f"{store.path}: máy chưa được thiết lập sau «khaosat init».")
        return f"2 tệp SQLite, lược đồ phiên bản {LATEST}"

    def add_demo_data(self) -> str:

        self.cli(
            self.laptop,
            "demo",
            "--ward",
            WARD,
            "--enterprises",
            str(DEMO_ENTERPRISES),
            "--seed",
            "11",
            "--years",
            "2",
        )
        with self.store(self.laptop) as store:
            counts = store.counts()
        if counts["enterprises"] != DEMO_ENTERPRISES or counts["visits"] == 0:
            raise StepFailed(
                f"cần {DEMO_ENTERPRISES} doanh nghiệp có lượt khảo sát, có {counts['enterprises']} "
                f"doanh nghiệp, {counts['visits']} lượt khảo sát."
            )
        return (
            f"{counts['enterprises']} doanh nghiệp, {counts['visits']} lượt khảo sát, "
            f"{counts['organisations']} tổ chức"
        )

    def print_form(self) -> str:

        with self.store(self.laptop) as store:
            ids = [
                r[0]
                for r in store.conn.execute(
                    "SELECT id FROM enterprises WHERE deleted = 0 ORDER BY tax_code LIMIT 3"
                )
            ]
        pdf = self.workdir / "phieu-khao-sat.pdf"
        args = [a for i in ids for a in ("--enterprise", i)]
        self.cli(self.laptop, "print", "form", *args, "--out", str(pdf))
        pages = check_pdf(pdf)
        if pages != 2 * len(ids):
            raise StepFailed(
                f"{pdf.name} có {pages} trang, cần {2 * len(ids)} "
                "(mỗi doanh nghiệp một trang thông tin và một trang đánh dấu)."
            )
        from reportlab.lib import rl_accel

        if not getattr(
            rl_accel, "_c_funcs", None
        ):  # a dependency of KhaoSat: without it every page costs ~40% more
            raise StepFailed(
                "thiếu bộ tăng tốc của reportlab (mô-đun _rl_accel của gói rl-accel): in được nhưng chậm."
            )
        return f"{pdf.name}: {len(ids)} phiếu điền sẵn, {pages} trang, {_bytes(pdf)}"

    def read_filled_form(self) -> str:
        """Print a form with its mark sheet, mark it as a pen would, read it back from a PNG."""
        import pypdfium2 as pdfium
        from PIL import ImageDraw

        from app.scan.layout import BOX, PAGE_H, sheet_layout

        with self.store(self.laptop) as store:
            (eid,) = store.conn.execute(
                "SELECT id FROM enterprises WHERE deleted = 0 ORDER BY tax_code LIMIT 1"
            ).fetchone()
        pdf = self.workdir / "phieu-danh-dau.pdf"
        self.cli(self.laptop, "print", "form", "--enterprise", eid, "--marks", "--out", str(pdf))
        dpi = 150
        doc = pdfium.PdfDocument(str(pdf))
        try:
            image = doc[1].render(scale=dpi / 72).to_pil().convert("RGB")  # pyright: ignore[reportArgumentType] (pypdfium2 annotates scale as int; it takes a float)
        finally:
            doc.close()
        k = dpi / 72
        draw = ImageDraw.Draw(image)
        layout = sheet_layout()
        columns = layout.area("workforce_total").columns
        for col, digit in zip(columns[-2:], (1, 7)):  # 17 workers, filled as with a pen
            x, y = col.x * k, (PAGE_H - col.ys[digit - col.lo]) * k
            draw.ellipse((x - 6, y - 6, x + 6, y + 6), fill=(30, 40, 140))
        yes = layout.area("has_party").boxes[0]
        draw.line(
            (
                (yes.x + 1) * k,
                (PAGE_H - yes.y - 1) * k,
                (yes.x + BOX - 1) * k,
                (PAGE_H - yes.y - BOX + 1) * k,
            ),
            fill=(30, 40, 140),
            width=3,
        )
        draw.line(
            (
                (yes.x + 1) * k,
                (PAGE_H - yes.y - BOX + 1) * k,
                (yes.x + BOX - 1) * k,
                (PAGE_H - yes.y - 1) * k,
            ),
            fill=(30, 40, 140),
            width=3,
        )
        png = self.workdir / "phieu-da-dien.png"
        image.save(png)
        out = self.cli(self.laptop, "scan", str(png))
        from app.domain.records import Visit
        from app.printing.visit_form import field_numbers

        number, label = field_numbers(), Visit.LABELS
        for expected in (
            f"{number['workforce_total']}. {label['workforce_total']}: 17",
            f"{number['has_party']}. {label['has_party']}: Có",
            f"{number['workforce_women']}. {label['workforce_women']}: (để trống)",
        ):
            if expected not in out:
                raise StepFailed(f"đọc sai trang đánh dấu: thiếu «{expected}» trong kết quả:\n{out}")
        return f"{png.name}: đọc đúng số lao động (17) và ô «Có» đã đánh dấu"

    def exchange_keys(self) -> str:
        from app.sync import container, keys

        fingerprints = {}
        for folder, sub in ((self.laptop, "may"), (self.office, "co-quan")):
            self.cli(folder, "keys", "init")  # made by «khaosat init» already: says so
            if keys.protections(folder) != {keys.DATAKEY_PROTECTION}:
                raise StepFailed(f"khóa của máy trong {folder} không được bảo vệ bằng mật khẩu dữ liệu.")
            dest = self.usb / "khoa" / sub
            dest.mkdir(parents=True, exist_ok=True)
            self.cli(folder, "keys", "export", "--to", str(dest))
            files = sorted(dest.glob("*" + keys.PUBKEY_SUFFIX))
            if len(files) != 1:
                raise StepFailed(f"cần một tệp khóa công khai trong {dest}, có {len(files)}.")
            # The person reads the fingerprint off the paper registration form; here, off the file.
            fingerprints[sub] = (files[0], keys.read_pubkey_file(container.read_capped(files[0])).fingerprint)
        office_file, office_fp = fingerprints["co-quan"]
        laptop_file, laptop_fp = fingerprints["may"]
        self.cli(self.laptop, "keys", "register", str(office_file), "--office", "--fingerprint", office_fp)
        self.cli(self.office, "keys", "register", str(laptop_file), "--fingerprint", laptop_fp)
        return f"máy {laptop_fp[:14]}…, cơ quan {office_fp[:14]}…"

    def export_bundle(self) -> str:
        from app.sync import bundles

        self.usb.mkdir(parents=True, exist_ok=True)
        self.cli(self.laptop, "export", "--to", str(self.usb))
        found = sorted(self.usb.glob("*" + bundles.BUNDLE_SUFFIX))
        if len(found) != 1:
            raise StepFailed(f"cần một gói {bundles.BUNDLE_SUFFIX} trong {self.usb}, có {len(found)}.")
        return f"{found[0].name} ({_bytes(found[0])})"

    def import_bundle(self) -> str:
        from app.sync import bundles

        self.cli(self.office, "import", str(self.usb))
        sent = self._records(self.laptop)
        arrived = self._records(self.office)
        if not sent:
            raise StepFailed("máy cộng tác viên không có doanh nghiệp nào để gửi.")
        if arrived != sent:
            missing = len(sent - arrived)
            raise StepFailed(f"cơ quan phường nhận thiếu {missing} trong {len(sent)} doanh nghiệp.")
        with self.store(self.laptop) as store:
            sent_counts = store.counts()
        with self.store(self.office) as store:
            problems = store.integrity_check()
            got_counts = store.counts()
        if problems:
            raise StepFailed("sau khi nhập: " + "; ".join(problems))
        labels = {"visits": "lượt khảo sát", "organisations": "tổ chức", "admissions": "lần kết nạp"}
        short = [
            f"{label}: gửi {sent_counts[key]}, nhận {got_counts[key]}"
            for key, label in labels.items()
            if got_counts[key] != sent_counts[key]
        ]
        if short:
            raise StepFailed("cơ quan phường nhận không đủ: " + "; ".join(short) + ".")
        receipts = sorted(self.usb.glob("*" + bundles.RECEIPT_SUFFIX))
        if not receipts:
            raise StepFailed(f"cơ quan phường không ghi biên nhận vào {self.usb}.")
        self.cli(self.laptop, "import", *map(str, receipts))
        return (
            f"{len(arrived)} doanh nghiệp, {got_counts['visits']} lượt khảo sát, {got_counts['organisations']} "
            f"tổ chức đã đến cơ quan phường; biên nhận đã về máy cộng tác viên"
        )

    def _records(self, folder: Path) -> set[tuple[str, str, str]]:
        with self.store(folder) as store:
            rows = store.conn.execute(
                "SELECT id, tax_code, name FROM enterprises WHERE deleted = 0"
            ).fetchall()
        return {tuple(r) for r in rows}

    def check_encrypted(self) -> str:
        """The files the program wrote hold no record in clear; a backup needs the right passphrase."""
        from app.security.datakey import LockError
        from app.storage import backups
        from app.storage.driver import is_plain_file

        with self.store(self.laptop) as store:
            rows = store.conn.execute(
                "SELECT name, tax_code, owner_name FROM enterprises WHERE deleted = 0 LIMIT 20"
            ).fetchall()
            collaborator = store.profile().collaborator or ""
        needles = {collaborator, *(v for r in rows for v in r if v and len(v) >= 6)}
        backup = self.workdir / "sao-luu" / "khaosat.khaosat-backup"
        self.cli(self.laptop, "backup", str(backup))
        files = [self.laptop / "khaosat.sqlite3", backup]
        files += [p for p in self.laptop.iterdir() if p.name.endswith(("-wal", ".log"))]
        for path in files:
            if path.name == "khaosat.sqlite3" and is_plain_file(path):
                raise StepFailed(f"{path} là tệp SQLite chưa mã hóa.")
            data = path.read_bytes()
            for needle in needles:
                for form in {needle.encode("utf-8"), needle.encode("utf-16-le")}:
                    if form in data:
                        raise StepFailed(f"{path.name} chứa dữ liệu ở dạng chữ rõ.")
        info = backups.read_info(backup)
        try:
            info.unlock("không phải mật khẩu này")
        except LockError:
            pass
        else:
            raise StepFailed("bản sao lưu mở được bằng một mật khẩu sai.")
        if info.unlock(TEST_PASSPHRASE).key_id != info.key_id:
            raise StepFailed("bản sao lưu không mở được bằng mật khẩu đúng.")
        return f"{len(files)} tệp, {len(needles)} giá trị tìm: không thấy; bản sao lưu {_bytes(backup)} cần mật khẩu"

    def upgrade_old_database(self) -> str:
        from app.services.unlock import open_folder
        from app.storage import migrations
        from app.storage.driver import is_plain_file
        from app.storage.store import connect

        folder = self.workdir / "du-lieu-cu"
        folder.mkdir()
        path = folder / "khaosat.sqlite3"
        # A file as the first version of KhaoSat left it: plain SQLite, schema 1, an enterprise in its columns.
        conn = connect(path)
        try:
            migrations.migrate(conn, 1)
            conn.execute(
                "INSERT INTO enterprises(id, name, tax_code, ward_code, created_hlc, updated_hlc, origin) "
                "VALUES ('e-cu-1', 'Công ty cũ', '0100109106', ?, 'x', 'x', 'old')",
                (WARD,),
            )
        finally:
            conn.close()
        opened = open_folder(folder, TEST_PASSPHRASE)  # encrypts the plain file, then upgrades its schema
        if not opened.encrypted_now or is_plain_file(path) or b"0100109106" in path.read_bytes():
            raise StepFailed("tệp dữ liệu của phiên bản cũ không được mã hóa.")
        self.__dict__.setdefault("_keys", {})[folder] = opened.key
        with self.store(folder) as store:
            version = store.schema_version()
            row = store.conn.execute("SELECT name FROM enterprises WHERE tax_code = '0100109106'").fetchone()
            problems = store.integrity_check()
        if version != migrations.LATEST:
            raise StepFailed(f"tệp cũ không được nâng lên lược đồ {migrations.LATEST} (đang {version}).")
        if row is None or row[0] != "Công ty cũ":
            raise StepFailed("dữ liệu của tệp cũ bị mất khi nâng cấp.")
        if problems:
            raise StepFailed("sau khi nâng cấp: " + "; ".join(problems))
        saved = sorted((folder / "backups").glob("*.sqlite3"))
        if len(saved) != 1:
            raise StepFailed(f"không có bản sao lưu trong {folder / 'backups'} trước khi nâng cấp.")
        if is_plain_file(saved[0]):
            raise StepFailed(f"bản sao lưu trước khi nâng cấp {saved[0].name} chưa được mã hóa.")
        conn = connect(saved[0], opened.key)
        try:
            old_version = conn.execute("PRAGMA user_version").fetchone()[0]
        finally:
            conn.close()
        if old_version != 1:
            raise StepFailed(f"bản sao lưu {saved[0].name} không phải tệp cũ (lược đồ {old_version}).")
        return f"đã mã hóa; lược đồ 1 → {migrations.LATEST}, dữ liệu còn nguyên, sao lưu (mã hóa): backups/{saved[0].name}"

    def start_qt(self) -> str:
        have_data = (self.laptop / "khaosat.sqlite3").is_file()
        result = run_qt_check(self.laptop if have_data else None)
        if not result.get("ok"):
            raise StepFailed(result.get("error") or "giao diện không khởi động được.")
        shown = result.get("window_shown_after")
        parts = [
            f"nền tảng {result.get('platform')}",
            f"bản dịch: {', '.join(result.get('translations', []))}",
        ]
        if shown is not None:
            parts.append(f"cửa sổ chính hiện sau {_seconds(shown)} kể từ khi chạy chương trình")
        if not have_data:
            parts.append("chưa thử cửa sổ chính vì bước tạo cơ sở dữ liệu chưa đạt")
        return "; ".join(parts)


def check_pdf(path: Path) -> int:
    """The number of pages of a finished PDF file, or StepFailed."""
    import re

    if not path.is_file():
        raise StepFailed(f"không có tệp {path}.")
    data = path.read_bytes()
    if not data.startswith(b"%PDF-"):
        raise StepFailed(f"{path.name} không phải tệp PDF (không bắt đầu bằng %PDF).")
    if b"%%EOF" not in data[-1024:]:
        raise StepFailed(f"{path.name} chưa ghi xong (thiếu %%EOF ở cuối tệp).")
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
    if pages < 1:
        raise StepFailed(f"{path.name} không có trang nào.")
    return pages


def run_qt_check(data: Path | None, timeout: float = QT_TIMEOUT) -> dict:
    """Start ``khaosat self-test-qt`` offscreen in a child process; its JSON result (or a failure)."""
    cmd = program_command() + ["self-test-qt"]
    if data is not None:
        cmd += ["--window", str(data)]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONIOENCODING="utf-8")
    env.pop("KHAOSAT_DATA_DIR", None)
    cwd = None if getattr(sys, "frozen", False) else str(Path(__file__).resolve().parent.parent)
    started = time.time()
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=env,
            cwd=cwd,
            timeout=timeout,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )  # no console flash
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"giao diện không trả lời sau {timeout:.0f} giây."}
    except OSError as exc:
        return {"ok": False, "error": f"không chạy được {cmd[0]}: {exc}"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        tail = "\n".join((proc.stderr or "").strip().splitlines()[-8:])
        return {
            "ok": False,
            "error": f"giao diện dừng với mã {proc.returncode} (có thể thiếu thư viện hoặc "
            f"plugin của Qt):\n{tail}",
        }
    result = json.loads(lines[-1])
    if result.get("window_shown_at") is not None:
        result["window_shown_after"] = result["window_shown_at"] - started
    if proc.returncode != 0:
        result["ok"] = False
    return result


def run(out: TextIO, keep: bool = False, data_dir: str | None = None) -> int:
    """The whole self-test, reported to ``out``; 0 if every step passed."""
    from app import __version__

    try:
        workdir = Path(tempfile.mkdtemp(prefix="khaosat-tu-kiem-tra-"))
    except OSError as exc:
        out.write(f"✗ Tạo thư mục tạm: {exc.strerror or exc} ({exc.filename or tempfile.gettempdir()})\n")
        out.write("Kết quả: KHÔNG ĐẠT. Hãy kiểm tra thư mục tạm (biến TEMP/TMPDIR) có ghi được không.\n")
        return 1
    out.write(f"KhaoSat {__version__}: tự kiểm tra trong {workdir}\n")
    out.flush()
    test = SelfTest(workdir, out, data_dir)
    report = test.run()
    passed = len(report.steps) - len(report.failed)
    if report.ok:
        out.write(f"Kết quả: ĐẠT, {passed}/{len(report.steps)} bước ({_seconds(report.seconds)}).\n")
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    else:
        names = ", ".join(f"«{s.label}»" for s in report.failed)
        out.write(
            f"Kết quả: KHÔNG ĐẠT, {passed}/{len(report.steps)} bước đạt; lỗi ở: {names} "
            f"({_seconds(report.seconds)}).\n"
        )
        out.write(f"Thư mục tạm được giữ lại để kiểm tra: {workdir}\n")
    out.flush()
    return 0 if report.ok else 1
