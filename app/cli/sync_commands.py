"""``khaosat keys ...``, ``khaosat export``, ``khaosat import``, ``khaosat conflicts``: signed bundles."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from app.cli.common import CliError, command, open_store, say
from app.domain.records import RECORD_TYPES
from app.sync.errors import shown

IMPORT_QUARANTINED = 3  # exit code: some bundle set aside, none refused


def add_parsers(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("keys", help="khóa của máy, đăng ký máy khác, thu hồi")
    ks = s.add_subparsers(dest="action", metavar="VIỆC", required=True, parser_class=type(s))
    ks.add_parser("init", help="tạo khóa cho máy này (nếu chưa có)")
    ks.add_parser("show", help="xem khóa, dấu vân tay của máy này và các máy đã đăng ký")
    k = ks.add_parser("export", help="ghi tệp khóa công khai của máy này (ra USB)")
    k.add_argument("--to", required=True, metavar="THƯ_MỤC", help="thư mục đích, ví dụ ổ USB")
    k = ks.add_parser("register", help="đăng ký một máy từ tệp khóa công khai của máy đó")
    k.add_argument("file", metavar="TỆP")
    k.add_argument("--unit", metavar="MÃ", help="đơn vị của máy (mặc định: đơn vị ghi trong tệp)")
    k.add_argument("--role", metavar="VAI_TRÒ", help="vai trò của máy (mặc định: ghi trong tệp)")
    k.add_argument("--office", action="store_true", help="đây là cơ quan cấp trên (nơi nhận gói của máy này)")
    k.add_argument("--fingerprint", metavar="SỐ", help="dấu vân tay đọc trên giấy, để đối chiếu")
    k = ks.add_parser(
        "replace-lost",
        help="thay khóa bị mất: máy đã đăng ký mang khóa mới mà khóa cũ không xác nhận được (cài lại máy, hỏng ổ)",
    )
    k.add_argument("file", metavar="TỆP", help="tệp khóa công khai mới của máy")
    k.add_argument(
        "--fingerprint", required=True, metavar="SỐ", help="dấu vân tay mới, đọc từ người dùng máy"
    )
    k.add_argument(
        "--reason", required=True, metavar="LÝ_DO", help="vì sao thay khóa: máy bị làm sao, ai báo"
    )
    k.add_argument("--by", metavar="HỌ_TÊN", help="người quyết định (mặc định: người dùng máy này)")
    k = ks.add_parser("revoke", help="thu hồi một máy (mất, bị lấy cắp): giữ những gì đã gửi trước đó")
    k.add_argument("machine", metavar="MÁY", help="mã máy, mã khóa hoặc dấu vân tay (đầu chuỗi là đủ)")
    k.add_argument(
        "--after-seq", type=int, metavar="N", help="giữ các gói đến số N (mặc định: gói cuối đã nhận)"
    )
    ks.add_parser("rekey", help="tạo khóa mới cho máy này (khóa cũ xác nhận khóa mới; lịch sử giữ nguyên)")

    s = sub.add_parser("export", help="xuất gói dữ liệu đã ký và mã hóa cho cơ quan cấp trên")
    s.add_argument("--to", required=True, metavar="THƯ_MỤC", help="thư mục đích, ví dụ ổ USB")
    s.add_argument("--office", metavar="MÃ", help="chỉ xuất cho cơ quan này (mặc định: mọi cơ quan nhận)")
    s.add_argument("--dry-run", action="store_true", help="chỉ cho biết sẽ gửi gì, không ghi tệp")
    s.add_argument(
        "--down",
        action="store_true",
        help="gói đi xuống: cơ quan gửi cho từng máy đã đăng ký ở cơ quan (cộng tác viên, cơ quan cấp dưới)",
    )
    s.add_argument(
        "--for",
        dest="machine",
        metavar="MÁY",
        help="với --down: chỉ gửi cho máy này (mã máy, mã khóa hoặc dấu vân tay, đầu chuỗi là đủ)",
    )

    s = sub.add_parser(
        "import",
        help="nhập gói dữ liệu hoặc biên nhận (tệp hoặc cả thư mục)",
        epilog=f"Mã thoát: 0 đã nhập hết (hoặc bỏ qua tệp không dành cho máy này); 1 có tệp bị từ chối; "
        f"{IMPORT_QUARANTINED} có gói bị cách ly (không tệp nào bị từ chối).",
    )
    s.add_argument("paths", nargs="+", metavar="ĐƯỜNG_DẪN")
    s.add_argument("--no-receipt", action="store_true", help="không ghi biên nhận ra cạnh gói")

    s = sub.add_parser("provenance", help="ai nhập, ai chuyển tiếp từng thay đổi của một bản ghi")
    s.add_argument("record_id", metavar="ID")
    s.add_argument(
        "--entity",
        default="enterprises",
        choices=list(RECORD_TYPES),
    )

    s = sub.add_parser("duplicates", help="doanh nghiệp nghi trùng (cùng mã số thuế, hai mã ID) và gộp chúng")
    s.add_argument(
        "--merge", nargs=2, metavar=("ID_GIỮ", "ID_BỎ"), help="giữ ID_GIỮ, gộp ID_BỎ vào rồi xóa ID_BỎ"
    )

    s = sub.add_parser(
        "quarantine", help="gói bị cách ly (trùng số thứ tự: máy bị sao chép, khôi phục bản sao lưu)"
    )
    s.add_argument("--release", type=int, metavar="SỐ", help="đã kiểm tra: gộp gói cách ly số này")
    s.add_argument(
        "--receipt-to",
        metavar="THƯ_MỤC",
        help="ghi ngay biên nhận cho máy gửi vào thư mục này (mặc định: kèm biên nhận của gói sau của máy đó)",
    )

    s = sub.add_parser(
        "to-check",
        help="dữ liệu cần kiểm tra: giá trị nhận trong gói mà quy tắc còn nghi (số liệu không khớp...)",
    )
    s.add_argument(
        "--done", type=int, nargs="+", metavar="SỐ", help="đã kiểm tra, giữ nguyên các giá trị này"
    )
    s.add_argument("--all", action="store_true", help="kể cả những giá trị đã được kiểm tra")

    s = sub.add_parser("conflicts", help="xem và giải quyết xung đột dữ liệu")
    s.add_argument("--resolve", type=int, metavar="SỐ", help="số của xung đột cần giải quyết")
    s.add_argument("--value", metavar="JSON", help='giá trị chọn, dạng JSON: 25, "Tên mới", null')


def _legacy_passphrase() -> str | None:
    """The separate passphrase of an earlier version's key file (asked once; then sealed under the data key)."""
    from app.sync.keys import PASSPHRASE_ENV

    value = os.environ.get(PASSPHRASE_ENV)
    if value is not None:
        return value or None
    if not sys.stdin.isatty():
        return None
    return getpass.getpass("Mật khẩu khóa cũ (của phiên bản trước): ") or None


