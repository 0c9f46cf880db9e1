#!/usr/bin/env bash
# Installs what kho needs on a fresh Debian machine: system packages (only those missing),
# the project venv (.venv), and the separate ESPHome venv (.esphome-venv, it pins paho-mqtt 1.6).
# Idempotent: a second run checks and returns quickly.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(mosquitto mosquitto-clients influxdb influxdb-client chromium zbar-tools poppler-utils fonts-dejavu-core)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian packages start system services on some machines; kho runs its own on free ports.

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.kho-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "==> installing kho and its dev tools into .venv"
  .venv/bin/pip install -q --disable-pip-version-check -U pip
  .venv/bin/pip install -q --disable-pip-version-check -e '.[dev]'
  touch "$stamp"
fi

if [ "${KHO_SKIP_ESPHOME:-0}" != "1" ] && [ -f firmware_configs/requirements-esphome.txt ]; then
  estamp=.esphome-venv/.kho-installed
  if [ ! -f "$estamp" ] || [ firmware_configs/requirements-esphome.txt -nt "$estamp" ]; then
    echo "==> installing ESPHome into .esphome-venv (separate: it pins paho-mqtt 1.6)"
    [ -x .esphome-venv/bin/python ] || "$PY" -m venv .esphome-venv
    .esphome-venv/bin/pip install -q --disable-pip-version-check -r firmware_configs/requirements-esphome.txt
    touch "$estamp"
  fi
fi
