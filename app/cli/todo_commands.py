"""``khaosat todo``: the work list (Việc cần làm), as the window's tab shows it (app/services/worklist.py)."""

from __future__ import annotations

import argparse
from datetime import date

from app.cli.common import CliError, command, open_store, say


def _date_arg(text: str) -> date:
    from app.domain.vnformat import parse_date

    day = parse_date(text)
    if day is None:
        raise argparse.ArgumentTypeError(f"«{text}» không phải ngày (dạng ngày/tháng/năm, ví dụ 27/02/2025)")
    return day


def add_parsers(sub: argparse._SubParsersAction) -> None:
    from app.services.worklist import SECTIONS

    s = sub.add_parser(
        "todo",
        help="việc cần làm: hẹn khảo sát, lâu chưa khảo sát, vận động chậm, đủ điều kiện thành lập, "
        "đảng viên dự bị đến hạn",
        epilog="Các phần: " + "; ".join(f"{code} ({title})" for code, title in SECTIONS.items()) + ".",
    )
    s.add_argument(
        "--section", choices=list(SECTIONS), metavar="PHẦN", help="chỉ một phần (xem cuối trợ giúp)"
    )
    s.add_argument("--limit", type=int, metavar="N", help="số dòng mỗi phần (mặc định 10; một phần: 50)")
    s.add_argument("--all", action="store_true", help="mọi dòng")
    s.add_argument("--ward", metavar="MÃ", help="chỉ doanh nghiệp của phường/xã này")
    s.add_argument(
        "--not-visited-months",
        type=int,
        metavar="N",
        help="lâu chưa khảo sát: từ N tháng (mặc định theo thiết lập, 6)",
    )
    s.add_argument(
        "--stalled-months",
        type=int,
        metavar="N",
        help="vận động chậm: từ N tháng (mặc định theo thiết lập, 6)",
    )
    s.add_argument(
        "--print-week",
        metavar="TỆP",
        help="in phiếu khảo sát của tuần (hẹn trong tuần và quá hẹn) ra tệp PDF",
    )
    s.add_argument(
        "--marks", action="store_true", help="in kèm trang đánh dấu cho máy đọc (với --print-week)"
    )
    s.add_argument("--today", type=_date_arg, metavar="NGÀY", help=argparse.SUPPRESS)


@command("todo")
def _todo(args: argparse.Namespace) -> int:
    from app.domain import units
    from app.domain.vnformat import format_int
    from app.services import worklist as wl

    if args.ward and units.ward(args.ward) is None:
        raise CliError(f"Mã phường, xã «{args.ward}» không có trong danh mục. Tìm mã bằng: khaosat units TÊN")
    for name in ("not_visited_months", "stalled_months", "limit"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise CliError(f"--{name.replace('_', '-')} phải từ 1 trở lên.")
    if args.print_week and not args.print_week.lower().endswith(".pdf"):
        raise CliError(f"Tên tệp «{args.print_week}» cần đuôi .pdf.")
    with open_store(args) as store:
        try:
            q = wl.query_for(store, args.today, args.ward)
        except wl.WorkSettingError as exc:
            raise CliError(str(exc)) from None
        if args.not_visited_months:
            q = q.replace(not_visited_months=args.not_visited_months)
        if args.stalled_months:
            q = q.replace(stalled_months=args.stalled_months)
        if args.print_week:
            return _print_week(store, q, args)
        sections = [args.section] if args.section else list(wl.SECTIONS)
        limit = 1_000_000 if args.all else (args.limit or (50 if args.section else 10))
        for i, section in enumerate(sections):
            n = wl.count(store, q, section)
            if i:
                say()
            say(f"== {wl.SECTIONS[section]}: {format_int(n)} ==")
            for item in wl.page(store, q, section, 0, limit):
                place = f", {item.address}" if item.address else ""
                say(f"- MST {item.tax_code} · {item.name}{place}")
                say(f"  {item.what}")
            if n > limit:
                say(f"  … và {format_int(n - limit)} dòng nữa (--section {section} --all để xem hết)")
    return 0


def _print_week(store, q, args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.printing.visit_form import render_visit_forms, unit_title_for
    from app.services.form_batches import load_forms
    from app.services.worklist import week_batch

    ids = week_batch(store, q)
    if not ids:
        raise CliError("Tuần này không có doanh nghiệp nào hẹn khảo sát hoặc quá hẹn; không ghi tệp.")
    forms = load_forms(store, ids)
    unit = q.ward_code or store.profile().unit_code
    out = Path(args.print_week).expanduser()
    from app.fileio import OutputError
    from app.printing.fonts import FontError

    try:
        render_visit_forms(
            out,
            forms,
            unit_title=unit_title_for(unit),
            printed_on=q.today,
            marks=args.marks,
            practice=store.is_practice,
        )
    except (OutputError, FontError) as exc:  # Vietnamese messages
        raise CliError(str(exc)) from None
    say(f"Đã in {len(forms)} phiếu khảo sát của tuần (theo phường, địa chỉ) vào {out}.")
    return 0
