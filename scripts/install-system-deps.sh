#!/usr/bin/env bash
# Debian packages BranchQ's programs and tests need: a browser for the web-page tests, socat for
# serial pty pairs, a CJK font for the display/kiosk/printer fallback, espeak-ng and sox for the
# voice tests' measurements, PostgreSQL for the store tests, systemd for `systemd-analyze verify`
# of the units, libusb for USB receipt printers (pyusb), npm (only where no Node.js is
# installed) to fetch the neural voice's styles and axe-core for the pages' accessibility scans,
# nats-server for the head office (JetStream and the branches' leaf nodes).
# Installs only what is missing.
set -euo pipefail
packages=(chromium socat fonts-wqy-microhei espeak-ng sox postgresql util-linux systemd libusb-1.0-0
  nats-server)
command -v npm >/dev/null || packages+=(npm)
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
