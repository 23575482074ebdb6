#!/usr/bin/env bash
# The demo: installs what is needed, builds, generates the demo data (a signed synthetic feed,
# its key pair, enrolled demo cards) and walks through taps and their decisions with kioskctl.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh"
export BUILD_DIR=${BUILD_DIR:-$here/build}
"$here/scripts/build.sh"
exec python3 "$here/scripts/demo_walkthrough.py" "$BUILD_DIR"
