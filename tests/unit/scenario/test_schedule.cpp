#include <doctest/doctest.h>

#include <set>

#include "fault_injectors/process_kill.hpp"
#include "fault_injectors/process_pause.hpp"
#include "scenario/schedule.hpp"

using namespace faultline;

namespace {
Scenario two_faults() {
  Scenario s;
  FaultSpec a;
  a.name = "window";
  a.kind = "process.pause";
  a.at_min = 1s;
  a.at_max = 3s;
  a.duration = 200ms;
  a.params = PauseParams{};
  FaultSpec b;
  b.name = "repeated";
  b.kind = "process.kill";
  b.at_min = b.at_max = 500ms;
  b.repeat = 3;
  b.every = 1s;
  b.params = KillParams{};
  s.faults = {a, b};
  return s;
}
}  // namespace

TEST_CASE("schedule: the same seed gives the same schedule, another seed another one") {
  const Scenario s = two_faults();
  for (int it = 1; it <= 5; ++it) {
    auto x = schedule_iteration(s, 7, it);
    auto y = schedule_iteration(s, 7, it);
    REQUIRE(x.size() == y.size());
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(x[i].offset == y[i].offset);
  }
  int differing = 0;
  for (int it = 1; it <= 5; ++it) {
    auto find_window = [](const std::vector<PlannedInjection>& v) {
      for (const auto& p : v)
        if (p.fault == 0) return p.offset;
      return Nanos{-1};
    };
    if (find_window(schedule_iteration(s, 7, it)) != find_window(schedule_iteration(s, 8, it))) ++differing;
  }
  CHECK(differing >= 4);
}

TEST_CASE("schedule: window picks stay inside the window and iterations differ") {
  const Scenario s = two_faults();
  std::set<Nanos::rep> seen;
  for (int it = 1; it <= 200; ++it) {
    for (const auto& p : schedule_iteration(s, 99, it)) {
      if (p.fault != 0) continue;
      CHECK(p.offset >= 1s);
      CHECK(p.offset <= 3s);
      REQUIRE(p.hold);
      CHECK(*p.hold == 200ms);
      seen.insert(p.offset.count());
    }
  }
  CHECK(seen.size() > 190);  // effectively continuous
}

TEST_CASE("schedule: repeats are spaced by `every`, sorted by offset, without hold when no duration") {
  const auto plan = schedule_iteration(two_faults(), 1, 1);
  REQUIRE(plan.size() == 4);
  for (std::size_t i = 1; i < plan.size(); ++i) CHECK(plan[i - 1].offset <= plan[i].offset);
  std::vector<Nanos> kills;
  for (const auto& p : plan)
    if (p.fault == 1) {
      kills.push_back(p.offset);
      CHECK_FALSE(p.hold);
    }
  REQUIRE(kills.size() == 3);
  CHECK(kills[0] == 500ms);
  CHECK(kills[1] == 1500ms);
  CHECK(kills[2] == 2500ms);
}

TEST_CASE("schedule: mix_seed depends on every input") {
  CHECK(mix_seed(1, 2, 3) == mix_seed(1, 2, 3));
  CHECK(mix_seed(1, 2, 3) != mix_seed(2, 2, 3));
  CHECK(mix_seed(1, 2, 3) != mix_seed(1, 3, 3));
  CHECK(mix_seed(1, 2, 3) != mix_seed(1, 2, 4));
}
