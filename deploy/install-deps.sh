#!/usr/bin/env bash
# Installs the Debian packages isomine builds and tests with, when they are missing. Idempotent.
# (python3 runs the tests' webhook receiver, an independent check of the signatures, and with numpy and
# psycopg2 the Python client's and monitor's tests; python3-venv and python3-pip install the client
# package in a test; chromium checks the report pages at phone and desktop widths.)
# Needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(pkg-config zlib1g-dev libopenblas-dev libpq-dev libcurl4-openssl-dev postgresql python3 python3-numpy python3-psycopg2 python3-venv python3-pip chromium)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "error: swift is not on PATH; install the Swift 6 toolchain (https://www.swift.org/install/linux/)" >&2
  exit 1
fi
