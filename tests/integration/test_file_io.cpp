// file.io through the binary (root, /dev/fuse): a service's directory served
// through the run's FUSE passthrough, a probe's writes failed with EIO while
// the rule is set and passing again after the revert, files written before
// the fault read back byte for byte, the mount gone after the run; and what
// validation refuses (exit 2, file:line:col): a host without /dev/fuse (a
// mount namespace with an empty /dev), a user who cannot mount, and a
// probability or duration that does not parse.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include "../unit/report_fixtures.hpp"
#include "checks.hpp"
#include "harness.hpp"

using namespace itest;
namespace json = boost::json;

namespace {

bool mounted_under(const fs::path& dir) {
  const std::string info = read_file("/proc/self/mountinfo");
  return info.find(" " + dir.string() + "/") != std::string::npos ||
         info.find("faultline-iofs:" + dir.string() + "/") != std::string::npos;
}

const char* kScenario = R"(name = "file-io"
steady_for = "200ms"
recovered_after = 2
watch = "300ms"
[[service]]
name = "app"
command = "head -c 100000 /dev/urandom > {service.dir}/before.bin; cp {service.dir}/before.bin {run.dir}/before.orig; trap '' HUP; exec sleep 300"
[[probe]]
name = "write"
kind = "exec"
command = "dd if=/dev/zero of={run.dir}/services/app/probe.dat bs=4k count=1 conv=fsync 2>/dev/null"
interval = "50ms"
timeout = "1s"
[[fault]]
name = "eio"
kind = "file.io"
target = "app"
path = "probe*"
ops = "write"
errno = "EIO"
at = "200ms"
duration = "700ms"
[thresholds]
rto = "3s"
)";

}  // namespace

TEST_CASE("file.io: a probe's writes fail with EIO while the rule is set, pass after; the mount goes") {
  if (::geteuid() != 0 || ::access("/dev/fuse", R_OK | W_OK) != 0) {
    MESSAGE("skipped: file.io needs root and /dev/fuse");
    return;
  }
  TempDir dir;
  const fs::path file = dir / "io.toml";
  write_file(file, kScenario);
  Result r = itest::faultline(dir, {"run", file.string(), "--out", (dir / "run").string()});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.code == 0);
  CHECK(r.out.find("served through a FUSE passthrough filesystem") != std::string::npos);
  const json::value rec = read_json(dir / "run" / "run.json");
  const auto& it = rec.at("iterations").as_array().at(0);
  CHECK(it.at("recovered").as_bool());
  CHECK(it.at("t_fail_ns").is_int64());  // the failed writes were seen
  // What the service wrote through the mount is on the directory underneath.
  CHECK(read_file(dir / "run" / "services" / "app" / "before.bin") == read_file(dir / "run" / "before.orig"));
  CHECK(fs::file_size(dir / "run" / "services" / "app" / "before.bin") == 100000);
  CHECK_FALSE(mounted_under(dir / "run"));
  const json::value ledger = read_json(dir / "run" / "ledger.json");
  CHECK(ledger.at("finished").as_bool());
  CHECK_FALSE(ledger.as_object().contains("mounts"));
  expect_nothing_left(rec);
}

