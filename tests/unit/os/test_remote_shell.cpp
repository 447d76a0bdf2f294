// The remote-shell seam: quoting, and LocalShell running a script under
// /bin/sh with the quoted text arriving intact.
#include <doctest/doctest.h>

#include "os/remote_shell.hpp"
#include "os/spawn.hpp"

using namespace faultline;
using namespace std::chrono_literals;

TEST_CASE("shell_quote survives every awkward character") {
  CHECK(shell_quote("") == "''");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  LocalShell here;
  for (std::string s : {"plain", "it's", "a b\tc", "$HOME `id` \"q\" \\ ;|&", "'''"}) {
    auto out = run_sync(here.argv("printf %s " + shell_quote(s)), 5s);
    CHECK(out.status.success());
    CHECK(out.output == s);
  }
}

TEST_CASE("LocalShell names its host and runs under /bin/sh") {
  LocalShell named("db1");
  CHECK(named.host() == "db1");
  auto out = run_sync(named.argv("exit 7"), 5s);
  CHECK(out.status.code == 7);
}
