// Choosing a dynamic target at injection (target_select.hpp).
#include "run/target_select.hpp"

#include <fmt/format.h>

#include "fault_injectors/injector.hpp"
#include "os/netns.hpp"
#include "run/runbook.hpp"
#include "scenario/check_context.hpp"

namespace faultline {

namespace {

/// The last line of a command's output, at most 200 characters.
std::string last_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  if (auto nl = text.rfind('\n'); nl != std::string::npos) text = text.substr(nl + 1);
  return text.size() <= 200 ? text : text.substr(0, 200) + "...";
}

/// "etcd1: exit 1 (no leader)", "etcd2: exit 0", "etcd3: timed out after 5 s".
std::string result_text(const CandidateResult& r, const TargetSelect& sel) {
  std::string what = !r.start_error.empty() ? "could not start: " + r.start_error
                     : r.timed_out         ? "timed out after " + format_duration(sel.timeout)
                     : r.exit_code < 0     ? fmt::format("killed by signal {}", -r.exit_code)
                                           : fmt::format("exit {}", r.exit_code);
  if (!r.output.empty() && r.start_error.empty()) what += fmt::format(" ({})", r.output);
  return fmt::format("{}: {}", r.name, what);
}

}  // namespace

std::map<std::string, Bindings> candidate_bindings(const Scenario& s, const TargetSelect& sel, const NetworkPlan* plan) {
  std::map<std::string, Bindings> out;
  for (const auto& name : sel.among) {
    std::string addr = "127.0.0.1";
    for (const auto& svc : s.services)
      if (svc.name == name)
        if (const HostSpec* h = service_host(s, svc)) addr = h->address;
    if (plan)
      if (const NetHost* h = plan->host_of(name)) addr = h->address;
    out[name] = {{"service.name", name}, {"service.addr", addr}};
  }
  return out;
}

std::string decide_selection(const TargetSelect& sel, const std::vector<CandidateResult>& results) {
  std::vector<std::string> matched;
  std::string each;
  for (const auto& r : results) {
    if (r.start_error.empty() && !r.timed_out && r.exit_code == 0) matched.push_back(r.name);
    each += (each.empty() ? "" : "; ") + result_text(r, sel);
  }
  if (matched.size() == 1) return matched.front();
  const std::string who = sel.as.empty() ? "the target" : "the " + sel.as;
  if (matched.empty())
    throw FaultError(fmt::format("no candidate for the dynamic {} ({}): `{}` succeeded for none of [{}]; {}", sel.key,
                                 who, sel.command.display(), join_comma(sel.among), each));
  throw FaultError(fmt::format("the dynamic {} ({}) is ambiguous: `{}` succeeded for {} candidates ({}), exactly one "
                               "must; {}",
                               sel.key, who, sel.command.display(), matched.size(), join_comma(matched), each));
}

asio::awaitable<std::optional<std::string>> select_target(asio::any_io_executor ex, const TargetSelect& sel,
                                                          const std::map<std::string, Bindings>& bindings,
                                                          const std::string& netns, StopSource& stop) {
  std::vector<CandidateResult> results;
  for (const auto& name : sel.among) {
    SpawnOptions opts;
    const auto b = bindings.find(name);
    for (const auto& a : sel.command.argv) opts.argv.push_back(b == bindings.end() ? a : substitute(a, b->second));
    opts.argv = in_netns(netns, std::move(opts.argv));
    auto r = co_await run_command_or_stop(ex, std::move(opts), sel.timeout, stop);
    if (!r) co_return std::nullopt;
    results.push_back({name, r->status.signal ? -r->status.signal : r->status.code, r->timed_out, r->start_error,
                       last_line(r->out + r->err)});
  }
  co_return decide_selection(sel, results);
}

}  // namespace faultline
