// The ssh command lines of a host and its multiplexed master connection
// (see ssh.hpp for why each option is there and how the master ends).
#include "os/ssh.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

#include "os/spawn.hpp"

namespace faultline {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string ssh_destination(const SshTarget& t) { return t.user.empty() ? t.address : t.user + "@" + t.address; }

std::vector<std::string> ssh_prefix(const SshTarget& t) {
  std::vector<std::string> a{"ssh"};
  if (!t.ssh_config.empty()) a.insert(a.end(), {"-F", t.ssh_config.string()});
  if (!t.control_path.empty()) a.insert(a.end(), {"-S", t.control_path.string()});
  a.insert(a.end(), {"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes"});
  if (!t.known_hosts.empty()) a.insert(a.end(), {"-o", "UserKnownHostsFile=" + t.known_hosts.string()});
  a.insert(a.end(), {"-o", "ConnectTimeout=" + std::to_string(t.connect_timeout_s), "-o",
                     "ServerAliveInterval=" + std::to_string(t.alive_interval_s), "-o", "ServerAliveCountMax=3"});
  if (!t.identity.empty()) a.insert(a.end(), {"-o", "IdentitiesOnly=yes", "-i", t.identity.string()});
  if (t.port > 0) a.insert(a.end(), {"-p", std::to_string(t.port)});
  a.push_back("--");
  a.push_back(ssh_destination(t));
  return a;
}

SshShell::SshShell(SshTarget target) : target_(std::move(target)) {}

std::vector<std::string> SshShell::argv(const std::string& script) const {
  auto a = ssh_prefix(target_);
  a.push_back("/bin/sh -c " + shell_quote(script));
  return a;
}

std::vector<std::string> master_argv(const SshTarget& t) {
  auto a = ssh_prefix(t);
  const std::string dest = a.back();
  a.resize(a.size() - 2);  // "--", destination
  a.insert(a.end(), {"-M", "-N", "-o", "ControlMaster=yes", "-o", "ControlPersist=no", "--", dest});
  return a;
}

std::vector<std::string> control_argv(const SshTarget& t, const std::string& op) {
  auto a = ssh_prefix(t);
  const std::string dest = a.back();
  a.resize(a.size() - 2);
  a.insert(a.end(), {"-O", op, "--", dest});
  return a;
}

ControlDir::ControlDir() {
  std::string tmpl = "/tmp/flssh-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::system_error(errno, std::generic_category(), "mkdtemp /tmp/flssh-XXXXXX");
  path_ = tmpl;
}

ControlDir::~ControlDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path ControlDir::socket(std::size_t i) const { return path_ / std::to_string(i); }

std::string last_ssh_message(const std::string& text) {
  std::istringstream in(text);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) last = line;
  }
  return last;
}

SshMaster::SshMaster(SshTarget target, fs::path log) : target_(std::move(target)), log_(std::move(log)) {}

SshMaster::~SshMaster() { close(); }

namespace {

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Whether `pid` ended (reaped, and unregistered) within `within`.
bool reaped_within(pid_t pid, Nanos within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) {
      child_reaped(pid);
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);  // polled: the master is no child of an event loop
  }
}

}  // namespace

bool SshMaster::launch(std::string& why) {
  close();
  int log_fd = -1;
  if (!log_.empty()) log_fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  LaunchOptions opts;
  opts.argv = master_argv(target_);
  opts.out_fd = log_fd;
  opts.err_fd = log_fd;
  int err = 0;
  pid_ = launch_process(opts, err);
  if (log_fd >= 0) ::close(log_fd);
  if (pid_ < 0) {
    why = "cannot start ssh: " + std::generic_category().message(err);
    return false;
  }
  return true;
}

SshMaster::State SshMaster::poll(std::string& why) {
  if (pid_ < 0) {
    if (why.empty()) why = "not started";
    return State::failed;
  }
  if (reaped_within(pid_, 0ns)) {
    pid_ = -1;
    why = log_.empty() ? "" : last_ssh_message(read_all(log_));
    if (why.empty()) why = "ssh ended without a connection";
    return State::failed;
  }
  return check() ? State::up : State::connecting;
}

bool SshMaster::open(Nanos timeout, std::string& why, const bool* cancel) {
  if (!launch(why)) return false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const State st = poll(why);
    if (st == State::failed) return false;
    if (st == State::up) return true;
    if ((cancel && *cancel) || std::chrono::steady_clock::now() >= deadline) {
      close();
      why = cancel && *cancel ? "cancelled" : "no connection within " + format_duration(timeout);
      const std::string said = log_.empty() ? "" : last_ssh_message(read_all(log_));
      if (!said.empty()) why += ": " + said;
      return false;
    }
    std::this_thread::sleep_for(20ms);  // the master's socket appears once authenticated
  }
}

bool SshMaster::check() const {
  if (pid_ < 0) return false;
  return run_sync(control_argv(target_, "check"), 5s, SyncOutput::discard).status.success();
}

void SshMaster::close() {
  if (pid_ < 0) return;
  run_sync(control_argv(target_, "exit"), 5s, SyncOutput::discard);
  if (!reaped_within(pid_, 2s)) {
    ::kill(-pid_, SIGTERM);
    if (!reaped_within(pid_, 1s)) {
      ::kill(-pid_, SIGKILL);
      reaped_within(pid_, 5s);
    }
  }
  pid_ = -1;
  std::error_code ec;
  if (!target_.control_path.empty()) fs::remove(target_.control_path, ec);
}

}  // namespace faultline
