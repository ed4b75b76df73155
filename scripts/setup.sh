#!/usr/bin/env bash
# Installs everything referkit's lab and tests need on Debian or Ubuntu, then the workspace's
# dependencies. Safe to run again: it installs only what is missing.
#
#   bash scripts/setup.sh            # as root, or as a user with passwordless sudo
#
# Without root it prints the exact commands to run and exits 1. Only Debian's apt and the npm
# registry are used.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Debian packages the lab and the test suite run against, each with the command it provides.
#   rtpengine-daemon  rtpengine, the media relay (installed without its recommends: no kernel module)
#   sip-tester        sipp, the third-party SIP peer for scenarios and load
#   chromium          headless browser for the dashboard and docs-site tests (driven by playwright-core)
#   linphone-cli      linphonec, a third-party softphone that transfers calls through the mock trunk
#   tshark            Wireshark's decoder: the mock trunk's pcapng exports are checked with it
APT_PACKAGES=(rtpengine-daemon:rtpengine sip-tester:sipp chromium:chromium linphone-cli:linphonec tshark:tshark)
PNPM_VERSION=10

log() { printf 'setup: %s\n' "$*"; }

can_install=1
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo)
else
  SUDO=()
  can_install=0
fi

missing_apt=()
for entry in "${APT_PACKAGES[@]}"; do
  pkg=${entry%%:*} cmd=${entry##*:}
  command -v "$cmd" >/dev/null 2>&1 || missing_apt+=("$pkg")
done
need_pnpm=0
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version | cut -d. -f1)" != "$PNPM_VERSION" ]; then
  need_pnpm=1
fi

if [ $can_install -eq 0 ] && { [ ${#missing_apt[@]} -gt 0 ] || [ $need_pnpm -eq 1 ]; }; then
  echo "setup: not running as root; run these commands as root, then run this script again:" >&2
  [ $need_pnpm -eq 1 ] && echo "  npm install -g pnpm@$PNPM_VERSION" >&2
  if [ ${#missing_apt[@]} -gt 0 ]; then
    echo "  apt-get update" >&2
    echo "  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing_apt[*]}" >&2
  fi
  exit 1
fi

if [ $need_pnpm -eq 1 ]; then
  # corepack's signature check fails against some registries; npm installs pnpm directly.
  log "installing pnpm@$PNPM_VERSION"
  ${SUDO[@]+"${SUDO[@]}"} npm install -g "pnpm@$PNPM_VERSION" --no-fund --no-audit --loglevel=error
  hash -r
fi

if [ ${#missing_apt[@]} -gt 0 ]; then
  log "installing ${missing_apt[*]}"
  ${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  ${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_apt[@]}" >/dev/null
fi

log "installing workspace dependencies"
export TURBO_TELEMETRY_DISABLED=1
pnpm install --frozen-lockfile --reporter=append-only --config.confirmModulesPurge=false

log "ready: linphonec $(linphonec --version 2>&1 | grep -o '[0-9][0-9.]*' | head -1), chromium $(chromium --version 2>/dev/null | grep -o '[0-9][0-9.]*' | head -1), rtpengine $(rtpengine --version 2>&1 | sed -n 's/^Version: //p'), $(sipp -v 2>&1 | grep -o 'SIPp v[0-9.]*'), pnpm $(pnpm --version), node $(node --version)"