TEST_CASE("file.io: refused at validation without /dev/fuse, without root, and on values that do not parse; exit 2") {
  TempDir dir;
  const fs::path file = dir / "io.toml";
  write_file(file, R"(name = "io"
[[service]]
name = "app"
command = "sleep 300"
[[fault]]
kind = "file.io"
target = "app"
errno = "EIO"
duration = "1s"
)");
  // A probability and a duration that do not parse.
  const fs::path bad = dir / "bad.toml";
  write_file(bad, R"(name = "io"
[[service]]
name = "app"
command = "sleep 300"
[[fault]]
kind = "file.io"
target = "app"
delay = "soon"
probability = 2
duration = "1s"
)");
  Result b = itest::faultline(dir, {"run", bad.string(), "--out", (dir / "run").string()});
  CHECK(b.code == 2);
  CHECK(b.err.find(bad.string() + ":8:9: ") != std::string::npos);
  CHECK(b.err.find(bad.string() + ":9:15: ") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "run" / "services"));  // nothing started, nothing mounted
  if (::geteuid() != 0) return;
  // No /dev/fuse: a mount namespace of its own with an empty /dev (slave:
  // unmounts made outside, such as a concurrent file.io run's, reach it).
  const auto nodev = fixtures::run_command("unshare -m --propagation slave sh -c 'mount -t tmpfs none /dev && exec " +
                                           fixtures::sh_quote(faultline_bin()) + " validate " +
                                           fixtures::sh_quote(file.string()) + "' 2>&1");
  INFO(nodev.output);
  CHECK(nodev.status == 2);
  CHECK(nodev.output.find(file.string() + ":6:8: ") != std::string::npos);
  CHECK(nodev.output.find("/dev/fuse is missing") != std::string::npos);
  // Not root: the same binary as nobody.
  ::chmod(dir.path.c_str(), 0755);
  const auto nobody = fixtures::run_command("setpriv --reuid=65534 --regid=65534 --clear-groups " +
                                            fixtures::sh_quote(faultline_bin()) + " validate " +
                                            fixtures::sh_quote(file.string()) + " 2>&1");
  INFO(nobody.output);
  CHECK(nobody.status == 2);
  CHECK(nobody.output.find(file.string() + ":6:8: ") != std::string::npos);
  CHECK(nobody.output.find("needs root") != std::string::npos);
}

namespace {

bool fuse_usable() {
  if (::geteuid() == 0 && ::access("/dev/fuse", R_OK | W_OK) == 0) return true;
  MESSAGE("skipped: file.io needs root and /dev/fuse");
  return false;
}

std::string drill_variant(const std::string& from, const std::string& to) {
  std::string text = read_file(source_root() / "scenarios" / "redis-aof-eio.toml");
  const auto at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "'" << from << "' not in redis-aof-eio.toml");
  text.replace(at, from.size(), to);
  return text;
}

}  // namespace

TEST_CASE("file.io drill: Redis's AOF writes fail with EIO: writes refused, nothing acknowledged lost, writes again after") {
  if (!fuse_usable()) return;
  TempDir dir;
  const fs::path scenario = source_root() / "scenarios" / "redis-aof-eio.toml";
  Result r = itest::faultline(dir, {"run", scenario.string(), "--out", (dir / "run").string()});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.code == 0);
  const json::value rec = read_json(dir / "run" / "run.json");
  const auto& it = rec.at("iterations").as_array().at(0);
  CHECK(it.at("recovered").as_bool());
  CHECK(it.at("t_fail_ns").is_int64());  // the refused writes were seen
  const auto& w = rec.at("workloads").as_array().at(0);
  CHECK(w.at("lost").as_int64() == 0);
  CHECK(w.at("errors").as_int64() > 0);  // MISCONF while the AOF cannot be written
  const std::string log = read_file(dir / "run" / "logs" / "redis.log");
  CHECK(log.find("Error writing to the AOF file: Input/output error") != std::string::npos);
  CHECK(log.find("AOF write error looks solved") != std::string::npos);
  CHECK_FALSE(mounted_under(dir / "run"));
  expect_nothing_left(rec);
}

TEST_CASE("file.io drill, counter-case: with appendfsync always Redis exits on the EIO and never comes back: exit 1 on rto") {
  if (!fuse_usable()) return;
  TempDir dir;
  const fs::path file = dir / "always.toml";
  write_file(file, drill_variant("\"--appendfsync\", \"everysec\"", "\"--appendfsync\", \"always\""));
  Result r = itest::faultline(dir, {"run", file.string(), "--out", (dir / "run").string()});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.code == 1);
  const json::value rec = read_json(dir / "run" / "run.json");
  bool rto_failed = false;
  for (const auto& v : rec.at("verdicts").as_array())
    if (v.at("threshold").as_string() == "rto") rto_failed = !v.at("passed").as_bool();
  CHECK(rto_failed);
  CHECK(read_file(dir / "run" / "logs" / "redis.log").find("Can't recover from AOF write error") != std::string::npos);
  CHECK_FALSE(mounted_under(dir / "run"));
  expect_nothing_left(rec);
}
