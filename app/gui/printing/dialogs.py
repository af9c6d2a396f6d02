"""The dialogs of the printing feature: they gather choices; the work runs in workers."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
)

from app.domain import units
from app.gui.titles import fit_title

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


class BatchDialog(QDialog):
    """Which enterprises get a form: not visited for N months, or an appointment in a date range."""

    def __init__(self, window: MainWindow, feature: Any):
        super().__init__(window)
        from app.services.form_batches import week_of

        self.window = window
        self.feature = feature
        self.setObjectName("print_batch_dialog")
        self.setWindowTitle("In phiếu khảo sát cho nhiều doanh nghiệp")
        fit_title(self)
        today = feature.today()
        monday, sunday = week_of(today)
        layout = QVBoxLayout(self)
        each = "hai trang (có trang đánh dấu)" if feature.marks else "một trang"
        layout.addWidget(QLabel(f"In một tệp PDF, mỗi doanh nghiệp {each}, theo thứ tự địa chỉ:"))
        self.group = QButtonGroup(self)
        self.not_visited = QRadioButton("Doanh nghiệp &chưa được khảo sát trong")
        self.months = QSpinBox()
        self.months.setRange(1, 120)
        self.months.setValue(6)
        self.months.setSuffix(" tháng gần đây")
        row = QHBoxLayout()
        row.addWidget(self.not_visited)
        row.addWidget(self.months)
        row.addStretch(1)
        layout.addLayout(row)
        self.planned = QRadioButton("Doanh nghiệp có &hẹn khảo sát từ ngày")
        self.start = QDateEdit(_qdate(monday))
        self.end = QDateEdit(_qdate(sunday))
        for w in (self.start, self.end):
            w.setDisplayFormat("dd/MM/yyyy")
            w.setCalendarPopup(True)
        row = QHBoxLayout()
        row.addWidget(self.planned)
        row.addWidget(self.start)
        row.addWidget(QLabel("đến ngày"))
        row.addWidget(self.end)
        row.addStretch(1)
        layout.addLayout(row)
        for b in (self.not_visited, self.planned):
            self.group.addButton(b)
        self.not_visited.setChecked(True)
        self.inactive = QCheckBox("In cả doanh nghiệp đã &giải thể hoặc đã chuyển đi")
        layout.addWidget(self.inactive)
        # how many pages, before anything is printed (counted in a worker as the choice changes)
        self.count = QLabel("Đang đếm…")
        self.count.setObjectName("print_batch_count")
        self.count.setWordWrap(True)
        layout.addWidget(self.count)
        self.pages: int | None = None
        self._generation = 0
        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(200)
        self._count_timer.timeout.connect(self._recount)
        for signal in (
            self.not_visited.toggled,
            self.months.valueChanged,
            self.start.dateChanged,
            self.end.dateChanged,
            self.inactive.toggled,
        ):
            signal.connect(lambda *_a: self._count_timer.start())
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&In")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Đóng")  # Esc
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.today = today
        self._recount()

    def _recount(self) -> None:
        from app.services.form_batches import select_enterprises

        self._generation += 1
        generation = self._generation
        self.pages = None
        if self.planned.isChecked() and self.start.date() > self.end.date():
            self.count.setText("Ngày bắt đầu phải trước ngày kết thúc.")
            return
        selection = self.selection()

        def done(n: int) -> None:
            if generation != self._generation:
                return
            from app.gui.printing import pages_text

            self.pages = n
            self.count.setText(
                f"Sẽ in {pages_text(n * (2 if self.feature.marks else 1), 2 if self.feature.marks else 1)}."
                if n
                else "Không có doanh nghiệp nào khớp điều kiện đã chọn."
            )

        self.window.tasks.read(
            lambda store: len(select_enterprises(store, selection)),
            done,
            lambda f: self.count.setText(f"Không đếm được: {f.exception}"),
        )

    def selection(self):
        from app.services.form_batches import FormSelection

        unit = self.window.profile.unit_code
        if self.not_visited.isChecked():
            return FormSelection(
                unit_code=unit,
                not_visited_months=self.months.value(),
                include_inactive=self.inactive.isChecked(),
                today=self.today,
            )
        return FormSelection(
            unit_code=unit,
            planned_from=_pydate(self.start.date()),
            planned_to=_pydate(self.end.date()),
            include_inactive=self.inactive.isChecked(),
            today=self.today,
        )

    def accept(self) -> None:
        from app.gui.printing import run_batch

        if self.planned.isChecked() and self.start.date() > self.end.date():
            self.window.show_error("Khoảng ngày không đúng", "Ngày bắt đầu phải trước ngày kết thúc.")
            return
        selection = self.selection()
        super().accept()
        run_batch(self.window, selection)


PERIODS = [
    ("year", "Cả năm"),
    ("h1", "6 tháng đầu năm"),
    ("m9", "9 tháng đầu năm"),
    ("q1", "Quý I"),
    ("q2", "Quý II"),
    ("q3", "Quý III"),
    ("q4", "Quý IV"),
]


def period_of(year: int, key: str):
    from app.reports.results import Period

    ends = {
        "year": (1, 12),
        "h1": (1, 6),
        "m9": (1, 9),
        "q1": (1, 3),
        "q2": (4, 6),
        "q3": (7, 9),
        "q4": (10, 12),
    }
    first, last = ends[key]
    import calendar

    return Period(date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1]))


class ReportDialog(QDialog):
    """Year and period, unit (this machine's, or a ward of its province for a province office), files."""

    def __init__(self, window: MainWindow, feature: Any):
        super().__init__(window)
        self.window = window
        self.setObjectName("print_report_dialog")
        self.setWindowTitle("Báo cáo kết quả so với chỉ tiêu")
        fit_title(self)
        today = feature.today()
        form = QFormLayout(self)
        self.year = QSpinBox()
        self.year.setRange(2000, 2100)
        self.year.setValue(today.year)
        form.addRow("&Năm:", self.year)
        self.period = QComboBox()
        for key, label in PERIODS:
            self.period.addItem(label, key)
        form.addRow("&Kỳ báo cáo:", self.period)
        self.unit = QComboBox()
        own = window.profile.unit_code
        u = units.unit(own)
        if u is not None:
            self.unit.addItem(f"{u.name} ({u.code})", u.code)
            if u.is_province:
                for w in units.wards(u.code):
                    self.unit.addItem(f"{w.name} ({w.code})", w.code)
        form.addRow("Đơn &vị:", self.unit)
        self.number = QLineEdit()
        self.number.setPlaceholderText("để trống cho văn thư ghi")
        form.addRow("&Số văn bản:", self.number)
        self.pdf = QCheckBox("Văn bản PDF (mở để in)")
        self.pdf.setChecked(True)
        self.xlsx = QCheckBox("Bảng Excel")
        form.addRow("Tệp:", self.pdf)
        form.addRow("", self.xlsx)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Lập báo cáo")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Đóng")  # Esc
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)

    def accept(self) -> None:
        from app.gui.printing import run_report

        if not (self.pdf.isChecked() or self.xlsx.isChecked()):
            self.window.show_error("Chưa chọn tệp", "Hãy chọn văn bản PDF, bảng Excel, hoặc cả hai.")
            return
        unit = self.unit.currentData()
        if not unit:
            from app.gui.remedies import SETUP

            self.window.show_error("Chưa có đơn vị", "Máy chưa thiết lập đơn vị.", remedy=SETUP)
            return
        period = period_of(self.year.value(), self.period.currentData())
        number = self.number.text().strip() or None
        super().accept()
        run_report(
            self.window, unit, period, pdf=self.pdf.isChecked(), xlsx=self.xlsx.isChecked(), number=number
        )


