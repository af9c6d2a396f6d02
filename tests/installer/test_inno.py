"""The Inno Setup script and the icon, checked against the program they install.

Inno Setup only runs on Windows (not in CI): these tests hold the script to the facts it depends on
(the executables the spec builds, the bundle extensions of app.sync, the user's data folder of
app.paths, per-user installation) so that a change on one side cannot silently break the other.
"""

from __future__ import annotations

import re
import struct
import sys

import pytest

from tests.conftest import ROOT

ISS = ROOT / "installer" / "khaosat.iss"
SPEC = ROOT / "installer" / "khaosat.spec"


@pytest.fixture(scope="module")
def iss() -> str:
    raw = ISS.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Inno Setup reads the script as Unicode only with a UTF-8 BOM"
    return raw.decode("utf-8-sig")


def defines(text: str) -> dict[str, str]:
    return dict(re.findall(r'^#define (\w+) "([^"]*)"', text, re.MULTILINE))


def section(text: str, name: str) -> list[str]:
    match = re.search(rf"^\[{name}\]\r?\n(.*?)(?=^\[|\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, name
    return [ln for ln in match.group(1).splitlines() if ln.strip() and not ln.startswith(";")]


def setup_values(text: str) -> dict[str, str]:
    return dict(ln.split("=", 1) for ln in section(text, "Setup") if "=" in ln and not ln.startswith("#"))


def test_per_user_install_without_admin_rights(iss):
    setup = setup_values(iss)
    assert setup["PrivilegesRequired"] == "lowest"
    assert "PrivilegesRequiredOverridesAllowed" not in setup  # never offers an all-users (admin) install
    assert setup["DefaultDirName"] == r"{localappdata}\Programs\{#AppName}"
    for line in section(iss, "Registry"):
        assert line.startswith("Root: HKCU;"), line
    assert setup["ChangesAssociations"] == "yes"


def test_installs_the_programs_the_spec_builds(iss):
    d = defines(iss)
    spec = SPEC.read_text(encoding="utf-8")
    windows_exes = re.findall(r'exe\("([^"]+)", (True|False)', spec)
    assert (d["AppExe"], d["CliExe"]) == (windows_exes[0][0] + ".exe", windows_exes[1][0] + ".exe")
    assert windows_exes[0][1] == "False" and windows_exes[1][1] == "True"  # windowed GUI, console CLI
    assert re.search(r'name="KhaoSat",\s*\)', spec)  # COLLECT makes dist/KhaoSat
    assert r'#define Dist AddBackslash(SourcePath) + "..\dist\KhaoSat"' in iss
    files = section(iss, "Files")
    assert files == [
        'Source: "{#Dist}\\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs'
    ]


def test_bundle_types_are_the_sync_extensions(iss):
    from app.sync.bundles import BUNDLE_SUFFIX, RECEIPT_SUFFIX

    d = defines(iss)
    assert d["BundleExt"] == BUNDLE_SUFFIX and d["ReceiptExt"] == RECEIPT_SUFFIX
    registry = "\n".join(section(iss, "Registry"))
    for ext, progid in (("BundleExt", "BundleProgId"), ("ReceiptExt", "ReceiptProgId")):
        assert (
            f'Subkey: "Software\\Classes\\{{#{ext}}}"; ValueType: string; ValueName: ""; ValueData: "{{#{progid}}}"'
            in registry
        )
        command = re.search(
            rf'Subkey: "Software\\Classes\\{{#{progid}}}\\shell\\open\\command";.*ValueData: "(.*)"$',
            registry,
            re.MULTILINE,
        )
        assert command, progid
        # Inno's "" is one quote: the command is  "...\KhaoSat.exe" gui "%1"  (the GUI's import dialog)
        value = command.group(1).replace('""', '"')
        assert value == '"{app}\\{#AppExe}" gui "%1"'
    from app.cli.main import build_parser

    args = build_parser().parse_args(["gui", "C:\\USB\\goi.khaosat"])  # the command exists with that syntax
    assert args.paths == ["C:\\USB\\goi.khaosat"]


def test_uninstaller_keeps_the_data_unless_asked(iss):
    code = iss[iss.index("[Code]") :]
    assert "ExpandConstant('{localappdata}\\KhaoSat')" in code
    # Deletion happens only after an explicit Yes; No is the default button; silent uninstall keeps data.
    assert "MB_YESNO or MB_DEFBUTTON2, IDNO) = IDYES then" in code
    assert code.index("if UninstallSilent() then") < code.index("DelTree(")
    assert code.count("DelTree(") == 1


def test_the_data_folder_is_the_one_the_program_uses(monkeypatch):
    """app.paths on Windows: platformdirs' local (not roaming) app data, folder KhaoSat, no author level."""
    import platformdirs.windows

    monkeypatch.setattr(
        platformdirs.windows,
        "get_win_folder",
        lambda csidl: {"CSIDL_LOCAL_APPDATA": r"C:\Users\hang\AppData\Local"}.get(csidl, "X:\\wrong"),
    )
    folder = platformdirs.windows.Windows(appname="KhaoSat", appauthor=False, roaming=False).user_data_dir
    assert folder.replace("/", "\\") == r"C:\Users\hang\AppData\Local\KhaoSat"  # joined with / off Windows
    source = (ROOT / "app" / "paths.py").read_text(encoding="utf-8")
    assert 'user_data_dir("KhaoSat", appauthor=False, roaming=False)' in source


def test_custom_messages_exist_in_every_language(iss):
    lines = section(iss, "CustomMessages")
    keys: dict[str, set[str]] = {}
    for ln in lines:
        match = re.match(r"(\w+)\.(\w+)=", ln)
        if match:
            keys.setdefault(match.group(1), set()).add(match.group(2))
    assert set(keys) == {"vi", "en"}
    assert keys["vi"] == keys["en"]
    used = set(re.findall(r"\{cm:(\w+)", iss)) | set(re.findall(r"CustomMessage\('(\w+)'\)", iss))
    builtin = {"CreateDesktopIcon", "AdditionalIcons", "UninstallProgram", "LaunchProgram"}
    assert used - builtin <= keys["en"]


def test_start_menu_has_the_program_the_self_test_and_the_uninstaller(iss):
    icons = "\n".join(section(iss, "Icons"))
    assert 'Name: "{group}\\{#AppName}"; Filename: "{app}\\{#AppExe}"' in icons
    selftest = re.search(
        r'Name: "\{group\}\\\{cm:SelfTest\}"; Filename: "\{cmd\}"; Parameters: "(.*?)";', icons
    )
    assert selftest and selftest.group(1).replace('""', '"') == '/k ""{app}\\{#CliExe}" --self-test"'
    assert "{uninstallexe}" in icons
    assert 'Name: "{autodesktop}\\{#AppName}"' in icons and "Tasks: desktopicon" in icons


def test_icon_is_a_real_ico_with_the_usual_sizes():
    data = (ROOT / "resources" / "icons" / "khaosat.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind) == (0, 1) and count >= 4
    sizes = set()
    for i in range(count):
        w, h, _colors, _res, planes, bpp, size, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * i)
        image = data[offset : offset + size]
        assert len(image) == size and image.startswith(b"\x89PNG\r\n\x1a\n")
        png_w, png_h = struct.unpack(">II", image[16:24])  # IHDR
        assert (png_w, png_h) == (w or 256, h or 256) and bpp == 32 and planes == 1
        sizes.add(png_w)
    assert {16, 32, 48, 256} <= sizes
    setup = setup_values(ISS.read_bytes().decode("utf-8-sig"))
    assert (ISS.parent / setup["SetupIconFile"].replace("\\", "/")).resolve() == (
        ROOT / "resources" / "icons" / "khaosat.ico"
    )


def test_one_version_everywhere():
    """pyproject's version (the EXE resource, hence the setup's) is the one ``khaosat --version`` prints."""
    import tomllib

    from app import __version__

    with open(ROOT / "pyproject.toml", "rb") as fh:
        assert tomllib.load(fh)["project"]["version"] == __version__
    spec = SPEC.read_text(encoding="utf-8")
    assert 'vi.StringStruct("FileVersion", VERSION)' in spec and "def project_version()" in spec


def test_windows_version_resource_of_the_spec_serialises(monkeypatch):
    """The spec's version_info() (used only on Windows) builds a resource PyInstaller can write.

    PyInstaller's versioninfo imports pefile and win32api (Windows only) at the top; neither is used
    to build and serialise the structure, so stand-ins let the function run here."""
    import ast
    import types

    import PyInstaller.compat

    monkeypatch.setitem(sys.modules, "pefile", types.ModuleType("pefile"))
    monkeypatch.setattr(PyInstaller.compat, "win32api", types.ModuleType("win32api"), raising=False)
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.win32.versioninfo", None)
    del sys.modules[
        "PyInstaller.utils.win32.versioninfo"
    ]  # imported afresh with the stand-ins, dropped after
    from app import __version__

    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "version_info")
    scope = {"re": re, "VERSION": __version__}
    exec(compile(ast.Module([fn], []), str(SPEC), "exec"), scope)
    info = scope["version_info"]("KhaoSat.exe", "KhaoSat: khảo sát doanh nghiệp")
    raw = info.toRaw()
    assert "KhaoSat: khảo sát doanh nghiệp".encode("utf-16-le") in raw
    assert __version__.encode("utf-16-le") in raw and "KhaoSat.exe".encode("utf-16-le") in raw
    numbers = tuple(int(x) for x in __version__.split("."))
    assert info.ffi.fileVersionMS == (numbers[0] << 16 | numbers[1])
