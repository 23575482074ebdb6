#!/usr/bin/env bash
# The test command: installs what is needed, builds, runs every test (unit, integration with real
# minisign / sqlite3 / pcscd + vpcd / PostgreSQL, the acceptance smoke). Non-zero on any failure.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh"
export BUILD_DIR=${BUILD_DIR:-$here/build}
"$here/scripts/build.sh"
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 900 -j 2 "$@"
