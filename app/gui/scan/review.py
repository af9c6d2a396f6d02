"""The review of pages read from paper: each value beside the image of its area, then save.

Left, the pages read (a refused page says why). Right, the current page: its enterprise, then one
row per field with the image of its area on the form, the value read (or offered) in an editor,
and what the reader thought of it. Rows that need a person come first: uncertain marks (two
bubbles in a column, a faint or erased mark, a required field left empty), then the handwriting to
type; the values read with confidence follow, so they can be checked too.

Keyboard: Enter confirms the field (as read, or as corrected) and goes to the next one that needs
a person; Ctrl++ / Ctrl+- enlarge or shrink the image of the field being looked at (the one whose
editor has the focus; the zoom follows the focus to the next field), Ctrl+0 fits it again;
Ctrl+S saves the page as a visit (through ``app.services.scanning.save_scanned``: the
validation and change log of a typed visit); Ctrl+PgDown / Ctrl+PgUp go to the next or previous
page. A page cannot be saved while an uncertain field is unconfirmed.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QImage, QIntValidator, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.gui.scan import ReviewItem

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

IMAGE_W, IMAGE_H = 400, 190
NEEDS = "needs"  # an uncertain mark: must be confirmed
TYPE = "type"  # handwriting: typed by the person (may stay empty)
READ_OK = "read"


# zoom steps of the image of the field being looked at (1: fitted in IMAGE_W x IMAGE_H)
ZOOMS = (1.0, 1.5, 2.0, 3.0, 4.0)


def qimage(image: Any) -> QImage:
    """A PIL image as a grey QImage at its own size (GUI thread)."""
    img = image.convert("L")
    return QImage(img.tobytes(), img.width, img.height, img.width, QImage.Format.Format_Grayscale8).copy()


def pixmap(image: Any, zoom: float = 1.0) -> QPixmap:
    """The image fitted in IMAGE_W x IMAGE_H, times ``zoom``; never more than twice its own pixels."""
    q = image if isinstance(image, QImage) else qimage(image)
    fit = min(1.0, IMAGE_W / max(q.width(), 1), IMAGE_H / max(q.height(), 1))
    k = min(fit * zoom, 2.0)
    if abs(k - 1.0) < 1e-6:
        return QPixmap.fromImage(q)
    w, h = max(1, round(q.width() * k)), max(1, round(q.height() * k))
    return QPixmap.fromImage(
        q.scaled(w, h, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation)
    )


def _shown(value: Any, kind: str) -> str:
    from app.domain.vnformat import format_date

    if value is None:
        return ""
    if kind == "date":
        return format_date(value)
    return str(value)


class _Row:
    """One field of the page: its editor and whether a person has confirmed it."""

    def __init__(self, dialog: ReviewDialog, read: Any, crop: Any):
        from app.scan import marks

        self.dialog = dialog
        self.read = read
        f = self.field = read.field
        self.state = (
            NEEDS if read.status == marks.UNCERTAIN else TYPE if read.status == marks.TEXT else READ_OK
        )
        self.confirmed = self.state == READ_OK
        value = read.value if read.status in (marks.OK, marks.EMPTY) else read.suggestion
        image = QLabel()
        image.setObjectName(f"image_{f.name}")
        self.source = qimage(crop) if crop is not None else None  # the area at the reader's resolution
        self.zoom = 1.0
        if self.source is not None:
            image.setPixmap(pixmap(self.source))
        label = QLabel(f"<b>{f.number}. {f.label}</b>")
        label.setWordWrap(True)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.editor: QWidget
        if f.kind in ("yesno", "choice"):
            combo = QComboBox()
            options = [("", "(để trống)")]
            options += [(True, "Có"), (False, "Chưa")] if f.kind == "yesno" else list(f.choices)
            for data, text in options:
                combo.addItem(text, data)
            combo.setCurrentIndex(next((i for i, (d, _) in enumerate(options) if d == value and d != ""), 0))
            combo.installEventFilter(dialog.enter_filter)
            combo.currentIndexChanged.connect(lambda _=0: self.changed())
            self.editor = combo
        else:
            line = QLineEdit(_shown(value, f.kind))
            if f.kind == "count":
                # the declared bound, not the columns' (a person corrects a figure the paper could not hold)
                top = f.maximum if f.maximum is not None else 10**f.digits - 1
                line.setValidator(QIntValidator(0, min(top, 2**31 - 1), line))
                line.setPlaceholderText("số, để trống nếu không rõ")
            elif f.kind == "date":
                line.setPlaceholderText("ngày/tháng/năm")
            else:
                line.setPlaceholderText("gõ lại chữ viết tay trong ảnh")
            line.returnPressed.connect(lambda: dialog.confirm(self))
            line.textEdited.connect(lambda _=None: self.changed())
            self.editor = line
        self.editor.setObjectName(f"edit_{f.name}")
        self.editor.installEventFilter(dialog.focus_filter)
        self.editor.setMinimumWidth(170)
        self.image = image
        self.panel = QWidget()
        self.panel.setFixedWidth(250)
        box = QVBoxLayout(self.panel)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(label)
        box.addWidget(self.editor)
        box.addWidget(self.note)
        box.addStretch(1)
        self.refresh()

    def set_zoom(self, zoom: float) -> None:
        """Show the image of the area ``zoom`` times its fitted size."""
        if self.source is None or zoom == self.zoom:
            return
        self.zoom = zoom
        self.image.setPixmap(pixmap(self.source, zoom))

    def changed(self) -> None:
        if self.state == NEEDS and self.confirmed:
            self.confirmed = False
            self.refresh()

    def refresh(self) -> None:
        if self.state == NEEDS:
            text = f"<span style='color:#a00'>Cần xem: {self.read.reason}</span>"
            if self.confirmed:
                text = f"<span style='color:#060'>✓ Đã xác nhận.</span> {self.read.reason}"
        elif self.state == TYPE:
            text = "Gõ lại chữ viết tay (để trống nếu không ghi gì)." + (" ✓" if self.confirmed else "")
        else:
            text = f"Máy đọc chắc chắn (độ tin cậy {round(100 * self.read.confidence)}%)."
        self.note.setText(text)

    def value(self) -> Any:
        """The value in the editor; raises ValueError with a Vietnamese message."""
        from app.domain.vnformat import parse_date

        f = self.field
        if isinstance(self.editor, QComboBox):
            data = self.editor.currentData()
            return None if data == "" else data
        text = self.editor.text().strip()
        if f.kind == "count":
            from app.domain.vnformat import parse_int

            try:
                return parse_int(text)
            except ValueError as exc:
                raise ValueError(f"{f.label}: {exc}") from None
        if f.kind == "date":
            try:
                return parse_date(text, today=self.dialog.today())
            except ValueError as exc:
                raise ValueError(f"{f.label}: {exc}") from None
        return text or None


class _EnterFilter(QObject):
    """Enter on a combo box confirms its field (a line edit has returnPressed)."""

    def __init__(self, dialog: ReviewDialog):
        super().__init__(dialog)
        self.dialog = dialog

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):  # type: ignore[attr-defined]
            for row in self.dialog.rows:
                if row.editor is obj:
                    self.dialog.confirm(row)
                    return True
        return False


TITLE = "Đọc phiếu đã điền: xem lại rồi lưu"


class _FocusFilter(QObject):
    """The zoom follows the field being looked at: the editor that takes the focus."""

    def __init__(self, dialog: ReviewDialog):
        super().__init__(dialog)
        self.dialog = dialog

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn:
            for row in self.dialog.rows:
                if row.editor is obj:
                    self.dialog.look_at(row)
                    break
        return False


class ReviewDialog(QDialog):
    def __init__(self, window: MainWindow, items: list[ReviewItem]):
        super().__init__(window)
        self.window_ = window
        self.items = items
        self.rows: list[_Row] = []
        self.current = -1
        self.today = date.today
        self._saving = False
        self.enter_filter = _EnterFilter(self)
        self.focus_filter = _FocusFilter(self)
        self.zoom = ZOOMS[0]  # of the image of the field being looked at
        self.looked_at: _Row | None = None
        self.setObjectName("scan_review")
        self.setWindowTitle(TITLE)
        self.setModal(False)

        self.pages = QListWidget()
        self.pages.setObjectName("pages")
        self.pages.setMinimumWidth(150)
        self.pages.setMaximumWidth(240)
        for _ in items:
            self.pages.addItem(QListWidgetItem())
        self.pages.currentRowChanged.connect(self.show_item)

        self.title = QLabel()
        self.title.setObjectName("title")
        self.title.setWordWrap(True)
        self.enterprise = QLineEdit()
        self.enterprise.setObjectName("enterprise")
        self.enterprise.setPlaceholderText("phiếu trống: gõ mã số thuế của doanh nghiệp")
        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #a00")
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        self.scroll = scroll

        self.save_button = QPushButton("&Lưu lượt khảo sát (Ctrl+S)")
        self.save_button.setObjectName("save")
        self.save_button.clicked.connect(self.save)
        next_button = QPushButton("Trang &sau (Ctrl+PgDown)")
        next_button.clicked.connect(lambda: self.go(1))
        close_button = QPushButton("Đó&ng")
        close_button.clicked.connect(self.close)
        self.zoom_label = QLabel()
        self.zoom_label.setObjectName("zoom")
        self.zoom_label.setStyleSheet("color: #555")
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(next_button)
        buttons.addStretch(1)
        buttons.addWidget(self.zoom_label)
        buttons.addWidget(close_button)

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.addWidget(self.title)
        rl.addWidget(self.enterprise)
        rl.addWidget(self.message)
        rl.addWidget(scroll, 1)
        rl.addLayout(buttons)
        split = QSplitter()
        split.addWidget(self.pages)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(split)

        QShortcut(QKeySequence("Ctrl+S"), self, activated=self.save)
        QShortcut(QKeySequence("Ctrl+PgDown"), self, activated=lambda: self.go(1))
        QShortcut(QKeySequence("Ctrl+PgUp"), self, activated=lambda: self.go(-1))
        zoom_keys = (("Ctrl++", 1), ("Ctrl+=", 1), ("Ctrl+Num++", 1), ("Ctrl+-", -1), ("Ctrl+Num+-", -1))
        for keys, step in (*zoom_keys, ("Ctrl+0", 0)):
            QShortcut(QKeySequence(keys), self, activated=lambda step=step: self.zoom_step(step))
        self.show_zoom()

        screen = window.screen().availableGeometry() if window.screen() else None
        w, h = 1120, 760
        if screen is not None:
            w, h = min(w, screen.width() - 20), min(h, screen.height() - 40)
        self.resize(w, h)
        for i in range(len(items)):
            self.label_page(i)
        first = next((i for i, it in enumerate(items) if it.form is not None), 0)
        self.pages.setCurrentRow(first)

    # --- zoom on the image of the field being looked at --------------------------------------------

    def zoom_step(self, step: int) -> None:
        """Ctrl++ (1), Ctrl+- (-1), Ctrl+0 (0: fitted)."""
        if step == 0:
            self.zoom = ZOOMS[0]
        else:
            i = ZOOMS.index(self.zoom) + step
            self.zoom = ZOOMS[max(0, min(len(ZOOMS) - 1, i))]
        row = self.looked_at
        if row is not None:
            row.set_zoom(self.zoom)
            self.scroll.ensureWidgetVisible(row.image, 10, 10)
            self.scroll.ensureWidgetVisible(row.editor)
        self.show_zoom()

    def look_at(self, row: _Row) -> None:
        """``row``'s editor has the focus: its image takes the zoom, the one looked at before fits again."""
        if self.looked_at is not None and self.looked_at is not row and self.looked_at in self.rows:
            self.looked_at.set_zoom(ZOOMS[0])
        self.looked_at = row
        row.set_zoom(self.zoom)
        self.show_zoom()

    def show_zoom(self) -> None:
        pct = round(100 * self.zoom)
        self.zoom_label.setText(f"Ảnh {pct}% · Ctrl++ phóng to · Ctrl+− thu nhỏ · Ctrl+0 vừa")
        self.zoom_label.setToolTip("Phóng to, thu nhỏ ảnh của mục đang xem (mục có con trỏ)")

    def new_body(self) -> None:
        """A fresh widget for the rows of one page; ``scroll.setWidget`` (after the rows are in it,
        so that the scroll area sizes it whole) deletes the previous one."""
        self.body = QWidget()
        self.grid = QGridLayout(self.body)
        self.grid.setColumnStretch(2, 1)

    # --- pages ---------------------------------------------------------------------------------

    def label_page(self, i: int) -> None:
        item = self.items[i]
        where = item.page.where
        if item.saved_visit:
            text = f"✓ {where}\nđã lưu"
        elif item.form is None:
            text = f"✗ {where}\nkhông đọc được"
        else:
            e = item.form.enterprise
            name = e.name if e else "phiếu trống"
            n = len(item.form.uncertain)
            text = f"{where}\n{name}\n" + (f"{n} mục cần xem" if n else "đọc đủ, chờ lưu")
        self.pages.item(i).setText(text)

    def go(self, step: int) -> None:
        if self.items:
            self.pages.setCurrentRow(max(0, min(len(self.items) - 1, self.current + step)))

    def show_item(self, i: int) -> None:
        if i < 0 or i >= len(self.items):
            return
        self.current = i
        self.rows = []
        self.looked_at = None
        self.new_body()
        item = self.items[i]
        self.message.setText("")
        self.enterprise.setVisible(False)
        self.setWindowTitle(TITLE)
        if item.form is None:
            self.scroll.setWidget(self.body)
            self.title.setText(f"<b>{item.page.where}</b>: không đọc được.<br>{item.problem}")
            self.save_button.setEnabled(False)
            return
        form = item.form
        e = form.enterprise
        who = f"<b>{e.name}</b> (MST {e.tax_code})" if e else "<b>Phiếu trống</b>"
        # the title names the enterprise the visit is saved for, as every form that writes for one does
        self.setWindowTitle(f"{TITLE} — {e.name} (MST {e.tax_code})" if e else f"{TITLE} — phiếu trống")
        warn = ""
        if form.same_day:
            warn = "<br><span style='color:#a60'>Doanh nghiệp này đã có lượt khảo sát cùng ngày: xem kỹ để khỏi nhập trùng.</span>"
        self.title.setText(f"{item.page.where}: {who}{warn}")
        self.enterprise.setVisible(e is None)
        order = {"needs": 0, "type": 1, "read": 2}
        reads = sorted(item.page.fields, key=lambda f: f.field.number)
        rows = [_Row(self, r, (item.crops or {}).get(r.field.name)) for r in reads]
        rows.sort(key=lambda row: (order[row.state], row.field.number))
        for r, row in enumerate(rows):
            self.grid.addWidget(row.image, r, 0, Qt.AlignmentFlag.AlignTop)
            self.grid.addWidget(row.panel, r, 1)
        self.rows = rows
        self.scroll.setWidget(self.body)
        saved = item.saved_visit is not None
        self.save_button.setEnabled(not saved)
        for row in rows:
            row.editor.setEnabled(not saved)
        if saved:
            self.message.setText("Trang này đã được lưu thành lượt khảo sát.")
            return
        self.focus_next(None)

    # --- confirming and saving --------------------------------------------------------------------

    def confirm(self, row: _Row) -> None:
        try:
            row.value()
        except ValueError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText("")
        row.confirmed = True
        row.refresh()
        self.focus_next(row)

    def focus_next(self, after: _Row | None) -> None:
        start = self.rows.index(after) + 1 if after in self.rows else 0
        for row in self.rows[start:] + self.rows[:start]:
            if not row.confirmed and row.state in (NEEDS, TYPE):
                row.editor.setFocus()
                self.scroll.ensureWidgetVisible(row.editor)
                return
        self.save_button.setFocus()

    def save(self) -> None:
        item = self.items[self.current] if 0 <= self.current < len(self.items) else None
        if item is None or item.form is None or item.saved_visit or self._saving:
            return  # (a save in flight: Enter on the last field saves, and Ctrl+S right after must not again)
        waiting = [row for row in self.rows if row.state == NEEDS and not row.confirmed]
        if waiting:
            self.message.setText(
                f"Còn {len(waiting)} mục cần xem: nhìn ảnh, sửa nếu cần rồi nhấn Enter để xác nhận "
                f"(đầu tiên: {waiting[0].field.number}. {waiting[0].field.label})."
            )
            waiting[0].editor.setFocus()
            return
        decisions: dict[str, Any] = {}
        try:
            for row in self.rows:
                decisions[row.field.name] = row.value()
        except ValueError as exc:
            self.message.setText(str(exc))
            return
        form = item.form
        if form.same_day:
            answer = QMessageBox.question(
                self,
                "Lưu thêm lượt khảo sát?",
                "Doanh nghiệp này đã có lượt khảo sát cùng ngày. Vẫn lưu trang này thành một lượt khảo sát mới?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        tax = self.enterprise.text().strip() if form.enterprise is None else ""
        if form.enterprise is None and not tax:
            self.message.setText("Phiếu trống: hãy gõ mã số thuế của doanh nghiệp ở ô phía trên.")
            self.enterprise.setFocus()
            return
        today = self.today()
        self.save_button.setEnabled(False)
        self._saving = True
        index = self.current

        def work(store):
            from app.services.enterprise_lookup import resolve_enterprise
            from app.services.scanning import save_scanned

            eid = resolve_enterprise(store, tax).id if tax else None
            return save_scanned(store, form, decisions, enterprise_id=eid, today=today)

        def done(saved: Any) -> None:  # Saved[Visit]: the window refreshes from its changes
            self._saving = False
            item.saved_visit = saved.record.id
            self.label_page(index)
            self.window_.show_status(f"Đã lưu lượt khảo sát từ {item.page.where}.")
            nxt = next(
                (i for i, it in enumerate(self.items) if it.form is not None and not it.saved_visit), None
            )
            if nxt is None:
                self.message.setText("Đã lưu hết các trang đọc được.")
                self.show_item(index)
            else:
                self.pages.setCurrentRow(nxt)

        def failed(failure: Any) -> None:
            from app.domain.validation import ValidationError
            from app.services.enterprise_lookup import SelectionError
            from app.services.scanning import Undecided

            self._saving = False
            self.save_button.setEnabled(True)
            exc = getattr(failure, "exception", failure)
            if isinstance(exc, ValidationError):
                self.message.setText("Chưa lưu: " + " ".join(p.message for p in exc.problems))
                for row in self.rows:
                    if any(p.field == row.field.name for p in exc.problems):
                        row.editor.setFocus()
                        break
            elif isinstance(exc, SelectionError | Undecided):
                self.message.setText(f"Chưa lưu: {exc}")
            else:
                from app.gui.failures import explain

                self.message.setText("Chưa lưu trang này (xem thông báo).")
                self.window_.show_error(
                    "Không lưu được", explain(failure, "Chưa lưu được trang phiếu này"), exc
                )

        self.window_.tasks.write(work, done, failed)
