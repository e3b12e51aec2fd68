#!/usr/bin/env bash
# Sets up everything Payout Desk needs on a Debian machine, then exits; safe to run again (fast when done).
#   - system libraries for Qt + QtWebEngine (and Xvfb for headless runs): apt-get when root, else the exact line to run
#   - uv (pinned) in .tools/, then the locked Python environment in .venv/ (uv.lock, --frozen)
#   - with --with-postgres (make test): the PostgreSQL server for the team-mode tests, without a system
#     cluster (postgresql-common first, with create_main_cluster = false; the tests start their own)
# Other extra arguments go to `uv sync` (e.g. --group package).
set -euo pipefail
cd "$(dirname "$0")/.."

WITH_POSTGRES=0
UV_ARGS=()
for arg in "$@"; do
  if [[ "$arg" == "--with-postgres" ]]; then WITH_POSTGRES=1; else UV_ARGS+=("$arg"); fi
done

UV_VERSION="0.13.9"
APT_PACKAGES=(
  libnss3 libxkbcommon0 libegl1 libgl1 libxcomposite1 libxdamage1 libxrandr2 libxtst6 libasound2
  libxkbfile1 libfontconfig1 libglib2.0-0 libdbus-1-3 ca-certificates fonts-dejavu-core
  xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0
  libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0
  gnome-keyring dbus-x11 dbus-daemon  # a real Secret Service keychain for the keychain integration tests
)

if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
      # Debian 13 renamed some libraries with a t64 suffix.
      status64=$(dpkg-query -W -f='${Status}' "${pkg}t64" 2>/dev/null || true)
      [[ "$status64" == "install ok installed" ]] || missing+=("$pkg")
    fi
  done
  if ((${#missing[@]})); then
    if [[ "$(id -u)" == 0 ]]; then
      echo "bootstrap: installing system packages: ${missing[*]}"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
      echo "bootstrap: these system packages are missing. Install them, then run the command again:" >&2
      echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
      exit 1
    fi
  fi
else
  echo "bootstrap: not a Debian system; make sure Qt 6 / QtWebEngine runtime libraries are installed." >&2
fi

# PostgreSQL for the team-mode tests (initdb/pg_ctl under /usr/lib/postgresql/<version>/bin). Debian's
# postgresql package creates and starts a "main" cluster unless postgresql-common, installed first, says not to.
if ((WITH_POSTGRES)) && command -v dpkg-query >/dev/null 2>&1; then
  if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    if [[ "$(id -u)" != 0 ]]; then
      echo "bootstrap: the tests need the PostgreSQL server binaries. Install them, then run the command again:" >&2
      echo "  sudo apt-get install -y --no-install-recommends postgresql-common" >&2
      echo "  echo 'create_main_cluster = false' | sudo tee -a /etc/postgresql-common/createcluster.conf" >&2
      echo "  sudo apt-get install -y --no-install-recommends postgresql" >&2
      exit 1
    fi
    echo "bootstrap: installing PostgreSQL (no system cluster) for the tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-common >/dev/null
    conf=/etc/postgresql-common/createcluster.conf
    if ! grep -Eq '^[[:space:]]*create_main_cluster[[:space:]]*=[[:space:]]*false' "$conf"; then
      echo "create_main_cluster = false" >>"$conf"
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  fi
fi

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "bootstrap: Python 3.11 or newer is required (set PYTHON=/path/to/python3.11)." >&2
  exit 1
fi

if [[ ! -x .tools/bin/uv ]] || [[ "$(.tools/bin/uv --version 2>/dev/null)" != "uv $UV_VERSION"* ]]; then
  echo "bootstrap: installing uv $UV_VERSION into .tools/"
  "$PYTHON" -m venv .tools
  .tools/bin/python -m pip install --quiet "uv==$UV_VERSION"
fi

# --compile-bytecode: what pip does on install and what the packaged app ships; without it every start
# compiles the libraries' sources again (≈ 0.1 s of start-up, measured in benchmarks/startup.py).
.tools/bin/uv sync --frozen --quiet --compile-bytecode --python "$PYTHON" ${UV_ARGS[@]+"${UV_ARGS[@]}"}
# Our own sources too (bytecode is still read where PYTHONDONTWRITEBYTECODE forbids writing it).
.venv/bin/python -m compileall -q -j 0 payout_desk benchmarks >/dev/null
