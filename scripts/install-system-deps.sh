#!/usr/bin/env bash
# Install the Debian packages sohoa needs (Tesseract + Vietnamese, Redis, poppler, a JDK, Maven,
# Chromium for browser tests). Skips what is already there; needs root or sudo for apt-get.
set -euo pipefail

packages=()
need() { command -v "$1" >/dev/null 2>&1 || packages+=("$2"); }
need tesseract tesseract-ocr
need redis-server redis-server
need pdftoppm poppler-utils
need java default-jdk-headless
need mvn maven
need chromium chromium
need chromedriver chromium-driver
if command -v tesseract >/dev/null 2>&1 && ! tesseract --list-langs 2>/dev/null | grep -qx vie; then
  packages+=(tesseract-ocr-vie)
elif ! command -v tesseract >/dev/null 2>&1; then
  packages+=(tesseract-ocr-vie)
fi
# The script/Vietnamese model, beside vie: measured as an OCR lever (docs/ocr.md).
if ! tesseract --list-langs 2>/dev/null | grep -qx Vietnamese; then
  packages+=(tesseract-ocr-script-viet)
fi

if [ ${#packages[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
echo "system packages: installing ${packages[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "need root (or sudo) to apt-get install ${packages[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
