#!/usr/bin/env python3
"""Scenario authoring through the faultline binary (issue 21): every problem
in one pass, the partition warning and --strict, plan's cut list and timeline
order, validate's JSON and SARIF output (each field code scanning requires).
Run by `meson test -C build authoring` (FAULTLINE_BIN, FAULTLINE_SOURCE_ROOT
from meson's environment). Each check starts the real binary; nothing here
touches the network or needs root."""
import json
import os
import socket
import subprocess
import sys
import tempfile

BIN = os.environ.get("FAULTLINE_BIN", "build/faultline")
ROOT = os.environ.get("FAULTLINE_SOURCE_ROOT", ".")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def run(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60)


MESH = """name = "mesh"

[[service]]
name = "a"
command = "sleep 100"
ports = ["p"]

[[service]]
name = "b"
command = "sleep 100"

[[service]]
name = "c"
command = "sleep 100"
ports = ["db"]

# One link to c for both of its clients: cutting a from c cuts b from c too.
[[link]]
name = "to-c"
to = "127.0.0.1:{port.db}"
from = ["a", "b"]

[[probe]]
name = "up"
kind = "tcp"
port = "{link.to-c}"

[[fault]]
name = "isolate-a"
kind = "net.partition"
isolate = "a"
at = "2s"
duration = "1s"

[[fault]]
name = "early"
kind = "exec"
apply = "true"
revert = "true"
at = "500ms"
duration = "2s"
"""

THREE = """name = "three"
network = "namespaces"

[[service]]
name = "a"
command = "sleep 100"
depends_on = ["nobody"]

[[probe]]
name = "up"
kind = "tcp"
host = "{addr.a}"
port = 80
interval = "100ms
"""


RUNNABLE = ("init", "validate", "plan", "list", "schema")


def check_readme_commands():
    """Every `faultline` command in a ```sh block of README.md and
    scenarios/README.md that a test can run (init, validate, plan, list,
    schema: nothing started, nothing privileged) runs as shown and exits 0,
    in order, in a scratch directory holding the shipped scenarios."""
    import re
    ran = 0
    for readme in ("README.md", os.path.join("scenarios", "README.md")):
        text = open(os.path.join(ROOT, readme)).read()
        with tempfile.TemporaryDirectory() as d:
            os.symlink(os.path.join(ROOT, "scenarios"), os.path.join(d, "scenarios"))
            for block in re.findall(r"```sh\n(.*?)```", text, re.S):
                for line in block.splitlines():
                    line = re.sub(r"\s+#.*$", "", line).strip()
                    words = line.split()
                    if len(words) < 2 or words[0] != "faultline" or words[1] not in RUNNABLE:
                        continue
                    r = subprocess.run(BIN + line[len("faultline"):], shell=True, cwd=d, capture_output=True,
                                       text=True, timeout=120)
                    check(r.returncode == 0, f"{readme}: `{line}` exits 0, not {r.returncode}: {r.stderr[-500:]}")
                    ran += 1
    check(ran >= 8, f"README commands run: {ran}")


METRICS_DRILL = """name = "metrics-drill"
steady_for = "200ms"
steady_timeout = "15s"
watch = "300ms"
cool_down = "0s"

[[service]]
name = "app"
command = "touch {run.dir}/up && exec sleep 100"

[[probe]]
name = "up"
kind = "exec"
command = "test -f {run.dir}/up"
interval = "50ms"

[[fault]]
name = "down"
kind = "exec"
apply = "rm -f {run.dir}/up"
revert = "touch {run.dir}/up"
at = "200ms"
duration = "300ms"

[thresholds]
rto = "10s"
"""

PARSE = """
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
need = ["faultline_recovery_time_seconds", "faultline_ttd_seconds", "faultline_mttr_seconds", "faultline_relapses",
        "faultline_availability_ratio", "faultline_availability_low_ratio", "faultline_availability_high_ratio",
        "faultline_verdict_passed", "faultline_run_passed"]
missing = [n for n in need if n not in fams]
assert not missing, f"missing families: {missing}"
for f in fams.values():
    for s in f.samples:
        assert s.labels.get("scenario") == "metrics-drill", s
rt = {s.labels["stat"]: s.value for s in fams["faultline_recovery_time_seconds"].samples}
assert 0.1 < rt["max"] < 10, rt
assert fams["faultline_run_passed"].samples[0].value == 1
print("parsed", len(fams), "families")
"""


