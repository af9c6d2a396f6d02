"""``khaosat scan FILE...``: read filled-in paper forms from photos, scans, PDFs or folders."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from app.cli.common import CliError, command, open_store, say


def add_parsers(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser(
        "scan",
        help="đọc phiếu khảo sát đã điền từ ảnh chụp, ảnh quét, tệp PDF hoặc thư mục",
        description="Đọc các trang đánh dấu của phiếu khảo sát (trang 2, và trang 3 nếu phiếu có). "
        "Mục nào máy không chắc chắn "
        "được ghi CẦN XEM và không bao giờ được lưu khi chưa có người xác nhận.",
    )
    s.add_argument("files", nargs="+", metavar="TỆP", help="ảnh (JPEG, PNG, TIFF), PDF hoặc thư mục")
    s.add_argument(
        "--save",
        action="store_true",
        help="lưu lượt khảo sát của những trang đọc chắc chắn mọi ô đánh dấu (các mục viết tay để trống, "
        "gõ thêm sau)",
    )
    s.add_argument(
        "--enterprise", metavar="MST", help="doanh nghiệp của các phiếu trống (không có tên trên mã QR)"
    )
    s.add_argument("--today", metavar="NGÀY", help=argparse.SUPPRESS)


def show(value: Any, kind: str, choices: tuple[tuple[str, str], ...] = ()) -> str:
    """A value as a person reads it (Vietnamese conventions)."""
    from app.domain.vnformat import format_date, format_int

    if value is None:
        return "(để trống)"
    if kind == "date":
        return format_date(value)
    if kind == "count":
        return format_int(value)
    if kind == "yesno":
        return "Có" if value else "Chưa"
    if kind == "choice":
        return dict(choices).get(value, str(value))
    return str(value)


@command("scan")
def _scan_cmd(args: argparse.Namespace) -> int:
    from app.domain.validation import ValidationError
    from app.domain.vnformat import format_date, parse_date
    from app.scan import marks
    from app.scan.images import ScanInputError
    from app.scan.reader import READ, SKIPPED, read_files
    from app.services.enterprise_lookup import SelectionError, resolve_enterprise
    from app.services.scanning import ScanRefused, prepare, save_scanned

    today = parse_date(args.today) if args.today else date.today()
    failed = saved = read = 0
    with open_store(args) as store:
        expected = None
        if args.enterprise:
            try:
                expected = resolve_enterprise(store, args.enterprise).id
            except SelectionError as exc:
                raise CliError(str(exc)) from None
        try:
            pages = list(read_files(args.files))
        except ScanInputError as exc:
            raise CliError(str(exc)) from None
        for page in pages:
            if page.status == SKIPPED:
                say(f"{page.where}: bỏ qua. {page.reason}")
                continue
            if page.status != READ:
                say(f"{page.where}: KHÔNG ĐỌC ĐƯỢC. {page.reason}")
                failed += 1
                continue
            try:
                form = prepare(store, page, expected_enterprise=expected)
            except ScanRefused as exc:
                say(f"{page.where}: KHÔNG NHẬN. {exc}")
                failed += 1
                continue
            read += 1
            e = form.enterprise
            who = (
                f"{e.name} (MST {e.tax_code})"
                if e
                else "phiếu trống, chưa rõ doanh nghiệp (dùng --enterprise MST)"
            )
            seconds = f"{page.seconds:.1f}".replace(".", ",")
            say(f"{page.where}: {who}; đọc trong {seconds} giây")
            for f in sorted(page.fields, key=lambda f: f.field.number):
                pf = f.field
                head = f"  {pf.number:>2}. {pf.label}"
                if f.status == marks.UNCERTAIN:
                    hint = (
                        f" (gợi ý: {show(f.suggestion, pf.kind, pf.choices)})"
                        if f.suggestion is not None
                        else ""
                    )
                    say(f"{head}: CẦN XEM. {f.reason}{hint}")
                elif f.status == marks.TEXT:
                    say(f"{head}: viết tay, gõ lại trong chương trình")
                else:
                    say(f"{head}: {show(f.value, pf.kind, pf.choices)}")
            if form.same_day:
                say(
                    f"  Đã có lượt khảo sát ngày {format_date(form.values['visit_date'])} của doanh nghiệp này."
                )
            if not args.save:
                continue
            if form.uncertain:
                say(
                    f"  Chưa lưu: {len(form.uncertain)} mục cần người xem. Dùng «Đọc phiếu đã điền» trong "
                    "chương trình để xác nhận từng mục bên cạnh ảnh của nó."
                )
                failed += 1
                continue
            if form.same_day:
                say("  Chưa lưu, để khỏi nhập trùng: mở chương trình để xem và lưu nếu đúng là lượt khác.")
                failed += 1
                continue
            try:
                visit = save_scanned(store, form, {}, enterprise_id=expected, today=today).record
            except ValidationError as exc:
                say("  Chưa lưu: " + " ".join(p.message for p in exc.problems))
                failed += 1
                continue
            except ValueError as exc:  # Undecided: a blank form without --enterprise
                say(f"  Chưa lưu: {exc}")
                failed += 1
                continue
            saved += 1
            say(f"  Đã lưu lượt khảo sát ngày {format_date(visit.visit_date)}.")
    summary = f"Đọc được {read} phiếu"
    if args.save:
        summary += f", đã lưu {saved}"
    if failed:
        summary += f", {failed} trang cần xử lý (xem ở trên)"
    say(summary + ".")
    return 1 if failed else 0
