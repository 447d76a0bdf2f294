#!/usr/bin/env bash
# Installs what is missing, builds faultline with warnings as errors, runs
# every test (unit, integration, end-to-end drills against real systems), then
# fuzzes the scenario parser and the run-record reader for 60 s each
# (docs/reliability.md, "Fuzzing").
# The last line is "N passed, N failed": doctest test cases, summed, plus one
# per fuzzer (passed: 60 s without a crash, leak or timeout).
# Usage: bash tests/check.sh        (README command 2; .ci/run runs exactly this)
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/install-deps.sh --tests

if [ ! -f build/build.ninja ]; then
  meson setup build -Dwerror=true --buildtype=debugoptimized
fi
ninja -C build

status=0
meson test -C build --print-errorlogs --num-processes 1 || status=$?

# Sum doctest's own counts from every test program's output.
log=build/meson-logs/testlog.txt
read -r passed failed < <(awk '
  /\[doctest\] test cases:/ {
    for (i = 1; i <= NF; i++) {
      if ($i == "passed") p += $(i-1)
      if ($i == "failed") f += $(i-1)
    }
  }
  END { print p+0, f+0 }' "$log")
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1  # a test program crashed or timed out before doctest could count
fi

# The fuzzers: libFuzzer needs clang. Both run at once (one per core), each
# from the committed corpus into a scratch one, so the repository is not
# changed; a crash, leak or timeout leaves its input in build-fuzz/.
fuzz=build-fuzz
seconds=60
if [ ! -f "$fuzz/build.ninja" ]; then
  CXX=clang++-14 meson setup "$fuzz" -Dfuzz=true -Dbuildtype=debugoptimized
fi
ninja -C "$fuzz"
export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
declare -A seeds=([scenario]="tests/fuzz/corpus/scenario scenarios" [record]="tests/fuzz/corpus/record")
pids=()
for target in scenario record; do
  mkdir -p "$scratch/$target"
  # shellcheck disable=SC2086 # seeds: a list of directories
  "$fuzz/tests/fuzz/fuzz_$target" -max_total_time=$seconds -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$fuzz/fuzz_$target-" "$scratch/$target" ${seeds[$target]} \
    >"$fuzz/fuzz_$target.log" 2>&1 &
  pids+=($!)
done
i=0
for target in scenario record; do
  if wait "${pids[$i]}"; then
    passed=$((passed + 1))
    echo "fuzz_$target: $(grep -m1 'stat::number_of_executed_units' "$fuzz/fuzz_$target.log" | awk '{print $2}') runs in $seconds s, no crash, leak or timeout"
  else
    failed=$((failed + 1))
    status=1
    echo "fuzz_$target: FAILED (full log: $fuzz/fuzz_$target.log)"
    tail -n 60 "$fuzz/fuzz_$target.log"
  fi
  i=$((i + 1))
done

echo "$passed passed, $failed failed"
exit "$status"