def check_metrics():
    """run --metrics FILE: the real OpenMetrics parser of the Python client accepts it."""
    with tempfile.TemporaryDirectory() as d:
        drill = os.path.join(d, "m.toml")
        open(drill, "w").write(METRICS_DRILL)
        metrics = os.path.join(d, "drill.prom")
        r = subprocess.run([BIN, "run", drill, "--out", os.path.join(d, "run"), "--metrics", metrics, "--quiet",
                            "--no-history"],
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, f"the metrics drill passes: {r.stdout[-800:]}{r.stderr[-800:]}")
        if not os.path.exists(metrics):
            check(False, "run --metrics wrote the file")
            return
        # Debian's python3-prometheus-client: the system interpreter has it.
        python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
        p = subprocess.run([python, "-c", PARSE, metrics], capture_output=True, text=True, timeout=60)
        check(p.returncode == 0, f"OpenMetrics parser accepts it: {p.stdout}{p.stderr}\n{open(metrics).read()}")


def check_install():
    """meson install into a temporary prefix (--destdir), then the installed binary runs."""
    build = os.path.dirname(os.path.abspath(BIN))
    with tempfile.TemporaryDirectory() as dest:
        r = subprocess.run(["meson", "install", "-C", build, "--no-rebuild", "--quiet", "--destdir", dest],
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, f"meson install --destdir: {r.stdout}{r.stderr}")
        prefix = subprocess.run(["meson", "introspect", "--buildoptions", build], capture_output=True, text=True)
        opts = {o["name"]: o["value"] for o in json.loads(prefix.stdout)}
        root = dest + opts["prefix"]
        share = os.path.join(root, opts["datadir"], "faultline")
        installed = os.path.join(root, opts["bindir"], "faultline")
        check(os.access(installed, os.X_OK), f"installed binary: {installed}")
        man = os.path.join(root, opts["mandir"], "man1", "faultline.1")
        text = open(man).read() if os.path.exists(man) else ""
        check(text.startswith(".TH FAULTLINE 1") and "SCENARIO KEYS" in text and "validate" in text, "man page installed")
        comp = os.path.join(root, opts["datadir"], "bash-completion", "completions", "faultline")
        check(os.path.exists(comp) and subprocess.run(["bash", "-n", comp]).returncode == 0, "bash completion installed, valid bash")
        check(os.path.exists(os.path.join(share, "faultline.schema.json")), "schema installed")
        check(os.path.exists(os.path.join(share, "run-record.schema.json")), "run-record schema installed")
        drill = os.path.join(share, "scenarios", "redis-kill-restart.toml")
        check(os.path.exists(drill), "example scenarios installed")
        r = subprocess.run([installed, "--version"], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0 and r.stdout.startswith("faultline "), f"installed binary runs: {r.stdout}{r.stderr}")
        r = subprocess.run([installed, "validate", drill], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, f"installed binary validates an installed scenario: {r.stderr}")
        # The PostgreSQL store's module: installed, found by the installed
        # binary in its own tree (the server refuses: the module was loaded,
        # it connected and said why), and no library of libpq's is loaded
        # by a command that does not use it.
        module = os.path.join(root, opts["libdir"], "faultline", "faultline-history-pg.so")
        check(os.path.exists(module), f"PostgreSQL module installed: {module}")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))  # bound, never listening: refused at once
            url = f"postgresql://u:pw@127.0.0.1:{s.getsockname()[1]}/h"
            r = subprocess.run([installed, "history", "--history", url], capture_output=True, text=True, timeout=60)
        check("cannot connect" in r.stderr and "not installed" not in r.stderr and ":pw@" not in r.stderr,
              f"installed binary loads its PostgreSQL module: {r.returncode} {r.stderr}")
        r = subprocess.run(["ldd", installed], capture_output=True, text=True)
        check(r.returncode == 0 and "libpq" not in r.stdout and "libssl" not in r.stdout,
              f"the binary does not link libpq: {r.stdout}")


