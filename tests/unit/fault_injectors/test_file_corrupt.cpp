// file.corrupt on real files: each mode's damage, the same seed damaging the
// same bytes, the restore byte for byte (and what the ledger says before
// anything is changed), permanence, and the paths validation refuses.
#include <doctest/doctest.h>

#include <tuple>

#include <fstream>
#include <iterator>

#include "fault_injectors/file_corrupt.hpp"
#include "injector_fixture.hpp"
#include "os/saved_copy.hpp"
#include "scenario/validate_fixture.hpp"

using namespace faultline;
using namespace faultline::testing;

namespace {

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_all(const fs::path& p, const std::string& s) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << s;
}

/// 4 KiB of known bytes.
std::string pattern(std::size_t n = 4096) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

/// A scratch directory of this test process.
struct Scratch {
  fs::path dir = fs::temp_directory_path() / ("faultline-corrupt-" + std::to_string(::getpid()));
  Scratch() {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Scratch() { fs::remove_all(dir); }
};

std::size_t differing(const std::string& a, const std::string& b) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) n += a[i] != b[i];
  return n;
}

}  // namespace

TEST_CASE(
    "file.corrupt: flip by count changes exactly that many bits, the same ones for the same seed") {
  Scratch s;
  const std::string orig = pattern();
  write_all(s.dir / "a", orig);
  write_all(s.dir / "b", orig);
  FileCorruptParams p;
  p.mode = "flip";
  p.bits = 40;
  const Corruption ca = corrupt_tree(s.dir / "a", p, 7);
  const Corruption cb = corrupt_tree(s.dir / "b", p, 7);
  CHECK(ca.bits == 40);
  CHECK(read_all(s.dir / "a") == read_all(s.dir / "b"));  // same seed, same bytes
  int bits = 0;
  const std::string a = read_all(s.dir / "a");
  for (std::size_t i = 0; i < a.size(); ++i)
    bits += __builtin_popcount(static_cast<unsigned char>(a[i] ^ orig[i]));
  CHECK(bits == 40);
  CHECK(static_cast<std::size_t>(ca.bytes) == differing(a, orig));
  // The same offsets ("a@17" and "b@17": the files' names differ).
  REQUIRE(ca.offsets.size() == cb.offsets.size());
  for (std::size_t i = 0; i < ca.offsets.size(); ++i)
    CHECK(ca.offsets[i].substr(ca.offsets[i].find('@')) == cb.offsets[i].substr(cb.offsets[i].find('@')));
  write_all(s.dir / "c", orig);
  corrupt_tree(s.dir / "c", p, 8);
  CHECK(read_all(s.dir / "c") != a);  // another seed, other bits
}

TEST_CASE("file.corrupt: flip by rate lands near the expected count") {
  Scratch s;
  write_all(s.dir / "big", pattern(1 << 20));  // 8 Mibit
  FileCorruptParams p;
  p.mode = "flip";
  p.rate = 0.001;
  const Corruption c = corrupt_tree(s.dir / "big", p, 3);
  // Binomial(8388608, 0.001): mean 8389, sd ~92; 6 sd either side.
  CHECK(c.bits > 8389 - 550);
  CHECK(c.bits < 8389 + 550);
}

TEST_CASE("file.corrupt: zero, truncate, garbage_tail and delete do what they say") {
  Scratch s;
  const std::string orig = pattern();
  FileCorruptParams p;
  SUBCASE("zero a range") {
    write_all(s.dir / "f", orig);
    p.mode = "zero";
    p.offset = 100;
    p.length = 50;
    const Corruption c = corrupt_tree(s.dir / "f", p, 1);
    const std::string now = read_all(s.dir / "f");
    CHECK(now.size() == orig.size());
    CHECK(now.substr(100, 50) == std::string(50, '\0'));
    CHECK(now.substr(0, 100) == orig.substr(0, 100));
    CHECK(now.substr(150) == orig.substr(150));
    CHECK(c.bytes == 50);
  }
  SUBCASE("cut the last N bytes, and keep a fraction") {
    write_all(s.dir / "f", orig);
    p.mode = "truncate";
    p.cut = 97;
    CHECK(corrupt_tree(s.dir / "f", p, 1).bytes == 97);
    CHECK(read_all(s.dir / "f") == orig.substr(0, orig.size() - 97));
    write_all(s.dir / "g", orig);
    p.cut.reset();
    p.keep = 0.25;
    corrupt_tree(s.dir / "g", p, 1);
    CHECK(read_all(s.dir / "g") == orig.substr(0, 1024));
  }
  SUBCASE("append seeded junk") {
    write_all(s.dir / "f", orig);
    write_all(s.dir / "g", orig);
    p.mode = "garbage_tail";
    p.length = 333;
    CHECK(corrupt_tree(s.dir / "f", p, 5).bytes == 333);
    corrupt_tree(s.dir / "g", p, 5);
    CHECK(read_all(s.dir / "f").size() == orig.size() + 333);
    CHECK(read_all(s.dir / "f").substr(0, orig.size()) == orig);
    CHECK(read_all(s.dir / "f") == read_all(s.dir / "g"));
  }
  SUBCASE("delete a directory") {
    write_all(s.dir / "d" / "x", orig);
    write_all(s.dir / "d" / "sub" / "y", orig);
    p.mode = "delete";
    const Corruption c = corrupt_tree(s.dir / "d", p, 1);
    CHECK_FALSE(fs::exists(s.dir / "d"));
    CHECK(c.files == 2);
    CHECK(c.bytes == 2 * 4096);
  }
}

