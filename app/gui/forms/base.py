"""A keyboard-first record form: fields in paper order, live validation beside each field, drafts.

A form is a list of ``FieldSpec`` in the order of the printed form (that is also the Tab order).
Enter moves to the next field (Shift+Enter makes a new line in a multi-line field), Ctrl+S saves,
Esc closes (asking about unsaved changes). As you type, the form builds the record from the text,
runs the domain's own normalisation and validation (pure functions: no database, safe on the
GUI thread) and shows each problem in red beside its field; a field shows its message once it has
been touched, every field after a save attempt. Nothing invalid is saved: the save itself runs in
a worker through ``app.services.records`` which validates again.

A moment after each change the typed text is written as a draft (``app.gui.drafts``) in a worker;
saving or discarding removes it.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.domain.validation import Problem, ValidationError
from app.domain.vnformat import distance_text, far_from_today, format_date, format_int, parse_date, parse_int
from app.gui.drafts import Draft
from app.gui.tasks import TaskFailure
from app.storage.changes import Saved

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

ERROR_STYLE = "color: #b00020;"


class Kind(enum.Enum):
    TEXT = "text"
    MULTILINE = "multiline"
    INT = "int"
    DATE = "date"
    CHOICE = "choice"  # choices: [(value, label)], value None allowed for "chưa chọn"
    BOOL = "bool"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    kind: Kind = Kind.TEXT
    choices: tuple[tuple[Any, str], ...] = ()
    placeholder: str = ""
    required: bool = False
    width: int = 0  # 0: full width
    column: int = 0  # 0: left column; 1: right column (same row as the previous field)
    completer: tuple[str, ...] = ()
    group_digits: bool = True  # a number shown as 1.549 (not a year)


class _EnterMovesOn(QObject):
    """Enter moves to the next field; Shift+Enter is a new line in a multi-line field."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                mods = event.modifiers()
                if isinstance(obj, QPlainTextEdit) and mods & Qt.KeyboardModifier.ShiftModifier:
                    return False
                if mods & Qt.KeyboardModifier.ControlModifier:
                    return False
                if isinstance(obj, QComboBox) and obj.view().isVisible():
                    return False
                widget = obj if isinstance(obj, QWidget) else None
                if widget is not None:
                    widget.focusNextChild()
                    return True
            if isinstance(obj, QPlainTextEdit) and event.key() == Qt.Key.Key_Tab and not event.modifiers():
                obj.focusNextChild()
                return True
            if isinstance(obj, QPlainTextEdit) and event.key() == Qt.Key.Key_Backtab:
                obj.focusPreviousChild()
                return True
        return False


