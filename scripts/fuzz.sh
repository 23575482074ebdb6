#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang-14 + ASan + UBSan in their own build
# directory and runs each for a bounded time on a copy of its seed corpus. Exits non-zero on any
# crash, leak, timeout, sanitizer report or broken invariant; the input that did it is left in
# FUZZ_WORK_DIR (crash-*, leak-*, timeout-*) and the log beside it.
#   FUZZ_SECONDS   seconds per target (default 60)
#   FUZZ_BUILD_DIR clang build directory (default <repo>/build-fuzz)
#   FUZZ_WORK_DIR  corpus copies, findings, logs (default FUZZ_BUILD_DIR/run)
#   FUZZ_JOBS      build parallelism (default 2)
#   FUZZ_TARGETS   targets to run (default: all three)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD_DIR:-$here/build-fuzz}
work=${FUZZ_WORK_DIR:-$build/run}
jobs=${FUZZ_JOBS:-2}
targets=(${FUZZ_TARGETS:-fuzz_csv_feed fuzz_minisign fuzz_inputs})

for tool in clang-14 clang++-14; do
  command -v "$tool" >/dev/null || { echo "fuzz: $tool is not installed (scripts/setup.sh)"; exit 1; }
done

# Tests and benchmarks are off here: only kiosk_core, kiosk_db and the fuzz targets are built.
CC=clang-14 CXX=clang++-14 cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKIOSK_BUILD_FUZZERS=ON -DKIOSK_BUILD_TESTS=OFF -DKIOSK_BUILD_BENCHMARKS=OFF >/dev/null
ninja -C "$build" -j "$jobs" "${targets[@]}"

# Every sanitizer finding is fatal and reported with a stack; leaks are checked at each input.
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:symbolize=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1:symbolize=1

failed=()
for t in "${targets[@]}"; do
  corpus="$work/$t/corpus"
  findings="$work/$t/findings"
  rm -rf "$work/$t"
  mkdir -p "$corpus" "$findings"
  # A copy: libFuzzer adds the inputs it finds to the first corpus directory.
  if [[ -d "$here/tests/fuzz/corpus/$t" ]]; then
    cp -r "$here/tests/fuzz/corpus/$t/." "$corpus/"
  fi
  dict=()
  [[ -f "$here/tests/fuzz/$t.dict" ]] && dict=(-dict="$here/tests/fuzz/$t.dict")
  echo "fuzz: $t for ${seconds}s (corpus $(ls "$corpus" | wc -l) seeds)"
  if "$build/bin/$t" "$corpus" "${dict[@]}" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix="$findings/" \
      >"$work/$t/fuzz.log" 2>&1; then
    tail -n 12 "$work/$t/fuzz.log" | grep -E "stat::number_of_executed_units|stat::peak_rss_mb|cov:" | tail -n 3 || true
    echo "fuzz: $t passed"
  else
    echo "fuzz: $t FAILED; log $work/$t/fuzz.log, input(s):"
    ls -1 "$findings" | sed "s|^|  $findings/|"
    grep -E "ERROR|runtime error|invariant broken|SUMMARY|Test unit written" "$work/$t/fuzz.log" |
      head -n 20 || true
    tail -n 5 "$work/$t/fuzz.log"
    failed+=("$t")
  fi
done

if ((${#failed[@]} > 0)); then
  echo "fuzz: ${#failed[@]} failed, $((${#targets[@]} - ${#failed[@]})) passed: ${failed[*]}"
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds}s each without a finding"
