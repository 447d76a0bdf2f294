// Where the history goes and the run's label: the flag, then the
// environment, then the state directory; "off" and --no-history write none;
// the label from --label, $FAULTLINE_LABEL, then the CI's commit.
#include <doctest/doctest.h>

#include <map>

#include "history/history_where.hpp"
#include "os/ledger.hpp"

using namespace faultline;

namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const char* name) {
    auto i = vars.find(name);
    return i == vars.end() ? std::string() : i->second;
  };
}

}  // namespace

TEST_CASE("history where: flag, then FAULTLINE_HISTORY, then the state directory; off writes none") {
  const auto env = env_of({{"FAULTLINE_HISTORY", "/srv/h.sqlite"}});
  CHECK(history_target("/tmp/mine.sqlite", false, env).location == "/tmp/mine.sqlite");
  CHECK_FALSE(history_target("/tmp/mine.sqlite", false, env).is_default);
  CHECK(history_target("", false, env).location == "/srv/h.sqlite");
  CHECK(history_target("", true, env).location.empty());
  CHECK(history_target("", false, env_of({{"FAULTLINE_HISTORY", "off"}})).location.empty());
  const HistoryTarget d = history_target("", false, env_of({}));
  CHECK(d.is_default);
  CHECK(d.location == (state_dir() / "history.sqlite").string());
}

TEST_CASE("history where: the label from --label, FAULTLINE_LABEL, then a CI commit") {
  CHECK(history_label("v1.2", env_of({{"FAULTLINE_LABEL", "x"}})) == "v1.2");
  CHECK(history_label("", env_of({{"FAULTLINE_LABEL", "x"}, {"GITHUB_SHA", "abc"}})) == "x");
  CHECK(history_label("", env_of({{"GITHUB_SHA", "abc"}})) == "abc");
  CHECK(history_label("", env_of({{"CI_COMMIT_SHA", "def"}})) == "def");
  CHECK(history_label("", env_of({})).empty());
}