TEST_CASE(
    "file.corrupt: the injector saves first, names the copy in its undo, and restores byte for "
    "byte") {
  CloneFixture fx;
  const fs::path data = fx.dir / "services" / "svc" / "data";
  write_all(data / "appendonly.aof", pattern(10000));
  write_all(data / "nested" / "page", pattern(512));
  fs::permissions(data / "nested" / "page", fs::perms::owner_read | fs::perms::owner_write);
  Scratch golden;
  save_copy(data, golden.dir / "data");
  for (const std::string mode : {"flip", "zero", "truncate", "garbage_tail", "delete"}) {
    CAPTURE(mode);
    FileCorruptParams p;
    p.path = "data";
    p.mode = mode;
    if (mode == "flip") p.bits = 9;
    if (mode == "zero" || mode == "garbage_tail") p.length = 700;
    if (mode == "truncate") p.cut = 123;
    auto inj = make_injector(fault("file.corrupt", p));
    auto ctx = fx.context();
    ctx.run_dir = fx.dir;
    ctx.event = 4;
    ctx.seed = 99;
    run_sync(fx.io, inj->prepare(ctx));
    const Undo u = inj->undo_plan(ctx);
    CHECK(u.kind == Undo::Kind::restore);
    CHECK(u.path == data.string());
    CHECK(u.saved == (fx.dir / "saved" / "event-4" / "data").string());
    CHECK_FALSE(fs::exists(u.saved));  // nothing saved, nothing changed before inject
    run_sync(fx.io, inj->inject(ctx));
    CHECK_FALSE(same_tree(data, golden.dir / "data"));
    CHECK(same_tree(u.saved, golden.dir / "data"));
    CHECK(inj->describe().find("while it ran") != std::string::npos);
    run_sync(fx.io, inj->revert(ctx));
    CHECK(same_tree(data, golden.dir / "data"));
    CHECK_FALSE(fs::exists(u.saved));
    run_sync(fx.io, inj->revert(ctx));  // idempotent
    CHECK(same_tree(data, golden.dir / "data"));
  }
}

TEST_CASE(
    "file.corrupt: what the watchdog does from the ledger restores the same way; permanent keeps "
    "the damage") {
  CloneFixture fx;
  const fs::path aof = fx.dir / "services" / "svc" / "a.aof";
  const std::string orig = pattern(5000);
  write_all(aof, orig);
  FileCorruptParams p;
  p.path = "a.aof";
  p.mode = "truncate";
  p.keep = 0.5;
  SUBCASE("restore from the ledger's undo alone") {
    auto inj = make_injector(fault("file.corrupt", p));
    auto ctx = fx.context();
    ctx.run_dir = fx.dir;
    run_sync(fx.io, inj->prepare(ctx));
    const Undo u = inj->undo_plan(ctx);
    run_sync(fx.io, inj->inject(ctx));
    CHECK(read_all(aof).size() == 2500);
    CHECK(restore_copy(u.saved, u.path).empty());  // what cleanup_run does
    CHECK(read_all(aof) == orig);
    const FaultDone did = inj->done();
    CHECK(did.what.find("a.aof@2500") != std::string::npos);
    // The record's account: cut, not changed in place.
    REQUIRE(did.damage);
    CHECK(did.damage->mode == "truncate");
    CHECK(did.damage->path == "a.aof");
    CHECK(did.damage->files == 1);
    CHECK(did.damage->bytes_cut == 2500);
    CHECK(did.damage->bytes_changed == 0);
    CHECK(did.damage->bytes_added == 0);
    CHECK(did.damage->offsets == std::vector<std::string>{"a.aof@2500"});
    CHECK_FALSE(did.damage->offsets_truncated);
    CHECK_FALSE(did.damage->permanent);
  }
  SUBCASE("permanent: nothing to undo, the damage stays, the original is kept") {
    p.permanent = true;
    auto inj = make_injector(fault("file.corrupt", p));
    auto ctx = fx.context();
    ctx.run_dir = fx.dir;
    run_sync(fx.io, inj->prepare(ctx));
    CHECK(inj->undo_plan(ctx).kind == Undo::Kind::none);
    CHECK_FALSE(inj->reversible());
    run_sync(fx.io, inj->inject(ctx));
    run_sync(fx.io, inj->revert(ctx));
    CHECK(read_all(aof) == orig.substr(0, 2500));
    CHECK(read_all(fx.dir / "saved" / "event-0" / "a.aof") == orig);
    REQUIRE(inj->done().damage);
    CHECK(inj->done().damage->permanent);
  }
}

