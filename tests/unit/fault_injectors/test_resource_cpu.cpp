#include <doctest/doctest.h>

#include <unistd.h>

#include <fstream>
#include <thread>

#include "../scenario/validate_fixture.hpp"
#include "resource_fixture.hpp"

using namespace faultline;
using namespace faultline::testing;
using namespace faultline::validate_fixture;

namespace {

/// Nanoseconds process `pid` ran on a CPU (/proc/PID/schedstat's first field).
long long ran_ns(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/schedstat");
  long long ns = 0;
  in >> ns;
  return ns;
}

/// The share of one core `pid` got over `window` of wall time.
double share_over(ResourceFixture& fx, pid_t pid, std::chrono::milliseconds window) {
  const long long before = ran_ns(pid);
  const auto t0 = std::chrono::steady_clock::now();
  fx.run_for(window);
  const auto t1 = std::chrono::steady_clock::now();
  return static_cast<double>(ran_ns(pid) - before) /
         static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
}

}  // namespace

TEST_CASE("resource.cpu: a throttled busy loop gets its share within 5%, and all it can after the revert") {
  if (::geteuid() != 0) return;  // root-only: CI runs as root
  ResourceFixture fx("while :; do :; done", "resource.cpu", "share = \"10%\"\n");
  const pid_t pid = fx.pid();
  REQUIRE(pid > 0);
  auto inj = make_injector(fx.spec());
  auto ctx = fx.context();
  run_sync(fx.io, inj->prepare(ctx));
  run_sync(fx.io, inj->inject(ctx));
  CHECK(inj->describe().find("10% of one CPU core") != std::string::npos);
  fx.run_for(300ms);  // the first period's quota may have been used before the write
  const double throttled = share_over(fx, pid, 4000ms);
  std::ifstream load("/proc/loadavg");
  std::string load1;
  load >> load1;
  INFO("share while throttled: ", throttled, " (load average ", load1, ")");
  CHECK(throttled <= 0.10 * 1.05);
  CHECK(throttled >= 0.10 * 0.95);
  run_sync(fx.io, inj->revert(ctx));
  run_sync(fx.io, inj->revert(ctx));  // idempotent
  const double free = share_over(fx, pid, 1000ms);
  INFO("share after the revert: ", free);
  CHECK(free > 0.2);  // no throttle: far more than 10% even on a loaded machine
}

TEST_CASE("resource.cpu: bad shares, attached targets and a missing controller are refused at file:line:col") {
  auto text = [](const std::string& share) {
    return "name = \"v\"\n[[service]]\nname = \"s\"\ncommand = [\"sleep\", \"9\"]\n[[fault]]\nkind = "
           "\"resource.cpu\"\ntarget = \"s\"\nduration = \"1s\"\nshare = \"" +
           share + "\"\n";
  };
  for (const std::string bad : {"10", "0.5%", "ten%", "%", "100000%"}) {
    const std::string t = text(bad);
    check_at(diag(check(t), "invalid share '" + bad + "'"), value_of(t, "share = \"" + bad + "\""));
  }
  if (::geteuid() == 0) CHECK(check(text("10%")).empty());
  else CHECK(all_messages(check(text("10%"))).find("needs root") != std::string::npos);
}
