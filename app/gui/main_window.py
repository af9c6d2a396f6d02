"""The main window: assembles the parts (list, detail, targets, forms, features); owns none of their logic.

Each feature lives in its own module and brings its own actions:
- ``app.gui.enterprises`` list, detail and the commands that open forms (``app.gui.window_actions``),
- ``app.gui.forms`` the enterprise, visit, organisation and admission forms (with drafts),
- ``app.gui.targets`` targets and progress,
- ``app.gui.help`` the user guide,
- ``app.gui.sync``, ``app.gui.printing``, ``app.gui.scan``, ``app.gui.importing``: the Đồng bộ and In ấn
  menus, reading filled-in forms and the list import, each an object on the window (``window.sync``,
  ``window.printing``, ``window.scan``, ``window.importing``) holding that feature's state.

What ``window`` (``app.gui.main_window.MainWindow``) offers a feature:

``window.actions``
    The ``ActionRegistry``: ``window.actions.add_menu("sync", "Đồng &bộ")`` adds a menu (before
    Help), ``window.actions.add(ActionSpec(key="sync.export", text="&Xuất gói dữ liệu...",
    handler=lambda w: ..., menu="sync", shortcut="Ctrl+E", tip="...", toolbar=True,
    enabled=lambda w: ...))`` adds an action whose menu entry, toolbar button, shortcut, tip and
    enabled state come from that one declaration. ``window.actions.update_states()`` re-checks
    the enabled predicates (the window does it on selection and data changes).
``window.tasks``
    The ``TaskRunner`` (``app.gui.tasks``). Never touch the database or files on the GUI thread:
    ``window.tasks.read(fn, on_done)``, ``window.tasks.write(fn, on_done)`` where ``fn(store)`` or
    ``fn(store, ctx)`` runs in a worker on its own ``Store``; ``window.tasks.run_with_progress(
    window, "Đang xuất...", fn, on_done)`` shows a cancellable progress dialog (``ctx.progress(done,
    total, text)``, ``ctx.check()``). A write's changes are announced on ``sig_data_changed``.
    ``window.tasks.call(fn, on_done)`` runs file work that needs no database.
``window.data_dir`` / ``window.db_path``
    The data folder (``pathlib.Path``) and the SQLite file in it.
``window.profile``
    ``app.storage.store.Profile`` of this laptop (laptop_id, collaborator, unit_code, role).
``window.sig_data_changed``
    ``Signal(object)`` with the ``app.storage.changes.ChangeSummary`` a write task returned (what it
    created, changed and deleted, per entity: a service's ``Saved``, an import's result). A feature
    that changes data (importing a bundle, releasing a quarantined one) does it through
    ``window.tasks.write`` with a function that returns what it changed, and the signal fires by
    itself; ``window.notify_data_changed()`` refreshes every view (the Làm mới action).
``window.selected_enterprise_id()`` / ``window.sig_selection_changed``
    The enterprise selected in the list (``str`` UUID or ``None``) and a ``Signal(object)`` when it
    changes.
``window.open_enterprise(enterprise_id)``
    Selects and shows an enterprise.
``window.show_status(text)`` / ``window.show_error(title, text)``
    A message in the status bar; an error dialog in Vietnamese.
``window.add_page(key, title, widget)``
    Adds a page (a tab beside "Doanh nghiệp" and "Chỉ tiêu") for a whole view, such as a
    conflict queue.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app import logs
from app.domain import units
from app.gui import window_actions
from app.gui.actions import ActionRegistry
from app.gui.closing import Closing
from app.gui.importing import ImportingFeature
from app.gui.office import OfficeFeature
from app.gui.printing import PrintingFeature
from app.gui.remedies import Remedy
from app.gui.scan import ScanFeature
from app.gui.status_bar import StatusBar
from app.gui.sync import SyncFeature
from app.gui.tasks import TaskFailure, TaskRunner
from app.security.datakey import DataKey
from app.storage.changes import ChangeSummary
from app.storage.store import Profile


def import_constructor_code() -> None:
    """Import what building the window imports besides this module's own imports: the constructor's
    and its features' imports made where they are used.

    The launcher calls this while the passphrase dialog waits (app/gui/application.py), so that after
    the unlock only the widgets are left to make; tests/gui/test_start_early.py checks that building
    the window then reads no module of the program.
    """
    from app.gui import drafts, help, practice, protection, recovery, setup  # noqa: F401
    from app.gui.enterprises import detail_panel, list_panel  # noqa: F401
    from app.gui.forms import manager  # noqa: F401
    from app.gui.sync import conflicts  # noqa: F401
    from app.gui.targets import view as targets_view  # noqa: F401
    from app.gui.worklist import view as worklist_view  # noqa: F401
    from app.services import machine  # noqa: F401


class MainWindow(QMainWindow):
    sig_data_changed = Signal(object)  # ChangeSummary
    sig_selection_changed = Signal(object)  # enterprise id or None
    # the data was replaced (a restore): the launcher opens a new window on it (app.gui.protection.Reopen)
    sig_reopen = Signal(object)
    sig_replaced = Signal(object)  # the MainWindow that takes this one's place (practice mode in or out)

    def __init__(self, data_dir: Path, db_path: Path, profile: Profile, key: DataKey | None):
        super().__init__()
        from app.gui import focus
        from app.gui.drafts import DraftStore
        from app.gui.enterprises.detail_panel import DetailPanel
        from app.gui.enterprises.list_panel import EnterpriseListPanel
        from app.gui.forms.manager import FormManager
        from app.gui.targets.view import TargetsView
        from app.gui.worklist.view import WorkListView

        focus.install()  # a visible ring on whatever has the keyboard focus (once per application)
        self.data_dir = Path(data_dir)
        self.db_path = Path(db_path)
        self.profile = profile
        self.setObjectName("main_window")
        self.setWindowTitle(self._title())

        self.key = key  # the unlocked data key (app/services/unlock.py)
        # where the data key's file lives: the data folder; in practice mode, the real folder it belongs to
        # (the practice database is encrypted with the same key)
        self.key_folder = self.data_dir.parent if profile.practice else self.data_dir
        logs.setup(self.data_dir)  # errors to khaosat-errors.log (written by the log's own thread)
        self.tasks = TaskRunner(self.db_path, key, self)
        self.tasks.sig_data_changed.connect(self._on_data_changed)
        self.tasks.sig_error.connect(self.show_task_failure)
        self.drafts = DraftStore(self.data_dir / "drafts", key)

        toolbar = QToolBar("Thanh công cụ", self)
        toolbar.setObjectName("main_toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        toolbar.setMovable(False)
        self.addToolBar(toolbar)
        self.actions = ActionRegistry(self, self.menuBar(), toolbar)

        # --- the parts ---------------------------------------------------------------------
        self.list_panel = EnterpriseListPanel(self.tasks, self)
        # The list's first page and the totals are read now, on the workers, while the GUI thread builds
        # the rest of the window: on 100,000 enterprises that read is 0.1-0.2 s (twice as long encrypted,
        # each page decrypted), which then adds nothing to the start. What they read comes back through
        # the event loop, so only once the window is whole (docs/performance.md, "Encryption at rest").
        self.list_panel.set_mine(self._mine(), load=False)
        self.list_panel.load()
        self._refresh_overview()
        self.detail_panel = DetailPanel(self.tasks, self)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.list_panel)
        splitter.addWidget(self.detail_panel)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.splitter = splitter
        self.targets_view = TargetsView(self.tasks, profile, self)
        self.worklist_view = WorkListView(self.tasks, profile, self)
        self.worklist_view.sig_open.connect(lambda pair: self.open_from_worklist(*pair))
        self.worklist_view.sig_print_week.connect(self._print_week)

        self.pages = QTabWidget(self)
        self.pages.setObjectName("pages")
        self._page_keys: list[str] = []
        self.add_page("enterprises", "&1 Doanh nghiệp", splitter)
        self.add_page("targets", "&2 Chỉ tiêu và tiến độ", self.targets_view)
        if profile.practice:
            # practice mode: a band across the top of every page says so, with the one way out
            from app.gui import practice

            central = QWidget(self)
            column = QVBoxLayout(central)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(0)
            self.practice_band = practice.band(self)
            column.addWidget(self.practice_band)
            column.addWidget(self.pages, 1)
            self.setCentralWidget(central)
        else:
            self.practice_band = None
            self.setCentralWidget(self.pages)

        self.forms = FormManager(self)
        self.detail_panel.today = lambda: self.forms.today or date.today()
        self.worklist_view.today = lambda: self.forms.today or date.today()  # tests pin the day

        self.list_panel.sig_selected.connect(self._selection_changed)
        self.list_panel.sig_activated.connect(lambda eid: self.detail_panel.tabs.setFocus())
        self.list_panel.sig_counts.connect(lambda _n: self.actions.update_states())
        self.list_panel.model.sig_failed.connect(self.show_task_failure)
        self.detail_panel.sig_edit_visit.connect(self.forms.edit_visit)
        self.detail_panel.sig_edit_organisation.connect(lambda pair: self.forms.edit_organisation(*pair))
        self.detail_panel.sig_edit_admission.connect(self.forms.edit_admission)
        self.detail_panel.sig_edit_rating.connect(self.forms.edit_rating)
        self.detail_panel.today = lambda: self.forms.today or date.today()
        self.targets_view.today = lambda: self.forms.today or date.today()
        self.pages.currentChanged.connect(lambda _i: self.actions.update_states())

        # a message too long for a 1024-pixel bar is cut with "…" and whole in the bar's tooltip
        self.setStatusBar(StatusBar(self))
        self.count_label = QLabel(self)
        self.count_label.setObjectName("status_count")
        self.count_label.setToolTip("Số doanh nghiệp trong danh sách đang hiện (theo tìm kiếm và bộ lọc)")
        self.statusBar().addPermanentWidget(self.count_label)
        self.list_panel.sig_counts.connect(
            lambda _n: self.count_label.setText(self.list_panel.count_label.text())
        )
        self.unit_label = QLabel(self)
        self.unit_label.setObjectName("status_unit")
        self.unit_label.setToolTip(
            "Chế độ tập dượt: dữ liệu mẫu, tên và số liệu giả; không gửi lên cơ quan được"
            if profile.practice
            else "Dấu vân tay khóa của máy: cơ quan tiếp nhận so với phiếu đăng ký khóa khi đăng ký máy này"
        )
        self.statusBar().addPermanentWidget(self.unit_label)
        self.fingerprint: str | None = None  # this machine's key fingerprint, once read
        self.unit_label.setText(self._unit_text())

        self.actions.add_all(window_actions.actions(practice_mode=profile.practice))
        self.sync = SyncFeature(self)
        self.printing = PrintingFeature(self)
        self.scan = ScanFeature(self)
        self.importing = ImportingFeature(self)
        self.office = OfficeFeature(self)
        # after the features' pages (the conflicts are «3»): what to do next
        self.add_page("worklist", "&4 Việc cần làm", self.worklist_view)
        self.actions.update_states()

        screen = self.screen()
        self.fit_to(screen.availableGeometry() if screen is not None else QRect(0, 0, 1366, 728))

        from app.gui.protection import DEFAULT_LOCK_MINUTES, LOCK_SETTING, InactivityLock

        self.inactivity = InactivityLock(self, DEFAULT_LOCK_MINUTES if key is not None else 0)
        self.closing: Closing | None = None  # the close asked for, while it waits for the running tasks
        if key is not None:
            self.tasks.read(
                lambda store: store.setting(LOCK_SETTING, DEFAULT_LOCK_MINUTES), self.inactivity.set_minutes
            )

        self.refresh_fingerprint()
        QTimer.singleShot(0, self.list_panel.search.setFocus)

    # --- what features use --------------------------------------------------------------------

    def selected_enterprise_id(self) -> str | None:
        return self.list_panel.selected_id()

    def selected_enterprise_ids(self) -> list[str]:
        """The enterprises selected in the list (several with Ctrl/Shift + click), the current one first."""
        return self.list_panel.selected_ids()

    def _mine(self) -> str | None:
        role = self.profile.role
        return self.profile.laptop_id if role is not None and role.value == "collaborator" else None

    def open_enterprise(self, enterprise_id: str) -> None:
        """Show an enterprise: selected in the list (which is cleared to its tax code when its searches and
        filters hide it) and in the detail panel."""
        self.pages.setCurrentIndex(self._page_keys.index("enterprises"))
        if self.list_panel.model.loaded_row_of(enterprise_id) is not None:
            self.list_panel.select(enterprise_id)
        else:

            def tax_code(store: Any) -> str:
                row = store.row("enterprises", enterprise_id)
                return row["tax_code"] if row else ""

            self.tasks.read(tax_code, lambda code: self.list_panel.reveal(enterprise_id, code))
        if self.detail_panel.enterprise_id != enterprise_id:
            self.detail_panel.show_enterprise(enterprise_id)

    # The size the window opens at on a screen with room to spare; smaller screens get all there is.
    PREFERRED = QSize(1280, 800)
    FRAME = QSize(16, 40)  # a Windows 10/11 window frame and title bar around the client area

    def fit_to(self, available: QRect) -> None:
        """Size the window from the screen's free area (without the task bar).

        A laptop of 1366×768 or 1024×768 pixels gets the whole free area (maximized), so the status
        bar, where every "đã lưu" appears, is on the screen; a bigger screen gets the preferred size,
        centred. The list and the detail panel share the width 3:2, the detail panel never narrower
        than its tabs.
        """
        room = available.size() - self.FRAME
        if room.width() < self.PREFERRED.width() or room.height() < self.PREFERRED.height():
            self.setGeometry(QRect(available.topLeft(), room))
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)
        else:
            self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMaximized)
            self.resize(self.PREFERRED)
            self.move(available.center() - QRect(QPoint(0, 0), self.PREFERRED + self.FRAME).center())
        width = min(room.width(), self.PREFERRED.width())
        detail = max(width * 2 // 5, self.detail_panel.minimumSizeHint().width())
        self.splitter.setSizes([max(width - detail, 200), detail])

    def open_from_worklist(self, enterprise_id: str, tax_code: str, admission_id: str | None = None) -> None:
        """A line of the work list opened: its enterprise selected in the list (searched by its tax code
        if the list's filters hide it), shown in the detail panel, the keyboard on the list; a
        probation's line also opens its admission's form, where the conversion is recorded."""
        self.reveal_enterprise(enterprise_id, tax_code)
        if self.detail_panel.enterprise_id != enterprise_id:
            self.detail_panel.show_enterprise(enterprise_id)
        self.list_panel.table.setFocus()
        if admission_id:
            self.detail_panel.tabs.setCurrentWidget(self.detail_panel.orgs_page)
            self.forms.edit_admission(admission_id)

    def _print_week(self, query: object) -> None:
        """The visit forms of this week's and the overdue appointments, one batch by ward and address."""
        from app.gui import printing
        from app.services import worklist as wl

        def ids(store: object) -> list[str]:
            found = wl.week_batch(store, query)  # type: ignore[arg-type]
            if not found:
                from app.services.enterprise_lookup import SelectionError

                raise SelectionError(
                    "Tuần này không có doanh nghiệp nào hẹn khảo sát hoặc quá hẹn; không in."
                )
            return found

        printing.print_enterprises(self, getattr(query, "ward_code", None) or self.profile.unit_code, ids)

    def reveal_enterprise(self, enterprise_id: str, tax_code: str) -> None:
        """A just-saved enterprise becomes the selected row of the list, shown in the detail panel."""
        self.pages.setCurrentIndex(self._page_keys.index("enterprises"))
        self.list_panel.reveal(enterprise_id, tax_code)

    def add_page(self, key: str, title: str, widget: QWidget) -> None:
        self._page_keys.append(key)
        self.pages.addTab(widget, title)

    def show_page(self, key: str) -> None:
        self.pages.setCurrentIndex(self._page_keys.index(key))

    def current_page(self) -> str:
        return self._page_keys[self.pages.currentIndex()]

    def show_status(self, text: str, msecs: int = 8000) -> None:
        self.statusBar().showMessage(text, msecs)

    def show_error(self, title: str, text: str, error: object = None, remedy: Remedy | None = None) -> None:
        """An error box. With ``error`` (the exception) that has a remedy, or a ``remedy``, the box names
        the screen where it is fixed and offers a button that opens it (``app.gui.remedies``)."""
        from app.gui import remedies

        remedies.show_error(self, title, text, error, remedy=remedy)

    def notify_data_changed(self, summary: ChangeSummary | None = None) -> None:
        """Refresh the views as if ``summary`` (by default: anything) had changed (the Làm mới action)."""
        self._on_data_changed(summary or ChangeSummary.all())

    # --- internals ----------------------------------------------------------------------------

    def _title(self) -> str:
        role = self.profile.role.label if self.profile.role else ""
        who = self.profile.collaborator or "chưa thiết lập"
        unit = units.unit_name(self.profile.unit_code)
        what = ", ".join(x for x in (role.lower(), unit) if x)
        title = f"KhaoSat — {who} ({what})" if what else f"KhaoSat — {who}"
        return f"KhaoSat [TẬP DƯỢT: dữ liệu mẫu] — {who}" if self.profile.practice else title

    def _unit_text(self) -> str:
        if self.profile.practice:
            return "TẬP DƯỢT · dữ liệu mẫu, không gửi đi được"
        # the fingerprint the office compares with the paper form (the guide promises it here); the unit
        # is in the window's title, so a 1024-pixel status bar keeps room for messages
        return f"Vân tay khóa: {self.fingerprint}" if self.fingerprint else "Máy chưa có khóa"

    def refresh_fingerprint(self) -> None:
        """Read this machine's key fingerprint (in a worker) and show it in the status bar."""
        from app.services.machine import own_fingerprint

        def done(fingerprint: str | None) -> None:
            self.fingerprint = fingerprint
            self.unit_label.setText(self._unit_text())

        self.tasks.read(own_fingerprint, done, lambda _f: None)

    def set_profile(self, profile: Profile) -> None:
        self.profile = profile
        self.setWindowTitle(self._title())
        self.unit_label.setText(self._unit_text())
        self.targets_view.set_profile(profile)
        self.list_panel.set_mine(self._mine())
        self.worklist_view.set_profile(profile)
        self.refresh_fingerprint()

    def _selection_changed(self, enterprise_id: str | None) -> None:
        self.detail_panel.show_enterprise(enterprise_id)
        self.actions.update_states()
        self.sig_selection_changed.emit(enterprise_id)

    def _refresh_overview(self) -> None:
        from app.services import enterprise_list as el

        def work(store):
            return el.total(store), el.ward_codes_in_use(store)

        def done(result: tuple[int, list[str]]) -> None:
            total, wards = result
            self.list_panel.set_total(total)
            self.list_panel.set_wards(wards)
            self.worklist_view.set_wards(wards)

        self.tasks.read(work, done)

    def _on_data_changed(self, summary: ChangeSummary) -> None:
        """A write said what it changed (``app.storage.changes``): refresh the views it concerns."""
        # (the list shows who an enterprise is assigned to, and the last visit the office told of)
        if summary.touches("enterprises", "visits", "organisations", "assignments", "visit_summaries"):
            self.list_panel.refresh()
        if summary.touches("enterprises"):
            self._refresh_overview()
        shown = self.detail_panel.enterprise_id
        if shown and (
            summary.affects("enterprises", shown)
            or summary.touches("visits", "organisations", "admissions", "quality_ratings")
        ):
            self.detail_panel.reload()
        # office settings: founding minimums (the work list's opportunities), rounding (the targets page)
        if summary.touches(
            "visits", "organisations", "admissions", "targets", "quality_ratings", "office_settings"
        ):
            self.targets_view.data_changed()  # at once if shown, else when it is next shown
        if summary.touches(
            "enterprises",
            "visits",
            "organisations",
            "admissions",
            "assignments",
            "visit_summaries",
            "office_settings",
        ):
            self.worklist_view.data_changed()
        self.actions.update_states()
        self.sig_data_changed.emit(summary)

    def show_task_failure(self, failure: TaskFailure) -> None:
        exc = failure.exception
        from app.domain.validation import ValidationError
        from app.gui.remedies import remedy_for
        from app.storage.store import StoreError

        if isinstance(exc, (ValidationError, StoreError)) or remedy_for(exc) is not None:
            self.show_error("Không thực hiện được", str(exc), exc)
            return
        message = failure.message  # a full disk, a read-only folder, a pulled-out stick...
        if message is not None:
            self.show_error("Không thực hiện được", message)
            return
        from app.gui.failures import unexpected

        self.show_error(
            "Lỗi không mong đợi", unexpected("Chưa làm được việc vừa yêu cầu", exc, self.data_dir)
        )

    def forget_key(self) -> None:
        """The lock: no reference to the data key is left once the running tasks have finished.

        New tasks wait (``TaskRunner.lock``); what a task needs the key for (a connection, a sealed
        draft) cannot happen before ``take_key``.
        """
        self.key = None
        self.drafts.key = None
        self.tasks.lock()

    def take_key(self, key: DataKey) -> None:
        """The passphrase was asked again: the key is back, the tasks that waited run now."""
        self.key = key
        self.drafts.key = key
        self.tasks.unlock(key)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Close at once when nothing runs; else stay open, say what is being finished, and close
        when the last task has (``app.gui.closing``): the event loop is never blocked, and no write
        is left half-way."""
        closing = self.closing
        if closing is not None:
            if closing.done:  # the work is finished: this is the close it was waiting for
                event.accept()
                return
            closing.asked_again()  # asked again while waiting: the same wait goes on
            event.ignore()
            return
        if not self.forms.confirm_close_all():
            event.ignore()
            return
        self.inactivity.detach()
        self.closing = Closing(self, self, [self.tasks], self._finish_close)
        if self.closing.start():
            self._forget_on_close()
            event.accept()
            return
        event.ignore()

    def _finish_close(self) -> None:
        """Every task has finished and every connection is closed: the close the person asked for."""
        self._forget_on_close()
        self.close()

    def _forget_on_close(self) -> None:
        # the runner forgot the key when it closed (TaskRunner.close); the window lets go of it too
        self.key = None
        self.drafts.key = None