def main():
    with tempfile.TemporaryDirectory() as d:
        mesh = os.path.join(d, "mesh.toml")
        open(mesh, "w").write(MESH)

        # The partition warning: exit 0, a warning at the fault naming the pair and pointing at namespaces.
        r = run("validate", mesh)
        check(r.returncode == 0, f"validate of the mesh exits 0, not {r.returncode}: {r.stderr}")
        line = MESH[: MESH.index('name = "isolate-a"')].count("\n") + 1
        check(f"mesh.toml:{line - 1}:" in r.stderr and "warning:" in r.stderr, f"warning at the fault: {r.stderr}")
        check("b <-> c" in r.stderr and 'network = "namespaces"' in r.stderr, f"warning names b -> c: {r.stderr}")
        r = run("validate", "--strict", mesh)
        check(r.returncode == 2, f"--strict makes the warning fail (2), not {r.returncode}")

        # plan: the links a partition cuts, the pairs that lose each other, the timeline in time order.
        r = run("plan", mesh)
        check(r.returncode == 0, f"plan exits 0: {r.stderr}")
        out = r.stdout
        check("'isolate-a' cuts link(s) to-c (both ways)" in out, f"plan lists the cut link:\n{out}")
        check("services that lose each other: a <-> c, b <-> c" in out, f"plan lists the pairs:\n{out}")
        check("of which its groups do not separate: b <-> c" in out, f"plan marks the collateral pair:\n{out}")
        times = [l.split()[0] for l in out.splitlines() if l.startswith("    T+")]
        check(times == ["T+500ms", "T+2s", "T+2.5s", "T+3s"] or times == ["T+500ms", "T+2s", "T+2500ms", "T+3s"],
              f"timeline in time order: {times}\n{out}")

        # Every problem in one pass: syntax, semantic, capability (when this host lacks one).
        three = os.path.join(d, "three.toml")
        open(three, "w").write(THREE)
        r = run("validate", three)
        check(r.returncode == 2, f"three problems: exit 2, not {r.returncode}")
        check(("three.toml:14:" in r.stderr or "three.toml:15:" in r.stderr) and "TOML syntax error" in r.stderr, f"syntax error reported: {r.stderr}")
        check("three.toml:7:" in r.stderr and "nobody" in r.stderr, f"semantic error reported: {r.stderr}")

        # --format json
        r = run("validate", "--format", "json", three, mesh)
        doc = json.loads(r.stdout)
        check(r.returncode == 2, "json: exit 2 with an invalid file")
        check([f["ok"] for f in doc["files"]] == [False, True], f"json ok flags: {doc}")
        check(doc["warnings"] == 1 and doc["errors"] >= 2, f"json counts: {doc}")
        for f in doc["files"]:
            for p in f["problems"]:
                check(set(p) >= {"severity", "rule", "file", "line", "column", "message", "hint"}, f"json problem: {p}")

        # --format sarif: every field code scanning requires.
        r = run("validate", "--format", "sarif", three, mesh)
        sarif = json.loads(r.stdout)
        check(sarif.get("version") == "2.1.0", "sarif version")
        check("sarif-2.1.0" in sarif.get("$schema", ""), "sarif $schema")
        check(len(sarif.get("runs", [])) == 1, "sarif: one run")
        driver = sarif["runs"][0]["tool"]["driver"]
        check(driver.get("name") == "faultline" and driver.get("version"), f"driver name/version: {driver}")
        rule_ids = {rule["id"] for rule in driver.get("rules", [])}
        results = sarif["runs"][0]["results"]
        check(len(results) >= 3, f"sarif results: {results}")
        levels = set()
        for res in results:
            check(res.get("ruleId") in rule_ids, f"ruleId among the rules: {res}")
            check(res.get("level") in ("error", "warning", "note"), f"level: {res}")
            levels.add(res.get("level"))
            check(bool(res.get("message", {}).get("text")), f"message.text: {res}")
            loc = res["locations"][0]["physicalLocation"]
            check(loc["artifactLocation"]["uri"].endswith(".toml"), f"artifactLocation.uri: {loc}")
            check(loc["region"]["startLine"] >= 1 and loc["region"]["startColumn"] >= 1, f"region: {loc}")
        check(levels == {"error", "warning"}, f"sarif levels: {levels}")

        # The schema: the shipped file is what the program prints; every shipped
        # scenario is valid against it (a real JSON Schema validator); a typo'd key is flagged.
        r = run("schema")
        check(r.returncode == 0, "schema exits 0")
        shipped = open(os.path.join(ROOT, "scenarios", "faultline.schema.json")).read()
        check(r.stdout == shipped, "scenarios/faultline.schema.json equals `faultline schema` (regenerate it: "
              "build/faultline schema > scenarios/faultline.schema.json)")
        schema = json.loads(r.stdout)
        import jsonschema
        import tomllib
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema)
        scen_dir = os.path.join(ROOT, "scenarios")
        shipped_scenarios = sorted(f for f in os.listdir(scen_dir) if f.endswith(".toml"))
        check(len(shipped_scenarios) >= 10, f"shipped scenarios found: {shipped_scenarios}")
        for name in shipped_scenarios:
            with open(os.path.join(scen_dir, name), "rb") as f:
                doc = tomllib.load(f)
            errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(doc)]
            check(not errors, f"{name} is valid against the schema: {errors[:3]}")
        typo = tomllib.loads(MESH.replace('kind = "tcp"\nport', 'kind = "tcp"\nintreval = "1s"\nport'))
        errors = [e for e in validator.iter_errors(typo)]
        check(any("intreval" in e.message for e in errors), f"a typo'd key is flagged: {[e.message for e in errors]}")
        bad_kind = tomllib.loads(MESH.replace('kind = "net.partition"', 'kind = "net.partitoin"'))
        check(any(True for _ in validator.iter_errors(bad_kind)), "an unknown fault kind is flagged")
        wrong_key = tomllib.loads(MESH.replace('kind = "exec"\n', 'kind = "exec"\nisolate = "a"\n'))
        check(any(True for _ in validator.iter_errors(wrong_key)), "a key of another kind is flagged")

        # init: `faultline init my-drill > my-drill.toml` writes a scenario that validates, with taplo's #:schema.
        drill = os.path.join(d, "my-drill.toml")
        with open(drill, "w") as out:
            r = subprocess.run([BIN, "init", "my-drill"], stdout=out, stderr=subprocess.PIPE, text=True, cwd=d, timeout=60)
        check(r.returncode == 0, f"init into its own file exits 0: {r.stderr}")
        text = open(drill).read()
        check(text.startswith("#:schema "), f"init writes the #:schema line first: {text[:80]!r}")
        r = run("validate", drill)
        check(r.returncode == 0, f"the init scenario validates: {r.stderr}")
        with open(drill, "rb") as f:
            errors = [e.message for e in validator.iter_errors(tomllib.load(f))]
        check(not errors, f"the init scenario is valid against the schema: {errors}")

        # list: every key the README documents is in `faultline list`.
        listed = run("list").stdout
        readme = open(os.path.join(ROOT, "scenarios", "README.md")).read()
        import re
        keys = set(re.findall(r"^\| `([a-z_]+)` \| ", readme, re.M))
        missing = sorted(k for k in keys if not re.search(r"^\s+" + re.escape(k) + r" ", listed, re.M))
        check(not missing, f"keys documented in scenarios/README.md but not in `faultline list`: {missing}")
        for title in ("TOP LEVEL", "SERVICES", "HOSTS", "LINKS", "PROBE KINDS", "FAULT KINDS", "DYNAMIC TARGETS", "STEPS",
                      "RUNBOOK STEPS",
                      "WORKLOAD KINDS", "THRESHOLDS", "STRATEGIES"):
            check(title in listed, f"`faultline list` has {title}")

        # The shortened etcd drill still validates.
        r = run("validate", os.path.join(ROOT, "scenarios", "etcd-leader-kill.toml"))
        check(r.returncode == 0, f"etcd-leader-kill validates: {r.stderr}")

    check_readme_commands()
    check_metrics()
    check_install()
    print(f"{'FAILED' if failures else 'passed'}: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
