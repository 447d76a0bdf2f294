// disk.full on a real tmpfs (root): filled to the level asked, freed at
// revert, the filler in the ledger before it exists; and what validation
// refuses.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include "injector_fixture.hpp"
#include "os/run_mount.hpp"
#include "scenario/validate_fixture.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

FaultSpec disk_full(const std::string& level) {
  const std::string text =
      "name = \"v\"\n[[service]]\nname = \"svc\"\ncommand = \"true\"\n[[fault]]\nkind = "
      "\"disk.full\"\ntarget = \"svc\"\nsize = \"1MiB\"\nlevel = \"" +
      level + "\"\n";
  auto r = parse_scenario(text, "v.toml");
  REQUIRE(r.scenario.has_value());
  return r.scenario->faults.at(0);
}

/// Writes until the filesystem refuses; returns the bytes that went in.
std::int64_t write_until_full(const fs::path& p) {
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  const std::string chunk(4096, 'x');
  std::int64_t n = 0;
  for (ssize_t w; (w = ::write(fd, chunk.data(), chunk.size())) > 0;) n += w;
  ::close(fd);
  return n;
}

}  // namespace

TEST_CASE("disk.full: fills the run's tmpfs to the level, frees it at revert (root)") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: disk.full needs root");
    return;
  }
  CloneFixture fx;
  const fs::path dir = fx.dir / "services" / "svc";
  mount_run_tmpfs(dir, 1 << 20);
  for (const std::string level : {"100%", "free=256KiB", "50%"}) {
    CAPTURE(level);
    FaultSpec f = disk_full(level);
    auto inj = make_injector(f);
    auto ctx = fx.context();
    ctx.run_dir = fx.dir;
    ctx.event = 2;
    run_sync(fx.io, inj->prepare(ctx));
    const Undo u = inj->undo_plan(ctx);
    CHECK(u.kind == Undo::Kind::remove);
    CHECK(u.path == (dir / ".faultline-fill-2").string());
    CHECK_FALSE(fs::exists(u.path));
    run_sync(fx.io, inj->inject(ctx));
    const std::int64_t free = filesystem_space(dir).free;
    if (level == "100%") {
      CHECK(free == 0);
      CHECK(write_until_full(dir / "probe") == 0);  // a service's write gets ENOSPC
      REQUIRE(inj->done().damage);
      CHECK(inj->done().damage->bytes_added == 1 << 20);
      CHECK(inj->done().damage->mode == "fill");
    } else if (level == "free=256KiB") {
      CHECK(free == 256 * 1024);
    } else {
      CHECK(free == 512 * 1024);
    }
    run_sync(fx.io, inj->revert(ctx));
    fs::remove(dir / "probe");
    CHECK_FALSE(fs::exists(u.path));
    CHECK(filesystem_space(dir).free == 1 << 20);
    run_sync(fx.io, inj->revert(ctx));  // idempotent
  }
  CHECK(unmount_run_mount(dir).empty());
}

TEST_CASE("disk.full: prepare refuses a directory that is not the run's mount") {
  CloneFixture fx;
  auto inj = make_injector(disk_full("100%"));
  auto ctx = fx.context();
  ctx.run_dir = fx.dir;
  CHECK_THROWS_WITH_AS(run_sync(fx.io, inj->prepare(ctx)),
                       doctest::Contains("not the run's filesystem"), FaultError);
}

TEST_CASE("disk.full: validation refuses sizes and levels that do not parse, at file:line:col") {
  using namespace faultline::validate_fixture;
  const std::string size =
      kServices + "[[fault]]\nkind = \"disk.full\"\ntarget = \"redis\"\nsize = \"lots\"\n";
  check_at(diag(check(size), "invalid size 'lots'"), value_of(size, "size = \"lots\""));
  const std::string level =
      kServices +
      "[[fault]]\nkind = \"disk.full\"\ntarget = \"redis\"\nsize = \"8MiB\"\nlevel = \"120%\"\n";
  check_at(diag(check(level), "invalid level '120%'"), value_of(level, "level = \"120%\""));
  const std::string free = kServices +
                           "[[fault]]\nkind = \"disk.full\"\ntarget = \"redis\"\nsize = "
                           "\"8MiB\"\nlevel = \"free=9MiB\"\n";
  check_at(diag(check(free), "leaves as much free"), value_of(free, "level = \"free=9MiB\""));
  const std::string fine = kServices +
                           "[[fault]]\nkind = \"disk.full\"\ntarget = \"redis\"\nsize = "
                           "\"8MiB\"\nlevel = \"free=1MiB\"\nduration = \"1s\"\n";
  if (::geteuid() == 0)
    CHECK(check(fine).empty());
  else
    CHECK(diag(check(fine), "disk.full needs root").pos.line == 9);
}

TEST_CASE("disk.full: a dynamic target is refused at its select: the filesystem is mounted before anything is chosen") {
  using namespace faultline::validate_fixture;
  const std::string text = kServices +
                           "[[fault]]\nkind = \"disk.full\"\ntarget = { select = \"true\", among = [\"redis\"] }\n"
                           "size = \"8MiB\"\nlevel = \"100%\"\nduration = \"1s\"\n";
  check_at(diag(check(text), "disk.full needs its service named"), value_of(text, "target = {"));
}
