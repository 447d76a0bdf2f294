// Tests of exit_without_teardown, in a child process: the code given is the
// exit status, what was written to stdout and stderr (C and C++ streams,
// unflushed) arrives, and no atexit handler and no static destructor runs.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "os/exit_now.hpp"

using namespace faultline;

namespace {

/// Writes a mark to stdout if it is ever destroyed.
struct MarksDestruction {
  ~MarksDestruction() { std::fputs("[static destructor]", stdout); }
};

/// Reads `fd` to its end.
std::string read_all(int fd) {
  std::string out;
  char buf[256];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

}  // namespace

TEST_CASE("exit without teardown: the code is the status, output is flushed, no exit-time code runs") {
  int out[2];
  int err[2];
  REQUIRE(::pipe(out) == 0);
  REQUIRE(::pipe(err) == 0);
  std::fflush(nullptr);  // the child must not inherit this process's unwritten output
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    ::close(out[0]);
    ::close(err[0]);
    // Fully buffered, as stdout is into a pipe: nothing leaves before a flush.
    std::setvbuf(stdout, nullptr, _IOFBF, 4096);
    static MarksDestruction marks;
    std::atexit([] { std::fputs("[atexit]", stdout); });
    std::fputs("C stdout;", stdout);
    std::cout << "C++ stdout;";
    std::fputs("C stderr;", stderr);
    std::cerr << "C++ stderr;";
    exit_without_teardown(7);
  }
  ::close(out[1]);
  ::close(err[1]);
  const std::string stdout_text = read_all(out[0]);
  const std::string stderr_text = read_all(err[0]);
  ::close(out[0]);
  ::close(err[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 7);
  CHECK(stdout_text == "C stdout;C++ stdout;");
  CHECK(stderr_text == "C stderr;C++ stderr;");
}
