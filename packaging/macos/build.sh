#!/usr/bin/env bash
# Builds, smoke-tests, signs and notarizes Payout Desk on macOS. NOT run on Linux: see packaging/README.md.
#
#   bash packaging/macos/build.sh                    build + smoke test (ad-hoc signed by PyInstaller)
#   MACOS_SIGN_IDENTITY="Developer ID Application: …" MACOS_NOTARY_PROFILE=payout-desk-notary \
#   bash packaging/macos/build.sh                    … then sign, notarize, staple, and make the DMG
#
# Needs: Xcode command line tools, Python 3.11+ for the Mac's architecture (arm64 or x86_64: the build matches
# the Python it runs under; build on each architecture you ship), uv.
# Output: "dist/Payout Desk.app" (and dist/payout-desk-<version>-macos-<arch>.dmg when notarizing).
set -euo pipefail
cd "$(dirname "$0")/../.."

uv sync --frozen --group package
PY=.venv/bin/python
VERSION=$("$PY" -c 'import payout_desk; print(payout_desk.__version__)')

"$PY" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller packaging/payout_desk.spec
APP="dist/Payout Desk.app"
MACOS="$APP/Contents/MacOS"

echo "== smoke test"
helper=$(find "$APP" -path '*QtWebEngineProcess.app/Contents/MacOS/QtWebEngineProcess' -type f -print -quit)
[[ -n "$helper" ]] || { echo "QtWebEngineProcess.app is missing from the bundle" >&2; exit 1; }
echo "smoke: ok    QtWebEngineProcess: ${helper#"$APP/"}"
got=$("$MACOS/payout-desk" --version)
[[ "$got" == "payout-desk $VERSION" ]] || { echo "--version answered '$got'" >&2; exit 1; }
echo "smoke: ok    --version answers '$got'"
scratch=$(mktemp -d)
QT_QPA_PLATFORM=offscreen "$MACOS/payout-desk" --self-test --data-dir "$scratch"
QT_QPA_PLATFORM=offscreen "$MACOS/payout-desk-webengine-check" --timeout 60
rm -rf "$scratch"
du -sh "$APP"

if [[ -n "${MACOS_SIGN_IDENTITY:-}" ]]; then
  bash packaging/macos/sign_and_notarize.sh "$APP" "$VERSION"
  echo "== smoke test of the signed app (hardened runtime: QtWebEngine must still render)"
  QT_QPA_PLATFORM=offscreen "$MACOS/payout-desk-webengine-check" --timeout 60
else
  echo "MACOS_SIGN_IDENTITY is not set: the app is only ad-hoc signed (runs on this Mac only)."
fi
