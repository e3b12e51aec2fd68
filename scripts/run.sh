#!/usr/bin/env bash
# Starts Payout Desk with the saved active profile (Settings; the built-in sandbox by default) and says on the
# terminal which profile it connected with. Extra arguments go to the app: `make run ARGS=--sandbox` forces the
# built-in sandbox for this run (see `payout-desk --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
echo "run: starting Payout Desk with the saved active profile (change it in File → Settings)" >&2
if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" && -z "${QT_QPA_PLATFORM:-}" ]]; then
  echo "run: no display found; starting on a virtual X display (xvfb-run). Set DISPLAY to see the window." >&2
  exec xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/payout-desk "$@"
fi
exec .venv/bin/payout-desk "$@"
