"""``khaosat print form|blank|keyform``, ``khaosat report``, ``khaosat report-settings``, ``khaosat excel``."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from app.cli.common import CliError, command, open_store, say


def _date_arg(text: str) -> date:
    from app.domain.vnformat import parse_date

    try:
        value = parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if value is None:
        raise argparse.ArgumentTypeError("chưa nhập ngày")
    return value


MARKS_HELP = (
    "in kèm trang 2 có ô đánh dấu để đọc lại phiếu đã điền từ ảnh chụp hoặc ảnh quét (khaosat scan); "
    "mặc định theo thiết lập của máy (có trang đánh dấu, trừ khi đã tắt trong chương trình)"
)
NO_MARKS_HELP = "chỉ in một trang mỗi phiếu, không có trang đánh dấu (lần này)"


def _marks_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--marks", dest="marks", action="store_true", default=None, help=MARKS_HELP)
    g.add_argument("--no-marks", dest="marks", action="store_false", help=NO_MARKS_HELP)


def _marks(args: argparse.Namespace, store) -> bool:
    """``--marks``/``--no-marks`` for this command, else the data folder's setting."""
    from app.services.print_settings import mark_sheet

    return mark_sheet(store) if args.marks is None else args.marks


def add_parsers(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("print", help="in phiếu khảo sát (điền sẵn hoặc trống), phiếu đăng ký khóa ra tệp PDF")
    ps = s.add_subparsers(dest="what", metavar="LOẠI", required=True, parser_class=type(s))
    f = ps.add_parser("form", help="phiếu khảo sát điền sẵn cho một hoặc nhiều doanh nghiệp (một tệp PDF)")
    f.add_argument(
        "--enterprise",
        action="append",
        metavar="MST_HOẶC_ID",
        help="mã số thuế, ID hoặc mã phiếu của doanh nghiệp (lặp lại được)",
    )
    f.add_argument(
        "--not-visited-months",
        type=int,
        metavar="N",
        help="các doanh nghiệp chưa được khảo sát trong N tháng gần đây (hoặc chưa bao giờ)",
    )
    f.add_argument(
        "--planned-week",
        nargs="?",
        const="today",
        metavar="NGÀY",
        help="các doanh nghiệp hẹn khảo sát trong tuần (của NGÀY, mặc định tuần này)",
    )
    f.add_argument("--planned-from", type=_date_arg, metavar="NGÀY", help="hẹn khảo sát từ ngày")
    f.add_argument("--planned-to", type=_date_arg, metavar="NGÀY", help="hẹn khảo sát đến ngày")
    f.add_argument(
        "--unit", metavar="MÃ", help="chỉ doanh nghiệp của phường/xã hoặc tỉnh này (mặc định: đơn vị của máy)"
    )
    f.add_argument(
        "--include-inactive", action="store_true", help="in cả doanh nghiệp đã giải thể hoặc đã chuyển đi"
    )
    f.add_argument("--today", type=_date_arg, metavar="NGÀY", help=argparse.SUPPRESS)
    f.add_argument("--out", required=True, metavar="TỆP", help="tệp PDF sẽ ghi")
    _marks_args(f)
    b = ps.add_parser("blank", help="phiếu khảo sát trống")
    b.add_argument("--copies", type=int, default=1, metavar="N", help="số phiếu (mặc định 1)")
    b.add_argument("--out", required=True, metavar="TỆP", help="tệp PDF sẽ ghi")
    _marks_args(b)
    k = ps.add_parser("keyform", help="phiếu đăng ký khóa máy tính (dấu vân tay bằng số lớn và mã QR)")
    k.add_argument("--laptop", metavar="MÃ_MÁY", help="mã máy (mặc định: máy này)")
    k.add_argument("--fingerprint", metavar="SỐ", help="dấu vân tay khóa (mặc định: khóa của máy này)")
    k.add_argument("--unit", metavar="MÃ", help="đơn vị (mặc định: đơn vị của máy)")
    k.add_argument("--name", metavar="HỌ_TÊN", help="người dùng máy (mặc định: người đã thiết lập máy)")
    k.add_argument("--office", metavar="TÊN", default="", help="cơ quan tiếp nhận")
    k.add_argument("--officer", metavar="HỌ_TÊN", default="", help="cán bộ tiếp nhận")
    k.add_argument("--date", type=_date_arg, metavar="NGÀY", help="ngày đăng ký (mặc định hôm nay)")
    k.add_argument("--out", required=True, metavar="TỆP", help="tệp PDF sẽ ghi")

    r = sub.add_parser("report", help="báo cáo kết quả so với chỉ tiêu (PDF và/hoặc Excel)")
    r.add_argument("--year", type=int, required=True, metavar="NĂM")
    r.add_argument("--unit", metavar="MÃ", help="phường/xã hoặc tỉnh (mặc định: đơn vị của máy)")
    r.add_argument("--from", dest="start", type=_date_arg, metavar="NGÀY", help="từ ngày (mặc định 01/01)")
    r.add_argument("--to", dest="end", type=_date_arg, metavar="NGÀY", help="đến ngày (mặc định 31/12)")
    r.add_argument("--pdf", metavar="TỆP", help="ghi báo cáo PDF")
    r.add_argument("--xlsx", metavar="TỆP", help="ghi báo cáo Excel")
    r.add_argument("--number", metavar="SỐ", help="số văn bản (để trống cho văn thư ghi)")
    r.add_argument("--date", type=_date_arg, metavar="NGÀY", help="ngày ký văn bản (mặc định hôm nay)")

    c = sub.add_parser(
        "report-settings", help="xem hoặc đặt cách trình bày, làm tròn, ngưỡng lao động của báo cáo"
    )
    c.add_argument("--style", choices=["party", "state"], help="party: văn bản Đảng; state: văn bản nhà nước")
    c.add_argument(
        "--rounding",
        choices=["half_up", "truncate"],
        help="half_up: 16/15 vượt 6,67%% (mặc định); truncate: 6,66%%",
    )
    c.add_argument("--thresholds", metavar="A,B", help="ngưỡng quy mô lao động, ví dụ 20,500")
    c.add_argument("--issuing-body", metavar="TÊN", help="cơ quan ban hành, ví dụ «ĐẢNG ỦY PHƯỜNG HOÀN KIẾM»")
    c.add_argument(
        "--superior-body", metavar="TÊN", help="cơ quan cấp trên, ví dụ «ĐẢNG BỘ THÀNH PHỐ HÀ NỘI»"
    )
    c.add_argument("--number-code", metavar="MÃ", help="ký hiệu sau số văn bản, ví dụ BC/ĐU")
    c.add_argument("--place", metavar="TÊN", help="địa danh trước ngày tháng, ví dụ «Hoàn Kiếm»")
    c.add_argument("--signer-name", metavar="HỌ_TÊN", help="người ký")
    c.add_argument(
        "--signer-capacity",
        metavar="DÒNG",
        action="append",
        help="dòng thẩm quyền ký (lặp lại: «T/M ĐẢNG ỦY» rồi «BÍ THƯ»)",
    )

    x = sub.add_parser("excel", help="xuất danh sách doanh nghiệp ra tệp Excel (.xlsx)")
    x.add_argument("--unit", metavar="MÃ", help="chỉ doanh nghiệp của phường/xã hoặc tỉnh này")
    x.add_argument("--out", required=True, metavar="TỆP", help="tệp .xlsx sẽ ghi")


def _errors():
    from app.domain.units import UnknownUnitError
    from app.fileio import OutputError
    from app.printing.fonts import FontError
    from app.reports.results import ReportError
    from app.reports.settings import SettingsError
    from app.services.enterprise_lookup import SelectionError

    return (OutputError, FontError, SelectionError, UnknownUnitError, ReportError, SettingsError)


def _check_out(path: str, suffix: str) -> Path:
    out = Path(path).expanduser()
    if out.suffix.lower() != suffix:
        raise CliError(f"Tên tệp «{out.name}» cần đuôi {suffix}, ví dụ {out.with_suffix(suffix).name}.")
    return out


@command("print")
def _print_cmd(args: argparse.Namespace) -> int:
    try:
        if args.what == "form":
            return _print_forms(args)
        if args.what == "blank":
            return _print_blank(args)
        return _print_keyform(args)
    except _errors() as exc:
        from app.cli.hints import with_hint

        raise CliError(with_hint(exc)) from None


def _print_forms(args: argparse.Namespace) -> int:
    from app.printing.visit_form import render_visit_forms, unit_title_for
    from app.services.enterprise_lookup import resolve_enterprise
    from app.services.form_batches import FormSelection, load_forms, select_enterprises, week_of

    out = _check_out(args.out, ".pdf")
    today = args.today or date.today()
    planned_from, planned_to = args.planned_from, args.planned_to
    if args.planned_week:
        day = today if args.planned_week == "today" else _date_arg(args.planned_week)
        planned_from, planned_to = week_of(day)
    chose_list = args.not_visited_months is not None or planned_from or planned_to
    if not args.enterprise and not chose_list:
        raise CliError(
            "Hãy chọn doanh nghiệp: --enterprise MST (lặp lại được), --not-visited-months N, "
            "--planned-week, hoặc --planned-from/--planned-to."
        )
    if args.not_visited_months is not None and args.not_visited_months < 1:
        raise CliError("Số tháng chưa khảo sát phải từ 1 trở lên.")
    with open_store(args) as store:
        unit = args.unit or store.profile().unit_code
        ids: list[str] = []
        for key in args.enterprise or []:
            e = resolve_enterprise(store, key)
            if e.id not in ids:
                ids.append(e.id)
        if chose_list:
            sel = FormSelection(
                unit_code=unit,
                not_visited_months=args.not_visited_months,
                planned_from=planned_from,
                planned_to=planned_to,
                include_inactive=args.include_inactive,
                today=today,
            )
            ids += [i for i in select_enterprises(store, sel) if i not in ids]
        if not ids:
            raise CliError("Không có doanh nghiệp nào khớp điều kiện đã chọn; không ghi tệp.")
        forms = load_forms(store, ids, today)
        marks = _marks(args, store)
        practice = store.is_practice
    render_visit_forms(
        out, forms, unit_title=unit_title_for(unit), printed_on=today, marks=marks, practice=practice
    )
    say(f"Đã in {len(forms)} phiếu khảo sát ({_pages(len(forms), marks)}) vào {out}.")
    return 0


def _print_blank(args: argparse.Namespace) -> int:
    from app.printing.visit_form import render_visit_forms, unit_title_for

    out = _check_out(args.out, ".pdf")
    if not 1 <= args.copies <= 500:
        raise CliError("Số phiếu trống phải từ 1 đến 500.")
    with open_store(args) as store:
        unit = store.profile().unit_code
        marks = _marks(args, store)
        practice = store.is_practice
    render_visit_forms(
        out, [None] * args.copies, unit_title=unit_title_for(unit), marks=marks, practice=practice
    )
    say(f"Đã in {args.copies} phiếu khảo sát trống ({_pages(args.copies, marks)}) vào {out}.")
    return 0


def _pages(forms: int, marks: bool) -> str:
    from app.domain.vnformat import format_int

    if marks:
        from app.services.print_settings import pages_per_form

        per_form = pages_per_form(True)
        sheet = "một trang đánh dấu" if per_form == 2 else f"{per_form - 1} trang đánh dấu"
        return f"{format_int(per_form * forms)} trang: mỗi phiếu một trang thông tin và {sheet}"
    return f"{format_int(forms)} trang"


def _print_keyform(args: argparse.Namespace) -> int:
    from app.domain import units
    from app.domain.vocab import Role
    from app.printing.keyform import KeyFormData, render_key_form

    out = _check_out(args.out, ".pdf")
    with open_store(args) as store:
        prof = store.profile()
        laptop = args.laptop or prof.laptop_id
        fp = args.fingerprint
        if not fp:
            if args.laptop and args.laptop != prof.laptop_id:
                raise CliError("In phiếu cho máy khác thì phải cho cả --fingerprint (đọc trên máy đó).")
            from app.services.machine import own_fingerprint

            fp = own_fingerprint(store)
        if not fp:
            raise CliError("Máy này chưa có khóa. Hãy tạo khóa (khaosat keys init) hoặc cho --fingerprint.")
        unit_code = args.unit or prof.unit_code or ""
        u = units.unit(unit_code)
        if unit_code and u is None:
            raise CliError(f"Mã đơn vị «{unit_code}» không có trong danh mục. Tìm mã bằng: khaosat units TÊN")
        name = args.name or (prof.collaborator if laptop == prof.laptop_id else "") or ""
        role = Role.parse(prof.role).label if (laptop == prof.laptop_id and prof.role) else ""  # type: ignore[union-attr]
        practice = store.is_practice
    data = KeyFormData(
        laptop_id=laptop,
        fingerprint=fp,
        unit_name=u.name if u else "",
        unit_code=unit_code,
        collaborator=name,
        office=args.office,
        officer=args.officer,
        role=role,
        on=args.date or date.today(),
        place=u.short_name if u else "",
    )
    render_key_form(out, data, practice=practice)
    say(f"Đã in phiếu đăng ký khóa của máy {laptop} vào {out}.")
    return 0


@command("report")
def _report_cmd(args: argparse.Namespace) -> int:
    from app.domain.vnformat import format_int
    from app.printing.report_pdf import render_report
    from app.reports.development import LEVELS
    from app.reports.excel import export_report
    from app.reports.results import Period, report_for

    if not args.pdf and not args.xlsx:
        raise CliError("Hãy cho ít nhất một tệp: --pdf TỆP.pdf và/hoặc --xlsx TỆP.xlsx.")
    if not 2000 <= args.year <= 2100:
        raise CliError("Năm báo cáo phải từ 2000 đến 2100.")
    pdf = _check_out(args.pdf, ".pdf") if args.pdf else None
    xlsx = _check_out(args.xlsx, ".xlsx") if args.xlsx else None
    start = args.start or date(args.year, 1, 1)
    end = args.end or date(args.year, 12, 31)
    if start.year != args.year or end.year != args.year:
        raise CliError(f"Kỳ báo cáo phải nằm trong năm {args.year}.")
    try:
        with open_store(args) as store:
            unit = args.unit or store.profile().unit_code
            if not unit:
                raise CliError("Máy chưa thiết lập đơn vị; hãy cho --unit MÃ (hoặc chạy khaosat init).")
            on = args.date or date.today()
            report, settings = report_for(store, unit, Period(start, end), on)
            practice = store.is_practice
        if pdf:
            render_report(pdf, report, settings, number=args.number, on=on, practice=practice)
        if xlsx:
            export_report(xlsx, report, practice=practice)
    except _errors() as exc:
        from app.cli.hints import with_hint

        raise CliError(with_hint(exc)) from None
    say(
        f"Báo cáo {report.period.label} của {report.unit_name}: {format_int(report.enterprises)} doanh nghiệp, "
        f"{report.targets_reached}/{report.targets_set} chỉ tiêu đạt và vượt."
    )
    for k in report.kinds:
        say(f"  {k.label}: thành lập {k.founded.text}; kết nạp {k.admitted.text}")
    d = report.development
    if d is not None:
        n = format_int
        pool, pr, q = d.pool, d.probation, d.quality
        say(f"Đủ điều kiện thành lập tổ chức (hiện nay): {n(d.opportunities.enterprises)} doanh nghiệp")
        say(
            f"Nguồn phát triển đảng viên: {n(pool.identified)} quần chúng ưu tú ({n(pool.trained)} đã học lớp "
            f"nhận thức, {n(pool.applied)} có đơn), kết nạp {n(pool.admitted)}"
        )
        say(
            f"Công nhận đảng viên chính thức: {n(pr.people)} người; quá hạn chưa công nhận: "
            f"{n(pr.overdue)} trường hợp ({n(pr.overdue_people)} người); dự bị: {n(pr.probationary)}"
        )
        levels = ", ".join(f"{lv.label.lower()} {n(q.total(lv))}" for lv in LEVELS)
        say(f"Xếp loại chất lượng năm {q.year}: {levels}")
    for path in (pdf, xlsx):
        if path:
            say(f"Đã ghi {path}.")
    return 0


@command("report-settings")
def _report_settings_cmd(args: argparse.Namespace) -> int:
    from app.reports.settings import SettingsError, load, parse_thresholds

    changes: dict[str, object] = {}
    if args.style:
        changes["report.style"] = args.style
    if args.rounding:
        changes["report.rounding"] = args.rounding
    if args.thresholds:
        try:
            changes["report.workforce_thresholds"] = list(
                parse_thresholds(args.thresholds.replace(";", ",").split(","))
            )
        except SettingsError as exc:
            raise CliError(str(exc)) from None
    for key in ("issuing_body", "superior_body", "number_code", "place", "signer_name", "signer_capacity"):
        value = getattr(args, key)
        if value is not None:
            from app.domain.text import clean

            changes[f"report.{key}"] = [clean(v) for v in value] if isinstance(value, list) else clean(value)
    with open_store(args) as store:
        from app.services.office_settings import check_local

        for key in changes:
            check_local(store, key)  # a value an office above set cannot be changed here
        with store.transaction():
            for key, value in changes.items():
                store.set_setting(key, value)
        unit = store.profile().unit_code or "01"
        try:
            s = load(store, unit)
        except SettingsError as exc:
            raise CliError(str(exc)) from None
    say(f"Kiểu văn bản: {s.style.value} ({s.style.label})")
    say(f"Làm tròn: {s.rounding.value}")
    say(f"Ngưỡng quy mô lao động: {s.thresholds[0]}, {s.thresholds[1]}")
    say(f"Cơ quan cấp trên: {s.superior_body or ''}")
    say(f"Cơ quan ban hành: {s.issuing_body}")
    say(f"Ký hiệu văn bản: {s.number_code}")
    say(f"Địa danh: {s.place}")
    say(f"Thẩm quyền ký: {' / '.join(s.signer_capacity)}")
    say(f"Người ký: {s.signer_name}")
    return 0


@command("excel")
def _excel_cmd(args: argparse.Namespace) -> int:
    from app.domain.vnformat import format_int
    from app.reports.excel import export_enterprises

    out = _check_out(args.out, ".xlsx")
    try:
        with open_store(args) as store:
            n = export_enterprises(out, store, args.unit)
    except _errors() as exc:
        from app.cli.hints import with_hint

        raise CliError(with_hint(exc)) from None
    say(f"Đã xuất {format_int(n)} doanh nghiệp vào {out}.")
    return 0
