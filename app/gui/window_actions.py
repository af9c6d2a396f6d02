"""The main window's own actions (not CLI commands), declared once (see ``app.gui.actions``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from app.domain.vocab import OrgKind
from app.gui.actions import ActionSpec

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow


def _has_selection(w: MainWindow) -> bool:
    return w.current_page() == "enterprises" and w.selected_enterprise_id() is not None


def _selected(fn):  # run ``fn(window, enterprise_id)`` if an enterprise is selected
    def handler(w: MainWindow) -> None:
        eid = w.selected_enterprise_id()
        if eid is None:
            w.show_status("Hãy chọn một doanh nghiệp trong danh sách trước.")
            return
        fn(w, eid)

    return handler


def _choose_kind(w: MainWindow, eid: str) -> None:
    menu = QMenu(w)
    menu.setObjectName("choose_kind_menu")
    for i, kind in enumerate(OrgKind, start=1):
        action = menu.addAction(f"&{i} {kind.label}")
        action.triggered.connect(lambda _c=False, k=kind: w.forms.edit_organisation(eid, k))
    table = w.list_panel.table
    rect = table.visualRect(table.currentIndex())
    menu.popup(table.viewport().mapToGlobal(rect.bottomLeft() if rect.isValid() else QPoint(0, 0)))


def _delete_enterprise(w: MainWindow, eid: str) -> None:
    detail = w.detail_panel.detail
    name = detail.enterprise.name if detail and detail.enterprise.id == eid else "doanh nghiệp đã chọn"
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        f"Xóa doanh nghiệp — {name}",
        f"Xóa «{name}» khỏi danh sách?\n\nViệc xóa được ghi vào nhật ký thay đổi và gửi lên cơ quan "
        "khi đồng bộ; các lượt khảo sát và tổ chức của doanh nghiệp vẫn được giữ trong nhật ký.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        w,
    )
    box.setObjectName("delete_box")
    box.button(QMessageBox.StandardButton.Yes).setText("&Xóa")
    box.button(QMessageBox.StandardButton.Cancel).setText("&Không xóa")
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)

    def clicked(button: Any) -> None:
        if button is box.button(QMessageBox.StandardButton.Yes):
            from app.services.records import delete_record

            w.tasks.write(
                lambda store: delete_record(store, "enterprises", eid),
                lambda _r: w.show_status(f"Đã xóa «{name}»."),
            )

    box.buttonClicked.connect(clicked)
    box.open()


def _backup(w: MainWindow) -> None:
    from datetime import date

    from app.storage.backups import write_backup

    default = str(w.data_dir / f"khaosat-saoluu-{date.today():%Y%m%d}.khaosat-backup")
    path, _ = QFileDialog.getSaveFileName(
        w, "Sao lưu dữ liệu", default, "Bản sao lưu KhaoSat (*.khaosat-backup)"
    )
    if not path:
        return
    w.tasks.run_with_progress(
        w,
        "Đang sao lưu dữ liệu…",
        lambda store: write_backup(store, path),
        lambda out: w.show_status(
            f"Đã sao lưu (đã mã hóa) vào {out}. Khi khôi phục cần mật khẩu đang dùng lúc này.", 15000
        ),
        write=False,
    )


def _check(w: MainWindow) -> None:
    def done(problems: list[str]) -> None:
        if problems:
            w.show_error("Kiểm tra dữ liệu", "Tệp dữ liệu có lỗi:\n" + "\n".join(problems[:20]))
        else:
            QMessageBox.information(w, "Kiểm tra dữ liệu", "Tệp dữ liệu toàn vẹn, không có lỗi.")

    w.tasks.run_with_progress(
        w, "Đang kiểm tra tệp dữ liệu…", lambda store: store.integrity_check(), done, write=False
    )


def _clear_filters(w: MainWindow) -> None:
    w.list_panel.clear_filters()


def _show_worklist(w: MainWindow) -> None:
    w.show_page("worklist")
    w.worklist_view.sections.setFocus()


def _find(w: MainWindow) -> None:
    w.show_page("enterprises")
    w.list_panel.search.setFocus()
    w.list_panel.search.selectAll()


def _real_data(w: MainWindow) -> bool:
    return not w.profile.practice


def real_data_actions(setup: Any) -> list[ActionSpec]:
    from app.gui import practice

    return [
        ActionSpec(
            "tools.setup",
            "&Thiết lập máy…",
            setup.open_wizard,
            "tools",
            tip="Đơn vị, họ tên, vai trò của máy",
        ),
        ActionSpec(
            "practice.enter",
            "Chế độ tập &dượt (dữ liệu mẫu)…",
            practice.enter,
            "tools",
            tip="Làm quen với chương trình trên dữ liệu mẫu riêng, không lẫn với dữ liệu thật, không gửi đi được",
            section=1,
        ),
    ]


def practice_actions() -> list[ActionSpec]:
    from app.gui import practice

    return [
        ActionSpec(
            "practice.leave",
            "&Thoát chế độ tập dượt",
            practice.leave,
            "tools",
            "Ctrl+Shift+Q",
            "Trở về dữ liệu thật của máy (dữ liệu tập dượt được giữ cho lần sau)",
        ),
        ActionSpec(
            "tools.demo",
            "Thêm &dữ liệu mẫu…",
            practice.add_more_demo,
            "tools",
            tip="Thêm doanh nghiệp mẫu vào dữ liệu tập dượt",
        ),
    ]


def actions(practice_mode: bool = False) -> list[ActionSpec]:
    from app.gui import help as help_
    from app.gui import protection, setup

    return [
        # File
        ActionSpec(
            "file.backup",
            "&Sao lưu dữ liệu…",
            _backup,
            "file",
            tip="Chép toàn bộ dữ liệu ra một tệp đã mã hóa (an toàn cả khi đang làm việc)",
            section=5,
            enabled=_real_data,  # practice data is never backed up (app.storage.backups refuses it too)
        ),
        ActionSpec(
            "file.restore",
            "Khôi &phục từ bản sao lưu…",
            protection.restore_backup,
            "file",
            tip="Đưa dữ liệu trong một bản sao lưu về máy (cần mật khẩu lúc sao lưu); dữ liệu đang có được cất riêng",
            section=5,
            enabled=_real_data,  # never a real backup into the practice data (refused in app.storage.backups)
        ),
        ActionSpec(
            "file.passphrase",
            "Đổi &mật khẩu…",
            protection.change_passphrase,
            "file",
            tip="Đổi mật khẩu mở dữ liệu và khóa của máy (tệp dữ liệu không phải mã hóa lại)",
            section=6,
            enabled=_real_data,
        ),
        ActionSpec(
            "file.lock",
            "Khóa ng&ay",
            lambda w: w.inactivity.lock(),
            "file",
            "Ctrl+L",
            "Ẩn mọi cửa sổ và đòi mật khẩu để dùng tiếp (phiếu đang gõ vẫn được giữ)",
            section=6,
        ),
        ActionSpec(
            "file.check",
            "&Kiểm tra dữ liệu",
            _check,
            "file",
            tip="Kiểm tra tính toàn vẹn của tệp dữ liệu",
            section=5,
        ),
        ActionSpec(
            "file.quit",
            "&Thoát",
            lambda w: w.close(),
            "file",
            QKeySequence.StandardKey.Quit,
            tip="Đóng chương trình (hỏi nếu còn phiếu chưa lưu)",
            section=9,
        ),
        # Enterprise
        ActionSpec(
            "enterprise.new",
            "&Thêm doanh nghiệp…",
            lambda w: w.forms.new_enterprise(),
            "enterprise",
            "Ctrl+N",
            "Nhập một doanh nghiệp mới",
            toolbar=True,
            short="Thêm doanh nghiệp",
        ),
        ActionSpec(
            "enterprise.edit",
            "&Sửa thông tin…",
            _selected(lambda w, e: w.forms.edit_enterprise(e)),
            "enterprise",
            "F2",
            "Sửa thông tin doanh nghiệp đang chọn",
            toolbar=True,
            short="Sửa",
            enabled=_has_selection,
        ),
        ActionSpec(
            "visit.new",
            "Ghi lượt &khảo sát…",
            _selected(lambda w, e: w.forms.new_visit(e)),
            "enterprise",
            "Ctrl+K",
            "Nhập phiếu khảo sát cho doanh nghiệp đang chọn (điền sẵn từ lần trước)",
            toolbar=True,
            short="Khảo sát",
            enabled=_has_selection,
            section=1,
        ),
        ActionSpec(
            "organisation.edit",
            "Cập nhật tổ &chức…",
            _selected(_choose_kind),
            "enterprise",
            "Ctrl+T",
            "Ghi tiến độ vận động, thành lập, giải thể một tổ chức",
            toolbar=True,
            short="Tổ chức",
            enabled=_has_selection,
            section=1,
        ),
        ActionSpec(
            "admission.new",
            "Kết nạp &mới…",
            _selected(lambda w, e: w.forms.new_admission(e)),
            "enterprise",
            "Ctrl+J",
            "Ghi số người mới được kết nạp",
            enabled=_has_selection,
            section=1,
        ),
        ActionSpec(
            "rating.new",
            "Xếp &loại chất lượng…",
            _selected(lambda w, e: w.forms.new_rating(e)),
            "enterprise",
            "Ctrl+Shift+L",
            "Ghi xếp loại chất lượng hằng năm của một tổ chức đã thành lập",
            enabled=_has_selection,
            section=1,
        ),
        ActionSpec(
            "enterprise.delete",
            "&Xóa doanh nghiệp…",
            _selected(_delete_enterprise),
            "enterprise",
            "Ctrl+Delete",
            "Xóa doanh nghiệp đang chọn (có ghi nhật ký)",
            enabled=_has_selection,
            section=2,
        ),
        # View
        ActionSpec(
            "view.find",
            "&Tìm doanh nghiệp",
            _find,
            "view",
            QKeySequence.StandardKey.Find,
            "Đưa con trỏ vào ô tìm kiếm",
        ),
        ActionSpec(
            "view.clear_filters",
            "&Bỏ mọi bộ lọc",
            _clear_filters,
            "view",
            "Ctrl+Shift+F",
            "Hiện lại toàn bộ danh sách",
        ),
        ActionSpec(
            "view.enterprises",
            "&Danh sách doanh nghiệp",
            lambda w: w.show_page("enterprises"),
            "view",
            "Ctrl+1",
            section=1,
        ),
        ActionSpec(
            "view.targets",
            "&Chỉ tiêu và tiến độ",
            lambda w: w.show_page("targets"),
            "view",
            "Ctrl+2",
            toolbar=True,
            short="Chỉ tiêu",
            section=1,
        ),
        ActionSpec(
            "view.worklist",
            "&Việc cần làm",
            lambda w: _show_worklist(w),
            "view",
            "Ctrl+4",
            "Hẹn khảo sát, đủ điều kiện thành lập, đảng viên dự bị đến hạn, vận động chậm, lâu chưa khảo sát",
            section=1,
        ),
        ActionSpec(
            "view.refresh",
            "&Làm mới",
            lambda w: w.notify_data_changed(),
            "view",
            QKeySequence.StandardKey.Refresh,
            "Đọc lại dữ liệu",
            section=2,
        ),
        # Tools: practice mode (app.gui.practice) and, with real data only, the laptop's setup
        *(practice_actions() if practice_mode else real_data_actions(setup)),
        ActionSpec(
            "tools.lock_minutes",
            "Tự &khóa khi không dùng…",
            protection.set_lock_minutes,
            "tools",
            tip="Sau bao nhiêu phút không dùng thì chương trình tự khóa (mặc định 15 phút)",
            section=2,
        ),
        # Help
        ActionSpec(
            "help.guide",
            "&Hướng dẫn sử dụng",
            help_.show_guide,
            "help",
            QKeySequence.StandardKey.HelpContents,
            "Hướng dẫn ngắn bằng tiếng Việt",
        ),
        ActionSpec("help.keys", "&Phím tắt", help_.show_keys, "help", tip="Danh sách phím tắt"),
        ActionSpec("help.about", "&Giới thiệu KhaoSat", help_.show_about, "help", section=1),
    ]
