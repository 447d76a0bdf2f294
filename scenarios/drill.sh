#!/usr/bin/env bash
# Installs what is missing, builds faultline, and runs the default drill:
# a real redis-server killed with SIGKILL three times under a restart policy.
# Usage: bash scenarios/drill.sh     (README command 1)
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/install-deps.sh

if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=debugoptimized
fi
ninja -C build faultline

exec build/faultline run scenarios/redis-kill-restart.toml --out runs/redis-kill-restart
