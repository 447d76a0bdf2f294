// The comparison on synthetic samples: the "done when" lines. A
// known difference is significant with enough iterations and not with too
// few; ties; a strategy that never recovers ranks last as "> deadline"; the
// same seed gives the same interval; a lossy or failing strategy is never
// ranked fastest, however fast.
#include <doctest/doctest.h>

#include "measure/strategy_compare.hpp"

using namespace faultline;

namespace {

/// n recovery times around `center` ms, spread evenly over +-`spread` ms in
/// a scrambled order (deterministic, no generator needed).
std::vector<StrategySample> around(int center, int spread, int n) {
  std::vector<StrategySample> out;
  for (int i = 0; i < n; ++i) {
    const int k = (i * 7) % n;  // a permutation of 0..n-1 when gcd(7, n) == 1
    StrategySample s;
    const int offset = n > 1 ? -spread + 2 * spread * k / (n - 1) : 0;
    s.recovery_time = std::chrono::milliseconds(center + offset);
    out.push_back(s);
  }
  return out;
}

std::vector<StrategySample> never(int n) { return std::vector<StrategySample>(static_cast<std::size_t>(n)); }

CompareParams params(std::uint64_t seed = 1) {
  CompareParams p;
  p.seed = seed;
  return p;
}

const StrategyStats& stats(const StrategyComparison& c, const std::string& name) {
  for (const auto& s : c.strategies)
    if (s.name == name) return s;
  FAIL("no strategy ", name);
  return c.strategies.front();
}

}  // namespace

TEST_CASE("comparison: a known difference is significant with enough iterations, not with too few") {
  // b is 200 ms slower than a, each spread over +-300 ms.
  const auto many = compare_pair("a", around(1000, 300, 41), "b", around(1200, 300, 41), params());
  CHECK(many.significant);
  CHECK(many.verdict == "a faster");
  REQUIRE(many.difference);
  CHECK(*many.difference == -200ms);
  CHECK(many.ci_high < 0ns);
  CHECK(many.ci_low <= -200ms);
  CHECK(many.iterations_needed == 0);

  const auto few = compare_pair("a", around(1000, 300, 3), "b", around(1200, 300, 3), params());
  CHECK_FALSE(few.significant);
  CHECK(few.verdict == "not enough iterations to tell");
  CHECK(few.ci_low < 0ns);
  CHECK(few.ci_high > 0ns);
  // How many would tell them apart at this spread: more than were run, and
  // no more than the many that did.
  CHECK(few.iterations_needed > 3);
  CHECK(few.iterations_needed <= 200);

  const auto c = compare_strategies({"a", "b"}, {around(1000, 300, 3), around(1200, 300, 3)}, params());
  CHECK(c.fastest.empty());
  CHECK(c.conclusion.find("not enough iterations to tell 'a' from 'b'") == 0);
  CHECK(c.conclusion.find("iterations each would be needed") != std::string::npos);
}

TEST_CASE("comparison: a significant difference names the fastest, at the scenario's confidence") {
  auto c = compare_strategies({"slow", "fast"}, {around(3000, 100, 21), around(1000, 100, 21)}, params());
  CHECK(c.fastest == "fast");
  CHECK(stats(c, "fast").rank == 1);
  CHECK(stats(c, "slow").rank == 2);
  CHECK(c.conclusion == "'fast' restores fastest, faster than 'slow' at 95% confidence");
  REQUIRE(c.pairs.size() == 1);
  CHECK(c.pairs[0].verdict == "fast faster");
  // A wider confidence never gives a narrower interval.
  CompareParams p99 = params();
  p99.confidence = 99;
  const auto narrow = compare_pair("a", around(1000, 300, 15), "b", around(1200, 300, 15), params());
  const auto wide = compare_pair("a", around(1000, 300, 15), "b", around(1200, 300, 15), p99);
  CHECK(wide.ci_low <= narrow.ci_low);
  CHECK(wide.ci_high >= narrow.ci_high);
}

TEST_CASE("comparison: ties are no difference, and no fastest is named") {
  const auto c = compare_strategies({"a", "b"}, {around(1000, 300, 21), around(1000, 300, 21)}, params());
  REQUIRE(c.pairs.size() == 1);
  CHECK_FALSE(c.pairs[0].significant);
  REQUIRE(c.pairs[0].difference);
  CHECK(c.pairs[0].difference->count() == 0);
  CHECK(c.pairs[0].verdict == "no difference measured");
  CHECK(c.fastest.empty());
  CHECK(c.conclusion == "'a' and 'b' tie: no difference of medians measured");
  CHECK(stats(c, "a").rank == 1);  // declaration order among equals
  CHECK(stats(c, "b").rank == 2);
}

