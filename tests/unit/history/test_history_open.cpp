// open_history picks the back end from the location; the PostgreSQL store
// comes from its module (postgres_module.hpp), found in the build tree here.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "history/history_store.hpp"
#include "history/postgres_module.hpp"
#include "report_fixtures.hpp"
#include "test_build_root.h"

using namespace faultline;

TEST_CASE("history open: a path is a SQLite file; a postgresql:// location is a server, named without its password") {
  fixtures::TempDir dir;
  auto store = open_history((dir / "h.sqlite").string(), true);
  CHECK(store->where() == (dir / "h.sqlite").string());
  CHECK(store->runs({}).empty());
  // A loopback port that is bound but not listening: the connection is refused at once.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  const std::string port = std::to_string(ntohs(a.sin_port));
  const auto start = std::chrono::steady_clock::now();
  std::string why;
  try {
    open_postgres_module("postgresql://u:pw@127.0.0.1:" + port + "/h", {FAULTLINE_TEST_BUILD_ROOT});
  } catch (const HistoryError& e) {
    why = e.what();
  }
  CHECK(why.starts_with("history postgresql://u:***@127.0.0.1:" + port + "/h: cannot connect"));
  CHECK(why.find(":pw@") == std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  ::close(fd);
}

TEST_CASE("history open: without the PostgreSQL module, a postgresql:// store is an error naming where it was looked for") {
  fixtures::TempDir dir;
  std::string why;
  try {
    open_postgres_module("postgresql://u:pw@127.0.0.1:1/h", {dir.path, dir / "lib"});
  } catch (const HistoryError& e) {
    why = e.what();
  }
  CHECK(why == "history postgresql://u:***@127.0.0.1:1/h: the PostgreSQL module faultline-history-pg.so is not installed "
               "(looked in " + dir.path.string() + ", " + (dir / "lib").string() + ")");
}

TEST_CASE("history open: a file of that name that is not faultline's module is refused, named") {
  fixtures::TempDir dir;
  std::filesystem::copy_file("/lib/x86_64-linux-gnu/libm.so.6", dir / kPgModuleName);
  std::string why;
  try {
    open_postgres_module("postgresql://u@127.0.0.1:1/h", {dir.path});
  } catch (const HistoryError& e) {
    why = e.what();
  }
  CHECK(why == "history postgresql://u@127.0.0.1:1/h: " + (dir / kPgModuleName).string() + " is not a faultline module");
}

TEST_CASE("history open: the module is looked for beside the binary, then as installed relative to it, then in LIBDIR") {
  const auto dirs = postgres_module_dirs();
  REQUIRE(dirs.size() == 3);
  CHECK(dirs[0] == std::filesystem::read_symlink("/proc/self/exe").parent_path());
  CHECK(dirs[1].filename() == "faultline");
  CHECK(dirs[2].is_absolute());
  CHECK(dirs[2].filename() == "faultline");
}
