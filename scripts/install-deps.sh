#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine: the npm packages (npm ci) and the
# Debian packages of the real components the integration tests start (tshark, prometheus, ...).
# Idempotent: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# command -> Debian package
declare -A needed=(
  [tshark]=tshark
  [promtool]=prometheus
  [prometheus]=prometheus
  [chromium]=chromium
  [prometheus-alertmanager]=prometheus-alertmanager
  [amtool]=prometheus-alertmanager
  [influxd]=influxdb
  [victoria-metrics]=victoria-metrics
  [vmalert]=victoria-metrics
  [freeradius]=freeradius
  [radclient]=freeradius-utils
  # raw-socket (ICMP agent discovery) is built by node-gyp during npm ci: a compiler, make, python3
  [g++]=g++
  [make]=make
  [python3]=python3
  # the ICMP discovery test: network namespaces and veth pairs, requests into them
  [ip]=iproute2
  [curl]=curl
)

missing=()
for cmd in "${!needed[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("${needed[$cmd]}")
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null 2>&1; then
    echo "install-deps: missing Debian packages ${missing[*]} and not root: install them and re-run" >&2
    exit 1
  fi
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "install-deps: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund
fi
