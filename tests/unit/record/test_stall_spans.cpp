// Stall spans: a source's stalls merge when they overlap or follow within
// its gap, counting every stall and the time they covered; past the budget
// the closest spans of one source merge until half of it is left, so the
// list stays bounded however starved the harness, and nothing is lost: the
// count, the stalled time and the longest stall are those of every stall.
#include <doctest/doctest.h>

#include "record/stall_spans.hpp"

using namespace faultline;

namespace {

std::uint64_t total_count(const std::vector<HarnessStall>& v) {
  std::uint64_t n = 0;
  for (const auto& s : v) n += s.count;
  return n;
}

Nanos total_stalled(const std::vector<HarnessStall>& v, const std::string& probe) {
  Nanos t{0};
  for (const auto& s : v)
    if (s.probe == probe) t += s.stalled_time();
  return t;
}

}  // namespace

TEST_CASE("stall spans: back-to-back and close stalls of one source make one span with their count and time") {
  std::vector<HarnessStall> v;
  add_stall(v, {Nanos(100), Nanos(200), "p"}, Nanos(10));
  add_stall(v, {Nanos(200), Nanos(230), "p"}, Nanos(10));  // back to back
  add_stall(v, {Nanos(235), Nanos(300), "p"}, Nanos(10));  // 5 ns later
  add_stall(v, {Nanos(290), Nanos(320), "p"}, Nanos(10));  // overlapping: only 20 ns new
  REQUIRE(v.size() == 1);
  CHECK(v[0].start == Nanos(100));
  CHECK(v[0].end == Nanos(320));
  CHECK(v[0].count == 4);
  CHECK(v[0].stalled_time() == Nanos(100 + 30 + 65 + 20));
  CHECK(v[0].longest_stall() == Nanos(100));
}

TEST_CASE("stall spans: a single stall is its whole span; other sources and far stalls stay apart") {
  std::vector<HarnessStall> v;
  add_stall(v, {Nanos(100), Nanos(200), ""}, Nanos(10));
  add_stall(v, {Nanos(150), Nanos(160), "http"}, Nanos(10));
  add_stall(v, {Nanos(211), Nanos(300), ""}, Nanos(10));  // 11 ns later: not under the gap
  REQUIRE(v.size() == 3);
  CHECK(v[0] == HarnessStall{Nanos(100), Nanos(200), ""});
  CHECK(v[0].stalled_time() == Nanos(100));
  CHECK(v[0].longest_stall() == Nanos(100));
  CHECK(v[1] == HarnessStall{Nanos(150), Nanos(160), "http"});
  CHECK(v[2] == HarnessStall{Nanos(211), Nanos(300), ""});
}

TEST_CASE("stall spans: a starved harness's list stays within the budget and keeps every stall's count and time") {
  // Three sources, each late by 2 ms every 20 ms (the gap, 1 ms, merges none
  // of them): 3 x 50,000 stalls over 1000 s, with one 5 s stop among them.
  std::vector<HarnessStall> v;
  const std::size_t budget = 64;
  std::size_t most = 0;
  for (std::int64_t k = 0; k < 50'000; ++k) {
    for (const char* probe : {"", "a", "b"}) {
      const Nanos start(k * 20'000'000 + (probe[0] == 'a' ? 3'000'000 : probe[0] == 'b' ? 7'000'000 : 0));
      const Nanos len(k == 25'000 ? 5'000'000'000 : 2'000'000);
      add_stall(v, {start, start + len, probe}, Nanos(1'000'000), budget);
      most = std::max(most, v.size());
    }
  }
  CHECK(most <= budget);
  CHECK(total_count(v) == 150'000);
  // Every stall's time is counted once (the 5 s stop covers the 249 ticks of
  // its source after it, which add nothing).
  const Nanos each = Nanos(2'000'000) * 49'999 + Nanos(5'000'000'000);
  CHECK(total_stalled(v, "a") == each - Nanos(2'000'000) * 249);
  Nanos longest{0};
  for (const auto& s : v) {
    longest = std::max(longest, s.longest_stall());
    CHECK(s.stalled_time() <= s.end - s.start);
    CHECK(s.longest_stall() <= s.stalled_time());
  }
  CHECK(longest == Nanos(5'000'000'000));
  // The spans cover every stall: the 5 s stop lies inside one of each source.
  for (const char* probe : {"", "a", "b"}) {
    CAPTURE(probe);
    const Nanos stop(25'000LL * 20'000'000 + (probe[0] == 'a' ? 3'000'000 : probe[0] == 'b' ? 7'000'000 : 0));
    CHECK(std::any_of(v.begin(), v.end(), [&](const HarnessStall& s) {
      return s.probe == probe && s.start <= stop && stop + Nanos(5'000'000'000) <= s.end;
    }));
  }
}

TEST_CASE("stall spans: coarsening merges the closest spans of one source first") {
  std::vector<HarnessStall> v{{Nanos(0), Nanos(10), "p"},    {Nanos(12), Nanos(20), "p"},  // 2 apart
                              {Nanos(100), Nanos(110), "p"}, {Nanos(50), Nanos(60), "q"},
                              {Nanos(61), Nanos(70), "q"}};                                   // 1 apart
  coarsen_stalls(v, 3);
  REQUIRE(v.size() == 3);
  CHECK(v[0].start == Nanos(0));
  CHECK(v[0].end == Nanos(20));
  CHECK(v[0].count == 2);
  CHECK(v[0].stalled_time() == Nanos(18));
  CHECK(v[1] == HarnessStall{Nanos(100), Nanos(110), "p"});
  CHECK(v[2].probe == "q");
  CHECK(v[2].count == 2);
  CHECK(v[2].stalled_time() == Nanos(19));
}