class ReportSettingsDialog(QDialog):
    """The report settings of this office (``report.*`` in the settings table)."""

    def __init__(self, window: MainWindow, settings: Any, given: dict[str, str] | None = None):
        super().__init__(window)
        from app.domain.vocab import DocStyle

        # local keys set by an office above ("report.style" -> "do ... giao"): shown, not editable
        self.given = dict(given or {})

        self.window = window
        self.setObjectName("report_settings_dialog")
        self.setWindowTitle("Thiết lập báo cáo")
        self.setMinimumWidth(560)
        form = QFormLayout(self)
        self.style = QComboBox()
        for s in DocStyle:
            self.style.addItem(s.label, s.value)
        self.style.setCurrentIndex(self.style.findData(settings.style.value))
        form.addRow("&Thể thức:", self.style)
        self.rounding = QComboBox()
        self.rounding.addItem("Làm tròn (16/15 vượt 6,67%)", "half_up")
        self.rounding.addItem("Cắt bớt (16/15 vượt 6,66%)", "truncate")
        self.rounding.setCurrentIndex(self.rounding.findData(settings.rounding.value))
        form.addRow("Tỷ lệ &phần trăm:", self.rounding)
        self.low, self.high = QSpinBox(), QSpinBox()
        for box, value in ((self.low, settings.thresholds[0]), (self.high, settings.thresholds[1])):
            box.setRange(1, 1_000_000)
            box.setValue(value)
            box.setSuffix(" lao động")
        row = QHBoxLayout()
        row.addWidget(self.low)
        row.addWidget(QLabel("và"))
        row.addWidget(self.high)
        row.addStretch(1)
        label = QLabel("&Ngưỡng quy mô:")
        label.setBuddy(self.low)
        form.addRow(label, row)
        for key, widgets in (
            ("report.style", (self.style,)),
            ("report.rounding", (self.rounding,)),
            ("report.workforce_thresholds", (self.low, self.high)),
        ):
            for w in widgets:
                if key in self.given:
                    w.setEnabled(False)
                    # "Do Trần Văn Nam giao" (str.capitalize would lower-case the name)
                    w.setToolTip(
                        f"{self.given[key][:1].upper()}{self.given[key][1:]}: máy này không sửa được"
                    )
        if self.given:
            note = QLabel(
                "Giá trị mờ do cơ quan cấp trên đặt (" + "; ".join(sorted(set(self.given.values()))) + ")."
            )
            note.setObjectName("report_settings_given")
            note.setWordWrap(True)
            form.addRow(note)
        self.superior = QLineEdit(settings.superior_body or "")
        form.addRow("Cơ quan &cấp trên:", self.superior)
        self.issuing = QLineEdit(settings.issuing_body)
        form.addRow("Cơ quan &ban hành:", self.issuing)
        self.code = QLineEdit(settings.number_code)
        form.addRow("&Ký hiệu văn bản:", self.code)
        self.place = QLineEdit(settings.place)
        form.addRow("Đị&a danh:", self.place)
        self.capacity = QLineEdit(" / ".join(settings.signer_capacity))
        self.capacity.setToolTip("Các dòng trên chữ ký, cách nhau bằng « / », ví dụ: T/M ĐẢNG ỦY / BÍ THƯ")
        form.addRow("Thẩm &quyền ký:", self.capacity)
        self.signer = QLineEdit(settings.signer_name)
        self.signer.setPlaceholderText("để trống để ký và ghi tên bằng tay")
        form.addRow("N&gười ký:", self.signer)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Lưu")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Đóng")  # Esc
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)

    def values(self) -> dict[str, Any]:
        """What the dialog saves: every field but those an office above set."""
        return {k: v for k, v in self._all_values().items() if k not in self.given}

    def _all_values(self) -> dict[str, Any]:
        from app.domain.text import clean

        # "T/M ĐẢNG ỦY / BÍ THƯ": split on " / " (a slash inside "T/M" has no spaces around it)
        capacity = [clean(p) for p in self.capacity.text().split(" / ") if clean(p)]
        return {
            "report.style": self.style.currentData(),
            "report.rounding": self.rounding.currentData(),
            "report.workforce_thresholds": [self.low.value(), self.high.value()],
            "report.superior_body": clean(self.superior.text()),
            "report.issuing_body": clean(self.issuing.text()),
            "report.number_code": clean(self.code.text()),
            "report.place": clean(self.place.text()),
            "report.signer_capacity": capacity,
            "report.signer_name": clean(self.signer.text()),
        }

    def accept(self) -> None:
        from app.gui.printing import save_report_settings

        if self.low.value() >= self.high.value():
            self.window.show_error(
                "Ngưỡng không đúng", "Ngưỡng quy mô thứ nhất phải nhỏ hơn ngưỡng thứ hai (ví dụ 20 và 500)."
            )
            return
        values = self.values()
        super().accept()
        save_report_settings(self.window, values)
