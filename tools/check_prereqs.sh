#!/usr/bin/env bash
# What `make setup|up|test` needs from the system, one line per missing piece with the
# Debian/Ubuntu package to install. Usage: tools/check_prereqs.sh setup|up|test
#   setup: Python 3.11+ with venv is required; Chromium and PostgreSQL are only named.
#   up:    also Chromium (monev up writes PDF reports).
#   test:  also Chromium (PDF and browser tests); PostgreSQL is required under CI=true
#          (tests/with_postgres.sh and tests/conftest.py), otherwise its tests are skipped.
set -uo pipefail
mode=${1:-setup}
py=${PY:-python3}
venv_py=.venv/bin/python
fatal=0

say() { echo "prasyarat: $*" >&2; }

# Python: the venv's own when it is built, otherwise the one that will build it.
if [ -x "$venv_py" ]; then check_py=$venv_py; else check_py=$py; fi
if ! command -v "$check_py" >/dev/null 2>&1; then
  say "Python 3.11+ ($py) tidak ada — pasang: sudo apt-get install python3 python3-venv"
  fatal=1
elif ! "$check_py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  say "Python $("$check_py" -c 'import platform; print(platform.python_version())') terlalu lama;" \
      "monev butuh 3.11+ — pasang python3 (3.11+) lalu jalankan make dengan PY=python3.11"
  fatal=1
elif [ ! -x "$venv_py" ] && ! "$check_py" -c 'import ensurepip, venv' 2>/dev/null; then
  say "modul venv Python tidak ada — pasang: sudo apt-get install python3-venv"
  fatal=1
fi

chromium=${MONEV_CHROMIUM:-/usr/bin/chromium}
[ "$mode" = test ] && chromium=/usr/bin/chromium  # the browser tests use this path
if [ ! -x "$chromium" ]; then
  case $mode in
    setup) say "Chromium ($chromium) tidak ada; make up (laporan PDF) dan make test" \
               "membutuhkannya — pasang: sudo apt-get install chromium" ;;
    up) say "Chromium ($chromium) tidak ada; make up membutuhkannya untuk laporan PDF" \
            "— pasang: sudo apt-get install chromium"
        fatal=1 ;;
    *) say "Chromium ($chromium) tidak ada; uji laporan PDF dan uji peramban" \
           "membutuhkannya — pasang: sudo apt-get install chromium"
       fatal=1 ;;
  esac
fi

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  case $mode in
    setup) say "server PostgreSQL tidak ada; uji PostgreSQL dari make test akan dilewati" \
               "— pasang: sudo apt-get install postgresql" ;;
    test) if [ "${CI:-}" = true ]; then
            say "server PostgreSQL tidak ada; CI wajib menjalankan uji PostgreSQL" \
                "— pasang: sudo apt-get install postgresql (.ci/run memasangnya)"
            fatal=1
          else
            say "server PostgreSQL tidak ada; uji PostgreSQL dilewati" \
                "— pasang: sudo apt-get install postgresql"
          fi ;;
  esac
fi

exit $fatal
