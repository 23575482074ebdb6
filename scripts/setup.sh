#!/usr/bin/env bash
# Installs every Debian package Onsite Kiosk needs to build, run and test. Idempotent: packages
# already present are skipped. As root it installs; otherwise it prints the sudo line to run.
#   scripts/setup.sh            build + run + test dependencies
#   scripts/setup.sh --runtime  only what the kiosk needs at run time
set -euo pipefail

runtime=(libsqlite3-0 libsodium23 libcurl4 libpq5 libpcsclite1 pcscd libglfw3 libstb0
         libgl1-mesa-dri fonts-noto-cjk)
build=(build-essential cmake ninja-build pkg-config
       libsqlite3-dev libsodium-dev libcurl4-openssl-dev libpq-dev libpcsclite-dev
       libcli11-dev libtomlplusplus-dev nlohmann-json3-dev libfmt-dev libspdlog-dev
       libgtest-dev libgmock-dev googletest libbenchmark-dev
       libimgui-dev libglfw3-dev libgl-dev libstb-dev)
# Test-only: real minisign, sqlite3, PostgreSQL, pcscd with the virtual reader driver (vpcd is a
# test-only driver: never install it on a kiosk), Xvfb, clang for fuzzing, python3; GNU time
# (the benches' peak RSS) and heaptrack, valgrind and linux-perf (where a sync's memory and time go);
# faketime (a clock set back, test_sync_clock.py).
test=(minisign sqlite3 postgresql pcsc-tools vsmartcard-vpcd xvfb xauth xdotool imagemagick
      clang libclang-rt-14-dev python3 procps time heaptrack valgrind linux-perf faketime)

want=("${runtime[@]}")
[[ "${1:-}" == "--runtime" ]] || want+=("${build[@]}" "${test[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "setup: all ${#want[@]} packages are installed"
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "setup: missing packages: ${missing[*]}"
  echo "run: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
  exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
# pcscd's package may start a system daemon; the tests run their own, so stop it if systemd runs it.
if command -v systemctl >/dev/null && systemctl is-active --quiet pcscd.socket 2>/dev/null; then
  systemctl stop pcscd.socket pcscd.service || true
fi
echo "setup: done"
