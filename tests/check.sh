#!/usr/bin/env bash
# Installs what is missing, then:
#  1. builds faultline and its tests with clang, AddressSanitizer
#     (+LeakSanitizer) and UndefinedBehaviorSanitizer, warnings as errors,
#     and runs every test in that build (unit, integration, end-to-end
#     drills against real systems); the faultline processes the tests start
#     are sanitized too, except in the fault matrix's repeated cells, which
#     run the optimized faultline of step 2, and the restart race's tries
#     after its 40th;
#  2. builds the optimized faultline users run (README command 1's build),
#     warnings as errors, and runs the default drill with it against a real
#     redis-server;
#  3. fuzzes the scenario parser and the run-record reader for 60 s each.
# Why every test runs once, in the sanitized build, and not again in the
# optimized one: a second full build and run would take CI past its
# 40-minute target (docs/reliability.md, "Sanitized test suite").
# The last line is "N passed, N failed": doctest test cases, summed, plus one
# for the drill and one per fuzzer (passed: 60 s without a crash, leak or
# timeout).
# Usage: bash tests/check.sh        (README command 2; .ci/run runs exactly this)
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/install-deps.sh --tests
export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0

# The optimized faultline users run (README command 1's build), built first:
# the fault matrix's repeated cells run it (below), every other test the
# sanitized one, and step 2 checks it builds without a warning. Without
# debug information (-Doptimization=2 -Ddebug=false: -O2, asserts on, as
# debugoptimized, but no -g): GCC's code and warnings do not depend on
# -g, which took a fifth to a third of each file's compile time
# (docs/reliability.md, "Sanitized test suite").
if [ ! -f build/build.ninja ]; then
  meson setup build -Dwerror=true -Doptimization=2 -Ddebug=false
fi
ninja -C build faultline
# The code `validate` and `plan` run is laid out together in this build
# (meson.build, issue 21); its list must still name the program's functions.
# A failure counts as a failed test (below).
meson test -C build --no-rebuild --print-errorlogs 'startup order' || status=$?

# 1. Every test under ASan + UBSan. -O0 without debug information: the
# cheapest sanitized build to compile (GCC at -O1 takes twice as long), and
# the symbolizer still names every function in a report. Compiled by clang,
# which builds it in half GCC's time (docs/reliability.md, "Sanitized test
# suite"), with a precompiled header (src/pch/faultline_pch.hpp); the
# optimized build above is GCC's, without one, so both compilers see every
# source of the program with warnings as errors. `meson test` sets ASAN_OPTIONS and
# UBSAN_OPTIONS to abort on the first finding; meson.build makes UBSan
# findings fatal at compile time too.
san=build-san
if [ ! -f "$san/build.ninja" ]; then
  CXX=clang++-14 meson setup "$san" -Dwerror=true --buildtype=plain -Db_sanitize=address,undefined -Db_pch=true
fi
ninja -C "$san"
# The fault matrix runs its first repetition of every cell with the
# sanitized faultline and the four others with the optimized one: all five
# sanitized took 1,100 s, CI past its 40-minute target (docs/reliability.md,
# "Sanitized test suite"). Two tests at a time: the integration suite's two
# shards at once, the unit tests beside whichever ends last, then the
# files that must run alone (tests/meson.build).
FAULTLINE_OPTIMIZED_BIN=$PWD/build/faultline meson test -C "$san" --print-errorlogs --num-processes 2 || status=$?

# Sum doctest's own counts from every test program's output.
log=$san/meson-logs/testlog.txt
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

# 2. The optimized binary (built above, without a warning) must run the
# default drill (README command 1's scenario) to a pass.
# As in the drill tests (tests/integration/harness.hpp, faultline_judged): a
# run that was inconclusive (exit 3) because the harness itself was starved
# judged nothing, and is run once more; the second result counts.
drill() { CI=true build/faultline run scenarios/redis-kill-restart.toml --out "$scratch/$1" >"$scratch/drill.log" 2>&1; }
drill_status=0
drill drill || drill_status=$?
if [ "$drill_status" -eq 3 ] && grep -q "WARNING: the harness was starved" "$scratch/drill.log"; then
  echo "optimized build: the default drill was inconclusive with the harness starved; running it once more:"
  grep -A2 "WARNING: the harness was starved" "$scratch/drill.log"
  drill_status=0
  drill drill-again || drill_status=$?
fi
if [ "$drill_status" -eq 0 ]; then
  passed=$((passed + 1))
  echo "optimized build: the default drill passed ($(grep -m1 -o 'MTTR[^|]*' "$scratch/drill.log" || true))"
else
  failed=$((failed + 1))
  status=1
  echo "optimized build: the default drill FAILED"
  cat "$scratch/drill.log"
fi

# 3. The fuzzers: libFuzzer needs clang. Both run at once (one per core), each
# from the committed corpus into a scratch one, so the repository is not
# changed; a crash, leak or timeout leaves its input in build-fuzz/.
fuzz=build-fuzz
seconds=60
# With the precompiled header too: 219 s against 280 s (docs/reliability.md).
if [ ! -f "$fuzz/build.ninja" ]; then
  CXX=clang++-14 meson setup "$fuzz" -Dfuzz=true -Dbuildtype=debugoptimized -Db_pch=true
fi
ninja -C "$fuzz"
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

# CI keeps only the tail of this output: name every failed test case (and
# its first failed assertions) here, just above the last line.
if grep -q "ERROR:" "$log" 2>/dev/null; then
  echo "failed test cases (full output: $log):"
  # After a case's first failed assertion: its values, and up to 8 lines of
  # what it logged that say why (an exit code, a verdict, an error).
  awk '/^TEST CASE:/ { tc = $0; shown = 0; ctx = 0 }
       /^==========/ { ctx = 0 }
       /ERROR:/ && shown < 3 { if (shown == 0) { print "  " tc; ctx = 1; why = 0 } print "    " $0; shown++; next }
       ctx && /^  values:/ { print "      " $0; next }
       ctx && why < 8 && /exit [0-9]|FAIL|INCONCLUSIVE|[Ee]rror|starved|cannot|[Tt]imed out/ { print "      | " substr($0, 1, 200); why++ }' \
    "$log" | head -n 60
fi
echo "$passed passed, $failed failed"
exit "$status"
