// file.io through the run's passthrough filesystem (root, /dev/fuse): the
// rule is set at inject and cleared at revert, prepare refuses a directory
// that is not served; and what parsing and validation refuse.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>

#include "fault_injectors/file_io.hpp"
#include "injector_fixture.hpp"
#include "os/run_mount.hpp"
#include "scenario/validate_fixture.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

FaultSpec file_io(const std::string& keys) {
  const std::string text =
      "name = \"v\"\n[[service]]\nname = \"svc\"\ncommand = \"true\"\n[[fault]]\nname = \"io\"\nkind = "
      "\"file.io\"\ntarget = \"svc\"\nduration = \"1s\"\n" +
      keys;
  auto r = parse_scenario(text, "v.toml");
  REQUIRE(r.scenario.has_value());
  return r.scenario->faults.at(0);
}

/// The first parse diagnostic of a file.io fault with `keys`.
Diagnostic parse_error(const std::string& text, std::string_view fragment) {
  auto r = parse_scenario(text, "v.toml");
  return diagnostic_fixture::diag(r.diagnostics, fragment);
}

int read_errno(const fs::path& p) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  char buf[8];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  const int e = n < 0 ? errno : 0;
  ::close(fd);
  return e;
}

}  // namespace

TEST_CASE("file.io: inject sets the rule on the run's passthrough filesystem, revert clears it (root)") {
  if (const std::string why = iofs_unavailable(); !why.empty()) {
    MESSAGE("skipped: ", why);
    return;
  }
  CloneFixture fx;
  const fs::path dir = fx.dir / "services" / "svc";
  fs::create_directories(dir);
  std::ofstream(dir / "data.aof") << "payload";
  std::ofstream(dir / "keep.txt") << "keep";
  serve_iofs(dir);
  FaultSpec f = file_io("path = \"*.aof\"\nops = \"read\"\nerrno = \"EIO\"\n");
  auto inj = make_injector(f);
  auto ctx = fx.context();
  ctx.run_dir = fx.dir;
  ctx.event = 4;
  run_sync(fx.io, inj->prepare(ctx));
  CHECK(inj->undo_plan(ctx).kind == Undo::Kind::none);  // the rule dies with the harness
  CHECK(read_errno(dir / "data.aof") == 0);
  run_sync(fx.io, inj->inject(ctx));
  CHECK(read_errno(dir / "data.aof") == EIO);
  CHECK(read_errno(dir / "keep.txt") == 0);
  CHECK(inj->done().what.empty());  // nothing to say until the revert
  CHECK(inj->describe() == "fail with EIO read on '*.aof' under service 'svc''s directory");
  run_sync(fx.io, inj->revert(ctx));
  CHECK(read_errno(dir / "data.aof") == 0);
  CHECK(inj->done().what == "1 operation(s) selected, 1 failed, 0 delayed");
  run_sync(fx.io, inj->revert(ctx));  // idempotent
  CHECK(inj->done().what == "1 operation(s) selected, 1 failed, 0 delayed");
  CHECK(unmount_run_mount(dir).empty());
  stop_iofs(dir);
  // Not served (any more): prepare refuses.
  auto again = make_injector(f);
  CHECK_THROWS_WITH_AS(run_sync(fx.io, again->prepare(ctx)), doctest::Contains("is not served"), FaultError);
}

TEST_CASE("file.io: parsing and validation refuse what does not parse, at file:line:col") {
  using namespace faultline::validate_fixture;
  const std::string head = kServices + "[[fault]]\nkind = \"file.io\"\ntarget = \"redis\"\nduration = \"1s\"\n";
  {
    const std::string t = head + "errno = \"EIO\"\nprobability = 1.5\n";
    check_at(parse_error(t, "probability"), value_of(t, "probability = 1.5"));
  }
  {
    const std::string t = head + "delay = \"fast\"\n";
    check_at(parse_error(t, "fast"), value_of(t, "delay = \"fast\""));
  }
  {
    const std::string t = head + "errno = \"EBADNESS\"\n";
    check_at(parse_error(t, "EBADNESS"), value_of(t, "errno = \"EBADNESS\""));
  }
  {
    const std::string t = head + "errno = \"EIO\"\nops = \"read,peek\"\n";
    check_at(diag(check(t), "unknown operation 'peek'"), value_of(t, "ops = \"read,peek\""));
  }
  {
    const std::string t = head + "errno = \"EIO\"\npath = \"../x\"\n";
    check_at(diag(check(t), "without '..'"), value_of(t, "path = \"../x\""));
  }
  {
    const std::string t = head;
    CHECK(diag(check(t), "needs 'errno', 'delay' or both").pos.line == 7);
  }
  {
    const std::string fine = head + "errno = \"ENOSPC\"\ndelay = \"20ms\"\nprobability = 0.5\nops = \"write, fsync\"\n";
    if (iofs_unavailable().empty())
      CHECK(check(fine).empty());
    else
      CHECK(diag(check(fine), "this host cannot").pos.line == 7);
  }
}
