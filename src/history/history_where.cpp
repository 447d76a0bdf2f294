// The history's location and the run's label (see history_where.hpp).
#include "history/history_where.hpp"

#include <cstdlib>

#include "os/ledger.hpp"

namespace faultline {

std::string process_env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

HistoryTarget history_target(const std::string& flag, bool no_history, const EnvLookup& env) {
  if (no_history) return {};
  if (!flag.empty()) return {flag, false};
  const std::string from_env = env("FAULTLINE_HISTORY");
  if (from_env == "off") return {};
  if (!from_env.empty()) return {from_env, false};
  return {(state_dir() / "history.sqlite").string(), true};
}

std::string history_label(const std::string& flag, const EnvLookup& env) {
  if (!flag.empty()) return flag;
  for (const char* name : {"FAULTLINE_LABEL", "GITHUB_SHA", "CI_COMMIT_SHA", "GIT_COMMIT", "BUILD_SOURCEVERSION"})
    if (std::string v = env(name); !v.empty()) return v;
  return "";
}

bool is_postgres_location(const std::string& location) {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

std::string redacted_location(const std::string& location) {
  if (!is_postgres_location(location)) return location;
  std::string out = location;
  const auto scheme = out.find("://") + 3;
  const auto at = out.find('@', scheme);
  const auto colon = out.find(':', scheme);
  if (at != std::string::npos && colon != std::string::npos && colon < at)
    out = out.substr(0, colon + 1) + "***" + out.substr(at);
  // A password among the parameters (?password=... or &password=...).
  for (auto q = out.find('?'); q != std::string::npos; q = out.find('&', q + 1)) {
    if (out.compare(q + 1, 9, "password=") != 0) continue;
    const auto value = q + 10;
    const auto end = out.find('&', value);
    out = out.substr(0, value) + "***" + (end == std::string::npos ? "" : out.substr(end));
  }
  return out;
}

}  // namespace faultline
