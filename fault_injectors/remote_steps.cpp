// Steps on several hosts at once (see remote_steps.hpp).
#include "fault_injectors/remote_steps.hpp"

#include <fmt/format.h>

#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "fault_injectors/remote_fault.hpp"
#include "os/spawn.hpp"

namespace faultline {

asio::awaitable<std::string> all_steps(std::vector<RemoteStep> steps) {
  if (steps.empty()) co_return std::string();
  auto [order, errors] = co_await asio::experimental::make_parallel_group(std::move(steps))
                             .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
  std::string out;
  for (const auto& e : errors) {
    if (!e) continue;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      out += (out.empty() ? "" : "; ") + std::string(x.what());
    }
  }
  co_return out;
}

Undo remote_undo_all(const std::vector<std::pair<const RemoteShell*, std::string>>& scripts) {
  Undo u;
  if (scripts.empty()) return u;
  std::string script, hosts;
  for (std::size_t i = 0; i < scripts.size(); ++i) {
    const Undo one = remote_undo(*scripts[i].first, scripts[i].second);
    std::string argv;
    for (const auto& a : one.argv) argv += (argv.empty() ? "" : " ") + shell_quote(a);
    script += fmt::format("{} </dev/null & p{}=$!\n", argv, i);
    hosts += (hosts.empty() ? "" : ", ") + scripts[i].first->host();
  }
  script += "s=0\n";
  for (std::size_t i = 0; i < scripts.size(); ++i) script += fmt::format("wait $p{} || s=1\n", i);
  script += "exit $s\n";
  u.kind = Undo::Kind::command;
  u.argv = {"/bin/sh", "-c", script};
  u.timeout = kRemoteStepTimeout;
  u.host = hosts;
  return u;
}

}  // namespace faultline
