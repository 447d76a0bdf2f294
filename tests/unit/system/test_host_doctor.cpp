// `doctor --hosts`: the check script run for real on this machine through
// LocalShell, and the findings read from what it prints.
#include <doctest/doctest.h>

#include <unistd.h>

#include "os/remote_shell.hpp"
#include "os/spawn.hpp"
#include "system/host_doctor.hpp"

using namespace faultline;
using namespace std::chrono_literals;

namespace {

const HostFinding* finding(const std::vector<HostFinding>& f, const std::string& what) {
  for (const auto& x : f)
    if (x.what == what) return &x;
  return nullptr;
}

}  // namespace

TEST_CASE("doctor script: every check answers on a real host") {
  HostSpec h;
  h.name = "here";
  auto out = run_sync(LocalShell().argv(doctor_script(false)), 20s);
  REQUIRE(out.status.success());
  auto f = parse_doctor(h, out.output);
  for (const char* what : {"root", "nft", "tc", "setsid", "netem", "kernel"}) CHECK(finding(f, what) != nullptr);
  CHECK(finding(f, "sudo -n") == nullptr);
  CHECK(finding(f, "root")->ok == (::geteuid() == 0));
  CHECK(finding(f, "setsid")->ok);
  CHECK(finding(f, "kernel")->ok);
  for (const auto& x : f) CHECK(x.host == "here");
}

TEST_CASE("doctor findings: what is missing says what it disables") {
  HostSpec h;
  h.name = "db1";
  h.sudo = true;
  auto f = parse_doctor(h, "uid=1000\nkernel=6.1.0\nnft=\ntc=/usr/sbin/tc\nsetsid=/usr/bin/setsid\nnetem=\nsudo=\n");
  REQUIRE(finding(f, "sudo -n"));
  CHECK_FALSE(finding(f, "sudo -n")->ok);
  CHECK(finding(f, "root") == nullptr);
  CHECK_FALSE(finding(f, "nft")->ok);
  CHECK(finding(f, "nft")->detail.find("net.partition") != std::string::npos);
  CHECK(finding(f, "tc")->ok);
  CHECK(finding(f, "tc")->detail == "/usr/sbin/tc");
  CHECK_FALSE(finding(f, "netem")->ok);
  CHECK(finding(f, "kernel")->detail == "6.1.0");
  auto root = parse_doctor(h, "uid=0\nkernel=6.1.0\nsudo=\n");
  CHECK(finding(root, "sudo -n")->ok);  // root needs no sudo
  Scenario s;
  s.file = "d.toml";
  h.pos = {"d.toml", 3, 1};
  s.hosts.push_back(h);
  const std::string text = render_host_findings(s, {{"db1", "nft", false, "not found"}});
  CHECK(text == "host 'db1' (d.toml:3:1): nft: NO (not found)\n");
}
