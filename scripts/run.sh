#!/usr/bin/env bash
# Starts Payout Desk on its embedded sandbox. Extra arguments go to the app (see `payout-desk --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" && -z "${QT_QPA_PLATFORM:-}" ]]; then
  echo "run: no display found; starting on a virtual X display (xvfb-run). Set DISPLAY to see the window." >&2
  exec xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/payout-desk --sandbox "$@"
fi
exec .venv/bin/payout-desk --sandbox "$@"
