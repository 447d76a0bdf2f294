// Tests of exit_without_teardown, in a process of its own: this test program
// started again with the child half below selected (a fresh process, so
// that a sanitized build's leak check sees only what the child made). The
// code given is the exit status, what was written to stdout and stderr (C
// and C++ streams, unflushed) arrives, and no atexit handler and no static
// destructor runs.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "os/exit_now.hpp"

using namespace faultline;

namespace {

constexpr const char* kChildVariable = "FAULTLINE_EXIT_NOW_CHILD";

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

// The child's half: does nothing unless the test below started this process.
TEST_CASE("exit without teardown: child half") {
  if (std::getenv(kChildVariable) == nullptr) return;
  static MarksDestruction marks;
  std::atexit([] { std::fputs("[atexit]", stdout); });
  // stdout and stderr are pipes: stdout fully buffered, nothing leaves before a flush.
  std::fputs("C stdout;", stdout);
  std::cout << "C++ stdout;";
  std::fputs("C stderr;", stderr);
  std::cerr << "C++ stderr;";
  exit_without_teardown(7);
}

TEST_CASE("exit without teardown: the code is the status, output is flushed, no exit-time code runs") {
  int out[2];
  int err[2];
  REQUIRE(::pipe(out) == 0);
  REQUIRE(::pipe(err) == 0);
  std::string self(4096, '\0');
  const ssize_t len = ::readlink("/proc/self/exe", self.data(), self.size());
  REQUIRE(len > 0);
  self.resize(static_cast<std::size_t>(len));
  std::string filter = "--test-case=exit without teardown: child half";
  std::string variable = std::string(kChildVariable) + "=1";
  std::vector<char*> env{variable.data()};  // built before the fork: the child only dup2s and execs
  for (char** e = environ; *e != nullptr; ++e) env.push_back(*e);
  env.push_back(nullptr);
  std::fflush(nullptr);  // the child must not inherit this process's unwritten output
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    char* argv[] = {self.data(), filter.data(), nullptr};
    ::execve(self.c_str(), argv, env.data());
    ::_exit(127);
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
  // doctest's own banner comes first; the child's writes last, and nothing after them.
  CHECK(stdout_text.ends_with("C stdout;C++ stdout;"));
  CHECK(stdout_text.find("[atexit]") == std::string::npos);
  CHECK(stdout_text.find("[static destructor]") == std::string::npos);
  CHECK(stderr_text == "C stderr;C++ stderr;");
}
