"""The core never imports Qt: domain, storage, services, demo, CLI (and sync, printing, reports,
importing when they exist) run with no display and no PySide6."""

import ast
import pkgutil
import re
import subprocess
import sys

import app
from tests.conftest import ROOT

CORE = [
    "domain",
    "storage",
    "services",
    "demo",
    "cli",
    "sync",
    "printing",
    "reports",
    "importing",
    "scan",
    "fileio",
    "paths",
    "selftest",
]


def core_modules():
    out = ["app", "app.paths"]
    for info in pkgutil.walk_packages(app.__path__, "app."):
        top = info.name.split(".")[1]
        if top in CORE:
            out.append(info.name)
    return out


def test_importing_the_core_never_imports_pyside6():
    modules = core_modules()
    assert "app.storage.store" in modules and "app.domain.validation" in modules
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr


def test_no_core_module_mentions_pyside6():
    offenders = []
    for path in (ROOT / "app").rglob("*.py"):
        rel = path.relative_to(ROOT / "app")
        if rel.parts[0] in CORE and "PySide6" in path.read_text(encoding="utf-8"):
            offenders.append(str(rel))
    assert offenders == []


SQL = re.compile(
    r"\b(SELECT\b.+\bFROM|INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\w+\s+SET|CREATE\s+(TABLE|INDEX)|PRAGMA)\b",
    re.S,
)


def _reaches_sqlite(node: ast.Attribute) -> bool:
    """``x.conn``, ``conn.execute(...)``, ``store._rows(...)``: a connection or a query in the open."""
    owner = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(node.value, "id", "")
    if node.attr == "conn":
        return True
    if node.attr in ("execute", "executemany", "executescript"):
        return owner in ("conn", "cur", "cursor", "db", "connection")
    return node.attr == "_rows" and owner != "self"


def test_no_sql_in_the_gui_or_the_command_line():
    """Queries live in app/services and app/storage: the GUI and the CLI call them. No SQL text, no
    connection, no ``execute`` in app/gui or app/cli (import-linter separately forbids ``sqlite3``)."""
    offenders = []
    for folder in ("gui", "cli"):
        for path in sorted((ROOT / "app" / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            where = path.relative_to(ROOT)
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
                    offenders.append(f"{where}:{node.lineno}: SQL text {node.value[:50]!r}")
                elif isinstance(node, ast.Attribute) and _reaches_sqlite(node):
                    offenders.append(f"{where}:{node.lineno}: {ast.unparse(node)}")
    assert offenders == []


def test_the_sql_check_finds_sql():
    assert SQL.search("SELECT count(*) FROM enterprises") and SQL.search("update visits set x = 1") is None
    assert SQL.search("INSERT INTO changes(seq) VALUES (1)") and not SQL.search(
        "Chọn doanh nghiệp từ danh sách"
    )


WINDOW_NAMES = ("window", "w")


def test_the_gui_hands_the_main_window_around_typed_and_hangs_nothing_on_it():
    """A function of app/gui that takes the main window says so (``window: MainWindow``, never ``Any``
    or nothing), so the type checker and a reader know what it offers; and nothing outside the window
    sets attributes on it (``window._dialog = ...``): a feature keeps its state on its own object
    (``window.sync.dialog``). Lambdas (``enabled=lambda w: ...``) cannot be annotated and are left out."""
    offenders = []
    for path in sorted((ROOT / "app" / "gui").rglob("*.py")):
        where = path.relative_to(ROOT)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = node.args
                for arg in a.posonlyargs + a.args + a.kwonlyargs:
                    if arg.arg in WINDOW_NAMES and (
                        arg.annotation is None
                        or ast.unparse(arg.annotation) not in ("MainWindow", "MainWindow | None")
                    ):
                        offenders.append(
                            f"{where}:{node.lineno}: {node.name}({arg.arg}: {ast.unparse(arg.annotation) if arg.annotation else '?'})"
                        )
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    if isinstance(t, ast.Attribute) and ast.unparse(t.value) in (
                        *WINDOW_NAMES,
                        "self.window_",
                    ):
                        offenders.append(f"{where}:{node.lineno}: sets {ast.unparse(t)}")
    assert offenders == []


def _calls(fn: object) -> tuple[set[str], bool]:
    """The names a function calls, and whether it writes records itself: opens ``store.write()``, says
    what a merge changed (``store.note_changes``) or merges a bundle's changes (``merge``)."""
    import inspect
    import textwrap

    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))  # type: ignore[arg-type]
    names: set[str] = set()
    writes = False
    for node in ast.walk(tree.body[0]):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            names.add(name)
            owner = ast.unparse(f.value) if isinstance(f, ast.Attribute) else ""
            writes |= (name == "write" and owner == "store") or name in ("note_changes", "merge")
    return names, writes


