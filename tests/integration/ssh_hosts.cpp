// The test hosts over OpenSSH (see ssh_hosts.hpp for the layout): bring-up
// in order keys -> bridge -> namespaces and veths -> sshd per host, each
// step checked; teardown in reverse, then read back.
#include "ssh_hosts.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <stdexcept>

#include "harness.hpp"

namespace itest {

namespace {

std::atomic<int> instances{0};
std::atomic<int> commands{0};

bool pid_alive(long pid) { return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM; }

/// Whether a TCP connection to address:22 is accepted within 200 ms.
bool accepts(const std::string& address) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return false;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(22);
  ::inet_pton(AF_INET, address.c_str(), &sa.sin_addr);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
    ok = true;
  } else if (errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, 200) == 1) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      ok = err == 0;
    }
  }
  ::close(fd);
  return ok;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

/// The pid in a name "<prefix><pid><sep>...", or -1.
long pid_in(const std::string& name, const std::string& prefix) {
  if (!name.starts_with(prefix)) return -1;
  std::size_t end = prefix.size();
  while (end < name.size() && std::isdigit(static_cast<unsigned char>(name[end]))) ++end;
  if (end == prefix.size()) return -1;
  return std::stol(name.substr(prefix.size(), end - prefix.size()));
}

HostCommand run_in(const fs::path& dir, const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  fs::create_directories(dir / "cmd");
  Spawned s = spawn(argv, dir / "cmd", "c" + std::to_string(++commands));
  HostCommand r;
  r.code = wait_for(s, timeout);
  r.out = read_file(s.out);
  r.err = read_file(s.err);
  fs::remove(s.out);
  fs::remove(s.err);
  return r;
}

/// Kills every process in namespace `netns` until none is left (5 s at most).
void kill_netns_processes(const fs::path& dir, const std::string& netns) {
  for (int round = 0; round < 500; ++round) {
    HostCommand pids = run_in(dir, {"ip", "netns", "pids", netns}, std::chrono::seconds(10));
    bool any = false;
    for (const auto& l : lines_of(pids.out)) {
      if (l.empty()) continue;
      any = true;
      ::kill(static_cast<pid_t>(std::stol(l)), SIGKILL);
    }
    if (!any) return;
    ::usleep(10000);  // the kernel delivers SIGKILL on its own schedule
  }
}

}  // namespace

std::string SshHosts::tag() const { return std::to_string(::getpid()) + "_" + std::to_string(instance_ % 100); }

std::string SshHosts::subnet() const { return prefix_ + "0/24"; }

HostCommand SshHosts::run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) const {
  return run_in(dir_, argv, timeout);
}

SshHosts::SshHosts(int n) {
  if (n < 1 || n > 200) throw std::runtime_error("SshHosts: 1..200 hosts");
  const auto t0 = std::chrono::steady_clock::now();
  sweep_stale();
  instance_ = ++instances;
  std::string tmpl = (fs::temp_directory_path() / "faultline-hosts-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  bridge_ = "fh" + tag();
  for (int i = 1; i <= n; ++i) {
    SshTestHost h;
    h.name = "h" + std::to_string(i);
    h.netns = "flsh-" + std::to_string(::getpid()) + "-" + std::to_string(instance_ % 100) + "-" + std::to_string(i);
    h.host_key = dir_ / (h.name + "_host_key");
    h.sshd_config = dir_ / (h.name + "_sshd_config");
    h.sshd_log = dir_ / (h.name + "_sshd.log");
    hosts_.push_back(h);
  }
  try {
    make_keys();
    make_network();
    write_configs();
    for (int i = 0; i < n; ++i) start_sshd(i);
  } catch (...) {
    teardown();
    throw;
  }
  bring_up_time_ = std::chrono::steady_clock::now() - t0;
}

SshHosts::~SshHosts() {
  try {
    teardown();
  } catch (...) {
  }
}

void SshHosts::make_keys() {
  auto keygen = [&](const fs::path& file, const std::string& comment) {
    HostCommand r = run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file.string()});
    if (r.code != 0) throw std::runtime_error("ssh-keygen " + file.string() + ": " + r.err);
  };
  keygen(client_key(), "faultline-test-client");
  fs::copy_file(client_key().string() + ".pub", dir_ / "authorized_keys");
  for (const auto& h : hosts_) keygen(h.host_key, "faultline-test-" + h.name);
}

