; KhaoSat: Inno Setup 6 script for the Windows setup (per user, no administrator rights).
;
; Build dist\KhaoSat first (uv run pyinstaller installer\khaosat.spec), then from the checkout's root:
;     "%ProgramFiles(x86)%\Inno Setup 6\ISCC.exe" installer\khaosat.iss
; Result: dist\installer\KhaoSat-<version>-setup.exe. Step by step: installer\README.md.
;
; - Installs into %LOCALAPPDATA%\Programs\KhaoSat for the current user only (PrivilegesRequired=lowest):
;   no administrator password, no UAC prompt.
; - Start menu: KhaoSat, "Tự kiểm tra KhaoSat" (runs khaosat-cli --self-test in a console), uninstall.
;   Desktop shortcut (a task, ticked by default).
; - Bundle files (.khaosat) and receipts (.khaosat-receipt) open with KhaoSat: registered under
;   HKCU\Software\Classes, removed on uninstall. Double-clicking one imports it (khaosat-cli import)
;   in a console window that stays open to show the result.
; - The user's data (%LOCALAPPDATA%\KhaoSat: database, backups, keys) is never touched by installing
;   or upgrading, and is kept on uninstall unless the user answers Yes to the question (default No).
; - Version: /DAppVersion=x.y.z on the command line, otherwise read from KhaoSat.exe, whose version
;   resource the PyInstaller spec writes from pyproject.toml.
; - Vietnamese wizard if Vietnamese.isl is available (see README), English otherwise.
; This file is UTF-8 with a byte-order mark (Inno Setup reads it as Unicode then).

#define AppName "KhaoSat"
#define AppExe "KhaoSat.exe"
#define CliExe "khaosat-cli.exe"
#define Dist AddBackslash(SourcePath) + "..\dist\KhaoSat"
#define BundleExt ".khaosat"
#define ReceiptExt ".khaosat-receipt"
#define BundleProgId "KhaoSat.Bundle"
#define ReceiptProgId "KhaoSat.Receipt"

#ifndef AppVersion
  #define AppVersion GetVersionNumbersString(Dist + "\" + AppExe)
#endif
#if AppVersion == ""
  #error dist\KhaoSat\KhaoSat.exe not found or has no version: build it with PyInstaller first
#endif

#if FileExists(CompilerPath + "Languages\Vietnamese.isl")
  #define VietnameseIsl "compiler:Languages\Vietnamese.isl"
#elif FileExists(AddBackslash(SourcePath) + "Vietnamese.isl")
  #define VietnameseIsl AddBackslash(SourcePath) + "Vietnamese.isl"
#endif

