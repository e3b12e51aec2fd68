; Inno Setup 6 script for Payout Desk (Windows x64). NOT built or tested on Linux: see packaging/README.md.
;
; Built by packaging\windows\build.ps1, which first builds dist\payout-desk\ with PyInstaller, smoke-tests
; it, then runs:
;   ISCC.exe /DAppVersion=<payout_desk.__version__> packaging\windows\payout-desk.iss
; Output: dist\payout-desk-<version>-windows-x64-setup.exe
;
; Per-user install by default (no admin rights; IT can force all users with /ALLUSERS on the command line),
; silent install for software distribution: setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART [/ALLUSERS]

#ifndef AppVersion
  #error Pass the version: ISCC /DAppVersion=x.y.z payout-desk.iss (build.ps1 reads it from the package)
#endif
#ifndef AppVersionNumeric
  ; the file-version resource needs digits only (a.b.c[.d]); build.ps1 passes it for pre-releases
  #define AppVersionNumeric AppVersion
#endif
#define AppName "Payout Desk"
#define AppExe "payout-desk.exe"
#define SourceDir "..\..\dist\payout-desk"

[Setup]
; AppId identifies the product for upgrades and uninstall: never change it.
AppId={{9B6D2B1F-4304-4DF1-B42D-1CF0D7E98FFA}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Payout Desk team
VersionInfoVersion={#AppVersionNumeric}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0.17763
OutputDir=..\..\dist
OutputBaseFilename=payout-desk-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\resources\icons\payout-desk.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Close a running copy before files are replaced.
CloseApplications=yes
RestartApplications=no
; Code signing: build.ps1 passes /DSignTool=... when a certificate is configured (see README).
#ifdef SignTool
SignTool={#SignTool}
SignedUninstaller=yes
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; A new version replaces the whole folder: no file of an older Qt/Python build may linger next to the new one.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; AppUserModelID: "PayoutDesk.PayoutDesk"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; AppUserModelID: "PayoutDesk.PayoutDesk"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only the program folder. The journal, settings and logs in the user's AppData are kept on purpose: the journal
; is the audit trail of every payout sent.
Type: filesandordirs; Name: "{app}"