def _sync_errors(fn):
    def wrapped(args):
        from app.sync.errors import SyncError

        try:
            return fn(args)
        except SyncError as exc:
            from app.cli.hints import with_hint

            raise CliError(with_hint(exc, exc.message)) from exc

    return wrapped


def _identity(store):
    from app.sync import keys as K
    from app.sync import registry as R

    folder = R.data_dir_of(store)
    if K.key_path(folder).exists():
        return R.load_keys(store, _legacy_passphrase() if K.is_protected(folder) else None)
    raise CliError("Máy này chưa có khóa. Hãy tạo khóa: khaosat keys init")


@command("keys")
@_sync_errors
def _keys(args: argparse.Namespace) -> int:
    from app.sync import keys as K
    from app.sync import registry as R

    with open_store(args) as store:
        folder = R.data_dir_of(store)
        if args.action == "init":
            if K.key_path(folder).exists():
                ident = _identity(store)
                say(f"Máy này đã có khóa. Dấu vân tay: {ident.current.fingerprint}")
                return 0
            ident = R.setup_keys(store)
            say(f"Đã tạo khóa cho máy {ident.laptop_id}. Dấu vân tay: {ident.current.fingerprint}")
            return 0
        if args.action == "show":
            prof = store.profile()
            if K.key_path(folder).exists():
                ident = _identity(store)
                from app.domain import units

                say(
                    f"Máy này: {ident.laptop_id} ({prof.collaborator or '?'}, "
                    f"{units.unit_name(prof.unit_code) or prof.unit_code or '?'})"
                )
                say(f"Mã khóa: {ident.current.keyid}")
                say(f"Dấu vân tay: {ident.current.fingerprint}")
                say("Khóa được bảo vệ bằng mật khẩu của dữ liệu.")
            else:
                say("Máy này chưa có khóa (khaosat keys init).")
            peers = R.peers(store)
            replaced = R.key_events(store, replaced_only=True)
            if replaced:
                say(f"CẢNH BÁO: {len(replaced)} lần thay khóa không qua xác nhận của khóa cũ:")
                for ev in replaced:
                    say(f"  ! {ev.describe()}")
            if peers:
                say(f"Máy đã đăng ký ({len(peers)}):")
            labels = {"active": "đang dùng", "superseded": "khóa cũ", "revoked": "ĐÃ THU HỒI"}
            for p in peers:
                extra = f" sau gói {p.revoked_after_seq}" if p.status == "revoked" else ""
                kind = "cơ quan nhận" if p.is_destination else p.role_label
                via = f", giới thiệu bởi {p.registered_via}" if p.registered_via else ""
                say(
                    f"  - {p.display} | {p.unit_label} | {kind} | máy {shown(p.laptop_id)} | {p.fingerprint} | "
                    f"{labels.get(p.status, p.status)}{extra}{via}"
                )
            return 0
        if args.action == "export":
            ident = _identity(store)
            path = R.export_pubkey(store, ident, Path(args.to))
            say(f"Đã ghi tệp khóa công khai: {path}")
            say(f"Dấu vân tay (đọc cho cơ quan đối chiếu): {ident.current.fingerprint}")
            return 0
        if args.action == "register":
            from app.sync import container as C

            doc = K.read_pubkey_file(C.read_capped(Path(args.file)))
            say(
                f"Máy: {shown(doc.name or '?')}, mã máy {shown(doc.laptop_id)}, đơn vị {shown(doc.unit_code)}, "
                f"vai trò {shown(doc.role)}"
            )
            say(f"Dấu vân tay: {doc.fingerprint}")
            where = R.standing(store, doc)
            if where.kind == "unendorsed":
                raise R.not_endorsed(doc, where.current)
            if where.kind == "endorsed":
                old = where.current.fingerprint if where.current else "?"
                say(f"Đây là khóa mới của máy đã đăng ký, được khóa cũ {old} xác nhận.")
            if args.fingerprint is not None:
                if K.normalise_fingerprint(args.fingerprint) != doc.fingerprint:
                    raise CliError(
                        "Dấu vân tay không khớp với tệp: KHÔNG đăng ký. Tệp có thể không phải của máy đó."
                    )
            elif sys.stdin.isatty():
                answer = input("Dấu vân tay có khớp với tờ giấy đăng ký không? (c/k): ").strip().lower()
                if answer not in ("c", "co", "có", "y", "yes"):
                    raise CliError("Chưa đăng ký.")
            else:
                raise CliError(
                    'Hãy đối chiếu dấu vân tay với giấy đăng ký và chạy lại với --fingerprint "SỐ".'
                )
            peer, outcome = R.register(
                store, doc, unit_code=args.unit, role=args.role, destination=args.office
            )
            text = {
                "new": "Đã đăng ký",
                "rekey": "Đã đăng ký khóa mới cho",
                "known": "Đã đăng ký từ trước:",
                "destination": "Đã đặt làm cơ quan nhận:",
            }[outcome]
            say(f"{text} {peer.display} ({peer.unit_label}, {peer.role_label}).")
            return 0
        if args.action == "replace-lost":
            from app.sync import container as C

            doc = K.read_pubkey_file(C.read_capped(Path(args.file)))
            by = args.by or store.profile().collaborator or ""
            peer, old = R.replace_lost_key(
                store, doc, fingerprint=args.fingerprint, reason=args.reason, by=by
            )
            say("CẢNH BÁO: đã THAY KHÓA BỊ MẤT, không có xác nhận của khóa cũ.")
            say(
                f"Máy {peer.display} ({peer.unit_label}), mã máy {shown(peer.laptop_id)}: khóa cũ "
                f"{old.fingerprint if old else '?'} đã bị thu hồi (giữ những gì đã gửi trước đó); khóa mới {peer.fingerprint}."
            )
            say(
                "Việc thay khóa được ghi lại (người quyết định, lý do, thời điểm) và được báo lên cơ quan cấp trên "
                "cùng gói dữ liệu sau."
            )
            return 0
        if args.action == "revoke":
            found = R.find(store, args.machine)
            machines = {p.laptop_id for p in found}
            if not machines:
                raise CliError(f"Không có máy đã đăng ký nào khớp «{args.machine}».")
            if len(machines) > 1:
                raise CliError(f"Có {len(machines)} máy khớp «{args.machine}»; hãy ghi rõ hơn.")
            laptop = machines.pop()
            count, point = R.revoke(store, laptop, args.after_seq)
            say(
                f"Đã thu hồi máy {laptop} ({count} khóa). Giữ các gói đến số {point}; các gói sau đó bị từ chối."
            )
            return 0
        if args.action == "rekey":
            ident = _identity(store)
            new = R.rekey(store, ident)
            say(f"Đã tạo khóa mới. Dấu vân tay mới: {new.current.fingerprint}")
            say("Hãy ghi tệp khóa công khai mới (khaosat keys export) và đưa cho cơ quan cấp trên đăng ký.")
            return 0
    return 1


