"""``khaosat``: the desktop program by default, subcommands for headless work.

Errors go to stderr in Vietnamese with a non-zero exit code, never a traceback
(the traceback goes to ``khaosat-errors.log`` in the data folder for the developers).
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Sequence
from pathlib import Path

from app import __version__
from app.cli import (
    down_commands,
    import_commands,
    print_commands,
    recovery_commands,
    scan_commands,
    selftest_command,
    sync_commands,
    todo_commands,
)
from app.cli.common import COMMANDS, CliError, Parser, command, open_store, say


def build_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="khaosat",
        description="KhaoSat: khảo sát doanh nghiệp, xây dựng tổ chức Đảng và đoàn thể. "
        "Không có lệnh con thì mở chương trình.",
    )
    p.add_argument("--version", action="version", version=f"KhaoSat {__version__}")
    p.add_argument(
        "--data-dir",
        metavar="THƯ_MỤC",
        help="thư mục dữ liệu (mặc định: KHAOSAT_DATA_DIR hoặc thư mục dữ liệu của người dùng)",
    )
    p.add_argument(
        "--self-test",
        action="store_true",
        help="tự kiểm tra chương trình trong một thư mục tạm (tạo dữ liệu, in, xuất và nhập gói) rồi thoát",
    )
    sub = p.add_subparsers(dest="command", metavar="LỆNH", parser_class=Parser)

    s = sub.add_parser("gui", help="mở chương trình (mặc định)")
    s.add_argument(
        "paths",
        nargs="*",
        metavar="TỆP",
        help="gói dữ liệu hoặc biên nhận cần nhập (khi mở tệp .khaosat bằng cách nhấp đúp)",
    )

    s = sub.add_parser("init", help="thiết lập máy: đơn vị, tên cộng tác viên, vai trò của máy")
    s.add_argument("--unit", required=True, metavar="MÃ", help="mã phường/xã (5 số) hoặc tỉnh (2 số)")
    s.add_argument("--name", required=True, metavar="HỌ_TÊN", help="họ tên cộng tác viên hoặc cán bộ")
    s.add_argument(
        "--role",
        required=True,
        choices=[r.value for r in _roles()],
        help="vai trò của máy: " + ", ".join(f"{r.value} ({r.label})" for r in _roles()),
    )

    s = sub.add_parser("demo", help="tạo dữ liệu mẫu cho một phường")
    s.add_argument("--ward", required=True, metavar="MÃ", help="mã phường/xã (5 số)")
    s.add_argument("--enterprises", type=int, default=200, metavar="N", help="số doanh nghiệp (mặc định 200)")
    s.add_argument("--seed", type=int, default=1, metavar="S", help="hạt giống ngẫu nhiên (mặc định 1)")
    s.add_argument("--years", type=int, default=3, metavar="Y", help="số năm khảo sát (mặc định 3)")
    s.add_argument(
        "--visits-per-enterprise",
        type=float,
        default=3.0,
        metavar="V",
        help="số lượt khảo sát trung bình mỗi doanh nghiệp (mặc định 3)",
    )

    s = sub.add_parser("enterprise", help="xem danh sách, tìm, xem chi tiết doanh nghiệp")
    esub = s.add_subparsers(dest="action", metavar="VIỆC", required=True, parser_class=Parser)
    e = esub.add_parser("list", help="liệt kê doanh nghiệp")
    e.add_argument("--ward", metavar="MÃ")
    e.add_argument("--limit", type=int, default=50)
    e = esub.add_parser("search", help="tìm (có dấu hoặc không dấu)")
    e.add_argument("query", metavar="TỪ_KHÓA")
    e.add_argument("--limit", type=int, default=20)
    e = esub.add_parser("show", help="xem chi tiết một doanh nghiệp")
    e.add_argument("key", metavar="MÃ_SỐ_THUẾ_HOẶC_ID")

    s = sub.add_parser("check", help="kiểm tra tính toàn vẹn, phiên bản lược đồ, số bản ghi")

    s = sub.add_parser(
        "backup", help="sao lưu dữ liệu ra một tệp đã mã hóa (an toàn cả khi chương trình đang chạy)"
    )
    s.add_argument("file", metavar="TỆP")
    s = sub.add_parser(
        "restore",
        help="khôi phục từ bản sao lưu (hỏi mật khẩu lúc tạo bản sao lưu; dữ liệu hiện có được cất riêng)",
    )
    s.add_argument("file", metavar="TỆP")
    s.add_argument(
        "--other-machine",
        action="store_true",
        help="đồng ý khôi phục bản sao lưu của một máy khác (khi máy đó không còn dùng nữa)",
    )
    sub.add_parser(
        "passphrase",
        help="đổi mật khẩu mở dữ liệu (mật khẩu cũ: KHAOSAT_PASSPHRASE hoặc hỏi; "
        "mật khẩu mới: KHAOSAT_NEW_PASSPHRASE hoặc hỏi)",
    )

    s = sub.add_parser("units", help="tìm mã phường/xã, tỉnh theo tên")
    s.add_argument("query", metavar="TÊN")
    s.add_argument("--province", metavar="MÃ")

    s = sub.add_parser("offices", help="chuỗi cơ quan cấp trên (phường → trung gian → tỉnh)")
    osub = s.add_subparsers(dest="action", metavar="VIỆC", required=True, parser_class=Parser)
    osub.add_parser("list", help="liệt kê các cơ quan theo chuỗi báo cáo")
    o = osub.add_parser("add", help="thêm một cơ quan")
    o.add_argument("--name", required=True, metavar="TÊN")
    o.add_argument("--role", required=True, choices=["ward_office", "middle_office", "province_office"])
    o.add_argument("--unit", required=True, metavar="MÃ")
    o.add_argument("--parent", metavar="ID", help="ID của cơ quan cấp trên")
    o = osub.add_parser("remove", help="bỏ một cơ quan")
    o.add_argument("id", metavar="ID")

    for feature in (
        sync_commands,
        down_commands,
        print_commands,
        import_commands,
        scan_commands,
        selftest_command,
        recovery_commands,
        todo_commands,
    ):
        feature.add_parsers(sub)
    return p


def _roles():
    from app.domain.vocab import Role

    return list(Role)


@command("init")
def _init(args: argparse.Namespace) -> int:
    from app.domain import units
    from app.domain.text import clean, text_problem
    from app.domain.vocab import Role

    unit = units.unit(args.unit)
    if unit is None:
        raise CliError(f"Mã đơn vị «{args.unit}» không có trong danh mục. Tìm mã bằng: khaosat units TÊN")
    role = Role(args.role)
    if role in (Role.COLLABORATOR, Role.WARD_OFFICE) and unit.is_province:
        raise CliError(
            "Máy của cộng tác viên hoặc cơ quan phường phải chọn một phường/xã (mã 5 số), không phải tỉnh."
        )
    name = clean(args.name)
    if not name:
        raise CliError("Chưa nhập họ tên.")
    problem = text_problem(name, "Họ tên", 200)
    if problem:
        raise CliError(problem)
    with open_store(args) as store:
        profile = store.set_profile(unit_code=unit.code, collaborator=name, role=role)
    say(f"Đã thiết lập máy {profile.laptop_id}: {unit.name} ({unit.code}), {name}, {role.label}.")
    _init_keys(args)
    return 0


def _init_keys(args: argparse.Namespace) -> None:
    """Signing and encryption keys for bundles (app/sync), made once and sealed under the data key."""
    from app.sync.registry import ensure_keys

    with open_store(args) as store:
        ident = ensure_keys(store)
    if ident is not None:
        say(f"Đã tạo khóa của máy. Dấu vân tay: {ident.current.fingerprint}")


@command("demo")
def _demo(args: argparse.Namespace) -> int:
    from app.demo.generator import DemoOptions, generate
    from app.domain import units

    ward = units.ward(args.ward)
    if ward is None:
        raise CliError(f"Mã phường/xã «{args.ward}» không có trong danh mục. Tìm mã bằng: khaosat units TÊN")
    if not (1 <= args.enterprises <= 1_000_000):
        raise CliError("Số doanh nghiệp phải từ 1 đến 1.000.000.")
    with open_store(args) as store:
        result = generate(
            store,
            DemoOptions(
                ward_code=ward.code,
                enterprises=args.enterprises,
                seed=args.seed,
                years=args.years,
                visits_per_enterprise=args.visits_per_enterprise,
            ),
        )
    from app.domain.vnformat import format_int

    say(
        f"Đã tạo dữ liệu mẫu cho {ward.name}: {format_int(result.enterprises)} doanh nghiệp, "
        f"{format_int(result.visits)} lượt khảo sát, {format_int(result.organisations)} tổ chức, "
        f"{format_int(result.admissions)} lần kết nạp, {format_int(result.ratings)} xếp loại chất lượng, "
        f"{format_int(result.targets)} chỉ tiêu."
    )
    return 0


def _enterprise_line(row: dict) -> str:
    from app.domain import units
    from app.domain.vnformat import format_int

    ward = units.ward(row.get("ward_code"))
    workforce = row.get("workforce_total")
    parts = [row["tax_code"], row["name"]]
    if row.get("address"):
        parts.append(row["address"])
    elif ward:
        parts.append(ward.name)
    if workforce is not None:
        parts.append(f"{format_int(workforce)} lao động")
    return " | ".join(parts)


@command("enterprise")
def _enterprise(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        if args.action == "list":
            from app.domain.vnformat import format_int
            from app.services import enterprise_list as el

            query = el.ListQuery(ward_code=args.ward or None, sort="name")
            rows = el.page(store, query, 0, max(1, args.limit))
            for row in rows:
                say(_enterprise_line(row))
            say(f"({format_int(len(rows))}/{format_int(el.count(store, query))} doanh nghiệp)")
            return 0
        if args.action == "search":
            rows = store.search_enterprises(args.query, limit=max(1, args.limit))
            if not rows:
                print(f"Không tìm thấy doanh nghiệp nào với «{args.query}».", file=sys.stderr)
                return 1
            for row in rows:
                say(_enterprise_line(row))
            return 0
        return _show_enterprise(store, args.key)


def _show_enterprise(store, key: str) -> int:
    from app.domain.display import display
    from app.domain.records import Organisation, Visit, fields_of, record_type
    from app.domain.vnformat import format_date, format_int
    from app.domain.vocab import OrgKind, OrgStatus
    from app.services.enterprise_lookup import SelectionError, resolve_enterprise

    try:
        e = resolve_enterprise(store, key)  # the one lookup: id, tax code or form code
    except SelectionError as exc:
        raise CliError(str(exc)) from None
    # every declared field that has a value, in order (app/domain/records.py)
    lines = [
        (info.label, display(info, getattr(e, info.name), with_code=True)) for info in fields_of(type(e))
    ]
    lines.append(("ID", e.id))
    for label, value in lines:
        if value:
            say(f"{label}: {value}")
    orgs = store.children(Organisation, e.id, "kind")
    if orgs:
        say("Tổ chức:")
        for o in orgs:
            extra = (
                f", QĐ {o.decision_number} ngày {format_date(o.decision_date)}" if o.decision_number else ""
            )
            members = f", {format_int(o.members)} thành viên" if o.members is not None else ""
            say(f"  - {OrgKind(o.kind).label}: {OrgStatus(o.status).label}{extra}{members}")
    visits = store.children(Visit, e.id, "visit_date DESC")
    if visits:
        say(f"Lượt khảo sát ({len(visits)}):")
        # the fields declared with a column heading, as on the detail panel's visits tab: the first (the
        # date) leads the line, the others that have a value follow with their heading
        first, *rest = record_type(Visit).LISTED
        for vis in visits[:10]:
            parts = [(i.column, display(i, vis.listed_value(i.name))) for i in rest]
            say(
                f"  - {display(first, vis.listed_value(first.name))}: "
                + "; ".join(f"{k}: {v}" for k, v in parts if v)
            )
    return 0


@command("check")
def _check(args: argparse.Namespace) -> int:
    from app.domain.records import RECORD_TYPES
    from app.domain.vnformat import format_int
    from app.storage.migrations import LATEST

    with open_store(args) as store:
        problems = store.integrity_check()
        counts = store.counts()
        profile = store.profile()
        say(f"Tệp dữ liệu: {store.path}")
        say(f"Phiên bản lược đồ: {store.schema_version()} (mới nhất {LATEST})")
        say(
            f"Máy: {profile.laptop_id}"
            + (
                f", đơn vị {profile.unit_code}, {profile.collaborator}"
                if profile.initialised
                else ", chưa thiết lập (khaosat init)"
            )
        )
        labels = {
            **{table: cls.TITLE for table, cls in RECORD_TYPES.items()},
            "deleted": "Bản ghi đã xóa",
            "changes": "Thay đổi đã ghi nhật ký",
        }
        for key, label in labels.items():
            say(f"{label}: {format_int(counts[key])}")
    if problems:
        for p in problems:
            print(f"Lỗi toàn vẹn: {p}", file=sys.stderr)
        return 1
    say("Kiểm tra toàn vẹn: tốt.")
    return 0


@command("backup")
def _backup(args: argparse.Namespace) -> int:
    from app.storage.backups import BackupError, write_backup

    dest = Path(args.file).expanduser()
    if dest.exists() and dest.is_dir():
        raise CliError(
            f"«{dest}» là một thư mục; hãy cho tên tệp sao lưu, ví dụ {dest / 'khaosat-saoluu.khaosat-backup'}."
        )
    with open_store(args) as store:
        try:
            out = write_backup(store, dest)
        except BackupError as exc:
            raise CliError(str(exc)) from exc
    say(f"Đã sao lưu (đã mã hóa) vào {out} ({out.stat().st_size:,} byte).".replace(",", "."))
    say("Khi khôi phục cần mật khẩu đang dùng lúc này.")
    return 0


@command("restore")
def _restore(args: argparse.Namespace) -> int:
    import getpass

    from app.cli.unlock import current_passphrase, folder_of
    from app.security.datakey import LockError
    from app.storage.backups import BackupError, is_other_machine, read_info, restore

    folder = folder_of(args)
    try:
        info = read_info(Path(args.file).expanduser())
    except BackupError as exc:
        raise CliError(str(exc)) from exc
    say(f"Bản sao lưu của máy {info.laptop_id}, tạo lúc {info.created_text}.")
    other_ok = args.other_machine
    if is_other_machine(info, folder) and not other_ok:
        if not sys.stdin.isatty():
            raise CliError(
                "Bản sao lưu này của một máy khác. Chỉ khôi phục khi máy đó không còn dùng nữa; "
                "nếu đúng vậy, chạy lại với --other-machine."
            )
        answer = input("Bản sao lưu này của MÁY KHÁC. Vẫn khôi phục vào máy này? (c/k): ").strip().lower()
        if answer not in ("c", "co", "có", "y", "yes"):
            raise CliError("Chưa khôi phục.")
        other_ok = True
    passphrase = current_passphrase()
    if passphrase is None:
        if not sys.stdin.isatty():
            raise CliError(
                "Cần mật khẩu của bản sao lưu: chạy ở cửa sổ dòng lệnh hoặc đặt KHAOSAT_PASSPHRASE."
            )
        passphrase = getpass.getpass("Mật khẩu lúc tạo bản sao lưu: ")
    try:
        done = restore(folder, info.path, passphrase, other_machine_ok=other_ok)
    except (LockError, BackupError) as exc:
        raise CliError(str(exc)) from exc
    from app.domain.vnformat import format_int

    say(
        f"Đã khôi phục: {format_int(done.counts['enterprises'])} doanh nghiệp, "
        f"{format_int(done.counts['visits'])} lượt khảo sát."
    )
    if done.key_changed:
        say("Từ nay mở dữ liệu bằng mật khẩu của bản sao lưu.")
    if done.previous:
        say(f"Dữ liệu trước khi khôi phục (vẫn mã hóa) được cất ở {done.previous}.")
    return 0


@command("passphrase")
def _passphrase_change(args: argparse.Namespace) -> int:
    import getpass

    from app.cli.unlock import current_passphrase, folder_of, new_passphrase
    from app.security.datakey import LockError
    from app.services.unlock import change_passphrase

    folder = folder_of(args)
    old = current_passphrase()
    if old is None:
        if not sys.stdin.isatty():
            raise CliError("Cần mật khẩu hiện tại: chạy ở cửa sổ dòng lệnh hoặc đặt KHAOSAT_PASSPHRASE.")
        old = getpass.getpass("Mật khẩu hiện tại: ")
    new = new_passphrase()
    try:
        change_passphrase(folder, old, new)
    except LockError as exc:
        raise CliError(exc.message) from exc
    say("Đã đổi mật khẩu. Tệp dữ liệu không cần mã hóa lại.")
    return 0


@command("units")
def _units(args: argparse.Namespace) -> int:
    from app.domain import units

    found = units.find(args.query, args.province)
    if not found:
        raise CliError(f"Không tìm thấy đơn vị nào tên «{args.query}».")
    for u in found:
        parent = units.province(u.province_code) if u.province_code else None
        say(f"{u.code}  {u.name}" + (f", {parent.name}" if parent else ""))
    return 0


@command("offices")
def _offices(args: argparse.Namespace) -> int:
    from app.domain import units
    from app.domain.offices import Office, chain_above
    from app.domain.vocab import Role
    from app.services.offices import list_offices, remove_office, save_office

    with open_store(args) as store:
        if args.action == "add":
            office = save_office(
                store,
                Office(name=args.name, role=Role(args.role), unit_code=args.unit, parent_id=args.parent),
            )
            say(f"Đã thêm {office.name} ({office.id}).")
            return 0
        if args.action == "remove":
            remove_office(store, args.id)
            say("Đã bỏ cơ quan.")
            return 0
        offices = list_offices(store)
        if not offices:
            say("Chưa khai báo cơ quan nào. Thêm bằng: khaosat offices add --name ... --role ... --unit ...")
            return 0
        for o in sorted(offices, key=lambda o: (o.role.value != "ward_office", o.name)):
            chain = " → ".join(x.name for x in chain_above(offices, o.id))
            say(f"{o.id}  {o.role.label}: {o.name} [{units.unit_name(o.unit_code)}]   {chain}")
    return 0


@command("gui")
def _gui(args: argparse.Namespace) -> int:
    from app.gui.application import run

    return run(args.data_dir, open_paths=getattr(args, "paths", None) or [])


def _log_crash(args: argparse.Namespace | None, exc: BaseException) -> Path | None:
    """The traceback to khaosat-errors.log (app/logs.py: types and frames, never the message)."""
    try:
        from app import logs
        from app.paths import data_dir

        folder = data_dir(getattr(args, "data_dir", None))
        failed = logs.failed_writes()
        logs.setup(folder)
        logs.get("cli").error("unexpected error in command %s", getattr(args, "command", None), exc_info=exc)
        logs.flush()
        # a log that could not be written (a full disk, a read-only folder) is not offered to send
        return logs.log_path(folder) if logs.failed_writes() == failed else None
    except Exception:  # noqa: BLE001 - logging must never raise
        return None


def _known_failure(exc: BaseException, args: argparse.Namespace) -> str | None:
    """The plain message for a failure of the disk or the data file, or None for a real bug."""
    from app.storage.failures import describe

    try:
        from app.paths import database_path

        path = database_path(getattr(args, "data_dir", None))
    except Exception:  # noqa: BLE001 - the message must not fail for want of a path
        path = None
    return describe(exc, path)


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            try:
                # Windows consoles default to a code page; a file name or argument that is not valid
                # Unicode (a lone surrogate) is shown escaped instead of failing the message
                stream.reconfigure(encoding="utf-8", errors="backslashreplace")
            except (ValueError, OSError):
                pass
    parser = build_parser()
    args = parser.parse_args(argv)
    name = "self-test" if getattr(args, "self_test", False) else (args.command or "gui")
    handler = COMMANDS[name]
    from app.domain.validation import ValidationError
    from app.storage.store import StoreError

    try:
        return handler(args)
    except CliError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return exc.code
    except ValidationError as exc:
        print("Dữ liệu chưa hợp lệ:", file=sys.stderr)
        for p in exc.problems:
            print(f"  - {p.message}", file=sys.stderr)
        return 1
    except StoreError as exc:
        print(f"Lỗi dữ liệu: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Đã dừng theo yêu cầu.", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the user gets a message, never a traceback
        message = _known_failure(exc, args)
        if message is not None:  # a full disk, a read-only folder, a stick pulled out, no memory...
            print(f"Lỗi: {message}", file=sys.stderr)
            return 1
        log = _log_crash(args, exc)
        print(f"Lỗi không mong đợi: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        if log:
            print(f"Chi tiết đã ghi vào {log}; hãy gửi tệp này cho người hỗ trợ.", file=sys.stderr)
        return 70


if __name__ == "__main__":
    raise SystemExit(main())
