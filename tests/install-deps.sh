#!/usr/bin/env bash
# Installs, from Debian 12's packages, whatever faultline needs that this
# machine lacks: the toolchain and libraries to build it, and the real
# systems its drills and tests run. Does nothing when all are present.
# Usage: bash tests/install-deps.sh [--tests]
#   --tests  also what only the tests use: the report checkers (JSON Schema,
#            JUnit XSD), a headless browser for the HTML report, a
#            terminal multiplexer to watch the live console view, and clang
#            for the sanitized build and the fuzzers
set -euo pipefail

packages=(
  g++ meson ninja-build pkg-config
  lld                        # links the program with its start-up code laid out together (meson.build, issue 21)
  libboost1.81-dev libboost-json1.81-dev libfmt-dev libcli11-dev libtomlplusplus-dev doctest-dev
  libsqlite3-dev             # the run history's default store (src/history/sqlite_store.cpp, issue 18)
  libpq-dev                  # the run history's shared store on PostgreSQL (src/history/postgres_store.cpp, issue 18)
  zlib1g-dev                 # libz.a: SQLite is linked statically (meson.build, start-up) and its static link lists -lz
  libfuse3-dev               # file.io: the FUSE passthrough filesystem the run mounts over a service's directory (src/os/iofs.cpp)
  fuse3                      # file.io: /dev/fuse's udev rule and the fuse module's helpers; a CI container needs
                             # --device /dev/fuse --cap-add SYS_ADMIN (or --privileged), else `modprobe fuse` on the host
  redis-server redis-tools   # the default drill's system
  postgresql                 # the failover drill: initdb, pg_ctl, postgres, pg_basebackup (/usr/lib/postgresql/15/bin), psql;
                             # and the history tests' own server (tests/integration/test_history_pg.cpp)
  util-linux                 # setpriv: postgres refuses to run as root, the drill runs it as the package's postgres user
  redis-sentinel             # scenarios/redis-sentinel-failover.toml: three Sentinels fail the primary over
  nginx                      # scenarios/nginx-*.toml: load balancer, backends, client of a slow dependency
  etcd-server etcd-client    # scenarios/etcd-*.toml: 3-member Raft clusters (namespaces, and one member per test host); etcdctl for probes and checks
  procps                     # ps/pgrep for humans reading a run; tests read /proc directly
  libfaketime                # clock.skew: preloaded into the services it targets (fault_injectors/clock_skew.cpp)
  stress-ng                  # stress: the noisy neighbour it runs beside a service (fault_injectors/stress.cpp)
  openssl                    # scenarios/nginx-expired-cert.toml: the drill's CA and its backend's one-day certificate
)
if [ "${1:-}" = "--tests" ]; then
  packages+=(
    python3 python3-jsonschema  # validates run records against src/record/schema/run-record.schema.json
    python3-prometheus-client   # parses `run --metrics` output with a real OpenMetrics parser (tests/integration/authoring.py)
    libxml2-utils               # xmllint: validates JUnit XML against tests/fixtures/junit.xsd
    chromium                    # renders the HTML report headless to a PNG
    tmux                        # a real terminal for the live console view (capture-pane reads the screen)
    iproute2 nftables           # network = "namespaces": ip netns/link/route, tc, and nft for net.partition
    clang-14 libclang-rt-14-dev # the sanitized build and the fuzzers (tests/fuzz/): clang, libFuzzer, ASan and UBSan runtimes
                                # (libclang-rt-14-dev is only recommended by clang-14, so it is named)
    llvm-14                     # llvm-symbolizer: function and line names in a fuzzer's crash report
    openssh-server openssh-client  # the multi-host tests: a real sshd per test host (namespace), reached with ssh
    sudo                        # the multi-host tests: a host with sudo = true whose `sudo -n true` fails (a non-root login, no rule) is refused
    haproxy socat               # tests/bench/proxy_bench: the proxies faultline's link is measured against (docs/benchmarks.md);
                                # socat also copies a file through a corrupting link in tests/integration/test_corrupt.cpp
  )
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: every package is present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts a system redis-server, redis-sentinel, nginx, etcd and a
# PostgreSQL cluster on 5432 where systemd runs; faultline never uses them
# (every drill binds its own free loopback ports and runs its own
# configuration and data directories), so they are left alone.