void SshHosts::make_network() {
  // A /24 of 10.79.0.0/16 that no address of the root namespace is in.
  const std::string addrs = run({"ip", "-4", "-o", "addr", "show"}).out;
  int x = static_cast<int>((::getpid() + 37 * instance_) % 250) + 1;
  for (int tries = 0; tries < 250; ++tries, x = x % 250 + 1)
    if (addrs.find(" 10.79." + std::to_string(x) + ".") == std::string::npos) break;
  prefix_ = "10.79." + std::to_string(x) + ".";
  controller_ = prefix_ + "254";
  auto must = [&](const std::vector<std::string>& argv) {
    HostCommand r = run(argv);
    if (r.code != 0) {
      std::string cmd;
      for (const auto& a : argv) cmd += a + " ";
      throw std::runtime_error("SshHosts: `" + cmd + "` failed: " + r.err);
    }
  };
  must({"ip", "link", "add", bridge_, "type", "bridge"});
  must({"ip", "addr", "add", controller_ + "/24", "dev", bridge_});
  must({"ip", "link", "set", bridge_, "up"});
  for (std::size_t i = 0; i < hosts_.size(); ++i) {
    auto& h = hosts_[i];
    h.address = prefix_ + std::to_string(i + 1);
    const std::string veth = bridge_ + "_" + std::to_string(i + 1);
    must({"ip", "netns", "add", h.netns});
    must({"ip", "-n", h.netns, "link", "set", "lo", "up"});
    must({"ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", h.netns});
    must({"ip", "link", "set", veth, "master", bridge_});
    must({"ip", "link", "set", veth, "up"});
    must({"ip", "-n", h.netns, "addr", "add", h.address + "/24", "dev", "eth0"});
    must({"ip", "-n", h.netns, "link", "set", "eth0", "up"});
  }
}

void SshHosts::write_configs() {
  // sshd refuses to start without its privilege-separation directory.
  std::error_code ec;
  fs::create_directories("/run/sshd", ec);
  std::string known, config;
  for (const auto& h : hosts_) {
    std::string pub = read_file(h.host_key.string() + ".pub");
    known += h.address + " " + pub.substr(0, pub.rfind(' ')) + "\n";
    config += "Host " + h.name + "\n  HostName " + h.address + "\n";
    write_file(h.sshd_config, "ListenAddress " + h.address + ":22\n" +
                                  "HostKey " + h.host_key.string() + "\n" +
                                  "PidFile " + (dir_ / (h.name + "_sshd.pid")).string() + "\n" +
                                  "AuthorizedKeysFile " + (dir_ / "authorized_keys").string() + "\n" +
                                  "UsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n"
                                  "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                                  "PubkeyAuthentication yes\nPrintMotd no\nUseDNS no\nMaxStartups 100\n"
                                  "MaxSessions 100\nLogLevel VERBOSE\n");
  }
  write_file(known_hosts(), known);
  config += "Host *\n  User root\n  Port 22\n  IdentityFile " + client_key().string() +
            "\n  IdentitiesOnly yes\n  IdentityAgent none\n  UserKnownHostsFile " + known_hosts().string() +
            "\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  BatchMode yes\n"
            "  ConnectTimeout 5\n  LogLevel ERROR\n";
  write_file(ssh_config(), config);
}

void SshHosts::wait_listening(const SshTestHost& h) const {
  for (int i = 0; i < 1000; ++i) {
    if (accepts(h.address)) return;
    if (h.sshd_pid > 0 && !pid_alive(h.sshd_pid)) break;
    ::usleep(10000);  // sshd binds within milliseconds; 10 s at most
  }
  throw std::runtime_error("SshHosts: sshd of " + h.name + " does not listen on " + h.address +
                           ":22: " + read_file(h.sshd_log));
}

