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

}  // namespace faultline
