"""``khaosat --self-test`` (also ``khaosat self-test``) and the hidden ``khaosat self-test-qt``.

The self-test itself is ``app.selftest`` (Qt-free). Its Qt step starts this program again as
``khaosat self-test-qt`` in a child process, which runs ``app.gui.selfcheck`` (imported inside the
command, so the command line never imports Qt unless that child is asked to).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from app.cli.common import command


def add_parsers(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("self-test", help="tự kiểm tra chương trình (như khaosat --self-test)")
    s.add_argument("--keep", action="store_true", help="giữ lại thư mục tạm sau khi kiểm tra")
    # Internal: the Qt half of the self-test, in its own process (not listed in the help).
    q = sub.add_parser("self-test-qt")
    q.add_argument("--window", metavar="THƯ_MỤC", help="mở cửa sổ chính trên dữ liệu trong thư mục này")
    q.add_argument("--timeout", type=float, default=60.0, metavar="GIÂY")
    q.add_argument("--screenshot", metavar="TỆP_PNG", help="lưu ảnh cửa sổ chính")


REPORT_FILE = "khaosat-tu-kiem-tra.txt"


@command("self-test")
def _self_test(args: argparse.Namespace) -> int:
    from app import selftest

    keep = getattr(args, "keep", False)
    if sys.stdout is not None:
        return selftest.run(sys.stdout, keep=keep, data_dir=args.data_dir)
    # KhaoSat.exe has no console (sys.stdout is None): write the report to a file and open it.
    report = Path(tempfile.gettempdir()) / REPORT_FILE
    with open(report, "w", encoding="utf-8") as fh:
        code = selftest.run(fh, keep=keep, data_dir=args.data_dir)
    startfile = getattr(os, "startfile", None)  # Windows only: opens the report in Notepad
    if startfile is not None:
        startfile(report)
    return code


@command("self-test-qt")
def _self_test_qt(args: argparse.Namespace) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the self-test checks Qt offscreen
    from app.gui import selfcheck

    result = selfcheck.check(args.window, timeout=args.timeout, screenshot=args.screenshot)
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return 0 if result.get("ok") else 1