void SshHosts::start_sshd(int i) {
  auto& h = hosts_.at(static_cast<std::size_t>(i));
  if (h.sshd_pid > 0) return;
  // A test host stands for a machine of its own, so it does not run this
  // machine's ~/.bashrc: bash started by sshd reads it for every command,
  // and a development machine's one (pyenv's init here) costs ~0.3 s of CPU
  // per command, which made 20 hosts starve the 2-core CI machine. `ip netns
  // exec` gives sshd a mount namespace of its own (slave to ours), so the
  // empty file bound over it is seen by the host's sessions only and goes
  // away with sshd.
  const passwd* pw = ::getpwuid(::geteuid());
  const std::string bashrc = pw && pw->pw_dir ? std::string(pw->pw_dir) + "/.bashrc" : "";
  const fs::path empty = dir_ / "empty_bashrc";
  if (!fs::exists(empty)) write_file(empty, "");
  Spawned s = spawn({"ip", "netns", "exec", h.netns, "/bin/sh", "-c",
                     "if [ -n \"$1\" ] && [ -f \"$1\" ]; then mount --bind \"$2\" \"$1\" || exit 1; fi; "
                     "exec /usr/sbin/sshd -D -e -f \"$3\"",
                     "sh", bashrc, empty.string(), h.sshd_config.string()},
                    dir_, h.name + "_sshd");
  fs::remove(h.sshd_log);
  fs::create_symlink(s.err, h.sshd_log);
  h.sshd_pid = s.pid;
  wait_listening(h);
}

void SshHosts::stop_sshd(int i) {
  auto& h = hosts_.at(static_cast<std::size_t>(i));
  if (h.sshd_pid > 0) {
    ::kill(h.sshd_pid, SIGTERM);
    Spawned s;
    s.pid = h.sshd_pid;
    wait_for(s, std::chrono::seconds(5));  // kills and reaps it after 5 s
    h.sshd_pid = -1;
  }
  kill_netns_processes(dir_, h.netns);
}

std::vector<std::string> SshHosts::ssh_argv(int i, const std::string& command) const {
  return {"ssh", "-F", ssh_config().string(), hosts_.at(static_cast<std::size_t>(i)).name, "--", command};
}

HostCommand SshHosts::ssh(int i, const std::string& command) const { return run(ssh_argv(i, command)); }

std::string SshHosts::toml_hosts(const std::string& extra) const {
  std::string out;
  for (const auto& h : hosts_)
    out += "[[host]]\nname = \"" + h.name + "\"\naddress = \"" + h.address + "\"\nuser = \"root\"\nidentity = \"" +
           client_key().string() + "\"\nknown_hosts = \"" + known_hosts().string() + "\"\n" + extra + "\n";
  return out;
}

fs::path SshHosts::stranger_key() {
  const fs::path key = dir_ / "stranger_key";
  if (!fs::exists(key)) run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "stranger", "-f", key.string()});
  return key;
}

fs::path SshHosts::known_hosts_without(int i) {
  const fs::path out = dir_ / ("known_hosts_without_" + hosts_.at(static_cast<std::size_t>(i)).name);
  std::string text;
  for (const auto& l : lines_of(read_file(known_hosts())))
    if (!l.starts_with(hosts_[static_cast<std::size_t>(i)].address + " ")) text += l + "\n";
  write_file(out, text);
  return out;
}

