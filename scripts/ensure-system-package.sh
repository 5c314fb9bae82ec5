#!/usr/bin/env bash
# Make sure a system program the project needs is on this machine, installing it
# from Debian's packages when we may (root + apt-get), and print its path.
#   scripts/ensure-system-package.sh redis-server | chromium | postgres | wrk
set -euo pipefail
what="${1:?usage: ensure-system-package.sh redis-server|chromium|postgres|wrk}"

have() { command -v "$1" >/dev/null 2>&1; }

apt_install() {
  if [ "$(id -u)" != 0 ] || ! have apt-get; then
    echo "error: $what is not installed and this script can only install it with apt-get as root;" >&2
    echo "       install it with your package manager, or set the variable named in the README." >&2
    exit 1
  fi
  echo "installing $* from Debian's packages ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  # Package lists on a fresh machine may be missing or stale.
  if ! apt-get install -y -q --no-install-recommends "$@" >/tmp/apt-install.log 2>&1; then
    apt-get update -q >/dev/null 2>&1 || true
    apt-get install -y -q --no-install-recommends "$@" >/tmp/apt-install.log 2>&1 \
      || { cat /tmp/apt-install.log >&2; exit 1; }
  fi
}

case "$what" in
  redis-server)
    if ! have redis-server; then apt_install redis-server; fi
    command -v redis-server
    ;;
  wrk)
    if ! have wrk; then apt_install wrk; fi
    command -v wrk
    ;;
  chromium)
    if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then echo "$CHROMIUM_PATH"; exit 0; fi
    if ! have chromium; then apt_install chromium fonts-dejavu-core; fi
    command -v chromium
    ;;
  postgres)
    bin=""
    for d in /usr/lib/postgresql/*/bin; do [ -x "$d/postgres" ] && bin="$d"; done
    if [ -z "$bin" ]; then
      apt_install postgresql
      for d in /usr/lib/postgresql/*/bin; do [ -x "$d/postgres" ] && bin="$d"; done
    fi
    echo "$bin"
    ;;
  *) echo "unknown program $what" >&2; exit 2 ;;
esac
