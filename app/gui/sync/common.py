"""Shared by the sync dialogs: running work with this machine's keys, messages for failures."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QInputDialog, QLineEdit

from app.gui.tasks import doing, failure_message
from app.sync import registry as R
from app.sync.errors import SyncError, os_message

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow


def message(failure: Any) -> str:
    exc = getattr(failure, "exception", failure)
    if isinstance(exc, SyncError):
        return exc.message
    known = failure_message(exc)  # a full stick, a write-protected or pulled-out one...
    if known is not None:
        return known
    if isinstance(exc, OSError):
        return os_message(exc)
    from app.gui.failures import explain

    return explain(failure, "Chưa làm được việc này")


def with_keys(
    window: MainWindow,
    title: str,
    work: Callable[[Any, Any, Any], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[Any], None],
    *,
    write: bool = True,
    progress: Callable[[int, int, str], None] | None = None,
    started: Callable[[Any], None] | None = None,
    parent: Any = None,
) -> None:
    """Run ``work(store, identity, ctx)`` in a worker; asks for the key's passphrase when it is needed.

    By default a modal progress window stands over ``parent`` (the dialog that asked; default the main
    window): when it closes, that dialog is active again and the keyboard is back in it. With
    ``progress`` the work runs in the background: the caller shows its progress and the window stays
    usable; ``started`` receives the task's handle (to stop it), again after the passphrase was asked."""

    def fn(store: Any, ctx: Any) -> Any:
        ident = R.load_keys(store, window.sync.passphrase, window.data_dir)
        return work(store, ident, ctx)

    def failed(failure: Any) -> None:
        exc = failure.exception
        if isinstance(exc, SyncError) and exc.reason in ("passphrase_needed", "wrong_passphrase"):
            prompt = (
                "Mật khẩu không đúng. Nhập lại mật khẩu khóa:"
                if exc.reason == "wrong_passphrase"
                else "Khóa của máy được bảo vệ bằng mật khẩu. Nhập mật khẩu khóa:"
            )
            text, ok = QInputDialog.getText(window, "Mật khẩu khóa", prompt, QLineEdit.EchoMode.Password)
            if ok and text:
                window.sync.passphrase = text
                with_keys(
                    window,
                    title,
                    work,
                    on_done,
                    on_error,
                    write=write,
                    progress=progress,
                    started=started,
                    parent=parent,
                )
                return
        on_error(failure)

    if progress is None:
        window.tasks.run_with_progress(parent or window, title, fn, on_done, failed, write=write)
        return
    run = window.tasks.write if write else window.tasks.read
    handle = run(fn, on_done, failed, progress, what=doing(title))  # told if the window closes meanwhile
    if started is not None:
        started(handle)
