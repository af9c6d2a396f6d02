"""The import wizard: file → sheet → mapping → preview → import → result.

Every step that touches the file or the database runs off the GUI thread through the window's
``TaskRunner``; the wizard only shows what comes back. The core (``app.importing``) does the work.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain import units
from app.domain.vnformat import format_int
from app.gui.tasks import failure_message
from app.importing import errorfile
from app.importing import mapping as mp
from app.importing import plan as pl
from app.importing.errors import ImportFailed
from app.importing.legacy import Legacy

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

FILE_FILTER = "Danh sách (*.xlsx *.xlsm *.xls *.csv *.txt);;Tất cả các tệp (*)"
STEPS = ("file", "sheet", "mapping", "preview", "result")
STEP_TITLES = {
    "file": "1. Chọn tệp danh sách",
    "sheet": "2. Chọn trang tính",
    "mapping": "3. Ghép cột",
    "preview": "4. Xem trước và nhập",
    "result": "5. Kết quả",
}
_OUTCOME_COLOURS = {
    pl.Outcome.NEW: "#e8f5e9",
    pl.Outcome.UPDATE: "#e3f2fd",
    pl.Outcome.ASK: "#fff8e1",
    pl.Outcome.SIMILAR: "#fff8e1",
    pl.Outcome.INVALID: "#ffebee",
    pl.Outcome.REPEATED: "#ffebee",
}


def _message(failure: Any) -> str:
    exc = getattr(failure, "exception", failure)
    if isinstance(exc, ImportFailed):
        return str(exc)
    known = failure_message(exc)  # a full disk, a write-protected or pulled-out stick...
    if known is not None:
        return known
    from app.gui.failures import explain

    return explain(failure, "Chưa nhập được danh sách")


class PreviewModel(QAbstractTableModel):
    """The rows the preview shows, one line each (``Preview.rows``: every data row of a file of up to
    ``ImportWizard.shown_rows`` rows; of a longer one, those that need a look and the first others)."""

    HEADERS = ("Dòng", "Kết quả", "Tên doanh nghiệp", "Mã số thuế", "Phường, xã", "Lý do, lưu ý")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.rows: list[pl.RowPlan] = []

    def set_rows(self, rows: list[pl.RowPlan]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            e = row.enterprise
            if col == 0:
                return row.number
            if col == 1:
                return row.outcome.label
            if col == 2:
                return e.name if e else (row.cells[0] if row.cells else "")
            if col == 3:
                return e.tax_code if e else ""
            if col == 4:
                ward = units.ward(e.ward_code) if e else None
                return ward.name if ward else ""
            if col == 5:
                return " ".join([*row.problems, *row.warnings])
        if role == Qt.ItemDataRole.BackgroundRole:
            colour = _OUTCOME_COLOURS.get(row.outcome)
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.ToolTipRole and col == 5:
            return "\n".join([*row.problems, *row.warnings]) or None
        return None

    def refresh(self, first: int, last: int) -> None:
        self.dataChanged.emit(self.index(first, 0), self.index(last, len(self.HEADERS) - 1))


class ImportWizard(QDialog):
    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window_ = window
        self.setObjectName("import_wizard")
        self.setWindowTitle("Nhập danh sách doanh nghiệp")
        self.resize(1000, 640)
        self.path: Path | None = None
        self.sheet_names: list[str] = []
        self.kind = ""
        self.prepared: mp.Prepared | None = None
        self.preview: pl.Preview | None = None
        self.result: pl.ImportResult | None = None
        self.error_path: Path | None = None
        self.busy = False
        self.step = "file"
        self.shown_rows = pl.SHOWN_ROWS  # rows a preview keeps to show (the counts are for the whole file)

        self.title = QLabel(self)
        self.title.setStyleSheet("font-size: 15px; font-weight: bold;")
        self.message = QLabel(self)
        self.message.setObjectName("import_message")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stack = QStackedWidget(self)
        self.pages: dict[str, QWidget] = {}
        for key, build in (
            ("file", self._build_file),
            ("sheet", self._build_sheet),
            ("mapping", self._build_mapping),
            ("preview", self._build_preview),
            ("result", self._build_result),
        ):
            page = QWidget(self)
            build(page)
            self.pages[key] = page
            self.stack.addWidget(page)

        self.back_button = QPushButton("< &Quay lại", self)
        self.next_button = QPushButton("&Tiếp tục >", self)
        self.import_button = QPushButton("&Nhập vào dữ liệu", self)
        self.close_button = QPushButton("Đó&ng", self)
        self.back_button.clicked.connect(self.go_back)
        self.next_button.clicked.connect(self.go_next)
        self.import_button.clicked.connect(self.run_import)
        self.close_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.back_button, self.next_button, self.import_button, self.close_button):
            b.setAutoDefault(False)
            buttons.addWidget(b)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self._show("file")

    # --- pages --------------------------------------------------------------------------------

    def _build_file(self, page: QWidget) -> None:
        lay = QVBoxLayout(page)
        intro = QLabel(
            "Chọn tệp danh sách doanh nghiệp: Excel (.xlsx, .xls cũ) hoặc CSV. Dòng tiêu đề không cần ở dòng 1; "
            "chữ gõ bằng phông TCVN3 (.VnTime) hoặc VNI được tự chuyển sang Unicode.",
            page,
        )
        intro.setWordWrap(True)  # the wizard fits a 1024-pixel screen
        lay.addWidget(intro)
        row = QHBoxLayout()
        self.path_edit = QLineEdit(page)
        self.path_edit.setObjectName("import_path")
        self.path_edit.setPlaceholderText("Đường dẫn tệp…")
        self.path_edit.returnPressed.connect(self.go_next)
        browse = QPushButton("&Chọn tệp…", page)
        browse.setAutoDefault(False)
        browse.clicked.connect(self._browse)
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        lay.addLayout(row)
        lay.addStretch(1)

    def _build_sheet(self, page: QWidget) -> None:
        lay = QVBoxLayout(page)
        lay.addWidget(QLabel("Tệp có nhiều trang tính. Chọn trang chứa danh sách:", page))
        self.sheet_list = QListWidget(page)
        self.sheet_list.setObjectName("import_sheets")
        self.sheet_list.itemDoubleClicked.connect(lambda _i: self.go_next())
        lay.addWidget(self.sheet_list, 1)

    def _build_mapping(self, page: QWidget) -> None:
        lay = QVBoxLayout(page)
        self.mapping_info = QLabel(page)
        self.mapping_info.setWordWrap(True)
        lay.addWidget(self.mapping_info)
        self.mapping_table = QTableWidget(0, 4, page)
        self.mapping_table.setObjectName("import_mapping")
        self.mapping_table.setHorizontalHeaderLabels(["Cột", "Tiêu đề trong tệp", "Ví dụ", "Là thông tin"])
        self.mapping_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.mapping_table.horizontalHeader().setStretchLastSection(True)
        self.mapping_table.verticalHeader().setVisible(False)
        self.mapping_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        lay.addWidget(self.mapping_table, 1)
        self.field_boxes: list[QComboBox] = []

    def _build_preview(self, page: QWidget) -> None:
        lay = QVBoxLayout(page)
        self.summary = QLabel(page)
        self.summary.setObjectName("import_summary")
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        opts = QHBoxLayout()
        opts.addWidget(QLabel("Mã số thuế đã có, tệp khác dữ liệu:", page))
        self.dup_group = QButtonGroup(page)
        self.dup_buttons: dict[str, QRadioButton] = {}
        for key, text in (("ask", "&Hỏi từng dòng"), ("update", "Cập &nhật"), ("skip", "&Bỏ qua")):
            b = QRadioButton(text, page)
            b.setObjectName(f"import_dup_{key}")
            self.dup_group.addButton(b)
            self.dup_buttons[key] = b
            opts.addWidget(b)
        self.dup_buttons["ask"].setChecked(True)
        self.dup_group.buttonClicked.connect(lambda _b: self._make_preview())
        self.similar_box = QCheckBox("Vẫn thêm mới các dòng giống tên và địa chỉ doanh nghiệp đã có", page)
        self.similar_box.toggled.connect(lambda _c: self._make_preview())
        opts.addStretch(1)
        lay.addLayout(opts)
        lay.addWidget(self.similar_box)
        self.preview_model = PreviewModel(page)
        self.preview_view = QTableView(page)
        self.preview_view.setObjectName("import_preview")
        self.preview_view.setModel(self.preview_model)
        self.preview_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.preview_view.verticalHeader().setVisible(False)
        self.preview_view.horizontalHeader().setStretchLastSection(True)
        self.preview_view.setWordWrap(False)
        lay.addWidget(self.preview_view, 1)
        decide = QHBoxLayout()
        decide.addWidget(QLabel("Dòng đang chọn (trùng hoặc giống doanh nghiệp đã có):", page))
        self.decide_buttons: dict[str, QPushButton] = {}
        for key, text in (
            ("update", "Cập nhật doanh nghiệp đã có"),
            ("create", "Vẫn thêm mới"),
            ("skip", "Bỏ qua dòng này"),
        ):
            b = QPushButton(text, page)
            b.setObjectName(f"import_decide_{key}")
            b.setAutoDefault(False)
            b.clicked.connect(lambda _c=False, k=key: self.decide_selected(k))
            self.decide_buttons[key] = b
            decide.addWidget(b)
        decide.addStretch(1)
        lay.addLayout(decide)
        self.preview_view.selectionModel().selectionChanged.connect(lambda *_a: self._update_decide_buttons())

    def _build_result(self, page: QWidget) -> None:
        lay = QVBoxLayout(page)
        self.result_label = QLabel(page)
        self.result_label.setObjectName("import_result")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.result_label)
        self.save_errors_button = QPushButton("&Lưu các dòng chưa nhập ra tệp Excel…", page)
        self.save_errors_button.setAutoDefault(False)
        self.save_errors_button.clicked.connect(self._choose_error_file)
        row = QHBoxLayout()
        row.addWidget(self.save_errors_button)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addStretch(1)

    # --- navigation ---------------------------------------------------------------------------

    def _show(self, step: str) -> None:
        self.step = step
        self.stack.setCurrentWidget(self.pages[step])
        self.title.setText(STEP_TITLES[step])
        self._update_buttons()

    def _update_buttons(self) -> None:
        step = self.step
        self.back_button.setEnabled(not self.busy and step in ("sheet", "mapping", "preview"))
        self.next_button.setVisible(step in ("file", "sheet", "mapping"))
        self.next_button.setEnabled(not self.busy)
        self.import_button.setVisible(step == "preview")
        counts = self.preview.counts() if self.preview else {}
        can_import = bool(counts.get(pl.Outcome.NEW) or counts.get(pl.Outcome.UPDATE))
        self.import_button.setEnabled(not self.busy and can_import)
        self.close_button.setEnabled(not self.busy)
        if step == "preview":
            self._update_decide_buttons()

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self.busy = busy
        if text or busy:
            self.message.setText(text)
        self._update_buttons()

    def _fail(self, failure: Any) -> None:
        from app.gui.tasks import Cancelled

        self._set_busy(False)
        if isinstance(getattr(failure, "exception", None), Cancelled):
            self.message.setText("Đã dừng theo yêu cầu; chưa ghi gì.")
            return
        self.message.setText(_message(failure))

    def go_back(self) -> None:
        if self.step == "preview":
            self._show("mapping")
        elif self.step == "mapping":
            self._show("sheet" if len(self.sheet_names) > 1 else "file")
        elif self.step == "sheet":
            self._show("file")
        self.message.clear()

    def go_next(self) -> None:
        if self.busy:
            return
        if self.step == "file":
            self.set_path(self.path_edit.text())
        elif self.step == "sheet":
            item = self.sheet_list.currentItem()
            self._prepare(item.text() if item else None)
        elif self.step == "mapping":
            self._make_preview()

    def _browse(self) -> None:
        start = str(self.path.parent) if self.path else str(Path.home())
        name, _f = QFileDialog.getOpenFileName(self, "Chọn tệp danh sách doanh nghiệp", start, FILE_FILTER)
        if name:
            self.set_path(name)

    # --- step 1: the file ---------------------------------------------------------------------

    def set_path(self, text: str) -> None:
        text = text.strip().strip('"')
        if not text:
            self.message.setText("Hãy chọn tệp danh sách (nút «Chọn tệp…»).")
            return
        self.path = Path(text).expanduser()
        self.path_edit.setText(str(self.path))
        path = self.path

        def work() -> tuple[str, list[str]]:
            from app.importing.readers import open_workbook

            with open_workbook(path) as wb:
                return wb.kind, list(wb.sheet_names)

        def done(value: tuple[str, list[str]]) -> None:
            self._set_busy(False)
            self.kind, self.sheet_names = value
            if len(self.sheet_names) > 1:
                self.sheet_list.clear()
                self.sheet_list.addItems(self.sheet_names)
                self.sheet_list.setCurrentRow(0)
                self._show("sheet")
                self.message.setText("")
                self._prepare(None, show=False)  # find the sheet with a header, to preselect it
            else:
                self._prepare(None)

        self._set_busy(True, f"Đang mở {path.name}…")
        self.window_.tasks.call(work, done, self._fail)

    # --- step 2 and 3: sheet and mapping --------------------------------------------------------

    def _prepare(self, sheet: str | None, show: bool = True) -> None:
        path = self.path

        def work(store: Any) -> mp.Prepared:
            return mp.prepare(path, store, sheet)

        def done(prepared: mp.Prepared) -> None:
            self._set_busy(False)
            if not show:
                names = self.sheet_names
                if prepared.table.sheet.name in names:
                    self.sheet_list.setCurrentRow(names.index(prepared.table.sheet.name))
                return
            self.prepared = prepared
            self._fill_mapping(prepared)
            self._show("mapping")
            self.message.setText("Kiểm tra cột nào là thông tin gì; sửa ở cột «Là thông tin» nếu cần.")

        def failed(failure: Any) -> None:
            if show:
                self._fail(failure)
            else:
                self._set_busy(False)

        self._set_busy(True, "Đang đọc tệp, tìm dòng tiêu đề…")
        self.window_.tasks.read(work, done, failed)

    def _fill_mapping(self, prepared: mp.Prepared) -> None:
        table = prepared.table
        sheet = table.sheet
        info = [
            f"Trang «{sheet.name}», dòng tiêu đề: {table.header_row_number}, "
            f"{format_int(table.data_count())} dòng dữ liệu."
        ]
        if sheet.encoding:
            info.append(f"Mã chữ của tệp: {sheet.encoding}.")
        for legacy in (Legacy.TCVN3, Legacy.TCVN3_CAPS, Legacy.VNI):
            if sheet.conversions[legacy]:
                info.append(
                    f"Đã chuyển {format_int(sheet.conversions[legacy])} ô từ mã {legacy.label} sang Unicode."
                )
        if prepared.source == "remembered":
            info.append("Cách ghép cột lấy theo lần nhập trước một tệp cùng dạng.")
        self.mapping_info.setText(" ".join(info))
        example = next(table.iter_data_rows(), (0, []))[1]
        headers = table.headers
        self.mapping_table.setRowCount(len(headers))
        self.field_boxes = []
        for col, header in enumerate(headers):
            self.mapping_table.setItem(col, 0, QTableWidgetItem(mp.column_letter(col)))
            self.mapping_table.setItem(col, 1, QTableWidgetItem(header))
            self.mapping_table.setItem(col, 2, QTableWidgetItem(example[col] if col < len(example) else ""))
            box = QComboBox(self.mapping_table)
            box.addItem("(bỏ qua)", None)
            for key, (label, _aliases) in mp.fields().items():
                box.addItem(label, key)
            field = prepared.mapping.get(col)
            box.setCurrentIndex(box.findData(field) if field else 0)
            box.currentIndexChanged.connect(lambda _i, c=col: self._field_changed(c))
            self.mapping_table.setCellWidget(col, 3, box)
            self.field_boxes.append(box)
        self.mapping_table.resizeColumnsToContents()

    def _field_changed(self, col: int) -> None:
        """A field goes to one column: choosing it here takes it away from another."""
        field = self.field_boxes[col].currentData()
        if field:
            for other, box in enumerate(self.field_boxes):
                if other != col and box.currentData() == field:
                    box.blockSignals(True)
                    box.setCurrentIndex(0)
                    box.blockSignals(False)

    def set_field(self, col: int, field: str | None) -> None:
        box = self.field_boxes[col]
        box.setCurrentIndex(box.findData(field) if field else 0)

    def current_mapping(self) -> dict[int, str]:
        return {col: box.currentData() for col, box in enumerate(self.field_boxes) if box.currentData()}

    # --- step 4: preview ----------------------------------------------------------------------

    def options(self) -> pl.Options:
        on_duplicate = next(k for k, b in self.dup_buttons.items() if b.isChecked())
        return pl.Options(on_duplicate=on_duplicate, accept_similar=self.similar_box.isChecked())

    def _make_preview(self) -> None:
        if self.prepared is None or self.busy:
            return
        table, mapping, options = self.prepared.table, self.current_mapping(), self.options()
        keep = self.shown_rows
        missing = mp.missing_required(mapping)
        if missing:
            self.message.setText("Chưa chọn cột cho: " + ", ".join(missing) + ".")
            return

        decisions = dict(self.preview.decisions) if self.preview is not None else {}
        # the old preview goes before the new one is made: a list of 200,000 rows is never held twice
        self.preview = None
        self.preview_model.set_rows([])

        def work(store: Any, ctx: Any) -> pl.Preview:
            def progress(done: int, total: int) -> None:
                ctx.check()
                ctx.progress(done, total, f"Đã kiểm tra {format_int(done)}/{format_int(total)} dòng…")

            return pl.preview(
                store, table, mapping, options, decisions=decisions, progress=progress, keep=keep
            )

        def done(plan: pl.Preview) -> None:
            self._set_busy(False)
            self.preview = plan
            self.preview_model.set_rows(plan.rows)
            self.preview_view.resizeColumnsToContents()
            self._show_summary()
            self._show("preview")

        self._set_busy(True, "Đang kiểm tra từng dòng…")
        self.window_.tasks.run_with_progress(
            self, "Đang kiểm tra từng dòng…", work, done, self._fail, write=False
        )

    def _show_summary(self) -> None:
        plan = self.preview
        if plan is None:
            return
        lines = pl.summary_lines(plan)
        if plan.unplaced_count:
            lines.append(f"Không xác định được phường, xã: {format_int(plan.unplaced_count)} dòng.")
        if not plan.all_shown:
            lines.append(
                f"Bảng dưới đây chỉ hiện {format_int(len(plan.rows))} trong {format_int(plan.total)} dòng "
                "(các dòng cần xem lại và một số dòng đầu); các số ở trên tính cho cả tệp."
            )
        self.summary.setText("\n".join(lines))
        counts = plan.counts()
        waiting = counts[pl.Outcome.ASK] + counts[pl.Outcome.SIMILAR]
        if counts[pl.Outcome.NEW] or counts[pl.Outcome.UPDATE]:
            text = (
                f"Bấm «Nhập vào dữ liệu» để thêm {format_int(counts[pl.Outcome.NEW])} và cập nhật "
                f"{format_int(counts[pl.Outcome.UPDATE])} doanh nghiệp (một lần ghi, không ghi dở dang)."
            )
        else:
            text = "Không có dòng nào để nhập."
        if waiting:
            text += f" {format_int(waiting)} dòng chờ quyết định: chọn dòng rồi bấm nút bên dưới bảng."
        self.message.setText(text)
        self._update_buttons()

    def _selected_rows(self) -> list[pl.RowPlan]:
        return [self.preview_model.rows[i.row()] for i in self.preview_view.selectionModel().selectedRows()]

    def _update_decide_buttons(self) -> None:
        rows = self._selected_rows() if self.preview else []
        originals = {r.undecided for r in rows}
        self.decide_buttons["update"].setEnabled(not self.busy and originals == {pl.Outcome.ASK})
        self.decide_buttons["create"].setEnabled(not self.busy and originals == {pl.Outcome.SIMILAR})
        self.decide_buttons["skip"].setEnabled(
            not self.busy and bool(originals) and originals <= {pl.Outcome.ASK, pl.Outcome.SIMILAR}
        )

    def select_row(self, number: int) -> None:
        for i, r in enumerate(self.preview_model.rows):
            if r.number == number:
                self.preview_view.selectRow(i)
                return

    def decide_selected(self, choice: str) -> None:
        if self.preview is None:
            return
        indexes = sorted(i.row() for i in self.preview_view.selectionModel().selectedRows())
        try:
            for i in indexes:
                self.preview.decide(self.preview_model.rows[i].number, choice)
        except ImportFailed as exc:
            self.message.setText(str(exc))
            return
        if indexes:
            self.preview_model.refresh(indexes[0], indexes[-1])
        self._show_summary()

    # --- step 5: import and result ------------------------------------------------------------

    def run_import(self) -> None:
        plan = self.preview
        if plan is None or self.busy:
            return
        author = getattr(self.window_.profile, "collaborator", None)

        def work(store: Any, ctx: Any) -> pl.ImportResult:
            def progress(done: int, total: int) -> None:
                ctx.check()  # a cancel rolls the one transaction back: nothing is written
                ctx.progress(done, total, "Đang ghi…")

            # every row is read from the sheet and checked again as it is written (no plan for the
            # whole file is held)
            return pl.execute(store, plan, author=author, progress=progress)

        def done(result: pl.ImportResult) -> None:
            self._set_busy(False)
            self.result = result
            self.preview = result.preview
            self.preview_model.set_rows(result.preview.rows)  # the preview's own rows are let go
            self._show_result()

        self._set_busy(True, "Đang ghi vào dữ liệu…")
        self.window_.tasks.run_with_progress(self, "Đang ghi vào dữ liệu…", work, done, self._fail)

    def _show_result(self) -> None:
        result = self.result
        assert result is not None
        lines = [
            f"Đã thêm mới {format_int(result.created)} và cập nhật {format_int(result.updated)} doanh nghiệp."
        ]
        if result.rebuilt:
            lines.append(
                "Dữ liệu đã thay đổi sau khi xem trước; danh sách đã được kiểm tra lại trước khi ghi."
            )
        lines += pl.summary_lines(result.preview)
        rejected = result.preview.rejected_count()
        self.save_errors_button.setVisible(bool(rejected))
        if rejected:
            lines.append(
                f"{format_int(rejected)} dòng chưa nhập: lưu ra tệp Excel (kèm lý do), sửa rồi nhập lại."
            )
        self.result_label.setText("\n".join(lines))
        self._show("result")
        self.message.clear()
        self.window_.show_status(lines[0])

    def _choose_error_file(self) -> None:
        if self.path is None:
            return
        suggested = str(errorfile.default_path(self.path))
        name, _f = QFileDialog.getSaveFileName(self, "Lưu các dòng chưa nhập", suggested, "Excel (*.xlsx)")
        if name:
            self.save_errors(name)

    def save_errors(self, name: str) -> None:
        plan = self.preview
        if plan is None:
            return
        dest = Path(name)
        if dest.suffix.lower() != ".xlsx":
            dest = dest.with_suffix(".xlsx")

        def done(path: Path) -> None:
            self._set_busy(False)
            self.error_path = path
            self.message.setText(f"Đã lưu các dòng chưa nhập vào {path}.")

        self._set_busy(True, "Đang lưu…")
        self.window_.tasks.call(lambda: errorfile.write(dest, plan), done, self._fail)

    def closeEvent(self, event: Any) -> None:
        if self.busy:
            event.ignore()
            self.message.setText("Đang làm việc, hãy đợi xong.")
            return
        super().closeEvent(event)
