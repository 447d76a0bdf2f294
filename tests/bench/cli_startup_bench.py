#!/usr/bin/env python3
"""Whole-process timing of `faultline validate` and `faultline plan` of the
largest shipped scenario against the start-up of /bin/true (issue 21: within
3x). Each command runs N times, alternating, so that a burst of load on the
machine falls on all of them alike; the median and the 90th percentile of the
wall time of each (fork to reap) are printed, with the ratios of the medians,
and the mean CPU time (user + system, from the children's rusage), which a
loaded machine inflates less than the wall time.

Usage: python3 tests/bench/cli_startup_bench.py [build/faultline] [N]"""
import os
import resource
import statistics
import subprocess
import sys
import time

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/faultline"
N = int(sys.argv[2]) if len(sys.argv) > 2 else 200
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
scen_dir = os.path.join(ROOT, "scenarios")
largest = max((os.path.join(scen_dir, f) for f in os.listdir(scen_dir) if f.endswith(".toml")), key=os.path.getsize)

commands = {
    "/bin/true": ["/bin/true"],
    "validate": [BIN, "validate", largest],
    "plan": [BIN, "plan", largest, "--seed", "1"],
}
times = {k: [] for k in commands}
cpu = {k: 0.0 for k in commands}
for _ in range(N):
    for name, argv in commands.items():
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times[name].append((time.perf_counter() - t0) * 1000)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu[name] += (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1000
        if r.returncode != 0:
            sys.exit(f"{name} exited {r.returncode}")

print(f"largest shipped scenario: {os.path.relpath(largest, ROOT)} ({os.path.getsize(largest)} bytes); {N} runs each")
base = statistics.median(times["/bin/true"])
base_cpu = cpu["/bin/true"] / N
for name, t in times.items():
    t.sort()
    med = statistics.median(t)
    p90 = t[int(0.9 * (len(t) - 1))]
    print(f"{name:10} median {med:6.2f} ms  p90 {p90:6.2f} ms  median / /bin/true {med / base:4.1f}x"
          f"  CPU {cpu[name] / N:5.2f} ms ({cpu[name] / N / base_cpu:4.1f}x)")
try:
    print(f"load average: {os.getloadavg()[0]:.1f}")
except OSError:
    pass
