"""Guards against the PySide6 6.12.0 bug that made the program abort ("Fatal Python error:
none_dealloc"): every null QVariant returned to Python took one reference from None."""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QListWidgetItem


def test_null_variants_keep_none_alive(qtbot):
    combo = QComboBox()
    qtbot.addWidget(combo)
    combo.addItem("— chưa chọn —", None)
    item = QListWidgetItem("x")
    before = sys.getrefcount(None)
    for _ in range(500):
        combo.currentData()
        combo.itemData(0)
        item.data(Qt.ItemDataRole.UserRole)
    assert sys.getrefcount(None) - before > -100  # 6.12.0: -1500
