#!/usr/bin/env bash
# Debian packages the tests need, installed only when missing (and only as root):
#   chromium               browser tests (tests/e2e)
#   poppler-utils          PDF brief pages rendered (pdftoppm) in tests
#   fonts-noto-core        Urdu/Arabic-script names in the PDF brief
#   postgresql, postgresql-15-postgis-3   PostGIS store tests (throw-away cluster per test run)
# Without root, prints what is missing; those tests then skip locally (CI runs as root).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
fc-list 2>/dev/null | grep "NotoNaskhArabic" >/dev/null || need+=(fonts-noto-core)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || need+=(postgresql-15-postgis-3)
[ "${#need[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "mineralmap: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "mineralmap: missing system packages: ${need[*]} (sudo apt-get install ${need[*]}); the tests that need them are skipped"
fi
