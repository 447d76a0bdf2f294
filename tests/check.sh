#!/usr/bin/env bash
# Installs what is missing, builds faultline with warnings as errors, and runs
# every test (unit, integration, end-to-end drills against real systems).
# The last line is "N passed, N failed" (doctest test cases, summed).
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
echo "$passed passed, $failed failed"
exit "$status"
