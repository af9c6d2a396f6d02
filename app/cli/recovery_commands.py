"""``khaosat recovery request|answer|unlock|log``: a forgotten passphrase, recovered through the office above.

The laptop writes a request (no passphrase needed); the office, after a person has checked who is
asking, writes an unlock file and says a one-time code face to face; the laptop opens its data with both
and sets a new passphrase. See app/sync/recovery.py.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from app.cli.common import CliError, command, open_store, say


def add_parsers(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("recovery", help="quên mật khẩu: khôi phục qua cơ quan cấp trên")
    rs = s.add_subparsers(dest="action", metavar="VIỆC", required=True, parser_class=type(s))
    r = rs.add_parser("request", help="(máy quên mật khẩu) ghi yêu cầu khôi phục ra USB để mang đến cơ quan")
    r.add_argument("--to", required=True, metavar="THƯ_MỤC", help="thư mục đích, ví dụ ổ USB")
    r.add_argument(
        "--office", metavar="MÃ_MÁY", help="mã máy của cơ quan (khi máy gửi gói cho nhiều cơ quan)"
    )
    r = rs.add_parser("answer", help="(cơ quan) trả lời một yêu cầu: ghi tệp mở khóa và cho mã một lần")
    r.add_argument("file", metavar="TỆP_YÊU_CẦU")
    r.add_argument("--to", required=True, metavar="THƯ_MỤC", help="thư mục đích của tệp mở khóa, ví dụ ổ USB")
    r.add_argument("--checked-by", required=True, metavar="HỌ_TÊN", help="người đã kiểm tra giấy tờ")
    r.add_argument("--note", default="", metavar="GHI_CHÚ", help="giấy tờ đã xem, lý do (ghi vào nhật ký)")
    r.add_argument(
        "--confirmed",
        action="store_true",
        help="đã đối chiếu người yêu cầu với máy đã đăng ký (không hỏi lại)",
    )
    r = rs.add_parser(
        "unlock", help="(máy quên mật khẩu) mở dữ liệu bằng tệp mở khóa và mã, đặt mật khẩu mới"
    )
    r.add_argument("file", metavar="TỆP_MỞ_KHÓA")
    r.add_argument("--code", metavar="MÃ", help="mã một lần cơ quan đưa (mặc định: hỏi)")
    rs.add_parser("log", help="(cơ quan) nhật ký các lần khôi phục đã làm hoặc đã nhận từ cấp dưới")


@command("recovery")
def _recovery(args: argparse.Namespace) -> int:
    from app.cli.unlock import folder_of, new_passphrase
    from app.security.datakey import LockError
    from app.sync import recovery
    from app.sync import registry as R
    from app.sync.errors import SyncError

    folder = folder_of(args)
    try:
        if args.action == "request":
            req = recovery.make_request(folder, Path(args.to), args.office)
            say(f"Đã ghi yêu cầu khôi phục: {req.path}")
            say(f"Hãy mang USB và giấy tờ tùy thân đến {req.office}. Cơ quan sẽ đưa tệp mở khóa và một mã.")
            return 0
        if args.action == "unlock":
            code = args.code
            if code is None:
                if not sys.stdin.isatty():
                    raise CliError("Cần mã mở khóa: --code MÃ.")
                code = getpass.getpass("Mã mở khóa cơ quan đã đưa: ")
            passphrase = new_passphrase()
            recovery.apply_unlock(folder, Path(args.file), code, passphrase)
            say("Đã mở lại dữ liệu và đặt mật khẩu mới. Từ nay mở KhaoSat bằng mật khẩu mới.")
            return 0
        with open_store(args) as store:
            if args.action == "log":
                entries = recovery.log_entries(store)
                if not entries:
                    say("Chưa có lần khôi phục nào.")
                for e in entries:
                    where = (
                        "tại cơ quan này"
                        if e["received_from"] is None
                        else f"nhận từ cấp dưới ({e['office_name']})"
                    )
                    say(
                        f"{e['issued_at']}  máy {e['laptop_id']} ({e['laptop_name']}, {e['laptop_unit']}), "
                        f"kiểm tra: {e['checked_by']}{'; ' + e['note'] if e['note'] else ''} [{where}]"
                    )
                return 0
            ident = R.load_keys(store)
            info = recovery.read_request(store, ident, Path(args.file))
            m = info.machine
            say(f"Yêu cầu khôi phục của máy {info.laptop_id}, tạo lúc {info.created_text}:")
            say(f"  Người dùng đã đăng ký: {m.name or '?'} | {m.unit_label} | {m.role_label}")
            say(f"  Dấu vân tay khóa của máy: {m.fingerprint}")
            if not args.confirmed:
                if not sys.stdin.isatty():
                    raise CliError(
                        "Hãy đối chiếu người yêu cầu (giấy tờ tùy thân) với người dùng đã đăng ký ở trên, rồi chạy "
                        "lại với --confirmed."
                    )
                answer = input("Đã kiểm tra giấy tờ và đúng là người dùng máy này? (c/k): ").strip().lower()
                if answer not in ("c", "co", "có", "y", "yes"):
                    raise CliError("Chưa trả lời yêu cầu.")
            done = recovery.answer_request(
                store, ident, info, Path(args.to), checked_by=args.checked_by, note=args.note
            )
            say(f"Đã ghi tệp mở khóa: {done.path}")
            say(f"MÃ MỞ KHÓA (đọc trực tiếp cho người yêu cầu, KHÔNG ghi vào USB): {done.code}")
            say("Lần khôi phục này đã được ghi vào nhật ký và sẽ gửi lên cơ quan cấp trên cùng gói dữ liệu.")
            return 0
    except SyncError as exc:
        raise CliError(exc.message) from exc
    except LockError as exc:
        raise CliError(exc.message) from exc
