// The `nft`/`tc` runner of the kernel kinds (kernel_command.cpp): a command
// runs to completion with its output captured, and a failure is quoted in one
// line, its start error first, then stderr, then stdout, then the exit status.
#include <doctest/doctest.h>

#include "fault_injectors/kernel_command.hpp"
#include "injector_fixture.hpp"

using namespace faultline;
using namespace faultline::testing;

TEST_CASE("kernel_command: first_line quotes the start error, else stderr, else stdout, else the status") {
  CommandResult r;
  r.status.code = 2;
  CHECK(first_line(r) == r.status.describe());
  r.out = "out one\nout two\n";
  CHECK(first_line(r) == "out one");
  r.err = "Error: no such device\nmore\n";
  CHECK(first_line(r) == "Error: no such device");
  r.start_error = "cannot start nft: No such file or directory";
  CHECK(first_line(r) == "cannot start nft: No such file or directory");
}

TEST_CASE("kernel_command: runs a command to its end and captures what it says") {
  CloneFixture f;
  auto ctx = f.context();
  const CommandResult ok = run_sync(f.io, run_kernel_command(ctx, {"sh", "-c", "echo applied"}));
  CHECK(ok.status.success());
  CHECK(ok.out == "applied\n");
  const CommandResult bad = run_sync(f.io, run_kernel_command(ctx, {"sh", "-c", "echo 'RTNETLINK answers: File exists' >&2; exit 2"}));
  CHECK_FALSE(bad.status.success());
  CHECK(bad.status.code == 2);
  CHECK(first_line(bad) == "RTNETLINK answers: File exists");
}