def _parts(by_entity: dict[str, int]) -> str:
    """ "8 doanh nghiệp, 3 phân công": how many changes of each kind of record, as people say them."""
    from app.sync.checks import ENTITY_NAMES

    return ", ".join(f"{n} {ENTITY_NAMES.get(e, e)}" for e, n in sorted(by_entity.items()))


@command("export")
@_sync_errors
def _export(args: argparse.Namespace) -> int:
    from app.sync import bundles as B

    if args.down:
        return _export_down(args)
    if args.machine:
        raise CliError("--for chỉ dùng với --down (gói đi xuống cho một máy ở dưới).")
    with open_store(args) as store:
        if args.dry_run:
            for pv in B.preview(store, args.office):
                parts = _parts(pv.by_entity) or "không có thay đổi mới"
                say(
                    f"Cho {pv.recipient.display} ({pv.recipient.unit_label}): gói số "
                    f"{pv.next_seq}, {pv.changes} thay đổi ({parts}), {pv.envelopes} gói chuyển tiếp."
                )
            return 0
        ident = _identity(store)
        for r in B.export(store, ident, Path(args.to), office=args.office):
            say(
                f"Đã xuất gói số {r.seq} cho {r.recipient.display} ({r.recipient.unit_label}): "
                f"{r.changes} thay đổi, {r.envelopes} gói chuyển tiếp -> {r.path}"
            )
            if r.recovery_log is not None:
                say(f"Nhật ký khôi phục mật khẩu cho cơ quan cấp trên -> {r.recovery_log}")
    return 0