class RecordForm(QDialog):
    """Base of the record forms. Subclasses give FIELDS, ``build`` and ``save_fn``."""

    FORM = ""  # draft kind: "enterprise", "visit", ...
    FIELDS: list[FieldSpec] = []
    # A message about field A also shows once one of these other fields was touched
    # (cross-field rules: official + probationary = total, women <= workforce, ...).
    RELATED: dict[str, frozenset[str]] = {}

    sig_saved = Signal(object)  # the saved record
    sig_closed = Signal()

    def __init__(
        self,
        window: MainWindow,
        *,
        record_id: str,
        is_new: bool,
        title: str,
        context: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None,
        initial: dict[str, Any] | None = None,
        today: date | None = None,
    ):
        super().__init__(window)
        self.window_ = window
        self.record_id = record_id
        self.is_new = is_new
        self.context = dict(context or {})
        self.today = today or date.today()
        self.setObjectName(f"form_{self.FORM}")
        self.setWindowTitle(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setModal(False)
        self._title = title
        self._touched: set[str] = set()
        self._show_all = False
        self._saving = False
        self._closing_ok = False
        self.problems: list[Problem] = []
        self.widgets: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self._filter = _EnterMovesOn(self)

        self.banner = QFrame(self)
        self.banner.setObjectName("banner")
        self.banner.setStyleSheet("#banner { background: #fff4ce; border: 1px solid #e0c36c; }")
        banner_layout = QHBoxLayout(self.banner)
        self.banner_text = QLabel(self.banner)
        self.banner_text.setWordWrap(True)
        banner_layout.addWidget(self.banner_text, 1)
        self.banner_buttons = QHBoxLayout()
        banner_layout.addLayout(self.banner_buttons)
        self.banner.hide()

        grid_host = QWidget(self)
        grid = QGridLayout(grid_host)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(4, 1)
        grid.setHorizontalSpacing(8)
        row = -1
        order: list[QWidget] = []
        error_box: QVBoxLayout | None = None
        for spec in self.FIELDS:
            widget = self._make_widget(spec)
            widget.setObjectName(spec.name)
            self.widgets[spec.name] = widget
            order.append(widget)
            label = QLabel(("* " if spec.required else "") + spec.label, grid_host)
            label.setBuddy(widget)
            if spec.column == 0:
                row += 2
                col = 0
                # the messages of this row's fields, one under the other, across the whole width
                holder = QWidget(grid_host)
                error_box = QVBoxLayout(holder)
                error_box.setContentsMargins(0, 0, 0, 0)
                error_box.setSpacing(0)
                grid.addWidget(holder, row + 1, 1, 1, 4)
            else:
                col = 3
            error = QLabel(grid_host)
            error.setObjectName(f"error_{spec.name}")
            error.setStyleSheet(ERROR_STYLE)
            error.setWordWrap(True)
            error.hide()
            self.errors[spec.name] = error
            assert error_box is not None
            error_box.addWidget(error)
            grid.addWidget(
                label, row, col, alignment=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            )
            span = 4 if spec.column == 0 and not self._has_right(spec) else 1
            grid.addWidget(widget, row, col + 1, 1, span)
        for a, b in itertools.pairwise(order):
            QWidget.setTabOrder(a, b)
        grid.setRowStretch(row + 2, 1)  # room to spare goes below the last field, not between fields
        self._grid_host = grid_host

        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes from the last field back to the first
        scroll.setWidget(grid_host)
        # the fields always fit across (a long choice is cut in its box, app.gui.forms above): no
        # sideways scrollbar, not even the empty one QScrollArea leaves when the upright one appears
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.status = QLabel(self)
        self.status.setObjectName("form_status")
        self.status.setWordWrap(True)
        self.save_button = QPushButton("&Lưu (Ctrl+S)", self)
        self.save_button.setObjectName("save_button")
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        self.close_button = QPushButton("Đó&ng (Esc)", self)
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.close)
        self.save_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.close_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        self._extra_buttons(buttons)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)

        QShortcut(QKeySequence("Ctrl+S"), self, activated=self.save)

        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(600)
        self._draft_timer.timeout.connect(self.write_draft)

        self.set_values(initial or {})
        self._saved_values = self.values()
        if values:  # a restored draft: differs from what is stored
            self.set_values(values)
            self._touched = set(values)
        self.validate()
        margins = self.layout().contentsMargins()
        across = (
            grid_host.minimumSizeHint().width()
            + scroll.verticalScrollBar().sizeHint().width()
            + margins.left()
            + margins.right()
        )
        self.setMinimumWidth(min(self.WIDTH, across))  # narrower, fields would be cut off
        self.resize(self.WIDTH, self._fitting_height())
        self._focused_once = False

    # --- building -----------------------------------------------------------------------------

    MAX_HEIGHT = 640  # fits a 768-pixel screen with the task bar and the title bar
    WIDTH = 860  # fits a 1024-pixel screen

    def _fitting_height(self) -> int:
        """As tall as the fields need (a short form is a short window), at most MAX_HEIGHT."""
        margins = self.layout().contentsMargins()
        spacing = self.layout().spacing()
        need = (
            self._grid_host.sizeHint().height()
            + self.save_button.sizeHint().height()
            + margins.top()
            + margins.bottom()
            + 2 * spacing
            + 8
        )
        return min(self.MAX_HEIGHT, need)

    def _has_right(self, spec: FieldSpec) -> bool:
        idx = self.FIELDS.index(spec)
        return idx + 1 < len(self.FIELDS) and self.FIELDS[idx + 1].column == 1

    def _extra_buttons(self, layout: QHBoxLayout) -> None:
        """Subclasses add buttons (e.g. "Lưu và nhập tiếp")."""

    def _make_widget(self, spec: FieldSpec) -> QWidget:
        if spec.kind == Kind.MULTILINE:
            w: QWidget = QPlainTextEdit(self)
            w.setTabChangesFocus(True)
            w.setFixedHeight(54)
            w.setPlaceholderText(spec.placeholder)
            w.textChanged.connect(lambda n=spec.name: self._changed(n))
        elif spec.kind == Kind.CHOICE:
            w = QComboBox(self)
            # not as wide as its longest choice (an industry's name): an 860-pixel form then fits a
            # 1024-pixel screen without a sideways scrollbar; a long choice is cut with "…" in the
            # box, whole in its list and in the box's tooltip
            w.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            w.setMinimumContentsLength(16)
            for value, label in spec.choices:
                w.addItem(label, value)
            w.view().setMinimumWidth(w.view().sizeHintForColumn(0) + 2 * w.view().frameWidth())
            w.setToolTip(w.currentText())
            w.currentTextChanged.connect(w.setToolTip)
            w.currentIndexChanged.connect(lambda _i, n=spec.name: self._changed(n))
        elif spec.kind == Kind.BOOL:
            w = QCheckBox(self)
            # as wide as its box: the focus ring (app.gui.focus) then surrounds the box, not the row
            w.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            w.toggled.connect(lambda _c, n=spec.name: self._changed(n))
        else:
            w = QLineEdit(self)
            w.setPlaceholderText(
                spec.placeholder or {Kind.DATE: "ngày/tháng/năm", Kind.INT: "số"}.get(spec.kind, "")
            )
            if spec.kind in (Kind.INT, Kind.DATE):
                w.setMaximumWidth(140)
            if spec.kind == Kind.DATE:
                # leaving the box shows how the date was read: "15/1/27" becomes "15/01/2027"
                w.editingFinished.connect(lambda n=spec.name: self._show_date_as_read(n))
            if spec.completer:
                from PySide6.QtWidgets import QCompleter

                completer = QCompleter(list(spec.completer), w)
                completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
                completer.setFilterMode(Qt.MatchFlag.MatchContains)
                w.setCompleter(completer)
            w.textChanged.connect(lambda _t, n=spec.name: self._changed(n))
        if spec.width:
            w.setMaximumWidth(spec.width)
        w.installEventFilter(self._filter)
        return w

    # --- values -------------------------------------------------------------------------------

    def field_text(self, name: str) -> Any:
        w = self.widgets[name]
        if isinstance(w, QPlainTextEdit):
            return w.toPlainText()
        if isinstance(w, QComboBox):
            value = w.currentData()
            return value.value if isinstance(value, enum.Enum) else value
        if isinstance(w, QCheckBox):
            return w.isChecked()
        return w.text()  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        return {spec.name: self.field_text(spec.name) for spec in self.FIELDS}

    def set_values(self, values: dict[str, Any]) -> None:
        for spec in self.FIELDS:
            if spec.name not in values:
                continue
            value = values[spec.name]
            w = self.widgets[spec.name]
            w.blockSignals(True)
            if isinstance(w, QPlainTextEdit):
                w.setPlainText(value or "")
            elif isinstance(w, QComboBox):
                raw = value.value if isinstance(value, enum.Enum) else value
                idx = next(
                    (
                        i
                        for i in range(w.count())
                        if (w.itemData(i).value if isinstance(w.itemData(i), enum.Enum) else w.itemData(i))
                        == raw
                    ),
                    0,
                )
                w.setCurrentIndex(idx)
                w.setToolTip(w.currentText())  # its signals are blocked here
            elif isinstance(w, QCheckBox):
                w.setChecked(bool(value))
            else:
                w.setText(self._as_text(spec, value))  # type: ignore[attr-defined]
            w.blockSignals(False)

    @staticmethod
    def _as_text(spec: FieldSpec, value: Any) -> str:
        if value is None:
            return ""
        if spec.kind == Kind.DATE and isinstance(value, date):
            return format_date(value)
        if spec.kind == Kind.INT and isinstance(value, int):
            return format_int(value) if spec.group_digits else str(value)
        return str(value)

    @staticmethod
    def record_values(record: Any, specs: list[FieldSpec]) -> dict[str, Any]:
        return {s.name: getattr(record, s.name) for s in specs if hasattr(record, s.name)}

    @property
    def dirty(self) -> bool:
        return self.values() != self._saved_values

    # --- parsing and validation ---------------------------------------------------------------

    def parsed(self) -> tuple[dict[str, Any], list[Problem]]:
        """Field values as Python values, and the problems of text that does not parse."""
        return self._parse(self.values())

    def _parse(self, texts: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
        out: dict[str, Any] = {}
        problems: list[Problem] = []
        for spec in self.FIELDS:
            raw = texts.get(spec.name)
            if raw is None and spec.kind in (Kind.TEXT, Kind.MULTILINE, Kind.INT, Kind.DATE):
                raw = ""
            try:
                if spec.kind == Kind.INT:
                    out[spec.name] = parse_int(raw)
                elif spec.kind == Kind.DATE:
                    out[spec.name] = parse_date(raw, self.today)
                elif spec.kind in (Kind.TEXT, Kind.MULTILINE):
                    out[spec.name] = raw if raw.strip() else None
                else:
                    out[spec.name] = raw
            except ValueError as exc:
                problems.append(Problem(spec.name, f"{spec.label}: {exc}"))
                out[spec.name] = None
        return out, problems

    # The three hooks every form gives (Qt's metaclass rules out abc here; a test checks each form has them).
    HOOKS = ("build", "domain_problems", "save_fn")

    def build(self, values: dict[str, Any]) -> Any:
        """The record from parsed values."""
        raise NotImplementedError(f"{type(self).__name__} must define build()")

    def domain_problems(self, record: Any) -> list[Problem]:
        """Normalise and validate with the domain rules."""
        raise NotImplementedError(f"{type(self).__name__} must define domain_problems()")

    def validate(self) -> list[Problem]:
        values, problems = self.parsed()
        bad = {p.field for p in problems}
        try:
            record = self.build(values)
            problems += [p for p in self.domain_problems(record) if p.field not in bad]
        except (ValueError, TypeError) as exc:  # a form's own bug: never Python's words beside a box
            from app.gui.failures import unexpected

            problems.append(
                Problem(self.FIELDS[0].name, unexpected("Chưa kiểm tra được các ô của biểu mẫu", exc))
            )
        self.problems = problems
        self._show_problems()
        return problems

    def _show_problems(self) -> None:
        by_field: dict[str, list[str]] = {}
        for p in self.problems:
            name = p.field if p.field in self.errors else self.FIELDS[0].name
            by_field.setdefault(name, []).append(p.message)
        for name, label in self.errors.items():
            messages = by_field.get(name)
            visible = bool(messages) and self._should_show(name)
            label.setText("\n".join(messages or []))
            label.setVisible(visible)
        shown = sum(1 for n in by_field if self._should_show(n))
        if shown:
            self.status.setText(f"Còn {shown} chỗ cần sửa (xem chữ đỏ bên cạnh ô).")
            self.status.setStyleSheet(ERROR_STYLE)
        elif not self._saving:
            self.status.setText("Có thay đổi chưa lưu." if self.dirty else "")
            self.status.setStyleSheet("")

    def _should_show(self, name: str) -> bool:
        return (
            self._show_all
            or name in self._touched
            or bool(self.RELATED.get(name, frozenset()) & self._touched)
        )

    def _changed(self, name: str) -> None:
        self._touched.add(name)
        self.validate()
        self.on_field_changed(name)
        self._draft_timer.start()

    def on_field_changed(self, name: str) -> None:
        """Subclasses react to a field (e.g. duplicate check)."""

    def _show_date_as_read(self, name: str) -> None:
        w = self.widgets[name]
        try:
            value = parse_date(w.text(), self.today)  # type: ignore[attr-defined]
        except ValueError:
            return  # the message beside the field says what is wrong
        text = format_date(value)
        if value is not None and w.text() != text:  # type: ignore[attr-defined]
            w.setText(text)  # type: ignore[attr-defined]

    def far_dates(self, values: dict[str, Any]) -> list[tuple[FieldSpec, date]]:
        """Dates typed in this form (changed from what is stored) that lie far from today."""
        saved, _ = self._parse(self._saved_values)
        return [
            (spec, values[spec.name])
            for spec in self.FIELDS
            if spec.kind == Kind.DATE
            and values.get(spec.name) != saved.get(spec.name)
            and far_from_today(values.get(spec.name), self.today)
        ]

    # --- drafts -------------------------------------------------------------------------------

    @property
    def draft_key(self) -> str:
        return f"{self.FORM}-{self.record_id}"

    def write_draft(self) -> None:
        if not self.dirty:
            self.discard_draft()
            return
        draft = Draft(
            key=self.draft_key,
            form=self.FORM,
            title=self._title,
            record_id=self.record_id,
            is_new=self.is_new,
            context=self.context,
            values=self.values(),
        )
        drafts = self.window_.drafts
        self.window_.tasks.call(lambda: drafts.save(draft), on_error=self._draft_failed)

    def discard_draft(self) -> None:
        self._draft_timer.stop()
        drafts, key = self.window_.drafts, self.draft_key
        self.window_.tasks.call(lambda: drafts.discard(key), on_error=self._draft_failed)

    def _draft_failed(self, failure: TaskFailure) -> None:
        self.status.setText(f"Không ghi được bản nháp: {failure.message or failure.exception}")
        self.status.setStyleSheet(ERROR_STYLE)

    # --- saving -------------------------------------------------------------------------------

    def save(self, then: Callable[[Any], None] | None = None) -> bool:
        """Validate and, if clean, save in a worker. Returns False if there were problems."""
        if self._saving:
            return False
        self._show_all = True
        problems = self.validate()
        if problems:
            self._focus_field(problems[0].field)
            return False
        values, _ = self.parsed()
        far = self.far_dates(values)
        if far:
            self._ask_far_dates(far, lambda: self._save_checked(values, then))
            return True
        self._save_checked(values, then)
        return True

    def _save_checked(self, values: dict[str, Any], then: Callable[[Any], None] | None) -> None:
        record = self.build(values)
        if self.before_save(record, lambda: self._do_save(record, then)):
            self._do_save(record, then)

    def _ask_far_dates(self, far: list[tuple[FieldSpec, date]], proceed: Callable[[], None]) -> None:
        """A date more than a year from today is often a slip (a two-digit year, one digit wrong): ask."""
        lines = "\n".join(
            f"• {spec.label}: {format_date(value)} ({distance_text(value, self.today)})"
            for spec, value in far
        )
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Kiểm tra ngày",
            f"Ngày đã nhập cách xa hôm nay ({format_date(self.today)}):\n\n{lines}\n\nĐúng là ngày này chứ?",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        box.setObjectName("far_date_box")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        keep = box.addButton("Đúng, &lưu", QMessageBox.ButtonRole.AcceptRole)
        fix = box.addButton("&Sửa lại", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(fix)
        first = far[0][0].name

        def clicked(button: Any) -> None:
            if button is keep:
                proceed()
            else:
                self._focus_field(first)

        box.buttonClicked.connect(clicked)
        box.open()
        self.far_date_box = box

    def before_save(self, record: Any, proceed: Callable[[], None]) -> bool:
        """Return False to hold the save (e.g. asking about a duplicate) and call ``proceed`` later."""
        return True

    def save_fn(self, store: Any, record: Any) -> Saved[Any]:
        """Write the record (run in a write worker): the record as written and what the write changed
        (the window refreshes from that, ``app/gui/tasks.py``)."""
        raise NotImplementedError(f"{type(self).__name__} must define save_fn()")

    def _do_save(self, record: Any, then: Callable[[Any], None] | None) -> None:
        self._saving = True
        self.save_button.setEnabled(False)
        self.status.setStyleSheet("")
        self.status.setText("Đang lưu…")

        def done(saved: Saved[Any]) -> None:
            self._saving = False
            self.save_button.setEnabled(True)
            self._saved_values = self.values()
            self.discard_draft()
            self.status.setText("Đã lưu.")
            self.sig_saved.emit(saved.record)
            if then is not None:
                then(saved.record)
            else:
                self._closing_ok = True
                self.close()

        def failed(failure: TaskFailure) -> None:
            self._saving = False
            self.save_button.setEnabled(True)
            exc = failure.exception
            if isinstance(exc, ValidationError):
                self.problems = exc.problems
                self._show_all = True
                self._show_problems()
                self._focus_field(exc.problems[0].field if exc.problems else self.FIELDS[0].name)
            else:
                self.status.setText("Chưa lưu được (xem thông báo); những gì đã gõ vẫn còn trong biểu mẫu.")
                self.status.setStyleSheet(ERROR_STYLE)
                self.window_.show_task_failure(failure)

        self.window_.tasks.write(lambda store: self.save_fn(store, record), done, failed)

    def _focus_field(self, name: str) -> None:
        w = self.widgets.get(name) or self.widgets[self.FIELDS[0].name]
        w.setFocus()
        if isinstance(w, QLineEdit):
            w.selectAll()

    # --- banner -------------------------------------------------------------------------------

    def show_banner(self, text: str, buttons: list[tuple[str, Callable[[], None]]]) -> None:
        while self.banner_buttons.count():
            item = self.banner_buttons.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.banner_text.setText(text)
        for label, fn in buttons:
            b = QPushButton(label, self.banner)
            b.setAutoDefault(False)
            b.clicked.connect(lambda _checked=False, f=fn: f())
            self.banner_buttons.addWidget(b)
        if self.banner.isHidden():
            self.banner.show()
            grow = self.banner.sizeHint().height() + self.layout().spacing()
            self.resize(self.width(), min(self.MAX_HEIGHT, self.height() + grow))

    def hide_banner(self) -> None:
        self.banner.hide()

    # --- closing ------------------------------------------------------------------------------

    def confirm_close(self) -> bool:
        """Ask about unsaved changes. True: the form may close."""
        if self._closing_ok or not self.dirty:
            return True
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Thay đổi chưa lưu",
            f"«{self._title}» có thay đổi chưa lưu. Lưu lại trước khi đóng?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("unsaved_box")
        box.button(QMessageBox.StandardButton.Save).setText("&Lưu")
        box.button(QMessageBox.StandardButton.Discard).setText("&Không lưu")
        box.button(QMessageBox.StandardButton.Cancel).setText("&Quay lại")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        if answer == QMessageBox.StandardButton.Save:
            self.save()
            return False  # closes itself once saved
        if answer == QMessageBox.StandardButton.Discard:
            self.discard_draft()
            self._closing_ok = True
            return True
        return False

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._focused_once and self.FIELDS:
            self._focused_once = True
            self._focus_field(self.FIELDS[0].name)  # the first box, its text selected: typing replaces it

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.confirm_close():
            self._draft_timer.stop()
            event.accept()
            self.sig_closed.emit()
        else:
            event.ignore()

    def reject(self) -> None:  # Esc
        self.close()