std::string SshHosts::make_user() {
  if (!user_.empty()) return user_;
  const std::string name = "flsu" + tag();
  // useradd takes /etc/passwd's lock: another test's useradd may hold it a moment.
  HostCommand r;
  for (int i = 0; i < 50; ++i) {
    r = run({"useradd", "--system", "--no-create-home", "--home-dir", "/tmp", "--shell", "/bin/sh", "--password", "*",
             "--no-user-group", "--gid", "nogroup", name});
    if (r.code == 0) break;
    ::usleep(100000);
  }
  if (r.code != 0) throw std::runtime_error("SshHosts: useradd " + name + " failed: " + r.err);
  user_ = name;
  // sshd reads a user's authorized keys with the user's rights: the
  // fixture's directory becomes traversable (not listable) and the public
  // keys file readable; the private keys in it stay 0600.
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  fs::permissions(dir_ / "authorized_keys", fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                                fs::perms::others_read);
  return user_;
}

void SshHosts::teardown() {
  if (torn_down_ || dir_.empty()) return;
  torn_down_ = true;
  for (std::size_t i = 0; i < hosts_.size(); ++i) stop_sshd(static_cast<int>(i));
  for (int i = 0; !user_.empty() && i < 50; ++i) {
    if (run({"userdel", user_}).code == 0) break;
    ::usleep(100000);
  }
  for (const auto& h : hosts_) run({"ip", "netns", "delete", h.netns});
  if (!bridge_.empty()) run({"ip", "link", "delete", bridge_});
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string SshHosts::leftovers() const {
  std::string out;
  const TempDir scratch;
  auto probe = [&](const std::vector<std::string>& argv) {
    return run_in(scratch.path, argv, std::chrono::seconds(10)).out;
  };
  const std::string ns_prefix = "flsh-" + std::to_string(::getpid()) + "-" + std::to_string(instance_ % 100) + "-";
  for (const auto& l : lines_of(probe({"ip", "netns", "list"})))
    if (l.starts_with(ns_prefix)) out += "namespace " + l + "\n";
  for (const auto& l : lines_of(probe({"ip", "-o", "link", "show"})))
    if (l.find(" " + bridge_ + ":") != std::string::npos || l.find(" " + bridge_ + "_") != std::string::npos)
      out += "link " + l.substr(0, l.find('\\')) + "\n";
  for (const auto& h : hosts_)
    if (h.sshd_pid > 0 && pid_alive(h.sshd_pid)) out += "sshd of " + h.name + " pid " + std::to_string(h.sshd_pid) + "\n";
  if (fs::exists(dir_)) out += "directory " + dir_.string() + "\n";
  if (!user_.empty() && read_file("/etc/passwd").find("\n" + user_ + ":") != std::string::npos)
    out += "user " + user_ + "\n";
  return out;
}

std::string SshHosts::sweep_stale() {
  std::string out;
  const TempDir scratch;
  const fs::path& tmp = scratch.path;
  auto probe = [&](const std::vector<std::string>& argv) { return run_in(tmp, argv, std::chrono::seconds(10)); };
  for (const auto& l : lines_of(probe({"ip", "netns", "list"}).out)) {
    const std::string name = l.substr(0, l.find(' '));
    const long pid = pid_in(name, "flsh-");
    if (pid <= 0 || pid_alive(pid)) continue;
    kill_netns_processes(tmp, name);
    probe({"ip", "netns", "delete", name});
    out += "namespace " + name + "\n";
  }
  for (const auto& l : lines_of(probe({"ip", "-o", "link", "show"}).out)) {
    // "N: NAME[@peer]: <...>"
    const auto a = l.find(": ");
    if (a == std::string::npos) continue;
    std::string name = l.substr(a + 2, l.find_first_of(":@", a + 2) - (a + 2));
    const long pid = pid_in(name, "fh");
    if (pid <= 0 || name.find('_') == std::string::npos || pid_alive(pid)) continue;
    probe({"ip", "link", "delete", name});
    out += "link " + name + "\n";
  }
  for (const auto& l : lines_of(read_file("/etc/passwd"))) {
    const std::string name = l.substr(0, l.find(':'));
    const long pid = pid_in(name, "flsu");
    if (pid <= 0 || pid_alive(pid)) continue;
    probe({"userdel", name});
    out += "user " + name + "\n";
  }
  return out;
}

}  // namespace itest
