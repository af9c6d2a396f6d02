"""The Inno Setup script and the icon, checked against the program they install.

Inno Setup only runs on Windows (not in CI): these tests hold the script to the facts it depends on
(the executables the spec builds, the bundle extensions of app.sync, the user's data folder of
app.paths, per-user installation) so that a change on one side cannot silently break the other.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

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
    assert files == ['Source: "{#Dist}\\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs']


def test_bundle_types_are_the_sync_extensions(iss):
    from app.sync.bundles import BUNDLE_SUFFIX, RECEIPT_SUFFIX

    d = defines(iss)
    assert d["BundleExt"] == BUNDLE_SUFFIX and d["ReceiptExt"] == RECEIPT_SUFFIX
    registry = "\n".join(section(iss, "Registry"))
    for ext, progid in (("BundleExt", "BundleProgId"), ("ReceiptExt", "ReceiptProgId")):
        assert f'Subkey: "Software\\Classes\\{{#{ext}}}"; ValueType: string; ValueName: ""; ValueData: "{{#{progid}}}"' \
            in registry
        command = re.search(rf'Subkey: "Software\\Classes\\{{#{progid}}}\\shell\\open\\command";.*ValueData: "(.*)"$',
                            registry, re.MULTILINE)
        assert command, progid
        # Inno's "" is one quote: the command is  "cmd" /k ""...\khaosat-cli.exe" import "%1""
        value = command.group(1).replace('""', '"')
        assert value == '"{cmd}" /k ""{app}\\{#CliExe}" import "%1""'
    from app.cli.main import _load_extensions, build_parser

    _load_extensions()
    build_parser().parse_args(["import", "C:\\USB\\goi.khaosat"])  # the command exists with that syntax


def test_uninstaller_keeps_the_data_unless_asked(iss):
    code = iss[iss.index("[Code]"):]
    assert "ExpandConstant('{localappdata}\\KhaoSat')" in code
    # Deletion happens only after an explicit Yes; No is the default button; silent uninstall keeps data.
    assert "MB_YESNO or MB_DEFBUTTON2, IDNO) = IDYES then" in code
    assert code.index("if UninstallSilent() then") < code.index("DelTree(")
    assert code.count("DelTree(") == 1


def test_the_data_folder_is_the_one_the_program_uses(monkeypatch):
    """app.paths on Windows: platformdirs' local (not roaming) app data, folder KhaoSat, no author level."""
    import platformdirs.windows

    monkeypatch.setattr(platformdirs.windows, "get_win_folder",
                        lambda csidl: {"CSIDL_LOCAL_APPDATA": r"C:\Users\hang\AppData\Local"}.get(csidl, "X:\\wrong"))
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
    selftest = re.search(r'Name: "\{group\}\\\{cm:SelfTest\}"; Filename: "\{cmd\}"; Parameters: "(.*?)";', icons)
    assert selftest and selftest.group(1).replace('""', '"') == '/k ""{app}\\{#CliExe}" --self-test"'
    assert '{uninstallexe}' in icons
    assert 'Name: "{autodesktop}\\{#AppName}"' in icons and "Tasks: desktopicon" in icons


def test_icon_is_a_real_ico_with_the_usual_sizes():
    data = (ROOT / "resources" / "icons" / "khaosat.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind) == (0, 1) and count >= 4
    sizes = set()
    for i in range(count):
        w, h, _colors, _res, planes, bpp, size, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * i)
        image = data[offset:offset + size]
        assert len(image) == size and image.startswith(b"\x89PNG\r\n\x1a\n")
        png_w, png_h = struct.unpack(">II", image[16:24])  # IHDR
        assert (png_w, png_h) == (w or 256, h or 256) and bpp == 32 and planes == 1
        sizes.add(png_w)
    assert {16, 32, 48, 256} <= sizes
    setup = setup_values(ISS.read_bytes().decode("utf-8-sig"))
    assert (ISS.parent / setup["SetupIconFile"].replace("\\", "/")).resolve() == (ROOT / "resources" / "icons" / "khaosat.ico")


def test_one_version_everywhere():
    """pyproject's version (the EXE resource, hence the setup's) is the one ``khaosat --version`` prints."""
    import tomllib

    from app import __version__

    with open(ROOT / "pyproject.toml", "rb") as fh:
        assert tomllib.load(fh)["project"]["version"] == __version__
    spec = SPEC.read_text(encoding="utf-8")
    assert 'vi.StringStruct("FileVersion", VERSION)' in spec and "def project_version()" in spec
