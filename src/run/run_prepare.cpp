#include "run/run_prepare.hpp"

#include <sys/utsname.h>

#include <boost/uuid/detail/sha1.hpp>
#include <chrono>
#include <ctime>
#include <fmt/format.h>
#include <map>
#include <random>

#include "scenario/strategy_schedule.hpp"
#include "system/remote_service.hpp"

namespace faultline {

namespace {

std::string make_run_id() {
  std::random_device rd;
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  return fmt::format("{}-{:06x}", stamp, rd() & 0xffffff);
}

std::uint64_t random_seed() {
  std::random_device rd;
  return (std::uint64_t{rd()} << 32) | rd();
}

std::string iso_utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// The record's identity: version, run id, scenario, digest, seed, start, host.
RunRecord begin_record(const Scenario& scenario, const std::string& scenario_text, const RunOptions& opts) {
  RunRecord rec;
  rec.faultline_version = FAULTLINE_VERSION;
  rec.run_id = make_run_id();
  rec.scenario_name = scenario.name;
  rec.scenario_file = scenario.file;
  rec.scenario_digest = scenario_digest(scenario_text);
  rec.seed = opts.seed ? *opts.seed : scenario.seed ? *scenario.seed : random_seed();
  rec.started_at = iso_utc_now();
  utsname u{};
  if (::uname(&u) == 0) {
    rec.host = u.nodename;
    rec.kernel = fmt::format("{} {} {}", u.sysname, u.release, u.machine);
  }
  return rec;
}

}  // namespace

std::string scenario_digest(const std::string& text) {
  boost::uuids::detail::sha1 h;
  h.process_bytes(text.data(), text.size());
  boost::uuids::detail::sha1::digest_type d;
  h.get_digest(d);
  std::string out = "sha1:";
  for (unsigned v : d) out += fmt::format("{:08x}", v);
  return out;
}

PreparedRun prepare_run(const Scenario& scenario, const std::string& scenario_text, const RunOptions& opts,
                        LinkSet& links) {
  PreparedRun p;
  p.rec = begin_record(scenario, scenario_text, opts);
  RunRecord& rec = p.rec;
  const std::filesystem::path run_dir =
      opts.out_dir.empty() ? std::filesystem::path("runs") / fmt::format("{}-{}", scenario.name, rec.run_id)
                           : opts.out_dir;
  std::filesystem::create_directories(run_dir / "logs");
  p.dir = std::filesystem::absolute(run_dir);

  p.global = {{"run.dir", p.dir.string()}, {"run.id", rec.run_id}, {"seed", std::to_string(rec.seed)}};
  for (const auto& svc : scenario.services)
    for (const auto& port : svc.ports) {
      rec.ports[port] = allocate_loopback_port();
      p.global["port." + port] = std::to_string(rec.ports[port]);
    }
  for (const auto& [name, port] : links.bind(scenario.links)) p.global["link." + name] = std::to_string(port);
  // The namespaces are planned (names, addresses) now, built in phase 1.
  if (scenario.network == NetworkMode::namespaces) {
    p.network = plan_network(scenario, rec.run_id);
    for (const auto& h : p.network->hosts)
      for (const auto& svc : h.services) p.global["addr." + svc] = h.address;
  }
  // A service on a [[host]]: {addr.SERVICE} is the host's address (what ssh connects to).
  for (const auto& svc : scenario.services)
    if (const HostSpec* h = service_host(scenario, svc)) p.global["addr." + svc.name] = h->address;
  std::map<std::string, Bindings> per_service;
  for (const auto& svc : scenario.services)
    per_service[svc.name] = {{"service.dir", (p.dir / "services" / svc.name).string()}, {"service.name", svc.name}};
  // A service on a [[host]] runs in the run's directory there.
  for (const auto& svc : scenario.services)
    if (service_host(scenario, svc))
      per_service[svc.name]["service.dir"] = remote_service_dir(remote_run_dir(rec.run_id), svc);
  rec.scenario = resolve_placeholders(scenario, p.global, per_service);
  if (opts.iterations) rec.scenario.iterations = *opts.iterations;
  // Issue 17: the blocked, seeded order of the strategies' iterations.
  rec.iteration_strategies = strategy_order(rec.scenario, rec.seed);
  if (p.network) place_in_namespaces(rec.scenario, *p.network);
  return p;
}

void place_in_namespaces(Scenario& s, const NetworkPlan& plan) {
  auto netns_of = [&](const std::string& service, const std::string& fallback) {
    const NetHost* h = service.empty() ? nullptr : plan.host_of(service);
    return h ? h->netns : fallback;
  };
  for (auto& svc : s.services) {
    svc.netns = netns_of(svc.name, plan.hub);
    if (svc.ready) svc.ready->netns = netns_of(svc.ready->from, svc.netns);
  }
  for (auto& p : s.probes) p.netns = netns_of(p.from, plan.hub);
  for (auto& g : s.guards) g.netns = netns_of(g.from, plan.hub);
  for (auto& st : s.setup) st.netns = netns_of(st.from, plan.hub);
  for (auto& st : s.verify) st.netns = netns_of(st.from, plan.hub);
  for (auto& r : s.recovery) r.netns = plan.hub;
  for (auto& strategy : s.strategies) {  // issue 17
    for (auto& r : strategy.recovery) r.netns = plan.hub;
    for (auto& st : strategy.verify) st.netns = netns_of(st.from, plan.hub);
  }
  for (auto& w : s.workloads) w.netns = plan.hub;
}

}  // namespace faultline
