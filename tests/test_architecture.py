"""The core never imports Qt: domain, storage, services, demo, CLI (and sync, printing, reports,
importing when they exist) run with no display and no PySide6."""

import pkgutil
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
