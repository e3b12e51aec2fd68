# Builds, smoke-tests and packages Payout Desk on Windows (x64). NOT run on Linux: see packaging/README.md.
#
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
#
# Needs: Python 3.11+ (x64), uv (https://docs.astral.sh/uv/), Inno Setup 6 (ISCC.exe; winget install JRSoftware.InnoSetup).
# Optional code signing: set $env:PAYOUT_DESK_SIGN_CERT_SHA1 to the thumbprint of a code-signing certificate in the
# user's certificate store (signtool.exe from the Windows SDK on PATH); the app executables and the installer are signed.
# Output: dist\payout-desk\ (the one-folder app) and dist\payout-desk-<version>-windows-x64-setup.exe
$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest
$Root = Resolve-Path (Join-Path $PSScriptRoot "..\..")
Set-Location $Root

function Step($text) { Write-Host "`n== $text" }
function Check($ok, $what) { if (-not $ok) { throw "smoke test failed: $what" } else { Write-Host "smoke: ok    $what" } }

Step "environment (uv sync --frozen --group package)"
uv sync --frozen --group package
if ($LASTEXITCODE) { throw "uv sync failed" }
$Python = Join-Path $Root ".venv\Scripts\python.exe"
$Version = & $Python -c "import payout_desk; print(payout_desk.__version__)"
$Numeric = & $Python -c "import re, payout_desk; print('.'.join(re.findall(r'\d+', payout_desk.__version__)[:3]))"

Step "PyInstaller"
& $Python -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build\pyinstaller packaging\payout_desk.spec
if ($LASTEXITCODE) { throw "PyInstaller failed" }
$Folder = Join-Path $Root "dist\payout-desk"
$App = Join-Path $Folder "payout-desk.exe"
$Probe = Join-Path $Folder "payout-desk-webengine-check.exe"

if ($env:PAYOUT_DESK_SIGN_CERT_SHA1) {
  Step "signing the executables"
  signtool sign /sha1 $env:PAYOUT_DESK_SIGN_CERT_SHA1 /fd SHA256 /tr http://timestamp.digicert.com /td SHA256 $App $Probe
  if ($LASTEXITCODE) { throw "signtool failed" }
}

Step "smoke test"
# payout-desk.exe is a windowed (GUI) executable: it has no console, so --version prints nothing here. The checks
# use exit codes; the self-test also writes its steps to the log (%LOCALAPPDATA%\PayoutDesk\payout-desk\Logs, or
# <data-dir>\logs with --data-dir).
$Smoke = Join-Path $env:TEMP ("payout-desk-smoke-" + [guid]::NewGuid())
New-Item -ItemType Directory -Path $Smoke | Out-Null
$env:QT_QPA_PLATFORM = "offscreen"
$p = Start-Process -FilePath $App -ArgumentList "--version" -Wait -PassThru -NoNewWindow
Check ($p.ExitCode -eq 0) "--version exits 0"
$p = Start-Process -FilePath $App -ArgumentList "--self-test", "--data-dir", "`"$Smoke`"" -Wait -PassThru -NoNewWindow
Check ($p.ExitCode -eq 0) "--self-test: a payout through the embedded sandbox reached succeeded"
& $Probe --timeout 60
Check ($LASTEXITCODE -eq 0) "QtWebEngine renders, runs JavaScript and ICU"
Remove-Item Env:QT_QPA_PLATFORM
Remove-Item -Recurse -Force $Smoke

Step "size"
$Bytes = (Get-ChildItem -Recurse -File $Folder | Measure-Object -Sum Length).Sum
"{0}: {1:N1} MB - target <= 300 MB: {2}" -f $Folder, ($Bytes / 1e6), ($(if ($Bytes / 1e6 -le 300) { "within target" } else { "OVER target" }))

Step "installer (Inno Setup)"
$Iscc = Join-Path ${env:ProgramFiles(x86)} "Inno Setup 6\ISCC.exe"
if (-not (Test-Path $Iscc)) { throw "Inno Setup 6 not found at $Iscc (winget install JRSoftware.InnoSetup)" }
$IsccArgs = @("/DAppVersion=$Version", "/DAppVersionNumeric=$Numeric")
if ($env:PAYOUT_DESK_SIGN_CERT_SHA1) {
  # /S defines, for this compile only, a sign tool named "signtool" ($p = the file Inno Setup asks to sign);
  # /DSignTool makes payout-desk.iss use it for the installer and the uninstaller.
  $IsccArgs += "/Ssigntool=signtool sign /sha1 $($env:PAYOUT_DESK_SIGN_CERT_SHA1) /fd SHA256 /tr http://timestamp.digicert.com /td SHA256 `$p"
  $IsccArgs += "/DSignTool=signtool"
}
& $Iscc @IsccArgs packaging\windows\payout-desk.iss
if ($LASTEXITCODE) { throw "ISCC failed" }
Write-Host "`nbuild: ok - dist\payout-desk-$Version-windows-x64-setup.exe"
