// open_history picks the back end from the location.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "history/history_store.hpp"
#include "report_fixtures.hpp"

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
    open_history("postgresql://u:pw@127.0.0.1:" + port + "/h", true);
  } catch (const HistoryError& e) {
    why = e.what();
  }
  CHECK(why.starts_with("history postgresql://u:***@127.0.0.1:" + port + "/h: cannot connect"));
  CHECK(why.find(":pw@") == std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  ::close(fd);
}
