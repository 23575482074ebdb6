#!/usr/bin/env bash
# The demo: installs what is needed, builds, generates the demo data (a signed synthetic feed, its
# key pair, enrolled demo cards) and shows the kiosk on it:
#   - with a display: `kiosk --demo --windowed`, with a tray of demo cards labelled with what each
#     shows (click one, or press 1-9);
#   - without one (or with --headless): a scripted tour under Xvfb that writes a PNG of each screen
#     and prints their paths.
#   scripts/demo.sh [--headless] [--walkthrough]   (--walkthrough: the command-line walk-through)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh"
export BUILD_DIR=${BUILD_DIR:-$here/build}
cmake -S "$here" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build "$BUILD_DIR" --target kiosk kioskctl -j "$(nproc)"
if [[ "${1:-}" == "--walkthrough" ]]; then
  exec python3 "$here/scripts/demo_walkthrough.py" "$BUILD_DIR"
fi
out=$here/out/demo-screen
rm -rf "$out"
"$BUILD_DIR/bin/kioskctl" demo-data --out "$out"
if [[ "${1:-}" != "--headless" && -n "${DISPLAY:-}" ]]; then
  exec "$BUILD_DIR/bin/kiosk" --demo --windowed --data-dir "$out/data"
fi
exec python3 "$here/scripts/demo_tour.py" "$BUILD_DIR" "$out"
