#!/usr/bin/env bash
# PostgreSQL, Redis and HAProxy from Debian's packages, for `make run-cluster` and its
# test. As root it installs what is missing; otherwise it says what to install.
set -euo pipefail
missing=""
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$missing postgresql"
command -v redis-server >/dev/null || missing="$missing redis-server"
command -v haproxy >/dev/null || missing="$missing haproxy"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Install as root:$missing (or set DATABASE_URL and REDIS_URL)" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
# Debian starts the packaged services; the assistant runs its own, on its own ports.
for service in postgresql redis-server haproxy; do
  service "$service" stop >/dev/null 2>&1 || true
done
