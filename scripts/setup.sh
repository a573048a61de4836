#!/usr/bin/env bash
# Installs what Facturier needs and is missing: uv, the locked Python environment and,
# when run as root, the Debian packages the tests use. Safe to run again: it only adds.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9
DEBIAN_PACKAGES=(poppler-utils gettext dovecot-imapd chromium zbar-tools)  # pdftoppm for tests; msgfmt for make messages; zbarimg reads the EPC QR codes back; Dovecot: the IMAP server of the delivery tests; Chromium: the browser tests (Playwright)

if ! command -v uv >/dev/null 2>&1; then
  echo "setup: installing uv $UV_VERSION from PyPI" >&2
  python3 -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION" \
    || python3 -m pip install --quiet --user --disable-pip-version-check "uv==$UV_VERSION"
  export PATH="$HOME/.local/bin:$PATH"
fi

uv sync --frozen --quiet

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 && [ "${FACTURIER_SKIP_APT:-0}" != "1" ]; then
  missing=()
  for p in "${DEBIAN_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: apt-get install ${missing[*]}" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi
