#!/usr/bin/env bash
# Creates .venv with Python 3.10 (Rasa 3.6 needs it) and installs the pinned packages.
set -euo pipefail
cd "$(dirname "$0")/.."

is_python310() { [ -n "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; }

find_python310() {
  local candidate
  for candidate in "${PYTHON310:-}" python3.10 \
      "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/3.10*/bin/python3.10 \
      /usr/bin/python3.10 /usr/local/bin/python3.10; do
    if is_python310 "$candidate"; then echo "$candidate"; return 0; fi
  done
  return 1
}

if ! python=$(find_python310); then
  cat >&2 <<'MSG'
Python 3.10 was not found, and Rasa 3.6 needs it.
Fix: install it (e.g. `pyenv install 3.10` or `apt-get install python3.10 python3.10-venv`),
or point PYTHON310 at it: `PYTHON310=/path/to/python3.10 make install`.
MSG
  exit 1
fi

echo "Using $python ($("$python" --version))"
[ -x .venv/bin/python ] && is_python310 .venv/bin/python || { rm -rf .venv; "$python" -m venv .venv; }
.venv/bin/python -m pip install --quiet --requirement requirements.txt

# The widget's browser dependency (socket.io client), from the npm registry: no CDN.
if ! command -v npm >/dev/null; then
  echo "npm was not found; the web widget needs it (apt-get install nodejs npm)." >&2
  exit 1
fi
npm ci --prefix bot/web --no-audit --no-fund --loglevel=error
