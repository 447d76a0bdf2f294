// A real PostgreSQL server for a test (Debian's postgresql, started as the
// failover drill starts it): initdb into a fresh directory under /tmp, then
// postgres on 127.0.0.1 at a random free port, no Unix socket, trust
// authentication for loopback only. postgres refuses to run as root: when
// the test is root, every server program runs as the package's `postgres`
// user through setpriv (the directory is made enterable for it). The server
// is stopped (pg_ctl stop, then SIGKILL of its process if that hangs) and
// its directory removed when the object goes. Every wait has a bound.
#pragma once

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <glob.h>

#include "../unit/report_fixtures.hpp"
#include "harness.hpp"

namespace itest {

/// The directory of PostgreSQL's server programs (/usr/lib/postgresql/N/bin), "" when none is installed.
inline std::string pg_bin_dir() {
  glob_t g{};
  std::string out;
  if (::glob("/usr/lib/postgresql/*/bin/postgres", 0, nullptr, &g) == 0 && g.gl_pathc > 0)
    out = fs::path(g.gl_pathv[g.gl_pathc - 1]).parent_path().string();
  ::globfree(&g);
  return out;
}

/// A loopback port nothing listens on right now (the kernel's choice).
inline int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("no free loopback port");
  return ntohs(a.sin_port);
}

/// One PostgreSQL server of the test's own.
class PgServer {
 public:
  PgServer() {
    bin_ = pg_bin_dir();
    REQUIRE_MESSAGE(!bin_.empty(), "postgresql is missing: bash tests/install-deps.sh");
    ::chmod(dir_.path.c_str(), 0755);
    const std::string data = (dir_ / "data").string();
    std::string mk = "install -d -m 700 " + fixtures::sh_quote(data);
    if (root()) mk = "install -d -o postgres -g postgres -m 700 " + fixtures::sh_quote(data);
    REQUIRE(fixtures::run_command(mk).status == 0);
    const auto init = fixtures::run_command("timeout 120 " + as_pg() + bin_ + "/initdb -D " + fixtures::sh_quote(data) +
                                            " -U postgres --auth=trust --no-sync --no-instructions 2>&1");
    INFO(init.output);
    REQUIRE(init.status == 0);
    for (int attempt = 0; attempt < 3 && pid_ < 0; ++attempt) start(data);
    REQUIRE_MESSAGE(pid_ > 0, "postgres did not start: " << read_file(dir_ / "postgres.err"));
  }
  ~PgServer() {
    if (pid_ < 0) return;
    ::kill(pid_, SIGCONT);  // in case a test left it stopped
    fixtures::run_command("timeout 30 " + as_pg() + bin_ + "/pg_ctl stop -m fast -w -t 20 -D " +
                          fixtures::sh_quote((dir_ / "data").string()) + " >/dev/null 2>&1");
    if (::kill(pid_, 0) == 0) ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  /// postgresql://USER[:PASSWORD]@127.0.0.1:PORT/DB
  std::string url(const std::string& db, const std::string& user = "postgres", const std::string& password = "") const {
    return "postgresql://" + user + (password.empty() ? "" : ":" + password) + "@127.0.0.1:" + std::to_string(port_) +
           "/" + db;
  }
  /// Runs SQL with psql as the superuser in `db`; its output (unaligned, tuples only).
  std::string sql(const std::string& db, const std::string& statements) const {
    const auto r = fixtures::run_command("timeout 60 psql -X -q -A -t -v ON_ERROR_STOP=1 " +
                                         fixtures::sh_quote(url(db)) + " -c " + fixtures::sh_quote(statements) + " 2>&1");
    INFO(statements << "\n" << r.output);
    REQUIRE(r.status == 0);
    return r.output;
  }
  /// A new database for one test, named after it and the test's process.
  std::string new_database(const std::string& name) {
    const std::string db = name + "_" + std::to_string(::getpid()) + "_" + std::to_string(++databases_);
    sql("postgres", "CREATE DATABASE " + db);
    return db;
  }

 private:
  static bool root() { return ::geteuid() == 0; }
  static std::string as_pg() { return root() ? "setpriv --reuid=postgres --regid=postgres --init-groups -- " : ""; }

  void start(const std::string& data) {
    port_ = free_loopback_port();
    std::vector<std::string> argv{bin_ + "/postgres", "-D", data, "-p", std::to_string(port_),
                                  "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
                                  "-c", "fsync=off", "-c", "max_connections=40"};
    if (root()) argv.insert(argv.begin(), {"setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"});
    Spawned s = spawn(argv, dir_.path, "postgres", dir_.path);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      if (fixtures::run_command("pg_isready -q -h 127.0.0.1 -p " + std::to_string(port_) + " -t 2").status == 0) {
        pid_ = s.pid;
        return;
      }
      if (::waitpid(s.pid, nullptr, WNOHANG) == s.pid) return;  // exited: the port was taken meanwhile; try another
      ::usleep(100'000);  // pg_isready again every 100 ms until the server answers or the bound passes
    }
    ::kill(s.pid, SIGKILL);
    ::waitpid(s.pid, nullptr, 0);
  }

  TempDir dir_;
  std::string bin_;
  int port_ = 0;
  pid_t pid_ = -1;
  int databases_ = 0;
};

/// The server the history tests share (started at the first use, stopped at exit).
inline PgServer& shared_pg_server() {
  static PgServer server;
  return server;
}

}  // namespace itest