def _writing_functions(package: str) -> dict[str, object]:
    """Public functions of ``app/<package>`` that write records: those that do it themselves (``_calls``)
    and those that call one of them, through private helpers and other modules of the package too (a
    call is found by the function's name). Functions that take a connection (``merge(conn, ...)``) work
    inside their caller's transaction and report to it: the caller says what changed."""
    import importlib
    import inspect

    found: dict[str, tuple[object, set[str]]] = {}
    writers: set[str] = set()
    for info in pkgutil.iter_modules([str(ROOT / "app" / package)]):
        module = importlib.import_module(f"app.{package}.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__:
                key = f"{info.name}.{name}"
                names, writes = _calls(fn)
                found[key] = (fn, names)
                if writes:
                    writers.add(key)
    grew = True
    while grew:  # a function that saves through another one writes too
        called = {k.split(".")[1] for k in writers}
        more = {k for k, (_fn, names) in found.items() if names & called}
        grew = bool(more - writers)
        writers |= more
    out = {}
    for k in writers:
        fn = found[k][0]
        params = list(inspect.signature(fn).parameters)  # type: ignore[arg-type]
        if not k.split(".")[1].startswith("_") and params[:1] != ["conn"]:
            out[k] = fn
    return out


def _not_saying_what_they_changed(functions: dict[str, object]) -> list[str]:
    """Those of these functions whose declared result is neither a ``ChangeSummary`` nor ``Saved`` nor a
    type with ``changes`` (a field or a property) that is a ``ChangeSummary``, nor a list of such."""
    import typing

    from app.storage.changes import ChangeSummary, Saved

    def says(t: object) -> bool:
        origin = typing.get_origin(t) or t
        if origin in (list, tuple) and typing.get_args(t):
            return says(typing.get_args(t)[0])
        if origin in (ChangeSummary, Saved):
            return True
        if not isinstance(origin, type):
            return False
        said = getattr(origin, "changes", None)  # a property, or a field
        if isinstance(said, property) and said.fget is not None:
            return typing.get_type_hints(said.fget).get("return") is ChangeSummary
        return typing.get_type_hints(origin).get("changes") is ChangeSummary

    wrong = []
    for name, fn in sorted(functions.items()):
        returned = typing.get_type_hints(fn).get("return")
        if returned is None or not says(returned):
            wrong.append(f"{name} -> {returned}")
    return wrong


def test_every_writing_service_returns_what_it_changed():
    """A write says what changed (Anki's ``OpChanges``): each service that writes records returns a
    ``ChangeSummary`` or a result with one (``Saved``), from which the window refreshes
    (``app.gui.tasks``); none leaves its caller to ask the store."""
    services = _writing_functions("services")
    assert {
        "records.save_visit",
        "scanning.save_scanned",
        "assignments.assign",
        "office_settings.set_own",
    } <= set(services)
    wrong = _not_saying_what_they_changed(services)
    assert not wrong, "writing services that do not return what they changed: " + ", ".join(wrong)


def test_every_writing_function_of_sync_returns_what_it_changed():
    """The same for app/sync, whose functions the window and the command line call directly: importing
    bundles, releasing one set aside, resolving a conflict, merging two enterprises of one tax code,
    writing downward bundles (and the visit summaries they carry)."""
    functions = _writing_functions("sync")
    assert {
        "bundles.import_file",
        "bundles.import_paths",
        "bundles.release",
        "bundles.resolve_conflict",
        "same_tax_code.merge_pair",
        "down_export.refresh_summaries",
        "down_export.export_down",
        "down.import_down",
        "down.release",
    } <= set(functions)
    wrong = _not_saying_what_they_changed(functions)
    assert not wrong, "writing functions of app/sync that do not return what they changed: " + ", ".join(
        wrong
    )
