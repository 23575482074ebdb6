#!/usr/bin/env bash
# Remakes the README's pictures of the kiosk screen: the real `kiosk` on the generated demo data,
# driven by a script (product.md section 6), full screen on a 1920x1080 Xvfb display (the default
# 15.6-inch panel), once in Japanese and once in English.
#   ui/screenshots/make.sh [BUILD_DIR]     (default: ./build; needs bin/kiosk, xvfb-run)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
kiosk="$build/bin/kiosk"
[[ -x "$kiosk" ]] || { echo "make.sh: $kiosk not built (ninja -C $build kiosk)" >&2; exit 1; }
command -v xvfb-run >/dev/null || { echo "make.sh: xvfb-run missing (scripts/setup.sh)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Demo cards (kiosk/demo_data.cpp): a newcomer granted with the TR-9 briefing notice, courses taken
# in the wrong order (TR-2), a qualified user who starts a session and extends it in the warning
# (kiosk --demo: extend_minutes 30).
newcomer=012E4CD2A1B2C302
wrong_order=04D0000000000005
qualified=04D0000000000001

for lang in ja en; do
  cat >"$work/$lang.script" <<SCRIPT
# The README's pictures, $lang
shot $here/idle-$lang.png
tap $newcomer
shot $here/granted-$lang.png
press ok
tap $wrong_order
shot $here/refused-$lang.png
press ok
tap $qualified
press start
advance 1
shot $here/session-$lang.png
advance 115
press extend
shot $here/session-extended-$lang.png
quit
SCRIPT
  xvfb-run -a -s "-screen 0 1920x1080x24" "$kiosk" --demo --lang "$lang" --script "$work/$lang.script"
done
ls -1 "$here"/*.png
