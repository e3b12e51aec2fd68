#!/usr/bin/env bash
# Builds the Linux one-folder app with PyInstaller, smoke-tests it, and reports its size.
#
#   bash packaging/build.sh          (what `make package` runs, after scripts/bootstrap.sh --group package)
#
# Steps: system tools check -> icon check -> .desktop/metainfo validation (when the validators are
# installed) -> PyInstaller (packaging/payout_desk.spec) -> data trim (Qt Core's ICU data,
# packaging/icu_trim.py; Babel's locale data, packaging/babel_trim.py, which proves every amount and
# currency name the app shows is unchanged) -> packaging/smoke_test.sh on the folder -> size against
# the budget. Output: dist/payout-desk/ (run dist/payout-desk/payout-desk).
# Also writes dist/payout-desk-<version>-linux-<arch>.tar.xz, the archive IT downloads (xz with the
# x86 filter, as distributions and AppImage compress; unpack with `tar xJf`).
# Exit status: 0 = built and the smoke test passed; non-zero otherwise (the size is reported, see below).
#
# Environment (optional):
#   PAYOUT_DESK_SIZE_BUDGET_MB  size target in MB (10^6 bytes), default 380; over it is a warning,
#   PAYOUT_DESK_SIZE_STRICT=1   ... or an error (exit 3)
#   PAYOUT_DESK_DOWNLOAD_BUDGET_MB  the archive's target in MB, default 120 (reported)
#   PAYOUT_DESK_TRIM=0          build without trimming Qt (to measure the naive size); see payout_desk.spec
#   PAYOUT_DESK_DIST / PAYOUT_DESK_WORK  output and work directories (default dist/, build/pyinstaller/)
set -euo pipefail
cd "$(dirname "$0")/.."

BUDGET_MB="${PAYOUT_DESK_SIZE_BUDGET_MB:-380}"
DIST="${PAYOUT_DESK_DIST:-dist}"
WORK="${PAYOUT_DESK_WORK:-build/pyinstaller}"
PY=.venv/bin/python
APP_ID=payout-desk

say() { printf '\n== %s\n' "$*"; }

