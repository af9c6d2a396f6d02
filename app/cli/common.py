"""What every ``khaosat`` command shares: the error for the user, the Vietnamese argument parser, the
registry of handlers (``@command(name)``), opening the data file, writing a line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import NoReturn

from app.storage.store import Store

Handler = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, Handler] = {}


class CliError(Exception):
    """An error for the user: printed to stderr, exit code 1 (or ``code``)."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse's own errors, in Vietnamese where we can
        self.print_usage(sys.stderr)
        message = (
            message.replace("the following arguments are required", "thiếu tham số bắt buộc")
            .replace("unrecognized arguments", "tham số không hiểu được")
            .replace("invalid choice", "lựa chọn không hợp lệ")
            .replace("argument", "tham số")
            .replace("expected one argument", "cần một giá trị")
            .replace("invalid int value", "không phải số nguyên")
        )
        sys.stderr.write(f"khaosat: lỗi: {message}\n")
        raise SystemExit(2)


def command(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        COMMANDS[name] = fn
        return fn

    return register


def open_store(args: argparse.Namespace) -> Store:
    """The data file of ``--data-dir``, unlocked (the passphrase asked once per run: ``app.cli.unlock``)."""
    from app.cli.unlock import open_store as unlocked

    return unlocked(args)


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
