// The passthrough filesystem on real files (root, /dev/fuse): unmatched
// paths pass through byte for byte; a rule fails reads with EIO at its
// probability and holds writes for its delay; revert wakes what it holds;
// stop() unmounts what is still mounted, and closes what the kernel never
// released.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "os/iofs.hpp"
#include "os/run_mount.hpp"

using namespace faultline;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

struct Mounted {
  fs::path dir;
  std::unique_ptr<IoFs> fsys;
  Mounted() {
    dir = fs::temp_directory_path() / ("faultline-iofs-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    fsys = IoFs::mount(dir);
  }
  ~Mounted() {
    fsys->stop();
    CHECK_FALSE(is_mount_point(dir));
    fs::remove_all(dir);
  }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

bool can_mount() {
  if (const std::string why = iofs_unavailable(); !why.empty()) {
    MESSAGE("skipped: ", why);
    return false;
  }
  return true;
}

}  // namespace

TEST_CASE("iofs: without a rule, files pass through byte for byte") {
  if (!can_mount()) return;
  std::string data(1 << 20, '\0');
  std::mt19937_64 rng(7);
  for (auto& ch : data) ch = static_cast<char>(rng());
  const fs::path dir = fs::temp_directory_path() / ("faultline-iofs-pass-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    auto fsys = IoFs::mount(dir);
    CHECK(is_mount_point(dir));
    fs::create_directories(dir / "sub");
    {
      std::ofstream out(dir / "sub" / "a.bin", std::ios::binary);
      out << data;
    }
    CHECK(fs::file_size(dir / "sub" / "a.bin") == data.size());
    CHECK(slurp(dir / "sub" / "a.bin") == data);
    fs::rename(dir / "sub" / "a.bin", dir / "b.bin");
    fs::create_symlink("b.bin", dir / "link");
    CHECK(fs::read_symlink(dir / "link") == "b.bin");
    fs::permissions(dir / "b.bin", fs::perms::owner_read | fs::perms::owner_write);
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"b.bin", "link", "sub"});
    fs::resize_file(dir / "b.bin", data.size() - 10);
    const int fd = ::open((dir / "b.bin").c_str(), O_WRONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    CHECK(::fsync(fd) == 0);
    CHECK(::close(fd) == 0);
    fsys->stop();
    CHECK_FALSE(is_mount_point(dir));
  }
  // Unmounted: what was written is on the directory underneath, unchanged.
  CHECK(slurp(dir / "b.bin") == data.substr(0, data.size() - 10));
  CHECK((fs::status(dir / "b.bin").permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  CHECK(fs::is_symlink(dir / "link"));
  fs::remove_all(dir);
}

TEST_CASE("iofs: a rule fails matching reads with EIO at its probability, others pass") {
  if (!can_mount()) return;
  Mounted m;
  {
    std::ofstream(m.dir / "data.aof") << "0123456789";
    std::ofstream(m.dir / "other.txt") << "abcdef";
  }
  IoRule rule;
  rule.path = "*.aof";
  rule.ops = io_read;
  rule.error = EIO;
  rule.probability = 0.3;
  rule.seed = 42;
  m.fsys->set_rule(1, rule);
  const int n = 2000;
  int failed = 0, eio = 0, other_failed = 0;
  const int fd = ::open((m.dir / "data.aof").c_str(), O_RDONLY | O_CLOEXEC);
  const int ofd = ::open((m.dir / "other.txt").c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  REQUIRE(ofd >= 0);
  char buf[16];
  for (int i = 0; i < n; ++i) {
    const ssize_t r = ::pread(fd, buf, sizeof buf, 0);
    if (r < 0) {
      ++failed;
      eio += errno == EIO ? 1 : 0;
    } else {
      CHECK(std::string(buf, static_cast<std::size_t>(r)) == "0123456789");
    }
    const ssize_t o = ::pread(ofd, buf, sizeof buf, 0);
    other_failed += o == 6 && std::string(buf, 6) == "abcdef" ? 0 : 1;
  }
  ::close(fd);
  ::close(ofd);
  // Binomial(2000, 0.3): mean 600, sd 20.5; 5 sd either side.
  MESSAGE("failed ", failed, " of ", n, " reads at probability 0.3");
  CHECK(failed == eio);
  CHECK(failed > 600 - 103);
  CHECK(failed < 600 + 103);
  CHECK(other_failed == 0);
  const IoCounts c = m.fsys->clear_rule(1);
  CHECK(c.matched == n);
  CHECK(c.failed == failed);
  CHECK(c.delayed == 0);
  CHECK(slurp(m.dir / "data.aof") == "0123456789");  // cleared: reads pass again
}

TEST_CASE("iofs: the same seed fails the same reads") {
  if (!can_mount()) return;
  Mounted m;
  std::ofstream(m.dir / "f") << "x";
  auto pattern = [&](std::uint64_t seed) {
    IoRule rule;
    rule.ops = io_read;
    rule.error = ENOSPC;
    rule.probability = 0.5;
    rule.seed = seed;
    m.fsys->set_rule(3, rule);
    std::string out;
    const int fd = ::open((m.dir / "f").c_str(), O_RDONLY | O_CLOEXEC);
    char ch;
    for (int i = 0; i < 64; ++i) out += ::pread(fd, &ch, 1, 0) < 0 ? (errno == ENOSPC ? 'E' : '?') : '.';
    ::close(fd);
    m.fsys->clear_rule(3);
    return out;
  };
  const std::string a = pattern(9), b = pattern(9), c = pattern(10);
  CHECK(a == b);
  CHECK(a != c);
  CHECK(a.find('?') == std::string::npos);
}

TEST_CASE("iofs: a rule holds matching writes for its delay; revert wakes a held one") {
  if (!can_mount()) return;
  Mounted m;
  IoRule rule;
  rule.path = "slow/*";
  rule.ops = io_write;
  rule.delay = std::chrono::milliseconds(50);
  m.fsys->set_rule(2, rule);
  fs::create_directories(m.dir / "slow");
  const int fd = ::open((m.dir / "slow" / "w").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  const int ofd = ::open((m.dir / "fast").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  REQUIRE(ofd >= 0);
  using Clock = std::chrono::steady_clock;
  Clock::duration shortest = 1h, longest{0}, fast_longest{0};
  for (int i = 0; i < 10; ++i) {
    auto t0 = Clock::now();
    CHECK(::write(fd, "abc", 3) == 3);
    const auto took = Clock::now() - t0;
    shortest = std::min(shortest, took);
    longest = std::max(longest, took);
    t0 = Clock::now();
    CHECK(::write(ofd, "abc", 3) == 3);
    fast_longest = std::max(fast_longest, Clock::now() - t0);
  }
  const auto ms = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
  MESSAGE("held writes took ", ms(shortest), " to ", ms(longest), " ms (delay 50 ms); unmatched at most ",
          ms(fast_longest), " ms");
  CHECK(shortest >= 50ms);
  CHECK(longest < 50ms + 250ms);  // a loaded machine's scheduling, not the rule
  CHECK(fast_longest < 50ms);
  CHECK(m.fsys->counts(2).delayed == 10);
  // A long hold, cut short by the revert.
  rule.delay = std::chrono::seconds(30);
  m.fsys->set_rule(2, rule);
  const auto t0 = Clock::now();
  std::thread writer([&] { CHECK(::write(fd, "d", 1) == 1); });
  std::this_thread::sleep_for(100ms);
  m.fsys->clear_rule(2);
  writer.join();
  CHECK(Clock::now() - t0 < 5s);
  ::close(fd);
  ::close(ofd);
  CHECK(fs::file_size(m.dir / "slow" / "w") == 31);
}

TEST_CASE("iofs: stop() after an unmount, or unmounting itself; the served registry forgets it") {
  if (!can_mount()) return;
  const fs::path dir = fs::temp_directory_path() / ("faultline-iofs-stop-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  serve_iofs(dir);
  CHECK(served_iofs(dir) != nullptr);
  CHECK(is_mount_point(dir));
  CHECK(unmount_run_mount(dir).empty());
  stop_iofs(dir);
  CHECK(served_iofs(dir) == nullptr);
  CHECK_FALSE(is_mount_point(dir));
  auto fsys = IoFs::mount(dir);
  fsys->stop();  // without an unmount first
  CHECK_FALSE(is_mount_point(dir));
  fs::remove_all(dir);
}

TEST_CASE("iofs: stop() ends the serving loop though another mount namespace still holds a copy of the mount") {
  if (!can_mount()) return;
  Mounted m;
  // A process that entered a mount namespace of its own while the
  // filesystem was mounted holds a copy of the mount, as `ip netns exec` of
  // a concurrent run's service does: the unmount here leaves the
  // connection open there, and the loop would serve it until that process
  // exits (30 s).
  const pid_t holder = ::fork();
  REQUIRE(holder >= 0);
  if (holder == 0) {
    ::execlp("unshare", "unshare", "-m", "--propagation", "private", "sleep", "30", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  struct Reaped {  // on every path out, a REQUIRE that fails too
    pid_t pid;
    ~Reaped() {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  } reaped{holder};
  auto mnt_ns = [](pid_t pid) {
    std::error_code ec;
    return fs::read_symlink(fs::path("/proc") / std::to_string(pid) / "ns" / "mnt", ec).string();
  };
  const std::string own = mnt_ns(::getpid());
  for (int i = 0; i < 500 && (mnt_ns(holder) == own || mnt_ns(holder).empty()); ++i) std::this_thread::sleep_for(10ms);
  REQUIRE(mnt_ns(holder) != own);
  std::this_thread::sleep_for(50ms);  // unshare(1) execs sleep once its namespace is made
  CHECK(unmount_run_mount(m.dir).empty());
  const auto t0 = std::chrono::steady_clock::now();
  m.fsys->stop();
  const auto took = std::chrono::steady_clock::now() - t0;
  MESSAGE("stop() took ", std::chrono::duration<double, std::milli>(took).count(), " ms");
  CHECK(took >= 900ms);  // not ended by the unmount: aborted after its second
  CHECK(took < 10s);
}

TEST_CASE("iofs: a file closed just before stop() leaves no descriptor behind, released or not") {
  if (!can_mount()) return;
  // The kernel sends a close's release in the background: stopped at once,
  // the filesystem may never read it. Its handle (and the descriptor of the
  // file underneath) must not outlive stop(). Counted as this process's
  // open descriptors before and after, many times over to meet the race.
  const auto open_descriptors = [] {
    return std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator{});
  };
  const auto before = open_descriptors();
  for (int i = 0; i < 40; ++i) {
    Mounted m;
    std::ofstream(m.dir / "f") << "x";  // create, write, close: released in the background
    const int fd = ::open((m.dir / "f").c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    ::close(fd);
  }  // ~Mounted: stop() at once
  CHECK(open_descriptors() == before);
}
