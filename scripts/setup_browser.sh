#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright; no browser is downloaded.
set -euo pipefail
browser="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$browser" ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium for the browser tests..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "Chromium was not found at $browser. Install it (sudo apt-get install chromium)" >&2
  echo "or point CHROMIUM at a Chromium or Chrome binary." >&2
  exit 1
fi
