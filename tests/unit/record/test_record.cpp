// record.cpp: exit codes and outcome names, and the compression of a probe's
// samples into runs of equal outcome that the run record keeps for long
// drills (every transition exact, counts and latency summaries right).
#include <doctest/doctest.h>

#include "record/record.hpp"

using namespace faultline;
using namespace std::chrono_literals;

namespace {
Sample s(Nanos start, Nanos latency, bool ok, std::string detail = "") {
  return Sample{start, start + latency, ok, std::move(detail)};
}
}  // namespace

TEST_CASE("record: exit codes and outcome names follow docs/design.md section 5") {
  CHECK(exit_code_for(Outcome::passed) == 0);
  CHECK(exit_code_for(Outcome::failed) == 1);
  CHECK(exit_code_for(Outcome::usage_error) == 2);
  CHECK(exit_code_for(Outcome::inconclusive) == 3);
  CHECK(exit_code_for(Outcome::harness_error) == 4);
  CHECK(exit_code_for(Outcome::interrupted, false) == 130);
  CHECK(exit_code_for(Outcome::interrupted, true) == 143);
  CHECK(std::string(outcome_name(Outcome::harness_error)) == "harness_error");
}

TEST_CASE("record: compress_samples keeps maximal runs of equal ok and detail, first and last exact") {
  const std::vector<Sample> samples{
      s(0ms, 3ms, true),   s(10ms, 1ms, true),  s(20ms, 2ms, true),  s(30ms, 5ms, true),
      s(40ms, 8ms, false, "refused"), s(50ms, 9ms, false, "refused"),
      s(60ms, 7ms, false, "reset"),  // a different detail starts a new run
      s(70ms, 4ms, true),
  };
  const auto runs = compress_samples(samples);
  REQUIRE(runs.size() == 4);
  CHECK(runs[0].ok);
  CHECK(runs[0].count == 4);
  CHECK(runs[0].first == SampleTimes{0ms, 3ms});
  CHECK(runs[0].last == SampleTimes{30ms, 35ms});
  CHECK(runs[0].latency_min == 1ms);
  CHECK(runs[0].latency_p50 == 2ms);  // nearest rank: the 2nd of 1, 2, 3, 5
  CHECK(runs[0].latency_max == 5ms);
  CHECK_FALSE(runs[1].ok);
  CHECK(runs[1].detail == "refused");
  CHECK(runs[1].count == 2);
  CHECK(runs[1].first.start == 40ms);  // the transition to failing, exactly
  CHECK(runs[1].latency_p50 == 8ms);
  CHECK(runs[2].detail == "reset");
  CHECK(runs[2].count == 1);
  CHECK(runs[2].first == runs[2].last);
  CHECK(runs[2].latency_min == 7ms);
  CHECK(runs[2].latency_p50 == 7ms);
  CHECK(runs[2].latency_max == 7ms);
  CHECK(runs[3].ok);
  CHECK(runs[3].first.start == 70ms);  // the transition back to ok, exactly
  CHECK(compress_samples({}).empty());
}

TEST_CASE("record: a probe keeps every sample up to kMaxFullSamples, runs beyond; counts agree") {
  ProbeSeries p;
  for (std::size_t i = 0; i < kMaxFullSamples; ++i) p.samples.push_back(s(Nanos(static_cast<long>(i) * 1'000'000), 1ms, i % 1000 != 0));
  CHECK(keeps_every_sample(p));
  CHECK(sample_count(p) == kMaxFullSamples);
  p.samples.push_back(s(Nanos(static_cast<long>(kMaxFullSamples) * 1'000'000), 1ms, true));
  CHECK_FALSE(keeps_every_sample(p));
  const auto runs = runs_of(p);
  std::uint64_t n = 0;
  for (const auto& r : runs) n += r.count;
  CHECK(n == kMaxFullSamples + 1);
  CHECK(runs.size() == 2 * 10);  // a failing sample every 1000, each followed by 999 ok ones

  // Read back as runs: the runs are the probe's, and it is no longer "every sample".
  ProbeSeries back;
  back.runs = runs;
  CHECK(runs_of(back) == runs);
  CHECK(sample_count(back) == kMaxFullSamples + 1);
  CHECK_FALSE(keeps_every_sample(back));
  CHECK(keeps_every_sample(ProbeSeries{}));  // no sample at all: an empty list of samples
}
