"""Optional GUI features plug into the main window here.

At start-up the main window calls ``load_features(window)``: each module named in ``FEATURES``
that exists is imported and its ``register(window)`` is called. A module that does not exist is
skipped; an error inside one is logged to ``khaosat-errors.log`` in the data folder and reported
in the status bar, and the window goes on without it.

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
    ``Signal(object)`` with an ``app.storage.store.ChangeSummary`` (entities, record_ids, count)
    after any write. If a feature changes data itself (e.g. importing a bundle), it does so through
    ``window.tasks.write`` and the signal fires by itself; ``window.notify_data_changed()``
    refreshes every view after a change made some other way.
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

import importlib
import logging
import traceback
from typing import Any

FEATURES = ("app.gui.sync", "app.gui.printing", "app.gui.scan", "app.gui.importing")

log = logging.getLogger(__name__)


def load_features(window: Any, modules: tuple[str, ...] = FEATURES) -> dict[str, str | None]:
    """Import and register each feature that exists. Returns {module: None (loaded) or error text}."""
    results: dict[str, str | None] = {}
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # the feature is not part of this build
            results[name] = _report(window, name, exc)
            continue
        except Exception as exc:  # noqa: BLE001
            results[name] = _report(window, name, exc)
            continue
        register = getattr(module, "register", None)
        if register is None:
            results[name] = _report(window, name, AttributeError(f"{name} has no register(window)"))
            continue
        try:
            register(window)
        except Exception as exc:  # noqa: BLE001 - one broken feature must not stop the program
            results[name] = _report(window, name, exc)
            continue
        results[name] = None
    return results


def _report(window: Any, name: str, exc: BaseException) -> str:
    text = "".join(traceback.format_exception(exc))
    # to khaosat-errors.log (app/logs.py): the type and the frames, never the message
    log.error("feature %s failed to load", name, exc_info=exc)
    show_status = getattr(window, "show_status", None)
    if show_status is not None:
        show_status(f"Không nạp được phần mở rộng {name}: {exc}")
    return text
