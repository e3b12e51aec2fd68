#!/usr/bin/env bash
# The whole check, headless: set-up, lint, type checks, then every test. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --with-postgres  # the team-mode journal tests start their own PostgreSQL
echo "== ruff"
.venv/bin/ruff check .
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
export QT_QPA_PLATFORM=offscreen
exec .venv/bin/pytest "$@"
