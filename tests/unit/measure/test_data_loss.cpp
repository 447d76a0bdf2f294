// Data loss: a workload's writes accounted against its read, and the
// max_data_loss verdict, on hand-written writes.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "measure/data_loss.hpp"

using namespace faultline;

namespace {

WriteOutcome write(std::uint64_t seq, std::int64_t start_ms, std::int64_t end_ms, bool acked) {
  return {seq, std::chrono::milliseconds(start_ms), std::chrono::milliseconds(end_ms), acked};
}

}  // namespace

TEST_CASE("workload: lost = acknowledged and missing from the read; the window spans them") {
  const std::vector<WriteOutcome> writes = {write(1, 0, 5, true),      write(2, 100, 104, true),
                                            write(3, 200, 210, true),  write(4, 300, 1300, false),
                                            write(5, 1400, 1420, true), write(6, 1500, 1503, true)};
  ReadOutcome read{true, "", {1, 2, 6}};
  const auto r = account_writes("w", 2, writes, read, 250ms, 1450ms);
  CHECK(r.workload == "w");
  CHECK(r.iteration == 2);
  CHECK(r.first_seq == 1);
  CHECK(r.last_seq == 6);
  CHECK(r.writes == 6);
  CHECK(r.acknowledged == 5);
  CHECK(r.errors == 1);
  CHECK(r.lost == 2);  // 3 and 5; 4 was never acknowledged, so it is not lost
  CHECK(r.lost_seqs == std::vector<std::uint64_t>{3, 5});
  CHECK(r.lost_from == Nanos(200ms));
  CHECK(r.lost_to == Nanos(1420ms));
  CHECK(r.loss_window == Nanos(1220ms));
  // During the fault [250 ms, 1450 ms): writes 4 and 5.
  CHECK(r.fault_writes == 2);
  CHECK(r.fault_errors == 1);
  CHECK(r.fault_latency_p50 == Nanos(20ms));
  CHECK(r.fault_latency_p99 == Nanos(20ms));
}

TEST_CASE("workload: nothing lost, and a failed read proves nothing") {
  const std::vector<WriteOutcome> writes = {write(10, 0, 5, true), write(11, 100, 104, true)};
  auto ok = account_writes("w", 1, writes, ReadOutcome{true, "", {10, 11, 12}}, 0ms, 1s);
  CHECK(ok.lost == 0);
  CHECK(ok.loss_window == 0ns);
  CHECK_FALSE(ok.lost_from.has_value());
  auto failed = account_writes("w", 1, writes, ReadOutcome{false, "exit 2", {}}, 0ms, 1s);
  CHECK_FALSE(failed.read_ok);
  CHECK(failed.lost == 0);
}

TEST_CASE("workload: the max_data_loss verdict, by count and by window") {
  WorkloadResult a;
  a.workload = "w";
  a.iteration = 1;
  a.writes = a.acknowledged = 100;
  a.read_ok = true;
  WorkloadResult b = a;
  b.iteration = 2;
  b.lost = 3;
  b.loss_window = 40ms;
  Thresholds t;
  CHECK(data_loss_verdicts(t, {a, b}).empty());
  t.max_data_loss = 0;
  auto v = data_loss_verdicts(t, {a, b});
  REQUIRE(v.size() == 1);
  CHECK(v[0].threshold == "max_data_loss");
  CHECK_FALSE(v[0].passed);
  CHECK(v[0].measured == "3 writes");
  CHECK(v[0].limit == "0 writes");
  CHECK(v[0].margin == "-3 writes");
  CHECK(v[0].detail.find("iteration 2") != std::string::npos);
  CHECK(data_loss_verdicts(t, {a})[0].passed);
  CHECK(data_loss_verdicts(t, {a})[0].margin == "+0 writes");
  Thresholds w;
  w.max_data_loss_window = 50ms;
  auto vw = data_loss_verdicts(w, {a, b});
  CHECK(vw[0].passed);
  CHECK(vw[0].measured == "40.000 ms");
  CHECK(vw[0].margin == "+10.000 ms");
  // A failed read, or no acknowledged write, proves nothing: the verdict fails.
  WorkloadResult unread = a;
  unread.read_ok = false;
  unread.read_error = "exit 2";
  CHECK_FALSE(data_loss_verdicts(t, {unread})[0].passed);
  WorkloadResult silent = a;
  silent.acknowledged = 0;
  CHECK_FALSE(data_loss_verdicts(t, {silent})[0].passed);
  CHECK_FALSE(data_loss_verdicts(t, {})[0].passed);
}
