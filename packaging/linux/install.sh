#!/usr/bin/env bash
# Installs (or removes) a built Payout Desk folder with its desktop integration.
#
#   ./install.sh                 per user: ~/.local/opt/payout-desk, ~/.local/bin, ~/.local/share
#   sudo ./install.sh --system   all users: /opt/payout-desk, /usr/local/bin, /usr/local/share
#   ./install.sh --uninstall     (with --system for a system install)
#   PREFIX=/some/where ./install.sh   a custom prefix (bin/, share/, opt/ under it)
#
# Run it from the built folder (dist/payout-desk/install.sh, where build.sh puts a copy) or pass the
# folder: ./install.sh --from /path/to/payout-desk. Nothing here needs the network or the repository:
# the .desktop file, the AppStream metainfo and the icons travel inside the folder
# (_internal/resources/), the same files the app itself uses.
set -euo pipefail

APP_ID=payout-desk
DESKTOP_ID=io.github.payoutdesk.PayoutDesk
SIZES=(16 24 32 48 64 128 256 512)

mode=install
scope=user
from="$(cd "$(dirname "$0")" && pwd)"
while (($#)); do
  case "$1" in
    --system) scope=system ;;
    --user) scope=user ;;
    --uninstall) mode=uninstall ;;
    --from) from="$(cd "$2" && pwd)"; shift ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [[ -n "${PREFIX:-}" ]]; then
  opt="$PREFIX/opt/$APP_ID"; bin="$PREFIX/bin"; share="$PREFIX/share"
elif [[ "$scope" == system ]]; then
  [[ "$(id -u)" == 0 ]] || { echo "install.sh: --system needs root (sudo)" >&2; exit 1; }
  opt="/opt/$APP_ID"; bin=/usr/local/bin; share=/usr/local/share
else
  opt="$HOME/.local/opt/$APP_ID"; bin="$HOME/.local/bin"; share="${XDG_DATA_HOME:-$HOME/.local/share}"
fi

refresh_caches() {
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$share/applications" || true
  fi
  if command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q -t "$share/icons/hicolor" || true
  fi
}

if [[ "$mode" == uninstall ]]; then
  rm -rf "$opt"
  rm -f "$bin/$APP_ID" "$share/applications/$DESKTOP_ID.desktop" "$share/metainfo/$DESKTOP_ID.metainfo.xml" \
        "$share/icons/hicolor/scalable/apps/$APP_ID.svg"
  for n in "${SIZES[@]}"; do rm -f "$share/icons/hicolor/${n}x${n}/apps/$APP_ID.png"; done
  refresh_caches
  echo "removed $APP_ID from $opt"
  exit 0
fi

res="$from/_internal/resources"
[[ -x "$from/$APP_ID" && -d "$res" ]] || { echo "install.sh: $from is not a built $APP_ID folder" >&2; exit 1; }

# The app folder: replaced as a whole, so no file of an older version is left behind.
mkdir -p "$(dirname "$opt")"
staging="$(mktemp -d "$(dirname "$opt")/.$APP_ID.XXXXXX")"
cp -a "$from/." "$staging/"
rm -rf "$opt"
mv "$staging" "$opt"
chmod 755 "$opt"

install -d "$bin" "$share/applications" "$share/metainfo" "$share/icons/hicolor/scalable/apps"
ln -sfn "$opt/$APP_ID" "$bin/$APP_ID"
# The menu entry runs the installed binary by absolute path, whatever the session's PATH.
sed -e "s|^Exec=$APP_ID|Exec=$opt/$APP_ID|" -e "s|^TryExec=$APP_ID|TryExec=$opt/$APP_ID|" \
  "$res/linux/$DESKTOP_ID.desktop" >"$share/applications/$DESKTOP_ID.desktop"
chmod 644 "$share/applications/$DESKTOP_ID.desktop"
install -m 644 "$res/linux/$DESKTOP_ID.metainfo.xml" "$share/metainfo/$DESKTOP_ID.metainfo.xml"
install -m 644 "$res/icons/$APP_ID.svg" "$share/icons/hicolor/scalable/apps/$APP_ID.svg"
for n in "${SIZES[@]}"; do
  install -D -m 644 "$res/icons/hicolor/${n}x${n}/apps/$APP_ID.png" "$share/icons/hicolor/${n}x${n}/apps/$APP_ID.png"
done
refresh_caches

echo "installed $APP_ID in $opt; command: $bin/$APP_ID"
case ":$PATH:" in *":$bin:"*) ;; *) echo "note: $bin is not on PATH (the menu entry works regardless)" ;; esac
