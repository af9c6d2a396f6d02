"""``khaosat import-list FILE``: import an enterprise master list (.xlsx, .xls, .csv)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from app.cli.common import CliError, command, open_store, say


def _epilog() -> str:
    from app.importing.mapping import fields as importable

    fields = "\n".join(f"  {code:<18} {label}" for code, (label, _aliases) in importable().items())
    return (
        "Các trường dùng trong --mapping (mã hoặc tên tiếng Việt):\n" + fields + "\n\n"
        "Mã thoát: 0 mọi dòng đã vào (hoặc đã có sẵn); 3 còn dòng chưa nhập (xem tệp lỗi); "
        "1 không nhập được tệp."
    )


def add_parsers(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser(
        "import-list",
        help="nhập danh sách doanh nghiệp từ tệp Excel (.xlsx, .xls) hoặc CSV",
        description="Nhập danh sách doanh nghiệp. Tự tìm dòng tiêu đề, tự ghép cột theo tiêu đề, chuyển "
        "chữ TCVN3/VNI sang Unicode, kiểm tra từng dòng; các dòng chưa nhập được ghi ra tệp lỗi để sửa "
        "rồi nhập lại.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("file", metavar="TỆP", help="tệp danh sách: .xlsx, .xls hoặc .csv")
    s.add_argument(
        "--sheet", metavar="TRANG", help="tên hoặc số thứ tự trang tính (mặc định: trang đầu có dòng tiêu đề)"
    )
    s.add_argument(
        "--mapping",
        metavar="GHÉP_CỘT",
        help='sửa cách ghép cột, ví dụ "B=tax_code,Tên DN=name,G=-" (- là bỏ qua cột), hoặc '
        'đường dẫn tệp JSON {"cột": "trường"}',
    )
    s.add_argument(
        "--on-duplicate",
        choices=["update", "skip", "ask"],
        default="ask",
        help="khi mã số thuế đã có và tệp khác dữ liệu: update (cập nhật), skip (bỏ qua), "
        "ask (không đụng tới, liệt kê để quyết định; mặc định)",
    )
    s.add_argument(
        "--accept-similar",
        action="store_true",
        help="vẫn thêm mới các dòng giống tên và địa chỉ một doanh nghiệp đã có",
    )
    s.add_argument("--ward", metavar="MÃ", help="phường, xã cho các dòng không xác định được từ tệp")
    s.add_argument("--province", metavar="MÃ", help="tìm phường, xã trong tỉnh này (mặc định: tỉnh của máy)")
    s.add_argument(
        "--errors",
        metavar="TỆP_LỖI",
        help="tệp .xlsx ghi các dòng chưa nhập (mặc định: bên cạnh tệp nhập, tên ...-dong-chua-nhap.xlsx)",
    )
    s.add_argument("--dry-run", action="store_true", help="chỉ xem trước, không ghi gì vào dữ liệu")
    s.add_argument(
        "--limit-lines", type=int, default=30, metavar="N", help="số dòng lỗi in ra màn hình (mặc định 30)"
    )


def _corrections(spec: str | None) -> str | None:
    if not spec:
        return None
    path = Path(spec).expanduser()
    if spec.lower().endswith(".json") or (path.is_file() and path.suffix.lower() == ".json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise CliError(f"Không tìm thấy tệp ghép cột {path}.") from None
        except json.JSONDecodeError as exc:  # (said in Vietnamese: never the parser's English)
            raise CliError(
                f"Tệp ghép cột {path} không đúng dạng JSON (hỏng ở dòng {exc.lineno}, cột {exc.colno})."
            ) from None
        except UnicodeDecodeError:
            raise CliError(f"Tệp ghép cột {path} không phải văn bản UTF-8.") from None
        except RecursionError:
            raise CliError(f"Tệp ghép cột {path} lồng nhau quá sâu: không phải tệp ghép cột.") from None
        if not isinstance(data, dict):
            raise CliError('Tệp ghép cột phải là một đối tượng JSON {"cột": "trường"}.')
        return ",".join(f"{k}={v or '-'}" for k, v in data.items())
    return spec


@command("import-list")
def _import_list(args: argparse.Namespace) -> int:
    from app.domain.vnformat import format_int
    from app.importing import errorfile
    from app.importing import mapping as mp
    from app.importing import plan as pl
    from app.importing.errors import ImportFailed
    from app.importing.legacy import Legacy

    source = Path(args.file).expanduser()
    try:
        with open_store(args) as store:
            prepared = mp.prepare(source, store, args.sheet, _corrections(args.mapping))
            table = prepared.table
            sheet = table.sheet
            where = f"trang «{sheet.name}», " if prepared.kind != "csv" else ""
            enc = f", mã {sheet.encoding}" if sheet.encoding else ""
            say(f"Tệp: {source.name} ({prepared.kind}{enc}); {where}dòng tiêu đề: {table.header_row_number}")
            for legacy in (Legacy.TCVN3, Legacy.TCVN3_CAPS, Legacy.VNI):
                if sheet.conversions[legacy]:
                    say(
                        f"Đã chuyển {format_int(sheet.conversions[legacy])} ô từ mã {legacy.label} sang Unicode."
                    )
            how = {
                "remembered": "theo cách đã dùng lần trước cho tệp cùng dạng",
                "guessed": "tự nhận theo tiêu đề",
            }
            say(f"Ghép cột ({how[prepared.source]}{', có sửa' if prepared.corrected else ''}):")
            for line in mp.describe(prepared.mapping, table.headers):
                say(f"  {line}")
            options = pl.Options(
                on_duplicate=args.on_duplicate,
                accept_similar=args.accept_similar,
                province_code=args.province,
                default_ward=args.ward,
            )
            if args.dry_run:
                plan = pl.preview(store, table, prepared.mapping, options)
                result = None
            else:  # each row checked once, as it is written (no preview held before)
                result = pl.execute(store, pl.Preview.unchecked(table, prepared.mapping, options))
                plan = result.preview
    except ImportFailed as exc:
        from app.cli.hints import with_hint

        raise CliError(with_hint(exc)) from None

    for line in pl.summary_lines(plan):
        say(line)
    if plan.unplaced_count:
        numbers = ", ".join(str(n) for n in plan.unplaced_numbers[:20])
        more = " ..." if plan.unplaced_count > 20 else ""
        say(f"Không xác định được phường, xã: {format_int(plan.unplaced_count)} dòng (dòng {numbers}{more}).")
    rejected = plan.rejected_count()
    for r in plan.rejected()[: max(0, args.limit_lines)] if rejected else ():
        say(f"  Dòng {r.number}: {r.reason}")
    if rejected > args.limit_lines:
        say(f"  ... và {format_int(rejected - args.limit_lines)} dòng khác (xem tệp lỗi).")
    warned = [r for r in plan.rows if r.warnings and not r.outcome.rejected]
    for r in warned[:10]:
        say(f"  Lưu ý dòng {r.number}: {' '.join(r.warnings)}")
    if rejected and (args.errors or not args.dry_run):
        dest = Path(args.errors).expanduser() if args.errors else errorfile.default_path(source)
        try:
            errorfile.write(dest, plan)
        except ImportFailed as exc:
            kept = (
                " Chạy thử: chưa ghi gì vào dữ liệu."
                if result is None
                else f" Các doanh nghiệp đã nhập vẫn được giữ (thêm mới {format_int(result.created)}, "
                f"cập nhật {format_int(result.updated)})."
            )
            raise CliError(str(exc) + kept) from None
        say(f"Đã ghi {format_int(rejected)} dòng chưa nhập (kèm lý do) vào {dest}: sửa rồi nhập lại tệp đó.")
    if result is None:
        say("Chạy thử: chưa ghi gì vào dữ liệu.")
    else:
        say(
            f"Đã nhập: thêm mới {format_int(result.created)}, cập nhật {format_int(result.updated)} doanh nghiệp."
        )
    return 3 if rejected else 0