TEST_CASE("comparison: a strategy that never recovers ranks last, as '> deadline', never a number") {
  const auto c = compare_strategies({"stuck", "slow", "fast"},
                                    {never(9), around(2000, 100, 9), around(1000, 100, 9)}, params());
  const StrategyStats& stuck = stats(c, "stuck");
  CHECK(stuck.rank == 3);
  REQUIRE(stuck.recovery_p50);
  CHECK(stuck.recovery_p50->beyond_deadline);
  CHECK(stuck.not_recovered == 9);
  CHECK(c.fastest == "fast");
  // Against it, the difference is no number; the interval is "beyond", and significant.
  const StrategyPair& p = c.pairs[0];  // stuck vs slow
  CHECK(p.a == "stuck");
  CHECK(p.b == "slow");
  CHECK_FALSE(p.difference.has_value());
  CHECK(p.significant);
  CHECK(p.verdict == "slow faster");
  CHECK(p.ci_low == Nanos::max());
  // Every strategy stuck: nothing is named fastest.
  const auto none = compare_strategies({"x", "y"}, {never(3), never(3)}, params());
  CHECK(none.fastest.empty());
  CHECK(none.conclusion == "no rankable strategy recovered in most of its iterations");
}

TEST_CASE("comparison: the same seed gives the same interval and ranking") {
  const auto a = around(1000, 400, 7), b = around(1150, 400, 7);
  const auto x = compare_pair("a", a, "b", b, params(42));
  const auto y = compare_pair("a", a, "b", b, params(42));
  CHECK(x.ci_low == y.ci_low);
  CHECK(x.ci_high == y.ci_high);
  CHECK(x.iterations_needed == y.iterations_needed);
  // The whole comparison too: ranks, pairs and the sentence.
  const auto c1 = compare_strategies({"a", "b"}, {a, b}, params(42));
  const auto c2 = compare_strategies({"a", "b"}, {a, b}, params(42));
  CHECK(c1.conclusion == c2.conclusion);
  CHECK(c1.pairs[0].ci_low == c2.pairs[0].ci_low);
  CHECK(c1.strategies[0].rank == c2.strategies[0].rank);
}

TEST_CASE("comparison: a lossy or failing strategy is never ranked fastest, whatever its time") {
  auto lossy = around(10, 1, 21);  // by far the fastest
  lossy[3].lost = 1;
  auto failing = around(10, 1, 21);
  failing[0].failed_steps = 1;
  auto unverified = around(10, 1, 21);
  unverified[5].failed_verifications = 1;
  const auto c = compare_strategies({"lossy", "failing", "unverified", "honest"},
                                    {lossy, failing, unverified, around(5000, 100, 21)}, params());
  CHECK(c.fastest == "honest");
  CHECK(stats(c, "honest").rank == 1);
  for (const char* n : {"lossy", "failing", "unverified"}) {
    INFO(n);
    CHECK(stats(c, n).rank == 0);
    CHECK_FALSE(stats(c, n).eligible);
  }
  CHECK(stats(c, "lossy").ineligible_why == "lost 1 acknowledged write(s)");
  // Alone, it is still not named.
  const auto alone = compare_strategies({"lossy"}, {lossy}, params());
  CHECK(alone.fastest.empty());
  CHECK(alone.conclusion.find("no strategy can be ranked (lossy: lost 1") == 0);
}

TEST_CASE("comparison: never tighter than observed, never significant on a handful of iterations") {
  const auto a = around(1000, 50, 9), b = around(3000, 50, 9);
  CompareParams coarse = params();
  coarse.resolution = 50ms;  // one probe interval either side of every figure
  const auto fine = compare_pair("a", a, "b", b, params());
  const auto wide = compare_pair("a", a, "b", b, coarse);
  CHECK(wide.ci_low == fine.ci_low - 100ms);
  CHECK(wide.ci_high == fine.ci_high + 100ms);
  CHECK(wide.significant);
  // Four iterations each of a 2 s difference: the interval excludes 0, but
  // a bootstrap of four values is no evidence; five would be enough to say.
  const auto four = compare_pair("a", around(1000, 50, 4), "b", around(3000, 50, 4), params());
  CHECK_FALSE(four.significant);
  CHECK(four.verdict == "not enough iterations to tell");
  CHECK(four.iterations_needed == kMinIterationsToTell);
  CHECK(compare_pair("a", around(1000, 50, 5), "b", around(3000, 50, 5), params()).significant);
}