TEST_CASE("file.corrupt: the record's account of each mode splits the bytes into changed, cut and added") {
  Corruption c;
  c.files = 2;
  c.bytes = 40;
  c.bits = 9;
  c.offsets = {"d/a@1", "d/b@7"};
  c.more = true;
  FileCorruptParams p;
  p.path = "d";
  for (const auto& [mode, changed, cut, added] :
       std::vector<std::tuple<std::string, int, int, int>>{
           {"flip", 40, 0, 0}, {"zero", 40, 0, 0}, {"truncate", 0, 40, 0}, {"delete", 0, 40, 0}, {"garbage_tail", 0, 0, 40}}) {
    const auto& mode_name = mode;  // clang 14 cannot capture a structured binding in doctest's message lambda
    CAPTURE(mode_name);
    p.mode = mode;
    const DataDamage d = damage_of(c, p);
    CHECK(d.mode == mode);
    CHECK(d.path == "d");
    CHECK(d.files == 2);
    CHECK(d.bits == 9);
    CHECK(d.bytes_changed == changed);
    CHECK(d.bytes_cut == cut);
    CHECK(d.bytes_added == added);
    CHECK(d.offsets == c.offsets);
    CHECK(d.offsets_truncated);
  }
}

TEST_CASE(
    "file.corrupt: prepare refuses what is missing or leads outside the service's directory") {
  CloneFixture fx;
  Scratch outside;
  write_all(outside.dir / "secret", "x");
  fs::create_directory_symlink(outside.dir, fx.dir / "services" / "svc" / "escape");
  FileCorruptParams p;
  p.mode = "delete";
  auto ctx = fx.context();
  ctx.run_dir = fx.dir;
  p.path = "missing";
  CHECK_THROWS_WITH_AS(run_sync(fx.io, make_injector(fault("file.corrupt", p))->prepare(ctx)),
                       doctest::Contains("does not exist"), FaultError);
  p.path = "escape/secret";
  CHECK_THROWS_WITH_AS(run_sync(fx.io, make_injector(fault("file.corrupt", p))->prepare(ctx)),
                       doctest::Contains("outside service 'svc''s directory"), FaultError);
  CHECK(fs::exists(outside.dir / "secret"));
}

TEST_CASE(
    "file.corrupt: validation refuses paths outside the run and keys of other modes, at "
    "file:line:col") {
  using namespace faultline::validate_fixture;
  const std::string abs = kServices +
                          "[[fault]]\nkind = \"file.corrupt\"\ntarget = \"redis\"\npath = "
                          "\"/etc/passwd\"\nmode = \"delete\"\n";
  auto ds = check(abs);
  check_at(diag(ds, "is not inside service 'redis''s directory"),
           value_of(abs, "path = \"/etc/passwd\""));
  const std::string up = kServices +
                         "[[fault]]\nkind = \"file.corrupt\"\ntarget = \"redis\"\npath = "
                         "\"a/../../x\"\nmode = \"delete\"\n";
  check_at(diag(check(up), "is not inside"), value_of(up, "path = \"a/../../x\""));
  const std::string size =
      kServices +
      "[[fault]]\nkind = \"file.corrupt\"\ntarget = \"redis\"\npath = \"a\"\nmode = \"truncate\"\n"
      "cut = \"12 parsecs\"\n";
  check_at(diag(check(size), "invalid size '12 parsecs'"), value_of(size, "cut = \"12 parsecs\""));
  const std::string other =
      kServices +
      "[[fault]]\nkind = \"file.corrupt\"\ntarget = \"redis\"\npath = \"a\"\nmode = \"flip\"\n"
      "bits = 3\nkeep = 0.5\n";
  check_at(diag(check(other), "'keep' does not apply to mode 'flip'"),
           value_of(other, "keep = 0.5"));
  const std::string neither =
      kServices +
      "[[fault]]\nkind = \"file.corrupt\"\ntarget = \"redis\"\npath = \"a\"\nmode = \"flip\"\n";
  CHECK(diag(check(neither), "needs exactly one of 'bits' and 'rate'").pos.line > 0);
  const std::string wd = R"(name = "v"
[[service]]
name = "redis"
command = "redis-server"
workdir = "/var/lib/redis"
[[fault]]
kind = "file.corrupt"
target = "redis"
path = "dump.rdb"
mode = "delete"
)";
  check_at(diag(check(wd), "its workdir '/var/lib/redis' is not the run's"),
           value_of(wd, "target = \"redis\""));
  const std::string fine =
      kServices +
      "[[fault]]\nkind = \"file.corrupt\"\ntarget = \"redis\"\npath = \"appendonlydir\"\n"
      "mode = \"zero\"\noffset = \"1KiB\"\nlength = \"4KiB\"\nduration = \"1s\"\n";
  CHECK(check(fine).empty());
}
