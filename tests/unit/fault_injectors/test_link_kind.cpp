// The net.* injectors through the Injector interface, as the runner drives
// them: prepare names a link that is not running, inject applies the fault to
// the target link (or to every link a partition cuts), revert removes it and
// reads the links back; the seeds of repeated applications differ and replay.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "fault_injectors/injector.hpp"
#include "fault_injectors/link_kind.hpp"
#include "fault_injectors/net_reset.hpp"
#include "proxy_harness.hpp"
#include "system/clone.hpp"

using namespace ptest;
using namespace faultline;
namespace fs = std::filesystem;

namespace {

/// Services a, b and c; links a->b ("ab"), b->c ("bc") and c->a ("ca") in
/// front of one test server; a run directory for the (empty) clone.
struct Triangle {
  asio::io_context& io;
  Server server;
  Scenario s;
  RunClock clock;
  LinkSet links;
  fs::path dir = fs::temp_directory_path() / ("faultline-link-injector-" + std::to_string(::getpid()));
  std::unique_ptr<Clone> clone;
  StopSource stop;

  explicit Triangle(asio::io_context& io_) : io(io_), server(io_) {
    for (const char* n : {"a", "b", "c"}) {
      ServiceSpec svc;
      svc.name = n;
      s.services.push_back(svc);
    }
    const std::string to = "127.0.0.1:" + std::to_string(server.port());
    s.links = {LinkSpec{"ab", to, "b", {"a"}, {}}, LinkSpec{"bc", to, "c", {"b"}, {}},
               LinkSpec{"ca", to, "a", {"c"}, {}}};
    links.bind(s.links);
    links.start(io.get_executor(), s, clock);
    Scenario no_services;
    clone = std::make_unique<Clone>(io.get_executor(), clock, no_services, dir);
  }
  ~Triangle() {
    links.stop();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  InjectorContext context(int iteration = 1) {
    return InjectorContext{io.get_executor(), *clone, stop, {}, &links, 42, iteration, nullptr, 0, nullptr, {}};
  }
};

FaultSpec spec(const std::string& name, const std::string& kind, FaultParams params, const std::string& target = "") {
  FaultSpec f;
  f.name = name;
  f.kind = kind;
  f.target = target;
  f.duration = 1s;
  f.params = std::move(params);
  return f;
}

}  // namespace

TEST_CASE("link_injector: inject applies to the target link only, revert removes it and reads it back") {
  run([](Env& env) -> asio::awaitable<void> {
    Triangle t(env.io);
    auto ctx = t.context();
    auto inj = make_injector(spec("slow", "net.latency", LatencyParams{5ms, 0ns, {}, NetDirection::both, 1.0}, "bc"));
    CHECK(inj->reversible());
    CHECK(inj->describe() == "delay 5ms, both directions on link 'bc'");
    co_await inj->prepare(ctx);
    co_await inj->revert(ctx);  // before inject: nothing to undo
    co_await inj->inject(ctx);
    CHECK(t.links.find("bc")->stats().faults.size() == 1);
    CHECK(t.links.find("bc")->stats().faults[0].fault == "slow");
    CHECK(t.links.find("ab")->stats().faults.empty());
    co_await inj->revert(ctx);
    co_await inj->revert(ctx);  // idempotent
    CHECK(t.links.find("bc")->stats().faults[0].end.has_value());

    auto missing = make_injector(spec("x", "net.reset", ResetParams{}, "nope"));
    bool refused = false;
    try {
      co_await missing->prepare(ctx);
    } catch (const FaultError& e) {
      refused = std::string(e.what()) == "link 'nope' is not running";
    }
    CHECK(refused);
  });
}

TEST_CASE("net.partition: the injector cuts exactly the links across its groups and heals them") {
  run([](Env& env) -> asio::awaitable<void> {
    Triangle t(env.io);
    auto ctx = t.context();
    PartitionParams p;
    p.isolate = "a";
    auto inj = make_injector(spec("split", "net.partition", p));
    co_await inj->prepare(ctx);
    co_await inj->inject(ctx);
    CHECK(inj->describe().find("cuts link(s) 'ab' (both directions), 'ca' (both directions)") != std::string::npos);
    CHECK(t.links.find("ab")->stats().faults.size() == 1);
    CHECK(t.links.find("ca")->stats().faults.size() == 1);
    CHECK(t.links.find("bc")->stats().faults.empty());
    co_await inj->revert(ctx);
    for (const char* l : {"ab", "ca"}) CHECK(t.links.find(l)->stats().faults.at(0).end.has_value());

    PartitionParams none;
    none.groups = {{"a"}, {"nobody"}};
    auto nothing = make_injector(spec("none", "net.partition", none));
    bool refused = false;
    try {
      co_await nothing->prepare(ctx);
    } catch (const FaultError& e) {
      refused = std::string(e.what()) == "the partition cuts no link";
    }
    CHECK(refused);
  });
}

TEST_CASE("link_injector: each application of a fault has its own seed, the same in a replay") {
  run([](Env& env) -> asio::awaitable<void> {
    std::vector<std::uint64_t> seeds;
    for (int replay = 0; replay < 2; ++replay) {
      Triangle t(env.io);
      auto it1 = t.context(1);
      auto it2 = t.context(2);
      seeds.push_back(application_seed(it1, "f"));
      seeds.push_back(application_seed(it1, "f"));
      seeds.push_back(application_seed(it2, "f"));
      seeds.push_back(application_seed(it1, "g"));
    }
    CHECK(std::set<std::uint64_t>(seeds.begin(), seeds.begin() + 4).size() == 4);
    CHECK(std::vector<std::uint64_t>(seeds.begin(), seeds.begin() + 4) ==
          std::vector<std::uint64_t>(seeds.begin() + 4, seeds.end()));
    co_return;
  });
}