# --- 1. tools this build needs that a fresh machine may lack --------------------------------------
# PyInstaller needs objdump and objcopy (binutils) on Linux; the ICU data trim needs icupkg and genccode
# (icu-devtools) and a C compiler; the archive needs xz. Qt's runtime libraries and fonts are installed by
# scripts/bootstrap.sh (`make package` runs it first).
say "checking build tools"
missing=()
command -v objdump >/dev/null 2>&1 && command -v objcopy >/dev/null 2>&1 || missing+=(binutils)
command -v icupkg >/dev/null 2>&1 && command -v genccode >/dev/null 2>&1 || missing+=(icu-devtools)
command -v cc >/dev/null 2>&1 || missing+=(gcc)
command -v xz >/dev/null 2>&1 || missing+=(xz-utils)
if ((${#missing[@]})); then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "build: installing ${missing[*]} (needed by PyInstaller, the data trim and the archive)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "build: the build needs ${missing[*]}. Install it, then run the command again:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi
if [[ ! -x "$PY" ]] || ! "$PY" -c 'import PyInstaller' 2>/dev/null; then
  echo "build: PyInstaller is not in .venv. Set up the packaging environment first:" >&2
  echo "  bash scripts/bootstrap.sh --group package      (or: make package)" >&2
  exit 1
fi
VERSION=$("$PY" -c 'import payout_desk; print(payout_desk.__version__)')
echo "building $APP_ID $VERSION with PyInstaller $("$PY" -c 'import PyInstaller; print(PyInstaller.__version__)')"

# --- 2. resources -------------------------------------------------------------------------------
say "checking icons"
"$PY" packaging/render_icons.py --check

say "validating the desktop entry and AppStream metainfo"
DESKTOP=resources/linux/io.github.payoutdesk.PayoutDesk.desktop
METAINFO=resources/linux/io.github.payoutdesk.PayoutDesk.metainfo.xml
validators=0
if command -v desktop-file-validate >/dev/null 2>&1; then
  desktop-file-validate "$DESKTOP" && echo "desktop-file-validate: ok"
  validators=$((validators + 1))
fi
if command -v appstreamcli >/dev/null 2>&1; then
  appstreamcli validate --no-net "$METAINFO"
  validators=$((validators + 1))
fi
if ((validators < 2)); then
  echo "(a validator is not installed, its check was skipped; to run both:"
  echo "   sudo apt-get install -y desktop-file-utils appstream)"
fi

# --- 3. PyInstaller -----------------------------------------------------------------------------
say "running PyInstaller (a few minutes)"
start=$SECONDS
"$PY" -m PyInstaller --noconfirm --log-level WARN \
  --distpath "$DIST" --workpath "$WORK" packaging/payout_desk.spec
echo "PyInstaller took $((SECONDS - start)) s"
FOLDER="$DIST/$APP_ID"
[[ -x "$FOLDER/$APP_ID" ]] || { echo "build: $FOLDER/$APP_ID was not produced" >&2; exit 1; }
install -m 755 packaging/linux/install.sh "$FOLDER/install.sh"  # desktop integration travels with the folder

# --- 3b. data the app never reads (PAYOUT_DESK_TRIM=0 keeps it) --------------------------------------
if [[ "${PAYOUT_DESK_TRIM:-1}" != 0 ]]; then
  say "trimming data the app does not read"
  for lib in "$FOLDER"/_internal/PySide6/Qt/lib/libicudata.so.*; do
    [[ -L "$lib" ]] || "$PY" packaging/icu_trim.py "$lib"
  done
  "$PY" packaging/babel_trim.py "$FOLDER/_internal/babel/locale-data"
fi

# --- 4. smoke test --------------------------------------------------------------------------------
say "smoke-testing $FOLDER"
smoke_status=0
bash packaging/smoke_test.sh "$FOLDER" "$VERSION" || smoke_status=$?

# --- 5. size ------------------------------------------------------------------------------------
say "size"
bytes=$(du -sb "$FOLDER" | cut -f1)
"$PY" - "$bytes" "$BUDGET_MB" "$FOLDER" <<'PYEOF'
import sys
size, budget, folder = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
mb, mib = size / 1e6, size / 2**20
verdict = "within target" if mb <= budget else "OVER target"
print(f"{folder}: {mb:.1f} MB ({mib:.1f} MiB) - target <= {budget:.0f} MB: {verdict}")
PYEOF
echo "largest files:"
# awk stops printing after 8 but reads everything: `head` would close the pipe early, and with pipefail
# sort's SIGPIPE (exit 141) would fail the build.
find "$FOLDER" -type f -printf '%s %P\n' | sort -rn | awk 'NR <= 8 {printf "  %7.1f MB  %s\n", $1/1e6, $2}'

over=$("$PY" -c "import sys; print(int(int(sys.argv[1]) / 1e6 > float(sys.argv[2])))" "$bytes" "$BUDGET_MB")
if ((smoke_status != 0)); then
  echo "build: FAILED - the smoke test failed (exit $smoke_status)" >&2
  exit "$smoke_status"
fi

# --- 6. the archive IT downloads ------------------------------------------------------------------
say "archive"
ARCHIVE="$DIST/$APP_ID-$VERSION-linux-$(uname -m).tar.xz"
rm -f "$DIST/$APP_ID-$VERSION-linux-$(uname -m).tar.gz"  # the gzip archive of earlier builds
# --x86: the BCJ filter makes x86 machine code (most of the folder) compress better; -9e, 2 threads.
tar -C "$DIST" --sort=name -cf - "$APP_ID" | xz -T2 --x86 --lzma2=preset=9e >"$ARCHIVE"
archive_bytes=$(stat -c %s "$ARCHIVE")
DOWNLOAD_MB="${PAYOUT_DESK_DOWNLOAD_BUDGET_MB:-120}"
awk -v b="$archive_bytes" -v t="$DOWNLOAD_MB" \
  'BEGIN {printf "download: %.1f MB - target <= %d MB: %s\n", b / 1e6, t, (b / 1e6 <= t ? "within target" : "OVER target")}'
echo "$ARCHIVE: $(awk -v b="$archive_bytes" 'BEGIN {printf "%.1f MB", b / 1e6}')" \
  "(unpack with tar xJf, then run $APP_ID/install.sh for the menu entry and icons)"

if ((over)); then
  # Reported, not fatal: see packaging/README.md ("Size") for what the folder is made of.
  echo "build: WARNING - the folder is over the ${BUDGET_MB} MB target (see packaging/README.md, Size);" \
       "set PAYOUT_DESK_SIZE_STRICT=1 to make this an error" >&2
  [[ "${PAYOUT_DESK_SIZE_STRICT:-0}" == 1 ]] && exit 3
fi
echo "build: ok - $FOLDER ($APP_ID $VERSION); run it with $FOLDER/$APP_ID"
