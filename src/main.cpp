#include <csignal>

#include "cli.hpp"

int main(int argc, char** argv) {
  // Writes to a peer that went away (a probe's socket, a command's pipe) are
  // errors to handle where they happen, not a reason for the harness to die.
  std::signal(SIGPIPE, SIG_IGN);
  return faultline::run_cli(argc, argv);
}
