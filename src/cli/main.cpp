#include <fcntl.h>

#include <csignal>

#include "cli/cli.hpp"
#include "os/stop.hpp"

int main(int argc, char** argv) {
  // First of all: a stop signal from now on is remembered, not lost and not
  // fatal in the middle of the namespace probe (os/stop.hpp).
  faultline::catch_stop_signals_early();
  // A harness started with stdin, stdout or stderr closed would hand those
  // numbers to the first files and sockets it opens, and a child's
  // descriptors could then be redirected onto each other: fill them first.
  for (int fd = 0; fd <= 2; ++fd)
    if (::fcntl(fd, F_GETFD) < 0) ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
  // Writes to a peer that went away (a probe's socket, a command's pipe) are
  // errors to handle where they happen, not a reason for the harness to die.
  std::signal(SIGPIPE, SIG_IGN);
  return faultline::run_cli(argc, argv);
}
