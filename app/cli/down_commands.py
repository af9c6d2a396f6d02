"""``khaosat assign``, ``khaosat office-settings``, ``khaosat assignments``: what an office gives the
machines below it (sent down with ``khaosat export --down``)."""

from __future__ import annotations

import argparse

from app.cli.common import CliError, command, open_store, say


def add_parsers(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser(
        "assign",
        help="phân công doanh nghiệp cho cộng tác viên (cơ quan): theo mã, hoặc theo phường và địa chỉ",
    )
    s.add_argument("ids", nargs="*", metavar="MÃ_DN", help="mã (id) hoặc mã số thuế của doanh nghiệp")
    who = s.add_mutually_exclusive_group(required=True)
    who.add_argument(
        "--to", metavar="MÁY", help="máy cộng tác viên: mã máy, dấu vân tay (đầu chuỗi là đủ) hoặc tên"
    )
    who.add_argument("--nobody", action="store_true", help="bỏ phân công")
    s.add_argument(
        "--ward",
        metavar="MÃ_PHƯỜNG",
        help="mọi doanh nghiệp của phường này (với --address: chỉ những nơi khớp)",
    )
    s.add_argument("--address", metavar="CHỮ", help="địa chỉ có những chữ này, ví dụ «tổ 5» hoặc «Hàng Bạc»")

    s = sub.add_parser("assignments", help="tiến độ theo cộng tác viên: doanh nghiệp được giao, đã khảo sát")
    s.add_argument("--year", type=int, metavar="NĂM", help="năm (mặc định: năm nay)")

    s = sub.add_parser(
        "office-settings",
        help="thiết lập cơ quan đặt cho các máy ở dưới (ngưỡng thành lập, kiểu báo cáo, làm tròn, nhóm lao động)",
    )
    s.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="TRƯỜNG=GIÁ_TRỊ",
        help="đặt một thiết lập, ví dụ min_union=7 hoặc rounding=truncate; để trống (min_union=) là bỏ",
    )


def _enterprise_ids(store, given: list[str]) -> list[str]:
    from app.services.enterprise_lookup import SelectionError, resolve_enterprise

    out = []
    for text in given:
        try:
            out.append(resolve_enterprise(store, text).id)
        except SelectionError as exc:
            raise CliError(str(exc)) from None
    return out


@command("assign")
def _assign(args: argparse.Namespace) -> int:
    from app.domain import units
    from app.services import assignments as A

    if not args.ids and not args.ward and not args.address:
        raise CliError("Hãy cho biết doanh nghiệp nào: mã doanh nghiệp, hoặc --ward và/hoặc --address.")
    if args.ward and units.ward(args.ward) is None:
        raise CliError(f"Không có phường, xã mã «{args.ward}».")
    with open_store(args) as store:
        who = None if args.nobody else A.find_collaborator(store, args.to)
        ids = _enterprise_ids(store, args.ids)
        if args.ward or args.address:
            ids += A.enterprises_by_address(store, args.ward, args.address or "")
        if not ids:
            raise CliError("Không có doanh nghiệp nào khớp: không phân công gì.")
        done = A.assign(store, ids, who, author=store.profile().collaborator)
    target = f"cho {who.label}" if who else "(bỏ phân công)"
    say(f"Đã phân công {done.changed} doanh nghiệp {target}; {done.unchanged} đã như vậy từ trước.")
    if done.refused:
        names = "; ".join(done.refused[:10]) + (" …" if len(done.refused) > 10 else "")
        say(f"Không phân công {len(done.refused)} doanh nghiệp ngoài phường của cộng tác viên: {names}.")
    say("Phân công đến máy cộng tác viên trong gói đi xuống tiếp theo (khaosat export --down).")
    return 0


@command("assignments")
def _assignments(args: argparse.Namespace) -> int:
    from datetime import date

    from app.domain.vnformat import format_date
    from app.services import assignments as A

    year = args.year or date.today().year
    with open_store(args) as store:
        rows = A.progress_by_collaborator(store, year)
    say(
        f"Tiến độ năm {year} theo cộng tác viên: đã khảo sát / được giao, lượt khảo sát, lần gần nhất, tổ chức mới"
    )
    for r in rows:
        last = format_date(r.last_visit) if r.last_visit else "chưa có"
        say(
            f"{r.name}: {r.share} doanh nghiệp, {r.visits} lượt, gần nhất {last}, {r.founded} tổ chức thành lập"
        )
    if not rows:
        say("Chưa có doanh nghiệp nào.")
    return 0


def _parse_value(name: str, text: str):
    from app.domain.records import OfficeSettings
    from app.domain.vnformat import parse_int

    if text.strip() == "":
        return None
    info = OfficeSettings.INFO[name]
    if info.choices:
        return text.strip()
    try:
        return parse_int(text)
    except ValueError:
        raise CliError(f"{info.label}: «{text}» không phải số nguyên.") from None


@command("office-settings")
def _office_settings(args: argparse.Namespace) -> int:
    from app.domain.records import OfficeSettings
    from app.services import office_settings as S

    changes = {}
    for item in args.set:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in S.FIELDS:
            raise CliError(f"«{item}»: cần TRƯỜNG=GIÁ_TRỊ, TRƯỜNG là một trong {', '.join(S.FIELDS)}.")
        changes[name] = _parse_value(name, value)
    with open_store(args) as store:
        if changes:
            S.set_own(store, changes, author=store.profile().collaborator)
            say("Đã lưu. Thiết lập đến các máy ở dưới trong gói đi xuống tiếp theo (khaosat export --down).")
        rows = S.effective(store)
    for e in rows:
        where = f" ({e.where})" if e.where else ""
        say(f"{e.field}: {OfficeSettings.LABELS[e.field]}: {e.shown}{where}")
    return 0
