#!/usr/bin/env bash
# The test command: installs what is needed, builds, runs every test (unit, integration with real
# minisign / sqlite3 / pcscd + vpcd / PostgreSQL, fuzzing, the acceptance smoke), then rebuilds the
# unit tests and kioskctl under AddressSanitizer + UndefinedBehaviorSanitizer and runs them again.
# Non-zero on any failure. KIOSK_SKIP_SANITIZE=1 skips the sanitizer stage.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh"
export BUILD_DIR=${BUILD_DIR:-$here/build}
"$here/scripts/build.sh"
(cd "$BUILD_DIR" && ctest --output-on-failure --timeout 900 -j 2 "$@")

if [[ "${KIOSK_SKIP_SANITIZE:-0}" != 1 ]]; then
  asan=${ASAN_BUILD_DIR:-$here/build-asan}
  echo "== sanitizer stage: ASan + UBSan build in $asan"
  cmake -S "$here" -B "$asan" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKIOSK_SANITIZE=ON \
    -DKIOSK_BUILD_BENCHMARKS=OFF >/dev/null
  cmake --build "$asan" -j "$(nproc)" --target core_tests db_tests driver_tests kioskctl
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  for t in core_tests db_tests driver_tests; do
    "$asan/bin/$t" --gtest_brief=1
  done
  python3 "$here/../shared/acceptance/contract-smoke.py" "$asan"
  for t in test_kioskctl_bad_input test_demo_decisions test_audit_tamper; do
    python3 "$here/tests/integration/$t.py" "$asan" >/dev/null || { echo "sanitizer: $t failed"; exit 1; }
  done
  echo "sanitizer stage (3 unit suites, contract smoke, 3 kioskctl integration tests):"
  echo "sanitizer: 7 passed, 0 failed"
fi