def _export_down(args: argparse.Namespace) -> int:
    from app.sync import down_export as DX

    with open_store(args) as store:
        if args.dry_run:
            for pv in DX.preview_down(store, args.machine):
                parts = _parts(pv.by_entity) or "không có thay đổi mới"
                back = (
                    f"lần cuối gửi lại: {shown(pv.last_back, 30)}" if pv.last_back else "chưa gửi lại lần nào"
                )
                say(
                    f"Cho {pv.recipient.display} ({pv.recipient.role_label}, {pv.recipient.unit_label}): gói đi xuống "
                    f"số {pv.next_seq}, {pv.changes} thay đổi ({parts}), {pv.relayed} gói chuyển tiếp; {back}."
                )
            return 0
        ident = _identity(store)
        results = DX.export_down(store, ident, Path(args.to), machine=args.machine)
        for r, line in zip(results, DX.down_summary(results)):
            say(f"{line} -> {r.path}")
    return 0


@command("import")
@_sync_errors
def _import(args: argparse.Namespace) -> int:
    from app.sync import bundles as B

    with open_store(args) as store:
        ident = _identity(store)
        paths = [Path(p) for p in args.paths]
        if not B.collect(paths):
            raise CliError("Không có gói dữ liệu hay biên nhận nào ở đường dẫn đã cho.")
        results = B.import_paths(store, ident, paths, write_receipt=not args.no_receipt)
    for r in results:
        line = r.summary()
        if r.outcome in ("refused", "quarantined"):
            print(line, file=sys.stderr)
        else:
            say(line)
        if r.receipt is not None:
            say(f"  Biên nhận: {shown(r.receipt, 200)}")
    if any(r.outcome == "refused" for r in results):
        return 1
    return IMPORT_QUARANTINED if any(r.outcome == "quarantined" for r in results) else 0


