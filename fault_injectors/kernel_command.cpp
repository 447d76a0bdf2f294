#include "fault_injectors/kernel_command.hpp"

namespace faultline {

namespace {

constexpr Nanos kKernelCommandTimeout = std::chrono::seconds(10);

}  // namespace

asio::awaitable<CommandResult> run_kernel_command(InjectorContext& ctx, std::vector<std::string> argv) {
  SpawnOptions opts;
  opts.argv = std::move(argv);
  co_return co_await run_command(ctx.ex, std::move(opts), kKernelCommandTimeout);
}

std::string first_line(const CommandResult& r) {
  if (!r.start_error.empty()) return r.start_error;
  std::string s = r.err.empty() ? r.out : r.err;
  if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s.empty() ? r.status.describe() : s;
}

}  // namespace faultline
