"""No message that can reach the window tells a person to type a command.

Every string literal of the program outside the command line (``app/cli/``) and the command-line
self-test (``app/selftest.py``, run only by ``khaosat --self-test``) can end up on screen: core
messages are shown by the window as they are. None may name a ``khaosat`` subcommand or one of its
options; the window names the screen instead (``app.gui.remedies``) and the command line adds the
command (``app.cli.hints``). The subcommands and options are read from the real argument parser, so a
new command is covered the day it is added.
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

CLI_ONLY = ("app/cli/", "app/selftest.py")


def _parser_words() -> tuple[set[str], set[str]]:
    from app.cli import main

    parser = main.build_parser()
    commands: set[str] = set()
    options: set[str] = set()

    def walk(p: argparse.ArgumentParser) -> None:
        for action in p._actions:
            options.update(o for o in action.option_strings if o.startswith("--") and o != "--help")
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    commands.add(name)
                    walk(sub)

    walk(parser)
    return commands, options


def _strings(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string literal that is not a docstring; an f-string gives its literal parts
    joined, with its replacement fields as "{}"."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    out: list[tuple[int, str]] = []
    inside_fstrings: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = []
            for v in node.values:
                if isinstance(v, ast.Constant) and isinstance(v.value, str):
                    parts.append(v.value)
                    inside_fstrings.add(id(v))
                else:
                    parts.append("{}")
            out.append((node.lineno, "".join(parts)))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and id(node) not in inside_fstrings
        ):
            out.append((node.lineno, node.value))
    return out


def _offending(text: str, commands: set[str], options: set[str]) -> str | None:
    m = re.search(r"\bkhaosat\s+([a-z][a-z-]*)", text)
    if m and m.group(1) in commands:
        return m.group(0)
    for option in options:
        if re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text):
            return option
    return None


def test_the_scan_finds_what_it_looks_for():
    commands, options = _parser_words()
    assert {"keys", "init", "export", "import", "units"} <= commands
    assert {"--office", "--fingerprint", "--mapping", "--data-dir"} <= options
    said = "Chưa đăng ký cơ quan nhận: khaosat keys register TỆP --office"
    assert _offending(said, commands, options) == "khaosat keys"
    assert _offending('Hãy chọn cột (ví dụ --mapping "B=tax_code").', commands, options) == "--mapping"
    assert _offending("Mở «Khóa và máy đã đăng ký» trong menu Đồng bộ.", commands, options) is None


@pytest.mark.parametrize("folder", ["app"])
def test_no_window_message_names_a_command(folder):
    commands, options = _parser_words()
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(CLI_ONLY):
            continue
        for line, text in _strings(path):
            bad = _offending(text, commands, options)
            if bad:
                found.append(f"{rel}:{line}: «{bad}» in {text[:90]!r}")
    assert not found, "messages that can reach the window name a command:\n" + "\n".join(found)


def test_the_user_guide_shown_in_the_window_names_no_command():
    commands, options = _parser_words()
    guide = (ROOT / "resources" / "help" / "user-guide.md").read_text(encoding="utf-8")
    bad = [
        f"{n}: {line}" for n, line in enumerate(guide.splitlines(), 1) if _offending(line, commands, options)
    ]
    assert not bad, "\n".join(bad)


def test_the_command_line_adds_the_command_the_window_leaves_out():
    from app.cli.hints import HINTS, with_hint
    from app.gui.remedies import REMEDIES
    from app.sync.errors import SyncError

    exc = SyncError("no_destination", "Chưa đăng ký cơ quan nhận (cơ quan cấp trên).")
    assert "khaosat keys register" in with_hint(exc, exc.message)
    # every reason the window offers a screen for, the command line has a command for
    assert set(REMEDIES) - {"no_unit"} <= set(HINTS)
