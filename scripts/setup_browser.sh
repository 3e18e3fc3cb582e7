#!/usr/bin/env bash
# Headless Chromium for the browser test of `byline view` (tests/view.rs), from Debian's
# packages. Only tests need it; byline itself never runs a browser. Idempotent: does nothing when
# chromium is already installed. Needs root (or sudo) and apt; elsewhere it says so and exits 1,
# and the browser test skips with a message.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup_browser: apt-get not found; install Chromium by hand (the browser test skips without it)" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "setup_browser: needs root to install chromium (the browser test skips without it)" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
command -v chromium