[Setup]
AppId={{70C64F79-2A3B-46B3-8F7B-C2922B7178DC}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=KhaoSat
AppComments=Khảo sát doanh nghiệp, xây dựng tổ chức Đảng và đoàn thể
VersionInfoVersion={#AppVersion}
VersionInfoProductName={#AppName}
VersionInfoProductVersion={#AppVersion}
VersionInfoDescription={#AppName} Setup
; Per user, no administrator rights: %LOCALAPPDATA%\Programs\KhaoSat, shortcuts and registry in the user's profile.
PrivilegesRequired=lowest
DefaultDirName={localappdata}\Programs\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
DisableDirPage=auto
UsePreviousAppDir=yes
; PySide6 6.x runs on 64-bit Windows 10 and later.
MinVersion=10.0
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
SetupIconFile=..\resources\icons\khaosat.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
OutputDir=..\dist\installer
OutputBaseFilename={#AppName}-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesAssociations=yes
CloseApplications=yes
RestartApplications=no
; Vietnamese (the first language) whatever the language of Windows; English when Vietnamese.isl is absent.
ShowLanguageDialog=no
LanguageDetectionMethod=none

[Languages]
#ifdef VietnameseIsl
Name: "vi"; MessagesFile: "{#VietnameseIsl}"
#endif
Name: "en"; MessagesFile: "compiler:Default.isl"

[CustomMessages]
#ifdef VietnameseIsl
vi.SelfTest=Tự kiểm tra KhaoSat
vi.BundleType=Gói dữ liệu KhaoSat
vi.ReceiptType=Biên nhận gói dữ liệu KhaoSat
vi.DeleteDataQuestion=Có XÓA cả dữ liệu của KhaoSat trên máy này không?%n%n%1%n%nThư mục này chứa cơ sở dữ liệu khảo sát, các bản sao lưu và khóa của máy. Nếu xóa thì KHÔNG lấy lại được. Chỉ chọn "Yes" khi dữ liệu đã được gửi lên cơ quan cấp trên hoặc đã sao lưu ra nơi khác.%n%nChọn "No" để giữ lại dữ liệu (cài lại KhaoSat sẽ dùng tiếp dữ liệu này).
vi.DataKept=Dữ liệu của KhaoSat được giữ lại trong:%n%1
#endif
en.SelfTest=KhaoSat self-test
en.BundleType=KhaoSat data bundle
en.ReceiptType=KhaoSat bundle receipt
en.DeleteDataQuestion=Also DELETE KhaoSat's data on this computer?%n%n%1%n%nThis folder holds the survey database, its backups and this computer's keys. Deleted data CANNOT be recovered. Answer Yes only if the data has been sent to the office above or backed up elsewhere.%n%nAnswer No to keep the data (reinstalling KhaoSat will use it again).
en.DataKept=KhaoSat's data was kept in:%n%1

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[InstallDelete]
; An upgrade replaces the program's libraries as a whole: no stale files of an older version remain.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#Dist}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"
Name: "{group}\{cm:SelfTest}"; Filename: "{cmd}"; Parameters: "/k """"{app}\{#CliExe}"" --self-test"""; WorkingDir: "{app}"; IconFilename: "{app}\{#AppExe}"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Registry]
; Per-user file types (HKCU\Software\Classes): a bundle or a receipt opens with KhaoSat (imported in a console
; that stays open to show the result).
Root: HKCU; Subkey: "Software\Classes\{#BundleExt}"; ValueType: string; ValueName: ""; ValueData: "{#BundleProgId}"; Flags: uninsdeletevalue
Root: HKCU; Subkey: "Software\Classes\{#BundleExt}\OpenWithProgids"; ValueType: string; ValueName: "{#BundleProgId}"; ValueData: ""; Flags: uninsdeletevalue
Root: HKCU; Subkey: "Software\Classes\{#BundleProgId}"; ValueType: string; ValueName: ""; ValueData: "{cm:BundleType}"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\{#BundleProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"",0"
Root: HKCU; Subkey: "Software\Classes\{#BundleProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" gui ""%1"""
Root: HKCU; Subkey: "Software\Classes\{#ReceiptExt}"; ValueType: string; ValueName: ""; ValueData: "{#ReceiptProgId}"; Flags: uninsdeletevalue
Root: HKCU; Subkey: "Software\Classes\{#ReceiptExt}\OpenWithProgids"; ValueType: string; ValueName: "{#ReceiptProgId}"; ValueData: ""; Flags: uninsdeletevalue
Root: HKCU; Subkey: "Software\Classes\{#ReceiptProgId}"; ValueType: string; ValueName: ""; ValueData: "{cm:ReceiptType}"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\{#ReceiptProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"",0"
Root: HKCU; Subkey: "Software\Classes\{#ReceiptProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" gui ""%1"""

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
{ The user's data: platformdirs.user_data_dir("KhaoSat", appauthor=False, roaming=False), see app/paths.py. }
function UserDataDir(): String;
begin
  Result := ExpandConstant('{localappdata}\KhaoSat');
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Folder: String;
begin
  if CurUninstallStep <> usPostUninstall then
    Exit;
  Folder := UserDataDir();
  if not DirExists(Folder) then
    Exit;
  { A silent uninstall (e.g. by an upgrade script) always keeps the data. The default button is No. }
  if UninstallSilent() then
    Exit;
  if SuppressibleMsgBox(FmtMessage(CustomMessage('DeleteDataQuestion'), [Folder]),
                        mbConfirmation, MB_YESNO or MB_DEFBUTTON2, IDNO) = IDYES then
  begin
    if not DelTree(Folder, True, True, True) then
      MsgBox(Folder, mbError, MB_OK);
  end
  else
    MsgBox(FmtMessage(CustomMessage('DataKept'), [Folder]), mbInformation, MB_OK);
end;