@command("to-check")
@_sync_errors
def _checks(args: argparse.Namespace) -> int:
    from app.sync import rules

    with open_store(args) as store:
        if args.done:
            n = rules.mark_checked(store, args.done, store.profile().collaborator)
            say(f"Đã ghi nhận {n} giá trị đã kiểm tra (giữ nguyên).")
            return 0
        items = rules.to_check(store, include_checked=args.all)
        for i in items:
            done = f" [đã kiểm tra: {shown(i.checked_by or '?')}]" if i.checked_at else ""
            say(
                f"#{i.id} {shown(i.enterprise_name or '?', 80)} | {i.field_label}: {i.message} | gửi từ {i.sender}, "
                f"nhận {i.found_at[:10]}{done}"
            )
        say(f"({len(items)} giá trị cần kiểm tra)")
    return 0


@command("conflicts")
@_sync_errors
def _conflicts(args: argparse.Namespace) -> int:
    from app.sync import bundles as B

    with open_store(args) as store:
        if args.resolve is not None:
            if args.value is None:
                raise CliError("Hãy cho giá trị chọn: --value JSON")
            try:
                value = json.loads(args.value)
            except ValueError as exc:
                raise CliError(f"Giá trị «{args.value}» không phải JSON (chuỗi cần dấu nháy kép).") from exc
            B.resolve_conflict(store, args.resolve, value)
            say(f"Đã giải quyết xung đột số {args.resolve}; lựa chọn sẽ được gửi lên như một thay đổi.")
            return 0
        rows = B.open_conflicts(store)
        for c in rows:
            say(
                f"#{c['id']} {c['entity']} {c['record_id']} trường {c['field']}: {c['value_a']} ({c['change_a'][:8]}) "
                f"/ {c['value_b']} ({c['change_b'][:8]}); tạm chọn {c['winner'][:8]}"
            )
        say(f"({len(rows)} xung đột chưa giải quyết)")
    return 0


@command("provenance")
@_sync_errors
def _provenance(args: argparse.Namespace) -> int:
    from app.sync import bundles as B

    with open_store(args) as store:
        rows = B.provenance(store, args.entity, args.record_id)
    if not rows:
        raise CliError(f"Không có thay đổi nào của bản ghi «{args.record_id}».")
    ops = {"create": "tạo", "update": "sửa", "delete": "xóa", "restore": "khôi phục"}
    for r in rows:
        fields = ", ".join(sorted(r["fields"])) + (
            " — từ phiên bản KhaoSat mới hơn, chưa hiện trên bản ghi" if r.get("newer") else ""
        )
        relay = f"; chuyển tiếp qua: {' → '.join(r['relayed_by'])}" if r["relayed_by"] else ""
        say(
            f"{r['wall_time']} {ops.get(r['op'], r['op'])} ({fields}) bởi {r['author']}, "
            f"nhập trên máy {r['captured_by']}{relay}"
        )
    return 0


@command("duplicates")
@_sync_errors
def _duplicates(args: argparse.Namespace) -> int:
    from app.sync import same_tax_code

    with open_store(args) as store:
        if args.merge:
            keep, drop = args.merge
            merged = same_tax_code.merge_pair(store, keep, drop)
            say(
                "Đã gộp: chuyển "
                + ", ".join(f"{n} {RECORD_TYPES[t].NOUN}" for t, n in merged.moved.items())
                + f", bổ sung {merged.fields} trường; đã xóa {drop}."
            )
            return 0
        found = same_tax_code.candidates(store)
        for c in found:
            say(f"MST {c.tax_code}: {c.id_a} «{c.name_a}» / {c.id_b} «{c.name_b}»")
        say(f"({len(found)} cặp nghi trùng chưa xử lý)")
    return 0


@command("quarantine")
@_sync_errors
def _quarantine(args: argparse.Namespace) -> int:
    from app.sync import bundles as B

    with open_store(args) as store:
        if args.release is not None:
            folder = Path(args.receipt_to) if args.receipt_to else None
            ident = _identity(store) if folder is not None else None
            say(B.release(store, args.release, ident=ident, receipt_to=folder).summary())
            return 0
        rows = B.quarantined(store)
        for q in rows:
            say(
                f"#{q['id']} gói số {q['seq']} của {q['sender_name']}, nhận {q['received_at'][:10]}: {q['reason_text']}"
            )
        say(f"({len(rows)} gói đang cách ly)")
    return 0
