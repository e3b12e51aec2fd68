#!/usr/bin/env bash
# Smoke test of a built one-folder app: runs the frozen executables the way a user's machine would.
#
#   bash packaging/smoke_test.sh [FOLDER] [EXPECTED_VERSION]      (FOLDER defaults to dist/payout-desk)
#
# Each check runs with a clean environment (no venv, no PYTHONPATH, a throwaway HOME), from /, and
# offscreen, so nothing can come from the source checkout or a display:
#   1. `payout-desk --version` prints "payout-desk <version>" (the package's version)
#   2. `payout-desk --self-test --data-dir <tmp>`: embedded sandbox, a payout through the real core
#      services, completed through the sandbox's control surface, polled to `succeeded`; exit 0
#   3. `payout-desk-webengine-check`: QtWebEngine starts from the trimmed folder, renders a page, runs
#      JavaScript and ICU
#   4. the resources folder and the desktop files are in the bundle
# Exit status: 0 when every check passed, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

FOLDER="$(realpath "${1:-dist/payout-desk}")"
EXPECTED_VERSION="${2:-}"
APP_ID=payout-desk
APP="$FOLDER/$APP_ID"
PROBE="$FOLDER/$APP_ID-webengine-check"
TIMEOUT="${PAYOUT_DESK_SMOKE_TIMEOUT:-180}"
if [[ -z "$EXPECTED_VERSION" && -x .venv/bin/python ]]; then
  EXPECTED_VERSION=$(.venv/bin/python -c 'import payout_desk; print(payout_desk.__version__)')
fi

SCRATCH="$(mktemp -d -t payout-desk-smoke.XXXXXX)"
trap 'rm -rf "$SCRATCH"' EXIT
mkdir -p "$SCRATCH/home" "$SCRATCH/data" "$SCRATCH/runtime"
chmod 700 "$SCRATCH/runtime"

# A clean environment: what a desktop session would give the app, nothing from this shell or venv.
clean_env=(
  env -i
  HOME="$SCRATCH/home"
  PATH=/usr/local/bin:/usr/bin:/bin
  LANG=C.UTF-8
  XDG_RUNTIME_DIR="$SCRATCH/runtime"
  QT_QPA_PLATFORM=offscreen
  QTWEBENGINE_CHROMIUM_FLAGS=--disable-gpu
)
if [[ "$(id -u)" == 0 ]]; then
  clean_env+=(QTWEBENGINE_DISABLE_SANDBOX=1)  # Chromium refuses to run as root with its sandbox on
fi

failures=0
pass() { printf 'smoke: ok    %s\n' "$*"; }
fail() { printf 'smoke: FAIL  %s\n' "$*" >&2; failures=$((failures + 1)); }
run() {  # run NAME LOGFILE CMD... : runs CMD from / with the clean environment, output to LOGFILE and stdout
  local name="$1" log="$2"; shift 2
  local status=0
  (cd / && timeout --kill-after=10 "$TIMEOUT" "${clean_env[@]}" "$@") >"$log" 2>&1 || status=$?
  sed "s/^/    [$name] /" "$log"
  return "$status"
}

if [[ ! -x "$APP" ]]; then
  fail "no executable at $APP"
  exit 1
fi

# 1. --version
if run version "$SCRATCH/version.log" "$APP" --version; then
  got="$(tr -d '\r' <"$SCRATCH/version.log" | tail -n 1)"
  if [[ -z "$EXPECTED_VERSION" || "$got" == "$APP_ID $EXPECTED_VERSION" ]]; then
    pass "--version answers '$got'"
  else
    fail "--version answered '$got', expected '$APP_ID $EXPECTED_VERSION'"
  fi
else
  fail "--version exited with status $?"
fi

# 2. --self-test
start=$SECONDS
if run self-test "$SCRATCH/selftest.log" "$APP" --self-test --data-dir "$SCRATCH/data"; then
  pass "--self-test passed in $((SECONDS - start)) s"
else
  status=$?
  fail "--self-test exited with status $status$([[ $status == 124 ]] && echo " (timed out after ${TIMEOUT}s)")"
fi

# 3. QtWebEngine in the trimmed folder
if [[ -x "$PROBE" ]]; then
  if run webengine "$SCRATCH/webengine.log" "$PROBE" --timeout 60 --screenshot "$SCRATCH/webengine.png"; then
    pass "QtWebEngine renders, runs JavaScript and ICU"
  else
    fail "QtWebEngine probe exited with status $?"
  fi
else
  fail "no QtWebEngine probe at $PROBE (built with PAYOUT_DESK_WEBENGINE_PROBE=0?)"
fi

# 4. bundled files
internal="$FOLDER/_internal"
for rel in resources/icons/payout-desk.svg \
           resources/icons/hicolor/256x256/apps/payout-desk.png \
           resources/linux/io.github.payoutdesk.PayoutDesk.desktop \
           resources/linux/io.github.payoutdesk.PayoutDesk.metainfo.xml \
           PySide6/Qt/libexec/QtWebEngineProcess \
           PySide6/Qt/resources/qtwebengine_resources.pak \
           PySide6/Qt/translations/qtwebengine_locales/en-US.pak; do
  if [[ -e "$internal/$rel" ]]; then
    pass "bundled: $rel"
  else
    fail "missing from the bundle: $rel"
  fi
done

if ((failures)); then
  echo "smoke: $failures check(s) FAILED" >&2
  exit 1
fi
echo "smoke: all checks passed"
