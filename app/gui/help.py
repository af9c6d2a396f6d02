"""Help menu: the user guide (resources/help/user-guide.md), the shortcut list, about."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox, QTextBrowser, QVBoxLayout

from app import __version__
from app.paths import resources_dir

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow


def guide_path() -> Path:
    return resources_dir() / "help" / "user-guide.md"


class HelpDialog(QDialog):
    def __init__(self, parent: Any, title: str, markdown: str | None = None, html_text: str | None = None):
        super().__init__(parent)
        self.setObjectName("help_dialog")
        self.setWindowTitle(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("help_browser")
        self.browser.setOpenExternalLinks(False)
        self.browser.setSearchPaths([str(guide_path().parent)])
        if markdown is not None:
            self.browser.document().setBaseUrl(QUrl.fromLocalFile(str(guide_path())))
            self.browser.setMarkdown(markdown)
        else:
            self.browser.setHtml(html_text or "")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("Đó&ng")
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(760, 640)


def show_guide(window: MainWindow) -> None:
    path = guide_path()

    def done(text: str) -> None:
        HelpDialog(window, "Hướng dẫn sử dụng KhaoSat", markdown=text).show()

    window.tasks.call(
        lambda: path.read_text(encoding="utf-8"),
        done,
        lambda f: window.show_error(
            "Hướng dẫn sử dụng", f"Không mở được tệp hướng dẫn {path}: {f.exception}"
        ),
    )


def show_keys(window: MainWindow) -> None:
    rows = []
    for key in window.actions:
        action = window.actions.action(key)
        shortcut = action.shortcut().toString()
        if shortcut:
            rows.append((action.text().replace("&", "").rstrip("…"), shortcut))
    rows += [
        ("Trong phiếu: sang ô tiếp theo", "Enter hoặc Tab"),
        ("Trong phiếu: xuống dòng trong ô nhiều dòng", "Shift+Enter"),
        ("Trong phiếu: lưu", "Ctrl+S"),
        ("Phiếu khảo sát: lưu và nhập lượt tiếp theo", "Ctrl+N"),
        ("Trong phiếu: đóng (hỏi nếu chưa lưu)", "Esc"),
    ]
    body = "".join(f"<tr><td>{html.escape(a)}</td><td><b>{html.escape(b)}</b></td></tr>" for a, b in rows)
    HelpDialog(window, "Phím tắt", html_text=f"<table cellspacing='6'>{body}</table>").show()


def show_about(window: MainWindow) -> None:
    QMessageBox.about(
        window,
        "Giới thiệu KhaoSat",
        f"<b>KhaoSat {__version__}</b><br>Khảo sát doanh nghiệp ngoài khu vực nhà nước, theo dõi việc thành "
        "lập tổ chức đảng, công đoàn, đoàn thanh niên, hội phụ nữ, hội cựu chiến binh.<br><br>"
        "Chạy hoàn toàn không cần mạng. Giấy phép GPL-3.0 trở lên.",
    )
