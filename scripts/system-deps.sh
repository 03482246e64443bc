#!/usr/bin/env bash
# Installs the Debian packages the test suite drives, when they are missing.
# Needs root (or sudo) the first time; does nothing once they are there.
set -euo pipefail

needed=()
command -v chromium >/dev/null 2>&1 || needed+=(chromium)

if [ ${#needed[@]} -eq 0 ]; then
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
echo "installing ${needed[*]} for the browser tests" >&2
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${needed[@]}"
