#!/usr/bin/env bash
# Debian packages the tests need, installed only when missing (and only as root):
#   chromium               browser tests (tests/e2e)
#   poppler-utils          PDF brief pages rendered (pdftoppm) in tests
#   fonts-dejavu-core      the PDF brief's text and map labels (DejaVu Sans)
#   fonts-noto-core        Urdu/Arabic-script names in the PDF brief
#   postgresql, postgresql-15-postgis-3   PostGIS store tests (throw-away cluster per test run)
#   nginx                  deploy/nginx.conf checked with `nginx -t` and run in front of two servers
# Without root, prints what is missing; those tests then skip locally (CI runs as root).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
fc-list 2>/dev/null | grep "DejaVuSans.ttf" >/dev/null || need+=(fonts-dejavu-core)
fc-list 2>/dev/null | grep "NotoNaskhArabic" >/dev/null || need+=(fonts-noto-core)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || need+=(postgresql-15-postgis-3)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
[ "${#need[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "mineralmap: installing ${need[*]}"
  apt-get update -qq
  # Install services without starting them (nginx/postgresql would otherwise try to start a
  # system-wide server on ports 80/5432; the tests start their own as an unprivileged user).
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; own_policy=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  if [ "$own_policy" = 1 ]; then rm -f "$policy"; fi
else
  echo "mineralmap: missing system packages: ${need[*]} (sudo apt-get install ${need[*]}); the tests that need them are skipped"
fi
