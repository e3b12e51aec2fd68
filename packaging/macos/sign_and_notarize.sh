#!/usr/bin/env bash
# Signs "Payout Desk.app" inside out with a Developer ID, notarizes and staples it, then does the same for a DMG.
# macOS only; NOT run on Linux (see packaging/README.md). Called by packaging/macos/build.sh.
#
#   MACOS_SIGN_IDENTITY="Developer ID Application: Example Ltd (TEAMID1234)" \
#   MACOS_NOTARY_PROFILE=payout-desk-notary \
#   bash packaging/macos/sign_and_notarize.sh "dist/Payout Desk.app" 0.1.0
#
# One-time set-up of the notary profile (stores an app-specific password in the login keychain):
#   xcrun notarytool store-credentials payout-desk-notary --apple-id <id> --team-id <TEAMID1234>
# Without MACOS_NOTARY_PROFILE the app is signed and verified but not notarized (fine for internal testing).
set -euo pipefail
cd "$(dirname "$0")/../.."

APP="${1:?usage: sign_and_notarize.sh <path to .app> <version>}"
VERSION="${2:?usage: sign_and_notarize.sh <path to .app> <version>}"
IDENTITY="${MACOS_SIGN_IDENTITY:?set MACOS_SIGN_IDENTITY to a 'Developer ID Application: …' identity}"
PROFILE="${MACOS_NOTARY_PROFILE:-}"
APP_ENTITLEMENTS=packaging/macos/entitlements.plist
HELPER_ENTITLEMENTS=packaging/macos/entitlements-webengine.plist
DIST="$(dirname "$APP")"
DMG="$DIST/payout-desk-$VERSION-macos-$(uname -m).dmg"

sign() {  # sign [--entitlements FILE] PATH: hardened runtime, secure timestamp, replacing any earlier signature
  codesign --force --timestamp --options runtime --sign "$IDENTITY" "$@"
}
is_macho() { file -b "$1" | grep -q 'Mach-O'; }

# 1. Loose Mach-O files (dylibs, Python extension modules, Qt plugins), deepest first, outside any nested bundle
#    (a .framework or .app is signed as a whole below) and not the main executables (signed last).
while IFS= read -r -d '' f; do
  case "$f" in *.framework/* | */QtWebEngineProcess.app/*) continue ;; esac
  is_macho "$f" && sign "$f"
done < <(find "$APP/Contents/Frameworks" "$APP/Contents/Resources" -type f -print0 2>/dev/null)

# 2. The QtWebEngine helper app, with the JIT entitlements its renderer needs.
while IFS= read -r -d '' helper; do
  entitlements="$HELPER_ENTITLEMENTS"
  shipped="$helper/Contents/Resources/QtWebEngineProcess.entitlements"
  [[ -f "$shipped" ]] && entitlements="$shipped"
  echo "signing $helper (entitlements: $entitlements)"
  sign --entitlements "$entitlements" "$helper"
done < <(find "$APP" -type d -name 'QtWebEngineProcess.app' ! -path '*/Current/*' -print0)

# 3. Frameworks (Qt's), each signed as a bundle after what they contain. Loose Mach-O files inside them first.
while IFS= read -r -d '' fw; do
  while IFS= read -r -d '' f; do
    case "$f" in */QtWebEngineProcess.app/*) continue ;; esac
    [[ -L "$f" ]] || ! is_macho "$f" || [[ "$(basename "$f")" == "$(basename "$fw" .framework)" ]] || sign "$f"
  done < <(find "$fw" -type f -print0)
  sign "$fw"
done < <(find "$APP/Contents/Frameworks" -type d -name '*.framework' -print0 | sort -rz)

# 4. The executables, then the bundle itself.
for exe in "$APP"/Contents/MacOS/*; do
  sign --entitlements "$APP_ENTITLEMENTS" "$exe"
done
sign --entitlements "$APP_ENTITLEMENTS" "$APP"

echo "verifying the signature"
codesign --verify --deep --strict --verbose=2 "$APP"
codesign --display --entitlements - "$APP" >/dev/null

if [[ -z "$PROFILE" ]]; then
  echo "MACOS_NOTARY_PROFILE is not set: signed, not notarized (Gatekeeper will refuse it on other Macs)."
  exit 0
fi

# 5. Notarize the app (zip upload), staple the ticket so it verifies offline.
ZIP="$(mktemp -d)/payout-desk.zip"
ditto -c -k --sequesterRsrc --keepParent "$APP" "$ZIP"
xcrun notarytool submit "$ZIP" --keychain-profile "$PROFILE" --wait
xcrun stapler staple "$APP"
spctl --assess --type execute --verbose=2 "$APP"

# 6. The DMG IT distributes: signed, notarized and stapled as well.
rm -f "$DMG"
hdiutil create -volname "Payout Desk" -srcfolder "$APP" -ov -format UDZO "$DMG"
codesign --force --timestamp --sign "$IDENTITY" "$DMG"
xcrun notarytool submit "$DMG" --keychain-profile "$PROFILE" --wait
xcrun stapler staple "$DMG"
spctl --assess --type open --context context:primary-signature --verbose=2 "$DMG"
echo "notarized: $APP and $DMG"
