// The ssh command lines: every option in its place, paths and names only,
// the script quoted once for the remote /bin/sh; control sockets under a
// short run-owned directory. (The real connection is exercised against test
// hosts in tests/integration/test_hosts.cpp.)
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include "os/ssh.hpp"

using namespace faultline;

namespace {

bool has_pair(const std::vector<std::string>& a, const std::string& k, const std::string& v) {
  for (std::size_t i = 0; i + 1 < a.size(); ++i)
    if (a[i] == k && a[i + 1] == v) return true;
  return false;
}

/// A target with a name and an address, the rest at their defaults.
SshTarget target(const std::string& name, const std::string& address) {
  SshTarget t;
  t.name = name;
  t.address = address;
  return t;
}

}  // namespace

TEST_CASE("SshShell: the minimal argv checks host keys, never prompts and bounds every wait") {
  SshShell sh(target("db1", "10.0.0.5"));
  CHECK(sh.host() == "db1");
  auto a = sh.argv("echo hi");
  CHECK(a.front() == "ssh");
  CHECK(has_pair(a, "-o", "BatchMode=yes"));
  CHECK(has_pair(a, "-o", "StrictHostKeyChecking=yes"));
  CHECK(has_pair(a, "-o", "ConnectTimeout=10"));
  CHECK(has_pair(a, "-o", "ServerAliveInterval=5"));
  CHECK(has_pair(a, "-o", "ServerAliveCountMax=3"));
  CHECK(std::find(a.begin(), a.end(), "-F") == a.end());
  CHECK(std::find(a.begin(), a.end(), "-S") == a.end());
  CHECK(std::find(a.begin(), a.end(), "-i") == a.end());
  CHECK(std::find(a.begin(), a.end(), "-p") == a.end());
  REQUIRE(a.size() >= 3);
  CHECK(a[a.size() - 3] == "--");
  CHECK(a[a.size() - 2] == "10.0.0.5");
  CHECK(a.back() == "/bin/sh -c 'echo hi'");
}

TEST_CASE("SshShell: every optional key becomes its option, before the destination") {
  SshTarget t = target("web", "web.example");
  t.user = "ops";
  t.port = 2222;
  t.identity = "/keys/id_ed25519";
  t.ssh_config = "/cfg/ssh_config";
  t.known_hosts = "/cfg/known_hosts";
  t.control_path = "/tmp/flssh-abc/0";
  t.connect_timeout_s = 3;
  t.alive_interval_s = 2;
  auto a = SshShell(t).argv("it's");
  CHECK(has_pair(a, "-F", "/cfg/ssh_config"));
  CHECK(has_pair(a, "-S", "/tmp/flssh-abc/0"));
  CHECK(has_pair(a, "-o", "UserKnownHostsFile=/cfg/known_hosts"));
  CHECK(has_pair(a, "-i", "/keys/id_ed25519"));
  CHECK(has_pair(a, "-o", "IdentitiesOnly=yes"));
  CHECK(has_pair(a, "-p", "2222"));
  CHECK(has_pair(a, "-o", "ConnectTimeout=3"));
  CHECK(has_pair(a, "-o", "ServerAliveInterval=2"));
  CHECK(a[a.size() - 2] == "ops@web.example");
  CHECK(a.back() == "/bin/sh -c 'it'\\''s'");
  // -F comes first: ssh reads it before any -o.
  CHECK(a[1] == "-F");
}

TEST_CASE("master and control commands share the options and the socket") {
  SshTarget t = target("h", "10.1.2.3");
  t.user = "root";
  t.control_path = "/tmp/flssh-x/4";
  auto m = master_argv(t);
  CHECK(has_pair(m, "-o", "ControlMaster=yes"));
  CHECK(has_pair(m, "-o", "ControlPersist=no"));
  CHECK(std::find(m.begin(), m.end(), "-M") != m.end());
  CHECK(std::find(m.begin(), m.end(), "-N") != m.end());
  CHECK(has_pair(m, "-S", "/tmp/flssh-x/4"));
  CHECK(has_pair(m, "--", "root@10.1.2.3"));
  CHECK(m.back() == "root@10.1.2.3");
  auto c = control_argv(t, "check");
  CHECK(has_pair(c, "-O", "check"));
  CHECK(has_pair(c, "-S", "/tmp/flssh-x/4"));
  CHECK(c.back() == "root@10.1.2.3");
  CHECK(has_pair(control_argv(t, "exit"), "-O", "exit"));
}

TEST_CASE("ControlDir: short, private, removed with its content") {
  std::filesystem::path kept;
  {
    ControlDir d;
    kept = d.path();
    CHECK(kept.string().starts_with("/tmp/flssh-"));
    struct stat st {};
    REQUIRE(::stat(kept.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    // The longest socket ssh binds: the path plus its 17-character suffix, under 108 bytes.
    CHECK(d.socket(199).string().size() + 17 < 108);
    std::ofstream(d.socket(0)) << "x";
  }
  CHECK(!std::filesystem::exists(kept));
}

TEST_CASE("last_ssh_message takes ssh's final complaint") {
  CHECK(last_ssh_message("Warning: x\r\nroot@10.1.2.3: Permission denied (publickey).\r\n\n") ==
        "root@10.1.2.3: Permission denied (publickey).");
  CHECK(last_ssh_message("") == "");
}

TEST_CASE("SshMaster: a host nobody listens on fails with ssh's own message, nothing left") {
  ControlDir d;
  SshTarget t = target("nobody", "127.0.0.1");
  t.port = 1;
  t.control_path = d.socket(0);
  t.connect_timeout_s = 2;
  SshMaster m(t, d.path() / "log");
  std::string why;
  CHECK_FALSE(m.open(std::chrono::seconds(5), why));
  CHECK(why.find("Connection refused") != std::string::npos);
  CHECK(m.pid() == -1);
  CHECK_FALSE(m.check());
}
