// What the kinds that act on a service's processes share: finding the
// target's current process (here, or on its [[host]]: remote_fault.hpp),
// and how their descriptions name what they signal.
#pragma once

#include <fmt/format.h>
#include <string>
#include <string_view>

#include "fault_injectors/injector.hpp"
#include "fault_injectors/remote_fault.hpp"
#include "system/clone.hpp"

namespace faultline {

/// The target service's current process, as the clone supervises it.
/// Throws FaultError ("service 'db' is not running, nothing to VERB") when it has none.
inline Child& running_service(InjectorContext& ctx, const std::string& target, std::string_view verb) {
  Child* child = ctx.clone.current(target);
  if (!child) throw FaultError(fmt::format("service '{}' is not running, nothing to {}", target, verb));
  return *child;
}

/// "the process group" or "the process".
inline std::string_view group_text(bool group) { return group ? "the process group" : "the process"; }

/// The base of an injector that acts on the target service's processes,
/// with the kind's parameters P: prepare() checks that the service runs.
template <class P>
class ServiceInjector : public Injector {
 public:
  /// `verb` says what the kind does, for "nothing to VERB".
  ServiceInjector(const FaultSpec& spec, std::string_view verb)
      : target_(spec.target), params_(spec.params.get<P>()), verb_(verb) {}

  /// A service on a [[host]]: finds its current process there (its
  /// identity for every signal); else checks that it runs here.
  asio::awaitable<void> prepare(InjectorContext& ctx) override {
    if ((remote_ = remote_service(ctx, target_))) {
      remote_proc_ = co_await locate_remote(ctx, *remote_, target_, group());
      co_return;
    }
    running(ctx);
  }

 protected:
  /// Whether the kind acts on the whole process group.
  virtual bool group() const { return true; }
  /// " on host 'H'" for a remote service, else "".
  std::string on_host() const { return remote_ ? fmt::format(" on host '{}'", remote_->shell->host()) : std::string(); }

  /// The target's current process; throws FaultError when it has none.
  Child& running(InjectorContext& ctx) const { return running_service(ctx, target_, verb_); }

  std::string target_;
  P params_;
  std::optional<RemoteService> remote_;  ///< set by prepare() when the service runs on a [[host]]
  RemoteProcess remote_proc_;            ///< its process there, found by prepare()

 private:
  std::string_view verb_;
};

}  // namespace faultline
