"""Start the desktop program (a first window; the desktop issue builds it out)."""

from __future__ import annotations

import sys


def run(data_dir: str | None = None) -> int:
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    from app.paths import database_path
    from app.storage import Store

    app = QApplication.instance() or QApplication(sys.argv)
    store = Store(database_path(data_dir))
    counts = store.counts()
    store.close()
    window = QMainWindow()
    window.setWindowTitle("KhaoSat")
    window.setCentralWidget(QLabel(f"{counts['enterprises']} doanh nghiệp"))
    window.resize(1000, 700)
    window.show()
    return app.exec()
