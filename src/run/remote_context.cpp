// The run's RemoteContext (remote_context.hpp).
#include "run/remote_context.hpp"

#include "system/attach.hpp"
#include "system/remote_service.hpp"

namespace faultline {

std::unique_ptr<RemoteContext> make_remote_context(const Scenario& s, const RemoteHosts& hosts, std::string run_id,
                                                   std::filesystem::path logs) {
  auto ctx = std::make_unique<RemoteContext>();
  ctx->run_id = std::move(run_id);
  ctx->logs = std::move(logs);
  ctx->lease = s.guardian_lease;
  ctx->service = [&s, &hosts](const std::string& name) -> std::optional<RemoteService> {
    for (const auto& svc : s.services) {
      if (svc.name != name) continue;
      const HostSpec* host = service_host(s, svc);
      const SshShell* shell = host ? hosts.shell(host->name) : nullptr;
      if (!shell) return std::nullopt;
      RemoteService r;
      r.shell = shell;
      r.address = host->address;
      r.sudo = host->sudo;
      if (!svc.attach.attached()) {
        r.locate = pid_script(hosts.run_dir(), svc.name);
        return r;
      }
      r.locate = find_script(svc.attach);
      r.parse = [attach = svc.attach](const std::string& out, std::string& why) -> std::optional<RemoteProcess> {
        auto found = parse_found(attach, out, why);
        if (!found) return std::nullopt;
        return RemoteProcess{static_cast<pid_t>(found->pid), found->start_time, true};
      };
      return r;
    }
    return std::nullopt;
  };
  ctx->host = [&hosts](const std::string& name) -> const RemoteShell* { return hosts.shell(name); };
  return ctx;
}

}  // namespace faultline
