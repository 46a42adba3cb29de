#!/usr/bin/env bash
# Installs the Debian packages the security scan (npm run test:scan) drives: sqlmap, wapiti, testssl.sh.
# Idempotent: does nothing when all three are already on PATH. Needs root (CI runs as root) and Debian's apt.
set -euo pipefail

missing=()
command -v sqlmap >/dev/null 2>&1 || missing+=(sqlmap)
command -v wapiti >/dev/null 2>&1 || missing+=(wapiti)
command -v testssl >/dev/null 2>&1 || command -v testssl.sh >/dev/null 2>&1 || missing+=(testssl.sh)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)

if [ ${#missing[@]} -eq 0 ]; then
  echo "security-scan: sqlmap, wapiti, testssl.sh and openssl are installed"
  exit 0
fi

echo "security-scan: installing ${missing[*]} from Debian"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
echo "security-scan: installed ${missing[*]}"
