"""The Qt half of ``khaosat --self-test``, run in a child process (``khaosat self-test-qt``).

Checks that Qt starts (the platform plugin loads), that the Vietnamese Qt translation and the icon
load, that this system's native platform plugin is present, and, given a data folder, that the real
main window opens on it. Returns a JSON-able dict: ``ok``, ``error`` (Vietnamese), ``platform``,
``translations``, ``platform_plugins``, ``window_shown_at`` (``time.time()`` when it was shown).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

NATIVE_PLUGIN = {"win32": "qwindows", "linux": "qxcb", "darwin": "qcocoa"}


def platform_plugins() -> list[str]:
    """Names of the platform plugins found in Qt's plugin folders (e.g. ``qoffscreen``, ``qxcb``)."""
    from PySide6.QtCore import QCoreApplication, QLibraryInfo

    folders = [Path(p) for p in QCoreApplication.libraryPaths()]
    folders.append(Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)))
    names = set()
    for folder in folders:
        platforms = folder / "platforms"
        if platforms.is_dir():
            for f in platforms.iterdir():
                stem = f.name.split(".")[0]
                names.add(stem[3:] if stem.startswith("lib") else stem)
    return sorted(names)


def check(window_data: str | None = None, timeout: float = 60.0, screenshot: str | None = None) -> dict:
    from PySide6.QtCore import QTimer, QTranslator
    from PySide6.QtGui import QGuiApplication, QIcon
    from PySide6.QtWidgets import QApplication, QMessageBox

    from app.gui import i18n
    from app.gui.application import Launcher, make_app
    from app.paths import resources_dir

    app = make_app([sys.argv[0] if sys.argv else "khaosat"])
    result: dict = {"ok": False, "platform": QGuiApplication.platformName()}
    problems: list[str] = []

    loaded = []
    for name in i18n.TRANSLATIONS:
        if QTranslator().load(name, str(i18n.translations_dir())):
            loaded.append(name)
        else:
            problems.append(f"không nạp được bản dịch Qt {name}.qm trong {i18n.translations_dir()}")
    result["translations"] = loaded

    plugins = platform_plugins()
    result["platform_plugins"] = plugins
    native = NATIVE_PLUGIN.get(sys.platform)
    if native and native not in plugins:
        problems.append(f"thiếu plugin nền tảng {native} của Qt (chỉ có: {', '.join(plugins) or 'không có'})")

    from app.gui.help import guide_path

    if not guide_path().is_file():
        problems.append(f"thiếu hướng dẫn sử dụng {guide_path()}")

    icon_path = resources_dir() / "icons" / "khaosat.svg"
    image = QIcon(str(icon_path)).pixmap(64, 64).toImage()
    if image.isNull() or image.pixelColor(32, 32).alpha() == 0:
        problems.append(f"không vẽ được biểu tượng {icon_path} (thiếu plugin SVG của Qt?)")

    if window_data:
        launcher = Launcher(Path(window_data), offer_drafts=False)
        state: dict = {}

        def shown(window: MainWindow) -> None:
            state["at"] = time.time()
            picture = window.grab()
            state["visible"] = window.isVisible() and not picture.isNull()
            if screenshot:
                state["saved"] = picture.save(screenshot)
            state["title"] = window.windowTitle()
            window.close()
            app.exit(0)

        def failed(message: str) -> None:
            state["error"] = message

        def too_slow() -> None:
            state.setdefault("error", f"cửa sổ chính chưa hiện sau {timeout:.0f} giây")
            app.exit(1)

        def close_modal() -> None:
            """A message box (an error, an offer) would wait for a click: note its text and close it.

            The passphrase dialog is answered as a person would, with the self-test's passphrase."""
            from app.gui.unlock import UnlockDialog

            dialog = QApplication.activeModalWidget()
            if isinstance(dialog, UnlockDialog):
                if not dialog.busy and not state.get("typed"):
                    state["typed"] = True
                    dialog.passphrase.setText(os.environ.get("KHAOSAT_PASSPHRASE", ""))
                    if dialog.repeat is not None:
                        dialog.repeat.setText(dialog.passphrase.text())
                    dialog.ok.click()
                elif not dialog.busy and dialog.error.text():
                    state.setdefault("error", f"không mở khóa được dữ liệu: {dialog.error.text()}")
                    dialog.reject()
                    app.exit(1)
            elif dialog is not None:
                text = dialog.text() if isinstance(dialog, QMessageBox) else dialog.windowTitle()
                state.setdefault("dialogs", []).append(text)
                dialog.reject()
            elif launcher.wizard is not None and launcher.wizard.isVisible():
                state.setdefault(
                    "error",
                    "máy chưa được thiết lập: trình hướng dẫn thiết lập hiện ra thay cho cửa sổ chính",
                )
                launcher.wizard.hide()
                app.exit(1)

        launcher.sig_window.connect(shown)
        launcher.sig_failed.connect(failed)
        QTimer.singleShot(int(timeout * 1000), too_slow)
        modal_watch = QTimer()
        modal_watch.timeout.connect(close_modal)
        modal_watch.start(100)
        launcher.start()
        app.exec()
        modal_watch.stop()
        if launcher.window is not None:
            launcher.window.tasks.wait(15000)
        launcher.tasks.wait(15000)
        if "error" in state:
            problems.append(f"cửa sổ chính không mở được: {state['error']}")
        elif state.get("dialogs"):
            problems.append("chương trình hiện hộp thoại khi khởi động: " + "; ".join(state["dialogs"]))
        elif not state.get("visible"):
            problems.append("cửa sổ chính không hiện")
        else:
            result["window_shown_at"] = state["at"]
            result["window_title"] = state["title"]

    result["ok"] = not problems
    if problems:
        result["error"] = "; ".join(problems)
    return result
