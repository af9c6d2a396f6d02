"""The command line's unlock: the passphrase comes from ``KHAOSAT_PASSPHRASE`` or is asked at a terminal.

Asked once per run, before the first command that reads the data folder; the data key is then kept
on the parsed arguments for the rest of the run. A wrong passphrase at a terminal may be typed again
(three tries, waiting 1, 2, then 4 seconds before each new try); from the environment it fails at once.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from pathlib import Path

from app.cli.common import CliError
from app.security.datakey import DataKey, LockError
from app.security.passphrase import RULE_TEXT, same
from app.storage.migrations import DONE, UpgradeStep

PASSPHRASE_ENV = "KHAOSAT_PASSPHRASE"
NEW_PASSPHRASE_ENV = "KHAOSAT_NEW_PASSPHRASE"
TRIES = 3


def _ask_new(prompt: str = "Đặt mật khẩu cho dữ liệu của máy này: ") -> str:
    sys.stderr.write(RULE_TEXT + "\n")
    first = getpass.getpass(prompt)
    if not same(getpass.getpass("Nhập lại mật khẩu: "), first):
        raise CliError("Hai lần nhập mật khẩu không khớp.")
    return first


def new_passphrase(env: str = NEW_PASSPHRASE_ENV) -> str:
    """A passphrase about to be set: from ``env`` or asked twice at a terminal."""
    value = os.environ.get(env)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise CliError(
            f"Cần mật khẩu mới: hãy chạy ở cửa sổ dòng lệnh để nhập, hoặc đặt biến môi trường {env}."
        )
    return _ask_new("Mật khẩu mới: ")


def current_passphrase() -> str | None:
    """``KHAOSAT_PASSPHRASE``, or None when it must be asked at a terminal."""
    return os.environ.get(PASSPHRASE_ENV)


UPGRADE_NOTICE = (
    "Tệp dữ liệu do phiên bản trước của KhaoSat tạo: đang nâng cấp. Với tệp lớn việc này có thể mất "
    "vài phút; đừng tắt máy hay dừng chương trình cho đến khi xong."
)


class UpgradeLines:
    """The steps of upgrading an older file on stderr, one line each (the window's start dialog shows the
    same): at a terminal the step's percentage, when it has one, is written over in place."""

    def __init__(self) -> None:
        self.text = ""
        self.percent: int | None = None
        self.tty = sys.stderr.isatty()

    def __call__(self, step: UpgradeStep) -> None:
        out = sys.stderr
        if not self.text:
            out.write(UPGRADE_NOTICE + "\n")
        percent = None if step.fraction is None or step.stage == DONE else int(step.fraction * 100)
        if step.text != self.text:
            if self.tty and self.percent is not None:
                out.write("\n")
            self.text, self.percent = step.text, None
            if not self.tty or percent is None:
                out.write(step.text + "\n")
        if self.tty and percent is not None and percent != self.percent:
            self.percent = percent
            out.write(f"\r{step.text} {percent} %")
        out.flush()


def data_key(args: argparse.Namespace) -> DataKey:
    """The data key of ``--data-dir``: unlocked once per run (set up on first use, migrating an older file)."""
    key = getattr(args, "_data_key", None)
    if key is not None:
        return key
    from app.paths import data_dir
    from app.services.unlock import needs_new_passphrase, open_folder

    folder = data_dir(getattr(args, "data_dir", None))
    from_env = current_passphrase()
    if needs_new_passphrase(folder):
        if from_env is None and not sys.stdin.isatty():
            raise CliError(
                f"Dữ liệu của máy cần được bảo vệ bằng mật khẩu: hãy chạy ở cửa sổ dòng lệnh để đặt mật khẩu, "
                f"hoặc đặt biến môi trường {PASSPHRASE_ENV}."
            )
        passphrase = from_env if from_env is not None else _ask_new()
        try:
            opened = open_folder(folder, passphrase, UpgradeLines())
        except LockError as exc:
            raise CliError(exc.message) from exc
        if opened.encrypted_now:
            sys.stderr.write("Đã mã hóa tệp dữ liệu của phiên bản trước; tệp chưa mã hóa đã được xóa.\n")
        args._data_key = opened.key
        return opened.key
    if from_env is not None:
        try:
            opened = open_folder(folder, from_env, UpgradeLines())
        except LockError as exc:
            raise CliError(exc.message) from exc
        args._data_key = opened.key
        return opened.key
    if not sys.stdin.isatty():
        raise CliError(
            f"Dữ liệu được khóa bằng mật khẩu: hãy chạy ở cửa sổ dòng lệnh để nhập, "
            f"hoặc đặt biến môi trường {PASSPHRASE_ENV}."
        )
    for attempt in range(TRIES):
        passphrase = getpass.getpass("Mật khẩu mở dữ liệu: ")
        try:
            opened = open_folder(folder, passphrase, UpgradeLines())
        except LockError as exc:
            if exc.reason != "wrong_passphrase" or attempt == TRIES - 1:
                raise CliError(exc.message) from exc
            wait = 2**attempt
            sys.stderr.write(f"Mật khẩu không đúng. Hãy thử lại sau {wait} giây.\n")
            time.sleep(wait)
            continue
        args._data_key = opened.key
        return opened.key
    raise CliError("Mật khẩu không đúng.")  # not reached


def open_store(args: argparse.Namespace):
    """The folder's ``Store``, unlocked."""
    from app.paths import database_path
    from app.storage.store import Store

    key = data_key(args)
    return Store(database_path(getattr(args, "data_dir", None)), key)


def folder_of(args: argparse.Namespace) -> Path:
    from app.paths import data_dir

    return data_dir(getattr(args, "data_dir", None))
